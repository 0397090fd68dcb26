//! What the checks build their records from, and the small reads they repeat.

use super::CheckFailure;
use crate::Store;
use crate::model::*;
use keyward_crypto::AuditKey;
use time::OffsetDateTime;
use uuid::Uuid;

pub const REGION: &str = "us-east-1";

/// An audit key for tests.
pub fn test_audit_key() -> AuditKey {
    keyward_crypto::RootKey::from_bytes(&[7u8; keyward_crypto::KEY_LEN])
        .map(|k| k.audit_key())
        .unwrap_or_else(|_| keyward_crypto::RootKey::generate().audit_key())
}

pub fn new_secret(namespace: Namespace, region: &str, name: &str) -> NewSecret {
    NewSecret {
        id: Uuid::new_v4(),
        namespace,
        region: region.to_string(),
        name: name.to_string(),
        arn: format!(
            "arn:aws:secretsmanager:{region}:000000000000:secret:{}/{name}-{}",
            namespace.as_str(),
            &Uuid::new_v4().simple().to_string()[..6]
        ),
        description: None,
        kms_key_id: None,
        tags: vec![],
        metadata: serde_json::json!({}),
    }
}

/// A version whose "value" is identified by `value` (sealed bytes and MAC derive from it).
pub fn new_version(version_id: &str, value: u8, stages: &[&str]) -> NewVersion {
    NewVersion {
        version_id: version_id.to_string(),
        kind: ValueKind::String,
        sealed: vec![value; 40],
        value_mac: vec![value; 32],
        created_by: Some("tester".into()),
        metadata: serde_json::Value::Null,
        stages: stages.iter().map(|s| s.to_string()).collect(),
    }
}

/// The audit record a test write commits with (under [`test_audit_key`]).
pub fn audited() -> AuditedWrite {
    audited_as("keyward:TestWrite", "write")
}

/// An audit record for a test write with this action and request id.
pub fn audited_as(action: &str, request_id: &str) -> AuditedWrite {
    AuditedWrite {
        key: test_audit_key(),
        event: AuditEvent {
            action: action.into(),
            request_id: request_id.into(),
            outcome: Outcome::Success,
            ..event(1)
        },
    }
}

pub fn event(n: usize) -> AuditEvent {
    AuditEvent {
        time: OffsetDateTime::now_utc(),
        request_id: format!("req-{n}"),
        principal: Some(if n.is_multiple_of(2) {
            "alice".into()
        } else {
            "bob".into()
        }),
        access_key_id: Some("AKIATEST".into()),
        source_ip: Some("127.0.0.1".into()),
        user_agent: None,
        action: "secretsmanager:GetSecretValue".into(),
        resource: Some(format!("arn:secret:{}", n % 3)),
        version_id: None,
        outcome: if n.is_multiple_of(5) {
            Outcome::Denied
        } else {
            Outcome::Success
        },
        error_code: None,
        api: "aws".into(),
        count: None,
    }
}

pub(crate) fn principal(name: &str) -> Principal {
    Principal {
        id: Uuid::new_v4(),
        name: name.into(),
        arn: format!("arn:aws:iam::000000000000:user/{name}"),
        tags: vec![Tag {
            key: "team".into(),
            value: "x".into(),
        }],
        created_at: OffsetDateTime::now_utc(),
    }
}

/// Creates the principals alice and bob.
pub(super) async fn alice_and_bob<S: Store>(s: &S) -> Result<(Principal, Principal), CheckFailure> {
    let (alice, bob) = (principal("alice"), principal("bob"));
    s.create_principal(alice.clone(), audited()).await?;
    s.create_principal(bob.clone(), audited()).await?;
    Ok((alice, bob))
}

/// Creates the secret `name` in `namespace` and [`REGION`], with `first` as its
/// first version if given.
pub(super) async fn create_in<S: Store>(
    s: &S,
    namespace: Namespace,
    name: &str,
    first: Option<NewVersion>,
) -> Result<Secret, CheckFailure> {
    Ok(
        s.create_secret(new_secret(namespace, REGION, name), first, audited())
            .await?,
    )
}

/// Creates the secret `name` (in the Secrets Manager namespace and [`REGION`]),
/// with `first` as its first version if given.
pub(super) async fn create<S: Store>(
    s: &S,
    name: &str,
    first: Option<NewVersion>,
) -> Result<Secret, CheckFailure> {
    create_in(s, Namespace::Secrets, name, first).await
}

/// [`create`] with a first version `v1` holding AWSCURRENT.
pub(super) async fn create_current<S: Store>(s: &S, name: &str) -> Result<Secret, CheckFailure> {
    create(s, name, Some(new_version("v1", 1, &["AWSCURRENT"]))).await
}

/// Schedules (`Some`) or cancels (`None`) a secret's deletion.
pub(super) async fn set_deleted_at<S: Store>(
    s: &S,
    id: Uuid,
    when: Option<OffsetDateTime>,
) -> Result<Secret, CheckFailure> {
    let patch = SecretPatch {
        deleted_at: Some(when),
        ..Default::default()
    };
    Ok(s.update_secret(id, patch, audited()).await?)
}

/// Whether the secret `name` (Secrets Manager namespace, [`REGION`]) exists.
pub(super) async fn exists<S: Store>(s: &S, name: &str) -> Result<bool, CheckFailure> {
    Ok(s.get_secret(Namespace::Secrets, REGION, name)
        .await?
        .is_some())
}

/// The stages a version holds.
pub(super) async fn stages_of<S: Store>(
    s: &S,
    id: Uuid,
    version_id: &str,
) -> Result<Vec<String>, CheckFailure> {
    let v = some!(
        s.get_version(id, &VersionSelector::Id(version_id.into()))
            .await?,
        "version {version_id} is missing"
    );
    Ok(v.stages)
}

/// The id of the version holding `stage`, if any.
pub(super) async fn holder<S: Store>(
    s: &S,
    id: Uuid,
    stage: &str,
) -> Result<Option<String>, CheckFailure> {
    Ok(s.get_version(id, &VersionSelector::Stage(stage.into()))
        .await?
        .map(|v| v.version_id))
}

/// The ids of a secret's versions, oldest first.
pub(super) async fn version_ids<S: Store>(s: &S, id: Uuid) -> Result<Vec<String>, CheckFailure> {
    Ok(s.list_versions(id)
        .await?
        .into_iter()
        .map(|v| v.version_id)
        .collect())
}

/// Sorted owned strings, to compare with [`stages_of`].
pub(super) fn strs(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}
