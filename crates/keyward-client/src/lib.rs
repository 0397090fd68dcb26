//! keyward-client is the typed, blocking client for keyward's native API: it signs
//! requests with bearer tokens made from an access key, maps errors to typed
//! variants (`SecretNotFound`, `AccessDenied`, ...), and hands values back in
//! redacting, zeroizing types. It must not log or print values; callers decide.

mod cache;
mod changes;
mod error;
mod keyring;
mod source;

pub use cache::{CachedClient, DEFAULT_MAX_STALE, DEFAULT_TTL};
pub use changes::ChangeStream;
pub use error::ClientError;
pub use keyring::Keyring;
pub use source::{SecretSource, is_unavailable};

use base64::Engine;
use keyward_crypto::{SecretBytes, SecretString};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use std::time::Duration;

pub const DEFAULT_ADDR: &str = "http://127.0.0.1:8200";

/// Where the server is and who we are.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub addr: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl Credentials {
    /// From `KEYWARD_ADDR`, `KEYWARD_ACCESS_KEY_ID`, `KEYWARD_SECRET_ACCESS_KEY`.
    pub fn from_env() -> Result<Self, ClientError> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let addr = get("KEYWARD_ADDR").unwrap_or_else(|| DEFAULT_ADDR.to_string());
        let access_key_id = get("KEYWARD_ACCESS_KEY_ID").ok_or_else(|| {
            ClientError::Config(
                "KEYWARD_ACCESS_KEY_ID is not set: export the credentials `keyward init` or `keyward dev` printed".into(),
            )
        })?;
        let secret = get("KEYWARD_SECRET_ACCESS_KEY").ok_or_else(|| {
            ClientError::Config(
                "KEYWARD_SECRET_ACCESS_KEY is not set: export the credentials `keyward init` or `keyward dev` printed".into(),
            )
        })?;
        Ok(Self {
            addr,
            access_key_id,
            secret_access_key: SecretString::new(secret),
        })
    }
}

/// A secret value as read from the server.
#[derive(Debug, Clone)]
pub struct SecretValue {
    pub name: String,
    pub arn: String,
    pub version_id: String,
    pub stages: Vec<String>,
    pub value: SecretBytes,
    pub is_binary: bool,
}

impl SecretValue {
    /// The value as text (binary values are rejected).
    pub fn text(&self) -> Result<SecretString, ClientError> {
        std::str::from_utf8(self.value.expose())
            .map(|s| SecretString::new(s.to_string()))
            .map_err(|_| ClientError::Decode(format!("secret {} is binary, not text", self.name)))
    }

    /// A field of a JSON secret (`{"password": ...}`), as text.
    pub fn field(&self, key: &str) -> Result<SecretString, ClientError> {
        let v: Value = serde_json::from_slice(self.value.expose()).map_err(|_| {
            ClientError::Decode(format!(
                "secret {} is not a JSON object, so it has no field {key:?}",
                self.name
            ))
        })?;
        match v.get(key) {
            Some(Value::String(s)) => Ok(SecretString::new(s.clone())),
            Some(Value::Null) | None => Err(ClientError::Decode(format!(
                "secret {} has no field {key:?}",
                self.name
            ))),
            Some(other) => Ok(SecretString::new(other.to_string())),
        }
    }
}

/// One secret's result in a batch read: its name and its value or error.
pub type BatchItem = (String, Result<SecretValue, ClientError>);

/// Blocking client for the native API.
#[derive(Debug, Clone)]
pub struct Client {
    creds: Credentials,
    http: reqwest::blocking::Client,
}

pub fn encode_name(name: &str) -> String {
    utf8_percent_encode(name, NON_ALPHANUMERIC).to_string()
}

impl Client {
    pub fn new(creds: Credentials) -> Result<Self, ClientError> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("keyward-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Self { creds, http })
    }

    pub fn from_env() -> Result<Self, ClientError> {
        Self::new(Credentials::from_env()?)
    }

    pub fn addr(&self) -> &str {
        &self.creds.addr
    }

