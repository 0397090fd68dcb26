//! Principals, access keys, policies and policy attachments.

use super::{
    from_ts, is_foreign_key_violation, now, optional, parse_uuid, tags_from_json, tags_to_json, ts,
    unique_violation,
};
use crate::error::{DbError, Result};
use keyward_store::StoreError;
use keyward_store::model::*;
use rusqlite::{Row, Transaction, params};
use uuid::Uuid;

type PrincipalRow = (String, String, String, String, i64);

fn principal_row(r: &Row<'_>) -> rusqlite::Result<PrincipalRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn into_principal((id, name, arn, tags, created_at): PrincipalRow) -> Result<Principal> {
    Ok(Principal {
        id: parse_uuid(&id)?,
        name,
        arn,
        tags: tags_from_json(&tags)?,
        created_at: from_ts(created_at)?,
    })
}

pub(super) fn create_principal(tx: &Transaction<'_>, p: &Principal) -> Result<()> {
    let res = tx
        .prepare_cached(
            "INSERT INTO principals (id, name, arn, tags, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            p.id.to_string(),
            p.name,
            p.arn,
            tags_to_json(&p.tags)?,
            ts(p.created_at)?
        ]);
    match res {
        Ok(_) => Ok(()),
        Err(e) if unique_violation(&e).is_some() => {
            // SQLite names only one violated constraint; prefer the name.
            Err(if get_principal(tx, "name", &p.name)?.is_some() {
                StoreError::already_exists("principal", p.name.clone()).into()
            } else if get_principal(tx, "id", &p.id.to_string())?.is_some() {
                StoreError::already_exists("principal", p.id.to_string()).into()
            } else {
                StoreError::already_exists("principal", p.arn.clone()).into()
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// `by` is a trusted column name (`name` or `id`).
pub(super) fn get_principal(
    tx: &Transaction<'_>,
    by: &str,
    key: &str,
) -> Result<Option<Principal>> {
    let sql = if by == "id" {
        "SELECT id, name, arn, tags, created_at FROM principals WHERE id = ?1"
    } else {
        "SELECT id, name, arn, tags, created_at FROM principals WHERE name = ?1"
    };
    optional(tx.prepare_cached(sql)?.query_row([key], principal_row))?
        .map(into_principal)
        .transpose()
}

pub(super) fn list_principals(tx: &Transaction<'_>) -> Result<Vec<Principal>> {
    let mut st =
        tx.prepare_cached("SELECT id, name, arn, tags, created_at FROM principals ORDER BY name")?;
    let rows = st.query_map([], principal_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(into_principal(r?)?);
    }
    Ok(out)
}

pub(super) fn delete_principal(tx: &Transaction<'_>, name: &str) -> Result<()> {
    // Access keys and attachments go with it (ON DELETE CASCADE).
    let n = tx
        .prepare_cached("DELETE FROM principals WHERE name = ?1")?
        .execute([name])?;
    if n == 0 {
        return Err(StoreError::not_found("principal", name).into());
    }
    Ok(())
}

type KeyRow = (String, String, Vec<u8>, bool, i64);

fn key_row(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn into_key(
    (access_key_id, principal_id, sealed_secret, enabled, created_at): KeyRow,
) -> Result<AccessKey> {
    Ok(AccessKey {
        access_key_id,
        principal_id: parse_uuid(&principal_id)?,
        sealed_secret,
        enabled,
        created_at: from_ts(created_at)?,
    })
}

pub(super) fn create_access_key(tx: &Transaction<'_>, k: &AccessKey) -> Result<()> {
    let res = tx
        .prepare_cached(
            "INSERT INTO access_keys (access_key_id, principal_id, sealed_secret, enabled, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            k.access_key_id,
            k.principal_id.to_string(),
            k.sealed_secret,
            k.enabled,
            ts(k.created_at)?
        ]);
    match res {
        Ok(_) => Ok(()),
        Err(e) if unique_violation(&e).is_some() => {
            Err(StoreError::already_exists("access key", k.access_key_id.clone()).into())
        }
        Err(e) if is_foreign_key_violation(&e) => {
            Err(StoreError::not_found("principal", k.principal_id.to_string()).into())
        }
        Err(e) => Err(e.into()),
    }
}

const KEY_COLS: &str = "access_key_id, principal_id, sealed_secret, enabled, created_at";

pub(super) fn get_access_key(tx: &Transaction<'_>, id: &str) -> Result<Option<AccessKey>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {KEY_COLS} FROM access_keys WHERE access_key_id = ?1"
    ))?;
    optional(st.query_row([id], key_row))?
        .map(into_key)
        .transpose()
}

pub(super) fn list_access_keys(tx: &Transaction<'_>, principal_id: Uuid) -> Result<Vec<AccessKey>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {KEY_COLS} FROM access_keys WHERE principal_id = ?1 ORDER BY created_at, access_key_id"
    ))?;
    let rows = st.query_map([principal_id.to_string()], key_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(into_key(r?)?);
    }
    Ok(out)
}

