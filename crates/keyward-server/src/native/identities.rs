//! `/v1/principals`, `/v1/keys`, `/v1/policies`, `/v1/audit`.

use super::secrets::rfc3339;
use super::{audited, audited_on, read_body, read_json};
use crate::authz::AuthzExtras;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::identities::{
    add_access_key, create_principal, generate_access_key, validate_principal_name,
};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use http::HeaderMap;
use keyward_store::{AuditQuery, Outcome, Tag};
use serde::Deserialize;
use serde_json::json;
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
        .route("/v1/audit", get(list_audit))
        .route("/v1/audit/verify", get(verify_audit))
}

fn extras(meta: &RequestMeta) -> AuthzExtras<'_> {
    AuthzExtras {
        source_ip: meta.source_ip.as_deref(),
        secure_transport: meta.secure_transport,
        user_agent: meta.user_agent.as_deref(),
        ..Default::default()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPrincipal {
    name: String,
    #[serde(default)]
    tags: Vec<Tag>,
}

async fn new_principal(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> Response {
    audited(
        &st,
        &meta,
        &headers,
        "iam:CreateUser",
        async |caller, audit| {
            let b: NewPrincipal = read_json(&st, body).await?;
            validate_principal_name(&b.name)?;
            let arn = st.principal_arn(&b.name);
            audit.resource(arn.clone());
            st.authorize(&caller, "iam:CreateUser", &arn, &extras(&meta))?;
            st.authorize(&caller, "iam:CreateAccessKey", &arn, &extras(&meta))?;
            let keys = st.keys()?;
            let p = st
                .write(audit, async |w| {
                    create_principal(st.store.as_ref(), &st.cfg.account_id, &b.name, b.tags, w)
                        .await
                })
                .await?;
            let key = generate_access_key();
            let mut key_audit = audit.derived("iam:CreateAccessKey");
            key_audit.resource(arn.clone());
            st.write(&mut key_audit, async |w| {
                add_access_key(st.store.as_ref(), &keys.kek, &p, &key, w).await
            })
            .await?;
            st.clear_auth_cache();
            Ok((
                http::StatusCode::CREATED,
                Json(json!({
                    "principal": p,
                    "access_key_id": key.access_key_id,
                    "secret_access_key": key.secret_access_key,
                })),
            ))
        },
    )
    .await
}

async fn list_principals(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "iam:ListUsers",
        Some("*".into()),
        async |caller, audit| {
            audit.resource("*");
            st.authorize(&caller, "iam:ListUsers", "*", &extras(&meta))?;
            let ps = st
                .store
                .list_principals()
                .await
                .map_err(|e| ApiError::from_store(e, &meta.request_id))?;
            let mut out = Vec::new();
            for p in ps {
                let keys = st
                    .store
                    .list_access_keys(p.id)
                    .await
                    .map_err(|e| ApiError::from_store(e, &meta.request_id))?;
                let policies = st
                    .store
                    .principal_policies(p.id)
                    .await
                    .map_err(|e| ApiError::from_store(e, &meta.request_id))?;
                out.push(json!({
                "name": p.name, "arn": p.arn, "tags": p.tags, "created_at": rfc3339(p.created_at),
                "access_key_ids": keys.iter().map(|k| k.access_key_id.clone()).collect::<Vec<_>>(),
                "policies": policies.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
            }));
            }
            Ok(Json(json!({"principals": out})))
        },
    )
    .await
}

async fn get_principal(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "iam:GetUser",
        Some(st.principal_arn(&name)),
        async |caller, audit| {
            let arn = st.principal_arn(&name);
            audit.resource(arn.clone());
            st.authorize(&caller, "iam:GetUser", &arn, &extras(&meta))?;
            let p = st
                .store
                .get_principal(&name)
                .await
                .map_err(|e| ApiError::from_store(e, &meta.request_id))?
                .ok_or_else(|| ApiError::NotFound(format!("principal not found: {name}")))?;
            let keys = st
                .store
                .list_access_keys(p.id)
                .await
                .map_err(|e| ApiError::from_store(e, &meta.request_id))?;
            let policies = st
                .store
                .principal_policies(p.id)
                .await
                .map_err(|e| ApiError::from_store(e, &meta.request_id))?;
            Ok(Json(json!({
                "name": p.name, "arn": p.arn, "tags": p.tags, "created_at": rfc3339(p.created_at),
                "access_key_ids": keys.iter().map(|k| k.access_key_id.clone()).collect::<Vec<_>>(),
                "policies": policies.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
            })))
        },
    )
    .await
}

