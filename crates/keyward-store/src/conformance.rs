//! The backend-agnostic conformance suite. Every [`Store`] implementation must pass
//! it; a backend's tests call [`run_all`] (or the single checks) with a factory for
//! fresh, empty stores.
//!
//! Checks return a [`CheckFailure`] naming the failed expectation instead of
//! panicking, so this module can live in the library.

use crate::audit::verify_chain;
use crate::model::*;
use crate::{Store, StoreError};
use keyward_crypto::AuditKey;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A failed conformance expectation.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckFailure(pub String);

impl From<StoreError> for CheckFailure {
    fn from(e: StoreError) -> Self {
        CheckFailure(format!("unexpected store error: {e}"))
    }
}

pub type CheckResult = Result<(), CheckFailure>;

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(CheckFailure(format!("{}:{}: {}", file!(), line!(), format!($($fmt)+))));
        }
    };
}

macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    return Err(CheckFailure(format!(
                        "{}:{}: `{}` is {:?}, expected {:?}",
                        file!(),
                        line!(),
                        stringify!($left),
                        l,
                        r
                    )));
                }
            }
        }
    };
}

macro_rules! some {
    ($opt:expr, $($fmt:tt)+) => {
        match $opt {
            Some(v) => v,
            None => return Err(CheckFailure(format!("{}:{}: {}", file!(), line!(), format!($($fmt)+)))),
        }
    };
}

mod alerts;
mod file_recipients;
mod leases;
mod mfa;
mod prune;
mod versions;
pub use alerts::alert_outbox_queues_once_and_retries;
pub use file_recipients::file_recipients_are_created_once;
pub use leases::{lease_is_exclusive_until_it_lapses, lease_race_has_one_winner};
pub use mfa::mfa_devices_and_used_steps;
pub use prune::version_limit_prunes_like_aws;
pub use versions::{version_add_after_is_optimistic, version_add_after_race};

/// Runs every check, each against a store fresh from `make`, and stops at the first
/// failure (prefixed with the check's name).
pub async fn run_all<S, F>(make: F) -> CheckResult
where
    S: Store,
    F: Fn() -> Result<S, StoreError>,
{
    macro_rules! run {
        ($($check:ident),* $(,)?) => {$(
            $check(&make()?)
                .await
                .map_err(|e| CheckFailure(format!("{}: {}", stringify!($check), e.0)))?;
        )*};
    }
    run!(
        settings,
        secret_create_get,
        secret_duplicate_names,
        secret_list,
        secret_update_patch,
        secret_purge,
        version_replay_and_conflict,
        version_stage_chain,
        secret_and_version_read,
        version_move_stage,
        version_prune,
        version_limit_prunes_like_aws,
        version_add_after_is_optimistic,
        principals_and_keys,
        policies_and_attachments,
        audit_append_and_verify,
        audit_list_filters,
        audit_since_survives_clock_steps,
        writes_commit_their_audit_record,
        secret_replace_is_all_or_nothing,
        audit_counts_round_trip,
        lease_is_exclusive_until_it_lapses,
        mfa_devices_and_used_steps,
        file_recipients_are_created_once,
        alert_outbox_queues_once_and_retries,
    );
    lease_race_has_one_winner(Arc::new(make()?), 8)
        .await
        .map_err(|e| CheckFailure(format!("lease_race_has_one_winner: {}", e.0)))?;
    audit_concurrent_appends(Arc::new(make()?), 8, 50)
        .await
        .map_err(|e| CheckFailure(format!("audit_concurrent_appends: {}", e.0)))?;
    version_add_after_race(Arc::new(make()?), 4, 10)
        .await
        .map_err(|e| CheckFailure(format!("version_add_after_race: {}", e.0)))?;
    audit_seqs_never_reused(Arc::new(make()?))
        .await
        .map_err(|e| CheckFailure(format!("audit_seqs_never_reused: {}", e.0)))?;
    Ok(())
}

// ---- fixtures

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