pub(super) fn delete_access_key(tx: &Transaction<'_>, id: &str) -> Result<()> {
    let n = tx
        .prepare_cached("DELETE FROM access_keys WHERE access_key_id = ?1")?
        .execute([id])?;
    if n == 0 {
        return Err(StoreError::not_found("access key", id).into());
    }
    Ok(())
}

type PolicyRow = (String, String, i64);

fn policy_row(r: &Row<'_>) -> rusqlite::Result<PolicyRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn into_policy((name, document, updated_at): PolicyRow) -> Result<PolicyRecord> {
    Ok(PolicyRecord {
        name,
        document,
        updated_at: from_ts(updated_at)?,
    })
}

pub(super) fn put_policy(tx: &Transaction<'_>, name: &str, document: &str) -> Result<PolicyRecord> {
    tx.prepare_cached(
        "INSERT INTO policies (name, document, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
    )?
    .execute(params![name, document, now()?])?;
    get_policy(tx, name)?
        .ok_or_else(|| DbError(StoreError::Backend("the new policy vanished".into())))
}

pub(super) fn get_policy(tx: &Transaction<'_>, name: &str) -> Result<Option<PolicyRecord>> {
    let mut st =
        tx.prepare_cached("SELECT name, document, updated_at FROM policies WHERE name = ?1")?;
    optional(st.query_row([name], policy_row))?
        .map(into_policy)
        .transpose()
}

pub(super) fn list_policies(tx: &Transaction<'_>) -> Result<Vec<PolicyRecord>> {
    let mut st =
        tx.prepare_cached("SELECT name, document, updated_at FROM policies ORDER BY name")?;
    let rows = st.query_map([], policy_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(into_policy(r?)?);
    }
    Ok(out)
}

pub(super) fn delete_policy(tx: &Transaction<'_>, name: &str) -> Result<()> {
    let holders: Vec<String> = tx
        .prepare_cached(
            "SELECT p.name FROM policy_attachments a JOIN principals p ON p.id = a.principal_id
             WHERE a.policy_name = ?1 ORDER BY p.name",
        )?
        .query_map([name], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if !holders.is_empty() {
        return Err(StoreError::Conflict(format!(
            "policy {name} is attached to {}",
            holders.join(", ")
        ))
        .into());
    }
    let n = tx
        .prepare_cached("DELETE FROM policies WHERE name = ?1")?
        .execute([name])?;
    if n == 0 {
        return Err(StoreError::not_found("policy", name).into());
    }
    Ok(())
}

fn principal_id(tx: &Transaction<'_>, name: &str) -> Result<String> {
    let mut st = tx.prepare_cached("SELECT id FROM principals WHERE name = ?1")?;
    optional(st.query_row([name], |r| r.get(0)))?
        .ok_or_else(|| DbError(StoreError::not_found("principal", name)))
}

/// Attaching twice is a no-op, as in IAM.
pub(super) fn attach_policy(tx: &Transaction<'_>, principal: &str, policy: &str) -> Result<()> {
    let pid = principal_id(tx, principal)?;
    if get_policy(tx, policy)?.is_none() {
        return Err(StoreError::not_found("policy", policy).into());
    }
    tx.prepare_cached(
        "INSERT INTO policy_attachments (principal_id, policy_name) VALUES (?1, ?2)
         ON CONFLICT DO NOTHING",
    )?
    .execute([&pid, policy])?;
    Ok(())
}

pub(super) fn detach_policy(tx: &Transaction<'_>, principal: &str, policy: &str) -> Result<()> {
    let pid = principal_id(tx, principal)?;
    let n = tx
        .prepare_cached(
            "DELETE FROM policy_attachments WHERE principal_id = ?1 AND policy_name = ?2",
        )?
        .execute([&pid, policy])?;
    if n == 0 {
        return Err(
            StoreError::not_found("policy attachment", format!("{policy} on {principal}")).into(),
        );
    }
    Ok(())
}

pub(super) fn principal_policies(
    tx: &Transaction<'_>,
    principal_id: Uuid,
) -> Result<Vec<PolicyRecord>> {
    let mut st = tx.prepare_cached(
        "SELECT p.name, p.document, p.updated_at
         FROM policy_attachments a JOIN policies p ON p.name = a.policy_name
         WHERE a.principal_id = ?1 ORDER BY p.name",
    )?;
    let rows = st.query_map([principal_id.to_string()], policy_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(into_policy(r?)?);
    }
    Ok(out)
}
