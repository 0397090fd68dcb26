//! Removing old versions: `prune_versions`, which keeps every labelled version, and
//! version limits (`Store::add_version_pruned`): AWS's rule with a small maximum so
//! the check stays quick, and `now` moved instead of the clock, so "at least 24
//! hours old" is checked without waiting.

use super::fixtures::*;
use super::{CheckFailure, CheckResult};
use crate::audit::verify_stored;
use crate::model::*;
use crate::{PRUNED_ACTION, Store, VersionLimit};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub async fn version_limit_prunes_like_aws<S: Store>(s: &S) -> CheckResult {
    let limit = VersionLimit {
        max_versions: 5,
        min_age: Duration::hours(24),
    };
    let id = create(s, "limited", None).await?.id;
    let now = OffsetDateTime::now_utc;
    let put = async |v: &str, n: u8, stages: &[&str], at: OffsetDateTime| {
        s.add_version_pruned(
            id,
            new_version(v, n, stages),
            limit,
            at,
            audited_as("keyward:TestWrite", v),
        )
        .await
    };
    for i in 1..=6u8 {
        let (_, pruned) = put(&format!("v{i}"), i, &["AWSCURRENT"], now()).await?;
        ensure!(pruned.is_empty(), "v{i}: pruned {pruned:?}");
    }
    // Six versions, one over the limit, but all younger than a day: all stay.
    ensure_eq!(version_ids(s, id).await?.len(), 6);

    // A day later: the oldest unlabelled versions go until five are left.
    let later = now() + Duration::hours(25);
    let (out, pruned) = put("v7", 7, &["AWSCURRENT"], later).await?;
    ensure!(
        matches!(out, AddVersionOutcome::Created(_)),
        "v7 not created"
    );
    ensure_eq!(pruned, ["v1", "v2"]);
    ensure_eq!(version_ids(s, id).await?, ["v3", "v4", "v5", "v6", "v7"]);
    ensure!(
        s.get_version(id, &VersionSelector::Id("v1".into()))
            .await?
            .is_none(),
        "a pruned version is still readable"
    );

    // A version with any staging label is never removed, however old.
    s.move_stage(id, "keep", Some("v3"), None, audited())
        .await?;
    let (_, pruned) = put("v8", 8, &["AWSCURRENT"], later).await?;
    ensure_eq!(pruned, ["v4"]);
    ensure_eq!(version_ids(s, id).await?, ["v3", "v5", "v6", "v7", "v8"]);
    ensure_eq!(
        s.get_version(id, &VersionSelector::Id("v7".into()))
            .await?
            .map(|v| v.stages),
        Some(vec!["AWSPREVIOUS".to_string()])
    );

    // A replay changes nothing, so it prunes nothing, even over a tighter limit.
    let (out, pruned) = s
        .add_version_pruned(
            id,
            new_version("v8", 8, &["AWSCURRENT"]),
            VersionLimit {
                max_versions: 1,
                ..limit
            },
            later,
            audited(),
        )
        .await?;
    ensure!(
        matches!(out, AddVersionOutcome::AlreadyExisted(_)),
        "the replay of v8 was not a replay"
    );
    ensure!(pruned.is_empty(), "a replay pruned {pruned:?}");
    ensure_eq!(version_ids(s, id).await?.len(), 5);

    // Over the limit with nothing both unlabelled and old enough, nothing goes;
    // and the version being written never does, whatever `now` says.
    let tight = VersionLimit {
        max_versions: 2,
        min_age: Duration::ZERO,
    };
    s.move_stage(id, "keep5", Some("v5"), None, audited())
        .await?;
    s.move_stage(id, "keep6", Some("v6"), None, audited())
        .await?;
    let (_, pruned) = s
        .add_version_pruned(id, new_version("v9", 9, &[]), tight, now(), audited())
        .await?;
    ensure!(pruned.is_empty(), "pruned {pruned:?}");
    let (_, pruned) = s
        .add_version_pruned(
            id,
            new_version("v10", 10, &[]),
            tight,
            now() + Duration::hours(1),
            audited(),
        )
        .await?;
    ensure_eq!(pruned, ["v9"]);
    ensure_eq!(
        version_ids(s, id).await?,
        ["v3", "v5", "v6", "v7", "v8", "v10"]
    );

    // Each removal is audited after the write that caused it, and the chain holds.
    let records = s
        .list_audit(&AuditQuery {
            limit: Some(1000),
            ..Default::default()
        })
        .await?;
    let mut removed: Vec<(i64, String, String)> = records
        .iter()
        .filter(|r| r.event.action == PRUNED_ACTION)
        .map(|r| {
            (
                r.seq,
                r.event.version_id.clone().unwrap_or_default(),
                r.event.request_id.clone(),
            )
        })
        .collect();
    removed.sort();
    let removed: Vec<(&str, &str)> = removed
        .iter()
        .map(|(_, v, req)| (v.as_str(), req.as_str()))
        .collect();
    ensure_eq!(
        removed,
        [("v1", "v7"), ("v2", "v7"), ("v4", "v8"), ("v9", "write")]
    );
    let report = verify_stored(s, &test_audit_key()).await?;
    ensure!(report.ok, "the chain broke: {:?}", report.problems);

    let missing = s
        .add_version_pruned(
            Uuid::new_v4(),
            new_version("x", 1, &[]),
            limit,
            now(),
            audited(),
        )
        .await;
    ensure_err!(missing, NotFound, "a version for a missing secret");
    Ok(())
}

pub async fn version_prune<S: Store>(s: &S) -> CheckResult {
    let id = create(s, "prune", None).await?.id;
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
    ensure_eq!(version_ids(s, id).await?, ["v3", "v4", "v5"]);
    ensure_eq!(s.prune_versions(id, 1, audited()).await?, 0);
    ensure_eq!(s.prune_versions(id, 0, audited()).await?, 1);
    ensure_eq!(version_ids(s, id).await?, ["v4", "v5"]);

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
    ensure_err!(missing, NotFound, "prune of a missing secret");
    Ok(())
}
