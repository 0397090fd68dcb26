//! Edge cases of typed input parsing, pinned to the messages the untyped readers
//! answered before the structs existed.

use super::*;
use keyward_crypto::SecretString;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Item {
    #[serde(default, deserialize_with = "de::string")]
    key: Option<String>,
}

fn items<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Item>>, D::Error> {
    list_of(d, "must be a list of items", Items::Lenient)
}

fn strict<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Item>>, D::Error> {
    list_of(
        d,
        "must be a list",
        Items::Strict("Each item must be an object"),
    )
}

fn objects<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Item>>, D::Error> {
    list_of(d, "must be a list of objects", Items::Objects)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LooseItem {
    #[serde(default, deserialize_with = "de::loose_string")]
    key: Option<String>,
}

fn loose<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<LooseItem>>, D::Error> {
    list_of(d, "must be a list", Items::Lenient)
}

fn nested<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Item>, D::Error> {
    object(d, "must be an object")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    #[serde(default, deserialize_with = "de::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "de::string")]
    secret_string: Option<SecretString>,
    #[serde(default, deserialize_with = "de::boolean")]
    flag: Option<bool>,
    #[serde(default, deserialize_with = "de::integer")]
    max_results: Option<i64>,
    #[serde(default, deserialize_with = "de::strings")]
    names: Option<Vec<String>>,
    #[serde(default, deserialize_with = "items")]
    tags: Option<Vec<Item>>,
    #[serde(default, deserialize_with = "strict")]
    filters: Option<Vec<Item>>,
    #[serde(default, deserialize_with = "nested")]
    rules: Option<Item>,
    #[serde(default, deserialize_with = "objects")]
    parameter_filters: Option<Vec<Item>>,
    #[serde(default, deserialize_with = "loose")]
    loose: Option<Vec<LooseItem>>,
}

fn message(e: ApiError) -> String {
    e.to_string()
}

fn parsed(v: Value) -> Result<Input, String> {
    parse::<Input>(&v, crate::aws::validation).map_err(message)
}

#[test]
fn absent_null_and_unknown_members() {
    let i = parsed(json!({"Name": null, "Unknown": [1, {"x": 2}], "Flag": true})).unwrap();
    assert_eq!(i.name, None);
    assert_eq!(i.flag, Some(true));
    assert!(i.tags.is_none() && i.names.is_none() && i.rules.is_none());
    let i = parsed(json!({})).unwrap();
    assert!(i.secret_string.is_none() && i.max_results.is_none());
}

#[test]
fn wrong_types_name_the_member() {
    let cases = [
        (json!({"Name": 5}), "Name must be a string"),
        (json!({"Name": ["a"]}), "Name must be a string"),
        (json!({"Flag": "true"}), "Flag must be a boolean"),
        (json!({"Flag": 1}), "Flag must be a boolean"),
        (json!({"MaxResults": 1.5}), "MaxResults must be an integer"),
        (json!({"MaxResults": 1.0}), "MaxResults must be an integer"),
        (json!({"MaxResults": "3"}), "MaxResults must be an integer"),
        (
            json!({"MaxResults": u64::MAX}),
            "MaxResults must be an integer",
        ),
        (json!({"Names": "a"}), "Names must be a list of strings"),
        (
            json!({"Names": ["a", 1]}),
            "Names must be a list of strings",
        ),
        (
            json!({"Tags": {"Key": "a"}}),
            "Tags must be a list of items",
        ),
        (json!({"Tags": [{"Key": 1}]}), "Key must be a string"),
        (json!({"Filters": "x"}), "Filters must be a list"),
        (json!({"Filters": [{}, 3]}), "Each item must be an object"),
        (json!({"Rules": []}), "Rules must be an object"),
        (json!({"Rules": {"Key": false}}), "Key must be a string"),
        (
            json!({"ParameterFilters": {}}),
            "ParameterFilters must be a list of objects",
        ),
        (
            json!({"ParameterFilters": [{}, "x"]}),
            "ParameterFilters must be a list of objects",
        ),
        (
            json!({"ParameterFilters": [{"Key": 1}]}),
            "Key must be a string",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(parsed(input.clone()).unwrap_err(), want, "{input}");
    }
}

#[test]
fn numbers_at_the_edges() {
    let i = parsed(json!({"MaxResults": i64::MAX})).unwrap();
    assert_eq!(i.max_results, Some(i64::MAX));
    let i = parsed(json!({"MaxResults": -3})).unwrap();
    assert_eq!(i.max_results, Some(-3));
}

#[test]
fn lenient_items_read_as_empty() {
    let i = parsed(json!({"Tags": [1, "x", {"Key": "k"}]})).unwrap();
    let keys: Vec<_> = i.tags.unwrap().into_iter().map(|t| t.key).collect();
    assert_eq!(keys, [None, None, Some("k".to_string())]);
}

#[test]
fn lists_and_objects_that_parse() {
    let i = parsed(json!({
        "Filters": [{"Key": "a"}],
        "ParameterFilters": [{"Key": "b"}],
        "Rules": {"Key": "c"},
        "Loose": [{"Key": 5}, {"Key": "d"}, null],
    }))
    .unwrap();
    assert_eq!(i.filters.unwrap()[0].key.as_deref(), Some("a"));
    assert_eq!(i.parameter_filters.unwrap()[0].key.as_deref(), Some("b"));
    assert_eq!(i.rules.unwrap().key.as_deref(), Some("c"));
    let loose: Vec<_> = i.loose.unwrap().into_iter().map(|l| l.key).collect();
    assert_eq!(loose, [None, Some("d".to_string()), None]);
}

#[test]
fn secrets_of_the_wrong_type_are_not_quoted() {
    let e = parsed(json!({"SecretString": {"pw": "hunter2-secret"}})).unwrap_err();
    assert_eq!(e, "SecretString must be a string");
    let e = parsed(json!({"SecretString": 123456789})).unwrap_err();
    assert!(!e.contains("123456789"), "{e}");
}

#[test]
fn serde_wording_never_shows() {
    // A member without one of the deserializers above falls back to a neutral message.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Plain {
        #[serde(rename = "Count")]
        count: Option<u8>,
    }
    let e = parse::<Plain>(&json!({"Count": "secret-ish"}), crate::aws::validation)
        .map_err(message)
        .unwrap_err();
    assert_eq!(e, "Count has the wrong type");
}

#[test]
fn missing_members_and_lower_first() {
    assert_eq!(
        message(missing("SecretId")),
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(missing("Name").aws_type(), "ValidationException");
    assert_eq!(lower_first("TagKeys"), "tagKeys");
    assert_eq!(lower_first(""), "");
    assert_eq!(required(Some(1), "X").unwrap(), 1);
    assert!(required::<u8>(None, "X").is_err());
}

#[test]
fn timestamps_are_epoch_seconds_with_millis() {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
    assert_eq!(answer(&Timestamp(t)), json!(1_700_000_000.123));
}
