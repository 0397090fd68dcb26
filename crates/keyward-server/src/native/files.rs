//! `/v1/files/recipients`: server recipients for encrypted config files (see
//! `crate::file_recipients`). Creating, listing and describing a recipient expose
//! only its public key; `…/decrypt` opens values encrypted to it for callers with
//! `keyward:DecryptFile` on its ARN, and leaves one audit record per request whose
//! `count` is the number of values opened.

use super::{Bearer, audited, audited_on, read_json};
use crate::action::Action;
use crate::body_limit::LimitedBody;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::file_recipients::{Opened, open_all};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use keyward_api::files::{
    CreateFileRecipient, DecryptValues, DecryptedValue, DecryptedValues, FileRecipientInfo,
    FileRecipientList, MAX_DECRYPT_VALUES,
};
use keyward_crypto::SecretString;
use keyward_store::FileRecipient;
use std::sync::Arc;

const CREATE: Action = Action::CreateFileRecipient;
const LIST: Action = Action::ListFileRecipients;
const DESCRIBE: Action = Action::GetFileRecipient;
const DECRYPT: Action = Action::DecryptFile;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/files/recipients", post(create).get(list))
        .route("/v1/files/recipients/{name}", get(describe))
        .route("/v1/files/recipients/{name}/decrypt", post(decrypt))
}

fn info(st: &AppState, r: &FileRecipient) -> FileRecipientInfo {
    FileRecipientInfo {
        name: r.name.clone(),
        arn: st.file_recipient_arn(&r.name),
        recipient: r.recipient.clone(),
        created_at: r
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    }
}

#[utoipa::path(
    post,
    path = "/v1/files/recipients",
    tag = "files",
    summary = "Create a server recipient: an age identity whose private key never leaves the server; encrypt files to the `recipient` it returns",
    request_body = CreateFileRecipient,
    responses((status = 200, description = "Success", body = FileRecipientInfo), (status = 400, description = "Invalid input", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 409, description = "The name is taken", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:CreateFileRecipient")))
)]
pub(super) async fn create(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited(&st, &meta, auth, CREATE, async |call, audit| {
        let req: CreateFileRecipient = read_json(body).await?;
        let arn = st.file_recipient_arn(&req.name);
        audit.resource(arn.clone());
        call.authorize(&arn)?;
        let r = st.create_file_recipient(&req.name, audit).await?;
        Ok(Json(info(&st, &r)))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/files/recipients",
    tag = "files",
    summary = "List the server recipients (public keys only)",
    responses((status = 200, description = "Success", body = FileRecipientList), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:ListFileRecipients")))
)]
pub(super) async fn list(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
) -> Response {
    audited_on(
        &st,
        &meta,
        auth,
        LIST,
        Some("*".into()),
        async |call, _audit| {
            call.authorize("*")?;
            st.keys()?;
            let all = st
                .store
                .list_file_recipients()
                .await
                .map_err(ApiError::from)?;
            Ok(Json(FileRecipientList {
                recipients: all.iter().map(|r| info(&st, r)).collect(),
            }))
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/files/recipients/{name}",
    tag = "files",
    summary = "One server recipient's public key",
    params(("name" = String, Path, description = "The recipient's name")),
    responses((status = 200, description = "Success", body = FileRecipientInfo), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 404, description = "No such recipient", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:GetFileRecipient")))
)]
pub(super) async fn describe(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    let arn = st.file_recipient_arn(&name);
    audited_on(
        &st,
        &meta,
        auth,
        DESCRIBE,
        Some(arn.clone()),
        async |call, _audit| {
            call.authorize(&arn)?;
            st.keys()?;
            let r = st.file_recipient(&name).await?;
            Ok(Json(info(&st, &r)))
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/files/recipients/{name}/decrypt",
    tag = "files",
    summary = "Decrypt values of an encrypted file that were encrypted to this server recipient; audited, with the count of values opened",
    params(("name" = String, Path, description = "The recipient's name")),
    request_body = DecryptValues,
    responses((status = 200, description = "Success: one outcome per value, in order", body = DecryptedValues), (status = 400, description = "Invalid input", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 404, description = "No such recipient", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:DecryptFile")))
)]
pub(super) async fn decrypt(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
    body: LimitedBody,
) -> Response {
    let arn = st.file_recipient_arn(&name);
    audited_on(
        &st,
        &meta,
        auth,
        DECRYPT,
        Some(arn.clone()),
        async |call, audit| {
            call.authorize(&arn)?;
            let req: DecryptValues = read_json(body).await?;
            if req.values.is_empty() || req.values.len() > MAX_DECRYPT_VALUES {
                return Err(ApiError::InvalidParameter(format!(
                    "send 1–{MAX_DECRYPT_VALUES} values per request; got {}",
                    req.values.len()
                )));
            }
            let r = st.file_recipient(&name).await?;
            let identity = st.file_identity(&r)?;
            let ciphertexts: Vec<String> =
                req.values.iter().map(|v| v.age_base64.clone()).collect();
            let opened = tokio::task::spawn_blocking(move || open_all(&identity, &ciphertexts))
                .await
                .map_err(|_| ApiError::Internal {
                    request_id: meta.request_id.clone(),
                })?;
            let mut out = Vec::with_capacity(opened.len());
            let mut count = 0u64;
            for (v, o) in req.values.into_iter().zip(opened) {
                let (value_base64, error) = match o {
                    Opened::Value(bytes) => {
                        count += 1;
                        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes.expose());
                        (Some(SecretString::new(b64)), None)
                    }
                    Opened::NotARecipient => (None, Some("not_a_recipient".to_string())),
                    Opened::Corrupt => (None, Some("corrupt".to_string())),
                };
                out.push(DecryptedValue {
                    path: v.path,
                    value_base64,
                    error,
                });
            }
            // One record for the request: how many values this caller opened.
            audit.event.count = (count != 1).then_some(count);
            Ok(Json(DecryptedValues { values: out }))
        },
    )
    .await
}
