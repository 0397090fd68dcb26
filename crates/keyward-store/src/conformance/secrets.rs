//! Secrets as records: settings, create and read back, unique names, ARNs and ids,
//! listing, patches, purges, and the all-or-nothing replacement of a history.

use super::fixtures::*;
use super::{CheckFailure, CheckResult};
use crate::model::*;
use crate::{Store, StoreError};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

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
    let empty = create(s, "empty", None).await?;
    ensure!(
        s.list_versions(empty.id).await?.is_empty(),
        "versions appeared from nowhere"
    );
    ensure_eq!(holder(s, empty.id, "AWSCURRENT").await?, None);

    // A failing first version rolls the secret back: the secret must not exist.
    let nonexistent = s
        .add_version(Uuid::new_v4(), new_version("x", 1, &[]), audited())
        .await;
    ensure_err!(nonexistent, NotFound, "add_version to a missing secret");
    Ok(())
}

pub async fn secret_duplicate_names<S: Store>(s: &S) -> CheckResult {
    let first = create(s, "dup", None).await?;
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
    create_in(s, Namespace::Parameters, "dup", None).await?;

    // Still taken while scheduled for deletion.
    set_deleted_at(
        s,
        first.id,
        Some(OffsetDateTime::now_utc() + Duration::days(7)),
    )
    .await?;
    let again = s
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "dup"),
            Some(new_version("v", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await;
    ensure_err!(
        again,
        AlreadyExists,
        "name of a secret scheduled for deletion"
    );

    // ARN and id are unique too.
    let mut same_arn = new_secret(Namespace::Secrets, REGION, "other");
    same_arn.arn = first.arn.clone();
    let mut same_id = new_secret(Namespace::Secrets, REGION, "other");
    same_id.id = first.id;
    for (what, other) in [("duplicate ARN", same_arn), ("duplicate id", same_id)] {
        let again = s.create_secret(other, None, audited()).await;
        ensure_err!(again, AlreadyExists, "{what}");
        ensure!(!exists(s, "other").await?, "{what}: the secret was created");
    }
    Ok(())
}

pub async fn secret_list<S: Store>(s: &S) -> CheckResult {
    for name in ["app/c", "app/a", "db/x", "app/b", "app/d", "apq"] {
        create(s, name, None).await?;
    }
    s.create_secret(
        new_secret(Namespace::Secrets, "eu-west-1", "app/e"),
        None,
        audited(),
    )
    .await?;
    create_in(s, Namespace::Parameters, "app/f", None).await?;
    let d = some!(
        s.get_secret(Namespace::Secrets, REGION, "app/d").await?,
        "app/d"
    );
    set_deleted_at(s, d.id, Some(OffsetDateTime::now_utc())).await?;

    let list = async |prefix: Option<&str>, include_deleted, after: Option<&str>, limit| {
        let q = ListQuery {
            namespace: Namespace::Secrets,
            region: REGION.into(),
            name_prefix: prefix.map(Into::into),
            include_deleted,
            after_name: after.map(Into::into),
            limit,
        };
        let found = s.list_secrets(&q).await?;
        Ok::<_, StoreError>(found.into_iter().map(|s| s.name).collect::<Vec<_>>())
    };
    ensure_eq!(
        list(None, false, None, None).await?,
        ["app/a", "app/b", "app/c", "apq", "db/x"]
    );
    ensure_eq!(
        list(Some("app/"), false, None, None).await?,
        ["app/a", "app/b", "app/c"]
    );
    ensure_eq!(
        list(Some("app/"), true, None, None).await?,
        ["app/a", "app/b", "app/c", "app/d"]
    );
    ensure_eq!(
        list(Some("app/"), false, None, Some(2)).await?,
        ["app/a", "app/b"]
    );
    ensure_eq!(
        list(Some("app/"), false, Some("app/b"), Some(2)).await?,
        ["app/c"]
    );
    ensure_eq!(
        list(Some("app/"), true, Some("app/b"), Some(2)).await?,
        ["app/c", "app/d"]
    );
    // Prefixes are literal: no LIKE wildcards.
    for (prefix, limit, what) in [
        (Some("zzz"), None, "prefix zzz matched"),
        (Some("app%"), None, "% is a wildcard"),
        (Some("ap_/"), None, "_ is a wildcard"),
        (None, Some(0), "limit 0 returned rows"),
    ] {
        ensure!(list(prefix, true, None, limit).await?.is_empty(), "{what}");
    }
    Ok(())
}

pub async fn secret_update_patch<S: Store>(s: &S) -> CheckResult {
    let mut ns = new_secret(Namespace::Secrets, REGION, "p");
    ns.description = Some("d0".into());
    ns.kms_key_id = Some("k0".into());
    let c = s.create_secret(ns, None, audited()).await?;
    let update = async |patch: SecretPatch| s.update_secret(c.id, patch, audited()).await;
    let read_back = async || {
        let found = s.get_secret_by_id(c.id).await?;
        found.ok_or_else(|| CheckFailure("secret vanished".into()))
    };

    // An empty patch changes nothing.
    let u = update(SecretPatch::default()).await?;
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
    let u = update(SecretPatch {
        description: Some(None),
        tags: Some(tags.clone()),
        rotation: Some(Some(serde_json::json!({"days": 30}))),
        resource_policy: Some(Some("{}".into())),
        metadata: Some(serde_json::json!({"type": "SecureString"})),
        ..Default::default()
    })
    .await?;
    ensure_eq!(u.description, None);
    ensure_eq!(u.kms_key_id.as_deref(), Some("k0"));
    ensure_eq!(u.tags, tags);
    ensure_eq!(u.rotation, Some(serde_json::json!({"days": 30})));
    ensure_eq!(u.resource_policy.as_deref(), Some("{}"));
    ensure_eq!(u.metadata, serde_json::json!({"type": "SecureString"}));
    ensure!(u.updated_at >= c.updated_at, "updated_at went backwards");
    ensure_eq!(u.created_at, c.created_at);
    ensure_eq!(read_back().await?, u);

    // Sub-second precision survives a round trip.
    let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789)
        .map_err(|e| CheckFailure(e.to_string()))?;
    let accessed_at = |t| SecretPatch {
        last_accessed_at: Some(t),
        ..Default::default()
    };
    let u2 = update(accessed_at(t)).await?;
    ensure_eq!(u2.last_accessed_at, Some(t));
    ensure_eq!(u2.updated_at, u.updated_at);

    // Recorded reads only move the access date forward, never touch updated_at,
    // and skip secrets that no longer exist.
    let later = t + Duration::days(1);
    s.record_access(vec![(c.id, later), (Uuid::new_v4(), later)])
        .await?;
    let a = read_back().await?;
    ensure_eq!(a.last_accessed_at, Some(later));
    ensure_eq!(a.updated_at, u.updated_at);
    s.record_access(vec![(c.id, t)]).await?;
    ensure_eq!(read_back().await?.last_accessed_at, Some(later));
    update(accessed_at(t)).await?;
    let u3 = update(SecretPatch {
        deleted_at: Some(Some(t)),
        rotation: Some(None),
        ..Default::default()
    })
    .await?;
    ensure_eq!(u3.deleted_at, Some(t));
    ensure_eq!(u3.rotation, None);
    let u4 = set_deleted_at(s, c.id, None).await?;
    ensure_eq!(u4.deleted_at, None);
    ensure_eq!(read_back().await?, u4);

    let missing = s
        .update_secret(Uuid::new_v4(), SecretPatch::default(), audited())
        .await;
    ensure_err!(missing, NotFound, "update of a missing secret");
    Ok(())
}

