//! Per-request context and the audited completion of a request: every request that
//! reaches an API handler leaves exactly one audit record, written durably before
//! the response goes out.

use crate::action::Action;
use crate::auth_limit::Verdict;
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use keyward_store::{AuditEvent, AuditedWrite, Outcome};
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let source_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            // `to_str` only accepts visible ASCII, so cutting at a byte index is
            // cutting at a character.
            .map(|s| s[..s.len().min(256)].to_string());
        let request_id = parts
            .extensions
            .get::<crate::request_id::RequestId>()
            .map(|r| r.0.to_string())
            // Outside `router()` (a handler called directly), a fresh one.
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let secure_transport = parts
            .extensions
            .get::<crate::listener::Transport>()
            .is_some_and(|t| t.tls);
        Ok(Self {
            request_id,
            source_ip,
            user_agent,
            secure_transport,
        })
    }
}

/// Who the audit log names for work the server starts itself (purging expired
/// secrets, propagating a primary's change to its replicas).
pub const SYSTEM_PRINCIPAL: &str = "keyward:system";

/// Who the audit log names for what `keyward init` writes (the first admin).
pub const INIT_PRINCIPAL: &str = "keyward:init";

/// The audit record of one request, filled in as the request learns who and what.
#[derive(Debug, Clone)]
pub struct Audit {
    pub event: AuditEvent,
    /// The action the record is for; `None` only for an operation the AWS API does
    /// not know (its record carries the name as asked).
    action: Option<Action>,
    /// Set once a store write has committed this record in its own transaction
    /// (see [`AppState::write`]); a successful request then needs no second record.
    committed: bool,
}

impl Audit {
    /// A record for server-initiated work, with the system principal.
    pub fn system(action: Action) -> Self {
        let meta = RequestMeta {
            request_id: uuid::Uuid::new_v4().to_string(),
            source_ip: None,
            user_agent: None,
            secure_transport: false,
        };
        let mut audit = Self::new(&meta, action, "system");
        audit.event.principal = Some(SYSTEM_PRINCIPAL.to_string());
        audit
    }

    /// A record for another action of the same request (e.g. one replica's write
    /// during a PutSecretValue): same request id, caller and source.
    pub fn derived(&self, action: Action) -> Self {
        let mut audit = self.clone();
        audit.set_action(action);
        audit.event.resource = None;
        audit.event.version_id = None;
        audit.committed = false;
        audit
    }

    /// Whether a store write has already committed this record.
    pub fn is_committed(&self) -> bool {
        self.committed
    }

    /// The record as it stands, marked successful: what a write commits with.
    fn success_event(&self) -> AuditEvent {
        AuditEvent {
            outcome: Outcome::Success,
            error_code: None,
            ..self.event.clone()
        }
    }

    pub fn new(meta: &RequestMeta, action: Action, api: &str) -> Self {
        let mut audit = Self::named(meta, action.name(), api);
        audit.action = Some(action);
        audit
    }

    /// A record for an AWS operation keyward does not serve: it names the action
    /// as the request spelt it.
    pub fn unknown_operation(meta: &RequestMeta, action: &str) -> Self {
        Self::named(meta, action, "aws")
    }

    fn named(meta: &RequestMeta, action: &str, api: &str) -> Self {
        Self {
            committed: false,
            action: None,
            event: AuditEvent {
                time: time::OffsetDateTime::now_utc(),
                request_id: meta.request_id.clone(),
                principal: None,
                access_key_id: None,
                source_ip: meta.source_ip.clone(),
                user_agent: meta.user_agent.clone(),
                action: action.to_string(),
                resource: None,
                version_id: None,
                outcome: Outcome::Success,
                error_code: None,
                api: api.to_string(),
                count: None,
            },
        }
    }
    pub fn caller(&mut self, caller: &Caller) {
        self.event.principal = Some(caller.principal.arn.clone());
        self.event.access_key_id = Some(caller.access_key_id.clone());
    }
    pub fn unverified_key(&mut self, access_key_id: &str) {
        self.event.access_key_id = Some(access_key_id.chars().take(128).collect());
    }
    pub fn resource(&mut self, arn: impl Into<String>) {
        self.event.resource = Some(arn.into());
    }
    pub fn version(&mut self, version_id: impl Into<String>) {
        self.event.version_id = Some(version_id.into());
    }
    /// Records the request as another action (e.g. a native put of a new name is
    /// a CreateSecret).
    pub fn set_action(&mut self, action: Action) {
        self.action = Some(action);
        self.event.action = action.name().to_string();
    }

    pub fn action(&self) -> Option<Action> {
        self.action
    }
}

