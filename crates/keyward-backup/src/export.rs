//! One secret's history out of a backup, for restoring it into a running server.
//! The values stay sealed: the server opens them with its own keyring (the same
//! keyring lineage as the backup's) and re-seals them for the restored record.

use crate::{BackupError, Opened, Result};
use keyward_store::{Namespace, Store, ValueKind};
use serde::{Deserialize, Serialize};

/// A secret's metadata and every version, values sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretExport {
    /// The id its values are sealed under (their associated data names it).
    pub id: uuid::Uuid,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub tags: Vec<keyward_store::Tag>,
    pub metadata: serde_json::Value,
    /// Oldest first.
    pub versions: Vec<VersionExport>,
    /// [`SecretExport::tag_with`] of everything above, hex: made when the backup is
    /// opened with the root key, checked by the server before it restores.
    #[serde(default)]
    pub tag: Option<String>,
}

impl SecretExport {
    /// The MAC of this export (its `tag` left out) under `key`, hex. The server's
    /// id for the values' associated data and the name it restores them under are
    /// both covered, so neither can be changed without the keyring.
    pub fn tag_with(&self, key: &keyward_crypto::AuditKey) -> Result<String> {
        let unsigned = SecretExport {
            tag: None,
            ..self.clone()
        };
        let bytes = serde_json::to_vec(&unsigned)
            .map_err(|e| BackupError::Integrity(format!("the export: {e}")))?;
        Ok(hex::encode(
            key.export_mac(&[b"keyward-secret-export-v1", &bytes]),
        ))
    }

    /// Whether `tag` is this export's MAC under `key` (constant time).
    pub fn tag_matches(&self, key: &keyward_crypto::AuditKey) -> bool {
        match (&self.tag, self.tag_with(key)) {
            (Some(given), Ok(expected)) => {
                keyward_crypto::constant_time_eq(given.as_bytes(), expected.as_bytes())
            }
            _ => false,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionExport {
    pub version_id: String,
    pub kind: ValueKind,
    /// The sealed value (envelope), hex.
    pub sealed: String,
    pub stages: Vec<String>,
    pub created_by: Option<String>,
    pub metadata: serde_json::Value,
}

impl std::fmt::Debug for VersionExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionExport")
            .field("version_id", &self.version_id)
            .field("stages", &self.stages)
            .finish_non_exhaustive()
    }
}

impl Opened {
    /// The secret `name` (Secrets Manager namespace) of `region` in this backup,
    /// or the regions it exists in when `region` is `None` and it is in one only.
    pub async fn export_secret(&self, name: &str, region: Option<&str>) -> Result<SecretExport> {
        let copy = self.scratch_copy("export.db")?;
        let store = keyward_store_sqlite::SqliteStore::open_existing(&copy)
            .map_err(|e| BackupError::Integrity(format!("the database image: {e}")))?;
        let db = |e: keyward_store::StoreError| BackupError::Database(e.to_string());
        let region = match region {
            Some(r) => r.to_string(),
            None => store
                .get_setting("region")
                .await
                .map_err(db)?
                .unwrap_or_else(|| "us-east-1".into()),
        };
        let secret = store
            .get_secret(Namespace::Secrets, &region, name)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                BackupError::Refused(format!(
                    "the backup has no secret {name:?} in region {region}"
                ))
            })?;
        let versions = store.list_versions(secret.id).await.map_err(db)?;
        let mut export = SecretExport {
            id: secret.id,
            region: secret.region,
            name: secret.name,
            arn: secret.arn,
            description: secret.description,
            kms_key_id: secret.kms_key_id,
            tags: secret.tags,
            metadata: secret.metadata,
            versions: versions
                .into_iter()
                .map(|v| VersionExport {
                    version_id: v.version_id,
                    kind: v.kind,
                    sealed: hex::encode(&v.sealed),
                    stages: v.stages,
                    created_by: v.created_by,
                    metadata: v.metadata,
                })
                .collect(),
            tag: None,
        };
        if let Some(key) = &self.audit_key {
            export.tag = Some(export.tag_with(key)?);
        }
        Ok(export)
    }
}
