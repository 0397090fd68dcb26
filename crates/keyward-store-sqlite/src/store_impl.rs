//! [`Store`] for [`SqliteStore`]: each method is one transaction on the writer
//! (writes) or a reader (reads), delegating to the tables' modules.

use crate::convert::{optional, ts};
use crate::{
    SqliteStore, alerts, audit, file_recipients, identity, lease, mfa, prune, rotation, secrets,
    versions,
};
use async_trait::async_trait;
use keyward_crypto::AuditKey;
use keyward_store::model::*;
use keyward_store::{Rotation, Store, StoreError, VersionLimit};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// What the trait's methods answer with.
type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
impl Store for SqliteStore {
    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read(move |tx| {
            let mut st = tx.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
            optional(st.query_row([&key], |r| r.get(0)))
        })
        .await
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([&key, &value])?;
            Ok(())
        })
        .await
    }

    async fn create_secret(
        &self,
        secret: NewSecret,
        first: Option<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write_audited(audit, move |tx| secrets::create_secret(tx, secret, first))
            .await
    }

    async fn replace_secret(
        &self,
        replacing: Option<Uuid>,
        secret: NewSecret,
        versions: Vec<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write_audited(audit, move |tx| {
            if let Some(old) = replacing {
                secrets::purge(tx, old)?;
            }
            let created = secrets::create_secret(tx, secret, None)?;
            for v in versions {
                versions::add_version(tx, created.id, v)?;
            }
            Ok(secrets::get_by_id(tx, created.id)?
                .ok_or_else(|| StoreError::not_found("secret", created.name.clone()))?)
        })
        .await
    }

    async fn get_secret(
        &self,
        namespace: Namespace,
        region: &str,
        name: &str,
    ) -> Result<Option<Secret>> {
        let (region, name) = (region.to_owned(), name.to_owned());
        self.read(move |tx| secrets::get_by_name(tx, namespace, &region, &name))
            .await
    }

    async fn get_secret_and_version(
        &self,
        namespace: Namespace,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<Option<(Secret, Option<Version>)>> {
        let (region, name, selector) = (region.to_owned(), name.to_owned(), selector.clone());
        self.read(move |tx| {
            let Some(secret) = secrets::get_by_name(tx, namespace, &region, &name)? else {
                return Ok(None);
            };
            let version = versions::get_version(tx, secret.id, &selector)?;
            Ok(Some((secret, version)))
        })
        .await
    }

    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<Secret>> {
        let arn = arn.to_owned();
        self.read(move |tx| secrets::get_by_arn(tx, &arn)).await
    }

    async fn get_secret_by_id(&self, id: Uuid) -> Result<Option<Secret>> {
        self.read(move |tx| secrets::get_by_id(tx, id)).await
    }

    async fn list_secrets(&self, query: &ListQuery) -> Result<Vec<Secret>> {
        let query = query.clone();
        self.read(move |tx| secrets::list(tx, &query)).await
    }

    async fn update_secret(
        &self,
        id: Uuid,
        patch: SecretPatch,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write_audited(audit, move |tx| secrets::update(tx, id, patch))
            .await
    }

    async fn record_access(&self, accesses: Vec<(Uuid, OffsetDateTime)>) -> Result<()> {
        if accesses.is_empty() {
            return Ok(());
        }
        self.write(move |tx| {
            let mut st = tx.prepare_cached(
                "UPDATE secrets SET last_accessed_at = ?2
                 WHERE id = ?1 AND (last_accessed_at IS NULL OR last_accessed_at < ?2)",
            )?;
            for (id, at) in accesses {
                st.execute(rusqlite::params![id.to_string(), ts(at)?])?;
            }
            Ok(())
        })
        .await
    }

    async fn purge_secret(&self, id: Uuid, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| secrets::purge(tx, id))
            .await
    }

    async fn purge_expired(&self, now: OffsetDateTime, audit: AuditedWrite) -> Result<Vec<String>> {
        self.write(move |tx| {
            let arns = secrets::purge_expired(tx, now)?;
            let events: Vec<AuditEvent> = arns
                .iter()
                .map(|arn| AuditEvent {
                    resource: Some(arn.clone()),
                    ..audit.event.clone()
                })
                .collect();
            audit::append(tx, &audit.key, &events)?;
            Ok(arns)
        })
        .await
    }

    async fn add_version(
        &self,
        secret_id: Uuid,
        version: NewVersion,
        audit: AuditedWrite,
    ) -> Result<AddVersionOutcome> {
        self.write_audited(audit, move |tx| {
            versions::add_version(tx, secret_id, version)
        })
        .await
    }

    async fn add_version_pruned(
        &self,
        secret_id: Uuid,
        version: NewVersion,
        limit: VersionLimit,
        now: OffsetDateTime,
        audit: AuditedWrite,
    ) -> Result<(AddVersionOutcome, Vec<String>)> {
        prune::add_version_pruned(self, secret_id, version, limit, now, audit).await
    }

    async fn add_version_after(
        &self,
        secret_id: Uuid,
        after_seq: i64,
        version: NewVersion,
        patch: SecretPatch,
        limit: VersionLimit,
        now: OffsetDateTime,
        audit: AuditedWrite,
    ) -> Result<(Secret, AddVersionOutcome)> {
        prune::add_version_after(
            self, secret_id, after_seq, version, patch, limit, now, audit,
        )
        .await
    }

    async fn get_version(
        &self,
        secret_id: Uuid,
        selector: &VersionSelector,
    ) -> Result<Option<Version>> {
        let selector = selector.clone();
        self.read(move |tx| versions::get_version(tx, secret_id, &selector))
            .await
    }

    async fn list_versions(&self, secret_id: Uuid) -> Result<Vec<Version>> {
        self.read(move |tx| versions::list_versions(tx, secret_id))
            .await
    }

    async fn move_stage(
        &self,
        secret_id: Uuid,
        stage: &str,
        to_version: Option<&str>,
        from_version: Option<&str>,
        audit: AuditedWrite,
    ) -> Result<()> {
        let stage = stage.to_owned();
        let to = to_version.map(str::to_owned);
        let from = from_version.map(str::to_owned);
        self.write_audited(audit, move |tx| {
            versions::move_stage(tx, secret_id, &stage, to.as_deref(), from.as_deref())
        })
        .await
    }

    async fn prune_versions(
        &self,
        secret_id: Uuid,
        keep: usize,
        audit: AuditedWrite,
    ) -> Result<usize> {
        self.write_audited(audit, move |tx| {
            versions::prune_versions(tx, secret_id, keep)
        })
        .await
    }

    async fn create_principal(&self, principal: Principal, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| identity::create_principal(tx, &principal))
            .await
    }

    async fn get_principal(&self, name: &str) -> Result<Option<Principal>> {
        let name = name.to_owned();
        self.read(move |tx| identity::get_principal(tx, "name", &name))
            .await
    }

    async fn get_principal_by_id(&self, id: Uuid) -> Result<Option<Principal>> {
        self.read(move |tx| identity::get_principal(tx, "id", &id.to_string()))
            .await
    }

    async fn list_principals(&self) -> Result<Vec<Principal>> {
        self.read(identity::list_principals).await
    }

    async fn delete_principal(&self, name: &str, audit: AuditedWrite) -> Result<()> {
        let name = name.to_owned();
        self.write_audited(audit, move |tx| identity::delete_principal(tx, &name))
            .await
    }

    async fn create_access_key(&self, key: AccessKey, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| identity::create_access_key(tx, &key))
            .await
    }

    async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        let id = access_key_id.to_owned();
        self.read(move |tx| identity::get_access_key(tx, &id)).await
    }

    async fn list_access_keys(&self, principal_id: Uuid) -> Result<Vec<AccessKey>> {
        self.read(move |tx| identity::list_access_keys(tx, principal_id))
            .await
    }

    async fn delete_access_key(&self, access_key_id: &str, audit: AuditedWrite) -> Result<()> {
        let id = access_key_id.to_owned();
        self.write_audited(audit, move |tx| identity::delete_access_key(tx, &id))
            .await
    }

    async fn put_policy(
        &self,
        name: &str,
        document: &str,
        audit: AuditedWrite,
    ) -> Result<PolicyRecord> {
        let (name, document) = (name.to_owned(), document.to_owned());
        self.write_audited(audit, move |tx| identity::put_policy(tx, &name, &document))
            .await
    }

    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>> {
        let name = name.to_owned();
        self.read(move |tx| identity::get_policy(tx, &name)).await
    }

    async fn list_policies(&self) -> Result<Vec<PolicyRecord>> {
        self.read(identity::list_policies).await
    }

    async fn delete_policy(&self, name: &str, audit: AuditedWrite) -> Result<()> {
        let name = name.to_owned();
        self.write_audited(audit, move |tx| identity::delete_policy(tx, &name))
            .await
    }

    async fn attach_policy(
        &self,
        principal: &str,
        policy: &str,
        audit: AuditedWrite,
    ) -> Result<()> {
        let (principal, policy) = (principal.to_owned(), policy.to_owned());
        self.write_audited(audit, move |tx| {
            identity::attach_policy(tx, &principal, &policy)
        })
        .await
    }

    async fn detach_policy(
        &self,
        principal: &str,
        policy: &str,
        audit: AuditedWrite,
    ) -> Result<()> {
        let (principal, policy) = (principal.to_owned(), policy.to_owned());
        self.write_audited(audit, move |tx| {
            identity::detach_policy(tx, &principal, &policy)
        })
        .await
    }

    async fn principal_policies(&self, principal_id: Uuid) -> Result<Vec<PolicyRecord>> {
        self.read(move |tx| identity::principal_policies(tx, principal_id))
            .await
    }

    async fn append_audit(&self, key: &AuditKey, events: Vec<AuditEvent>) -> Result<Vec<i64>> {
        let key = key.clone();
        self.write(move |tx| audit::append(tx, &key, &events)).await
    }

    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let query = query.clone();
        self.read(move |tx| audit::list(tx, &query)).await
    }

    async fn audit_head(&self) -> Result<Option<AuditHead>> {
        self.read(audit::head).await
    }

    async fn acquire_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write(move |tx| lease::acquire(tx, &job, &holder, ttl, now))
            .await
    }

    async fn release_lease(&self, job: &str, holder: &str) -> Result<()> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write(move |tx| lease::release(tx, &job, &holder))
            .await
    }

    async fn get_rotation(&self, secret_id: Uuid) -> Result<Option<Rotation>> {
        self.read(move |tx| rotation::get(tx, secret_id)).await
    }

    async fn list_rotations(&self) -> Result<Vec<Rotation>> {
        self.read(rotation::list).await
    }

    async fn put_rotation(&self, rot: Rotation, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| rotation::put(tx, &rot))
            .await
    }

    async fn claim_rotation(
        &self,
        secret_id: Uuid,
        token: &str,
        at: OffsetDateTime,
        placeholder: Option<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Option<String>> {
        let token = token.to_owned();
        self.write_audited(audit, move |tx| {
            rotation::claim(tx, secret_id, &token, at, placeholder)
        })
        .await
    }

    async fn put_mfa_device(&self, device: MfaDevice, audit: AuditedWrite) -> Result<()> {
        self.write_audited(audit, move |tx| mfa::put(tx, &device))
            .await
    }

    async fn get_mfa_device(&self, principal_id: Uuid) -> Result<Option<MfaDevice>> {
        self.read(move |tx| mfa::get(tx, principal_id)).await
    }

    async fn use_mfa_step(&self, principal_id: Uuid, step: i64) -> Result<bool> {
        self.write(move |tx| mfa::use_step(tx, principal_id, step))
            .await
    }

    async fn create_file_recipient(
        &self,
        recipient: FileRecipient,
        audit: AuditedWrite,
    ) -> Result<()> {
        self.write_audited(audit, move |tx| file_recipients::create(tx, &recipient))
            .await
    }

    async fn get_file_recipient(&self, name: &str) -> Result<Option<FileRecipient>> {
        let name = name.to_owned();
        self.read(move |tx| file_recipients::get(tx, &name)).await
    }

    async fn list_file_recipients(&self) -> Result<Vec<FileRecipient>> {
        self.read(file_recipients::list).await
    }

    async fn enqueue_alerts(&self, alerts: Vec<NewAlertDelivery>) -> Result<usize> {
        self.write(move |tx| alerts::enqueue(tx, &alerts)).await
    }

    async fn due_alerts(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<AlertDelivery>> {
        self.read(move |tx| alerts::due(tx, now, limit)).await
    }

    async fn finish_alert_attempt(&self, id: i64, result: AlertAttempt) -> Result<()> {
        self.write(move |tx| alerts::finish(tx, id, &result)).await
    }

    async fn list_alerts(&self, limit: usize) -> Result<Vec<AlertDelivery>> {
        self.read(move |tx| alerts::list(tx, limit)).await
    }
}