async fn delete_principal(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "iam:DeleteUser",
        Some(st.principal_arn(&name)),
        async |caller, audit| {
            let arn = st.principal_arn(&name);
            audit.resource(arn.clone());
            st.authorize(&caller, "iam:DeleteUser", &arn, &extras(&meta))?;
            if caller.principal.name == name {
                return Err(ApiError::InvalidRequest(
                    "you cannot delete the principal you are signed in as".into(),
                ));
            }
            st.write(audit, async |w| st.store.delete_principal(&name, w).await)
                .await?;
            st.clear_auth_cache();
            Ok(Json(json!({"deleted": name})))
        },
    )
    .await
}

async fn new_key(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    audited_on(&st, &meta, &headers, "iam:CreateAccessKey", Some(st.principal_arn(&name)), async |caller, audit| {
        let arn = st.principal_arn(&name);
        audit.resource(arn.clone());
        st.authorize(&caller, "iam:CreateAccessKey", &arn, &extras(&meta))?;
        let p = st.store.get_principal(&name).await.map_err(|e| ApiError::from_store(e, &meta.request_id))?
            .ok_or_else(|| ApiError::NotFound(format!("principal not found: {name}")))?;
        let keys = st.keys()?;
        let key = generate_access_key();
        st.write(audit, async |w| add_access_key(st.store.as_ref(), &keys.kek, &p, &key, w).await)
            .await?;
        Ok((http::StatusCode::CREATED, Json(json!({"principal": name, "access_key_id": key.access_key_id, "secret_access_key": key.secret_access_key}))))
    })
    .await
}

async fn delete_key(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    audited(
        &st,
        &meta,
        &headers,
        "iam:DeleteAccessKey",
        async |caller, audit| {
            let Some(key) = st
                .store
                .get_access_key(&id)
                .await
                .map_err(|e| ApiError::from_store(e, &meta.request_id))?
            else {
                // Authorize against any principal first, so that a caller who may not
                // delete keys cannot tell unknown key ids from existing ones.
                let any = st.principal_arn("*");
                audit.resource(any.clone());
                st.authorize(&caller, "iam:DeleteAccessKey", &any, &extras(&meta))?;
                return Err(ApiError::NotFound(format!("access key not found: {id}")));
            };
            let p = st
                .store
                .get_principal_by_id(key.principal_id)
                .await
                .map_err(|e| ApiError::from_store(e, &meta.request_id))?
                .ok_or_else(|| ApiError::NotFound(format!("access key not found: {id}")))?;
            audit.resource(p.arn.clone());
            st.authorize(&caller, "iam:DeleteAccessKey", &p.arn, &extras(&meta))?;
            st.write(audit, async |w| st.store.delete_access_key(&id, w).await)
                .await?;
            st.clear_auth_cache();
            Ok(Json(json!({"deleted": id})))
        },
    )
    .await
}

async fn list_policies(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Response {
    audited_on(&st, &meta, &headers, "iam:ListPolicies", Some("*".into()), async |caller, audit| {
        audit.resource("*");
        st.authorize(&caller, "iam:ListPolicies", "*", &extras(&meta))?;
        let ps = st.store.list_policies().await.map_err(|e| ApiError::from_store(e, &meta.request_id))?;
        Ok(Json(json!({"policies": ps.iter().map(|p| json!({"name": p.name, "arn": st.policy_arn(&p.name), "updated_at": rfc3339(p.updated_at)})).collect::<Vec<_>>()})))
    })
    .await
}

async fn get_policy(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    audited_on(&st, &meta, &headers, "iam:GetPolicy", Some(st.policy_arn(&name)), async |caller, audit| {
        let arn = st.policy_arn(&name);
        audit.resource(arn.clone());
        st.authorize(&caller, "iam:GetPolicy", &arn, &extras(&meta))?;
        let p = st.store.get_policy(&name).await.map_err(|e| ApiError::from_store(e, &meta.request_id))?
            .ok_or_else(|| ApiError::NotFound(format!("policy not found: {name}")))?;
        let doc: serde_json::Value = serde_json::from_str(&p.document).unwrap_or(serde_json::Value::String(p.document.clone()));
        Ok(Json(json!({"name": p.name, "arn": arn, "document": doc, "updated_at": rfc3339(p.updated_at)})))
    })
    .await
}

async fn put_policy(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Body,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "iam:CreatePolicy",
        Some(st.policy_arn(&name)),
        async |caller, audit| {
            validate_principal_name(&name).map_err(|_| {
                ApiError::InvalidParameter("a policy name must be 1–64 of A-Za-z0-9+=,.@_-".into())
            })?;
            let arn = st.policy_arn(&name);
            audit.resource(arn.clone());
            st.authorize(&caller, "iam:CreatePolicy", &arn, &extras(&meta))?;
            let bytes = read_body(&st, body).await?;
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                ApiError::InvalidParameter("the policy document is not UTF-8".into())
            })?;
            keyward_policy::Policy::parse(text).map_err(|e| {
                ApiError::InvalidParameter(format!("the policy document is not valid: {e}"))
            })?;
            let rec = st
                .write(audit, async |w| st.store.put_policy(&name, text, w).await)
                .await?;
            st.clear_auth_cache();
            Ok(Json(
                json!({"name": rec.name, "arn": arn, "updated_at": rfc3339(rec.updated_at)}),
            ))
        },
    )
    .await
}

