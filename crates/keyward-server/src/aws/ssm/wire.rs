//! SSM Parameter Store's inputs and outputs as typed structs, named as in AWS's
//! service model (`ssm-2014-11-06`). Only the members keyward reads or answers are
//! here; other members of an input are ignored, as unknown ones are. A member of
//! the wrong JSON type is a `ValidationException` (see `aws::wire`).

#![allow(non_snake_case)]

use crate::aws::wire::{self, Items, Timestamp, de, list_of};
use crate::error::ApiError;
use keyward_crypto::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Parses an SSM input.
pub fn parse<T: serde::de::DeserializeOwned>(input: &Value) -> Result<T, ApiError> {
    wire::parse(input, super::verr)
}

// ---- members shared by several inputs

/// A tag as sent: a Key or Value that is not a string reads as absent, and the
/// tag is then refused as a whole (see `tags::check_tags`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    #[serde(default, deserialize_with = "de::loose_string")]
    pub Key: Option<String>,
    #[serde(default, deserialize_with = "de::loose_string")]
    pub Value: Option<String>,
}

fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Tag>>, D::Error> {
    list_of(d, "must be a list of {Key, Value}", Items::Lenient)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterStringFilter {
    #[serde(default, deserialize_with = "de::loose_string")]
    pub Key: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub Option: Option<String>,
    #[serde(default, deserialize_with = "de::strings")]
    pub Values: Option<Vec<String>>,
}

fn parameter_filters<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<ParameterStringFilter>>, D::Error> {
    list_of(d, "must be a list of objects", Items::Objects)
}

/// DescribeParameters' legacy `Filters`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParametersFilter {
    #[serde(default, deserialize_with = "de::loose_string")]
    pub Key: Option<String>,
    #[serde(default, deserialize_with = "de::strings")]
    pub Values: Option<Vec<String>>,
}

fn legacy_filters<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<ParametersFilter>>, D::Error> {
    list_of(d, "must be a list of objects", Items::Objects)
}

// ---- inputs

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutParameterRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub Name: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub Description: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub Value: Option<SecretString>,
    #[serde(default, deserialize_with = "de::string")]
    pub Type: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub KeyId: Option<String>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub Overwrite: Option<bool>,
    #[serde(default, deserialize_with = "de::string")]
    pub AllowedPattern: Option<String>,
    #[serde(default, deserialize_with = "tags")]
    pub Tags: Option<Vec<Tag>>,
    #[serde(default, deserialize_with = "de::string")]
    pub Tier: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub Policies: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub DataType: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParameterRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub Name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersRequest {
    #[serde(default, deserialize_with = "de::strings")]
    pub Names: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub WithDecryption: Option<bool>,
}
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParametersRequest {
    #[serde(default, deserialize_with = "de::strings")]
    pub Names: Option<Vec<String>>,
}

/// LabelParameterVersion's input, and UnlabelParameterVersion's (the same members).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LabelParameterVersionRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub Name: Option<String>,
    #[serde(default, deserialize_with = "de::integer")]
    pub ParameterVersion: Option<i64>,
    #[serde(default, deserialize_with = "de::strings")]
    pub Labels: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub Name: Option<String>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub WithDecryption: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersByPathRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub Path: Option<String>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub Recursive: Option<bool>,
    #[serde(default, deserialize_with = "parameter_filters")]
    pub ParameterFilters: Option<Vec<ParameterStringFilter>>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub WithDecryption: Option<bool>,
    #[serde(default, deserialize_with = "de::integer")]
    pub MaxResults: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub NextToken: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterHistoryRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub Name: Option<String>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub WithDecryption: Option<bool>,
    #[serde(default, deserialize_with = "de::integer")]
    pub MaxResults: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub NextToken: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeParametersRequest {
    #[serde(default, deserialize_with = "legacy_filters")]
    pub Filters: Option<Vec<ParametersFilter>>,
    #[serde(default, deserialize_with = "parameter_filters")]
    pub ParameterFilters: Option<Vec<ParameterStringFilter>>,
    #[serde(default, deserialize_with = "de::integer")]
    pub MaxResults: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub NextToken: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddTagsToResourceRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub ResourceType: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ResourceId: Option<String>,
    #[serde(default, deserialize_with = "tags")]
    pub Tags: Option<Vec<Tag>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTagsFromResourceRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub ResourceType: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ResourceId: Option<String>,
    #[serde(default, deserialize_with = "de::strings")]
    pub TagKeys: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub ResourceType: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ResourceId: Option<String>,
}

// ---- outputs

#[derive(Debug, Serialize)]
pub struct PutParameterResult {
    pub Version: i64,
    pub Tier: String,
}

