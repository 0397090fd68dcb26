//! The schema: migrations applied in order inside one transaction, and the
//! version this build writes.

use crate::error::Result;
use keyward_store::StoreError;
use rusqlite::{Connection, TransactionBehavior};

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 12;
const MIGRATION_0001: &str = include_str!("../migrations/0001_init.sql");
const MIGRATION_0002: &str = include_str!("../migrations/0002_version_metadata.sql");
const MIGRATION_0003: &str = include_str!("../migrations/0003_lean_audit_indexes.sql");
const MIGRATION_0005: &str = include_str!("../migrations/0005_audit_count.sql");
const MIGRATION_0007: &str = include_str!("../migrations/0007_job_leases.sql");
const MIGRATION_0008: &str = include_str!("../migrations/0008_mfa_devices.sql");
const MIGRATION_0009: &str = include_str!("../migrations/0009_rotation.sql");
const MIGRATION_0010: &str = include_str!("../migrations/0010_alert_outbox.sql");
const MIGRATION_0012: &str = include_str!("../migrations/0012_file_recipients.sql");

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
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
        )).into());
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
