//! Versions of a secret and their staging labels: adding (idempotent per
//! version id, filling a rotation's placeholder), moving a label (`AWSCURRENT`
//! moving makes the old holder `AWSPREVIOUS`), pruning unlabelled versions.

use super::secrets::update;
use super::{from_ts, json_from_text, json_to_text, now, optional, parse_uuid};
use crate::error::{DbError, Result};
use keyward_store::StoreError;
use keyward_store::model::*;
use rusqlite::{Row, Transaction, params};
use uuid::Uuid;

const AWSCURRENT: &str = "AWSCURRENT";
const AWSPREVIOUS: &str = "AWSPREVIOUS";

const VERSION_COLS: &str = "v.secret_id, v.version_id, v.seq, v.created_at, v.kind, v.sealed, \
     v.value_mac, v.created_by, v.metadata, \
     (SELECT json_group_array(s2.stage) FROM version_stages s2 \
       WHERE s2.secret_id = v.secret_id AND s2.version_id = v.version_id)";

struct VersionRow {
    secret_id: String,
    version_id: String,
    seq: i64,
    created_at: i64,
    kind: String,
    sealed: Vec<u8>,
    value_mac: Vec<u8>,
    created_by: Option<String>,
    metadata: String,
    stages: Option<String>,
}

fn version_row(r: &Row<'_>) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        secret_id: r.get(0)?,
        version_id: r.get(1)?,
        seq: r.get(2)?,
        created_at: r.get(3)?,
        kind: r.get(4)?,
        sealed: r.get(5)?,
        value_mac: r.get(6)?,
        created_by: r.get(7)?,
        metadata: r.get(8)?,
        stages: r.get(9)?,
    })
}

impl VersionRow {
    fn into_version(self) -> Result<Version> {
        let mut stages: Vec<String> = match self.stages.as_deref() {
            None => Vec::new(),
            Some(s) => serde_json::from_str(s)
                .map_err(|e| DbError(StoreError::Corrupt(format!("stages: {e}"))))?,
        };
        stages.sort();
        Ok(Version {
            secret_id: parse_uuid(&self.secret_id)?,
            kind: ValueKind::parse(&self.kind).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown value kind {:?}", self.kind))
            })?,
            version_id: self.version_id,
            seq: self.seq,
            stages,
            created_at: from_ts(self.created_at)?,
            sealed: self.sealed,
            value_mac: self.value_mac,
            created_by: self.created_by,
            metadata: json_from_text(&self.metadata)?,
        })
    }
}

fn version_by_id(tx: &Transaction<'_>, sid: &str, version_id: &str) -> Result<Option<Version>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {VERSION_COLS} FROM versions v WHERE v.secret_id = ?1 AND v.version_id = ?2"
    ))?;
    optional(st.query_row([sid, version_id], version_row))?
        .map(VersionRow::into_version)
        .transpose()
}

fn version_by_stage(tx: &Transaction<'_>, sid: &str, stage: &str) -> Result<Option<Version>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {VERSION_COLS} FROM version_stages s
           JOIN versions v ON v.secret_id = s.secret_id AND v.version_id = s.version_id
         WHERE s.secret_id = ?1 AND s.stage = ?2"
    ))?;
    optional(st.query_row([sid, stage], version_row))?
        .map(VersionRow::into_version)
        .transpose()
}

pub(super) fn get_version(
    tx: &Transaction<'_>,
    secret_id: Uuid,
    selector: &VersionSelector,
) -> Result<Option<Version>> {
    let sid = secret_id.to_string();
    match selector {
        VersionSelector::Id(id) => version_by_id(tx, &sid, id),
        VersionSelector::Stage(stage) => version_by_stage(tx, &sid, stage),
    }
}

pub(super) fn list_versions(tx: &Transaction<'_>, secret_id: Uuid) -> Result<Vec<Version>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {VERSION_COLS} FROM versions v WHERE v.secret_id = ?1 ORDER BY v.seq"
    ))?;
    let rows = st.query_map([secret_id.to_string()], version_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?.into_version()?);
    }
    Ok(out)
}

