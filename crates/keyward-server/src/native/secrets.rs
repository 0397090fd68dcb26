//! `/v1/secrets`: create, put, get, list, history, delete, restore.

use super::{Bearer, Call, audited, audited_on, query, read_json};
use crate::action::Action;
use crate::authz::AuthzExtras;
use crate::body_limit::LimitedBody;
use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::names::validate_secret_name;
use crate::ops::{AWSCURRENT, Value};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use keyward_api::secrets::{
    DeleteQuery, Deleted, History, ListQuery, ReadQuery, Restored, SecretInfo, SecretList,
    SecretValue, VersionInfo, WriteSecret, WriteSecretResult,
};
use keyward_crypto::SecretBytes;
use keyward_store::{Namespace, Secret, Tag, ValueKind, Version, VersionSelector};
use serde_json::json;
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/secrets", get(list).post(create))
        .route("/v1/secrets/{*name}", get(read).put(put).delete(delete))
        .route("/v1/history/{*name}", get(history))
        .route("/v1/restore/{*name}", post(restore))
}

fn body_value(b: &WriteSecret) -> Result<Option<Value>, ApiError> {
    let value = decode_body_value(b)?;
    if let Some(v) = &value
        && v.bytes.len() > crate::ops::MAX_VALUE_BYTES
    {
        return Err(ApiError::PayloadTooLarge(format!(
            "the value is {} bytes; a secret value can be at most {} bytes (as in AWS Secrets Manager)",
            v.bytes.len(),
            crate::ops::MAX_VALUE_BYTES
        )));
    }
    Ok(value)
}

fn decode_body_value(b: &WriteSecret) -> Result<Option<Value>, ApiError> {
    match (&b.value, &b.value_base64) {
        (Some(_), Some(_)) => Err(ApiError::InvalidParameter(
            "send either `value` or `value_base64`, not both".into(),
        )),
        (Some(v), None) => Ok(Some(Value {
            kind: ValueKind::String,
            bytes: SecretBytes::new(v.expose().as_bytes().to_vec()),
        })),
        (None, Some(b64)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.expose())
                .map_err(|_| {
                    ApiError::InvalidParameter("`value_base64` is not valid base64".into())
                })?;
            Ok(Some(Value {
                kind: ValueKind::Binary,
                bytes: SecretBytes::new(bytes),
            }))
        }
        (None, None) => Ok(None),
    }
}

fn check_token(token: &Option<String>) -> Result<(), ApiError> {
    if let Some(t) = token
        && (t.len() < 32 || t.len() > 64 || !t.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(ApiError::InvalidParameter(
            "client_request_token must be 32–64 printable ASCII characters (a UUID works)".into(),
        ));
    }
    Ok(())
}

pub(crate) fn secret_info(s: &Secret) -> SecretInfo {
    SecretInfo {
        name: s.name.clone(),
        arn: s.arn.clone(),
        description: s.description.clone(),
        tags: s.tags.iter().map(api_tag).collect(),
        created_at: rfc3339(s.created_at),
        updated_at: rfc3339(s.updated_at),
        deleted_at: s.deleted_at.map(rfc3339),
        rotation: s.rotation.clone(),
    }
}

pub(crate) fn version_info(v: &Version) -> VersionInfo {
    VersionInfo {
        version_id: v.version_id.clone(),
        stages: v.stages.clone(),
        created_at: rfc3339(v.created_at),
        created_by: v.created_by.clone(),
        kind: v.kind.as_str().to_string(),
    }
}

pub(crate) fn api_tag(t: &Tag) -> keyward_api::Tag {
    keyward_api::Tag {
        key: t.key.clone(),
        value: t.value.clone(),
    }
}

