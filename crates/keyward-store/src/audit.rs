//! The audit chain: each record's MAC covers the previous record's MAC and the
//! record's own fields, and a MAC'd checkpoint of the head is stored beside the
//! records. Editing, deleting or reordering a record breaks a link; dropping records
//! from the end disagrees with the checkpoint.

use crate::model::{AuditEvent, AuditHead, AuditRecord};
use keyward_crypto::AuditKey;

/// The MAC that precedes the first record.
pub const GENESIS_MAC: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn opt(s: &Option<String>) -> &[u8] {
    s.as_deref().map(str::as_bytes).unwrap_or(b"\x00none")
}

/// MAC linking `event` at `seq` to the record before it.
/// The count is appended only when present, so records without one keep the MAC
/// they had before counts existed.
pub fn link_mac(key: &AuditKey, prev_mac: &str, seq: i64, event: &AuditEvent) -> String {
    let time = event.time.unix_timestamp_nanos().to_be_bytes();
    let seq_bytes = seq.to_be_bytes();
    let count = event.count.map(u64::to_be_bytes);
    let mut parts: Vec<&[u8]> = vec![
        b"keyward-audit-v1",
        prev_mac.as_bytes(),
        &seq_bytes,
        &time,
        event.request_id.as_bytes(),
        opt(&event.principal),
        opt(&event.access_key_id),
        opt(&event.source_ip),
        opt(&event.user_agent),
        event.action.as_bytes(),
        opt(&event.resource),
        opt(&event.version_id),
        event.outcome.as_str().as_bytes(),
        opt(&event.error_code),
        event.api.as_bytes(),
    ];
    if let Some(c) = &count {
        parts.push(b"count");
        parts.push(c);
    }
    hex::encode(key.mac(&parts))
}

pub fn checkpoint_mac(key: &AuditKey, seq: i64, mac: &str) -> String {
    hex::encode(key.mac(&[b"keyward-audit-head-v1", &seq.to_be_bytes(), mac.as_bytes()]))
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    pub records: usize,
    pub ok: bool,
    pub problems: Vec<String>,
}

/// Checks a whole chain (records in storage order) against its checkpoint.
pub fn verify_chain(
    key: &AuditKey,
    records: &[AuditRecord],
    head: Option<&AuditHead>,
) -> VerifyReport {
    let mut problems = Vec::new();
    let mut prev_mac = GENESIS_MAC.to_string();
    let mut expected_seq = 1i64;
    for r in records {
        if r.seq != expected_seq {
            problems.push(format!(
                "record #{}: expected sequence number {expected_seq} here (a record was deleted, inserted or reordered)",
                r.seq
            ));
        }
        let want = link_mac(key, &prev_mac, r.seq, &r.event);
        if !keyward_crypto::constant_time_eq(want.as_bytes(), r.mac.as_bytes()) {
            problems.push(format!(
                "record #{} (request {}, action {}): MAC mismatch: the record was edited, or the record before it was removed or reordered",
                r.seq, r.event.request_id, r.event.action
            ));
        }
        prev_mac = r.mac.clone();
        expected_seq = r.seq + 1;
    }
    let last_seq = records.last().map(|r| r.seq).unwrap_or(0);
    match head {
        None if !records.is_empty() => {
            problems.push("the chain checkpoint is missing: the head record was deleted".into())
        }
        None => {}
        Some(h) => {
            let want = checkpoint_mac(key, h.seq, &h.mac);
            if !keyward_crypto::constant_time_eq(want.as_bytes(), h.checkpoint_mac.as_bytes()) {
                problems.push("the chain checkpoint was edited (its MAC does not verify)".into());
            } else if h.seq != last_seq {
                problems.push(format!(
                    "the chain is truncated: the checkpoint says the last record is #{}, but the log ends at #{last_seq}",
                    h.seq
                ));
            } else if !keyward_crypto::constant_time_eq(h.mac.as_bytes(), prev_mac.as_bytes()) {
                problems.push(format!(
                    "record #{last_seq} does not match the checkpointed head"
                ));
            }
        }
    }
    VerifyReport {
        records: records.len(),
        ok: problems.is_empty(),
        problems,
    }
}
