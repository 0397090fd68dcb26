//! The AWS JSON 1.1 protocol on `POST /`: `X-Amz-Target: secretsmanager.<Op>` or
//! `AmazonSSM.<Op>`, SigV4-authenticated with the same access keys as the native
//! API, authorized by the same policies and audited in the same chain. Errors are
//! rendered the way AWS shapes them (`{"__type": ..., "message": ...}`), so boto3,
//! awscli and the AWS SDKs work unchanged.

mod secretsmanager;
mod ssm;
pub mod wire;

use crate::action::{Action, Service};
use crate::authz::AuthzExtras;
use crate::body_limit::{BodyError, LimitedBody};
use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use keyward_sigv4::{RequestParts, VerifyPolicy};
use serde_json::Value;
use std::sync::Arc;

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

fn parse_target(target: &str) -> Option<(Service, &str)> {
    if let Some(op) = target.strip_prefix("secretsmanager.") {
        return Some((Service::SecretsManager, op));
    }
    if let Some(op) = target.strip_prefix("AmazonSSM.") {
        return Some((Service::Ssm, op));
    }
    None
}

/// Everything an operation handler needs about its request.
#[derive(Debug)]
pub struct AwsCtx<'a> {
    pub st: &'a AppState,
    pub caller: &'a Caller,
    /// From the SigV4 credential scope: AWS keeps data per region, and so do we.
    pub region: String,
    pub meta: &'a RequestMeta,
}

impl AwsCtx<'_> {
    /// Where the request was made from and for.
    pub fn origin(&self) -> crate::lookup::Origin<'_> {
        crate::lookup::Origin {
            meta: self.meta,
            region: &self.region,
        }
    }

    /// What authorization knows about this request, with the secret's tags and
    /// resource policy when it exists.
    pub fn extras<'s>(&'s self, secret: Option<&'s keyward_store::Secret>) -> AuthzExtras<'s> {
        self.origin().extras(secret)
    }

    /// Authorizes `action` on `resource` (an ARN), with the secret's tags and
    /// resource policy when it exists.
    pub fn authorize(
        &self,
        action: Action,
        resource: &str,
        secret: Option<&keyward_store::Secret>,
    ) -> Result<(), ApiError> {
        self.st
            .authorize(self.caller, action, resource, &self.extras(secret))
    }

    pub fn request_id(&self) -> &str {
        &self.meta.request_id
    }
}

/// HTTP status AWS uses for each error on the JSON protocol.
fn aws_status(e: &ApiError) -> http::StatusCode {
    use http::StatusCode as S;
    match e {
        ApiError::MissingAuth(_) => S::FORBIDDEN,
        ApiError::Signature { aws_type, .. }
            if *aws_type == "MissingAuthenticationTokenException" =>
        {
            S::FORBIDDEN
        }
        ApiError::Internal { .. } | ApiError::Integrity(_) => S::INTERNAL_SERVER_ERROR,
        ApiError::Sealed(_) => S::SERVICE_UNAVAILABLE,
        ApiError::Aws { status, .. } => S::from_u16(*status).unwrap_or(S::BAD_REQUEST),
        _ => S::BAD_REQUEST,
    }
}

/// AWS JSON-protocol error rendering.
pub fn render_error(e: ApiError) -> Response {
    let status = aws_status(&e);
    let aws_type = e.aws_type();
    let body =
        serde_json::json!({"__type": aws_type, "message": e.to_string(), "Message": e.to_string()});
    (
        status,
        [
            (http::header::CONTENT_TYPE, CONTENT_TYPE),
            (http::HeaderName::from_static("x-amzn-errortype"), aws_type),
        ],
        body.to_string(),
    )
        .into_response()
}

/// A successful AWS JSON-protocol answer. Answers may carry values, so each is
/// serialized into a zeroizing buffer and its tree scrubbed (see `scrub`).
#[derive(Debug)]
pub struct AwsOk(pub Value);

impl IntoResponse for AwsOk {
    fn into_response(self) -> Response {
        crate::scrub::SecretJson {
            value: self.0,
            content_type: CONTENT_TYPE,
        }
        .into_response()
    }
}

