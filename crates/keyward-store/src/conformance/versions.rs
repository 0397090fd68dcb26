//! Versions: idempotent replays and conflicting ids, the combined secret-and-version
//! read, and optimistic allocation (`add_version_after`), where a stale writer
//! changes nothing and writers racing on one secret get distinct consecutive numbers.

use super::fixtures::*;
use super::{CheckFailure, CheckResult};
use crate::model::*;
use crate::{Store, StoreError, VersionLimit};
use std::sync::Arc;
use uuid::Uuid;

/// A patch naming `n` as the newest version, as the SSM front end writes.
fn newest_is(n: i64) -> SecretPatch {
    SecretPatch {
        metadata: Some(serde_json::json!({ "version": n })),
        ..Default::default()
    }
}

/// Adding after the newest version succeeds and applies the patch; adding after
/// an older one is `Stale` and leaves versions, secret and audit chain alone.
pub async fn version_add_after_is_optimistic<S: Store>(s: &S) -> CheckResult {
    let c = create_in(s, Namespace::Parameters, "opt", None).await?;
    let add_after = async |id: Uuid, newest: i64, nv: NewVersion, patch: SecretPatch| {
        s.add_version_after(
            id,
            newest,
            nv,
            patch,
            VersionLimit::PARAMETER_STORE,
            time::OffsetDateTime::now_utc(),
            audited(),
        )
        .await
    };
    let (secret, added) =
        add_after(c.id, 0, new_version("1", 1, &["AWSCURRENT"]), newest_is(1)).await?;
    ensure!(
        matches!(added, AddVersionOutcome::Created(_)),
        "first: {added:?}"
    );
    ensure_eq!(added.version().seq, 1);
    ensure_eq!(secret.metadata, serde_json::json!({ "version": 1 }));

    let head = s.audit_head().await?.map(|h| h.seq);
    for stale_seq in [0, 2] {
        let stale = add_after(
            c.id,
            stale_seq,
            new_version("2", 2, &["AWSCURRENT"]),
            newest_is(2),
        )
        .await;
        ensure_err!(
            stale,
            Stale,
            "adding after seq {stale_seq} when the newest is 1"
        );
    }
    ensure_eq!(s.list_versions(c.id).await?.len(), 1);
    let now = some!(s.get_secret_by_id(c.id).await?, "secret vanished");
    ensure_eq!(now.metadata, serde_json::json!({ "version": 1 }));
    ensure_eq!(s.audit_head().await?.map(|h| h.seq), head);

    let (_, second) =
        add_after(c.id, 1, new_version("2", 2, &["AWSCURRENT"]), newest_is(2)).await?;
    ensure_eq!(second.version().seq, 2);

    let missing = add_after(
        Uuid::new_v4(),
        0,
        new_version("1", 1, &[]),
        SecretPatch::default(),
    )
    .await;
    ensure_err!(missing, NotFound, "a missing secret");
    Ok(())
}

/// `writers` tasks each add `each` versions to one secret the way the SSM
/// front end does (read the newest, number the next, add after it, retry on
/// `Stale`): every add lands once, the numbers are 1..=writers*each with no gap
/// or repeat, and the secret's patch names the newest.
pub async fn version_add_after_race<S: Store>(
    s: Arc<S>,
    writers: usize,
    each: usize,
) -> CheckResult {
    let c = create_in(s.as_ref(), Namespace::Parameters, "race", None).await?;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut stale = 0usize;
            while mine.len() < each {
                let newest = s
                    .list_versions(c.id)
                    .await?
                    .last()
                    .map(|v| v.seq)
                    .unwrap_or(0);
                let next = newest + 1;
                let value = u8::try_from(w % 256).unwrap_or(0);
                let nv = new_version(&next.to_string(), value, &["AWSCURRENT"]);
                match s
                    .add_version_after(
                        c.id,
                        newest,
                        nv,
                        newest_is(next),
                        VersionLimit::PARAMETER_STORE,
                        time::OffsetDateTime::now_utc(),
                        audited(),
                    )
                    .await
                {
                    Ok((_, added)) => mine.push(added.version().version_id.clone()),
                    Err(StoreError::Stale { .. }) => stale += 1,
                    Err(e) => return Err(CheckFailure::from(e)),
                }
            }
            Ok::<_, CheckFailure>((mine, stale))
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        let (mine, _stale) = t.await.map_err(|e| CheckFailure(format!("task: {e}")))??;
        claimed.extend(mine);
    }
    let total = writers * each;
    ensure_eq!(claimed.len(), total);
    let mut numbers: Vec<i64> = claimed.iter().filter_map(|v| v.parse().ok()).collect();
    numbers.sort_unstable();
    let expected: Vec<i64> = (1..=i64::try_from(total).unwrap_or(i64::MAX)).collect();
    ensure_eq!(numbers, expected);
    let stored = s.list_versions(c.id).await?;
    ensure_eq!(stored.len(), total);
    for v in &stored {
        ensure_eq!(v.version_id, v.seq.to_string());
    }
    let newest = some!(stored.last(), "no versions");
    ensure!(
        newest.stages.iter().any(|st| st == "AWSCURRENT"),
        "the newest version lost AWSCURRENT: {:?}",
        newest.stages
    );
    let secret = some!(s.get_secret_by_id(c.id).await?, "secret vanished");
    ensure_eq!(
        secret.metadata,
        serde_json::json!({ "version": newest.seq })
    );
    Ok(())
}

pub async fn version_replay_and_conflict<S: Store>(s: &S) -> CheckResult {
    let c = create_current(s, "r").await?;
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
    let other = create(s, "r2", None).await?;
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
    let c = create_current(s, "both").await?;
    s.add_version(c.id, new_version("v2", 2, &["AWSCURRENT"]), audited())
        .await?;
    let read = async |name: &str, selector: VersionSelector| {
        s.get_secret_and_version(Namespace::Secrets, REGION, name, &selector)
            .await
    };
    let current = || VersionSelector::Stage("AWSCURRENT".into());
    let got = read("both", current()).await?;
    let (secret, version) = got.ok_or_else(|| CheckFailure("secret not found".into()))?;
    ensure_eq!(secret.id, c.id);
    ensure_eq!(version.map(|v| v.version_id).as_deref(), Some("v2"));
    let got = read("both", VersionSelector::Id("v1".into())).await?;
    ensure_eq!(
        got.and_then(|(_, v)| v).map(|v| v.version_id).as_deref(),
        Some("v1")
    );
    let got = read("both", VersionSelector::Id("nope".into())).await?;
    ensure!(
        matches!(got, Some((_, None))),
        "unknown version must be None"
    );
    ensure!(
        read("absent", current()).await?.is_none(),
        "absent secret must be None"
    );
    Ok(())
}