impl AppState {
    /// Runs one store write whose transaction also commits `audit`'s record (the
    /// event as it stands, marked successful): the change and its record become
    /// durable together or not at all. Set the record's resource and version first.
    pub async fn write<T>(
        &self,
        audit: &mut Audit,
        write: impl AsyncFnOnce(AuditedWrite) -> Result<T, keyward_store::StoreError>,
    ) -> Result<T, ApiError> {
        let keys = self.keys()?;
        let record = AuditedWrite {
            key: keys.audit_key.clone(),
            event: audit.success_event(),
        };
        let out = write(record).await.map_err(ApiError::from)?;
        audit.committed = true;
        self.feed.committed();
        // Cached callers hold principals and policies: a change to either must
        // not be served stale by this server.
        if audit.action.is_some_and(Action::invalidates_auth) {
            self.clear_auth_cache();
        }
        Ok(out)
    }

    /// Records an event that is not tied to a write (a read, a refusal) and waits
    /// until it is durable.
    pub async fn record(&self, audit: Audit) -> Result<(), ApiError> {
        let request_id = audit.event.request_id.clone();
        let keys = self.keys()?;
        keys.audit.record(audit.event).await.map_err(|e| {
            tracing::error!(request_id, error = %e, "could not store an audit record");
            ApiError::Internal { request_id }
        })
    }

    /// Records the request's audit event with its outcome and renders the response.
    /// If the record cannot be stored, the response is an error: nothing is answered
    /// that was not audited. A successful request whose write already committed its
    /// record is not recorded twice; a failure after such a write is.
    pub async fn finish<T: IntoResponse>(
        &self,
        mut audit: Audit,
        result: Result<T, ApiError>,
        render_error: fn(ApiError) -> Response,
    ) -> Response {
        let mut result = result;
        if let Err(ApiError::Internal { request_id }) = &mut result {
            // Errors are made deep in the call tree without the request at hand;
            // the id they report is the one the audit record and header carry.
            request_id.clone_from(&audit.event.request_id);
            tracing::error!(
                request_id = %request_id,
                action = %audit.event.action,
                "internal error; its cause is logged just before"
            );
        }
        match &result {
            Ok(_) => audit.event.outcome = Outcome::Success,
            Err(e) => {
                audit.event.outcome = e.outcome();
                audit.event.error_code = Some(e.aws_type().to_string());
            }
        }
        if let Err(e) = &result
            && e.outcome() == Outcome::Unauthenticated
        {
            if self.auth_limiter.on_failure(&audit.event) == Verdict::Fold {
                return render_error(ApiError::Throttled("Rate exceeded".into()));
            }
            tracing::info!(
                source = audit.event.source_ip.as_deref().unwrap_or("-"),
                access_key_id = audit.event.access_key_id.as_deref().unwrap_or("-"),
                error = e.aws_type(),
                "authentication failed"
            );
        }
        let outcome = audit.event.outcome;
        let request_id = audit.event.request_id.clone();
        let already_durable = audit.committed && result.is_ok();
        match self.keys() {
            Ok(_) if already_durable => {}
            Ok(keys) => {
                if let Err(e) = keys.audit.record(audit.event).await {
                    tracing::error!(request_id, error = %e, "could not store the audit record; refusing to answer");
                    return render_error(ApiError::Internal { request_id });
                }
            }
            // Sealed: nothing can be chained, and nothing is served either.
            Err(e) => return render_error(e),
        }
        if outcome != Outcome::Success {
            tracing::info!(request_id, outcome = outcome.as_str(), "request failed");
        }
        match result {
            Ok(v) => v.into_response(),
            Err(e) => render_error(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn meta_for(user_agent: &str) -> RequestMeta {
        let (mut parts, _) = http::Request::builder()
            .header(http::header::USER_AGENT, user_agent)
            .body(())
            .expect("request")
            .into_parts();
        let Ok(meta) = RequestMeta::from_request_parts(&mut parts, &()).await;
        meta
    }

    #[tokio::test]
    async fn user_agent_is_capped_at_256_characters() {
        let short = "boto3/1.35 md/Botocore#1.35";
        assert_eq!(meta_for(short).await.user_agent.as_deref(), Some(short));
        let exact = "a".repeat(256);
        assert_eq!(
            meta_for(&exact).await.user_agent.as_deref(),
            Some(exact.as_str())
        );
        let long = format!("{exact}{}", "b".repeat(44));
        assert_eq!(meta_for(&long).await.user_agent, Some(exact));
        // A header value that is not visible ASCII is not recorded at all.
        let (mut parts, _) = http::Request::builder()
            .header(
                http::header::USER_AGENT,
                http::HeaderValue::from_bytes("agent é".as_bytes()).expect("header"),
            )
            .body(())
            .expect("request")
            .into_parts();
        let Ok(meta) = RequestMeta::from_request_parts(&mut parts, &()).await;
        assert_eq!(meta.user_agent, None);
    }
}
