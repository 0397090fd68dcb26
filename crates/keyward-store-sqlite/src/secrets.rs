//! Secrets: the `secrets` rows (create, look up, list, patch, purge). Their
//! versions and staging labels are in `versions.rs`.

use super::versions::add_version;
use super::{
    from_ts, json_from_text, json_to_text, now, optional, parse_uuid, tags_from_json, tags_to_json,
    ts, unique_violation,
};
use crate::error::{DbError, Result};
use keyward_store::StoreError;
use keyward_store::model::*;
use rusqlite::{Row, Transaction, params};
use time::OffsetDateTime;
use uuid::Uuid;

const SECRET_COLS: &str = "id, namespace, region, name, arn, description, kms_key_id, tags, \
     created_at, updated_at, last_accessed_at, deleted_at, rotation, resource_policy, metadata";

/// A `secrets` row as SQLite returns it, before validation.
struct SecretRow {
    id: String,
    namespace: String,
    region: String,
    name: String,
    arn: String,
    description: Option<String>,
    kms_key_id: Option<String>,
    tags: String,
    created_at: i64,
    updated_at: i64,
    last_accessed_at: Option<i64>,
    deleted_at: Option<i64>,
    rotation: Option<String>,
    resource_policy: Option<String>,
    metadata: String,
}

fn secret_row(r: &Row<'_>) -> rusqlite::Result<SecretRow> {
    Ok(SecretRow {
        id: r.get(0)?,
        namespace: r.get(1)?,
        region: r.get(2)?,
        name: r.get(3)?,
        arn: r.get(4)?,
        description: r.get(5)?,
        kms_key_id: r.get(6)?,
        tags: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        last_accessed_at: r.get(10)?,
        deleted_at: r.get(11)?,
        rotation: r.get(12)?,
        resource_policy: r.get(13)?,
        metadata: r.get(14)?,
    })
}

impl SecretRow {
    fn into_secret(self) -> Result<Secret> {
        Ok(Secret {
            id: parse_uuid(&self.id)?,
            namespace: Namespace::parse(&self.namespace).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown namespace {:?}", self.namespace))
            })?,
            region: self.region,
            name: self.name,
            arn: self.arn,
            description: self.description,
            kms_key_id: self.kms_key_id,
            tags: tags_from_json(&self.tags)?,
            created_at: from_ts(self.created_at)?,
            updated_at: from_ts(self.updated_at)?,
            last_accessed_at: self.last_accessed_at.map(from_ts).transpose()?,
            deleted_at: self.deleted_at.map(from_ts).transpose()?,
            rotation: self.rotation.as_deref().map(json_from_text).transpose()?,
            resource_policy: self.resource_policy,
            metadata: json_from_text(&self.metadata)?,
        })
    }
}

fn one_secret(tx: &Transaction<'_>, sql: &str, key: &str) -> Result<Option<Secret>> {
    let mut st = tx.prepare_cached(sql)?;
    optional(st.query_row([key], secret_row))?
        .map(SecretRow::into_secret)
        .transpose()
}

pub(super) fn get_by_name(
    tx: &Transaction<'_>,
    namespace: Namespace,
    region: &str,
    name: &str,
) -> Result<Option<Secret>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {SECRET_COLS} FROM secrets WHERE namespace = ?1 AND region = ?2 AND name = ?3"
    ))?;
    optional(st.query_row(params![namespace.as_str(), region, name], secret_row))?
        .map(SecretRow::into_secret)
        .transpose()
}

pub(super) fn get_by_arn(tx: &Transaction<'_>, arn: &str) -> Result<Option<Secret>> {
    one_secret(
        tx,
        &format!("SELECT {SECRET_COLS} FROM secrets WHERE arn = ?1"),
        arn,
    )
}

pub(super) fn get_by_id(tx: &Transaction<'_>, id: Uuid) -> Result<Option<Secret>> {
    one_secret(
        tx,
        &format!("SELECT {SECRET_COLS} FROM secrets WHERE id = ?1"),
        &id.to_string(),
    )
}

