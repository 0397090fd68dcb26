//! Committed audit records, in chain order, fanned out to subscribers: the
//! JSON-lines mirror now, alert rules next.
//!
//! Records reach the chain two ways (the group-commit writer for reads and
//! refusals, and each write's own transaction), and with a shared database other
//! servers append too. So the feed does not listen to writers: it tails the chain
//! itself, after the last sequence number it delivered, woken at once when this
//! server commits and every second otherwise. A subscriber therefore sees exactly
//! what the chain holds, in order, never a record that did not commit.
//!
//! Subscribers run on the feed's task and must not block; slow work (network
//! delivery) belongs on a queue of the subscriber's own.

use keyward_store::{AuditQuery, AuditRecord, Store};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How often the feed looks for records committed elsewhere when nothing here wakes it.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Records read per store call.
const PAGE: usize = 1000;

/// Something that wants every committed audit record.
pub trait AuditSubscriber: Send + Sync + 'static {
    /// Called with newly committed records in sequence order.
    fn deliver(&self, records: &[AuditRecord]);
}

/// Wakes the feed when this server commits records.
#[derive(Debug, Clone, Default)]
pub struct FeedWaker(Arc<Notify>);

impl FeedWaker {
    pub fn committed(&self) {
        self.0.notify_one();
    }
}

/// Starts tailing the chain from its current head and delivering to `subscribers`.
/// Does nothing when there are none.
pub fn spawn(store: Arc<dyn Store>, waker: FeedWaker, subscribers: Vec<Arc<dyn AuditSubscriber>>) {
    if subscribers.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let mut cursor = match head_seq(store.as_ref()).await {
            Ok(seq) => seq,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the audit chain head; the audit feed is off");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = waker.0.notified() => {}
                _ = tokio::time::sleep(POLL_EVERY) => {}
            }
            loop {
                let page = store
                    .list_audit(&AuditQuery {
                        after_seq: Some(cursor),
                        limit: Some(PAGE),
                        ..Default::default()
                    })
                    .await;
                match page {
                    Ok(records) if records.is_empty() => break,
                    Ok(records) => {
                        cursor = records.last().map(|r| r.seq).unwrap_or(cursor);
                        for s in &subscribers {
                            s.deliver(&records);
                        }
                        if records.len() < PAGE {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "reading new audit records failed; will retry");
                        break;
                    }
                }
            }
        }
    });
}

async fn head_seq(store: &dyn Store) -> Result<i64, keyward_store::StoreError> {
    let last = store
        .list_audit(&AuditQuery {
            limit: Some(1),
            descending: true,
            ..Default::default()
        })
        .await?;
    Ok(last.first().map(|r| r.seq).unwrap_or(0))
}

/// Where committed records are mirrored as JSON lines, besides the chain.
#[derive(Debug, Clone)]
pub enum AuditMirror {
    Stdout,
    File(std::path::PathBuf),
}

/// The JSON-lines mirror as a subscriber: one line per record, with its `seq`.
pub struct MirrorSubscriber {
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for MirrorSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MirrorSubscriber { .. }")
    }
}

impl MirrorSubscriber {
    pub fn open(mirror: &AuditMirror) -> std::io::Result<Self> {
        let out: Box<dyn Write + Send> = match mirror {
            AuditMirror::Stdout => Box::new(std::io::stdout()),
            AuditMirror::File(p) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            ),
        };
        Ok(Self {
            out: Mutex::new(out),
        })
    }
}

impl AuditSubscriber for MirrorSubscriber {
    fn deliver(&self, records: &[AuditRecord]) {
        let Ok(mut w) = self.out.lock() else { return };
        for r in records {
            let mut v = serde_json::to_value(&r.event).unwrap_or_default();
            v["seq"] = r.seq.into();
            let _ = writeln!(w, "{v}");
        }
        let _ = w.flush();
    }
}
