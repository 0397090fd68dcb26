//! The SQLite backend: one file, WAL mode, `synchronous=FULL`.
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
mod file_recipients;
mod identity;
mod lease;
mod mfa;
mod rotation;
mod secrets;
mod writer;

use crate::StoreError;
use crate::model::*;
use crate::traits::{Result, Store};
use async_trait::async_trait;
use keyward_crypto::AuditKey;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use uuid::Uuid;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 12;
const MIGRATION_0001: &str = include_str!("../../migrations/sqlite/0001_init.sql");
const MIGRATION_0002: &str = include_str!("../../migrations/sqlite/0002_version_metadata.sql");
const MIGRATION_0003: &str = include_str!("../../migrations/sqlite/0003_lean_audit_indexes.sql");
const MIGRATION_0005: &str = include_str!("../../migrations/sqlite/0005_audit_count.sql");
const MIGRATION_0007: &str = include_str!("../../migrations/sqlite/0007_job_leases.sql");
const MIGRATION_0008: &str = include_str!("../../migrations/sqlite/0008_mfa_devices.sql");
const MIGRATION_0009: &str = include_str!("../../migrations/sqlite/0009_rotation.sql");
const MIGRATION_0010: &str = include_str!("../../migrations/sqlite/0010_alert_outbox.sql");
const MIGRATION_0012: &str = include_str!("../../migrations/sqlite/0012_file_recipients.sql");
/// Number of read-only connections for a file-backed store.
pub const DEFAULT_READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const STATEMENT_CACHE: usize = 64;

/// A [`Store`] in one SQLite file.
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
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with_readers(path, DEFAULT_READERS)
    }

    /// Opens the database of an initialised data directory, for serving or offline
    /// tools. Unlike [`SqliteStore::open`] it never creates anything: a missing or
    /// empty file, or one without keyward's schema, is `Uninitialised`, and one that
    /// fails SQLite's `PRAGMA quick_check` is `Corrupt`. Only `init` creates a store,
    /// so a truncated database can never come back as an empty, healthy-looking one.
    pub fn open_existing(path: &Path) -> Result<Self> {
        let shown = path.display();
        let meta = std::fs::metadata(path)
            .map_err(|e| StoreError::Uninitialised(format!("{shown}: {e}")))?;
        if meta.len() == 0 {
            return Err(StoreError::Uninitialised(format!(
                "{shown} is empty (0 bytes)"
            )));
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
                    )));
                }
                Err(e) => {
                    return Err(StoreError::Corrupt(format!(
                        "{shown} cannot be read as a database: {e}"
                    )));
                }
            }
            let version: Option<String> = optional(conn.query_row(
                "SELECT value FROM settings WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            ))
            .unwrap_or(None);
            if version.is_none() {
                return Err(StoreError::Uninitialised(format!(
                    "{shown} has no keyward schema"
                )));
            }
        }
        Self::open(path)
    }

    /// Like [`SqliteStore::open`] with a chosen number of reader connections
    /// (0 sends reads through the writer).
    pub fn open_with_readers(path: &Path, readers: usize) -> Result<Self> {
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
            )));
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
    pub fn open_in_memory() -> Result<Self> {
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
    async fn write<T, F>(&self, f: F) -> Result<T>
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
    }

    /// Like [`Self::write`], appending `audit` to the chain in the same
    /// transaction: the change and its audit record commit together or not at all.
    async fn write_audited<T, F>(&self, audit: AuditedWrite, f: F) -> Result<T>
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
    async fn read<T, F>(&self, f: F) -> Result<T>
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
            .map_err(|_| StoreError::Backend("the reader pool was closed".into()))?;
        let inner = &self.inner;
        let mut conn = {
            let mut pool = inner
                .readers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pool.pop()
                .ok_or_else(|| StoreError::Backend("no reader connection available".into()))?
        };
        let result = (|| {
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
        result
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
        .map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(drop)
        .map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let has_settings: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings')",
        [],
        |r| r.get(0),
    )?;
    let current: i64 = if has_settings {
        let v: Option<String> = tx
            .query_row(
                "SELECT value FROM settings WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        match v {
            None => 0,
            Some(v) => v.parse().map_err(|_| {
                StoreError::Corrupt(format!("schema_version is not a number: {v:?}"))
            })?,
        }
    } else {
        0
    };
    if current > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "the database has schema version {current}, newer than this keyward understands ({SCHEMA_VERSION})"
        )));
    }
    if current < 1 {
        tx.execute_batch(MIGRATION_0001)?;
    }
    if current < 2 {
        tx.execute_batch(MIGRATION_0002)?;
    }
    if current < 3 {
        tx.execute_batch(MIGRATION_0003)?;
    }
    if current < 5 {
        tx.execute_batch(MIGRATION_0005)?;
    }
    if current < 7 {
        tx.execute_batch(MIGRATION_0007)?;
    }
    if current < 8 {
        tx.execute_batch(MIGRATION_0008)?;
    }
    if current < 9 {
        tx.execute_batch(MIGRATION_0009)?;
    }
    if current < 10 {
        tx.execute_batch(MIGRATION_0010)?;
    }
    if current < 12 {
        tx.execute_batch(MIGRATION_0012)?;
    }
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ('schema_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [SCHEMA_VERSION.to_string()],
    )?;
    tx.commit()?;
    Ok(())
}