async fn stages_of<S: Store>(
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

async fn holder<S: Store>(s: &S, id: Uuid, stage: &str) -> Result<Option<String>, CheckFailure> {
    Ok(s.get_version(id, &VersionSelector::Stage(stage.into()))
        .await?
        .map(|v| v.version_id))
}

fn strs(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

// ---- checks

pub async fn settings<S: Store>(s: &S) -> CheckResult {
    ensure_eq!(s.get_setting("nope").await?, None);
    s.set_setting("k", "v1").await?;
    s.set_setting("k", "v2").await?;
    ensure_eq!(s.get_setting("k").await?, Some("v2".to_string()));
    Ok(())
}

pub async fn secret_create_get<S: Store>(s: &S) -> CheckResult {
    let mut ns = new_secret(Namespace::Secrets, REGION, "app/db");
    ns.description = Some("the db".into());
    ns.tags = vec![
        Tag {
            key: "z".into(),
            value: "1".into(),
        },
        Tag {
            key: "a".into(),
            value: "2".into(),
        },
    ];
    ns.metadata = serde_json::json!({"k": [1, 2]});
    let before = OffsetDateTime::now_utc() - Duration::seconds(1);
    let created = s
        .create_secret(
            ns.clone(),
            Some(new_version("v1", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await?;
    ensure_eq!(created.name, "app/db");
    ensure_eq!(created.arn, ns.arn);
    ensure_eq!(created.tags, ns.tags);
    ensure_eq!(created.metadata, ns.metadata);
    ensure_eq!(created.description.as_deref(), Some("the db"));
    ensure!(
        created.created_at >= before,
        "created_at {} is in the past",
        created.created_at
    );
    ensure_eq!(created.deleted_at, None);

    let by_name = some!(
        s.get_secret(Namespace::Secrets, REGION, "app/db").await?,
        "get_secret"
    );
    ensure_eq!(by_name, created);
    ensure_eq!(s.get_secret_by_arn(&ns.arn).await?, Some(created.clone()));
    ensure_eq!(s.get_secret_by_id(created.id).await?, Some(created.clone()));
    ensure_eq!(
        s.get_secret(Namespace::Parameters, REGION, "app/db")
            .await?,
        None
    );
    ensure_eq!(
        s.get_secret(Namespace::Secrets, "eu-west-1", "app/db")
            .await?,
        None
    );
    ensure_eq!(s.get_secret_by_arn(&format!("{}x", ns.arn)).await?, None);
    ensure_eq!(s.get_secret_by_id(Uuid::new_v4()).await?, None);

    let cur = some!(
        s.get_version(created.id, &VersionSelector::Stage("AWSCURRENT".into()))
            .await?,
        "first version has no AWSCURRENT"
    );
    ensure_eq!(cur.version_id, "v1");
    ensure_eq!(cur.seq, 1);
    ensure_eq!(cur.sealed, vec![1u8; 40]);
    ensure_eq!(cur.value_mac, vec![1u8; 32]);
    ensure_eq!(cur.created_by.as_deref(), Some("tester"));

    // Without a first version.
    let empty = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "empty"),
            None,
            audited(),
        )
        .await?;
    ensure!(
        s.list_versions(empty.id).await?.is_empty(),
        "versions appeared from nowhere"
    );
    ensure_eq!(
        s.get_version(empty.id, &VersionSelector::Stage("AWSCURRENT".into()))
            .await?,
        None
    );

    // A failing first version rolls the secret back: the secret must not exist.
    let nonexistent = s
        .add_version(Uuid::new_v4(), new_version("x", 1, &[]), audited())
        .await;
    ensure!(
        matches!(nonexistent, Err(StoreError::NotFound { .. })),
        "add_version to a missing secret: {nonexistent:?}"
    );
    Ok(())
}

pub async fn secret_duplicate_names<S: Store>(s: &S) -> CheckResult {
    let first = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "dup"),
            None,
            audited(),
        )
        .await?;
    let again = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "dup"),
            None,
            audited(),
        )
        .await;
    ensure!(
        matches!(&again, Err(StoreError::AlreadyExists { name, .. }) if name == "dup"),
        "duplicate name: {again:?}"
    );
    s.create_secret(
        new_secret(Namespace::Secrets, "eu-west-1", "dup"),
        None,
        audited(),
    )
    .await?;
    s.create_secret(
        new_secret(Namespace::Parameters, REGION, "dup"),
        None,
        audited(),
    )
    .await?;

    // Still taken while scheduled for deletion.
    let patch = SecretPatch {
        deleted_at: Some(Some(OffsetDateTime::now_utc() + Duration::days(7))),
        ..Default::default()
    };
    s.update_secret(first.id, patch, audited()).await?;
    let again = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "dup"),
            Some(new_version("v", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await;
    ensure!(
        matches!(again, Err(StoreError::AlreadyExists { .. })),
        "name of a secret scheduled for deletion: {again:?}"
    );

    // ARN unique.
    let mut other = new_secret(Namespace::Secrets, REGION, "other");
    other.arn = first.arn.clone();
    let again = s.create_secret(other, None, audited()).await;
    ensure!(
        matches!(again, Err(StoreError::AlreadyExists { .. })),
        "duplicate ARN: {again:?}"
    );
    ensure_eq!(
        s.get_secret(Namespace::Secrets, REGION, "other").await?,
        None
    );

    // Id unique.
    let mut other = new_secret(Namespace::Secrets, REGION, "other");
    other.id = first.id;
    let again = s.create_secret(other, None, audited()).await;
    ensure!(
        matches!(again, Err(StoreError::AlreadyExists { .. })),
        "duplicate id: {again:?}"
    );
    ensure_eq!(
        s.get_secret(Namespace::Secrets, REGION, "other").await?,
        None
    );
    Ok(())
}

pub async fn secret_list<S: Store>(s: &S) -> CheckResult {
    for name in ["app/c", "app/a", "db/x", "app/b", "app/d", "apq"] {
        s.create_secret(
            new_secret(Namespace::Secrets, REGION, name),
            None,
            audited(),
        )
        .await?;
    }
    s.create_secret(
        new_secret(Namespace::Secrets, "eu-west-1", "app/e"),
        None,
        audited(),
    )
    .await?;
    s.create_secret(
        new_secret(Namespace::Parameters, REGION, "app/f"),
        None,
        audited(),
    )
    .await?;
    let d = some!(
        s.get_secret(Namespace::Secrets, REGION, "app/d").await?,
        "app/d"
    );
    let patch = SecretPatch {
        deleted_at: Some(Some(OffsetDateTime::now_utc())),
        ..Default::default()
    };
    s.update_secret(d.id, patch, audited()).await?;

    let q = |prefix: Option<&str>, include_deleted, after: Option<&str>, limit| ListQuery {
        namespace: Namespace::Secrets,
        region: REGION.into(),
        name_prefix: prefix.map(Into::into),
        include_deleted,
        after_name: after.map(Into::into),
        limit,
    };
    let names = |v: Vec<Secret>| v.into_iter().map(|s| s.name).collect::<Vec<_>>();
    ensure_eq!(
        names(s.list_secrets(&q(None, false, None, None)).await?),
        ["app/a", "app/b", "app/c", "apq", "db/x"]
    );
    ensure_eq!(
        names(s.list_secrets(&q(Some("app/"), false, None, None)).await?),
        ["app/a", "app/b", "app/c"]
    );
    ensure_eq!(
        names(s.list_secrets(&q(Some("app/"), true, None, None)).await?),
        ["app/a", "app/b", "app/c", "app/d"]
    );
    ensure_eq!(
        names(
            s.list_secrets(&q(Some("app/"), false, None, Some(2)))
                .await?
        ),
        ["app/a", "app/b"]
    );
    ensure_eq!(
        names(
            s.list_secrets(&q(Some("app/"), false, Some("app/b"), Some(2)))
                .await?
        ),
        ["app/c"]
    );
    ensure_eq!(
        names(
            s.list_secrets(&q(Some("app/"), true, Some("app/b"), Some(2)))
                .await?
        ),
        ["app/c", "app/d"]
    );
    ensure!(
        s.list_secrets(&q(Some("zzz"), true, None, None))
            .await?
            .is_empty(),
        "prefix zzz matched"
    );
    // Prefixes are literal: no LIKE wildcards.
    ensure!(
        s.list_secrets(&q(Some("app%"), true, None, None))
            .await?
            .is_empty(),
        "% is a wildcard"
    );
    ensure!(
        s.list_secrets(&q(Some("ap_/"), true, None, None))
            .await?
            .is_empty(),
        "_ is a wildcard"
    );
    ensure!(
        s.list_secrets(&q(None, true, None, Some(0)))
            .await?
            .is_empty(),
        "limit 0 returned rows"
    );
    Ok(())
}

pub async fn secret_update_patch<S: Store>(s: &S) -> CheckResult {
    let mut ns = new_secret(Namespace::Secrets, REGION, "p");
    ns.description = Some("d0".into());
    ns.kms_key_id = Some("k0".into());
    let c = s.create_secret(ns, None, audited()).await?;

    // An empty patch changes nothing.
    let u = s
        .update_secret(c.id, SecretPatch::default(), audited())
        .await?;
    ensure_eq!(u.description.as_deref(), Some("d0"));
    ensure_eq!(u.kms_key_id.as_deref(), Some("k0"));

    let tags = vec![
        Tag {
            key: "b".into(),
            value: "1".into(),
        },
        Tag {
            key: "a".into(),
            value: "".into(),
        },
    ];
    let u = s
        .update_secret(
            c.id,
            SecretPatch {
                description: Some(None),
                tags: Some(tags.clone()),
                rotation: Some(Some(serde_json::json!({"days": 30}))),
                resource_policy: Some(Some("{}".into())),
                metadata: Some(serde_json::json!({"type": "SecureString"})),
                ..Default::default()
            },
            audited(),
        )
        .await?;
    ensure_eq!(u.description, None);
    ensure_eq!(u.kms_key_id.as_deref(), Some("k0"));
    ensure_eq!(u.tags, tags);
    ensure_eq!(u.rotation, Some(serde_json::json!({"days": 30})));
    ensure_eq!(u.resource_policy.as_deref(), Some("{}"));
    ensure_eq!(u.metadata, serde_json::json!({"type": "SecureString"}));
    ensure!(u.updated_at >= c.updated_at, "updated_at went backwards");
    ensure_eq!(u.created_at, c.created_at);
    ensure_eq!(s.get_secret_by_id(c.id).await?, Some(u.clone()));

    // Sub-second precision survives a round trip.
    let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789)
        .map_err(|e| CheckFailure(e.to_string()))?;
    let u2 = s
        .update_secret(
            c.id,
            SecretPatch {
                last_accessed_at: Some(t),
                ..Default::default()
            },
            audited(),
        )
        .await?;
    ensure_eq!(u2.last_accessed_at, Some(t));
    ensure_eq!(u2.updated_at, u.updated_at);

    // Recorded reads only move the access date forward, never touch updated_at,
    // and skip secrets that no longer exist.
    let later = t + time::Duration::days(1);
    s.record_access(vec![(c.id, later), (Uuid::new_v4(), later)])
        .await?;
    let a = s
        .get_secret_by_id(c.id)
        .await?
        .ok_or_else(|| CheckFailure("secret vanished".into()))?;
    ensure_eq!(a.last_accessed_at, Some(later));
    ensure_eq!(a.updated_at, u.updated_at);
    s.record_access(vec![(c.id, t)]).await?;
    let a = s
        .get_secret_by_id(c.id)
        .await?
        .ok_or_else(|| CheckFailure("secret vanished".into()))?;
    ensure_eq!(a.last_accessed_at, Some(later));
    s.update_secret(
        c.id,
        SecretPatch {
            last_accessed_at: Some(t),
            ..Default::default()
        },
        audited(),
    )
    .await?;
    let u3 = s
        .update_secret(
            c.id,
            SecretPatch {
                deleted_at: Some(Some(t)),
                rotation: Some(None),
                ..Default::default()
            },
            audited(),
        )
        .await?;
    ensure_eq!(u3.deleted_at, Some(t));
    ensure_eq!(u3.rotation, None);
    let u4 = s
        .update_secret(
            c.id,
            SecretPatch {
                deleted_at: Some(None),
                ..Default::default()
            },
            audited(),
        )
        .await?;
    ensure_eq!(u4.deleted_at, None);
    ensure_eq!(s.get_secret_by_id(c.id).await?, Some(u4));

    let missing = s
        .update_secret(Uuid::new_v4(), SecretPatch::default(), audited())
        .await;
    ensure!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "update of a missing secret: {missing:?}"
    );
    Ok(())
}

