//! The OpenAPI 3.1 description of the native API, served at `/v1/openapi.json`,
//! generated from the handlers' `#[utoipa::path]` attributes and keyward-api's
//! types, so it describes what the code does. Each operation carries the IAM
//! action it is authorized as in `x-keyward-action`.

use super::{
    alerts, audit, backup, batch, files, identities, leaks, mfa, recovery, rotation, scan, secrets,
    sys,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyward native API",
        description = "Secrets, versions, principals, policies and audit. Authenticate with `Authorization: Bearer <token>` (`keyward token`). Every operation is authorized with IAM-style policies using the action named in x-keyward-action, and audited."
    ),
    paths(
        sys::health, sys::seal_status, sys::unseal, sys::seal, sys::watch,
        secrets::list, secrets::create, secrets::read, secrets::put, secrets::delete,
        secrets::history, secrets::restore,
        batch::batch_get,
        identities::list_principals, identities::new_principal, identities::get_principal,
        identities::delete_principal, identities::new_key, identities::delete_key,
        identities::list_policies, identities::get_policy, identities::put_policy,
        identities::delete_policy, identities::attach, identities::detach,
        audit::list_audit, audit::verify_audit,
        scan::fingerprints,
        mfa::enable, mfa::session,
        files::create, files::list, files::describe, files::decrypt,
        recovery::rotate, recovery::rekey, recovery::break_glass,
        backup::create, backup::restore_secret,
        rotation::set, rotation::status_one, rotation::status_all, rotation::rotate_one,
        rotation::rotate_all, rotation::cancel,
        alerts::list, alerts::test, leaks::report,
    ),
    modifiers(&BearerAuth)
)]
struct NativeApi;

/// The bearer-token scheme the operations name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("kw1.<access key id>.<unix time>.<hmac>")
                    .build(),
            ),
        );
    }
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = NativeApi::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").into();
        doc
    })
}

pub async fn openapi() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_described_with_its_action() {
        let doc = serde_json::to_value(document()).expect("serializes");
        assert_eq!(doc["openapi"], "3.1.0");
        let read = &doc["paths"]["/v1/secrets/{name}"]["get"];
        assert_eq!(read["x-keyward-action"], "secretsmanager:GetSecretValue");
        assert_eq!(
            read["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/SecretValue"
        );
        let schemas = &doc["components"]["schemas"];
        for name in [
            "SecretValue",
            "WriteSecret",
            "SecretList",
            "PrincipalInfo",
            "ErrorBody",
        ] {
            assert!(schemas[name].is_object(), "schema {name} missing");
        }
        // Every operation but the unauthenticated sys ones names its action.
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            for (method, op) in ops.as_object().expect("ops") {
                let open = ["/v1/sys/health", "/v1/sys/seal-status"].contains(&path.as_str());
                assert!(
                    open || op["x-keyward-action"].is_string(),
                    "{method} {path} names no action"
                );
                // The documented name is one the server authorizes and audits.
                if let Some(name) = op["x-keyward-action"].as_str() {
                    assert!(
                        crate::action::Action::from_name(name).is_some(),
                        "{method} {path} documents {name}, which is not in the action table"
                    );
                }
            }
        }
    }
}

// The refusal lists most operations share, written once. The variants are never
// built: they exist for the document (`responses((status = 200, ...), Refusals)`).
macro_rules! refusals {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $status:literal $description:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(utoipa::IntoResponses)]
        #[allow(dead_code)]
        pub(super) enum $name {
            $(
                #[response(status = $status, description = $description)]
                $variant(keyward_api::ErrorBody),
            )*
        }
    };
}

refusals!(
    /// 400, 403 and 503: bad input, no or refused credentials, a sealed server.
    Refusals {
        Invalid = 400 "Invalid input",
        Denied = 403 "Missing or bad credentials, or denied by policy",
        Sealed = 503 "Sealed",
    }
);

refusals!(
    /// [`Refusals`] and 404, for operations on one named thing.
    RefusalsOrMissing {
        Invalid = 400 "Invalid input",
        Denied = 403 "Missing or bad credentials, or denied by policy",
        Missing = 404 "Not found",
        Sealed = 503 "Sealed",
    }
);
