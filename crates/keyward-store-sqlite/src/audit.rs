//! The append-only audit chain. Records are only ever inserted; the head row is the
//! only thing that changes, and only in the same transaction as the insert.

use super::{from_ts, optional, ts, unique_violation};
use crate::error::Result;
use keyward_crypto::AuditKey;
use keyward_store::StoreError;
use keyward_store::audit::{GENESIS_MAC, checkpoint_mac, link_mac};
use keyward_store::model::*;
use rusqlite::types::Value;
use rusqlite::{Row, Transaction, params};

const NANOS_PER_MINUTE: i64 = 60_000_000_000;

const AUDIT_COLS: &str = "seq, time, request_id, principal, access_key_id, source_ip, user_agent, \
     action, resource, version_id, outcome, error_code, api, mac, count";

pub(super) fn head(tx: &Transaction<'_>) -> Result<Option<AuditHead>> {
    let mut st =
        tx.prepare_cached("SELECT seq, mac, checkpoint_mac FROM audit_head WHERE id = 1")?;
    optional(st.query_row([], |r| {
        Ok(AuditHead {
            seq: r.get(0)?,
            mac: r.get(1)?,
            checkpoint_mac: r.get(2)?,
        })
    }))
}

/// The head to extend, after checking that it is authentic and matches the last
/// record. Extending a forged head would re-sign it with a valid checkpoint and
/// launder the tampering, so a mismatch fails closed with `Corrupt`.
fn verified_head(tx: &Transaction<'_>, key: &AuditKey) -> Result<(i64, String)> {
    let head = head(tx)?;
    let mut st = tx.prepare_cached("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1")?;
    let last: Option<(i64, String)> = optional(st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))?;
    match (head, last) {
        (None, None) => Ok((0, GENESIS_MAC.to_string())),
        (None, Some((seq, _))) => Err(StoreError::Corrupt(format!(
            "the audit chain checkpoint is missing but the log ends at record #{seq}; run audit verification"
        )).into()),
        (Some(h), last) => {
            let want = checkpoint_mac(key, h.seq, &h.mac);
            if !keyward_crypto::constant_time_eq(want.as_bytes(), h.checkpoint_mac.as_bytes()) {
                return Err(StoreError::Corrupt(
                    "the audit chain checkpoint does not verify (edited, or a different audit key); run audit verification"
                        .into(),
                ).into());
            }
            let matches = match &last {
                Some((seq, mac)) => {
                    *seq == h.seq
                        && keyward_crypto::constant_time_eq(mac.as_bytes(), h.mac.as_bytes())
                }
                None => false,
            };
            if !matches {
                return Err(StoreError::Corrupt(format!(
                    "the audit log ends at record #{} but the checkpoint says #{}; run audit verification",
                    last.map(|(s, _)| s).unwrap_or(0),
                    h.seq
                )).into());
            }
            Ok((h.seq, h.mac))
        }
    }
}

pub(super) fn append(
    tx: &Transaction<'_>,
    key: &AuditKey,
    events: &[AuditEvent],
) -> Result<Vec<i64>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let (mut seq, mut prev) = verified_head(tx, key)?;
    let mut seqs = Vec::with_capacity(events.len());
    {
        let mut ins = tx.prepare_cached(&format!(
            "INSERT INTO audit ({AUDIT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        ))?;
        for ev in events {
            seq += 1;
            let mac = link_mac(key, &prev, seq, ev);
            let res = ins.execute(params![
                seq,
                ts(ev.time)?,
                ev.request_id,
                ev.principal,
                ev.access_key_id,
                ev.source_ip,
                ev.user_agent,
                ev.action,
                ev.resource,
                ev.version_id,
                ev.outcome.as_str(),
                ev.error_code,
                ev.api,
                mac,
                ev.count.map(|c| i64::try_from(c).unwrap_or(i64::MAX)),
            ]);
            if let Err(e) = res {
                return Err(if unique_violation(&e).is_some() {
                    StoreError::Corrupt(format!(
                        "audit record #{seq} already exists beyond the checkpointed head"
                    ))
                    .into()
                } else {
                    e.into()
                });
            }
            seqs.push(seq);
            prev = mac;
        }
    }
    // One row per minute, written by the first record of that minute only: an
    // `OR IGNORE` that ignores leaves the page clean, so this costs a lookup.
    let mut minute_row = tx.prepare_cached(
        "INSERT OR IGNORE INTO audit_minutes (minute, first_seq) VALUES (?1, ?2)",
    )?;
    let mut last_minute = None;
    for (ev, seq) in events.iter().zip(&seqs) {
        let minute = ts(ev.time)?.div_euclid(NANOS_PER_MINUTE);
        if last_minute != Some(minute) {
            minute_row.execute(params![minute, seq])?;
            last_minute = Some(minute);
        }
    }
    tx.prepare_cached(
        "INSERT INTO audit_head (id, seq, mac, checkpoint_mac) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac,
                                            checkpoint_mac = excluded.checkpoint_mac",
    )?
    .execute(params![seq, prev, checkpoint_mac(key, seq, &prev)])?;
    Ok(seqs)
}

struct AuditRow {
    seq: i64,
    time: i64,
    request_id: String,
    principal: Option<String>,
    access_key_id: Option<String>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    action: String,
    resource: Option<String>,
    version_id: Option<String>,
    outcome: String,
    error_code: Option<String>,
    api: String,
    mac: String,
    count: Option<i64>,
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        time: r.get(1)?,
        request_id: r.get(2)?,
        principal: r.get(3)?,
        access_key_id: r.get(4)?,
        source_ip: r.get(5)?,
        user_agent: r.get(6)?,
        action: r.get(7)?,
        resource: r.get(8)?,
        version_id: r.get(9)?,
        outcome: r.get(10)?,
        error_code: r.get(11)?,
        api: r.get(12)?,
        mac: r.get(13)?,
        count: r.get(14)?,
    })
}

