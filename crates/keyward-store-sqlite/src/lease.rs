//! Job leases in SQLite: one row per job, taken with a single conditional upsert
//! so two servers racing for a free lease cannot both win.

use super::ts;
use crate::error::Result;
use rusqlite::Transaction;
use std::time::Duration;
use time::OffsetDateTime;

pub(crate) fn acquire(
    tx: &Transaction<'_>,
    job: &str,
    holder: &str,
    ttl: Duration,
    now: OffsetDateTime,
) -> Result<bool> {
    let now_ns = ts(now)?;
    let until = ts(now + ttl)?;
    // Insert when free; take over when expired; renew when already ours. The
    // WHERE of the upsert leaves a live lease of another holder untouched.
    let changed = tx
        .prepare_cached(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?4",
        )?
        .execute(rusqlite::params![job, holder, until, now_ns])?;
    Ok(changed == 1)
}

pub(crate) fn release(tx: &Transaction<'_>, job: &str, holder: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM job_leases WHERE job = ?1 AND holder = ?2")?
        .execute([job, holder])?;
    Ok(())
}
