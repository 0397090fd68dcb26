//! The `generated` rotator: a new random value from a policy, for secrets that
//! keyward itself is the source of (Django `SECRET_KEY`, JWT HMAC keys, API tokens
//! it hands out). Nothing outside keyward needs telling, so `setSecret` has
//! nothing to do and `testSecret` checks the new value has the policy's shape.
//!
//! For a JSON secret it replaces one field and keeps the shape of the seed's API
//! key secrets: `previous_key` holds the value it replaced (for rollback) and
//! `rotated_at` the time, RFC 3339.

use crate::{RotateError, Rotator, SecretString, StepContext};
use async_trait::async_trait;
use keyward_crypto::generator::{Format, generate};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

/// The JSON field that keeps the replaced value.
pub const PREVIOUS_FIELD: &str = "previous_key";
/// The JSON field that records when the value was rotated.
pub const ROTATED_AT_FIELD: &str = "rotated_at";

/// How a new value is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub format: Format,
    /// Characters or bytes of randomness, per [`Format`]; `None` takes its default.
    pub length: Option<usize>,
    /// Rotate this field of a JSON object secret instead of the whole value.
    pub field: Option<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            format: Format::Urlsafe,
            length: None,
            field: None,
        }
    }
}

impl Policy {
    /// A policy from the configured names. `jwt-hmac` is 64 random bytes in
    /// base64 (a key as long as HMAC-SHA-512's block, enough for HS256..HS512).
    pub fn parse(
        format: Option<&str>,
        length: Option<i64>,
        field: Option<&str>,
    ) -> Result<Self, RotateError> {
        let (format, default_len) = match format.unwrap_or("urlsafe") {
            "jwt-hmac" | "jwt" => (Format::Base64, Some(64)),
            "django-secret-key" => (Format::Django, None),
            other => (
                other.parse::<Format>().map_err(|e| {
                    RotateError::Config(format!("generated rotator: {e}, or jwt-hmac"))
                })?,
                None,
            ),
        };
        let length = match length {
            None => default_len,
            Some(n) => Some(usize::try_from(n).map_err(|_| {
                RotateError::Config(format!("generated rotator: length {n} is negative"))
            })?),
        };
        let policy = Self {
            format,
            length,
            field: field.map(str::to_owned),
        };
        // Fail now (at configuration), not at 3 a.m. on the first scheduled run.
        generate(policy.format, policy.length)
            .map_err(|e| RotateError::Config(format!("generated rotator: {e}")))?;
        if policy
            .field
            .as_deref()
            .is_some_and(|f| f.is_empty() || f == PREVIOUS_FIELD || f == ROTATED_AT_FIELD)
        {
            return Err(RotateError::Config(format!(
                "generated rotator: --field must name the value's field, not `{PREVIOUS_FIELD}` or `{ROTATED_AT_FIELD}`"
            )));
        }
        Ok(policy)
    }
}

#[derive(Debug, Default)]
pub struct Generated {
    pub policy: Policy,
}

impl Generated {
    pub fn new(policy: Policy) -> Self {
        Self { policy }
    }

    fn fresh(&self) -> Result<SecretString, RotateError> {
        generate(self.policy.format, self.policy.length)
            .map_err(|e| RotateError::Config(format!("generated rotator: {e}")))
    }

    fn object(
        ctx: &StepContext<'_>,
        value: &SecretString,
    ) -> Result<Map<String, Value>, RotateError> {
        match serde_json::from_str::<Value>(value.expose()) {
            Ok(Value::Object(o)) => Ok(o),
            // serde_json's message may quote the input: never pass it on.
            _ => Err(RotateError::Config(format!(
                "secret {}: its value is not a JSON object, so the generated rotator cannot replace one field of it; drop --field to rotate the whole value",
                ctx.secret_name
            ))),
        }
    }
}