pub(crate) fn store_tags(tags: &[keyward_api::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// [`audited_on`] for a request on the secret `name` in the default region: the
/// audit record names the ARN it would have even when authentication fails (`op`
/// refines it to the secret's own).
async fn audited_on_secret<T, F>(
    st: &AppState,
    meta: &RequestMeta,
    auth: Bearer,
    action: Action,
    name: &str,
    op: F,
) -> Response
where
    T: IntoResponse,
    F: AsyncFnOnce(Call<'_>, &mut Audit) -> Result<T, ApiError>,
{
    let target = st.would_be_arn(Namespace::Secrets, &st.cfg.default_region, name);
    audited_on(st, meta, auth, action, Some(target), op).await
}

/// Authorizes creating the secret `name` in `region`, with the request's condition
/// keys and the region: a CreateSecret, whether the request is one or a put of a
/// new name.
fn authorize_create(
    call: &Call<'_>,
    audit: &mut Audit,
    meta: &RequestMeta,
    region: &str,
    name: &str,
) -> Result<(), ApiError> {
    let would_be = call.st.would_be_arn(Namespace::Secrets, region, name);
    audit.resource(would_be.clone());
    call.authorize_also(
        Action::CreateSecret,
        &would_be,
        &AuthzExtras {
            region: Some(region),
            ..super::extras(meta)
        },
    )
}

/// Creates the secret `name` as `b` describes it, with `value` as its first
/// version if given, and answers 201 with it.
async fn create_new(
    call: &Call<'_>,
    audit: &mut Audit,
    b: &WriteSecret,
    region: &str,
    name: &str,
    value: Option<&Value>,
) -> Result<(http::StatusCode, Json<WriteSecretResult>), ApiError> {
    let version_id = b
        .client_request_token
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let arn = call.st.secret_arn(region, name);
    let (secret, version) = call
        .st
        .create_secret(
            &call.caller,
            audit,
            Namespace::Secrets,
            region,
            name,
            arn,
            value.map(|v| (v, version_id)),
            b.description.clone(),
            None,
            store_tags(&b.tags),
            json!({}),
        )
        .await?;
    Ok((
        http::StatusCode::CREATED,
        Json(WriteSecretResult {
            secret: secret_info(&secret),
            version: version.as_ref().map(version_info),
            created: true,
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/secrets",
    tag = "secrets",
    summary = "Create a secret, with a first version when a value is given",
    request_body = keyward_api::secrets::WriteSecret,
    responses((status = 201, description = "Success", body = keyward_api::secrets::WriteSecretResult), (status = 400, description = "Invalid input", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 409, description = "A secret of that name exists", body = keyward_api::ErrorBody), (status = 413, description = "Body or value too large", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:CreateSecret")))
,
    operation_id = "createSecret"
)]
pub(super) async fn create(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited(
        &st,
        &meta,
        auth,
        Action::CreateSecret,
        async |call, audit| {
            let b: WriteSecret = read_json(body).await?;
            let name = b
                .name
                .clone()
                .ok_or_else(|| ApiError::InvalidParameter("`name` is required".into()))?;
            validate_secret_name(&name)?;
            check_token(&b.client_request_token)?;
            let region = st.cfg.default_region.clone();
            authorize_create(&call, audit, &meta, &region, &name)?;
            let value = body_value(&b)?;
            create_new(&call, audit, &b, &region, &name, value.as_ref()).await
        },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/secrets/{name}",
    tag = "secrets",
    summary = "Write a new version (201 and CreateSecret when the secret is new)",
    params(("name" = String, Path, description = "Secret name; may contain `/`")),
    request_body = keyward_api::secrets::WriteSecret,
    responses((status = 200, description = "Success", body = keyward_api::secrets::WriteSecretResult), (status = 400, description = "Invalid input", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 201, description = "Created", body = keyward_api::secrets::WriteSecretResult), (status = 413, description = "Body or value too large", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:PutSecretValue")))
,
    operation_id = "putSecretValue"
)]
pub(super) async fn put(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
    body: LimitedBody,
) -> Response {
    audited_on_secret(&st, &meta, auth, Action::PutSecretValue, &name, async |call, audit| {
        let b: WriteSecret = read_json(body).await?;
        validate_secret_name(&name)?;
        check_token(&b.client_request_token)?;
        let value = body_value(&b)?.ok_or_else(|| ApiError::InvalidParameter("`value` or `value_base64` is required".into()))?;
        let region = st.cfg.default_region.clone();
        let existing = st.find_secret(Namespace::Secrets, &region, &name).await?;
        let Some(secret) = existing else {
            // `keyward put` of a new name creates it: audited and authorized as CreateSecret.
            audit.set_action(Action::CreateSecret);
            authorize_create(&call, audit, &meta, &region, &name)?;
            return create_new(&call, audit, &b, &region, &name, Some(&value)).await;
        };
        let secret = st.native_secret(&call.caller, audit, &meta, &secret.name, Action::PutSecretValue).await?;
        if secret.deleted_at.is_some() {
            return Err(ApiError::InvalidRequest(format!(
                "secret {name} is scheduled for deletion; restore it with `keyward restore {name}` first"
            )));
        }
        let stages = b.stages.clone().unwrap_or_else(|| vec![AWSCURRENT.to_string()]);
        let out = st.put_value(&call.caller, audit, &secret, &value, b.client_request_token.clone(), stages).await?;
        Ok((http::StatusCode::OK, Json(WriteSecretResult { secret: secret_info(&secret), version: Some(version_info(out.version())), created: false })))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/secrets/{name}",
    tag = "secrets",
    summary = "Read a secret value (AWSCURRENT unless a version or stage is named)",
    params(("name" = String, Path, description = "Secret name; may contain `/`"), keyward_api::secrets::ReadQuery),
    responses((status = 200, description = "Success", body = keyward_api::secrets::SecretValue), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:GetSecretValue")))
,
    operation_id = "getSecretValue"
)]
pub(super) async fn read(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
    q: Result<Query<ReadQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    audited_on_secret(
        &st,
        &meta,
        auth,
        Action::GetSecretValue,
        &name,
        async |call, audit| {
            let q = query(q)?;
            let selector = match (q.version_id, q.stage) {
                (Some(id), _) => VersionSelector::Id(id),
                (None, Some(stage)) => VersionSelector::Stage(stage),
                (None, None) => VersionSelector::Stage(AWSCURRENT.into()),
            };
            let (secret, version, value) = st
                .native_secret_version(&call.caller, audit, &meta, &name, &selector)
                .await?;
            let text = match value.kind {
                ValueKind::String => std::str::from_utf8(value.bytes.expose()).ok(),
                ValueKind::Binary => None,
            };
            let out = SecretValue {
                name: secret.name,
                arn: secret.arn,
                version_id: version.version_id,
                stages: version.stages,
                created_at: rfc3339(version.created_at),
                value: text.map(|t| keyward_crypto::SecretString::new(t.to_string())),
                value_base64: text.is_none().then(|| {
                    keyward_crypto::SecretString::new(
                        base64::engine::general_purpose::STANDARD.encode(value.bytes.expose()),
                    )
                }),
            };
            Ok(crate::scrub::SecretBody(out))
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/secrets",
    tag = "secrets",
    summary = "List secrets (never values)",
    params(keyward_api::secrets::ListQuery),
    responses((status = 200, description = "Success", body = keyward_api::secrets::SecretList), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:ListSecrets")))
,
    operation_id = "listSecrets"
)]
pub(super) async fn list(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    audited_on(
        &st,
        &meta,
        auth,
        Action::ListSecrets,
        Some("*".into()),
        async |call, audit| {
            let q = query(q)?;
            let region = st.cfg.default_region.clone();
            // Before authorizing, so that a denial's audit record names it too.
            audit.resource(q.prefix.clone().unwrap_or_else(|| "*".into()));
            call.authorize_with("*", &super::extras(&meta))?;
            let limit = q.limit.unwrap_or(100);
            if limit == 0 || limit > 1000 {
                return Err(ApiError::InvalidParameter(
                    "limit must be between 1 and 1000".into(),
                ));
            }
            let after = match &q.next_token {
                Some(t) => Some(
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(t)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .ok_or_else(|| {
                            ApiError::InvalidParameter(
                                "next_token is not one this server issued".into(),
                            )
                        })?,
                ),
                None => None,
            };
            let mut rows = st
                .store
                .list_secrets(&keyward_store::ListQuery {
                    namespace: Namespace::Secrets,
                    region,
                    name_prefix: q.prefix.clone(),
                    include_deleted: q.include_deleted,
                    after_name: after,
                    limit: Some(limit + 1),
                })
                .await
                .map_err(ApiError::from)?;
            let next = if rows.len() > limit {
                rows.truncate(limit);
                rows.last()
                    .map(|s| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&s.name))
            } else {
                None
            };
            let prefix = q.prefix.unwrap_or_default();
            let secrets: Vec<SecretInfo> = rows
                .iter()
                .filter(|s| {
                    q.recursive.unwrap_or(true)
                        || !s.name[prefix.len().min(s.name.len())..]
                            .trim_start_matches('/')
                            .contains('/')
                })
                .map(secret_info)
                .collect();
            Ok(Json(SecretList {
                secrets,
                next_token: next,
            }))
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/history/{name}",
    tag = "secrets",
    summary = "List a secret's versions, newest first",
    params(("name" = String, Path, description = "Secret name; may contain `/`")),
    responses((status = 200, description = "Success", body = keyward_api::secrets::History), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:ListSecretVersionIds")))
,
    operation_id = "listSecretVersions"
)]
pub(super) async fn history(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    audited_on_secret(
        &st,
        &meta,
        auth,
        Action::ListSecretVersionIds,
        &name,
        async |call, audit| {
            let secret = st
                .native_secret(
                    &call.caller,
                    audit,
                    &meta,
                    &name,
                    Action::ListSecretVersionIds,
                )
                .await?;
            let versions = st
                .store
                .list_versions(secret.id)
                .await
                .map_err(ApiError::from)?;
            Ok(Json(History {
                name: secret.name,
                arn: secret.arn,
                versions: versions.iter().rev().map(version_info).collect(),
            }))
        },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/secrets/{name}",
    tag = "secrets",
    summary = "Schedule deletion (or purge now with force=true)",
    params(("name" = String, Path, description = "Secret name; may contain `/`"), keyward_api::secrets::DeleteQuery),
    responses((status = 200, description = "Success", body = keyward_api::secrets::Deleted), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:DeleteSecret")))
,
    operation_id = "deleteSecret"
)]
pub(super) async fn delete(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
    q: Result<Query<DeleteQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    audited_on_secret(
        &st,
        &meta,
        auth,
        Action::DeleteSecret,
        &name,
        async |call, audit| {
            let q = query(q)?;
            let secret = st
                .native_secret(&call.caller, audit, &meta, &name, Action::DeleteSecret)
                .await?;
            let r = crate::lifecycle::delete_secret(
                &st,
                &secret,
                q.recovery_window_days,
                q.force,
                audit,
            )
            .await?;
            Ok(Json(Deleted {
                name: secret.name,
                arn: secret.arn,
                deletion_date: r.map(rfc3339),
                purged: r.is_none(),
            }))
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/restore/{name}",
    tag = "secrets",
    summary = "Cancel a scheduled deletion",
    params(("name" = String, Path, description = "Secret name; may contain `/`")),
    responses((status = 200, description = "Success", body = keyward_api::secrets::Restored), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("secretsmanager:RestoreSecret")))
,
    operation_id = "restoreSecret"
)]
pub(super) async fn restore(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    audited_on_secret(
        &st,
        &meta,
        auth,
        Action::RestoreSecret,
        &name,
        async |call, audit| {
            let secret = st
                .native_secret(&call.caller, audit, &meta, &name, Action::RestoreSecret)
                .await?;
            crate::lifecycle::restore_secret(&st, &secret, audit).await?;
            Ok(Json(Restored {
                name: secret.name,
                arn: secret.arn,
                restored: true,
            }))
        },
    )
    .await
}
