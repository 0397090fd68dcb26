//! Secrets Manager's inputs and outputs as typed structs, named as in AWS's
//! service model (`secretsmanager-2017-10-17`). Only the members keyward reads or
//! answers are here; other members of an input are ignored, as unknown ones are.
//! A member of the wrong JSON type is a `SerializationException` (see `aws::wire`).

#![allow(non_snake_case)]

use crate::aws::wire::{self, Items, Timestamp, de, list_of, object, whole_error};
use crate::error::ApiError;
use keyward_crypto::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Parses a Secrets Manager input.
pub fn parse<T: serde::de::DeserializeOwned>(input: &Value) -> Result<T, ApiError> {
    wire::parse(input, super::serialization)
}

// ---- members shared by several inputs

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    #[serde(default, deserialize_with = "de::string")]
    pub Key: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub Value: Option<String>,
}

fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Tag>>, D::Error> {
    list_of(d, "must be a list of tags", Items::Lenient)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicaRegionType {
    #[serde(default, deserialize_with = "de::string")]
    pub Region: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub KmsKeyId: Option<String>,
}

fn replica_regions<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<ReplicaRegionType>>, D::Error> {
    list_of(d, "must be a list", Items::Lenient)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    #[serde(default, deserialize_with = "de::string")]
    pub Key: Option<String>,
    #[serde(default, deserialize_with = "filter_values")]
    pub Values: Option<Vec<String>>,
}

fn filters<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Filter>>, D::Error> {
    list_of(
        d,
        "must be a list",
        Items::Strict("Each filter must be an object"),
    )
}

/// Filter values have their own wording (kept from before the structs).
fn filter_values<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(whole_error("Filter values must be strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        _ => Err(whole_error("Filter Values must be a list")),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationRulesType {
    #[serde(default, deserialize_with = "de::integer")]
    pub AutomaticallyAfterDays: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub Duration: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ScheduleExpression: Option<String>,
}

fn rotation_rules<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RotationRulesType>, D::Error> {
    object(d, "must be an object")
}

// ---- inputs

/// The input of every operation that names one secret and nothing else.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretIdRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
}
pub type DescribeSecretRequest = SecretIdRequest;
pub type RestoreSecretRequest = SecretIdRequest;
pub type CancelRotateSecretRequest = SecretIdRequest;
pub type GetResourcePolicyRequest = SecretIdRequest;
pub type DeleteResourcePolicyRequest = SecretIdRequest;
pub type StopReplicationToReplicaRequest = SecretIdRequest;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub Name: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ClientRequestToken: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub Description: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub KmsKeyId: Option<String>,
    /// Base64 text in JSON.
    #[serde(default, deserialize_with = "de::string")]
    pub SecretBinary: Option<SecretString>,
    #[serde(default, deserialize_with = "de::string")]
    pub SecretString: Option<SecretString>,
    #[serde(default, deserialize_with = "tags")]
    pub Tags: Option<Vec<Tag>>,
    #[serde(default, deserialize_with = "replica_regions")]
    pub AddReplicaRegions: Option<Vec<ReplicaRegionType>>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub ForceOverwriteReplicaSecret: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub VersionId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub VersionStage: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueRequest {
    #[serde(default, deserialize_with = "de::strings")]
    pub SecretIdList: Option<Vec<String>>,
    #[serde(default, deserialize_with = "filters")]
    pub Filters: Option<Vec<Filter>>,
    #[serde(default, deserialize_with = "de::integer")]
    pub MaxResults: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub NextToken: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ClientRequestToken: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub SecretBinary: Option<SecretString>,
    #[serde(default, deserialize_with = "de::string")]
    pub SecretString: Option<SecretString>,
    #[serde(default, deserialize_with = "de::strings")]
    pub VersionStages: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ClientRequestToken: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub Description: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub KmsKeyId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub SecretBinary: Option<SecretString>,
    #[serde(default, deserialize_with = "de::string")]
    pub SecretString: Option<SecretString>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsRequest {
    #[serde(default, deserialize_with = "de::boolean")]
    pub IncludePlannedDeletion: Option<bool>,
    #[serde(default, deserialize_with = "de::integer")]
    pub MaxResults: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub NextToken: Option<String>,
    #[serde(default, deserialize_with = "filters")]
    pub Filters: Option<Vec<Filter>>,
    #[serde(default, deserialize_with = "de::string")]
    pub SortOrder: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::integer")]
    pub MaxResults: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub NextToken: Option<String>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub IncludeDeprecated: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretVersionStageRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub VersionStage: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub RemoveFromVersionId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub MoveToVersionId: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecretRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::integer")]
    pub RecoveryWindowInDays: Option<i64>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub ForceDeleteWithoutRecovery: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "tags")]
    pub Tags: Option<Vec<Tag>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::strings")]
    pub TagKeys: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateSecretRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ClientRequestToken: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub RotationLambdaARN: Option<String>,
    #[serde(default, deserialize_with = "rotation_rules")]
    pub RotationRules: Option<RotationRulesType>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub RotateImmediately: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordRequest {
    #[serde(default, deserialize_with = "de::integer")]
    pub PasswordLength: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub ExcludeCharacters: Option<String>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub ExcludeNumbers: Option<bool>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub ExcludePunctuation: Option<bool>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub ExcludeUppercase: Option<bool>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub ExcludeLowercase: Option<bool>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub IncludeSpace: Option<bool>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub RequireEachIncludedType: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutResourcePolicyRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ResourcePolicy: Option<String>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub BlockPublicPolicy: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateResourcePolicyRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    pub ResourcePolicy: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateSecretToRegionsRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "replica_regions")]
    pub AddReplicaRegions: Option<Vec<ReplicaRegionType>>,
    #[serde(default, deserialize_with = "de::boolean")]
    pub ForceOverwriteReplicaSecret: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveRegionsFromReplicationRequest {
    #[serde(default, deserialize_with = "de::string")]
    pub SecretId: Option<String>,
    #[serde(default, deserialize_with = "de::strings")]
    pub RemoveReplicaRegions: Option<Vec<String>>,
}

