//! `POST /v1/sys/backup`: an encrypted backup of the running server's data,
//! made from a consistent snapshot while requests keep being served.

use super::{audited, read_json};
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use http::HeaderMap;
use serde::Deserialize;
use std::sync::Arc;

pub const ACTION_CREATE_BACKUP: &str = "keyward:CreateBackup";

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/sys/backup", post(create))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    /// age X25519 recipients (`age1...`); none: encrypted to the root key.
    #[serde(default)]
    recipients: Vec<String>,
}

/// The backup file's bytes. The manifest's counts go in a header so the caller
/// can show them without decrypting.
async fn create(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body: Result<CreateBody, ApiError> = read_json(&st, body).await;
    audited(
        &st,
        &meta,
        &headers,
        ACTION_CREATE_BACKUP,
        async |caller, audit| {
            audit.resource("*");
            st.authorize(&caller, ACTION_CREATE_BACKUP, "*", &Default::default())?;
            let body = body?;
            let db = st.cfg.db_path.clone().ok_or_else(|| {
                ApiError::NotSupported(
                    "online backups need a SQLite data directory; this server's store is not one"
                        .into(),
                )
            })?;
            let target = if body.recipients.is_empty() {
                keyward_backup::Target::RootKey
            } else {
                keyward_backup::parse_recipients(&body.recipients)
                    .map_err(|e| ApiError::InvalidParameter(e.to_string()))?
            };
            let audit_key = st.keys()?.audit_key.clone();
            let request_id = meta.request_id.clone();
            let (bytes, manifest) = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                keyward_backup::backup_live(&db, &audit_key, &target, &mut out, &|_, _| {})
                    .map(|m| (out, m))
            })
            .await
            .map_err(|_| ApiError::Internal {
                request_id: request_id.clone(),
            })?
            .map_err(|e| {
                tracing::error!(error = %e, "backup failed");
                ApiError::Internal { request_id }
            })?;
            tracing::info!(
                secrets = manifest.counts.secrets,
                audit_records = manifest.counts.audit_records,
                bytes = bytes.len(),
                "backup created"
            );
            let counts = serde_json::to_string(&manifest.counts).unwrap_or_default();
            Ok((
                [
                    (
                        http::header::CONTENT_TYPE,
                        "application/octet-stream".to_string(),
                    ),
                    (
                        http::HeaderName::from_static("x-keyward-backup-counts"),
                        counts,
                    ),
                ],
                bytes,
            ))
        },
    )
    .await
}