/// The secret's last version seq, or `NotFound`.
fn secret_version_seq(tx: &Transaction<'_>, sid: &str) -> Result<i64> {
    let mut st = tx.prepare_cached("SELECT version_seq FROM secrets WHERE id = ?1")?;
    optional(st.query_row([sid], |r| r.get(0)))?
        .ok_or_else(|| DbError(StoreError::not_found("secret", sid)))
}

fn touch(tx: &Transaction<'_>, sid: &str) -> Result<()> {
    tx.prepare_cached("UPDATE secrets SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![sid, now()?])?;
    Ok(())
}

pub(super) fn add_version(
    tx: &Transaction<'_>,
    secret_id: Uuid,
    nv: NewVersion,
) -> Result<AddVersionOutcome> {
    let sid = secret_id.to_string();
    let last_seq = secret_version_seq(tx, &sid)?;
    if let Some(existing) = version_by_id(tx, &sid, &nv.version_id)? {
        if existing.is_placeholder() && !nv.is_placeholder() {
            return fill_placeholder(tx, &sid, nv);
        }
        if nv.is_placeholder() {
            // A rotation re-staging its pending version never overwrites a value.
            return Ok(AddVersionOutcome::AlreadyExisted(existing));
        }
        let same = existing.kind == nv.kind
            && keyward_crypto::constant_time_eq(&existing.value_mac, &nv.value_mac);
        return if same {
            Ok(AddVersionOutcome::AlreadyExisted(existing))
        } else {
            Err(StoreError::VersionConflict {
                version_id: nv.version_id,
            }
            .into())
        };
    }
    let seq = last_seq + 1;
    let now = now()?;
    tx.prepare_cached(
        "INSERT INTO versions (secret_id, version_id, seq, created_at, kind, sealed, value_mac, created_by, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        sid,
        nv.version_id,
        seq,
        now,
        nv.kind.as_str(),
        nv.sealed,
        nv.value_mac,
        nv.created_by,
        json_to_text(&nv.metadata)?,
    ])?;
    tx.prepare_cached("UPDATE secrets SET version_seq = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![sid, seq, now])?;
    let mut seen: Vec<&str> = Vec::with_capacity(nv.stages.len());
    for stage in &nv.stages {
        if !seen.contains(&stage.as_str()) {
            seen.push(stage);
            attach_stage(tx, &sid, stage, &nv.version_id)?;
        }
    }
    let v = version_by_id(tx, &sid, &nv.version_id)?
        .ok_or_else(|| DbError(StoreError::Backend("the new version vanished".into())))?;
    Ok(AddVersionOutcome::Created(v))
}

/// [`add_version`] and [`update`] together, only while the newest version is
/// still `after_seq`: the check and the insert share the write transaction, so a
/// second writer that read the same newest version gets `Stale`.
pub(super) fn add_version_after(
    tx: &Transaction<'_>,
    secret_id: Uuid,
    after_seq: i64,
    nv: NewVersion,
    patch: SecretPatch,
) -> Result<(Secret, AddVersionOutcome)> {
    let sid = secret_id.to_string();
    secret_version_seq(tx, &sid)?;
    let newest: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM versions WHERE secret_id = ?1")?
        .query_row([&sid], |r| r.get(0))?;
    if newest != after_seq {
        return Err(StoreError::Stale {
            kind: "secret",
            name: sid,
        }
        .into());
    }
    let added = add_version(tx, secret_id, nv)?;
    Ok((update(tx, secret_id, patch)?, added))
}

/// Gives a rotation's pending version (staged with no value by RotateSecret) the
/// value a `PutSecretValue` with its token brings, and moves that call's stages.
fn fill_placeholder(tx: &Transaction<'_>, sid: &str, nv: NewVersion) -> Result<AddVersionOutcome> {
    tx.prepare_cached(
        "UPDATE versions SET kind = ?3, sealed = ?4, value_mac = ?5, created_by = ?6, metadata = ?7
         WHERE secret_id = ?1 AND version_id = ?2",
    )?
    .execute(params![
        sid,
        nv.version_id,
        nv.kind.as_str(),
        nv.sealed,
        nv.value_mac,
        nv.created_by,
        json_to_text(&nv.metadata)?,
    ])?;
    tx.prepare_cached("UPDATE secrets SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![sid, now()?])?;
    for stage in &nv.stages {
        attach_stage(tx, sid, stage, &nv.version_id)?;
    }
    let v = version_by_id(tx, sid, &nv.version_id)?
        .ok_or_else(|| DbError(StoreError::Backend("the filled version vanished".into())))?;
    Ok(AddVersionOutcome::Created(v))
}

fn stage_holder(tx: &Transaction<'_>, sid: &str, stage: &str) -> Result<Option<String>> {
    let mut st = tx.prepare_cached(
        "SELECT version_id FROM version_stages WHERE secret_id = ?1 AND stage = ?2",
    )?;
    optional(st.query_row([sid, stage], |r| r.get(0)))
}

fn set_stage(tx: &Transaction<'_>, sid: &str, stage: &str, version_id: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO version_stages (secret_id, stage, version_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (secret_id, stage) DO UPDATE SET version_id = excluded.version_id",
    )?
    .execute([sid, stage, version_id])?;
    Ok(())
}

/// Puts `stage` on `to` (taking it off whichever version had it). When `AWSCURRENT`
/// moves, the version that had it becomes `AWSPREVIOUS`.
fn attach_stage(tx: &Transaction<'_>, sid: &str, stage: &str, to: &str) -> Result<()> {
    let old = stage_holder(tx, sid, stage)?;
    if old.as_deref() == Some(to) {
        return Ok(());
    }
    set_stage(tx, sid, stage, to)?;
    if stage == AWSCURRENT
        && let Some(old) = old
    {
        set_stage(tx, sid, AWSPREVIOUS, &old)?;
    }
    Ok(())
}

pub(super) fn move_stage(
    tx: &Transaction<'_>,
    secret_id: Uuid,
    stage: &str,
    to: Option<&str>,
    from: Option<&str>,
) -> Result<()> {
    let sid = secret_id.to_string();
    secret_version_seq(tx, &sid)?;
    let holder = stage_holder(tx, &sid, stage)?;
    if let Some(from) = from
        && holder.as_deref() != Some(from)
    {
        return Err(StoreError::Conflict(match holder {
            Some(h) => format!("stage {stage} is attached to version {h}, not {from}"),
            None => format!("stage {stage} is not attached to version {from}"),
        })
        .into());
    }
    match (to, from) {
        (Some(to), _) => {
            if version_by_id(tx, &sid, to)?.is_none() {
                return Err(StoreError::not_found("version", to).into());
            }
            attach_stage(tx, &sid, stage, to)?;
        }
        (None, Some(_)) => {
            tx.prepare_cached("DELETE FROM version_stages WHERE secret_id = ?1 AND stage = ?2")?
                .execute([&sid, stage])?;
        }
        (None, None) => {
            return Err(StoreError::Conflict(format!(
                "moving stage {stage} needs a version to move it to or from"
            ))
            .into());
        }
    }
    touch(tx, &sid)
}

pub(super) fn prune_versions(tx: &Transaction<'_>, secret_id: Uuid, keep: usize) -> Result<usize> {
    let sid = secret_id.to_string();
    secret_version_seq(tx, &sid)?;
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    let doomed: Vec<String> = tx
        .prepare_cached(
            "SELECT v.version_id FROM versions v
             WHERE v.secret_id = ?1
               AND NOT EXISTS (SELECT 1 FROM version_stages s
                               WHERE s.secret_id = v.secret_id AND s.version_id = v.version_id)
             ORDER BY v.seq DESC
             LIMIT -1 OFFSET ?2",
        )?
        .query_map(params![sid, keep], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut del =
        tx.prepare_cached("DELETE FROM versions WHERE secret_id = ?1 AND version_id = ?2")?;
    for v in &doomed {
        del.execute([&sid, v])?;
    }
    Ok(doomed.len())
}
