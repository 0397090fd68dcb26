//! A consistent copy of a live SQLite database, and the facts a manifest records.

use crate::format::{Counts, HeadInfo};
use crate::{BackupError, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use std::time::Duration;

/// Copies the database at `live` to `into` (which must not exist) as of one
/// moment: `VACUUM INTO` runs in a single read transaction, so writes committed
/// meanwhile (WAL mode) are either wholly in the copy or wholly absent, and
/// writers are not blocked.
pub fn snapshot_db(live: &Path, into: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(
        live,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| BackupError::Database(format!("cannot open {}: {e}", live.display())))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let target = into
        .to_str()
        .ok_or_else(|| BackupError::Io(format!("{} is not UTF-8", into.display())))?;
    conn.execute("VACUUM INTO ?1", [target])
        .map_err(|e| BackupError::Database(format!("cannot snapshot {}: {e}", live.display())))?;
    Ok(())
}

/// What a database image holds, for the manifest.
#[derive(Debug, Clone)]
pub struct Facts {
    pub counts: Counts,
    pub head: Option<HeadInfo>,
    pub keyring: String,
    pub key_id: String,
}

/// Reads the counts, chain head, keyring and root-key id of a database image.
pub fn facts_of(image: &Path) -> Result<Facts> {
    let conn = Connection::open_with_flags(
        image,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let count = |sql: &str| -> Result<u64> {
        let n: i64 = conn
            .query_row(sql, [], |r| r.get(0))
            .map_err(|e| BackupError::Integrity(format!("not a keyward database ({e})")))?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let counts = Counts {
        secrets: count("SELECT count(*) FROM secrets")?,
        deleted_secrets: count("SELECT count(*) FROM secrets WHERE deleted_at IS NOT NULL")?,
        versions: count("SELECT count(*) FROM versions")?,
        staging_labels: count("SELECT count(*) FROM version_stages")?,
        principals: count("SELECT count(*) FROM principals")?,
        access_keys: count("SELECT count(*) FROM access_keys")?,
        policies: count("SELECT count(*) FROM policies")?,
        policy_attachments: count("SELECT count(*) FROM policy_attachments")?,
        rotating_secrets: count("SELECT count(*) FROM secrets WHERE rotation IS NOT NULL")?,
        audit_records: count("SELECT count(*) FROM audit")?,
    };
    let head = conn
        .query_row("SELECT seq, mac FROM audit_head WHERE id = 1", [], |r| {
            Ok(HeadInfo {
                seq: r.get(0)?,
                mac: r.get(1)?,
            })
        })
        .optional()?;
    let setting = |key: &str| -> Result<Option<String>> {
        Ok(conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .filter(|v| !v.is_empty()))
    };
    let keyring = setting("keyring")?.ok_or_else(|| {
        BackupError::Refused(
            "the database has no keyring yet: unseal the server once (or run `keyward init`) before backing it up".into(),
        )
    })?;
    let check = setting("root_key_check")?
        .ok_or_else(|| BackupError::Refused("the database has no root-key check value".into()))?;
    Ok(Facts {
        counts,
        head,
        keyring,
        key_id: keyward_crypto::shamir::root_key_id(&check),
    })
}