pub(super) fn create_secret(
    tx: &Transaction<'_>,
    secret: NewSecret,
    first: Option<NewVersion>,
) -> Result<Secret> {
    let id = secret.id;
    let now = now()?;
    let res = tx
        .prepare_cached(
            "INSERT INTO secrets (id, namespace, region, name, arn, description, kms_key_id, tags,
                                  created_at, updated_at, metadata, version_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, 0)",
        )?
        .execute(params![
            id.to_string(),
            secret.namespace.as_str(),
            secret.region,
            secret.name,
            secret.arn,
            secret.description,
            secret.kms_key_id,
            tags_to_json(&secret.tags)?,
            now,
            json_to_text(&secret.metadata)?,
        ]);
    if let Err(e) = res {
        if unique_violation(&e).is_none() {
            return Err(e.into());
        }
        // SQLite names only one violated constraint; report the name first, as
        // that is what callers collide on.
        return Err(
            if get_by_name(tx, secret.namespace, &secret.region, &secret.name)?.is_some() {
                StoreError::already_exists("secret", secret.name).into()
            } else if get_by_arn(tx, &secret.arn)?.is_some() {
                StoreError::already_exists("secret", secret.arn).into()
            } else {
                StoreError::already_exists("secret", id.to_string()).into()
            },
        );
    }
    if let Some(first) = first {
        add_version(tx, id, first)?;
    }
    get_by_id(tx, id)?.ok_or_else(|| DbError(StoreError::Backend("the new secret vanished".into())))
}

pub(super) fn list(tx: &Transaction<'_>, q: &ListQuery) -> Result<Vec<Secret>> {
    let limit = match q.limit {
        Some(n) => i64::try_from(n).unwrap_or(i64::MAX),
        None => -1,
    };
    let mut st = tx.prepare_cached(&format!(
        "SELECT {SECRET_COLS} FROM secrets
         WHERE namespace = ?1 AND region = ?2
           AND (?3 OR deleted_at IS NULL)
           AND (?4 IS NULL OR name > ?4)
           AND (?5 IS NULL OR substr(name, 1, length(?5)) = ?5)
         ORDER BY name
         LIMIT ?6"
    ))?;
    let rows = st.query_map(
        params![
            q.namespace.as_str(),
            q.region,
            q.include_deleted,
            q.after_name,
            q.name_prefix,
            limit
        ],
        secret_row,
    )?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?.into_secret()?);
    }
    Ok(out)
}

pub(super) fn update(tx: &Transaction<'_>, id: Uuid, patch: SecretPatch) -> Result<Secret> {
    let mut s = get_by_id(tx, id)?
        .ok_or_else(|| DbError(StoreError::not_found("secret", id.to_string())))?;
    let SecretPatch {
        description,
        kms_key_id,
        tags,
        rotation,
        resource_policy,
        metadata,
        deleted_at,
        last_accessed_at,
    } = patch;
    // Reading a secret is not changing it: a patch of only `last_accessed_at`
    // leaves `updated_at` alone.
    let changes = description.is_some()
        || kms_key_id.is_some()
        || tags.is_some()
        || rotation.is_some()
        || resource_policy.is_some()
        || metadata.is_some()
        || deleted_at.is_some();
    if let Some(v) = description {
        s.description = v;
    }
    if let Some(v) = kms_key_id {
        s.kms_key_id = v;
    }
    if let Some(v) = tags {
        s.tags = v;
    }
    if let Some(v) = rotation {
        s.rotation = v;
    }
    if let Some(v) = resource_policy {
        s.resource_policy = v;
    }
    if let Some(v) = metadata {
        s.metadata = v;
    }
    if let Some(v) = deleted_at {
        s.deleted_at = v;
    }
    if let Some(v) = last_accessed_at {
        s.last_accessed_at = Some(v);
    }
    let updated_at = if changes { now()? } else { ts(s.updated_at)? };
    tx.prepare_cached(
        "UPDATE secrets SET description = ?2, kms_key_id = ?3, tags = ?4, rotation = ?5,
             resource_policy = ?6, metadata = ?7, deleted_at = ?8, last_accessed_at = ?9,
             updated_at = ?10
         WHERE id = ?1",
    )?
    .execute(params![
        id.to_string(),
        s.description,
        s.kms_key_id,
        tags_to_json(&s.tags)?,
        s.rotation.as_ref().map(json_to_text).transpose()?,
        s.resource_policy,
        json_to_text(&s.metadata)?,
        s.deleted_at.map(ts).transpose()?,
        s.last_accessed_at.map(ts).transpose()?,
        updated_at,
    ])?;
    get_by_id(tx, id)?
        .ok_or_else(|| DbError(StoreError::Backend("the updated secret vanished".into())))
}

pub(super) fn purge(tx: &Transaction<'_>, id: Uuid) -> Result<()> {
    let n = tx
        .prepare_cached("DELETE FROM secrets WHERE id = ?1")?
        .execute([id.to_string()])?;
    if n == 0 {
        return Err(StoreError::not_found("secret", id.to_string()).into());
    }
    Ok(())
}

pub(super) fn purge_expired(tx: &Transaction<'_>, now: OffsetDateTime) -> Result<Vec<String>> {
    let mut st = tx.prepare_cached(
        "DELETE FROM secrets WHERE deleted_at IS NOT NULL AND deleted_at <= ?1 RETURNING arn",
    )?;
    let mut arns = st
        .query_map([ts(now)?], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    arns.sort();
    Ok(arns)
}
