//! keyward-store-sqlite owns the SQLite backend of [`keyward_store::Store`] (the
//! conformance suite of `keyward-store` pins its behaviour): one file, WAL mode, `synchronous=FULL`.
//!
//! Concurrency: one writer connection on a thread of its own (SQLite allows one
//! writer at a time anyway, and serialising in-process avoids `SQLITE_BUSY` churn;
//! see `writer.rs`) plus a small pool of read-only connections, which WAL lets run
//! beside the writer. Writes never block the async runtime; point reads of cached
//! pages run inline (see [`SqliteStore::read`]).
//!
//! Every trait method is one transaction: writes use `BEGIN IMMEDIATE`, multi-query
//! reads use a deferred read transaction (one consistent snapshot).

mod alerts;
mod audit;
mod convert;
mod error;
mod file_recipients;
mod identity;
mod lease;
mod mfa;
mod migrate;
mod prune;
mod rotation;
mod secrets;
mod store_impl;
mod versions;
mod writer;

pub(crate) use convert::*;
pub use migrate::SCHEMA_VERSION;

use crate::error::{DbError, Result};
use crate::migrate::migrate;
use keyward_store::StoreError;
use keyward_store::model::AuditedWrite;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Number of read-only connections for a file-backed store.
pub const DEFAULT_READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const STATEMENT_CACHE: usize = 64;

/// What the public API answers with (internally, [`error::DbError`]).
type StoreResult<T> = std::result::Result<T, StoreError>;

/// A [`keyward_store::Store`] in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: Option<PathBuf>,
    writer: writer::WriterThread,
    /// Empty for in-memory stores: reads then go through the writer.
    readers: Mutex<Vec<Connection>>,
    reader_permits: Arc<Semaphore>,
    has_readers: bool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("readers", &self.inner.has_readers)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating with mode 0600 if needed) the database at `path`, migrates
    /// it, and opens [`DEFAULT_READERS`] reader connections.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with_readers(path, DEFAULT_READERS)
    }

    /// Opens the database of an initialised data directory, for serving or offline
    /// tools. Unlike [`SqliteStore::open`] it never creates anything: a missing or
    /// empty file, or one without keyward's schema, is `Uninitialised`, and one that
    /// fails SQLite's `PRAGMA quick_check` is `Corrupt`. Only `init` creates a store,
    /// so a truncated database can never come back as an empty, healthy-looking one.
    pub fn open_existing(path: &Path) -> StoreResult<Self> {
        Ok(Self::try_open_existing(path)?)
    }

    fn try_open_existing(path: &Path) -> Result<Self> {
        let shown = path.display();
        let meta = std::fs::metadata(path)
            .map_err(|e| DbError(StoreError::Uninitialised(format!("{shown}: {e}"))))?;
        if meta.len() == 0 {
            return Err(StoreError::Uninitialised(format!("{shown} is empty (0 bytes)")).into());
        }
        {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            let check: rusqlite::Result<Vec<String>> = conn
                .prepare("PRAGMA quick_check")
                .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect());
            match check {
                Ok(lines) if lines.len() == 1 && lines[0] == "ok" => {}
                Ok(lines) => {
                    return Err(StoreError::Corrupt(format!(
                        "{shown} fails SQLite's integrity check: {}",
                        lines.join("; ")
                    ))
                    .into());
                }
                Err(e) => {
                    return Err(StoreError::Corrupt(format!(
                        "{shown} cannot be read as a database: {e}"
                    ))
                    .into());
                }
            }
            let version: Option<String> = optional(conn.query_row(
                "SELECT value FROM settings WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            ))
            .unwrap_or(None);
            if version.is_none() {
                return Err(
                    StoreError::Uninitialised(format!("{shown} has no keyward schema")).into(),
                );
            }
        }
        Ok(Self::open(path)?)
    }

    /// Like [`SqliteStore::open`] with a chosen number of reader connections
    /// (0 sends reads through the writer).
    pub fn open_with_readers(path: &Path, readers: usize) -> StoreResult<Self> {
        Ok(Self::try_open_with_readers(path, readers)?)
    }

    fn try_open_with_readers(path: &Path, readers: usize) -> Result<Self> {
        create_private_file(path)?;
        let writer = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&writer)?;
        let mode: String = writer.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!(
                "{}: could not switch to WAL mode (journal_mode is {mode})",
                path.display()
            ))
            .into());
        }
        let mut writer = writer;
        migrate(&mut writer)?;
        let mut pool = Vec::with_capacity(readers);
        for _ in 0..readers {
            let c = open_connection(path)?;
            c.pragma_update(None, "query_only", true)?;
            pool.push(c);
        }
        let writer = writer::WriterThread::spawn(writer, Some(path.to_path_buf()))?;
        Ok(Self::from_parts(Some(path.to_path_buf()), writer, pool))
    }

    /// A private in-memory database (one connection), for tests.
    pub fn open_in_memory() -> StoreResult<Self> {
        Ok(Self::try_open_in_memory()?)
    }

    fn try_open_in_memory() -> Result<Self> {
        let mut writer = Connection::open_in_memory()?;
        configure(&writer)?;
        migrate(&mut writer)?;
        let writer = writer::WriterThread::spawn(writer, None)?;
        Ok(Self::from_parts(None, writer, Vec::new()))
    }

    fn from_parts(
        path: Option<PathBuf>,
        writer: writer::WriterThread,
        readers: Vec<Connection>,
    ) -> Self {
        let n = readers.len();
        Self {
            inner: Arc::new(Inner {
                path,
                writer,
                readers: Mutex::new(readers),
                reader_permits: Arc::new(Semaphore::new(n.max(1))),
                has_readers: n > 0,
            }),
        }
    }

    /// The database file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer connection,
    /// committing when it returns `Ok`.
    pub(crate) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.inner
            .writer
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = f(&tx)?;
                tx.commit()?;
                Ok(out)
            })
            .await
            .map_err(StoreError::from)
    }

    /// Like [`Self::write`], appending `audit` to the chain in the same
    /// transaction: the change and its audit record commit together or not at all.
    pub(crate) async fn write_audited<T, F>(&self, audit: AuditedWrite, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.write(move |tx| {
            let out = f(tx)?;
            audit::append(tx, &audit.key, std::slice::from_ref(&audit.event))?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` in one read transaction (a consistent snapshot) on a reader.
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        if !self.inner.has_readers {
            return self.write(f).await;
        }
        // WAL readers never wait for the writer, and a point read of cached pages
        // takes microseconds: running it on the async worker avoids two thread
        // hand-offs per read, which on a small machine cost more than the query.
        let _permit = self
            .inner
            .reader_permits
            .acquire()
            .await
            .map_err(|_| DbError(StoreError::Backend("the reader pool was closed".into())))?;
        let inner = &self.inner;
        let mut conn = {
            let mut pool = inner
                .readers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pool.pop().ok_or_else(|| {
                DbError(StoreError::Backend("no reader connection available".into()))
            })?
        };
        let result = (|| -> Result<T> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        inner
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(conn);
        result.map_err(StoreError::from)
    }
}

/// Opens another connection to an existing database file.
fn open_connection(path: &Path) -> Result<Connection> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&c)?;
    Ok(c)
}

fn configure(c: &Connection) -> Result<()> {
    c.busy_timeout(BUSY_TIMEOUT)?;
    c.pragma_update(None, "foreign_keys", true)?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| DbError(StoreError::Backend(format!("{}: {e}", path.display()))))
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(drop)
        .map_err(|e| DbError(StoreError::Backend(format!("{}: {e}", path.display()))))
}
