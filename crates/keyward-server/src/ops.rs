//! Operations on secrets shared by the native and the AWS APIs: lookup by name or
//! ARN, authorization against the resource, sealing and opening values, version
//! writes. The API layers only translate wire formats to and from these.

use crate::changes::ChangeEvent;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use keyward_crypto::SecretBytes;
use keyward_store::{
    AddVersionOutcome, Namespace, NewSecret, NewVersion, Secret, Tag, ValueKind, Version,
    VersionLimit, VersionSelector,
};
use time::OffsetDateTime;
use uuid::Uuid;

pub const AWSCURRENT: &str = "AWSCURRENT";
/// The largest secret value, in bytes, on the native API and Secrets Manager
/// alike (AWS's limit; Parameter Store keeps its own 4 KB / 8 KB tier limits).
pub const MAX_VALUE_BYTES: usize = 65536;
pub const AWSPENDING: &str = "AWSPENDING";

/// A plaintext value on its way in or out. Never logged.
#[derive(Debug, Clone)]
pub struct Value {
    pub kind: ValueKind,
    pub bytes: SecretBytes,
}

/// Associated data binding a version's ciphertext to its secret and version.
pub fn value_aad(secret_id: Uuid, version_id: &str) -> Vec<u8> {
    format!("keyward-secret|{secret_id}|{version_id}").into_bytes()
}

impl AppState {
    pub fn secret_arn(&self, region: &str, name: &str) -> String {
        let suffix = keyward_crypto::random_alphanumeric(6);
        keyward_policy::arn::secret_arn(region, &self.cfg.account_id, name, &suffix)
    }

    /// The ARN a policy sees for a secret that does not exist (so that a denied
    /// caller learns nothing about existence).
    pub fn would_be_arn(&self, namespace: Namespace, region: &str, name: &str) -> String {
        match namespace {
            Namespace::Secrets => {
                keyward_policy::arn::unsuffixed_secret_arn(region, &self.cfg.account_id, name)
            }
            Namespace::Parameters => {
                keyward_policy::arn::parameter_arn(region, &self.cfg.account_id, name)
            }
        }
    }

    /// Finds a secret by name, full ARN or partial ARN (ARN without the random suffix).
    pub async fn find_secret(
        &self,
        namespace: Namespace,
        region: &str,
        id: &str,
    ) -> Result<Option<Secret>, ApiError> {
        let st = ApiError::from;
        if id.starts_with("arn:") {
            if let Some(s) = self.store.get_secret_by_arn(id).await.map_err(st)? {
                return Ok(Some(s));
            }
            // Partial ARN: arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME
            let prefix = format!(
                "arn:aws:secretsmanager:{region}:{}:secret:",
                self.cfg.account_id
            );
            if let Some(name) = id.strip_prefix(&prefix) {
                return self
                    .store
                    .get_secret(namespace, region, name)
                    .await
                    .map_err(st);
            }
            return Ok(None);
        }
        self.store
            .get_secret(namespace, region, id)
            .await
            .map_err(st)
    }

    /// Seals a value for a new version of `secret_id`.
    pub fn seal_value(
        &self,
        secret_id: Uuid,
        version_id: &str,
        value: &Value,
    ) -> Result<(Vec<u8>, Vec<u8>), ApiError> {
        let keys = self.keys()?;
        let sealed = keys
            .keyring
            .seal(value.bytes.expose(), &value_aad(secret_id, version_id));
        let mac = keys.keyring.value_mac_key().value_mac(
            secret_id.as_bytes(),
            value.kind.as_str(),
            value.bytes.expose(),
        );
        Ok((sealed.0, mac.to_vec()))
    }

    /// Opens a stored version. A failure means tampering or a moved row.
    pub fn open_value(&self, secret: &Secret, version: &Version) -> Result<Value, ApiError> {
        if version.is_placeholder() {
            // A rotation's pending version before its createSecret step wrote it.
            return Err(ApiError::NotFound(format!(
                "Secrets Manager can't find the specified secret value for VersionId: {}",
                version.version_id
            )));
        }
        let keys = self.keys()?;
        let plain = keys.keyring.open(&version.sealed, &value_aad(secret.id, &version.version_id))
            .map_err(|e| {
                tracing::error!(secret = %secret.name, version = %version.version_id, "stored value failed its integrity check");
                ApiError::Integrity(format!(
                    "version {} of secret {} failed its integrity check ({e}); restore it from a backup",
                    version.version_id, secret.name
                ))
            })?;
        Ok(Value {
            kind: version.kind,
            bytes: SecretBytes::new(plain.to_vec()),
        })
    }

    /// Whether a stored version holds `value`: the plaintexts compared in constant
    /// time. Unlike the stored `value_mac`, this does not depend on which key the
    /// MAC was made with.
    pub fn same_value(
        &self,
        secret: &Secret,
        version: &Version,
        value: &Value,
    ) -> Result<bool, ApiError> {
        let stored = self.open_value(secret, version)?;
        Ok(stored.kind == value.kind
            && keyward_crypto::constant_time_eq(stored.bytes.expose(), value.bytes.expose()))
    }

