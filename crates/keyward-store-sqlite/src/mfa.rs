//! TOTP devices in SQLite: one row per principal; the used-step guard is a single
//! conditional update, so a code is accepted once even by servers racing.

use super::{from_ts, is_foreign_key_violation, optional, parse_uuid, ts};
use crate::error::Result;
use keyward_store::StoreError;
use keyward_store::model::MfaDevice;
use rusqlite::{Transaction, params};
use uuid::Uuid;

pub(crate) fn put(tx: &Transaction<'_>, d: &MfaDevice) -> Result<()> {
    let res = tx
        .prepare_cached(
            "INSERT INTO mfa_devices (principal_id, sealed_secret, last_used_step, created_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (principal_id) DO UPDATE SET sealed_secret = excluded.sealed_secret,
                 last_used_step = excluded.last_used_step, created_at = excluded.created_at",
        )?
        .execute(params![
            d.principal_id.to_string(),
            d.sealed_secret,
            d.last_used_step,
            ts(d.created_at)?
        ]);
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_foreign_key_violation(&e) => {
            Err(StoreError::not_found("principal", d.principal_id.to_string()).into())
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn get(tx: &Transaction<'_>, principal_id: Uuid) -> Result<Option<MfaDevice>> {
    let mut st = tx.prepare_cached(
        "SELECT principal_id, sealed_secret, last_used_step, created_at
         FROM mfa_devices WHERE principal_id = ?1",
    )?;
    let row = optional(st.query_row([principal_id.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, i64>(3)?,
        ))
    }))?;
    row.map(|(id, sealed_secret, last_used_step, created)| {
        Ok(MfaDevice {
            principal_id: parse_uuid(&id)?,
            sealed_secret,
            last_used_step,
            created_at: from_ts(created)?,
        })
    })
    .transpose()
}

pub(crate) fn use_step(tx: &Transaction<'_>, principal_id: Uuid, step: i64) -> Result<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE mfa_devices SET last_used_step = ?2
             WHERE principal_id = ?1 AND (last_used_step IS NULL OR last_used_step < ?2)",
        )?
        .execute(params![principal_id.to_string(), step])?;
    Ok(changed == 1)
}
