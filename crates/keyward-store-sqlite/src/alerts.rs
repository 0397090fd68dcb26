//! The alert outbox in SQLite (see migration 0010).

use super::{from_ts, optional, ts};
use crate::error::{DbError, Result};
use keyward_store::StoreError;
use keyward_store::model::{AlertAttempt, AlertDelivery, DeliveryState, NewAlertDelivery};
use rusqlite::{Row, Transaction};
use time::OffsetDateTime;

const COLUMNS: &str = "id, sink, dedup_key, rule, severity, payload, created_at, state, attempts, next_attempt_at, last_error, finished_at";

pub(crate) fn enqueue(tx: &Transaction<'_>, alerts: &[NewAlertDelivery]) -> Result<usize> {
    let mut st = tx.prepare_cached(
        "INSERT INTO alert_outbox (sink, dedup_key, rule, severity, payload, created_at, state, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?6)
         ON CONFLICT (sink, dedup_key) DO NOTHING",
    )?;
    let mut added = 0;
    for a in alerts {
        added += st.execute(rusqlite::params![
            a.sink,
            a.dedup_key,
            a.rule,
            a.severity,
            a.payload,
            ts(a.created_at)?
        ])?;
    }
    Ok(added)
}

pub(crate) fn due(
    tx: &Transaction<'_>,
    now: OffsetDateTime,
    limit: usize,
) -> Result<Vec<AlertDelivery>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM alert_outbox WHERE state = 'pending' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2"
    ))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = st.query_map(rusqlite::params![ts(now)?, limit], raw)?;
    rows.map(|r| r.map_err(DbError::from).and_then(convert))
        .collect()
}

pub(crate) fn list(tx: &Transaction<'_>, limit: usize) -> Result<Vec<AlertDelivery>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM alert_outbox ORDER BY id DESC LIMIT ?1"
    ))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = st.query_map([limit], raw)?;
    rows.map(|r| r.map_err(DbError::from).and_then(convert))
        .collect()
}

pub(crate) fn finish(tx: &Transaction<'_>, id: i64, result: &AlertAttempt) -> Result<()> {
    let exists: Option<i64> = optional(tx.query_row(
        "SELECT id FROM alert_outbox WHERE id = ?1",
        [id],
        |r| r.get(0),
    ))?;
    if exists.is_none() {
        return Err(StoreError::not_found("alert delivery", id.to_string()).into());
    }
    match result {
        AlertAttempt::Delivered { at } => tx
            .prepare_cached(
                "UPDATE alert_outbox SET state = 'delivered', attempts = attempts + 1,
                 last_error = NULL, finished_at = ?2 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id, ts(*at)?])?,
        AlertAttempt::Retry { error, next_at } => tx
            .prepare_cached(
                "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?2,
                 next_attempt_at = ?3 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id, error, ts(*next_at)?])?,
        AlertAttempt::GaveUp { error, at } => tx
            .prepare_cached(
                "UPDATE alert_outbox SET state = 'failed', attempts = attempts + 1,
                 last_error = ?2, finished_at = ?3 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id, error, ts(*at)?])?,
    };
    Ok(())
}

type RawRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
);

fn raw(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn convert(row: RawRow) -> Result<AlertDelivery> {
    let (
        id,
        sink,
        dedup_key,
        rule,
        severity,
        payload,
        created,
        state,
        attempts,
        next,
        last_error,
        finished,
    ) = row;
    Ok(AlertDelivery {
        id,
        sink,
        dedup_key,
        rule,
        severity,
        payload,
        created_at: from_ts(created)?,
        state: DeliveryState::parse(&state).ok_or_else(|| {
            DbError(StoreError::Corrupt(format!(
                "alert delivery {id}: state {state:?}"
            )))
        })?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: from_ts(next)?,
        last_error,
        finished_at: finished.map(from_ts).transpose()?,
    })
}