#[async_trait]
impl Rotator for Generated {
    fn kind(&self) -> &'static str {
        "generated"
    }

    async fn create(&self, ctx: &StepContext<'_>) -> Result<SecretString, RotateError> {
        let fresh = self.fresh()?;
        let Some(field) = &self.policy.field else {
            return Ok(fresh);
        };
        let mut obj = Self::object(ctx, ctx.current)?;
        let old = obj.remove(field);
        if let Some(old) = old {
            obj.insert(PREVIOUS_FIELD.into(), old);
        }
        obj.insert(field.clone(), Value::String(fresh.expose().to_owned()));
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
        let stamp = now
            .format(&Rfc3339)
            .map_err(|e| RotateError::Config(format!("cannot format the rotation time: {e}")))?;
        obj.insert(ROTATED_AT_FIELD.into(), Value::String(stamp));
        let text = serde_json::to_string(&Value::Object(obj))
            .map_err(|e| RotateError::Config(format!("cannot encode the rotated secret: {e}")))?;
        Ok(SecretString::new(text))
    }

    async fn set(
        &self,
        _ctx: &StepContext<'_>,
        _pending: &SecretString,
    ) -> Result<(), RotateError> {
        Ok(())
    }

    async fn test(&self, ctx: &StepContext<'_>, pending: &SecretString) -> Result<(), RotateError> {
        let ok = match &self.policy.field {
            None => !pending.expose().is_empty(),
            Some(field) => Self::object(ctx, pending)?
                .get(field)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty()),
        };
        if ok {
            Ok(())
        } else {
            Err(RotateError::Test(format!(
                "secret {}: the pending value has no generated key",
                ctx.secret_name
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(current: &'a SecretString) -> StepContext<'a> {
        StepContext {
            secret_arn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:x-AbCdEf",
            secret_name: "production/api-keys/resend",
            token: "t1",
            current,
            previous: None,
            master: None,
        }
    }

    #[tokio::test]
    async fn a_json_field_rotates_keeping_previous_key_and_rotated_at() {
        let current = SecretString::new(r#"{"api_key":"old-key-123","owner":"ops"}"#.into());
        let rot = Generated::new(Policy::parse(Some("hex"), Some(16), Some("api_key")).unwrap());
        let pending = rot.create(&ctx(&current)).await.unwrap();
        let v: Value = serde_json::from_str(pending.expose()).unwrap();
        assert_eq!(v["previous_key"], "old-key-123");
        assert_eq!(v["owner"], "ops", "other fields are kept");
        let key = v["api_key"].as_str().unwrap();
        assert_eq!(key.len(), 32);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        let at = v["rotated_at"].as_str().unwrap();
        time::OffsetDateTime::parse(at, &Rfc3339).expect("rotated_at is RFC 3339");
        rot.test(&ctx(&current), &pending).await.unwrap();
    }

    #[tokio::test]
    async fn a_whole_value_rotates_to_the_policy_format() {
        let current = SecretString::new("x".repeat(50));
        let django = Generated::new(Policy::parse(Some("django"), None, None).unwrap());
        let v = django.create(&ctx(&current)).await.unwrap();
        assert_eq!(v.expose().chars().count(), 50);
        assert_ne!(v.expose(), current.expose());
        let jwt = Generated::new(Policy::parse(Some("jwt-hmac"), None, None).unwrap());
        let k = jwt.create(&ctx(&current)).await.unwrap();
        assert_eq!(k.expose().len(), 88, "64 bytes in padded base64");
    }

    #[tokio::test]
    async fn a_non_json_secret_with_a_field_is_a_config_error_that_quotes_nothing() {
        let current = SecretString::new("plain-secret-value".into());
        let rot = Generated::new(Policy::parse(None, None, Some("api_key")).unwrap());
        let err = rot.create(&ctx(&current)).await.unwrap_err();
        assert!(!err.is_retryable());
        assert!(!err.to_string().contains("plain-secret-value"));
    }

    #[test]
    fn bad_policies_fail_at_configuration() {
        assert!(Policy::parse(Some("rot13"), None, None).is_err());
        assert!(Policy::parse(Some("hex"), Some(0), None).is_err());
        assert!(Policy::parse(Some("uuid"), Some(8), None).is_err());
        assert!(Policy::parse(None, None, Some("previous_key")).is_err());
    }
}
