//! Optimistic version allocation (`add_version_after`): a stale writer changes
//! nothing, and writers racing on one secret get distinct consecutive numbers.

use super::{CheckFailure, CheckResult, REGION, audited, new_secret, new_version};
use crate::model::*;
use crate::{Store, StoreError, VersionLimit};
use std::sync::Arc;

/// Adding after the newest version succeeds and applies the patch; adding after
/// an older one is `Stale` and leaves versions, secret and audit chain alone.
pub async fn version_add_after_is_optimistic<S: Store>(s: &S) -> CheckResult {
    let c = s
        .create_secret(
            new_secret(Namespace::Parameters, REGION, "opt"),
            None,
            audited(),
        )
        .await?;
    let patch = |n: i64| SecretPatch {
        metadata: Some(serde_json::json!({ "version": n })),
        ..Default::default()
    };
    let (secret, added) = s
        .add_version_after(
            c.id,
            0,
            new_version("1", 1, &["AWSCURRENT"]),
            patch(1),
            VersionLimit::PARAMETER_STORE,
            time::OffsetDateTime::now_utc(),
            audited(),
        )
        .await?;
    ensure!(
        matches!(added, AddVersionOutcome::Created(_)),
        "first: {added:?}"
    );
    ensure_eq!(added.version().seq, 1);
    ensure_eq!(secret.metadata, serde_json::json!({ "version": 1 }));

    let head = s.audit_head().await?.map(|h| h.seq);
    for stale_seq in [0, 2] {
        let stale = s
            .add_version_after(
                c.id,
                stale_seq,
                new_version("2", 2, &["AWSCURRENT"]),
                patch(2),
                VersionLimit::PARAMETER_STORE,
                time::OffsetDateTime::now_utc(),
                audited(),
            )
            .await;
        ensure!(
            matches!(&stale, Err(StoreError::Stale { .. })),
            "adding after seq {stale_seq} when the newest is 1: {stale:?}"
        );
    }
    ensure_eq!(s.list_versions(c.id).await?.len(), 1);
    let now = some!(s.get_secret_by_id(c.id).await?, "secret vanished");
    ensure_eq!(now.metadata, serde_json::json!({ "version": 1 }));
    ensure_eq!(s.audit_head().await?.map(|h| h.seq), head);

    let (_, second) = s
        .add_version_after(
            c.id,
            1,
            new_version("2", 2, &["AWSCURRENT"]),
            patch(2),
            VersionLimit::PARAMETER_STORE,
            time::OffsetDateTime::now_utc(),
            audited(),
        )
        .await?;
    ensure_eq!(second.version().seq, 2);

    let missing = s
        .add_version_after(
            uuid::Uuid::new_v4(),
            0,
            new_version("1", 1, &[]),
            SecretPatch::default(),
            VersionLimit::PARAMETER_STORE,
            time::OffsetDateTime::now_utc(),
            audited(),
        )
        .await;
    ensure!(
        matches!(&missing, Err(StoreError::NotFound { .. })),
        "a missing secret: {missing:?}"
    );
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
    let c = s
        .create_secret(
            new_secret(Namespace::Parameters, REGION, "race"),
            None,
            audited(),
        )
        .await?;
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
                let patch = SecretPatch {
                    metadata: Some(serde_json::json!({ "version": next })),
                    ..Default::default()
                };
                let nv = new_version(&next.to_string(), value, &["AWSCURRENT"]);
                match s
                    .add_version_after(
                        c.id,
                        newest,
                        nv,
                        patch,
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
