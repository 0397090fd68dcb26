//! Job leases: exclusive until they lapse, renewable by their holder, and won by
//! exactly one of several servers racing for a free one.

use super::{CheckFailure, CheckResult};
use crate::Store;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

const TTL: Duration = Duration::from_secs(30);

/// One holder at a time; a renewal extends; a lapsed lease is taken over; release frees it.
pub async fn lease_is_exclusive_until_it_lapses<S: Store>(s: &S) -> CheckResult {
    let t0 = OffsetDateTime::now_utc();
    ensure!(
        s.acquire_lease("purge", "a", TTL, t0).await?,
        "a free lease was refused"
    );
    ensure!(
        !s.acquire_lease("purge", "b", TTL, t0).await?,
        "a live lease was given to a second holder"
    );
    ensure!(
        s.acquire_lease("other-job", "b", TTL, t0).await?,
        "leases on different jobs must not exclude each other"
    );
    let t1 = t0 + Duration::from_secs(20);
    ensure!(
        s.acquire_lease("purge", "a", TTL, t1).await?,
        "the holder could not renew"
    );
    // Without the renewal the lease would have lapsed at t0 + 30 s.
    let t2 = t0 + Duration::from_secs(40);
    ensure!(
        !s.acquire_lease("purge", "b", TTL, t2).await?,
        "a renewed lease lapsed at its first expiry"
    );
    let t3 = t1 + TTL + Duration::from_secs(1);
    ensure!(
        s.acquire_lease("purge", "b", TTL, t3).await?,
        "a lapsed lease could not be taken over"
    );
    ensure!(
        !s.acquire_lease("purge", "a", TTL, t3).await?,
        "the old holder still held a lease taken over by another"
    );
    s.release_lease("purge", "a").await?;
    ensure!(
        !s.acquire_lease("purge", "a", TTL, t3).await?,
        "a release by someone other than the holder freed the lease"
    );
    s.release_lease("purge", "b").await?;
    ensure!(
        s.acquire_lease("purge", "a", TTL, t3).await?,
        "a released lease stayed taken"
    );
    Ok(())
}

/// Servers racing for a free lease: exactly one wins.
pub async fn lease_race_has_one_winner<S: Store>(s: Arc<S>, racers: usize) -> CheckResult {
    let now = OffsetDateTime::now_utc();
    let mut tasks = Vec::new();
    for i in 0..racers {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.acquire_lease("race", &format!("server-{i}"), TTL, now)
                .await
        }));
    }
    let mut winners = 0;
    for t in tasks {
        if t.await.map_err(|e| CheckFailure(format!("task: {e}")))?? {
            winners += 1;
        }
    }
    ensure_eq!(winners, 1);
    Ok(())
}