pub async fn secret_purge<S: Store>(s: &S) -> CheckResult {
    let a = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "a"),
            Some(new_version("v1", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await?;
    s.purge_secret(a.id, audited()).await?;
    ensure_eq!(s.get_secret_by_id(a.id).await?, None);
    ensure!(
        s.list_versions(a.id).await?.is_empty(),
        "versions survived the purge"
    );
    let again = s.purge_secret(a.id, audited()).await;
    ensure!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "purging twice: {again:?}"
    );
    // The name is free again.
    s.create_secret(new_secret(Namespace::Secrets, REGION, "a"), None, audited())
        .await?;

    let now = OffsetDateTime::now_utc();
    let mut expired = Vec::new();
    for (name, when) in [
        ("past", Some(now - Duration::days(1))),
        ("exactly-now", Some(now)),
        ("future", Some(now + Duration::days(1))),
        ("live", None),
    ] {
        let sec = s
            .create_secret(
                new_secret(Namespace::Secrets, REGION, name),
                Some(new_version("v1", 1, &["AWSCURRENT"])),
                audited(),
            )
            .await?;
        s.update_secret(
            sec.id,
            SecretPatch {
                deleted_at: Some(when),
                ..Default::default()
            },
            audited(),
        )
        .await?;
        if when.is_some_and(|w| w <= now) {
            expired.push(sec.arn.clone());
        }
    }
    let mut purged = s.purge_expired(now, audited()).await?;
    purged.sort();
    expired.sort();
    ensure_eq!(purged, expired);
    ensure_eq!(
        s.get_secret(Namespace::Secrets, REGION, "past").await?,
        None
    );
    ensure_eq!(
        s.get_secret(Namespace::Secrets, REGION, "exactly-now")
            .await?,
        None
    );
    ensure!(
        s.get_secret(Namespace::Secrets, REGION, "future")
            .await?
            .is_some(),
        "future purged"
    );
    ensure!(
        s.get_secret(Namespace::Secrets, REGION, "live")
            .await?
            .is_some(),
        "live purged"
    );
    ensure!(
        s.purge_expired(now, audited()).await?.is_empty(),
        "second purge_expired found more"
    );
    Ok(())
}

