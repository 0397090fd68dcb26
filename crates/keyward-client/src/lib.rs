//! keyward-client is the typed, blocking client for keyward's native API: it signs
//! requests with bearer tokens made from an access key, maps errors to typed
//! variants (`SecretNotFound`, `AccessDenied`, ...), and hands values back in
//! redacting, zeroizing types. It must not log or print values; callers decide.

mod alerts;
mod backup;
mod cache;
mod changes;
mod error;
mod files;
mod identities;
mod keyring;
mod mfa;
mod rotation;
mod scan;
mod secrets;
mod source;
mod sys;

pub use backup::BackupDownload;
pub use cache::{CachedClient, DEFAULT_MAX_STALE, DEFAULT_TTL};
pub use changes::ChangeStream;
pub use error::ClientError;
pub use keyring::Keyring;
/// The wire types this client speaks, re-exported so callers match its version.
pub use keyward_api as api;
pub use source::{SecretSource, is_unavailable};

use keyward_crypto::{SecretBytes, SecretString};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

pub const DEFAULT_ADDR: &str = "http://127.0.0.1:8200";

/// The header an MFA session's token travels in (the name AWS SDKs use).
pub const SESSION_TOKEN_HEADER: &str = "x-amz-security-token";

/// Where the server is and who we are.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub addr: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// The token of an MFA session credential (`keyward login --mfa`), sent
    /// beside the bearer token; `None` for a long-term access key.
    pub session_token: Option<SecretString>,
}

impl Credentials {
    /// From `KEYWARD_ADDR`, `KEYWARD_ACCESS_KEY_ID`, `KEYWARD_SECRET_ACCESS_KEY`
    /// and, for a session credential, `KEYWARD_SESSION_TOKEN`.
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
            session_token: get("KEYWARD_SESSION_TOKEN").map(SecretString::new),
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

/// One request to the native API: what `call` sends. The query and body are
/// built from `keyward-api` types by the typed methods.
struct Request<'a> {
    method: reqwest::Method,
    path: &'a str,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
}

impl<'a> Request<'a> {
    fn new(method: reqwest::Method, path: &'a str) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    fn get(path: &'a str) -> Self {
        Self::new(reqwest::Method::GET, path)
    }

    fn post(path: &'a str) -> Self {
        Self::new(reqwest::Method::POST, path)
    }

    fn put(path: &'a str) -> Self {
        Self::new(reqwest::Method::PUT, path)
    }

    fn delete(path: &'a str) -> Self {
        Self::new(reqwest::Method::DELETE, path)
    }

    /// Adds `key=value` to the query string.
    fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    /// Adds `key=value` when there is a value.
    fn query_opt(self, key: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Sends `body` as JSON.
    fn json(mut self, body: &impl Serialize) -> Result<Self, ClientError> {
        let v = serde_json::to_value(body)
            .map_err(|e| ClientError::Transport(format!("cannot encode the request: {e}")))?;
        self.body = Some(v);
        Ok(self)
    }
}

/// An error with its sources, `: `-separated. reqwest's own message is only
/// "error sending request"; the cause (refused, certificate not trusted, ...) is
/// in its sources.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut why = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        why.push_str(": ");
        why.push_str(&s.to_string());
        source = s.source();
    }
    why
}

/// Blocking client for the native API.
#[derive(Debug, Clone)]
pub struct Client {
    creds: Credentials,
    http: reqwest::blocking::Client,
}

pub fn encode_name(name: &str) -> String {
    utf8_percent_encode(name, NON_ALPHANUMERIC).to_string()
}

/// The HTTP client builder every request of this crate starts from: it trusts
/// the system's roots plus the CA certificates in the PEM file `KEYWARD_CACERT`
/// names (a private CA, or the one `keyward dev --tls` prints).
pub fn http_builder() -> Result<reqwest::blocking::ClientBuilder, ClientError> {
    let mut b = reqwest::blocking::Client::builder()
        .user_agent(concat!("keyward-client/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = std::env::var_os("KEYWARD_CACERT").filter(|p| !p.is_empty()) {
        let shown = std::path::Path::new(&path).display().to_string();
        let pem = std::fs::read(&path).map_err(|e| {
            ClientError::Config(format!("KEYWARD_CACERT: cannot read {shown}: {e}"))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            ClientError::Config(format!(
                "KEYWARD_CACERT: {shown} is not a PEM certificate bundle: {e}"
            ))
        })?;
        if certs.is_empty() {
            return Err(ClientError::Config(format!(
                "KEYWARD_CACERT: {shown} holds no PEM CERTIFICATE block"
            )));
        }
        for cert in certs {
            b = b.add_root_certificate(cert);
        }
    }
    Ok(b)
}

impl Client {
    pub fn new(creds: Credentials) -> Result<Self, ClientError> {
        let http = http_builder()?
            .timeout(Duration::from_secs(30))
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

    pub(crate) fn session_token(&self) -> Option<&SecretString> {
        self.creds.session_token.as_ref()
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

    /// Sends one request and decodes the answer into `T`, mapping API errors to
    /// types. `subject` names the secret or object for error messages; `what`
    /// names the request when the answer is not what this client expects.
    fn send<T: DeserializeOwned>(
        &self,
        req: Request<'_>,
        subject: &str,
        what: &str,
    ) -> Result<T, ClientError> {
        let v = self.call(req, subject)?;
        serde_json::from_value(v).map_err(|e| ClientError::Api {
            status: 200,
            code: "bad_response".into(),
            message: format!("the server's answer to {what} is not what this client expects ({e}); are client and server the same version?"),
        })
    }

    /// Sends one request and returns the JSON answer, mapping API errors to types.
    fn call(&self, r: Request<'_>, subject: &str) -> Result<Value, ClientError> {
        let Request {
            method,
            path,
            query,
            body,
        } = r;
        let url = format!("{}{}", self.creds.addr.trim_end_matches('/'), path);
        let mut req = self
            .http
            .request(method, &url)
            .bearer_auth(self.token())
            .query(&query);
        if let Some(t) = &self.creds.session_token {
            req = req.header(SESSION_TOKEN_HEADER, t.expose());
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = req.send().map_err(|e| {
            let why = error_chain(&e);
            ClientError::Transport(format!(
                "cannot reach keyward at {}: {why}. Is the server running (`keyward dev` or `keyward serve`) and KEYWARD_ADDR right? For an https:// server with a private CA, point KEYWARD_CACERT at the CA's PEM file",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded_whole() {
        assert_eq!(encode_name("/a/b c"), "%2Fa%2Fb%20c");
    }
}