/// `POST /`: authenticate (SigV4), dispatch on `X-Amz-Target`, audit, render.
pub async fn handle(State(st): State<Arc<AppState>>, meta: RequestMeta, req: Request) -> Response {
    let (parts, body) = LimitedBody::split(req);
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let Some((service, op)) = parse_target(&target) else {
        let msg = if target.is_empty() {
            "Missing X-Amz-Target header: this endpoint speaks the AWS JSON 1.1 protocol (secretsmanager.* or AmazonSSM.*); the native API is under /v1/".to_string()
        } else {
            format!(
                "Unknown X-Amz-Target {target:?}: keyward serves secretsmanager.* and AmazonSSM.*"
            )
        };
        return render_error(ApiError::Aws {
            status: 400,
            aws_type: "UnknownOperationException",
            message: msg,
        });
    };
    let action = Action::from_aws(service, op);
    let mut audit = match action {
        Some(action) => Audit::new(&meta, action, "aws"),
        None => Audit::unknown_operation(&meta, &format!("{}:{op}", service.prefix())),
    };
    let result = async {
        // Credentials are checked as far as they can be before the body is read:
        // a request without a well-formed signature, or for a key that does not
        // exist, is answered without waiting for (or buffering) its body.
        let policy = VerifyPolicy::JSON_PROTOCOL;
        let head = RequestParts::from_http(&parts, &[]);
        let parsed = keyward_sigv4::parse_request(&head, &policy).map_err(sig_err)?;
        audit.unverified_key(&parsed.access_key_id);
        // With a session token, the key is an MFA session credential (what
        // `keyward login --mfa` hands out), checked against its token.
        let entry = match parts.headers.get(crate::mfa::SESSION_TOKEN_HEADER) {
            Some(t) => {
                let t = t.to_str().map_err(|_| {
                    ApiError::BadCredentials(
                        "The security token included in the request is invalid.".into(),
                    )
                })?;
                st.lookup_session(&parsed.access_key_id, t).await?
            }
            None => st.lookup_key(&parsed.access_key_id).await?,
        };
        let body = body.read().await.map_err(|e| match e {
            BodyError::TooLarge { limit } => ApiError::Aws {
                status: 413,
                aws_type: "RequestEntityTooLargeException",
                message: format!("Request body is larger than the {limit} byte limit"),
            },
            BodyError::Unreadable(e) => ApiError::Aws {
                status: 400,
                aws_type: "SerializationException",
                message: format!("The request body could not be read: {e}"),
            },
        })?;
        let request = RequestParts::from_http(&parts, &body);
        let scope = keyward_sigv4::verify(
            &request,
            &parsed,
            entry.secret.expose(),
            std::time::SystemTime::now(),
            &policy,
            &st.sigv4_cache,
        )
        .map_err(sig_err)?;
        check_scope(&scope, service)?;
        let caller = entry.caller.clone();
        let region = scope.region;
        audit.caller(&caller);
        // The input may carry a value: its tree is scrubbed however this ends, and
        // the body's bytes are wiped as soon as they are parsed.
        let parsed = if body.is_empty() {
            Ok(Value::Object(Default::default()))
        } else {
            serde_json::from_slice(&body)
        };
        crate::scrub::wipe(body);
        let input = crate::scrub::ScrubOnDrop(parsed.map_err(|e| ApiError::Aws {
            status: 400,
            aws_type: "SerializationException",
            message: format!("The request body is not valid JSON: {e}"),
        })?);
        let input = &input.0;
        if !input.is_object() {
            return Err(ApiError::Aws {
                status: 400,
                aws_type: "SerializationException",
                message: "The request body must be a JSON object".into(),
            });
        }
        let ctx = AwsCtx {
            st: &st,
            caller: &caller,
            region,
            meta: &meta,
        };
        // An unknown operation is refused only once its caller is known, as AWS does.
        let Some(action) = action else {
            return Err(unknown_operation(service, op));
        };
        let out = match service {
            Service::SecretsManager => {
                secretsmanager::dispatch(&ctx, &mut audit, action, input).await?
            }
            _ => ssm::dispatch(&ctx, &mut audit, action, input).await?,
        };
        Ok(AwsOk(out))
    }
    .await;
    let mut resp = st.finish(audit, result, render_error).await;
    if let Ok(v) = http::HeaderValue::from_str(&meta.request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

/// Each service's answer to an operation it does not have.
fn unknown_operation(service: Service, op: &str) -> ApiError {
    match service {
        Service::SecretsManager => ApiError::Aws {
            status: 400,
            aws_type: "UnknownOperationException",
            message: format!("Unknown operation secretsmanager.{op}"),
        },
        _ => ApiError::Aws {
            status: 400,
            aws_type: "InvalidAction",
            message: format!("Unknown operation AmazonSSM.{op}"),
        },
    }
}

fn sig_err(e: keyward_sigv4::SigV4Error) -> ApiError {
    ApiError::Signature {
        aws_type: e.aws_type(),
        message: e.message(),
    }
}

/// The credential scope must name this service and a real region name: regions
/// partition keyward's data, so a made-up one must not create a partition.
fn check_scope(scope: &keyward_sigv4::VerifiedScope, service: Service) -> Result<(), ApiError> {
    // Both services sign with their IAM prefix.
    if scope.service != service.prefix() {
        return Err(ApiError::Signature {
            aws_type: "InvalidSignatureException",
            message: format!(
                "Credential should be scoped to correct service: '{}'. ",
                service.prefix()
            ),
        });
    }
    if !keyward_policy::arn::is_valid_region(&scope.region) {
        return Err(ApiError::Signature {
            aws_type: "InvalidSignatureException",
            message: "Credential should be scoped to a valid region. ".to_string(),
        });
    }
    Ok(())
}

// ---- small helpers for reading AWS inputs with AWS-shaped validation errors

/// An `InvalidParameterException` (Secrets Manager) with `message`.
pub fn invalid_param(message: impl Into<String>) -> ApiError {
    ApiError::InvalidParameter(message.into())
}

/// An SSM `ValidationException`.
pub fn validation(message: impl Into<String>) -> ApiError {
    ApiError::Aws {
        status: 400,
        aws_type: "ValidationException",
        message: message.into(),
    }
}
