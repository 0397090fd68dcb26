//! `/v1/sys/rotate-root-key`, `/v1/sys/rekey-shares` (admin actions) and
//! `/v1/sys/break-glass` (emergency access with unseal shares).

use super::{Bearer, audited, read_json};
use crate::action::Action;
use crate::body_limit::LimitedBody;
use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::recovery::{Rotated, rotate_root_key};
use crate::scrub::SecretBody;
use crate::state::AppState;
use crate::unseal_guard::Refused;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use keyward_api::sys::{BreakGlass, BreakGlassKey, RekeyShares, RootKeyRotated, RotateRootKey};
use keyward_crypto::shamir::{Share, combine_shares};
use keyward_crypto::{RootKey, SecretString};
use keyward_store::{AuditedWrite, Outcome, Tag};
use std::sync::Arc;

pub const ACTION_ROTATE_ROOT_KEY: Action = Action::RotateRootKey;
pub const ACTION_REKEY_SHARES: Action = Action::RekeyShares;
/// The action break-glass use is audited as (alert rules key on it).
pub const ACTION_BREAK_GLASS: Action = Action::BreakGlass;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/sys/rotate-root-key", post(rotate))
        .route("/v1/sys/rekey-shares", post(rekey))
        .route("/v1/sys/break-glass", post(break_glass))
}

/// The answer to a rotation: the new key's id and, for a split key, its shares
/// (the only time they are shown).
fn rotated(r: Rotated) -> SecretBody<RootKeyRotated> {
    let split = !r.shares.is_empty();
    SecretBody(RootKeyRotated {
        key_id: r.key_id,
        unseal_shares: split.then(|| {
            r.shares
                .iter()
                .map(|s| SecretString::new(s.to_text().to_string()))
                .collect()
        }),
        unseal_threshold: r.threshold.filter(|_| split),
        root_key: None,
    })
}

#[utoipa::path(
    post,
    path = "/v1/sys/rotate-root-key",
    tag = "sys",
    summary = "Re-wrap the keyring under a new root key, online (new shares for a split key)",
    request_body = RotateRootKey,
    responses((status = 200, description = "Success", body = RootKeyRotated), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:RotateRootKey")))
)]
pub(super) async fn rotate(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    let body: Result<RotateRootKey, ApiError> = read_json(body).await;
    audited(
        &st,
        &meta,
        auth,
        ACTION_ROTATE_ROOT_KEY,
        async |call, audit| {
            audit.resource("*");
            call.authorize("*")?;
            let body = body?;
            let set = crate::unseal_shares::load_set(st.store.as_ref()).await?;
            let (new_root, split) = match (body.new_root_key, set) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::InvalidParameter(
                        "this root key is split into unseal shares: rotate without new_root_key and new shares are issued".into(),
                    ));
                }
                (None, None) => {
                    return Err(ApiError::InvalidParameter(
                        "send new_root_key: the new key must be saved by the operator before the old one stops working".into(),
                    ));
                }
                (Some(k), None) => (
                    RootKey::from_text(k.expose())
                        .map_err(|e| ApiError::InvalidParameter(format!("new_root_key: {e}")))?,
                    None,
                ),
                (None, Some(set)) => (RootKey::generate(), Some((set.threshold, set.shares))),
            };
            let r = rotate_root_key(&st, &new_root, split).await?;
            tracing::warn!(key_id = %r.key_id, "root key rotated");
            Ok(rotated(r))
        },
    )
    .await
}

/// New shares need the root key, which a running server does not keep: the key
/// is replaced by a fresh one, split as asked (a rotation; the old shares stop
/// working).
#[utoipa::path(
    post,
    path = "/v1/sys/rekey-shares",
    tag = "sys",
    summary = "Issue new unseal shares (of a fresh root key)",
    request_body = RekeyShares,
    responses((status = 200, description = "Success", body = RootKeyRotated), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("keyward:RekeyShares")))
)]
pub(super) async fn rekey(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    let body: Result<RekeyShares, ApiError> = read_json(body).await;
    audited(
        &st,
        &meta,
        auth,
        ACTION_REKEY_SHARES,
        async |call, audit| {
            audit.resource("*");
            call.authorize("*")?;
            let body = body?;
            let r = rotate_root_key(
                &st,
                &RootKey::generate(),
                Some((body.key_threshold, body.key_shares)),
            )
            .await?;
            tracing::warn!(key_id = %r.key_id, "new unseal shares issued");
            Ok(rotated(r))
        },
    )
    .await
}