// ---- shared conversions

pub(crate) fn ts(t: OffsetDateTime) -> Result<i64> {
    i64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| StoreError::Backend(format!("timestamp out of range: {t}")))
}

pub(crate) fn from_ts(n: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(n))
        .map_err(|_| StoreError::Corrupt(format!("timestamp out of range: {n}")))
}

pub(crate) fn now() -> Result<i64> {
    ts(OffsetDateTime::now_utc())
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("not a UUID: {s:?}")))
}

pub(crate) fn tags_to_json(tags: &[Tag]) -> Result<String> {
    serde_json::to_string(tags).map_err(|e| StoreError::Backend(format!("tags: {e}")))
}

pub(crate) fn tags_from_json(s: &str) -> Result<Vec<Tag>> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("tags: {e}")))
}

pub(crate) fn json_to_text(v: &serde_json::Value) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(format!("json: {e}")))
}

pub(crate) fn json_from_text(s: &str) -> Result<serde_json::Value> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("json: {e}")))
}

/// When `e` is a UNIQUE/PRIMARY KEY violation, the constraint text
/// (e.g. `secrets.namespace, secrets.region, secrets.name`).
pub(crate) fn unique_violation(e: &rusqlite::Error) -> Option<&str> {
    match e {
        rusqlite::Error::SqliteFailure(err, msg)
            if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            Some(msg.as_deref().unwrap_or(""))
        }
        _ => None,
    }
}

pub(crate) fn is_foreign_key_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(err, _)
        if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