async fn delete_policy(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "iam:DeletePolicy",
        Some(st.policy_arn(&name)),
        async |caller, audit| {
            let arn = st.policy_arn(&name);
            audit.resource(arn.clone());
            st.authorize(&caller, "iam:DeletePolicy", &arn, &extras(&meta))?;
            st.write(audit, async |w| st.store.delete_policy(&name, w).await)
                .await?;
            st.clear_auth_cache();
            Ok(Json(json!({"deleted": name})))
        },
    )
    .await
}

async fn attach(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path((name, policy)): Path<(String, String)>,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "iam:AttachUserPolicy",
        Some(st.principal_arn(&name)),
        async |caller, audit| {
            let arn = st.principal_arn(&name);
            audit.resource(arn.clone());
            st.authorize(&caller, "iam:AttachUserPolicy", &arn, &extras(&meta))?;
            st.write(audit, async |w| {
                st.store.attach_policy(&name, &policy, w).await
            })
            .await?;
            st.clear_auth_cache();
            Ok(Json(
                json!({"principal": name, "policy": policy, "attached": true}),
            ))
        },
    )
    .await
}

async fn detach(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path((name, policy)): Path<(String, String)>,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "iam:DetachUserPolicy",
        Some(st.principal_arn(&name)),
        async |caller, audit| {
            let arn = st.principal_arn(&name);
            audit.resource(arn.clone());
            st.authorize(&caller, "iam:DetachUserPolicy", &arn, &extras(&meta))?;
            st.write(audit, async |w| {
                st.store.detach_policy(&name, &policy, w).await
            })
            .await?;
            st.clear_auth_cache();
            Ok(Json(
                json!({"principal": name, "policy": policy, "attached": false}),
            ))
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    secret: Option<String>,
    principal: Option<String>,
    outcome: Option<String>,
    since: Option<String>,
    after_seq: Option<i64>,
    limit: Option<usize>,
}

async fn list_audit(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
    q: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    audited_on(&st, &meta, &headers, "cloudtrail:LookupEvents", Some("*".into()), async |caller, audit| {
        let Query(q) = q.map_err(|e| ApiError::InvalidParameter(format!("bad query string: {e}")))?;
        audit.resource("*");
        st.authorize(&caller, "cloudtrail:LookupEvents", "*", &extras(&meta))?;
        let outcome = match &q.outcome {
            Some(o) => Some(Outcome::parse(o).ok_or_else(|| ApiError::InvalidParameter(format!(
                "unknown outcome {o:?}: use success, denied, unauthenticated, not_found, invalid or error"
            )))?),
            None => None,
        };
        let since = match &q.since {
            Some(s) => Some(time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| ApiError::InvalidParameter(format!("`since` must be an RFC 3339 time such as 2026-01-31T00:00:00Z, not {s:?}")))?),
            None => None,
        };
        // A secret filter may be a name: resolve it to its ARN.
        let resource = match &q.secret {
            Some(s) if !s.starts_with("arn:") => match st.find_secret(keyward_store::Namespace::Secrets, &st.cfg.default_region, s, &meta.request_id).await? {
                Some(sec) => Some(sec.arn),
                None => Some(st.would_be_arn(keyward_store::Namespace::Secrets, &st.cfg.default_region, s)),
            },
            other => other.clone(),
        };
        let principal = q.principal.map(|p| if p.starts_with("arn:") { p } else { st.principal_arn(&p) });
        let records = st.store.list_audit(&AuditQuery {
            resource, principal, outcome, since, after_seq: q.after_seq,
            limit: Some(q.limit.unwrap_or(100).min(10_000)), descending: q.after_seq.is_none(),
        }).await.map_err(|e| ApiError::from_store(e, &meta.request_id))?;
        Ok(Json(json!({"records": records})))
    })
    .await
}

async fn verify_audit(
    State(st): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Response {
    audited_on(
        &st,
        &meta,
        &headers,
        "keyward:VerifyAudit",
        Some("*".into()),
        async |caller, audit| {
            audit.resource("*");
            st.authorize(&caller, "keyward:VerifyAudit", "*", &extras(&meta))?;
            let keys = st.keys()?;
            let report = keyward_store::audit::verify_stored(st.store.as_ref(), &keys.audit_key)
                .await
                .map_err(|e| ApiError::from_store(e, &meta.request_id))?;
            Ok(Json(report))
        },
    )
    .await
}
