//! Group commit for the audit chain. Requests hand their event to one writer task and
//! wait; the task appends everything that queued up meanwhile in one transaction, so
//! each request still gets a durable record before its answer, at the cost of one
//! commit per batch instead of one per request.

use crate::audit_feed::FeedWaker;
use keyward_crypto::AuditKey;
use keyward_store::{AuditEvent, Store};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

const MAX_BATCH: usize = 512;
/// Longest a commit waits for stragglers when the server is busy.
const GATHER_WINDOW: std::time::Duration = std::time::Duration::from_micros(500);
/// How often the gather window looks for new arrivals.
const GATHER_POLL: std::time::Duration = std::time::Duration::from_micros(50);

type Job = (AuditEvent, oneshot::Sender<Result<(), String>>);

fn drain(rx: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Job>,
}

impl AuditWriter {
    pub fn spawn(store: Arc<dyn Store>, key: AuditKey, feed: FeedWaker) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(4096);
        // The loop runs on a thread of its own, not as a tokio task: a task would
        // queue behind every connection on its worker each time a commit finishes,
        // and every waiting request would pay that delay twice (to hear its answer
        // and to get into the next batch).
        let runtime = tokio::runtime::Handle::current();
        let spawned = std::thread::Builder::new()
            .name("keyward-audit".into())
            .spawn(move || {
                let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
                let mut last_batch = 0usize;
                while let Some(first) = rx.blocking_recv() {
                    batch.push(first);
                    drain(&mut rx, &mut batch);
                    // Under load, the requests answered by the last commit come back a
                    // moment later; committing the first arrival alone would pay a whole
                    // commit for one record. So when the last batch was big and this one is
                    // still small, wait briefly for the rest. An idle server commits at once.
                    if last_batch >= 8 && batch.len() < last_batch / 2 {
                        // Short sleeps, not a tokio timer: on a busy runtime the
                        // timer wheel only turns when a worker parks, which can be
                        // many milliseconds late.
                        let deadline = std::time::Instant::now() + GATHER_WINDOW;
                        while batch.len() < last_batch
                            && batch.len() < MAX_BATCH
                            && std::time::Instant::now() < deadline
                        {
                            std::thread::sleep(GATHER_POLL);
                            drain(&mut rx, &mut batch);
                        }
                    }
                    last_batch = batch.len();
                    let (events, waiters): (Vec<AuditEvent>, Vec<_>) = batch.drain(..).unzip();
                    let records = events.len();
                    let started = std::time::Instant::now();
                    let result = runtime.block_on(store.append_audit(&key, events));
                    crate::metrics::global()
                        .audit_commit_seconds
                        .observe(started.elapsed().as_secs_f64());
                    match &result {
                        Ok(_) => feed.committed(),
                        Err(e) => {
                            tracing::error!(error = %e, records, "audit append failed")
                        }
                    }
                    let reply = result.map(|_| ()).map_err(|e| e.to_string());
                    for done in waiters {
                        let _ = done.send(reply.clone());
                    }
                }
            });
        if let Err(e) = spawned {
            // Without the writer every audited request fails closed ("the audit
            // writer has stopped"): nothing is answered unaudited.
            tracing::error!(error = %e, "cannot start the audit writer thread");
        }
        Self { tx }
    }

    /// Records waiting to be committed.
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Whether the writer thread is still taking records.
    pub fn is_running(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Appends one event and waits until it is durable.
    pub async fn record(&self, event: AuditEvent) -> Result<(), String> {
        let (done_tx, done_rx) = oneshot::channel();
        self.tx
            .send((event, done_tx))
            .await
            .map_err(|_| "the audit writer has stopped".to_string())?;
        done_rx
            .await
            .map_err(|_| "the audit writer has stopped".to_string())?
    }
}
