//! `/v1/principals`, `/v1/keys`, `/v1/policies`.

use super::secrets::rfc3339;
use super::secrets::{api_tag, store_tags};
use super::{Bearer, audited, audited_on, authorized_on, extras, read_body, read_json};
use crate::action::Action;
use crate::body_limit::LimitedBody;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::identities::{
    add_access_key, create_principal, generate_access_key, validate_principal_name,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use keyward_api::identities::{
    Attachment, CreatedKey, CreatedPrincipal, DeletedName, NewPrincipal, PolicyInfo, PolicyList,
    PolicySummary, PrincipalInfo, PrincipalList, PrincipalRecord,
};
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/principals", get(list_principals).post(new_principal))
        .route(
            "/v1/principals/{name}",
            get(get_principal).delete(delete_principal),
        )
        .route("/v1/principals/{name}/keys", post(new_key))
        .route(
            "/v1/principals/{name}/policies/{policy}",
            put(attach).delete(detach),
        )
        .route("/v1/keys/{id}", delete(delete_key))
        .route("/v1/policies", get(list_policies))
        .route(
            "/v1/policies/{name}",
            get(get_policy).put(put_policy).delete(delete_policy),
        )
}

/// A principal with its keys and attached policies (one store read each).
async fn principal_info(
    st: &AppState,
    p: keyward_store::Principal,
) -> Result<PrincipalInfo, ApiError> {
    let keys = st.store.list_access_keys(p.id).await?;
    let policies = st.store.principal_policies(p.id).await?;
    Ok(PrincipalInfo {
        name: p.name,
        arn: p.arn,
        tags: p.tags.iter().map(api_tag).collect(),
        created_at: rfc3339(p.created_at),
        access_key_ids: keys.into_iter().map(|k| k.access_key_id).collect(),
        policies: policies.into_iter().map(|p| p.name).collect(),
    })
}

/// Tag keys under `aws:` and `keyward:` are the system's (keyward tags the
/// rotations' temporary principals), so a caller may not set them.
fn check_principal_tags(tags: &[keyward_api::Tag]) -> Result<(), ApiError> {
    for t in tags {
        let key = t.key.to_ascii_lowercase();
        if key.starts_with("aws:") || key.starts_with("keyward:") {
            return Err(ApiError::InvalidParameter(format!(
                "tag key {:?}: keys beginning with aws: or keyward: are reserved",
                t.key
            )));
        }
    }
    Ok(())
}

/// The principal `name`, or not found.
async fn find_principal(st: &AppState, name: &str) -> Result<keyward_store::Principal, ApiError> {
    st.store
        .get_principal(name)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::NotFound(format!("principal not found: {name}")))
}

