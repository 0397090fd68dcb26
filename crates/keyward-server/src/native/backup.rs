//! `POST /v1/sys/backup`: an encrypted backup of the running server's data,
//! made from a consistent snapshot while requests keep being served.

use super::{Bearer, audited, read_json};
use crate::action::Action;
use crate::body_limit::LimitedBody;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use keyward_api::sys::{CreateBackup, RestoredSecret};
use std::sync::Arc;

pub const ACTION_CREATE_BACKUP: Action = Action::CreateBackup;
pub const ACTION_RESTORE_SECRET: Action = Action::RestoreFromBackup;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/sys/backup", post(create))
        .route("/v1/sys/restore-secret", post(restore_secret))
}

/// Restores one secret's history from a backup (the CLI decrypts the backup and
/// sends the secret with its values still sealed). Each value is opened with this
/// server's keyring, so a backup of another keyring is refused, and re-sealed
/// for the restored record. The secret (any current one of that name included)
/// is replaced whole, in one transaction, and audited.
#[utoipa::path(
    post,
    path = "/v1/sys/restore-secret",
    tag = "sys",
    summary = "Restore one secret's history from a backup",
    request_body(content = Object, description = "One secret exported from a backup, as keyward-backup writes it"),
    responses((status = 200, description = "Success", body = RestoredSecret), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:RestoreSecret")))
)]
pub(super) async fn restore_secret(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    let body: Result<keyward_backup::SecretExport, ApiError> = read_json(body).await;
    audited(&st, &meta, auth, ACTION_RESTORE_SECRET, async |call, audit| {
        let export = body?;
        audit.resource(export.arn.clone());
        check_export_names_itself(&st, &export)?;
        call.authorize(&export.arn)?;
        // The values open under `export.id` whatever name they are restored under,
        // so only an export made with this keyring (the CLI holding the root key)
        // is taken: otherwise a sealed value from any backup could be restored
        // under a name the caller may read.
        if !export.tag_matches(&st.keys()?.audit_key) {
            return Err(ApiError::InvalidParameter(
                "the export is not signed with this server's keyring: restore with `keyward backup restore FILE --secret NAME` and the root key of the backup's time".into(),
            ));
        }
        let id = uuid::Uuid::new_v4();
        let mut versions = Vec::with_capacity(export.versions.len());
        for v in &export.versions {
            let sealed = hex::decode(&v.sealed).map_err(|_| {
                ApiError::InvalidParameter(format!("version {}: sealed is not hex", v.version_id))
            })?;
            let plain = st
                .keys()?
                .keyring
                .open(&sealed, &crate::ops::value_aad(export.id, &v.version_id))
                .map_err(|e| {
                    ApiError::InvalidParameter(format!(
                        "version {} of {} does not open with this server's keyring ({e}): restore the backup into its own data directory instead",
                        v.version_id, export.name
                    ))
                })?;
            let value = crate::ops::Value {
                kind: v.kind,
                bytes: keyward_crypto::SecretBytes::new(plain.to_vec()),
            };
            let (sealed, value_mac) = st.seal_value(id, &v.version_id, &value)?;
            versions.push(keyward_store::NewVersion {
                version_id: v.version_id.clone(),
                kind: v.kind,
                sealed,
                value_mac,
                created_by: v.created_by.clone(),
                stages: v.stages.clone(),
                metadata: v.metadata.clone(),
            });
        }
        let replacing = st
            .store
            .get_secret(keyward_store::Namespace::Secrets, &export.region, &export.name)
            .await?;
        // The secret it replaces is destroyed with its history: the caller needs the
        // action on it too, whatever ARN the backup gave the restored one.
        if let Some(current) = &replacing
            && current.arn != export.arn
        {
            call.authorize(&current.arn)?;
        }
        let replacing = replacing.map(|s| s.id);
        let secret = keyward_store::NewSecret {
            id,
            namespace: keyward_store::Namespace::Secrets,
            region: export.region.clone(),
            name: export.name.clone(),
            arn: export.arn.clone(),
            description: export.description.clone(),
            kms_key_id: export.kms_key_id.clone(),
            tags: export.tags.clone(),
            metadata: export.metadata.clone(),
        };
        let written = st
            .write(audit, async |w| {
                st.store.replace_secret(replacing, secret, versions, w).await
            })
            .await?;
        st.publish(&written, "put", None);
        tracing::warn!(secret = %written.name, "secret restored from a backup");
        Ok(axum::Json(RestoredSecret {
            name: written.name,
            arn: written.arn,
            versions: export.versions.len() as u64,
        }))
    })
    .await
}

/// The ARN a restore is authorized against must be the one the record is stored
/// under: this account's ARN for the export's region and name (with AWS's random
/// suffix). Without this check a caller allowed to restore one secret could name
/// another in `name` and replace it.
fn check_export_names_itself(
    st: &AppState,
    export: &keyward_backup::SecretExport,
) -> Result<(), ApiError> {
    crate::names::validate_secret_name(&export.name)?;
    if !keyward_policy::arn::is_valid_region(&export.region) {
        return Err(ApiError::InvalidParameter(format!(
            "the export's region {:?} is not a region name",
            export.region
        )));
    }
    if !keyward_policy::arn::is_secret_arn_of(
        &export.arn,
        &export.region,
        &st.cfg.account_id,
        &export.name,
    ) {
        return Err(ApiError::InvalidParameter(format!(
            "the export's arn {} is not the ARN of secret {} in {} of account {}: restore the backup file as `keyward backup` wrote it",
            export.arn, export.name, export.region, st.cfg.account_id
        )));
    }
    Ok(())
}

/// The backup file's bytes. The manifest's counts go in a header so the caller
/// can show them without decrypting.
#[utoipa::path(
    post,
    path = "/v1/sys/backup",
    tag = "sys",
    summary = "An encrypted backup of everything, from a consistent snapshot",
    request_body = CreateBackup,
    responses((status = 200, description = "The backup file; the manifest's counts (JSON) are in the x-keyward-backup-counts header", content(("application/octet-stream")), headers(("x-keyward-backup-counts" = String, description = "The manifest's counts, JSON"))), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:CreateBackup")))
)]
pub(super) async fn create(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    let body: Result<CreateBackup, ApiError> = read_json(body).await;
    audited(
        &st,
        &meta,
        auth,
        ACTION_CREATE_BACKUP,
        async |call, audit| {
            audit.resource("*");
            call.authorize("*")?;
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