// ---- outputs

/// `{ARN, Name}` with the version and replication status where they apply: the
/// output of CreateSecret, UpdateSecret, RotateSecret, CancelRotateSecret,
/// RestoreSecret, UpdateSecretVersionStage, PutResourcePolicy, DeleteResourcePolicy.
#[derive(Debug, Default, Serialize)]
pub struct SecretRef {
    pub ARN: String,
    pub Name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub VersionId: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ReplicationStatus: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct GetSecretValueResponse {
    pub ARN: String,
    pub Name: String,
    pub VersionId: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub SecretBinary: Option<SecretString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub SecretString: Option<SecretString>,
    pub VersionStages: Vec<String>,
    pub CreatedDate: Timestamp,
}

#[derive(Debug, Serialize)]
pub struct APIErrorType {
    pub SecretId: String,
    pub ErrorCode: String,
    pub Message: String,
}

#[derive(Debug, Serialize)]
pub struct BatchGetSecretValueResponse {
    pub SecretValues: Vec<GetSecretValueResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub NextToken: Option<String>,
    pub Errors: Vec<APIErrorType>,
}

#[derive(Debug, Serialize)]
pub struct PutSecretValueResponse {
    pub ARN: String,
    pub Name: String,
    pub VersionId: String,
    pub VersionStages: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct TagOut {
    pub Key: String,
    pub Value: String,
}

#[derive(Debug, Default, Serialize)]
pub struct RotationRulesOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub AutomaticallyAfterDays: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ScheduleExpression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Duration: Option<String>,
}

/// DescribeSecret's output and ListSecrets' `SecretListEntry`: DescribeSecret
/// fills `VersionIdsToStages` (and, for raw-JSON clients written against other
/// emulators, `SecretVersionsToStages` too), ListSecrets the latter only.
#[derive(Debug, Serialize)]
pub struct DescribeSecretResponse {
    pub ARN: String,
    pub Name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub KmsKeyId: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub RotationEnabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub RotationLambdaARN: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub RotationRules: Option<RotationRulesOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub LastRotatedDate: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub NextRotationDate: Option<Timestamp>,
    pub LastChangedDate: Timestamp,
    pub CreatedDate: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub LastAccessedDate: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub DeletedDate: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Tags: Option<Vec<TagOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub VersionIdsToStages: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub SecretVersionsToStages: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub OwningService: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub PrimaryRegion: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ReplicationStatus: Vec<Value>,
}
pub type SecretListEntry = DescribeSecretResponse;

#[derive(Debug, Serialize)]
pub struct ListSecretsResponse {
    pub SecretList: Vec<SecretListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub NextToken: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SecretVersionsListEntry {
    pub VersionId: String,
    pub VersionStages: Vec<String>,
    pub CreatedDate: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub KmsKeyIds: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct ListSecretVersionIdsResponse {
    pub ARN: String,
    pub Name: String,
    pub Versions: Vec<SecretVersionsListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub NextToken: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DeleteSecretResponse {
    pub ARN: String,
    pub Name: String,
    pub DeletionDate: Timestamp,
}

/// The empty output of TagResource and UntagResource.
#[derive(Debug, Serialize)]
pub struct Empty {}

#[derive(Debug, Serialize)]
pub struct GetRandomPasswordResponse {
    pub RandomPassword: SecretString,
}

#[derive(Debug, Serialize)]
pub struct GetResourcePolicyResponse {
    pub ARN: String,
    pub Name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ResourcePolicy: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ValidationErrorsEntry {
    pub CheckName: String,
    pub ErrorMessage: String,
}

#[derive(Debug, Serialize)]
pub struct ValidateResourcePolicyResponse {
    pub PolicyValidationPassed: bool,
    pub ValidationErrors: Vec<ValidationErrorsEntry>,
}

/// ReplicateSecretToRegions', RemoveRegionsFromReplication's and
/// StopReplicationToReplica's output (the last has no `ReplicationStatus`).
#[derive(Debug, Serialize)]
pub struct ReplicationResponse {
    pub ARN: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ReplicationStatus: Option<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fault<T: serde::de::DeserializeOwned + std::fmt::Debug>(v: Value) -> (String, String) {
        let e = parse::<T>(&v).expect_err("a fault");
        (e.aws_type().to_string(), e.to_string())
    }

    #[test]
    fn wrong_types_are_serialization_exceptions_naming_the_member() {
        let s = |m: &str| ("SerializationException".to_string(), m.to_string());
        assert_eq!(
            fault::<GetSecretValueRequest>(json!({"SecretId": ["x"]})),
            s("SecretId must be a string")
        );
        assert_eq!(
            fault::<CreateSecretRequest>(json!({"Name": "y", "Tags": "nope"})),
            s("Tags must be a list of tags")
        );
        assert_eq!(
            fault::<CreateSecretRequest>(json!({"SecretString": {"k": "v"}})),
            s("SecretString must be a string")
        );
        assert_eq!(
            fault::<CreateSecretRequest>(json!({"AddReplicaRegions": [{"Region": 1}]})),
            s("Region must be a string")
        );
        assert_eq!(
            fault::<ListSecretsRequest>(json!({"Filters": [1]})),
            s("Each filter must be an object")
        );
        assert_eq!(
            fault::<ListSecretsRequest>(json!({"Filters": [{"Key": "name", "Values": "x"}]})),
            s("Filter Values must be a list")
        );
        assert_eq!(
            fault::<ListSecretsRequest>(json!({"Filters": [{"Key": "name", "Values": [1]}]})),
            s("Filter values must be strings")
        );
        assert_eq!(
            fault::<RotateSecretRequest>(json!({"RotationRules": 5})),
            s("RotationRules must be an object")
        );
        assert_eq!(
            fault::<RotateSecretRequest>(json!({"RotationRules": {"AutomaticallyAfterDays": "1"}})),
            s("AutomaticallyAfterDays must be an integer")
        );
        assert_eq!(
            fault::<DeleteSecretRequest>(json!({"ForceDeleteWithoutRecovery": 1})),
            s("ForceDeleteWithoutRecovery must be a boolean")
        );
        assert_eq!(
            fault::<UntagResourceRequest>(json!({"TagKeys": "k"})),
            s("TagKeys must be a list of strings")
        );
    }

    #[test]
    fn members_of_other_operations_are_ignored() {
        // DescribeSecret has no Tags member: a malformed one is not its business.
        let r: DescribeSecretRequest = parse(&json!({"SecretId": "x", "Tags": 5})).unwrap();
        assert_eq!(r.SecretId.as_deref(), Some("x"));
        let r: GetRandomPasswordRequest = parse(&json!({"SecretId": 5})).unwrap();
        assert_eq!(r.PasswordLength, None);
    }
}
