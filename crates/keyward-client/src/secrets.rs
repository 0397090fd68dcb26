//! Secrets: read (one or a batch), write, list, history, delete, restore.

use crate::{BatchItem, Client, ClientError, Request, SecretValue, encode_name};
use base64::Engine;
use keyward_api::batch::{BatchGet, BatchResult};
use keyward_api::secrets::{
    DeleteQuery, Deleted, History, ListQuery, Restored, SecretList, WriteSecret, WriteSecretResult,
};
use keyward_crypto::{SecretBytes, SecretString};

impl Client {
    pub fn get_secret(
        &self,
        name: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<SecretValue, ClientError> {
        let path = format!("/v1/secrets/{}", encode_name(name));
        let req = Request::get(&path)
            .query_opt("version_id", version_id)
            .query_opt("stage", stage);
        let v: keyward_api::secrets::SecretValue = self.send(req, name, "read secret")?;
        SecretValue::from_wire(
            v.name,
            v.arn,
            v.version_id,
            v.stages,
            v.value,
            v.value_base64,
        )
    }

    /// Reads the current values of up to 100 secrets in one request. Each name gets
    /// its own result (a missing or forbidden secret does not fail the others).
    pub fn get_secrets(&self, names: &[String]) -> Result<Vec<BatchItem>, ClientError> {
        let req = Request::post("/v1/batch/get").json(&BatchGet {
            names: names.to_vec(),
        })?;
        let v: BatchResult = self.send(req, "batch", "batch get")?;
        let mut out = Vec::new();
        for s in v.secrets {
            let name = s.name.clone();
            let value = SecretValue::from_wire(
                s.name,
                s.arn,
                s.version_id,
                s.stages,
                s.value,
                s.value_base64,
            );
            out.push((name, value));
        }
        for e in v.errors {
            let err = match e.code.as_str() {
                "not_found" => ClientError::SecretNotFound {
                    name: e.name.clone(),
                    message: e.message,
                },
                "access_denied" => ClientError::AccessDenied { message: e.message },
                _ => ClientError::Api {
                    status: 400,
                    code: e.code,
                    message: e.message,
                },
            };
            out.push((e.name, Err(err)));
        }
        Ok(out)
    }

    /// Writes a new version (creating the secret if needed); returns the server's answer.
    pub fn put_secret(
        &self,
        name: &str,
        value: &SecretBytes,
        binary: bool,
        description: Option<&str>,
    ) -> Result<WriteSecretResult, ClientError> {
        let mut body = WriteSecret {
            description: description.map(str::to_owned),
            ..Default::default()
        };
        match std::str::from_utf8(value.expose()) {
            Ok(text) if !binary => body.value = Some(SecretString::new(text.to_owned())),
            _ => {
                body.value_base64 = Some(SecretString::new(
                    base64::engine::general_purpose::STANDARD.encode(value.expose()),
                ))
            }
        }
        let path = format!("/v1/secrets/{}", encode_name(name));
        self.send(Request::put(&path).json(&body)?, name, "put secret")
    }

    /// One page of secrets (metadata only). `subject` names the listing in errors.
    pub fn list_secrets(&self, q: &ListQuery) -> Result<SecretList, ClientError> {
        let req = Request::get("/v1/secrets")
            .query_opt("limit", q.limit)
            .query_opt("prefix", q.prefix.as_deref())
            .query_opt("recursive", q.recursive)
            .query_opt("include_deleted", q.include_deleted.then_some(true))
            .query_opt("next_token", q.next_token.as_deref());
        self.send(req, q.prefix.as_deref().unwrap_or("/"), "list secrets")
    }

    /// A secret's versions, newest first (never values).
    pub fn history(&self, name: &str) -> Result<History, ClientError> {
        let path = format!("/v1/history/{}", encode_name(name));
        self.send(Request::get(&path), name, "history")
    }

    /// Schedules a deletion (or, with `force`, purges now).
    pub fn delete_secret(&self, name: &str, q: &DeleteQuery) -> Result<Deleted, ClientError> {
        let path = format!("/v1/secrets/{}", encode_name(name));
        let req = Request::delete(&path)
            .query_opt("force", q.force.then_some(true))
            .query_opt("recovery_window_days", q.recovery_window_days);
        self.send(req, name, "delete secret")
    }

    /// Cancels a scheduled deletion.
    pub fn restore_secret(&self, name: &str) -> Result<Restored, ClientError> {
        let path = format!("/v1/restore/{}", encode_name(name));
        self.send(Request::post(&path), name, "restore secret")
    }
}

impl SecretValue {
    /// From a read's wire form, where exactly one of `value` (text) and
    /// `value_base64` (binary) is set.
    pub(crate) fn from_wire(
        name: String,
        arn: String,
        version_id: String,
        stages: Vec<String>,
        value: Option<SecretString>,
        value_base64: Option<SecretString>,
    ) -> Result<Self, ClientError> {
        let (value, is_binary) = match (value, value_base64) {
            (Some(s), _) => (SecretBytes::new(s.expose().as_bytes().to_vec()), false),
            (None, Some(b)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b.expose())
                    .map_err(|_| ClientError::Decode("the server sent invalid base64".into()))?;
                (SecretBytes::new(bytes), true)
            }
            (None, None) => {
                return Err(ClientError::Decode(
                    "the server's answer has no value".into(),
                ));
            }
        };
        Ok(Self {
            name,
            arn,
            version_id,
            stages,
            value,
            is_binary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(value: Option<&str>, b64: Option<&str>) -> Result<SecretValue, ClientError> {
        SecretValue::from_wire(
            "/a/b".into(),
            "arn:x".into(),
            "v1".into(),
            vec!["AWSCURRENT".into()],
            value.map(SecretString::from),
            b64.map(SecretString::from),
        )
    }

    #[test]
    fn values_decode_from_text_and_base64() {
        let v = wire(Some("s3cret"), None).unwrap();
        assert_eq!(v.text().unwrap().expose(), "s3cret");
        assert!(!v.is_binary && v.stages == ["AWSCURRENT"]);
        let b = wire(None, Some("AP8=")).unwrap();
        assert!(b.is_binary && b.value.expose() == [0u8, 255]);
        assert!(matches!(b.text(), Err(ClientError::Decode(_))));
        assert!(wire(None, Some("!!")).is_err());
        assert!(wire(None, None).is_err());
    }

    #[test]
    fn json_fields_and_their_errors_name_no_value() {
        let v = wire(Some(r#"{"password":"pw-9","port":5432,"none":null}"#), None).unwrap();
        assert_eq!(v.field("password").unwrap().expose(), "pw-9");
        assert_eq!(v.field("port").unwrap().expose(), "5432");
        for missing in ["none", "user"] {
            let e = v.field(missing).unwrap_err().to_string();
            assert!(e.contains("/a/b") && !e.contains("pw-9"), "{e}");
        }
        let plain = wire(Some("pw-9"), None).unwrap();
        let e = plain.field("x").unwrap_err().to_string();
        assert!(
            e.contains("not a JSON object") && !e.contains("pw-9"),
            "{e}"
        );
    }

    #[test]
    fn a_put_sends_text_as_text_and_the_rest_as_base64() {
        // The body put_secret builds, checked through its JSON form.
        let text = WriteSecret {
            value: Some("v".into()),
            ..Default::default()
        };
        assert_eq!(serde_json::to_string(&text).unwrap(), r#"{"value":"v"}"#);
    }
}
