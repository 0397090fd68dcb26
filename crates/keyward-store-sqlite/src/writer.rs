//! The one thread that writes. SQLite takes one writer at a time anyway; giving it
//! a thread of its own (instead of borrowing tokio's blocking pool behind a mutex)
//! keeps the connection's page cache warm on one core and lets the thread run at a
//! higher priority, because every audited request waits for its group commit here.
//!
//! Checkpointing is taken off this path: the writer connection never checkpoints,
//! and a background thread copies the WAL into the database with its own
//! connection, beside the writer (SQLite's PASSIVE checkpoints do not block it).

use crate::error::{DbError, Result};
use keyward_store::StoreError;
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// How often the background checkpointer runs when the store is busy.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// Nice value asked for the writer thread (needs CAP_SYS_NICE; best effort).
const WRITER_NICE: i32 = -5;

pub(super) struct WriterThread {
    jobs: Option<mpsc::Sender<Job>>,
    /// Dropping it stops the checkpointer.
    stop_checkpoints: Option<mpsc::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for WriterThread {
    /// Waits for queued writes and a final checkpoint, so that whoever opens the
    /// file next (a test, a backup, the next server) finds it quiet.
    fn drop(&mut self) {
        self.jobs.take();
        self.stop_checkpoints.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl WriterThread {
    /// Moves `conn` onto a new thread that runs jobs in order until the store is
    /// dropped. With `checkpoint_path`, also starts the background checkpointer.
    pub(super) fn spawn(mut conn: Connection, checkpoint_path: Option<PathBuf>) -> Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let spawn_err = |e: std::io::Error| {
            DbError(StoreError::Backend(format!(
                "cannot start a database thread: {e}"
            )))
        };
        let mut threads = Vec::new();
        let mut stop_checkpoints = None;
        if let Some(path) = checkpoint_path {
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            let checkpointer = super::open_connection(&path)?;
            let (stop, stopped) = mpsc::channel::<()>();
            stop_checkpoints = Some(stop);
            threads.push(
                std::thread::Builder::new()
                    .name("keyward-db-checkpoint".into())
                    .spawn(move || checkpoint_loop(checkpointer, stopped))
                    .map_err(spawn_err)?,
            );
        }
        let writer = std::thread::Builder::new()
            .name("keyward-db-writer".into())
            .spawn(move || {
                raise_priority();
                for job in queue {
                    // A panicking job has already rolled its transaction back (the
                    // transaction is dropped while unwinding); its caller sees the
                    // reply channel close, and the thread keeps serving.
                    let _ =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut conn)));
                }
            })
            .map_err(spawn_err)?;
        threads.push(writer);
        Ok(Self {
            jobs: Some(jobs),
            stop_checkpoints,
            threads,
        })
    }

    /// Runs `f` on the writer connection and waits for its result.
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.jobs
            .as_ref()
            .ok_or_else(|| {
                DbError(StoreError::Backend(
                    "the database writer has stopped".into(),
                ))
            })?
            .send(job)
            .map_err(|_| {
                DbError(StoreError::Backend(
                    "the database writer has stopped".into(),
                ))
            })?;
        answer.await.map_err(|_| {
            StoreError::Backend("a database write failed unexpectedly (see the log)".into())
        })?
    }
}

fn raise_priority() {
    // On Linux the nice value is per thread, so this only touches the writer.
    if let Err(e) = rustix::process::setpriority_process(None, WRITER_NICE) {
        tracing::debug!(error = %e, "could not raise the database writer's priority; running at normal priority");
    }
}

/// Copies committed WAL frames into the database file until the store is dropped.
fn checkpoint_loop(conn: Connection, stopped: mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "background WAL checkpoint failed; will retry");
        }
    }
}
