//! Conversions between model types and SQLite columns, shared by the tables'
//! modules.

use crate::error::{DbError, Result};
use keyward_store::StoreError;
use keyward_store::model::Tag;
use time::OffsetDateTime;
use uuid::Uuid;

pub(crate) fn ts(t: OffsetDateTime) -> Result<i64> {
    i64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| DbError(StoreError::Backend(format!("timestamp out of range: {t}"))))
}

pub(crate) fn from_ts(n: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(n))
        .map_err(|_| DbError(StoreError::Corrupt(format!("timestamp out of range: {n}"))))
}

pub(crate) fn now() -> Result<i64> {
    ts(OffsetDateTime::now_utc())
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| DbError(StoreError::Corrupt(format!("not a UUID: {s:?}"))))
}

pub(crate) fn tags_to_json(tags: &[Tag]) -> Result<String> {
    serde_json::to_string(tags).map_err(|e| DbError(StoreError::Backend(format!("tags: {e}"))))
}

pub(crate) fn tags_from_json(s: &str) -> Result<Vec<Tag>> {
    serde_json::from_str(s).map_err(|e| DbError(StoreError::Corrupt(format!("tags: {e}"))))
}

pub(crate) fn json_to_text(v: &serde_json::Value) -> Result<String> {
    serde_json::to_string(v).map_err(|e| DbError(StoreError::Backend(format!("json: {e}"))))
}

pub(crate) fn json_from_text(s: &str) -> Result<serde_json::Value> {
    serde_json::from_str(s).map_err(|e| DbError(StoreError::Corrupt(format!("json: {e}"))))
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
