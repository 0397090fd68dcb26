//! Adding a version under a [`VersionLimit`]: the write, the pruning and every
//! audit record in one transaction.

use crate::convert::ts;
use crate::error::Result;
use crate::{SqliteStore, audit, versions};
use keyward_store::model::*;
use keyward_store::{PRUNED_ACTION, StoreError, VersionLimit};
use rusqlite::{Transaction, params};
use time::OffsetDateTime;
use uuid::Uuid;

type StoreResult<T> = std::result::Result<T, StoreError>;

pub(crate) async fn add_version_pruned(
    store: &SqliteStore,
    secret_id: Uuid,
    version: NewVersion,
    limit: VersionLimit,
    now: OffsetDateTime,
    write: AuditedWrite,
) -> StoreResult<(AddVersionOutcome, Vec<String>)> {
    store
        .write(move |tx| {
            let written = version.version_id.clone();
            let out = versions::add_version(tx, secret_id, version)?;
            let pruned = prune_audited(tx, secret_id, &written, &out, limit, now, &write)?;
            Ok((out, pruned))
        })
        .await
}

/// The optimistic add of SSM's numbered versions ([`versions::add_version_after`]),
/// pruned and audited in the same transaction as [`add_version_pruned`].
#[allow(clippy::too_many_arguments)]
pub(crate) async fn add_version_after(
    store: &SqliteStore,
    secret_id: Uuid,
    after_seq: i64,
    version: NewVersion,
    patch: SecretPatch,
    limit: VersionLimit,
    now: OffsetDateTime,
    write: AuditedWrite,
) -> StoreResult<(Secret, AddVersionOutcome)> {
    store
        .write(move |tx| {
            let written = version.version_id.clone();
            let (secret, out) =
                versions::add_version_after(tx, secret_id, after_seq, version, patch)?;
            prune_audited(tx, secret_id, &written, &out, limit, now, &write)?;
            Ok((secret, out))
        })
        .await
}

/// Prunes after a write that produced `out`, then appends the write's record and
/// one [`PRUNED_ACTION`] record per removed version. A replay changes nothing, so
/// it removes nothing either.
fn prune_audited(
    tx: &Transaction<'_>,
    secret_id: Uuid,
    written: &str,
    out: &AddVersionOutcome,
    limit: VersionLimit,
    now: OffsetDateTime,
    write: &AuditedWrite,
) -> Result<Vec<String>> {
    let pruned = match out {
        AddVersionOutcome::Created(_) => over_limit(tx, secret_id, written, limit, now)?,
        AddVersionOutcome::AlreadyExisted(_) => Vec::new(),
    };
    let mut events = vec![write.event.clone()];
    events.extend(pruned.iter().map(|v| AuditEvent {
        action: PRUNED_ACTION.to_string(),
        version_id: Some(v.clone()),
        ..write.event.clone()
    }));
    audit::append(tx, &write.key, &events)?;
    Ok(pruned)
}
/// Deletes the oldest unlabelled versions old enough to go, never `written`, until
/// the secret is back within `limit` (or nothing else may go); returns their ids,
/// oldest first.
fn over_limit(
    tx: &Transaction<'_>,
    secret_id: Uuid,
    written: &str,
    limit: VersionLimit,
    now: OffsetDateTime,
) -> Result<Vec<String>> {
    let sid = secret_id.to_string();
    let total: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM versions WHERE secret_id = ?1")?
        .query_row([&sid], |r| r.get(0))?;
    let excess = total.saturating_sub(i64::try_from(limit.max_versions).unwrap_or(i64::MAX));
    if excess <= 0 {
        return Ok(Vec::new());
    }
    let born_by = ts(now - limit.min_age)?;
    let doomed: Vec<String> = tx
        .prepare_cached(
            "SELECT v.version_id FROM versions v
             WHERE v.secret_id = ?1 AND v.created_at <= ?2 AND v.version_id <> ?4
               AND NOT EXISTS (SELECT 1 FROM version_stages s
                               WHERE s.secret_id = v.secret_id AND s.version_id = v.version_id)
             ORDER BY v.seq
             LIMIT ?3",
        )?
        .query_map(params![sid, born_by, excess, written], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut del =
        tx.prepare_cached("DELETE FROM versions WHERE secret_id = ?1 AND version_id = ?2")?;
    for v in &doomed {
        del.execute([&sid, v])?;
    }
    Ok(doomed)
}
