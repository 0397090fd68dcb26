//! The audit chain: each record's MAC covers the previous record's MAC and the
//! record's own fields, and a MAC'd checkpoint of the head is stored beside the
//! records. Editing, deleting or reordering a record breaks a link; dropping records
//! from the end disagrees with the checkpoint.

use crate::model::{AuditEvent, AuditHead, AuditQuery, AuditRecord};
use crate::{Store, StoreError};
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

/// Checks a whole chain held in memory (records in storage order) against its
/// checkpoint. Stored chains are checked page by page with [`verify_stored`].
pub fn verify_chain(
    key: &AuditKey,
    records: &[AuditRecord],
    head: Option<&AuditHead>,
) -> VerifyReport {
    let mut v = ChainVerifier::new(key);
    for r in records {
        v.push(r);
    }
    v.finish(head)
}

/// Checks records one at a time in sequence order, holding only the previous
/// link, so a chain of any length verifies in constant memory.
#[derive(Debug)]
pub struct ChainVerifier<'k> {
    key: &'k AuditKey,
    prev_mac: String,
    expected_seq: i64,
    last_seq: i64,
    records: usize,
    problems: Vec<String>,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k AuditKey) -> Self {
        Self {
            key,
            prev_mac: GENESIS_MAC.to_string(),
            expected_seq: 1,
            last_seq: 0,
            records: 0,
            problems: Vec::new(),
        }
    }

    /// The sequence number of the last record pushed (0 before the first).
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn push(&mut self, r: &AuditRecord) {
        if r.seq != self.expected_seq {
            self.problems.push(format!(
                "record #{}: expected sequence number {} here (a record was deleted, inserted or reordered)",
                r.seq, self.expected_seq
            ));
        }
        let want = link_mac(self.key, &self.prev_mac, r.seq, &r.event);
        if !keyward_crypto::constant_time_eq(want.as_bytes(), r.mac.as_bytes()) {
            self.problems.push(format!(
                "record #{} (request {}, action {}): MAC mismatch: the record was edited, or the record before it was removed or reordered",
                r.seq, r.event.request_id, r.event.action
            ));
        }
        self.prev_mac.clone_from(&r.mac);
        self.expected_seq = r.seq + 1;
        self.last_seq = r.seq;
        self.records += 1;
    }

    /// Checks the end of the chain against the checkpointed head.
    pub fn finish(mut self, head: Option<&AuditHead>) -> VerifyReport {
        let last_seq = self.last_seq;
        match head {
            None if self.records > 0 => self
                .problems
                .push("the chain checkpoint is missing: the head record was deleted".into()),
            None => {}
            Some(h) => {
                let want = checkpoint_mac(self.key, h.seq, &h.mac);
                if !keyward_crypto::constant_time_eq(want.as_bytes(), h.checkpoint_mac.as_bytes()) {
                    self.problems
                        .push("the chain checkpoint was edited (its MAC does not verify)".into());
                } else if h.seq != last_seq {
                    self.problems.push(format!(
                        "the chain is truncated: the checkpoint says the last record is #{}, but the log ends at #{last_seq}",
                        h.seq
                    ));
                } else if !keyward_crypto::constant_time_eq(
                    h.mac.as_bytes(),
                    self.prev_mac.as_bytes(),
                ) {
                    self.problems.push(format!(
                        "record #{last_seq} does not match the checkpointed head"
                    ));
                }
            }
        }
        VerifyReport {
            records: self.records,
            ok: self.problems.is_empty(),
            problems: self.problems,
        }
    }
}

/// Records read per store call by [`verify_stored`] and [`read_chain`].
pub const VERIFY_PAGE: usize = 2000;

/// Verifies the chain in `store` page by page, up to its checkpointed head. Records
/// a live server appends meanwhile are followed to the newer head; records after a
/// head that no longer moves were never checkpointed, and are reported.
pub async fn verify_stored<S: Store + ?Sized>(
    store: &S,
    key: &AuditKey,
) -> Result<VerifyReport, StoreError> {
    let mut v = ChainVerifier::new(key);
    let mut head = store.audit_head().await?;
    loop {
        let until = head.as_ref().map(|h| h.seq);
        let beyond = verify_pages(store, &mut v, until).await?;
        if !beyond {
            break;
        }
        let newer = store.audit_head().await?;
        match (&head, &newer) {
            (Some(old), Some(new)) if new.seq > old.seq => head = newer,
            (None, Some(_)) => head = newer,
            _ => {
                let mut report = v.finish(head.as_ref());
                report.problems.push(format!(
                    "records after #{} are not covered by the chain checkpoint (appended outside keyward?)",
                    until.unwrap_or(0)
                ));
                report.ok = false;
                return Ok(report);
            }
        }
    }
    Ok(v.finish(head.as_ref()))
}

/// Feeds records after the verifier's position, up to `until` (everything when
/// None). Returns whether a record past `until` exists.
async fn verify_pages<S: Store + ?Sized>(
    store: &S,
    v: &mut ChainVerifier<'_>,
    until: Option<i64>,
) -> Result<bool, StoreError> {
    loop {
        let page = store
            .list_audit(&AuditQuery {
                after_seq: Some(v.last_seq()),
                limit: Some(VERIFY_PAGE),
                ..Default::default()
            })
            .await?;
        for r in &page {
            if until.is_some_and(|u| r.seq > u) {
                return Ok(true);
            }
            v.push(r);
        }
        if page.len() < VERIFY_PAGE {
            return Ok(false);
        }
    }
}

/// The whole chain and its head in memory: for tests and small tools; servers
/// and the CLI verify with [`verify_stored`].
pub async fn read_chain<S: Store + ?Sized>(
    store: &S,
) -> Result<(Vec<AuditRecord>, Option<AuditHead>), StoreError> {
    let head = store.audit_head().await?;
    let mut out: Vec<AuditRecord> = Vec::new();
    loop {
        let page = store
            .list_audit(&AuditQuery {
                after_seq: Some(out.last().map(|r| r.seq).unwrap_or(0)),
                limit: Some(VERIFY_PAGE),
                ..Default::default()
            })
            .await?;
        let full = page.len() == VERIFY_PAGE;
        out.extend(page);
        if !full {
            return Ok((out, head));
        }
    }
}
