//! Rotation rows in SQLite: typed configuration and state, one row per secret.

use super::{from_ts, optional, parse_uuid, ts, versions};
use crate::error::{DbError, Result};
use keyward_store::StoreError;
use keyward_store::model::{AddVersionOutcome, NewVersion};
use keyward_store::{Rotation, RotationConfig, RotationState};
use rusqlite::{Row, Transaction, params};
use time::OffsetDateTime;
use uuid::Uuid;

const COLS: &str = "secret_id, enabled, rotator, lambda_arn, after_days, schedule_expression, \
     window, master_secret, command, url, gen_format, gen_length, gen_field, last_rotated_at, \
     next_rotation_at, pending_token, pending_step, started_at, attempts, retry_at, last_error, \
     last_error_at";

type RawRow = (String, Rotation, [Option<i64>; 6]);

fn raw(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    let config = RotationConfig {
        enabled: r.get::<_, i64>(1)? != 0,
        rotator: r.get(2)?,
        lambda_arn: r.get(3)?,
        after_days: r.get(4)?,
        schedule_expression: r.get(5)?,
        window: r.get(6)?,
        master_secret: r.get(7)?,
        command: r.get(8)?,
        url: r.get(9)?,
        gen_format: r.get(10)?,
        gen_length: r.get(11)?,
        gen_field: r.get(12)?,
    };
    let state = RotationState {
        pending_token: r.get(15)?,
        pending_step: r.get(16)?,
        attempts: r.get(18)?,
        last_error: r.get(20)?,
        ..Default::default()
    };
    let times = [
        r.get(13)?,
        r.get(14)?,
        r.get(17)?,
        r.get(19)?,
        r.get(21)?,
        None,
    ];
    Ok((
        r.get(0)?,
        Rotation {
            secret_id: Uuid::nil(),
            config,
            state,
        },
        times,
    ))
}

fn finish((id, mut rot, times): RawRow) -> Result<Rotation> {
    let t = |n: Option<i64>| n.map(from_ts).transpose();
    rot.secret_id = parse_uuid(&id)?;
    rot.state.last_rotated_at = t(times[0])?;
    rot.state.next_rotation_at = t(times[1])?;
    rot.state.started_at = t(times[2])?;
    rot.state.retry_at = t(times[3])?;
    rot.state.last_error_at = t(times[4])?;
    Ok(rot)
}

pub(crate) fn get(tx: &Transaction<'_>, secret_id: Uuid) -> Result<Option<Rotation>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLS} FROM rotations WHERE secret_id = ?1"
    ))?;
    optional(st.query_row([secret_id.to_string()], raw))?
        .map(finish)
        .transpose()
}

pub(crate) fn list(tx: &Transaction<'_>) -> Result<Vec<Rotation>> {
    let mut st = tx.prepare_cached(&format!("SELECT {COLS} FROM rotations ORDER BY secret_id"))?;
    let rows = st
        .query_map([], raw)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(finish).collect()
}

fn opt_ts(t: Option<OffsetDateTime>) -> Result<Option<i64>> {
    t.map(ts).transpose()
}

pub(crate) fn put(tx: &Transaction<'_>, rot: &Rotation) -> Result<()> {
    let (c, s) = (&rot.config, &rot.state);
    tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO rotations ({COLS}) VALUES
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    ))?
    .execute(params![
        rot.secret_id.to_string(),
        i64::from(c.enabled),
        c.rotator,
        c.lambda_arn,
        c.after_days,
        c.schedule_expression,
        c.window,
        c.master_secret,
        c.command,
        c.url,
        c.gen_format,
        c.gen_length,
        c.gen_field,
        opt_ts(s.last_rotated_at)?,
        opt_ts(s.next_rotation_at)?,
        s.pending_token,
        s.pending_step,
        opt_ts(s.started_at)?,
        s.attempts,
        opt_ts(s.retry_at)?,
        s.last_error,
        opt_ts(s.last_error_at)?,
    ])?;
    Ok(())
}

/// Marks `token`'s rotation as in progress unless another token's is, and adds
/// `placeholder` (the pending version) if it does not exist yet, in one
/// transaction. Returns the token in progress when it is not `token`.
pub(crate) fn claim(
    tx: &Transaction<'_>,
    secret_id: Uuid,
    token: &str,
    at: OffsetDateTime,
    placeholder: Option<NewVersion>,
) -> Result<Option<String>> {
    let sid = secret_id.to_string();
    let held: Option<Option<String>> = optional(
        tx.prepare_cached("SELECT pending_token FROM rotations WHERE secret_id = ?1")?
            .query_row([&sid], |r| r.get(0)),
    )?;
    match held {
        Some(Some(other)) if other != token => return Ok(Some(other)),
        Some(Some(_)) => {}
        Some(None) => {
            tx.prepare_cached(
                "UPDATE rotations SET pending_token = ?2, pending_step = NULL, started_at = ?3,
                 attempts = 0, retry_at = NULL WHERE secret_id = ?1",
            )?
            .execute(params![sid, token, ts(at)?])?;
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO rotations (secret_id, pending_token, started_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![sid, token, ts(at)?])?;
        }
    }
    if let Some(nv) = placeholder {
        match versions::add_version(tx, secret_id, nv) {
            Ok(AddVersionOutcome::Created(_) | AddVersionOutcome::AlreadyExisted(_)) => {}
            // The token already names a version with a value: a replayed rotation.
            Err(DbError(StoreError::VersionConflict { .. })) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}