    pub fn new_version(
        &self,
        secret_id: Uuid,
        version_id: String,
        value: &Value,
        stages: Vec<String>,
        caller: &Caller,
    ) -> Result<NewVersion, ApiError> {
        let (sealed, value_mac) = self.seal_value(secret_id, &version_id, value)?;
        Ok(NewVersion {
            version_id,
            kind: value.kind,
            sealed,
            value_mac,
            created_by: Some(caller.principal.arn.clone()),
            stages,
            metadata: serde_json::Value::Null,
        })
    }

    /// Creates a secret with an optional first value (staged AWSCURRENT).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_secret(
        &self,
        caller: &Caller,
        audit: &mut Audit,
        namespace: Namespace,
        region: &str,
        name: &str,
        arn: String,
        value: Option<(&Value, String)>,
        description: Option<String>,
        kms_key_id: Option<String>,
        tags: Vec<Tag>,
        metadata: serde_json::Value,
    ) -> Result<(Secret, Option<Version>), ApiError> {
        audit.resource(arn.clone());
        let secret_id = Uuid::new_v4();
        let new = NewSecret {
            id: secret_id,
            namespace,
            region: region.to_string(),
            name: name.to_string(),
            arn,
            description,
            kms_key_id,
            tags,
            metadata,
        };
        // The first version is sealed under the id chosen here, and both land in
        // one store call, so a failed create leaves nothing behind.
        let first = match value {
            Some((v, version_id)) => {
                audit.version(version_id.clone());
                Some(self.new_version(secret_id, version_id, v, vec![AWSCURRENT.into()], caller)?)
            }
            None => None,
        };
        let first_version_id = first.as_ref().map(|v| v.version_id.clone());
        let secret = self
            .write(audit, async |w| {
                self.store.create_secret(new, first, w).await
            })
            .await?;
        let version = match &first_version_id {
            Some(id) => self
                .store
                .get_version(secret.id, &VersionSelector::Id(id.clone()))
                .await
                .map_err(ApiError::from)?,
            None => None,
        };
        self.publish(&secret, "put", first_version_id);
        Ok((secret, version))
    }

    /// Writes a new version and moves `stages` onto it.
    pub async fn put_value(
        &self,
        caller: &Caller,
        audit: &mut Audit,
        secret: &Secret,
        value: &Value,
        version_id: Option<String>,
        stages: Vec<String>,
    ) -> Result<AddVersionOutcome, ApiError> {
        let replay = version_id.is_some();
        let version_id = version_id.unwrap_or_else(|| Uuid::new_v4().to_string());
        audit.version(version_id.clone());
        let mut nv = self.new_version(secret.id, version_id, value, stages, caller)?;
        if replay {
            self.adopt_stored_mac(secret, &mut nv, value).await?;
        }
        // Secrets Manager's limit, for every secret written through here: versions
        // beyond 100 go when unlabelled and a day old, in the write's transaction.
        let (out, _pruned) = self
            .write(audit, async |w| {
                self.store
                    .add_version_pruned(
                        secret.id,
                        nv,
                        VersionLimit::SECRETS_MANAGER,
                        OffsetDateTime::now_utc(),
                        w,
                    )
                    .await
            })
            .await?;
        if matches!(out, AddVersionOutcome::Created(_)) {
            self.publish(secret, "put", Some(out.version().version_id.clone()));
        }
        Ok(out)
    }

    /// A client-chosen version id may name a version whose `value_mac` was made
    /// with an older key (the bearer-token key before the value-MAC key existed,
    /// or an earlier keyring key). The store compares MACs to tell an idempotent
    /// replay from a conflict, so when the plaintexts are equal the new version
    /// takes the stored MAC and the replay stays a replay.
    async fn adopt_stored_mac(
        &self,
        secret: &Secret,
        nv: &mut NewVersion,
        value: &Value,
    ) -> Result<(), ApiError> {
        let existing = self
            .store
            .get_version(secret.id, &VersionSelector::Id(nv.version_id.clone()))
            .await
            .map_err(ApiError::from)?;
        if let Some(existing) = existing
            && !existing.is_placeholder()
            && !keyward_crypto::constant_time_eq(&existing.value_mac, &nv.value_mac)
            && self.same_value(secret, &existing, value)?
        {
            nv.value_mac = existing.value_mac;
        }
        Ok(())
    }

    /// Reads a version (by id or stage; AWSCURRENT by default).
    pub async fn read_version(
        &self,
        audit: &mut Audit,
        secret: &Secret,
        selector: &VersionSelector,
    ) -> Result<(Version, Value), ApiError> {
        let version = self
            .store
            .get_version(secret.id, selector)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| {
                ApiError::NotFound(match selector {
                    VersionSelector::Id(id) => {
                        format!("Secrets Manager can't find the specified secret value for VersionId: {id}")
                    }
                    VersionSelector::Stage(s) => {
                        format!("Secrets Manager can't find the specified secret value for staging label: {s}")
                    }
                })
            })?;
        audit.version(version.version_id.clone());
        let value = self.open_value(secret, &version)?;
        if secret.namespace == keyward_store::Namespace::Secrets {
            self.access.note(secret);
        }
        Ok((version, value))
    }

    pub fn publish(&self, secret: &Secret, kind: &'static str, version_id: Option<String>) {
        let _ = self.changes.send(ChangeEvent {
            name: secret.name.clone(),
            namespace: secret.namespace.as_str(),
            region: secret.region.clone(),
            kind,
            version_id,
            time: time::OffsetDateTime::now_utc(),
        });
    }
}