#[derive(Debug, Serialize)]
pub struct DeleteParametersResult {
    pub DeletedParameters: Vec<String>,
    pub InvalidParameters: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct LabelParameterVersionResult {
    pub InvalidLabels: Vec<String>,
    pub ParameterVersion: i64,
}

#[derive(Debug, Serialize)]
pub struct UnlabelParameterVersionResult {
    pub RemovedLabels: Vec<String>,
    pub InvalidLabels: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct TagOut {
    pub Key: String,
    pub Value: String,
}

#[derive(Debug, Serialize)]
pub struct ListTagsForResourceResult {
    pub TagList: Vec<TagOut>,
}

/// The empty output of DeleteParameter and of the tag operations.
#[derive(Debug, Serialize)]
pub struct Empty {}

/// The `Parameter` shape of GetParameter(s) and GetParametersByPath.
#[derive(Debug, Serialize)]
pub struct Parameter {
    pub Name: String,
    pub Type: String,
    pub Value: SecretString,
    pub Version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub SourceResult: Option<SecretString>,
    pub LastModifiedDate: Timestamp,
    pub ARN: String,
    pub DataType: String,
}

#[derive(Debug, Serialize)]
pub struct GetParameterResult {
    pub Parameter: Parameter,
}

#[derive(Debug, Serialize)]
pub struct GetParametersResult {
    pub Parameters: Vec<Parameter>,
    pub InvalidParameters: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GetParametersByPathResult {
    pub Parameters: Vec<Parameter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub NextToken: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ParameterInlinePolicy {
    pub PolicyText: String,
    pub PolicyType: String,
    pub PolicyStatus: String,
}

/// GetParameterHistory's `ParameterHistory` and, without `Value` and `Labels`
/// but with `ARN`, DescribeParameters' `ParameterMetadata` (the same members
/// otherwise). `LastModifiedDate` is epoch seconds, as `Timestamp` renders them.
#[derive(Debug, Serialize)]
pub struct ParameterHistory {
    pub Name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ARN: Option<String>,
    pub Type: String,
    pub LastModifiedDate: f64,
    pub LastModifiedUser: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Value: Option<SecretString>,
    pub Version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Labels: Option<Vec<String>>,
    pub Tier: String,
    pub DataType: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub AllowedPattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub KeyId: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Policies: Option<Vec<ParameterInlinePolicy>>,
}
pub type ParameterMetadata = ParameterHistory;

#[derive(Debug, Serialize)]
pub struct GetParameterHistoryResult {
    pub Parameters: Vec<ParameterHistory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub NextToken: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DescribeParametersResult {
    pub Parameters: Vec<ParameterMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub NextToken: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fault<T: serde::de::DeserializeOwned + std::fmt::Debug>(v: Value) -> String {
        let e = parse::<T>(&v).expect_err("a fault");
        assert_eq!(e.aws_type(), "ValidationException");
        e.to_string()
    }

    #[test]
    fn wrong_types_are_validation_exceptions_naming_the_member() {
        assert_eq!(
            fault::<PutParameterRequest>(json!({"Value": 5})),
            "Value must be a string"
        );
        assert_eq!(
            fault::<PutParameterRequest>(json!({"Tags": {}})),
            "Tags must be a list of {Key, Value}"
        );
        assert_eq!(
            fault::<GetParametersRequest>(json!({"Names": [1]})),
            "Names must be a list of strings"
        );
        assert_eq!(
            fault::<DescribeParametersRequest>(json!({"ParameterFilters": [{}, 1]})),
            "ParameterFilters must be a list of objects"
        );
        assert_eq!(
            fault::<DescribeParametersRequest>(json!({"Filters": [{"Values": "x"}]})),
            "Values must be a list of strings"
        );
        assert_eq!(
            fault::<GetParametersByPathRequest>(json!({"ParameterFilters": [{"Option": 1}]})),
            "Option must be a string"
        );
        assert_eq!(
            fault::<LabelParameterVersionRequest>(json!({"ParameterVersion": "1"})),
            "ParameterVersion must be an integer"
        );
    }

    #[test]
    fn tags_and_filter_keys_of_another_type_read_as_absent() {
        // Their own checks answer (with AWS's words for a bad tag or filter key).
        let r: PutParameterRequest =
            parse(&json!({"Tags": [{"Key": 1, "Value": "v"}, 5]})).unwrap();
        let tags = r.Tags.unwrap();
        assert_eq!(
            (tags[0].Key.as_deref(), tags[0].Value.as_deref()),
            (None, Some("v"))
        );
        assert!(tags[1].Key.is_none() && tags[1].Value.is_none());
        let r: DescribeParametersRequest =
            parse(&json!({"ParameterFilters": [{"Key": 7}]})).unwrap();
        assert_eq!(r.ParameterFilters.unwrap()[0].Key, None);
        // Members of other operations are ignored, as unknown ones are.
        let r: ListTagsForResourceRequest = parse(&json!({"Tags": 5, "TagKeys": 6})).unwrap();
        assert!(r.ResourceId.is_none());
    }
}
