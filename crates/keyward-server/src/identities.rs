//! Principals and their access keys, shared by the API and by `keyward init`.

use crate::action::Action;
use crate::auth::access_key_aad;
use crate::error::ApiError;
use keyward_crypto::{Keyring, SecretString};
use keyward_store::{
    AccessKey, AuditEvent, AuditedWrite, Outcome, Principal, Store, StoreError, Tag,
};

/// The policy `keyward init` attaches to the first principal.
pub const ADMIN_POLICY_NAME: &str = "AdministratorAccess";
pub const ADMIN_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"KeywardAdministrator","Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A new access key: id (public) and secret (shown once).
#[derive(Debug)]
pub struct NewKey {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

pub fn generate_access_key() -> NewKey {
    NewKey {
        access_key_id: format!(
            "KW{}",
            keyward_crypto::random_from_alphabet(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 18)
        ),
        secret_access_key: SecretString::new(keyward_crypto::random_from_alphabet(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        )),
    }
}

/// IAM user-name rules: 1–64 of `A-Za-z0-9+=,.@_-`.
pub fn validate_principal_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 64 {
        return Err(ApiError::InvalidParameter(
            "a principal name must be 1–64 characters".into(),
        ));
    }
    if let Some((i, c)) = name
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
    {
        return Err(ApiError::InvalidParameter(format!(
            "invalid character {c:?} at position {} of the principal name: use letters, digits and + = , . @ _ -",
            i + 1
        )));
    }
    Ok(())
}

/// Checks an access key id given from outside (e.g. imported for a test suite).
pub fn validate_access_key_id(id: &str) -> Result<(), ApiError> {
    if id.len() < 3 || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::InvalidParameter(
            "an access key id must be 3–128 ASCII letters and digits".into(),
        ));
    }
    Ok(())
}

/// Stores a key for `principal`, its secret sealed through the keyring; `audit`
/// commits with it.
pub async fn add_access_key(
    store: &dyn Store,
    keyring: &Keyring,
    principal: &Principal,
    key: &NewKey,
    audit: AuditedWrite,
) -> Result<(), StoreError> {
    let sealed = keyring.seal(
        key.secret_access_key.expose().as_bytes(),
        &access_key_aad(&key.access_key_id),
    );
    store
        .create_access_key(
            AccessKey {
                access_key_id: key.access_key_id.clone(),
                principal_id: principal.id,
                sealed_secret: sealed.0,
                enabled: true,
                created_at: time::OffsetDateTime::now_utc(),
            },
            audit,
        )
        .await
}

/// Creates a principal record; `audit` commits with it.
pub async fn create_principal(
    store: &dyn Store,
    account_id: &str,
    name: &str,
    tags: Vec<Tag>,
    audit: AuditedWrite,
) -> Result<Principal, StoreError> {
    let p = Principal {
        id: uuid::Uuid::new_v4(),
        name: name.to_string(),
        arn: format!("arn:aws:iam::{account_id}:user/{name}"),
        tags,
        created_at: time::OffsetDateTime::now_utc(),
    };
    store.create_principal(p.clone(), audit).await?;
    Ok(p)
}

/// First-run bootstrap: the admin principal with a key and the admin policy. Each
/// step is audited as `keyward init` (the first records of the chain).
pub async fn bootstrap_admin(
    store: &dyn Store,
    keyring: &Keyring,
    account_id: &str,
    name: &str,
    given: Option<NewKey>,
) -> Result<NewKey, StoreError> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let arn = format!("arn:aws:iam::{account_id}:user/{name}");
    let policy_arn = format!("arn:aws:iam::{account_id}:policy/{ADMIN_POLICY_NAME}");
    let record = |action: Action, resource: &str| AuditedWrite {
        key: keyring.audit_key().clone(),
        event: AuditEvent {
            time: time::OffsetDateTime::now_utc(),
            request_id: request_id.clone(),
            principal: Some(crate::ctx::INIT_PRINCIPAL.to_string()),
            access_key_id: None,
            source_ip: None,
            user_agent: None,
            action: action.to_string(),
            resource: Some(resource.to_string()),
            version_id: None,
            outcome: Outcome::Success,
            error_code: None,
            api: "system".to_string(),
            count: None,
        },
    };
    let principal = create_principal(
        store,
        account_id,
        name,
        vec![Tag {
            key: "Role".into(),
            value: "admin".into(),
        }],
        record(Action::CreateUser, &arn),
    )
    .await?;
    let key = given.unwrap_or_else(generate_access_key);
    add_access_key(
        store,
        keyring,
        &principal,
        &key,
        record(Action::CreateAccessKey, &arn),
    )
    .await?;
    store
        .put_policy(
            ADMIN_POLICY_NAME,
            ADMIN_POLICY,
            record(Action::CreatePolicy, &policy_arn),
        )
        .await?;
    store
        .attach_policy(
            name,
            ADMIN_POLICY_NAME,
            record(Action::AttachUserPolicy, &arn),
        )
        .await?;
    Ok(key)
}
