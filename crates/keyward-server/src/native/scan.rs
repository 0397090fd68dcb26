//! `POST /v1/scan/fingerprints`: what `keyward scan --managed` matches against.
//!
//! The scanner must find stored values in files without ever receiving them. So the
//! server draws a fresh random key per scan and returns only HMAC-SHA256(key, value)
//! for each value the caller may fingerprint (and for each string field of a JSON
//! secret). The key is useless after the scan, but a fingerprint still confirms a
//! guessed value offline, so it is authorized like a read: the caller needs both
//! `keyward:GetSecretFingerprint` and `secretsmanager:GetSecretValue` on each
//! secret (the others are skipped and counted), and each secret fingerprinted
//! leaves an audit record of its own.

use super::{Bearer, audited_on, parse_json, read_body};
use crate::action::Action;
use crate::authz::AuthzExtras;
use crate::body_limit::LimitedBody;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use keyward_api::scan::{Fingerprint, FingerprintRequest, Fingerprints};
use keyward_store::{ListQuery, Namespace, VersionSelector};
use std::sync::Arc;

/// The action a fingerprint is authorized (and audited) as, per secret.
const FINGERPRINT_ACTION: Action = Action::GetSecretFingerprint;
/// Also required per secret: a fingerprint reveals as much as the value to a guesser.
const READ_ACTION: Action = Action::GetSecretValue;

/// Values shorter than this are too guessable to fingerprint usefully.
const MIN_VALUE_LEN: usize = 8;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/scan/fingerprints", post(fingerprints))
}

#[utoipa::path(
    post,
    path = "/v1/scan/fingerprints",
    tag = "scan",
    summary = "Per-scan keyed fingerprints of stored values, for `keyward scan --managed` (values never leave the server)",
    request_body = FingerprintRequest,
    responses((status = 200, description = "Success", body = Fingerprints), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:GetSecretFingerprint")))
)]
pub(super) async fn fingerprints(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited_on(
        &st,
        &meta,
        auth,
        Action::GetSecretFingerprints,
        Some("*".into()),
        async |call, audit| {
            let bytes = read_body(body).await?;
            let req: FingerprintRequest = if bytes.is_empty() {
                FingerprintRequest::default()
            } else {
                parse_json(&bytes)?
            };
            audit.resource(req.prefix.clone().unwrap_or_else(|| "*".into()));
            let region = st.cfg.default_region.clone();
            let extras = AuthzExtras {
                source_ip: meta.source_ip.as_deref(),
                secure_transport: meta.secure_transport,
                region: Some(&region),
                user_agent: meta.user_agent.as_deref(),
                ..Default::default()
            };
            call.authorize_also(Action::ListSecrets, "*", &extras)?;
            let secrets = st
                .store
                .list_secrets(&ListQuery {
                    namespace: Namespace::Secrets,
                    region: region.clone(),
                    name_prefix: req.prefix.clone(),
                    include_deleted: false,
                    after_name: None,
                    limit: None,
                })
                .await
                .map_err(ApiError::from)?;
            let key = keyward_crypto::random_bytes(32);
            let mut out = Vec::new();
            let mut skipped = 0u64;
            let mut records = Vec::new();
            for secret in &secrets {
                let per_secret = AuthzExtras {
                    resource_tags: &secret.tags,
                    resource_policy: secret.resource_policy.as_deref(),
                    ..extras.clone()
                };
                // A fingerprint lets anyone who can guess the value confirm it offline,
                // so it is as sensitive as the value: both actions are required.
                let allowed = [FINGERPRINT_ACTION, READ_ACTION].into_iter().all(|action| {
                    call.authorize_also(action, &secret.arn, &per_secret)
                        .is_ok()
                });
                if !allowed {
                    skipped += 1;
                    continue;
                }
                let Some(version) = st
                    .store
                    .get_version(
                        secret.id,
                        &VersionSelector::Stage(crate::ops::AWSCURRENT.into()),
                    )
                    .await
                    .map_err(ApiError::from)?
                else {
                    continue;
                };
                let value = st.open_value(secret, &version)?;
                let bytes = value.bytes.expose();
                let mut add = |v: &[u8], field: Option<&str>| {
                    if v.len() >= MIN_VALUE_LEN {
                        // The length lets the scanner skip spans of other lengths; the
                        // caller may read the value itself (both actions are required).
                        out.push(Fingerprint {
                            fingerprint: hex::encode(keyward_crypto::keyed_fingerprint(&key, v)),
                            length: Some(v.len() as u64),
                            name: match field {
                                Some(f) => format!("{}#{f}", secret.name),
                                None => secret.name.clone(),
                            },
                        });
                    }
                };
                add(bytes, None);
                // JSON secrets ({"password": ...}) leak field by field.
                if let Ok(serde_json::Value::Object(map)) =
                    serde_json::from_slice::<serde_json::Value>(bytes)
                {
                    for (k, v) in &map {
                        if let serde_json::Value::String(s) = v {
                            add(s.as_bytes(), Some(k));
                        }
                    }
                }
                // One record per secret fingerprinted, naming it and its version.
                let mut one = audit.derived(FINGERPRINT_ACTION);
                one.resource(secret.arn.clone());
                one.version(version.version_id.clone());
                records.push(one);
            }
            for r in records {
                st.record(r).await?;
            }
            Ok(Json(Fingerprints {
                key: hex::encode(&key),
                fingerprints: out,
                skipped,
            }))
        },
    )
    .await
}