impl AuditRow {
    fn into_record(self) -> Result<AuditRecord> {
        let outcome = Outcome::parse(&self.outcome).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "audit record #{}: unknown outcome {:?}",
                self.seq, self.outcome
            ))
        })?;
        Ok(AuditRecord {
            seq: self.seq,
            event: AuditEvent {
                time: from_ts(self.time)?,
                request_id: self.request_id,
                principal: self.principal,
                access_key_id: self.access_key_id,
                source_ip: self.source_ip,
                user_agent: self.user_agent,
                action: self.action,
                resource: self.resource,
                version_id: self.version_id,
                outcome,
                error_code: self.error_code,
                api: self.api,
                count: self.count.map(|c| u64::try_from(c).unwrap_or(0)),
            },
            mac: self.mac,
        })
    }
}

/// Filters are ANDed. `after_seq` continues a listing in its own direction: records
/// after it in ascending order, before it when `descending`.
pub(super) fn list(tx: &Transaction<'_>, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
    let mut sql = format!("SELECT {AUDIT_COLS} FROM audit WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some(r) = &q.resource {
        args.push(Value::Text(r.clone()));
        sql.push_str(&format!(" AND resource = ?{}", args.len()));
    }
    if let Some(p) = &q.principal {
        args.push(Value::Text(p.clone()));
        sql.push_str(&format!(" AND principal = ?{}", args.len()));
    }
    if let Some(o) = q.outcome {
        args.push(Value::Text(o.as_str().to_string()));
        sql.push_str(&format!(" AND outcome = ?{}", args.len()));
        if o != Outcome::Success {
            // Spelled out so SQLite picks the partial index of failures.
            sql.push_str(" AND outcome != 'success'");
        }
    }
    if let Some(t) = q.since {
        let since = ts(t)?;
        args.push(Value::Integer(since));
        sql.push_str(&format!(" AND time >= ?{}", args.len()));
        // Every record at or after `since` sits in a minute at or after since's
        // minute, and each such minute's row holds a sequence number no later than
        // any record in it: the smallest of them is an exact lower bound, whatever
        // the clock did in between.
        args.push(Value::Integer(since.div_euclid(NANOS_PER_MINUTE)));
        sql.push_str(&format!(
            " AND seq >= (SELECT COALESCE(MIN(first_seq), 9223372036854775807) FROM audit_minutes WHERE minute >= ?{})",
            args.len()
        ));
    }
    if let Some(s) = q.after_seq {
        args.push(Value::Integer(s));
        let op = if q.descending { "<" } else { ">" };
        sql.push_str(&format!(" AND seq {op} ?{}", args.len()));
    }
    sql.push_str(if q.descending {
        " ORDER BY seq DESC"
    } else {
        " ORDER BY seq"
    });
    if let Some(limit) = q.limit {
        args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(" LIMIT ?{}", args.len()));
    }
    // At most 2^5 shapes of this query exist (times direction), so caching is bounded.
    let mut st = tx.prepare_cached(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args), audit_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?.into_record()?);
    }
    Ok(out)
}