/// Emergency access: a threshold of unseal shares (proof the holders can rebuild
/// the root key) makes a new administrator key. Throttled like unseal; unseals a
/// sealed server on the way; every use is audited as `keyward:BreakGlass`,
/// refused ones too.
#[utoipa::path(
    post,
    path = "/v1/sys/break-glass",
    tag = "sys",
    summary = "Emergency admin access with a threshold of unseal shares (throttled, audited)",
    request_body = BreakGlass,
    responses((status = 200, description = "Success", body = BreakGlassKey), super::openapi::Refusals),
    security(()),
    extensions(("x-keyward-action" = json!("keyward:BreakGlass")))
)]
pub(super) async fn break_glass(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    body: LimitedBody,
) -> Response {
    let mut audit = Audit::new(&meta, ACTION_BREAK_GLASS, "native");
    let attempt = match st.unseal_guard.begin() {
        Ok(a) => a,
        Err(refused) => {
            let wait = match refused {
                Refused::Busy => 1,
                Refused::Backoff { retry_after } => retry_after.as_secs().max(1),
            };
            audit.event.outcome = Outcome::Unauthenticated;
            audit.event.error_code = Some("ThrottlingException".into());
            record_or_buffer(&st, audit).await;
            return ApiError::Throttled(format!(
                "too many failed attempts: wait {wait} s before the next one"
            ))
            .into_response();
        }
    };
    let result = grant(&st, &mut audit, body).await;
    match &result {
        Ok(_) => tracing::warn!(
            source = meta.source_ip.as_deref().unwrap_or("-"),
            "BREAK-GLASS access granted"
        ),
        Err(e) => {
            tracing::warn!(source = meta.source_ip.as_deref().unwrap_or("-"), error = %e, "break-glass attempt refused");
            audit.event.outcome = e.outcome();
            audit.event.error_code = Some(e.aws_type().to_string());
        }
    }
    st.unseal_guard.finish(attempt, audit.event.clone());
    // The guard's buffer holds the record until the audit chain can take it.
    st.flush_unseal_attempts().await;
    match result {
        Ok(key) => SecretBody(key).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Writes a record now when unsealed, else keeps it for the next unseal.
async fn record_or_buffer(st: &AppState, audit: Audit) {
    st.unseal_guard.note_refused(audit.event);
    st.flush_unseal_attempts().await;
}

async fn grant(
    st: &AppState,
    audit: &mut Audit,
    body: LimitedBody,
) -> Result<BreakGlassKey, ApiError> {
    let body: BreakGlass = read_json(body).await?;
    crate::identities::validate_principal_name(&body.name)?;
    let set = crate::unseal_shares::load_set(st.store.as_ref())
        .await?
        .ok_or_else(|| {
            ApiError::InvalidRequest(
                "this data directory's root key is not split into unseal shares, so break-glass access is not available; use the root key file to start a server and `keyward init`-style recovery".into(),
            )
        })?;
    let mut shares = Vec::with_capacity(body.shares.len());
    for text in &body.shares {
        let share = Share::parse(text.expose()).map_err(crate::unseal_shares::share_error)?;
        set.check(&share)
            .map_err(crate::unseal_shares::share_error)?;
        shares.push(share);
    }
    let root = combine_shares(&shares).map_err(crate::unseal_shares::share_error)?;
    if st.is_sealed() {
        st.unseal(&root).await?;
    } else {
        let check = st
            .store
            .get_setting(crate::recovery::CHECK_SETTING)
            .await?
            .unwrap_or_default();
        if !root.matches_check(&check) {
            return Err(ApiError::BadCredentials(
                "the shares do not combine into this server's root key".into(),
            ));
        }
    }
    let keys = st.keys()?;
    let arn = st.principal_arn(&body.name);
    audit.resource(arn.clone());
    audit.event.principal = Some(ACTION_BREAK_GLASS.to_string());
    let key = crate::identities::generate_access_key();
    let record = |action: Action| AuditedWrite {
        key: keys.audit_key.clone(),
        event: keyward_store::AuditEvent {
            action: action.to_string(),
            outcome: Outcome::Success,
            ..audit.event.clone()
        },
    };
    let principal = crate::identities::create_principal(
        st.store.as_ref(),
        &st.cfg.account_id,
        &body.name,
        vec![Tag {
            key: "Role".into(),
            value: "break-glass".into(),
        }],
        record(Action::CreateUser),
    )
    .await?;
    crate::identities::add_access_key(
        st.store.as_ref(),
        &keys.keyring,
        &principal,
        &key,
        record(Action::CreateAccessKey),
    )
    .await?;
    if st
        .store
        .get_policy(crate::identities::ADMIN_POLICY_NAME)
        .await?
        .is_none()
    {
        st.store
            .put_policy(
                crate::identities::ADMIN_POLICY_NAME,
                crate::identities::ADMIN_POLICY,
                record(Action::CreatePolicy),
            )
            .await?;
    }
    st.store
        .attach_policy(
            &body.name,
            crate::identities::ADMIN_POLICY_NAME,
            record(Action::AttachUserPolicy),
        )
        .await?;
    st.clear_auth_cache();
    Ok(BreakGlassKey {
        principal: arn,
        access_key_id: key.access_key_id,
        secret_access_key: key.secret_access_key,
    })
}