pub async fn version_replay_and_conflict<S: Store>(s: &S) -> CheckResult {
    let c = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "r"),
            Some(new_version("v1", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await?;
    let v2 = s
        .add_version(c.id, new_version("v2", 2, &["AWSCURRENT"]), audited())
        .await?;
    ensure!(matches!(v2, AddVersionOutcome::Created(_)), "v2: {v2:?}");
    ensure_eq!(v2.version().seq, 2);

    // Replaying v1 (same value) is a no-op, even though it asks for AWSCURRENT.
    let replay = s
        .add_version(c.id, new_version("v1", 1, &["AWSCURRENT"]), audited())
        .await?;
    ensure!(
        matches!(replay, AddVersionOutcome::AlreadyExisted(_)),
        "replay: {replay:?}"
    );
    ensure_eq!(replay.version().seq, 1);
    ensure_eq!(holder(s, c.id, "AWSCURRENT").await?.as_deref(), Some("v2"));
    ensure_eq!(s.list_versions(c.id).await?.len(), 2);

    let conflict = s
        .add_version(c.id, new_version("v1", 9, &["AWSCURRENT"]), audited())
        .await;
    ensure!(
        matches!(&conflict, Err(StoreError::VersionConflict { version_id }) if version_id == "v1"),
        "conflict: {conflict:?}"
    );
    ensure_eq!(holder(s, c.id, "AWSCURRENT").await?.as_deref(), Some("v2"));
    ensure_eq!(s.list_versions(c.id).await?.len(), 2);

    // Version ids are per secret.
    let other = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "r2"),
            None,
            audited(),
        )
        .await?;
    let v = s
        .add_version(other.id, new_version("v1", 5, &["AWSCURRENT"]), audited())
        .await?;
    ensure!(
        matches!(v, AddVersionOutcome::Created(_)),
        "v1 in another secret: {v:?}"
    );
    ensure_eq!(v.version().seq, 1);

    // Per-version metadata round-trips, and defaults to null.
    let mut nv = new_version("v2", 6, &[]);
    nv.metadata = serde_json::json!({"type": "SecureString", "tier": "Standard"});
    let with_meta = s.add_version(other.id, nv, audited()).await?;
    ensure_eq!(
        with_meta.version().metadata,
        serde_json::json!({"type": "SecureString", "tier": "Standard"})
    );
    let listed = s.list_versions(other.id).await?;
    ensure_eq!(listed[0].metadata, serde_json::Value::Null);
    ensure_eq!(listed[1].metadata["type"], "SecureString");
    Ok(())
}

/// The combined hot-path read agrees with the two separate reads.
pub async fn secret_and_version_read<S: Store>(s: &S) -> CheckResult {
    let c = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "both"),
            None,
            audited(),
        )
        .await?;
    s.add_version(c.id, new_version("v1", 1, &["AWSCURRENT"]), audited())
        .await?;
    s.add_version(c.id, new_version("v2", 2, &["AWSCURRENT"]), audited())
        .await?;
    let current = VersionSelector::Stage("AWSCURRENT".into());
    let got = s
        .get_secret_and_version(Namespace::Secrets, REGION, "both", &current)
        .await?;
    let (secret, version) = got.ok_or_else(|| CheckFailure("secret not found".into()))?;
    ensure_eq!(secret.id, c.id);
    ensure_eq!(version.map(|v| v.version_id).as_deref(), Some("v2"));
    let previous = VersionSelector::Id("v1".into());
    let got = s
        .get_secret_and_version(Namespace::Secrets, REGION, "both", &previous)
        .await?;
    ensure_eq!(
        got.and_then(|(_, v)| v).map(|v| v.version_id).as_deref(),
        Some("v1")
    );
    let missing_version = VersionSelector::Id("nope".into());
    let got = s
        .get_secret_and_version(Namespace::Secrets, REGION, "both", &missing_version)
        .await?;
    ensure!(
        matches!(got, Some((_, None))),
        "unknown version must be None"
    );
    ensure!(
        s.get_secret_and_version(Namespace::Secrets, REGION, "absent", &current)
            .await?
            .is_none(),
        "absent secret must be None"
    );
    Ok(())
}

pub async fn version_stage_chain<S: Store>(s: &S) -> CheckResult {
    let c = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "chain"),
            None,
            audited(),
        )
        .await?;
    let id = c.id;
    s.add_version(id, new_version("v1", 1, &["AWSCURRENT"]), audited())
        .await?;
    ensure_eq!(stages_of(s, id, "v1").await?, strs(&["AWSCURRENT"]));
    s.add_version(id, new_version("v2", 2, &["AWSCURRENT"]), audited())
        .await?;
    ensure_eq!(stages_of(s, id, "v1").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSCURRENT"]));
    s.add_version(id, new_version("v3", 3, &["AWSCURRENT"]), audited())
        .await?;
    ensure_eq!(stages_of(s, id, "v1").await?, Vec::<String>::new());
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(stages_of(s, id, "v3").await?, strs(&["AWSCURRENT"]));
    ensure_eq!(holder(s, id, "AWSPREVIOUS").await?.as_deref(), Some("v2"));

    // AWSPENDING does not disturb AWSCURRENT.
    s.add_version(id, new_version("v4", 4, &["AWSPENDING"]), audited())
        .await?;
    ensure_eq!(holder(s, id, "AWSCURRENT").await?.as_deref(), Some("v3"));
    ensure_eq!(holder(s, id, "AWSPENDING").await?.as_deref(), Some("v4"));
    ensure_eq!(holder(s, id, "AWSPREVIOUS").await?.as_deref(), Some("v2"));

    // Custom labels move alone.
    s.add_version(id, new_version("v5", 5, &["blue", "green"]), audited())
        .await?;
    s.add_version(id, new_version("v6", 6, &["blue"]), audited())
        .await?;
    ensure_eq!(stages_of(s, id, "v5").await?, strs(&["green"]));
    ensure_eq!(stages_of(s, id, "v6").await?, strs(&["blue"]));
    ensure_eq!(holder(s, id, "AWSCURRENT").await?.as_deref(), Some("v3"));

    // Several stages at once, including AWSCURRENT.
    s.add_version(
        id,
        new_version("v7", 7, &["AWSCURRENT", "green", "AWSCURRENT"]),
        audited(),
    )
    .await?;
    ensure_eq!(
        stages_of(s, id, "v7").await?,
        strs(&["AWSCURRENT", "green"])
    );
    ensure_eq!(stages_of(s, id, "v3").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(stages_of(s, id, "v2").await?, Vec::<String>::new());
    ensure_eq!(stages_of(s, id, "v5").await?, Vec::<String>::new());

    let all = s.list_versions(id).await?;
    ensure_eq!(
        all.iter().map(|v| v.seq).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<i64>>()
    );
    ensure_eq!(
        all.iter()
            .map(|v| v.version_id.as_str())
            .collect::<Vec<_>>(),
        ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]
    );
    // Every stage is held by exactly one version.
    let mut seen = BTreeSet::new();
    for v in &all {
        for st in &v.stages {
            ensure!(seen.insert(st.clone()), "stage {st} is on two versions");
        }
    }
    Ok(())
}