#[utoipa::path(
    post,
    path = "/v1/principals",
    tag = "identities",
    summary = "Create a principal with an access key (tags also need iam:TagUser)",
    request_body = keyward_api::identities::NewPrincipal,
    responses((status = 201, description = "Success", body = keyward_api::identities::CreatedPrincipal), (status = 400, description = "Invalid input", body = keyward_api::ErrorBody), (status = 403, description = "Missing or bad credentials, or denied by policy", body = keyward_api::ErrorBody), (status = 409, description = "Exists", body = keyward_api::ErrorBody), (status = 503, description = "Sealed", body = keyward_api::ErrorBody)),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:CreateUser")))
)]
pub(super) async fn new_principal(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    body: LimitedBody,
) -> Response {
    audited(&st, &meta, auth, Action::CreateUser, async |call, audit| {
        let b: NewPrincipal = read_json(body).await?;
        validate_principal_name(&b.name)?;
        let arn = st.principal_arn(&b.name);
        audit.resource(arn.clone());
        call.authorize(&arn)?;
        call.authorize_also(Action::CreateAccessKey, &arn, &extras(&meta))?;
        if !b.tags.is_empty() {
            // As in AWS IAM: tags given at creation need iam:TagUser, since
            // policies may grant by `aws:PrincipalTag`.
            call.authorize_also(Action::TagUser, &arn, &extras(&meta))?;
            check_principal_tags(&b.tags)?;
        }
        let keys = st.keys()?;
        let p = st
            .write(audit, async |w| {
                create_principal(
                    st.store.as_ref(),
                    &st.cfg.account_id,
                    &b.name,
                    store_tags(&b.tags),
                    w,
                )
                .await
            })
            .await?;
        let key = generate_access_key();
        let mut key_audit = audit.derived(Action::CreateAccessKey);
        key_audit.resource(arn.clone());
        st.write(&mut key_audit, async |w| {
            add_access_key(st.store.as_ref(), &keys.keyring, &p, &key, w).await
        })
        .await?;
        Ok((
            http::StatusCode::CREATED,
            Json(CreatedPrincipal {
                principal: PrincipalRecord {
                    id: p.id.to_string(),
                    name: p.name,
                    arn: p.arn,
                    tags: p.tags.iter().map(api_tag).collect(),
                    created_at: rfc3339(p.created_at),
                },
                access_key_id: key.access_key_id,
                secret_access_key: key.secret_access_key,
            }),
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/principals",
    tag = "identities",
    summary = "List principals",
    responses((status = 200, description = "Success", body = keyward_api::identities::PrincipalList), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:ListUsers")))
)]
pub(super) async fn list_principals(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
) -> Response {
    authorized_on(
        &st,
        &meta,
        auth,
        Action::ListUsers,
        "*".into(),
        async |_, _| {
            let ps = st.store.list_principals().await.map_err(ApiError::from)?;
            let mut principals = Vec::with_capacity(ps.len());
            for p in ps {
                principals.push(principal_info(&st, p).await?);
            }
            Ok(Json(PrincipalList { principals }))
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/principals/{name}",
    tag = "identities",
    summary = "Describe a principal",
    params(("name" = String, Path, description = "Principal name")),
    responses((status = 200, description = "Success", body = keyward_api::identities::PrincipalInfo), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:GetUser")))
)]
pub(super) async fn get_principal(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    authorized_on(
        &st,
        &meta,
        auth,
        Action::GetUser,
        st.principal_arn(&name),
        async |_, _| {
            let p = find_principal(&st, &name).await?;
            Ok(Json(principal_info(&st, p).await?))
        },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/principals/{name}",
    tag = "identities",
    summary = "Delete a principal and its keys",
    params(("name" = String, Path, description = "Principal name")),
    responses((status = 200, description = "Success", body = keyward_api::identities::DeletedName), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:DeleteUser")))
)]
pub(super) async fn delete_principal(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    authorized_on(
        &st,
        &meta,
        auth,
        Action::DeleteUser,
        st.principal_arn(&name),
        async |call, audit| {
            if call.caller.principal.name == name {
                return Err(ApiError::InvalidRequest(
                    "you cannot delete the principal you are signed in as".into(),
                ));
            }
            st.write(audit, async |w| st.store.delete_principal(&name, w).await)
                .await?;
            Ok(Json(DeletedName { deleted: name }))
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/principals/{name}/keys",
    tag = "identities",
    summary = "Create an access key",
    params(("name" = String, Path, description = "Principal name")),
    responses((status = 201, description = "Success", body = keyward_api::identities::CreatedKey), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:CreateAccessKey")))
)]
pub(super) async fn new_key(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    authorized_on(
        &st,
        &meta,
        auth,
        Action::CreateAccessKey,
        st.principal_arn(&name),
        async |_, audit| {
            let p = find_principal(&st, &name).await?;
            let keys = st.keys()?;
            let key = generate_access_key();
            st.write(audit, async |w| {
                add_access_key(st.store.as_ref(), &keys.keyring, &p, &key, w).await
            })
            .await?;
            Ok((
                http::StatusCode::CREATED,
                Json(CreatedKey {
                    principal: name,
                    access_key_id: key.access_key_id,
                    secret_access_key: key.secret_access_key,
                }),
            ))
        },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/keys/{id}",
    tag = "identities",
    summary = "Delete an access key",
    params(("id" = String, Path, description = "Access key id")),
    responses((status = 200, description = "Success", body = keyward_api::identities::DeletedName), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:DeleteAccessKey")))
)]
pub(super) async fn delete_key(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(id): Path<String>,
) -> Response {
    audited(
        &st,
        &meta,
        auth,
        Action::DeleteAccessKey,
        async |call, audit| {
            let Some(key) = st.store.get_access_key(&id).await.map_err(ApiError::from)? else {
                // Authorize against any principal first, so that a caller who may not
                // delete keys cannot tell unknown key ids from existing ones.
                let any = st.principal_arn("*");
                audit.resource(any.clone());
                call.authorize(&any)?;
                return Err(ApiError::NotFound(format!("access key not found: {id}")));
            };
            let p = st
                .store
                .get_principal_by_id(key.principal_id)
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::NotFound(format!("access key not found: {id}")))?;
            audit.resource(p.arn.clone());
            call.authorize(&p.arn)?;
            st.write(audit, async |w| st.store.delete_access_key(&id, w).await)
                .await?;
            Ok(Json(DeletedName { deleted: id }))
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/policies",
    tag = "identities",
    summary = "List policies",
    responses((status = 200, description = "Success", body = keyward_api::identities::PolicyList), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:ListPolicies")))
)]
pub(super) async fn list_policies(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
) -> Response {
    authorized_on(
        &st,
        &meta,
        auth,
        Action::ListPolicies,
        "*".into(),
        async |_, _| {
            let ps = st.store.list_policies().await.map_err(ApiError::from)?;
            Ok(Json(PolicyList {
                policies: ps
                    .iter()
                    .map(|p| PolicySummary {
                        name: p.name.clone(),
                        arn: st.policy_arn(&p.name),
                        updated_at: rfc3339(p.updated_at),
                    })
                    .collect(),
            }))
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/policies/{name}",
    tag = "identities",
    summary = "Read a policy",
    params(("name" = String, Path, description = "Policy name")),
    responses((status = 200, description = "Success", body = keyward_api::identities::PolicyInfo), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:GetPolicy")))
)]
pub(super) async fn get_policy(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    authorized_on(
        &st,
        &meta,
        auth,
        Action::GetPolicy,
        st.policy_arn(&name),
        async |_, _| {
            let p = st
                .store
                .get_policy(&name)
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::NotFound(format!("policy not found: {name}")))?;
            let doc: serde_json::Value = serde_json::from_str(&p.document)
                .unwrap_or(serde_json::Value::String(p.document.clone()));
            Ok(Json(PolicyInfo {
                arn: st.policy_arn(&name),
                name: p.name,
                document: doc,
                updated_at: rfc3339(p.updated_at),
            }))
        },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/policies/{name}",
    tag = "identities",
    summary = "Create or replace a policy (an IAM JSON document as the body); replacing one that exists is authorized and audited as iam:CreatePolicyVersion",
    params(("name" = String, Path, description = "Policy name")),
    request_body = Object,
    responses((status = 200, description = "Success", body = keyward_api::identities::PolicySummary), super::openapi::Refusals),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:CreatePolicy")))
)]
pub(super) async fn put_policy(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
    body: LimitedBody,
) -> Response {
    audited_on(
        &st,
        &meta,
        auth,
        Action::CreatePolicy,
        Some(st.policy_arn(&name)),
        async |call, audit| {
            validate_principal_name(&name).map_err(|_| {
                ApiError::InvalidParameter("a policy name must be 1–64 of A-Za-z0-9+=,.@_-".into())
            })?;
            let arn = st.policy_arn(&name);
            audit.resource(arn.clone());
            if st.store.get_policy(&name).await?.is_some() {
                // Changing a policy already in force is AWS's CreatePolicyVersion:
                // a grant to create policies does not reach the ones attached.
                audit.set_action(Action::CreatePolicyVersion);
                call.authorize_also(Action::CreatePolicyVersion, &arn, &super::extras(call.meta))?;
            } else {
                call.authorize(&arn)?;
            }
            let bytes = read_body(body).await?;
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                ApiError::InvalidParameter("the policy document is not UTF-8".into())
            })?;
            keyward_policy::Policy::parse(text).map_err(|e| {
                ApiError::InvalidParameter(format!("the policy document is not valid: {e}"))
            })?;
            let rec = st
                .write(audit, async |w| st.store.put_policy(&name, text, w).await)
                .await?;
            Ok(Json(PolicySummary {
                name: rec.name,
                arn,
                updated_at: rfc3339(rec.updated_at),
            }))
        },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/policies/{name}",
    tag = "identities",
    summary = "Delete a policy",
    params(("name" = String, Path, description = "Policy name")),
    responses((status = 200, description = "Success", body = keyward_api::identities::DeletedName), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:DeletePolicy")))
)]
pub(super) async fn delete_policy(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path(name): Path<String>,
) -> Response {
    authorized_on(
        &st,
        &meta,
        auth,
        Action::DeletePolicy,
        st.policy_arn(&name),
        async |_, audit| {
            st.write(audit, async |w| st.store.delete_policy(&name, w).await)
                .await?;
            Ok(Json(DeletedName { deleted: name }))
        },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/principals/{name}/policies/{policy}",
    tag = "identities",
    summary = "Attach a policy",
    params(("name" = String, Path, description = "Principal name"), ("policy" = String, Path, description = "Policy name")),
    responses((status = 200, description = "Success", body = keyward_api::identities::Attachment), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:AttachUserPolicy")))
)]
pub(super) async fn attach(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path((name, policy)): Path<(String, String)>,
) -> Response {
    set_attachment(&st, &meta, auth, name, policy, true).await
}

#[utoipa::path(
    delete,
    path = "/v1/principals/{name}/policies/{policy}",
    tag = "identities",
    summary = "Detach a policy",
    params(("name" = String, Path, description = "Principal name"), ("policy" = String, Path, description = "Policy name")),
    responses((status = 200, description = "Success", body = keyward_api::identities::Attachment), super::openapi::RefusalsOrMissing),
    security(("bearer" = [])),
    extensions(("x-keyward-action" = json!("iam:DetachUserPolicy")))
)]
pub(super) async fn detach(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    auth: Bearer,
    Path((name, policy)): Path<(String, String)>,
) -> Response {
    set_attachment(&st, &meta, auth, name, policy, false).await
}

/// Attaches `policy` to the principal `name`, or detaches it: one body for the
/// two routes, audited and authorized on the principal.
async fn set_attachment(
    st: &AppState,
    meta: &RequestMeta,
    auth: Bearer,
    name: String,
    policy: String,
    attached: bool,
) -> Response {
    let action = if attached {
        Action::AttachUserPolicy
    } else {
        Action::DetachUserPolicy
    };
    authorized_on(
        st,
        meta,
        auth,
        action,
        st.principal_arn(&name),
        async |_, audit| {
            st.write(audit, async |w| {
                if attached {
                    st.store.attach_policy(&name, &policy, w).await
                } else {
                    st.store.detach_policy(&name, &policy, w).await
                }
            })
            .await?;
            Ok(Json(Attachment {
                principal: name,
                policy,
                attached,
            }))
        },
    )
    .await
}