pub async fn secret_purge<S: Store>(s: &S) -> CheckResult {
    let a = create_current(s, "a").await?;
    s.purge_secret(a.id, audited()).await?;
    ensure_eq!(s.get_secret_by_id(a.id).await?, None);
    ensure!(
        s.list_versions(a.id).await?.is_empty(),
        "versions survived the purge"
    );
    let again = s.purge_secret(a.id, audited()).await;
    ensure_err!(again, NotFound, "purging twice");
    // The name is free again.
    create(s, "a", None).await?;

    let now = OffsetDateTime::now_utc();
    let mut expired = Vec::new();
    for (name, when) in [
        ("past", Some(now - Duration::days(1))),
        ("exactly-now", Some(now)),
        ("future", Some(now + Duration::days(1))),
        ("live", None),
    ] {
        let sec = create_current(s, name).await?;
        set_deleted_at(s, sec.id, when).await?;
        if when.is_some_and(|w| w <= now) {
            expired.push(sec.arn.clone());
        }
    }
    let mut purged = s.purge_expired(now, audited()).await?;
    purged.sort();
    expired.sort();
    ensure_eq!(purged, expired);
    for (name, kept) in [
        ("past", false),
        ("exactly-now", false),
        ("future", true),
        ("live", true),
    ] {
        ensure_eq!((name, exists(s, name).await?), (name, kept));
    }
    ensure!(
        s.purge_expired(now, audited()).await?.is_empty(),
        "second purge_expired found more"
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