pub async fn version_move_stage<S: Store>(s: &S) -> CheckResult {
    let c = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "mv"),
            Some(new_version("v1", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await?;
    let id = c.id;
    s.add_version(id, new_version("v2", 2, &["AWSPENDING"]), audited())
        .await?;

    // Rotation finish: AWSCURRENT to v2 from v1 gives v1 AWSPREVIOUS.
    s.move_stage(id, "AWSCURRENT", Some("v2"), Some("v1"), audited())
        .await?;
    ensure_eq!(stages_of(s, id, "v1").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(
        stages_of(s, id, "v2").await?,
        strs(&["AWSCURRENT", "AWSPENDING"])
    );
    s.move_stage(id, "AWSPENDING", None, Some("v2"), audited())
        .await?;
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSCURRENT"]));
    ensure_eq!(holder(s, id, "AWSPENDING").await?, None);

    // Wrong from_version: Conflict, nothing moves.
    let wrong = s
        .move_stage(id, "AWSCURRENT", Some("v1"), Some("v1"), audited())
        .await;
    ensure!(
        matches!(wrong, Err(StoreError::Conflict(_))),
        "wrong from_version: {wrong:?}"
    );
    let wrong = s
        .move_stage(id, "AWSPENDING", None, Some("v1"), audited())
        .await;
    ensure!(
        matches!(wrong, Err(StoreError::Conflict(_))),
        "from_version without the stage: {wrong:?}"
    );
    ensure_eq!(holder(s, id, "AWSCURRENT").await?.as_deref(), Some("v2"));

    // Missing target version or secret: NotFound, nothing moves.
    let missing = s
        .move_stage(id, "AWSCURRENT", Some("nope"), Some("v2"), audited())
        .await;
    ensure!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "missing to_version: {missing:?}"
    );
    ensure_eq!(holder(s, id, "AWSCURRENT").await?.as_deref(), Some("v2"));
    let missing = s
        .move_stage(Uuid::new_v4(), "AWSCURRENT", Some("v1"), None, audited())
        .await;
    ensure!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "missing secret: {missing:?}"
    );

    // Rolling back (AWSCURRENT to the previous version) swaps the two.
    s.move_stage(id, "AWSCURRENT", Some("v1"), Some("v2"), audited())
        .await?;
    ensure_eq!(stages_of(s, id, "v1").await?, strs(&["AWSCURRENT"]));
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSPREVIOUS"]));

    // Moving to the holder is a no-op; custom labels move without side effects.
    s.move_stage(id, "AWSCURRENT", Some("v1"), None, audited())
        .await?;
    ensure_eq!(holder(s, id, "AWSPREVIOUS").await?.as_deref(), Some("v2"));
    s.move_stage(id, "label", Some("v2"), None, audited())
        .await?;
    s.move_stage(id, "label", Some("v1"), Some("v2"), audited())
        .await?;
    ensure_eq!(
        stages_of(s, id, "v1").await?,
        strs(&["AWSCURRENT", "label"])
    );
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSPREVIOUS"]));
    Ok(())
}

pub async fn version_prune<S: Store>(s: &S) -> CheckResult {
    let c = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "prune"),
            None,
            audited(),
        )
        .await?;
    let id = c.id;
    for i in 1..=5u8 {
        s.add_version(
            id,
            new_version(&format!("v{i}"), i, &["AWSCURRENT"]),
            audited(),
        )
        .await?;
    }
    // v5 current, v4 previous, v1..v3 deprecated.
    ensure_eq!(s.prune_versions(id, 1, audited()).await?, 2);
    let left: Vec<String> = s
        .list_versions(id)
        .await?
        .into_iter()
        .map(|v| v.version_id)
        .collect();
    ensure_eq!(left, ["v3", "v4", "v5"]);
    ensure_eq!(s.prune_versions(id, 1, audited()).await?, 0);
    ensure_eq!(s.prune_versions(id, 0, audited()).await?, 1);
    let left: Vec<String> = s
        .list_versions(id)
        .await?
        .into_iter()
        .map(|v| v.version_id)
        .collect();
    ensure_eq!(left, ["v4", "v5"]);

    // Seqs are never reused, even after the newest version was pruned.
    s.add_version(id, new_version("v6", 6, &[]), audited())
        .await?;
    ensure_eq!(s.prune_versions(id, 0, audited()).await?, 1);
    let v7 = s
        .add_version(id, new_version("v7", 7, &[]), audited())
        .await?;
    ensure_eq!(v7.version().seq, 7);
    // A pruned version id can not be "replayed": it is simply new again.
    ensure!(
        s.get_version(id, &VersionSelector::Id("v1".into()))
            .await?
            .is_none(),
        "v1 survived pruning"
    );
    let missing = s.prune_versions(Uuid::new_v4(), 0, audited()).await;
    ensure!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "prune of a missing secret: {missing:?}"
    );
    Ok(())
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

fn access_key(id: &str, principal_id: Uuid) -> AccessKey {
    AccessKey {
        access_key_id: id.into(),
        principal_id,
        sealed_secret: vec![9; 48],
        enabled: true,
        created_at: OffsetDateTime::now_utc(),
    }
}

pub async fn principals_and_keys<S: Store>(s: &S) -> CheckResult {
    let alice = principal("alice");
    let bob = principal("bob");
    s.create_principal(alice.clone(), audited()).await?;
    s.create_principal(bob.clone(), audited()).await?;
    let dup = s.create_principal(principal("alice"), audited()).await;
    ensure!(
        matches!(&dup, Err(StoreError::AlreadyExists { name, .. }) if name == "alice"),
        "duplicate principal: {dup:?}"
    );
    ensure_eq!(s.get_principal("alice").await?, Some(alice.clone()));
    ensure_eq!(s.get_principal_by_id(bob.id).await?, Some(bob.clone()));
    ensure_eq!(s.get_principal("carol").await?, None);
    ensure_eq!(s.list_principals().await?, vec![alice.clone(), bob.clone()]);

    s.create_access_key(access_key("AKIA1", alice.id), audited())
        .await?;
    s.create_access_key(access_key("AKIA2", alice.id), audited())
        .await?;
    s.create_access_key(access_key("AKIA3", bob.id), audited())
        .await?;
    let dup = s
        .create_access_key(access_key("AKIA1", bob.id), audited())
        .await;
    ensure!(
        matches!(dup, Err(StoreError::AlreadyExists { .. })),
        "duplicate key: {dup:?}"
    );
    let orphan = s
        .create_access_key(access_key("AKIA9", Uuid::new_v4()), audited())
        .await;
    ensure!(
        matches!(orphan, Err(StoreError::NotFound { .. })),
        "key for nobody: {orphan:?}"
    );
    let k = some!(s.get_access_key("AKIA1").await?, "AKIA1");
    ensure_eq!(
        k,
        access_key("AKIA1", alice.id).with_created_at(k.created_at)
    );
    ensure_eq!(s.list_access_keys(alice.id).await?.len(), 2);
    s.delete_access_key("AKIA2", audited()).await?;
    ensure_eq!(s.get_access_key("AKIA2").await?, None);
    let again = s.delete_access_key("AKIA2", audited()).await;
    ensure!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "deleting a key twice: {again:?}"
    );

    // Deleting a principal takes its keys and attachments.
    s.put_policy("p", "{}", audited()).await?;
    s.attach_policy("alice", "p", audited()).await?;
    s.delete_principal("alice", audited()).await?;
    ensure_eq!(s.get_principal("alice").await?, None);
    ensure_eq!(s.get_access_key("AKIA1").await?, None);
    ensure!(
        s.list_access_keys(alice.id).await?.is_empty(),
        "keys survived their principal"
    );
    s.delete_policy("p", audited()).await?;
    ensure!(
        s.get_access_key("AKIA3").await?.is_some(),
        "bob's key went too"
    );
    let again = s.delete_principal("alice", audited()).await;
    ensure!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "deleting a principal twice: {again:?}"
    );
    Ok(())
}