    /// A fresh bearer token.
    pub fn token(&self) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        keyward_crypto::bearer::make_token(
            &self.creds.access_key_id,
            self.creds.secret_access_key.expose(),
            now,
        )
    }

    /// Sends one request and decodes the JSON answer, mapping API errors to types.
    /// `subject` names the secret or object for error messages.
    pub fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        subject: &str,
    ) -> Result<Value, ClientError> {
        let url = format!("{}{}", self.creds.addr.trim_end_matches('/'), path);
        let mut req = self
            .http
            .request(method, &url)
            .bearer_auth(self.token())
            .query(query);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().map_err(|e| {
            ClientError::Transport(format!(
                "cannot reach keyward at {}: {e}. Is the server running (`keyward dev` or `keyward serve`) and KEYWARD_ADDR right?",
                self.creds.addr
            ))
        })?;
        let status = resp.status();
        let text = resp
            .text()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(v);
        }
        let code = v["error"]["code"].as_str().unwrap_or("unknown").to_string();
        let message = v["error"]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(match code.as_str() {
            "not_found" => ClientError::SecretNotFound {
                name: subject.to_string(),
                message,
            },
            "access_denied" => ClientError::AccessDenied { message },
            "missing_credentials" | "invalid_credentials" => {
                ClientError::Unauthenticated { message }
            }
            _ => ClientError::Api {
                status: status.as_u16(),
                code,
                message,
            },
        })
    }

    pub fn get_secret(
        &self,
        name: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<SecretValue, ClientError> {
        let mut q = Vec::new();
        if let Some(v) = version_id {
            q.push(("version_id", v.to_string()));
        }
        if let Some(s) = stage {
            q.push(("stage", s.to_string()));
        }
        let v = self.call(
            reqwest::Method::GET,
            &format!("/v1/secrets/{}", encode_name(name)),
            &q,
            None,
            name,
        )?;
        parse_secret_value(&v, name)
    }

    /// Reads the current values of up to 100 secrets in one request. Each name gets
    /// its own result (a missing or forbidden secret does not fail the others).
    pub fn get_secrets(&self, names: &[String]) -> Result<Vec<BatchItem>, ClientError> {
        let v = self.call(
            reqwest::Method::POST,
            "/v1/batch/get",
            &[],
            Some(&json!({"names": names})),
            "batch",
        )?;
        let mut out = Vec::new();
        for s in v["secrets"].as_array().into_iter().flatten() {
            let name = s["name"].as_str().unwrap_or_default().to_string();
            out.push((name.clone(), parse_secret_value(s, &name)));
        }
        for e in v["errors"].as_array().into_iter().flatten() {
            let name = e["name"].as_str().unwrap_or_default().to_string();
            let message = e["message"].as_str().unwrap_or_default().to_string();
            let err = match e["code"].as_str().unwrap_or_default() {
                "not_found" => ClientError::SecretNotFound {
                    name: name.clone(),
                    message,
                },
                "access_denied" => ClientError::AccessDenied { message },
                code => ClientError::Api {
                    status: 400,
                    code: code.to_string(),
                    message,
                },
            };
            out.push((name, Err(err)));
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
    ) -> Result<Value, ClientError> {
        let mut body = json!({});
        if binary || std::str::from_utf8(value.expose()).is_err() {
            body["value_base64"] =
                json!(base64::engine::general_purpose::STANDARD.encode(value.expose()));
        } else {
            body["value"] = json!(std::str::from_utf8(value.expose()).unwrap_or_default());
        }
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        self.call(
            reqwest::Method::PUT,
            &format!("/v1/secrets/{}", encode_name(name)),
            &[],
            Some(&body),
            name,
        )
    }

    /// `get_secret_or_env` from the seed's `load_secret_or_env`: the store first,
    /// then the environment variable (for local development without a server).
    /// [`CachedClient::get_secret_or_env`] does the same through the cache.
    pub fn get_secret_or_env(
        &self,
        name: &str,
        env_var: &str,
        field: Option<&str>,
    ) -> Result<SecretString, ClientError> {
        SecretSource::get_secret_or_env(self, name, env_var, field)
    }
}

impl SecretSource for Client {
    fn current(&self, name: &str) -> Result<SecretValue, ClientError> {
        self.get_secret(name, None, None)
    }
}

/// Decodes one secret read (`value` or `value_base64`) from the native API.
fn parse_secret_value(v: &Value, name: &str) -> Result<SecretValue, ClientError> {
    let (value, is_binary) = if let Some(s) = v["value"].as_str() {
        (SecretBytes::new(s.as_bytes().to_vec()), false)
    } else if let Some(b) = v["value_base64"].as_str() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|_| ClientError::Decode("the server sent invalid base64".into()))?;
        (SecretBytes::new(bytes), true)
    } else {
        return Err(ClientError::Decode(
            "the server's answer has no value".into(),
        ));
    };
    Ok(SecretValue {
        name: v["name"].as_str().unwrap_or(name).to_string(),
        arn: v["arn"].as_str().unwrap_or_default().to_string(),
        version_id: v["version_id"].as_str().unwrap_or_default().to_string(),
        stages: v["stages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        value,
        is_binary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_decode_from_text_and_base64() {
        let v = parse_secret_value(
            &json!({"name": "/a/b", "arn": "arn:x", "version_id": "v1", "stages": ["AWSCURRENT"], "value": "s3cret"}),
            "/a/b",
        )
        .unwrap();
        assert_eq!(v.text().unwrap().expose(), "s3cret");
        assert!(!v.is_binary && v.stages == ["AWSCURRENT"]);
        let b = parse_secret_value(&json!({"value_base64": "AP8="}), "/bin").unwrap();
        assert!(b.is_binary && b.value.expose() == [0u8, 255]);
        assert_eq!(b.name, "/bin");
        assert!(matches!(b.text(), Err(ClientError::Decode(_))));
        assert!(parse_secret_value(&json!({"value_base64": "!!"}), "x").is_err());
        assert!(parse_secret_value(&json!({}), "x").is_err());
    }

    #[test]
    fn json_fields_and_their_errors_name_no_value() {
        let v = parse_secret_value(
            &json!({"value": r#"{"password":"pw-9","port":5432,"none":null}"#}),
            "/db",
        )
        .unwrap();
        assert_eq!(v.field("password").unwrap().expose(), "pw-9");
        assert_eq!(v.field("port").unwrap().expose(), "5432");
        for missing in ["none", "user"] {
            let e = v.field(missing).unwrap_err().to_string();
            assert!(e.contains("/db") && !e.contains("pw-9"), "{e}");
        }
        let plain = parse_secret_value(&json!({"value": "pw-9"}), "/p").unwrap();
        let e = plain.field("x").unwrap_err().to_string();
        assert!(
            e.contains("not a JSON object") && !e.contains("pw-9"),
            "{e}"
        );
    }

    #[test]
    fn names_are_percent_encoded_whole() {
        assert_eq!(encode_name("/a/b c"), "%2Fa%2Fb%20c");
    }
}