/// `Some(row)` for one row, `None` for none.
pub(crate) fn optional<T>(r: rusqlite::Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read(move |tx| {
            let mut st = tx.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
            optional(st.query_row([&key], |r| r.get(0)))
        })
        .await
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([&key, &value])?;
            Ok(())
        })
        .await
    }

    async fn create_secret(
        &self,
        secret: NewSecret,
        first: Option<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write_audited(audit, move |tx| secrets::create_secret(tx, secret, first))
            .await
    }

    async fn replace_secret(
        &self,
        replacing: Option<Uuid>,
        secret: NewSecret,
        versions: Vec<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write_audited(audit, move |tx| {
            if let Some(old) = replacing {
                secrets::purge(tx, old)?;
            }
            let created = secrets::create_secret(tx, secret, None)?;
            for v in versions {
                secrets::add_version(tx, created.id, v)?;
            }
            secrets::get_by_id(tx, created.id)?
                .ok_or_else(|| StoreError::not_found("secret", created.name.clone()))
        })
        .await
    }

    async fn get_secret(
        &self,
        namespace: Namespace,
        region: &str,
        name: &str,
    ) -> Result<Option<Secret>> {
        let (region, name) = (region.to_owned(), name.to_owned());
        self.read(move |tx| secrets::get_by_name(tx, namespace, &region, &name))
            .await
    }

    async fn get_secret_and_version(
        &self,
        namespace: Namespace,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<Option<(Secret, Option<Version>)>> {
        let (region, name, selector) = (region.to_owned(), name.to_owned(), selector.clone());
        self.read(move |tx| {
            let Some(secret) = secrets::get_by_name(tx, namespace, &region, &name)? else {
                return Ok(None);
            };
            let version = secrets::get_version(tx, secret.id, &selector)?;
            Ok(Some((secret, version)))
        })
        .await
    }

    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<Secret>> {
        let arn = arn.to_owned();
        self.read(move |tx| secrets::get_by_arn(tx, &arn)).await
    }

    async fn get_secret_by_id(&self, id: Uuid) -> Result<Option<Secret>> {
        self.read(move |tx| secrets::get_by_id(tx, id)).await
    }

    async fn list_secrets(&self, query: &ListQuery) -> Result<Vec<Secret>> {
        let query = query.clone();
        self.read(move |tx| secrets::list(tx, &query)).await
    }

    async fn update_secret(
        &self,
        id: Uuid,
        patch: SecretPatch,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write_audited(audit, move |tx| secrets::update(tx, id, patch))
            .await
    }

    async fn record_access(&self, accesses: Vec<(Uuid, OffsetDateTime)>) -> Result<()> {
        if accesses.is_empty() {
            return Ok(());
        }
        self.write(move |tx| {
            let mut st = tx.prepare_cached(
                "UPDATE secrets SET last_accessed_at = ?2
                 WHERE id = ?1 AND (last_accessed_at IS NULL OR last_accessed_at < ?2)",
            )?;
            for (id, at) in accesses {
                st.execute(rusqlite::params![id.to_string(), ts(at)?])?;
            }
            Ok(())
        })
        .await
    }

    async fn purge_secret(&self, id: Uuid, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| secrets::purge(tx, id))
            .await
    }

    async fn purge_expired(&self, now: OffsetDateTime, audit: AuditedWrite) -> Result<Vec<String>> {
        self.write(move |tx| {
            let arns = secrets::purge_expired(tx, now)?;
            let events: Vec<AuditEvent> = arns
                .iter()
                .map(|arn| AuditEvent {
                    resource: Some(arn.clone()),
                    ..audit.event.clone()
                })
                .collect();
            audit::append(tx, &audit.key, &events)?;
            Ok(arns)
        })
        .await
    }

    async fn add_version(
        &self,
        secret_id: Uuid,
        version: NewVersion,
        audit: AuditedWrite,
    ) -> Result<AddVersionOutcome> {
        self.write_audited(audit, move |tx| {
            secrets::add_version(tx, secret_id, version)
        })
        .await
    }

    async fn add_version_after(
        &self,
        secret_id: Uuid,
        after_seq: i64,
        version: NewVersion,
        patch: SecretPatch,
        audit: AuditedWrite,
    ) -> Result<(Secret, AddVersionOutcome)> {
        self.write_audited(audit, move |tx| {
            secrets::add_version_after(tx, secret_id, after_seq, version, patch)
        })
        .await
    }

    async fn get_version(
        &self,
        secret_id: Uuid,
        selector: &VersionSelector,
    ) -> Result<Option<Version>> {
        let selector = selector.clone();
        self.read(move |tx| secrets::get_version(tx, secret_id, &selector))
            .await
    }

    async fn list_versions(&self, secret_id: Uuid) -> Result<Vec<Version>> {
        self.read(move |tx| secrets::list_versions(tx, secret_id))
            .await
    }

    async fn move_stage(
        &self,
        secret_id: Uuid,
        stage: &str,
        to_version: Option<&str>,
        from_version: Option<&str>,
        audit: AuditedWrite,
    ) -> Result<()> {
        let stage = stage.to_owned();
        let to = to_version.map(str::to_owned);
        let from = from_version.map(str::to_owned);
        self.write_audited(audit, move |tx| {
            secrets::move_stage(tx, secret_id, &stage, to.as_deref(), from.as_deref())
        })
        .await
    }

    async fn prune_versions(
        &self,
        secret_id: Uuid,
        keep: usize,
        audit: AuditedWrite,
    ) -> Result<usize> {
        self.write_audited(audit, move |tx| {
            secrets::prune_versions(tx, secret_id, keep)
        })
        .await
    }

    async fn create_principal(&self, principal: Principal, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| identity::create_principal(tx, &principal))
            .await
    }

    async fn get_principal(&self, name: &str) -> Result<Option<Principal>> {
        let name = name.to_owned();
        self.read(move |tx| identity::get_principal(tx, "name", &name))
            .await
    }

    async fn get_principal_by_id(&self, id: Uuid) -> Result<Option<Principal>> {
        self.read(move |tx| identity::get_principal(tx, "id", &id.to_string()))
            .await
    }

    async fn list_principals(&self) -> Result<Vec<Principal>> {
        self.read(identity::list_principals).await
    }

    async fn delete_principal(&self, name: &str, audit: AuditedWrite) -> Result<()> {
        let name = name.to_owned();
        self.write_audited(audit, move |tx| identity::delete_principal(tx, &name))
            .await
    }

    async fn create_access_key(&self, key: AccessKey, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| identity::create_access_key(tx, &key))
            .await
    }

    async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        let id = access_key_id.to_owned();
        self.read(move |tx| identity::get_access_key(tx, &id)).await
    }

    async fn list_access_keys(&self, principal_id: Uuid) -> Result<Vec<AccessKey>> {
        self.read(move |tx| identity::list_access_keys(tx, principal_id))
            .await
    }

    async fn delete_access_key(&self, access_key_id: &str, audit: AuditedWrite) -> Result<()> {
        let id = access_key_id.to_owned();
        self.write_audited(audit, move |tx| identity::delete_access_key(tx, &id))
            .await
    }

    async fn put_policy(
        &self,
        name: &str,
        document: &str,
        audit: AuditedWrite,
    ) -> Result<PolicyRecord> {
        let (name, document) = (name.to_owned(), document.to_owned());
        self.write_audited(audit, move |tx| identity::put_policy(tx, &name, &document))
            .await
    }

    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>> {
        let name = name.to_owned();
        self.read(move |tx| identity::get_policy(tx, &name)).await
    }

    async fn list_policies(&self) -> Result<Vec<PolicyRecord>> {
        self.read(identity::list_policies).await
    }

    async fn delete_policy(&self, name: &str, audit: AuditedWrite) -> Result<()> {
        let name = name.to_owned();
        self.write_audited(audit, move |tx| identity::delete_policy(tx, &name))
            .await
    }

    async fn attach_policy(
        &self,
        principal: &str,
        policy: &str,
        audit: AuditedWrite,
    ) -> Result<()> {
        let (principal, policy) = (principal.to_owned(), policy.to_owned());
        self.write_audited(audit, move |tx| {
            identity::attach_policy(tx, &principal, &policy)
        })
        .await
    }

    async fn detach_policy(
        &self,
        principal: &str,
        policy: &str,
        audit: AuditedWrite,
    ) -> Result<()> {
        let (principal, policy) = (principal.to_owned(), policy.to_owned());
        self.write_audited(audit, move |tx| {
            identity::detach_policy(tx, &principal, &policy)
        })
        .await
    }

    async fn principal_policies(&self, principal_id: Uuid) -> Result<Vec<PolicyRecord>> {
        self.read(move |tx| identity::principal_policies(tx, principal_id))
            .await
    }

    async fn append_audit(&self, key: &AuditKey, events: Vec<AuditEvent>) -> Result<Vec<i64>> {
        let key = key.clone();
        self.write(move |tx| audit::append(tx, &key, &events)).await
    }

    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let query = query.clone();
        self.read(move |tx| audit::list(tx, &query)).await
    }

    async fn audit_head(&self) -> Result<Option<AuditHead>> {
        self.read(audit::head).await
    }

    async fn acquire_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write(move |tx| lease::acquire(tx, &job, &holder, ttl, now))
            .await
    }

    async fn release_lease(&self, job: &str, holder: &str) -> Result<()> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write(move |tx| lease::release(tx, &job, &holder))
            .await
    }

    async fn get_rotation(&self, secret_id: Uuid) -> Result<Option<crate::Rotation>> {
        self.read(move |tx| rotation::get(tx, secret_id)).await
    }

    async fn list_rotations(&self) -> Result<Vec<crate::Rotation>> {
        self.read(rotation::list).await
    }

    async fn put_rotation(&self, rot: crate::Rotation, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| rotation::put(tx, &rot))
            .await
    }

    async fn claim_rotation(
        &self,
        secret_id: Uuid,
        token: &str,
        at: OffsetDateTime,
        placeholder: Option<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Option<String>> {
        let token = token.to_owned();
        self.write_audited(audit, move |tx| {
            rotation::claim(tx, secret_id, &token, at, placeholder)
        })
        .await
    }

    async fn put_mfa_device(&self, device: MfaDevice, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| mfa::put(tx, &device))
            .await
    }

    async fn get_mfa_device(&self, principal_id: Uuid) -> Result<Option<MfaDevice>> {
        self.read(move |tx| mfa::get(tx, principal_id)).await
    }

    async fn use_mfa_step(&self, principal_id: Uuid, step: i64) -> Result<bool> {
        self.write(move |tx| mfa::use_step(tx, principal_id, step))
            .await
    }

    async fn create_file_recipient(
        &self,
        recipient: FileRecipient,
        audit: AuditedWrite,
    ) -> Result<()> {
        self.write_audited(audit, move |tx| file_recipients::create(tx, &recipient))
            .await
    }

    async fn get_file_recipient(&self, name: &str) -> Result<Option<FileRecipient>> {
        let name = name.to_owned();
        self.read(move |tx| file_recipients::get(tx, &name)).await
    }

    async fn list_file_recipients(&self) -> Result<Vec<FileRecipient>> {
        self.read(file_recipients::list).await
    }

    async fn enqueue_alerts(&self, alerts: Vec<NewAlertDelivery>) -> Result<usize> {
        self.write(move |tx| alerts::enqueue(tx, &alerts)).await
    }

    async fn due_alerts(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<AlertDelivery>> {
        self.read(move |tx| alerts::due(tx, now, limit)).await
    }

    async fn finish_alert_attempt(&self, id: i64, result: AlertAttempt) -> Result<()> {
        self.write(move |tx| alerts::finish(tx, id, &result)).await
    }

    async fn list_alerts(&self, limit: usize) -> Result<Vec<AlertDelivery>> {
        self.read(move |tx| alerts::list(tx, limit)).await
    }
}
