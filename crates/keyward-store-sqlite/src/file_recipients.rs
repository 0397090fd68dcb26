//! Server recipients for encrypted files in SQLite: created once, never replaced
//! (replacing the key would strand every file encrypted to it).

use super::{from_ts, optional, ts, unique_violation};
use crate::error::Result;
use keyward_store::StoreError;
use keyward_store::model::FileRecipient;
use rusqlite::{Row, Transaction, params};

const COLUMNS: &str = "name, recipient, sealed_identity, created_at";

pub(crate) fn create(tx: &Transaction<'_>, r: &FileRecipient) -> Result<()> {
    let res = tx
        .prepare_cached(&format!(
            "INSERT INTO file_recipients ({COLUMNS}) VALUES (?1, ?2, ?3, ?4)"
        ))?
        .execute(params![
            r.name,
            r.recipient,
            r.sealed_identity,
            ts(r.created_at)?
        ]);
    match res {
        Ok(_) => Ok(()),
        Err(e) if unique_violation(&e).is_some() => {
            Err(StoreError::already_exists("file recipient", r.name.clone()).into())
        }
        Err(e) => Err(e.into()),
    }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(String, String, Vec<u8>, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn build(
    (name, recipient, sealed_identity, created): (String, String, Vec<u8>, i64),
) -> Result<FileRecipient> {
    Ok(FileRecipient {
        name,
        recipient,
        sealed_identity,
        created_at: from_ts(created)?,
    })
}

pub(crate) fn get(tx: &Transaction<'_>, name: &str) -> Result<Option<FileRecipient>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM file_recipients WHERE name = ?1"
    ))?;
    optional(st.query_row([name], from_row))?
        .map(build)
        .transpose()
}

pub(crate) fn list(tx: &Transaction<'_>) -> Result<Vec<FileRecipient>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM file_recipients ORDER BY name"
    ))?;
    let rows = st.query_map([], from_row)?;
    rows.map(|r| build(r?)).collect()
}
