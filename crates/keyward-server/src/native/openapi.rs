//! The OpenAPI 3.1 description of the native API, served at `/v1/openapi.json`.

use axum::Json;
use serde_json::{Value, json};

fn op(summary: &str, action: &str, params: &[(&str, &str)], body: bool) -> Value {
    let mut o = json!({
        "summary": summary,
        "x-keyward-action": action,
        "security": [{"bearer": []}],
        "responses": {
            "200": {"description": "OK"},
            "400": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"}
        }
    });
    let ps: Vec<Value> = params
        .iter()
        .map(|(name, place)| json!({"name": name, "in": place, "required": *place == "path", "schema": {"type": "string"}}))
        .collect();
    if !ps.is_empty() {
        o["parameters"] = Value::Array(ps);
    }
    if body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}});
    }
    o
}

pub async fn openapi() -> Json<Value> {
    let name = ("name", "path");
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "keyward native API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Secrets, versions, principals, policies and audit. Authenticate with `Authorization: Bearer <token>` (`keyward token`). Every operation is authorized with IAM-style policies using the AWS action named in x-keyward-action, and audited."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "kw1.<access key id>.<unix time>.<hmac>"}},
            "responses": {"Error": {"description": "Error", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}}}}}
        },
        "paths": {
            "/v1/sys/health": {"get": {"summary": "Readiness: 200 when unsealed and serving", "security": [], "responses": {"200": {"description": "ready"}, "503": {"description": "sealed"}}}},
            "/v1/sys/seal-status": {"get": {"summary": "Seal state", "security": [], "responses": {"200": {"description": "OK"}}}},
            "/v1/sys/unseal": {"post": {"summary": "Unseal with the root key or passphrase", "security": [], "responses": {"200": {"description": "unsealed"}}}},
            "/v1/sys/seal": {"post": op("Seal the server (drops keys from memory)", "keyward:Seal", &[], false)},
            "/v1/secrets": {
                "get": op("List secrets (never values)", "secretsmanager:ListSecrets", &[("prefix", "query"), ("limit", "query"), ("next_token", "query"), ("include_deleted", "query"), ("recursive", "query")], false),
                "post": op("Create a secret", "secretsmanager:CreateSecret", &[], true)
            },
            "/v1/secrets/{name}": {
                "get": op("Read a secret value", "secretsmanager:GetSecretValue", &[name, ("version_id", "query"), ("stage", "query")], false),
                "put": op("Write a new version (creates the secret if needed)", "secretsmanager:PutSecretValue", &[name], true),
                "delete": op("Schedule deletion (or purge with force=true)", "secretsmanager:DeleteSecret", &[name, ("recovery_window_days", "query"), ("force", "query")], false)
            },
            "/v1/history/{name}": {"get": op("List versions", "secretsmanager:ListSecretVersionIds", &[name], false)},
            "/v1/restore/{name}": {"post": op("Cancel a scheduled deletion", "secretsmanager:RestoreSecret", &[name], false)},
            "/v1/principals": {"get": op("List principals", "iam:ListUsers", &[], false), "post": op("Create a principal with an access key", "iam:CreateUser", &[], true)},
            "/v1/principals/{name}": {"get": op("Describe a principal", "iam:GetUser", &[name], false), "delete": op("Delete a principal", "iam:DeleteUser", &[name], false)},
            "/v1/principals/{name}/keys": {"post": op("Create an access key", "iam:CreateAccessKey", &[name], false)},
            "/v1/principals/{name}/policies/{policy}": {
                "put": op("Attach a policy", "iam:AttachUserPolicy", &[name, ("policy", "path")], false),
                "delete": op("Detach a policy", "iam:DetachUserPolicy", &[name, ("policy", "path")], false)
            },
            "/v1/keys/{id}": {"delete": op("Delete an access key", "iam:DeleteAccessKey", &[("id", "path")], false)},
            "/v1/mfa/enable": {"post": op("Enrol a TOTP device for the caller: {secret, otpauth_uri}, shown once. Needs no policy grant; replacing an enrolled device needs an MFA session", "iam:EnableMFADevice", &[], false)},
            "/v1/sts/session": {"post": op("Trade a TOTP code ({code, duration_seconds}) for an MFA session credential: {AccessKeyId, SecretAccessKey, SessionToken, Expiration}. Send the token as X-Amz-Security-Token beside the bearer token", "sts:GetSessionToken", &[], true)},
            "/v1/policies": {"get": op("List policies", "iam:ListPolicies", &[], false)},
            "/v1/policies/{name}": {
                "get": op("Read a policy", "iam:GetPolicy", &[name], false),
                "put": op("Create or replace a policy (IAM JSON document)", "iam:CreatePolicy", &[name], true),
                "delete": op("Delete a policy", "iam:DeletePolicy", &[name], false)
            },
            "/v1/audit": {"get": op("List audit records", "cloudtrail:LookupEvents", &[("secret", "query"), ("principal", "query"), ("outcome", "query"), ("since", "query"), ("limit", "query"), ("after_seq", "query")], false)},
            "/v1/audit/verify": {"get": op("Verify the audit chain", "keyward:VerifyAudit", &[], false)},
            "/v1/watch": {"get": op("Server-sent change events", "secretsmanager:ListSecrets", &[], false)},
            "/v1/batch/get": {"post": op("Read up to 100 secrets (AWSCURRENT) in one request; each is authorized and audited as GetSecretValue", "secretsmanager:GetSecretValue", &[], true)},
            "/v1/scan/fingerprints": {"post": op("Per-scan keyed fingerprints of stored values, for `keyward scan --managed` (values never leave the server)", "keyward:GetSecretFingerprint", &[], true)}
        }
    }))
}
