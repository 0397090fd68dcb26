//! What both AWS services share for their typed inputs and outputs: parsing a
//! JSON input into an operation's request struct with AWS-worded errors, the
//! member deserializers those structs use, the one "member must not be null"
//! error, and the timestamp shape of outputs.
//!
//! A member of the wrong JSON type is an error of the service's kind (Secrets
//! Manager: `SerializationException`, SSM: `ValidationException`) worded
//! `<Member> must be a string` and so on. serde's own wording is never shown: it
//! quotes the offending value, which may be a secret sent with the wrong type.
//! Unknown members are ignored, as AWS ignores them; `null` is the same as absent.

use crate::error::ApiError;
use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use serde_path_to_error::Segment;

/// Parses `input` into `T`; a member of the wrong type is `type_error(message)`.
pub fn parse<T: DeserializeOwned>(
    input: &Value,
    type_error: fn(String) -> ApiError,
) -> Result<T, ApiError> {
    parse_message(input).map_err(type_error)
}

/// Like [`parse`], with the message alone (nested members report through it).
fn parse_message<T: DeserializeOwned>(input: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(input).map_err(|e| {
        let member = e
            .path()
            .iter()
            .rev()
            .find_map(|s| match s {
                Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let inner = e.into_inner().to_string();
        match inner.strip_prefix(MEMBER) {
            // "<Member> must be ...": the member named by where it failed.
            Some(rest) => format!("{member} {rest}"),
            // A message that says it all (a nested member's, or a list's).
            None if inner.starts_with(WHOLE) => inner[WHOLE.len()..].to_string(),
            // serde's own words would quote the value: never shown.
            None => format!("{member} has the wrong type"),
        }
    })
}

/// Marks a message to be prefixed with the member's name.
const MEMBER: &str = "\u{1}";
/// Marks a message that is shown as it is.
const WHOLE: &str = "\u{2}";

pub fn member_error<E: serde::de::Error>(rest: &str) -> E {
    E::custom(format!("{MEMBER}{rest}"))
}

pub fn whole_error<E: serde::de::Error>(message: &str) -> E {
    E::custom(format!("{WHOLE}{message}"))
}

/// The one error for a required member that is missing (AWS: `ValidationException`,
/// naming the member with a lower-case first letter, as AWS's request model does).
pub fn missing(member: &str) -> ApiError {
    crate::aws::validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        lower_first(member)
    ))
}

/// `member` (an ASCII API member name) with its first letter in lower case.
pub fn lower_first(member: &str) -> String {
    let mut c = member.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A required member: its value, or [`missing`].
pub fn required<T>(value: Option<T>, member: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| missing(member))
}

/// Reads a member as a JSON tree, wiping the tree when it is refused (a secret
/// may have been sent with the wrong type).
fn refuse<E: serde::de::Error>(mut v: Value, err: E) -> E {
    crate::scrub::scrub(&mut v);
    err
}

/// Member deserializers (`#[serde(default, deserialize_with = "...")]`).
pub mod de {
    use super::*;

    /// A string (or a type built from one, such as `SecretString`).
    pub fn string<'de, D: Deserializer<'de>, T: From<String>>(d: D) -> Result<Option<T>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(T::from(s))),
            v => Err(refuse(v, member_error("must be a string"))),
        }
    }

    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            v => Err(refuse(v, member_error("must be a boolean"))),
        }
    }

    /// A whole number that fits an `i64` (`1.0` and `"1"` are not).
    pub fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            v => match v.as_i64() {
                Some(n) => Ok(Some(n)),
                None => Err(refuse(v, member_error("must be an integer"))),
            },
        }
    }

    /// A list of strings.
    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(Some(
                items
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            )),
            v => Err(refuse(v, member_error("must be a list of strings"))),
        }
    }

    /// A string where another type reads as absent (the member's own check
    /// then answers, as for SSM's filter keys and tags).
    pub fn loose_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Some(s)),
            mut v => {
                crate::scrub::scrub(&mut v);
                Ok(None)
            }
        }
    }
}

/// How a list of structures reads its items.
#[derive(Debug, Clone, Copy)]
pub enum Items {
    /// An item that is not an object reads as an empty one (today's AWS-compatible
    /// answers then come from the checks on its members).
    Lenient,
    /// An item that is not an object is refused with this whole message.
    Strict(&'static str),
    /// An item that is not an object makes the whole member one of the wrong type.
    Objects,
}

/// A list of structures: `not_list` (after the member name) when it is not a list;
/// each item parsed into `T` with its own members' messages.
pub fn list_of<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    d: D,
    not_list: &'static str,
    items: Items,
) -> Result<Option<Vec<T>>, D::Error> {
    let list = match Value::deserialize(d)? {
        Value::Null => return Ok(None),
        Value::Array(list)
            if !matches!(items, Items::Objects) || list.iter().all(Value::is_object) =>
        {
            list
        }
        v => return Err(refuse(v, member_error(not_list))),
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        out.push(match (&item, items) {
            (Value::Object(_), _) => parse_message(&item).map_err(|m| whole_error(&m))?,
            (_, Items::Lenient) => T::default(),
            (_, Items::Strict(message)) => return Err(refuse(item, whole_error(message))),
            (_, Items::Objects) => return Err(refuse(item, member_error(not_list))),
        });
    }
    Ok(Some(out))
}

/// A structure member: `not_object` (after the member name) when it is not an object.
pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
    not_object: &'static str,
) -> Result<Option<T>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v @ Value::Object(_) => parse_message(&v).map(Some).map_err(|m| whole_error(&m)),
        v => Err(refuse(v, member_error(not_object))),
    }
}

/// A timestamp as AWS JSON outputs carry it: epoch seconds with milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub time::OffsetDateTime);

impl Timestamp {
    pub fn seconds(self) -> f64 {
        let secs = self.0.unix_timestamp_nanos() as f64 / 1e9;
        (secs * 1000.0).round() / 1000.0
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.seconds())
    }
}

/// An output struct as the JSON tree the response is rendered from. Output
/// structs have string keys and finite numbers only, so this cannot fail; were it
/// to, the answer would be an empty object rather than a panic.
pub fn answer<T: Serialize>(out: &T) -> Value {
    serde_json::to_value(out).unwrap_or_else(|_| Value::Object(Default::default()))
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
