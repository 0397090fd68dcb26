//! The audit chain: appends extend and verify it, queries filter it, concurrent
//! appends never share or skip a sequence number, and every audited write commits
//! its record with it (or not at all).

use super::fixtures::*;
use super::{CheckFailure, CheckResult};
use crate::audit::verify_chain;
use crate::model::*;
use crate::{Store, StoreError};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Reads the whole chain and fails unless it verifies under the test key; `when`
/// says at which point of the check.
async fn verified_chain<S: Store>(s: &S, when: &str) -> Result<Vec<AuditRecord>, CheckFailure> {
    let (records, head) = crate::audit::read_chain(s).await?;
    let report = verify_chain(&test_audit_key(), &records, head.as_ref());
    ensure!(
        report.ok,
        "the chain does not verify {when}: {:?}",
        report.problems
    );
    Ok(records)
}

/// Seqs handed out by concurrent appends: each exactly once, and together 1..=n,
/// which the stored chain must match.
async fn ensure_seqs_one_to_n<S: Store>(s: &S, mut seqs: Vec<i64>, n: i64) -> CheckResult {
    seqs.sort_unstable();
    let distinct: BTreeSet<i64> = seqs.iter().copied().collect();
    ensure_eq!(distinct.len(), seqs.len());
    ensure_eq!(seqs, (1..=n).collect::<Vec<i64>>());
    let records = verified_chain(s, "after concurrent appends").await?;
    ensure_eq!(records.len() as i64, n);
    Ok(())
}

/// The seqs a query finds, in the order it returns them.
async fn seqs<S: Store>(s: &S, q: &AuditQuery) -> Result<Vec<i64>, CheckFailure> {
    Ok(s.list_audit(q).await?.iter().map(|r| r.seq).collect())
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
    ensure_err!(r, Corrupt, "append under another key");
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
        let got = seqs(s, &q).await?;
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
        let got = seqs(s, &q).await?;
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
    let all = seqs(s, &AuditQuery::default()).await?;
    ensure_eq!(all, (1..=30).collect::<Vec<i64>>());

    let q = AuditQuery {
        resource: Some("arn:secret:1".into()),
        ..Default::default()
    };
    ensure_eq!(
        seqs(s, &q).await?,
        (1..=30).filter(|n| n % 3 == 1).collect::<Vec<i64>>()
    );
    let q = AuditQuery {
        principal: Some("alice".into()),
        ..Default::default()
    };
    ensure_eq!(
        seqs(s, &q).await?,
        (1..=30).filter(|n| n % 2 == 0).collect::<Vec<i64>>()
    );
    let q = AuditQuery {
        outcome: Some(Outcome::Denied),
        ..Default::default()
    };
    ensure_eq!(seqs(s, &q).await?, vec![5, 10, 15, 20, 25, 30]);
    let q = AuditQuery {
        since: Some(start + Duration::seconds(27)),
        ..Default::default()
    };
    ensure_eq!(seqs(s, &q).await?, vec![28, 29, 30]);
    let q = AuditQuery {
        after_seq: Some(25),
        limit: Some(3),
        ..Default::default()
    };
    ensure_eq!(seqs(s, &q).await?, vec![26, 27, 28]);
    let q = AuditQuery {
        descending: true,
        limit: Some(3),
        ..Default::default()
    };
    ensure_eq!(seqs(s, &q).await?, vec![30, 29, 28]);
    let q = AuditQuery {
        descending: true,
        after_seq: Some(28),
        limit: Some(2),
        ..Default::default()
    };
    ensure_eq!(seqs(s, &q).await?, vec![27, 26]);
    let q = AuditQuery {
        principal: Some("alice".into()),
        outcome: Some(Outcome::Denied),
        descending: true,
        ..Default::default()
    };
    ensure_eq!(seqs(s, &q).await?, vec![30, 20, 10]);
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
    ensure_seqs_one_to_n(s.as_ref(), all, (tasks * per_task) as i64).await
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
    ensure_seqs_one_to_n(s.as_ref(), all, n).await
}

/// Every write commits its audit record in its own transaction: a successful write
/// leaves exactly its record, a refused write leaves none, and a purge of expired
/// secrets leaves one record per purged secret naming it.
pub async fn writes_commit_their_audit_record<S: Store>(s: &S) -> CheckResult {
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
    let records = verified_chain(s, "after audited writes").await?;
    ensure_eq!(
        requests(&records),
        vec!["create".to_string(), "put".to_string()]
    );

    let past = OffsetDateTime::now_utc() - Duration::minutes(1);
    for name in ["gone-a", "gone-b"] {
        let doomed = create(s, name, None).await?;
        set_deleted_at(s, doomed.id, Some(past)).await?;
    }
    let purged = s
        .purge_expired(
            OffsetDateTime::now_utc(),
            audited_as("secretsmanager:DeleteSecret", "purge"),
        )
        .await?;
    ensure_eq!(purged.len(), 2);
    let records = verified_chain(s, "after a purge").await?;
    let purge_records: Vec<Option<String>> = records
        .iter()
        .filter(|r| r.event.request_id == "purge")
        .map(|r| r.event.resource.clone())
        .collect();
    let mut want: Vec<Option<String>> = purged.into_iter().map(Some).collect();
    want.sort();
    ensure_eq!(purge_records, want);
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