trait WithCreatedAt {
    fn with_created_at(self, t: OffsetDateTime) -> Self;
}

impl WithCreatedAt for AccessKey {
    fn with_created_at(mut self, t: OffsetDateTime) -> Self {
        self.created_at = t;
        self
    }
}

pub async fn policies_and_attachments<S: Store>(s: &S) -> CheckResult {
    let alice = principal("alice");
    let bob = principal("bob");
    s.create_principal(alice.clone(), audited()).await?;
    s.create_principal(bob.clone(), audited()).await?;
    let p1 = s.put_policy("read", r#"{"v":1}"#, audited()).await?;
    ensure_eq!(p1.document, r#"{"v":1}"#);
    let p1b = s.put_policy("read", r#"{"v":2}"#, audited()).await?;
    ensure_eq!(p1b.document, r#"{"v":2}"#);
    s.put_policy("admin", "{}", audited()).await?;
    ensure_eq!(s.get_policy("read").await?, Some(p1b.clone()));
    ensure_eq!(s.get_policy("nope").await?, None);
    ensure_eq!(
        s.list_policies()
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect::<Vec<_>>(),
        ["admin", "read"]
    );

    s.attach_policy("alice", "read", audited()).await?;
    s.attach_policy("alice", "read", audited()).await?; // idempotent
    s.attach_policy("alice", "admin", audited()).await?;
    s.attach_policy("bob", "read", audited()).await?;
    ensure_eq!(
        s.principal_policies(alice.id)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect::<Vec<_>>(),
        ["admin", "read"]
    );
    let r = s.attach_policy("carol", "read", audited()).await;
    ensure!(
        matches!(r, Err(StoreError::NotFound { .. })),
        "attach to nobody: {r:?}"
    );
    let r = s.attach_policy("alice", "nope", audited()).await;
    ensure!(
        matches!(r, Err(StoreError::NotFound { .. })),
        "attach a missing policy: {r:?}"
    );

    let r = s.delete_policy("read", audited()).await;
    match r {
        Err(StoreError::Conflict(msg)) => {
            ensure!(
                msg.contains("alice") && msg.contains("bob"),
                "conflict does not name the principals: {msg}"
            )
        }
        other => {
            return Err(CheckFailure(format!(
                "delete of an attached policy: {other:?}"
            )));
        }
    }
    s.detach_policy("alice", "read", audited()).await?;
    let r = s.detach_policy("alice", "read", audited()).await;
    ensure!(
        matches!(r, Err(StoreError::NotFound { .. })),
        "detach twice: {r:?}"
    );
    s.detach_policy("bob", "read", audited()).await?;
    s.delete_policy("read", audited()).await?;
    ensure_eq!(s.get_policy("read").await?, None);
    let r = s.delete_policy("read", audited()).await;
    ensure!(
        matches!(r, Err(StoreError::NotFound { .. })),
        "delete a missing policy: {r:?}"
    );
    ensure_eq!(
        s.principal_policies(alice.id)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect::<Vec<_>>(),
        ["admin"]
    );
    Ok(())
}

pub async fn audit_append_and_verify<S: Store>(s: &S) -> CheckResult {
    let key = test_audit_key();
    let (recs, head) = crate::audit::read_chain(s).await?;
    ensure!(
        recs.is_empty() && head.is_none(),
        "a fresh store has audit records"
    );
    ensure!(
        verify_chain(&key, &recs, head.as_ref()).ok,
        "an empty chain does not verify"
    );
    ensure!(
        s.append_audit(&key, vec![]).await?.is_empty(),
        "empty append returned seqs"
    );

    let events: Vec<AuditEvent> = (1..=3).map(event).collect();
    ensure_eq!(s.append_audit(&key, events.clone()).await?, vec![1, 2, 3]);
    ensure_eq!(
        s.append_audit(&key, vec![event(4), event(5)]).await?,
        vec![4, 5]
    );
    let (recs, head) = crate::audit::read_chain(s).await?;
    ensure_eq!(recs.len(), 5);
    ensure_eq!(
        recs.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    // Events come back exactly (nanosecond times included).
    ensure_eq!(recs[0].event, events[0]);
    ensure_eq!(recs[2].event, events[2]);
    let head = some!(head, "no head after appending");
    ensure_eq!(head.seq, 5);
    ensure_eq!(head.mac, recs[4].mac);
    let report = verify_chain(&key, &recs, Some(&head));
    ensure!(report.ok, "chain does not verify: {:?}", report.problems);
    ensure_eq!(report.records, 5);

    // A different key does not verify it.
    let other = keyward_crypto::RootKey::generate().audit_key();
    ensure!(
        !verify_chain(&other, &recs, Some(&head)).ok,
        "chain verified under another key"
    );
    // Nor may it extend it: that would re-sign the head under the wrong key.
    let r = s.append_audit(&other, vec![event(6)]).await;
    ensure!(
        matches!(r, Err(StoreError::Corrupt(_))),
        "append under another key: {r:?}"
    );
    ensure_eq!(crate::audit::read_chain(s).await?.0.len(), 5);
    Ok(())
}

/// `since` must find every record at or after the time, even when the clock stepped
/// backwards or forwards between appends (records are in sequence order, not time
/// order), and across minute boundaries.
pub async fn audit_since_survives_clock_steps<S: Store>(s: &S) -> CheckResult {
    let key = test_audit_key();
    let base = OffsetDateTime::now_utc();
    // Offsets in seconds from `base`, in the order they are logged: a run forward, a
    // step back two hours, a step forward a day, and back to just after the start.
    let offsets: [i64; 10] = [0, 30, 61, 125, -7200, -7170, 86_400, 86_430, 62, 63];
    for (i, off) in offsets.iter().enumerate() {
        let mut e = event(i + 1);
        e.time = base + Duration::seconds(*off);
        // One append per record, as separate requests would be.
        s.append_audit(&key, vec![e]).await?;
    }
    for since in [-7200i64, -7171, -1, 0, 31, 62, 63, 64, 126, 86_400, 86_431] {
        let q = AuditQuery {
            since: Some(base + Duration::seconds(since)),
            ..Default::default()
        };
        let got: Vec<i64> = s.list_audit(&q).await?.iter().map(|r| r.seq).collect();
        let want: Vec<i64> = offsets
            .iter()
            .enumerate()
            .filter(|(_, off)| **off >= since)
            .map(|(i, _)| i as i64 + 1)
            .collect();
        ensure!(got == want, "since {since}s: got {got:?}, want {want:?}");
        let q = AuditQuery {
            descending: true,
            ..q
        };
        let got: Vec<i64> = s.list_audit(&q).await?.iter().map(|r| r.seq).collect();
        let want: Vec<i64> = want.into_iter().rev().collect();
        ensure!(
            got == want,
            "since {since}s, newest first: got {got:?}, want {want:?}"
        );
    }
    Ok(())
}

pub async fn audit_list_filters<S: Store>(s: &S) -> CheckResult {
    let key = test_audit_key();
    let start = OffsetDateTime::now_utc();
    let mut events: Vec<AuditEvent> = (1..=30).map(event).collect();
    for (i, e) in events.iter_mut().enumerate() {
        e.time = start + Duration::seconds(i as i64);
    }
    s.append_audit(&key, events).await?;
    let seqs = |v: Vec<AuditRecord>| v.into_iter().map(|r| r.seq).collect::<Vec<_>>();
    let all = s.list_audit(&AuditQuery::default()).await?;
    ensure_eq!(seqs(all), (1..=30).collect::<Vec<i64>>());

    let q = AuditQuery {
        resource: Some("arn:secret:1".into()),
        ..Default::default()
    };
    ensure_eq!(
        seqs(s.list_audit(&q).await?),
        (1..=30).filter(|n| n % 3 == 1).collect::<Vec<i64>>()
    );
    let q = AuditQuery {
        principal: Some("alice".into()),
        ..Default::default()
    };
    ensure_eq!(
        seqs(s.list_audit(&q).await?),
        (1..=30).filter(|n| n % 2 == 0).collect::<Vec<i64>>()
    );
    let q = AuditQuery {
        outcome: Some(Outcome::Denied),
        ..Default::default()
    };
    ensure_eq!(seqs(s.list_audit(&q).await?), vec![5, 10, 15, 20, 25, 30]);
    let q = AuditQuery {
        since: Some(start + Duration::seconds(27)),
        ..Default::default()
    };
    ensure_eq!(seqs(s.list_audit(&q).await?), vec![28, 29, 30]);
    let q = AuditQuery {
        after_seq: Some(25),
        limit: Some(3),
        ..Default::default()
    };
    ensure_eq!(seqs(s.list_audit(&q).await?), vec![26, 27, 28]);
    let q = AuditQuery {
        descending: true,
        limit: Some(3),
        ..Default::default()
    };
    ensure_eq!(seqs(s.list_audit(&q).await?), vec![30, 29, 28]);
    let q = AuditQuery {
        descending: true,
        after_seq: Some(28),
        limit: Some(2),
        ..Default::default()
    };
    ensure_eq!(seqs(s.list_audit(&q).await?), vec![27, 26]);
    let q = AuditQuery {
        principal: Some("alice".into()),
        outcome: Some(Outcome::Denied),
        descending: true,
        ..Default::default()
    };
    ensure_eq!(seqs(s.list_audit(&q).await?), vec![30, 20, 10]);
    let q = AuditQuery {
        resource: Some("nothing".into()),
        ..Default::default()
    };
    ensure!(
        s.list_audit(&q).await?.is_empty(),
        "unknown resource matched"
    );
    Ok(())
}

/// `tasks` tasks each append `per_task` single-event batches at once; the chain must
/// come out gapless and verified, and no seq may be handed out twice.
pub async fn audit_concurrent_appends<S: Store>(
    s: Arc<S>,
    tasks: usize,
    per_task: usize,
) -> CheckResult {
    let key = test_audit_key();
    let mut set = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let s = Arc::clone(&s);
        let key = key.clone();
        set.spawn(async move {
            let mut got = Vec::with_capacity(per_task);
            for i in 0..per_task {
                got.extend(s.append_audit(&key, vec![event(t * 1000 + i)]).await?);
            }
            Ok::<_, StoreError>(got)
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = set.join_next().await {
        let got = joined.map_err(|e| CheckFailure(format!("append task failed: {e}")))??;
        ensure!(
            got.windows(2).all(|w| w[0] < w[1]),
            "one task's seqs are not increasing: {got:?}"
        );
        all.extend(got);
    }
    let n = (tasks * per_task) as i64;
    all.sort_unstable();
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    ensure_eq!(distinct.len(), all.len());
    ensure_eq!(all, (1..=n).collect::<Vec<i64>>());
    let (recs, head) = crate::audit::read_chain(s.as_ref()).await?;
    ensure_eq!(recs.len() as i64, n);
    let report = verify_chain(&key, &recs, head.as_ref());
    ensure!(
        report.ok,
        "concurrent chain does not verify: {:?}",
        report.problems
    );
    Ok(())
}

/// Batches of varying sizes from concurrent tasks: every returned seq is unique,
/// each batch's seqs are contiguous, and together they are exactly 1..=n.
pub async fn audit_seqs_never_reused<S: Store>(s: Arc<S>) -> CheckResult {
    let key = test_audit_key();
    let mut set = tokio::task::JoinSet::new();
    for t in 0..6usize {
        let s = Arc::clone(&s);
        let key = key.clone();
        set.spawn(async move {
            let mut batches = Vec::new();
            for round in 0..10usize {
                // Sizes 0..=6, deterministic but varied per task and round.
                let size = (t * 7 + round * 3) % 7;
                let evs = (0..size)
                    .map(|i| event(t * 10_000 + round * 10 + i))
                    .collect();
                batches.push(s.append_audit(&key, evs).await?);
            }
            Ok::<_, StoreError>(batches)
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = set.join_next().await {
        for batch in joined.map_err(|e| CheckFailure(format!("append task failed: {e}")))?? {
            ensure!(
                batch.windows(2).all(|w| w[1] == w[0] + 1),
                "a batch's seqs are not contiguous: {batch:?}"
            );
            all.extend(batch);
        }
    }
    let n = all.len() as i64;
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    ensure_eq!(distinct.len(), all.len());
    ensure_eq!(
        distinct.into_iter().collect::<Vec<_>>(),
        (1..=n).collect::<Vec<i64>>()
    );
    let (recs, head) = crate::audit::read_chain(s.as_ref()).await?;
    ensure_eq!(recs.len() as i64, n);
    ensure!(
        verify_chain(&key, &recs, head.as_ref()).ok,
        "chain does not verify"
    );
    Ok(())
}

/// Every write commits its audit record in its own transaction: a successful write
/// leaves exactly its record, a refused write leaves none, and a purge of expired
/// secrets leaves one record per purged secret naming it.
pub async fn writes_commit_their_audit_record<S: Store>(s: &S) -> CheckResult {
    let key = test_audit_key();
    let requests = |records: &[AuditRecord]| -> Vec<String> {
        records.iter().map(|r| r.event.request_id.clone()).collect()
    };
    let secret = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "audited"),
            Some(new_version("v1", 1, &["AWSCURRENT"])),
            audited_as("secretsmanager:CreateSecret", "create"),
        )
        .await?;
    s.add_version(
        secret.id,
        new_version("v2", 2, &["AWSCURRENT"]),
        audited_as("secretsmanager:PutSecretValue", "put"),
    )
    .await?;
    // Refused: the name is taken. Its record must roll back with it.
    let dup = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "audited"),
            None,
            audited_as("secretsmanager:CreateSecret", "refused"),
        )
        .await;
    ensure!(dup.is_err(), "a duplicate name was accepted");
    // Refused: a different value under an existing version id.
    let conflict = s
        .add_version(
            secret.id,
            new_version("v2", 9, &[]),
            audited_as("secretsmanager:PutSecretValue", "conflict"),
        )
        .await;
    ensure!(conflict.is_err(), "a conflicting version was accepted");
    let (records, head) = crate::audit::read_chain(s).await?;
    ensure_eq!(
        requests(&records),
        vec!["create".to_string(), "put".to_string()]
    );
    ensure!(
        verify_chain(&key, &records, head.as_ref()).ok,
        "the chain does not verify after audited writes"
    );

    let past = OffsetDateTime::now_utc() - Duration::minutes(1);
    for name in ["gone-a", "gone-b"] {
        let doomed = s
            .create_secret(
                new_secret(Namespace::Secrets, REGION, name),
                None,
                audited(),
            )
            .await?;
        s.update_secret(
            doomed.id,
            SecretPatch {
                deleted_at: Some(Some(past)),
                ..Default::default()
            },
            audited(),
        )
        .await?;
    }
    let purged = s
        .purge_expired(
            OffsetDateTime::now_utc(),
            audited_as("secretsmanager:DeleteSecret", "purge"),
        )
        .await?;
    ensure_eq!(purged.len(), 2);
    let (records, head) = crate::audit::read_chain(s).await?;
    let purge_records: Vec<Option<String>> = records
        .iter()
        .filter(|r| r.event.request_id == "purge")
        .map(|r| r.event.resource.clone())
        .collect();
    let mut want: Vec<Option<String>> = purged.into_iter().map(Some).collect();
    want.sort();
    ensure_eq!(purge_records, want);
    ensure!(
        verify_chain(&key, &records, head.as_ref()).ok,
        "the chain does not verify after a purge"
    );
    Ok(())
}

/// `replace_secret` copies a whole history in one transaction: the replacement has
/// every version with its stages, the replaced secret is gone, and a copy that fails
/// half-way (a duplicate version id) leaves the old secret in place and no record.
pub async fn secret_replace_is_all_or_nothing<S: Store>(s: &S) -> CheckResult {
    let old = s
        .create_secret(
            new_secret(Namespace::Secrets, "eu-west-1", "copy"),
            Some(new_version("old", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await?;
    let copy = s
        .replace_secret(
            Some(old.id),
            new_secret(Namespace::Secrets, "eu-west-1", "copy"),
            vec![
                new_version("v1", 1, &["AWSCURRENT"]),
                new_version("v2", 2, &["AWSCURRENT"]),
            ],
            audited_as("secretsmanager:ReplicateSecretVersion", "copy"),
        )
        .await?;
    ensure!(copy.id != old.id, "the replacement kept the old id");
    ensure!(
        s.get_secret_by_id(old.id).await?.is_none(),
        "the replaced secret survived"
    );
    ensure_eq!(stages_of(s, copy.id, "v1").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(stages_of(s, copy.id, "v2").await?, strs(&["AWSCURRENT"]));
    // A broken copy (same version id twice, different values) changes nothing.
    let broken = s
        .replace_secret(
            Some(copy.id),
            new_secret(Namespace::Secrets, "eu-west-1", "copy"),
            vec![new_version("x", 1, &[]), new_version("x", 2, &[])],
            audited_as("secretsmanager:ReplicateSecretVersion", "broken"),
        )
        .await;
    ensure!(broken.is_err(), "a conflicting copy was accepted");
    ensure!(
        s.get_secret_by_id(copy.id).await?.is_some(),
        "a failed replacement removed the secret"
    );
    let (records, _) = crate::audit::read_chain(s).await?;
    ensure!(
        !records.iter().any(|r| r.event.request_id == "broken"),
        "a failed replacement left its audit record"
    );
    Ok(())
}

/// A folded record keeps its count, and the count is covered by the chain's MAC.
pub async fn audit_counts_round_trip<S: Store>(s: &S) -> CheckResult {
    let key = test_audit_key();
    let folded = AuditEvent {
        count: Some(523),
        ..event(1)
    };
    s.append_audit(&key, vec![event(2), folded.clone()]).await?;
    let (records, head) = crate::audit::read_chain(s).await?;
    ensure_eq!(records.len(), 2);
    ensure_eq!(records[0].event.count, None);
    ensure_eq!(records[1].event.count, Some(523));
    ensure!(
        verify_chain(&key, &records, head.as_ref()).ok,
        "a chain with a counted record does not verify"
    );
    let mut edited = records.clone();
    edited[1].event.count = Some(1);
    ensure!(
        !verify_chain(&key, &edited, head.as_ref()).ok,
        "changing a record's count went unnoticed"
    );
    Ok(())
}
