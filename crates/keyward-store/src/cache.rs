//! A read-through cache of secret metadata and version rows in front of any
//! [`Store`]: the value-read hot path (`GetSecretValue`, `GetParameter`, native
//! `GET /v1/secrets/…`) then costs a hash lookup instead of a database transaction.
//!
//! What is cached is exactly what the backend returns: names, ARNs, and *sealed*
//! ciphertext. Nothing here is ever decrypted.
//!
//! Consistency: every write that can change a secret or a version goes through this
//! wrapper and clears the cache after it commits, so a client that gets an answer
//! to a write reads its own write on this server. A generation counter stops a read
//! that raced a write from putting the older row back. Writes made by *other*
//! servers sharing the database are seen once the entry's TTL runs out, which bounds
//! staleness across a cluster (AWS Secrets Manager itself is eventually consistent).

use crate::model::*;
use crate::traits::{Result, Store};
use async_trait::async_trait;
use keyward_crypto::AuditKey;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

/// Most entries kept; past this the cache starts over rather than track recency.
const MAX_ENTRIES: usize = 16_384;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Secret(Namespace, String, String),
    SecretArn(String),
    SecretId(Uuid),
    Version(Uuid, VersionSelector),
    SecretVersion(Namespace, String, String, VersionSelector),
}

#[derive(Clone)]
enum Cached {
    Secret(Option<Secret>),
    Version(Option<Version>),
    SecretVersion(Option<(Secret, Option<Version>)>),
}

struct Entry {
    at: Instant,
    value: Cached,
}

/// A [`Store`] that answers secret and version lookups from memory for up to `ttl`.
pub struct ReadCachedStore {
    inner: Arc<dyn Store>,
    ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl std::fmt::Debug for ReadCachedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCachedStore")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl ReadCachedStore {
    /// Wraps `inner`. A zero `ttl` turns caching off (every read goes through).
    pub fn new(inner: Arc<dyn Store>, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lookup(&self, key: &Key) -> Option<Cached> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let hit = entries.get(key)?;
        (hit.at.elapsed() < self.ttl).then(|| hit.value.clone())
    }

    /// Stores a value read while the cache was at `generation`, unless a write has
    /// happened since: then the value may predate it and is dropped.
    fn remember(&self, generation: u64, key: Key, value: Cached) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                at: Instant::now(),
                value,
            },
        );
    }

    /// Forgets everything after a write. Bumping the generation under the lock
    /// orders it against [`Self::remember`]'s check.
    fn invalidate(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Answers from the cache, or runs `read` and remembers its answer. `wrap` and
    /// `unwrap` move the answer in and out of the cache's one value type.
    async fn cached<T: Clone, F>(
        &self,
        key: Key,
        wrap: fn(T) -> Cached,
        unwrap: fn(Cached) -> Option<T>,
        read: F,
    ) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        if let Some(hit) = self.lookup(&key).and_then(unwrap) {
            return Ok(hit);
        }
        let generation = self.generation();
        let found = read.await?;
        self.remember(generation, key, wrap(found.clone()));
        Ok(found)
    }

    async fn cached_secret<F>(&self, key: Key, read: F) -> Result<Option<Secret>>
    where
        F: std::future::Future<Output = Result<Option<Secret>>>,
    {
        let unwrap = |c| match c {
            Cached::Secret(s) => Some(s),
            _ => None,
        };
        self.cached(key, Cached::Secret, unwrap, read).await
    }

    /// Runs a write and clears the cache whatever its outcome: a failed write may
    /// still have committed (e.g. the connection dropped after COMMIT).
    async fn write<T, F>(&self, write: F) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        let out = write.await;
        self.invalidate();
        out
    }
}

#[async_trait]
impl Store for ReadCachedStore {
    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        self.inner.get_setting(key).await
    }
    async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.inner.set_setting(key, value).await
    }

    async fn create_secret(
        &self,
        secret: NewSecret,
        first: Option<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write(self.inner.create_secret(secret, first, audit))
            .await
    }
    async fn replace_secret(
        &self,
        replacing: Option<Uuid>,
        secret: NewSecret,
        versions: Vec<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write(
            self.inner
                .replace_secret(replacing, secret, versions, audit),
        )
        .await
    }
    async fn get_secret(
        &self,
        namespace: Namespace,
        region: &str,
        name: &str,
    ) -> Result<Option<Secret>> {
        let key = Key::Secret(namespace, region.to_string(), name.to_string());
        self.cached_secret(key, self.inner.get_secret(namespace, region, name))
            .await
    }
    async fn get_secret_and_version(
        &self,
        namespace: Namespace,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<Option<(Secret, Option<Version>)>> {
        let key = Key::SecretVersion(
            namespace,
            region.to_string(),
            name.to_string(),
            selector.clone(),
        );
        let unwrap = |c| match c {
            Cached::SecretVersion(found) => Some(found),
            _ => None,
        };
        let read = self
            .inner
            .get_secret_and_version(namespace, region, name, selector);
        self.cached(key, Cached::SecretVersion, unwrap, read).await
    }
    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<Secret>> {
        let key = Key::SecretArn(arn.to_string());
        self.cached_secret(key, self.inner.get_secret_by_arn(arn))
            .await
    }
    async fn get_secret_by_id(&self, id: Uuid) -> Result<Option<Secret>> {
        self.cached_secret(Key::SecretId(id), self.inner.get_secret_by_id(id))
            .await
    }
    async fn list_secrets(&self, query: &ListQuery) -> Result<Vec<Secret>> {
        self.inner.list_secrets(query).await
    }
    async fn update_secret(
        &self,
        id: Uuid,
        patch: SecretPatch,
        audit: AuditedWrite,
    ) -> Result<Secret> {
        self.write(self.inner.update_secret(id, patch, audit)).await
    }
    async fn record_access(&self, accesses: Vec<(Uuid, OffsetDateTime)>) -> Result<()> {
        self.write(self.inner.record_access(accesses)).await
    }
    async fn purge_secret(&self, id: Uuid, audit: AuditedWrite) -> Result<()> {
        self.write(self.inner.purge_secret(id, audit)).await
    }
    async fn purge_expired(&self, now: OffsetDateTime, audit: AuditedWrite) -> Result<Vec<String>> {
        self.write(self.inner.purge_expired(now, audit)).await
    }

    async fn add_version(
        &self,
        secret_id: Uuid,
        version: NewVersion,
        audit: AuditedWrite,
    ) -> Result<AddVersionOutcome> {
        self.write(self.inner.add_version(secret_id, version, audit))
            .await
    }
    async fn add_version_after(
        &self,
        secret_id: Uuid,
        after_seq: i64,
        version: NewVersion,
        patch: SecretPatch,
        audit: AuditedWrite,
    ) -> Result<(Secret, AddVersionOutcome)> {
        self.write(
            self.inner
                .add_version_after(secret_id, after_seq, version, patch, audit),
        )
        .await
    }
    async fn get_version(
        &self,
        secret_id: Uuid,
        selector: &VersionSelector,
    ) -> Result<Option<Version>> {
        let key = Key::Version(secret_id, selector.clone());
        let unwrap = |c| match c {
            Cached::Version(v) => Some(v),
            _ => None,
        };
        let read = self.inner.get_version(secret_id, selector);
        self.cached(key, Cached::Version, unwrap, read).await
    }
    async fn list_versions(&self, secret_id: Uuid) -> Result<Vec<Version>> {
        self.inner.list_versions(secret_id).await
    }
    async fn move_stage(
        &self,
        secret_id: Uuid,
        stage: &str,
        to_version: Option<&str>,
        from_version: Option<&str>,
        audit: AuditedWrite,
    ) -> Result<()> {
        self.write(
            self.inner
                .move_stage(secret_id, stage, to_version, from_version, audit),
        )
        .await
    }
    async fn prune_versions(
        &self,
        secret_id: Uuid,
        keep: usize,
        audit: AuditedWrite,
    ) -> Result<usize> {
        self.write(self.inner.prune_versions(secret_id, keep, audit))
            .await
    }

    // Identities, policies and the audit chain are not cached here (the server
    // keeps its own short-lived cache of authenticated keys).
    async fn create_principal(&self, principal: Principal, audit: AuditedWrite) -> Result<()> {
        self.inner.create_principal(principal, audit).await
    }
    async fn get_principal(&self, name: &str) -> Result<Option<Principal>> {
        self.inner.get_principal(name).await
    }
    async fn get_principal_by_id(&self, id: Uuid) -> Result<Option<Principal>> {
        self.inner.get_principal_by_id(id).await
    }
    async fn list_principals(&self) -> Result<Vec<Principal>> {
        self.inner.list_principals().await
    }
    async fn delete_principal(&self, name: &str, audit: AuditedWrite) -> Result<()> {
        self.inner.delete_principal(name, audit).await
    }
    async fn create_access_key(&self, key: AccessKey, audit: AuditedWrite) -> Result<()> {
        self.inner.create_access_key(key, audit).await
    }
    async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        self.inner.get_access_key(access_key_id).await
    }
    async fn list_access_keys(&self, principal_id: Uuid) -> Result<Vec<AccessKey>> {
        self.inner.list_access_keys(principal_id).await
    }
    async fn delete_access_key(&self, access_key_id: &str, audit: AuditedWrite) -> Result<()> {
        self.inner.delete_access_key(access_key_id, audit).await
    }
    async fn put_policy(
        &self,
        name: &str,
        document: &str,
        audit: AuditedWrite,
    ) -> Result<PolicyRecord> {
        self.inner.put_policy(name, document, audit).await
    }
    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>> {
        self.inner.get_policy(name).await
    }
    async fn list_policies(&self) -> Result<Vec<PolicyRecord>> {
        self.inner.list_policies().await
    }
    async fn delete_policy(&self, name: &str, audit: AuditedWrite) -> Result<()> {
        self.inner.delete_policy(name, audit).await
    }
    async fn attach_policy(
        &self,
        principal: &str,
        policy: &str,
        audit: AuditedWrite,
    ) -> Result<()> {
        self.inner.attach_policy(principal, policy, audit).await
    }
    async fn detach_policy(
        &self,
        principal: &str,
        policy: &str,
        audit: AuditedWrite,
    ) -> Result<()> {
        self.inner.detach_policy(principal, policy, audit).await
    }
    async fn principal_policies(&self, principal_id: Uuid) -> Result<Vec<PolicyRecord>> {
        self.inner.principal_policies(principal_id).await
    }
    async fn append_audit(&self, key: &AuditKey, events: Vec<AuditEvent>) -> Result<Vec<i64>> {
        self.inner.append_audit(key, events).await
    }
    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        self.inner.list_audit(query).await
    }
    async fn audit_head(&self) -> Result<Option<AuditHead>> {
        self.inner.audit_head().await
    }
    async fn acquire_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: std::time::Duration,
        now: OffsetDateTime,
    ) -> Result<bool> {
        self.inner.acquire_lease(job, holder, ttl, now).await
    }
    async fn release_lease(&self, job: &str, holder: &str) -> Result<()> {
        self.inner.release_lease(job, holder).await
    }

    // MFA devices are read at login only and their used-step guard must be
    // exact: never cached.
    async fn put_mfa_device(&self, device: MfaDevice, audit: AuditedWrite) -> Result<()> {
        self.inner.put_mfa_device(device, audit).await
    }
    async fn get_rotation(&self, secret_id: Uuid) -> Result<Option<crate::Rotation>> {
        self.inner.get_rotation(secret_id).await
    }
    async fn list_rotations(&self) -> Result<Vec<crate::Rotation>> {
        self.inner.list_rotations().await
    }
    async fn put_rotation(&self, rotation: crate::Rotation, audit: AuditedWrite) -> Result<()> {
        self.inner.put_rotation(rotation, audit).await
    }
    async fn claim_rotation(
        &self,
        secret_id: Uuid,
        token: &str,
        at: OffsetDateTime,
        placeholder: Option<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Option<String>> {
        // The placeholder is a new version: cached versions must go.
        self.write(
            self.inner
                .claim_rotation(secret_id, token, at, placeholder, audit),
        )
        .await
    }
    async fn get_mfa_device(&self, principal_id: Uuid) -> Result<Option<MfaDevice>> {
        self.inner.get_mfa_device(principal_id).await
    }
    async fn use_mfa_step(&self, principal_id: Uuid, step: i64) -> Result<bool> {
        self.inner.use_mfa_step(principal_id, step).await
    }
    async fn create_file_recipient(
        &self,
        recipient: FileRecipient,
        audit: AuditedWrite,
    ) -> Result<()> {
        self.inner.create_file_recipient(recipient, audit).await
    }
    async fn get_file_recipient(&self, name: &str) -> Result<Option<FileRecipient>> {
        self.inner.get_file_recipient(name).await
    }
    async fn list_file_recipients(&self) -> Result<Vec<FileRecipient>> {
        self.inner.list_file_recipients().await
    }

    // The alert outbox is a queue: never cached.
    async fn enqueue_alerts(&self, alerts: Vec<NewAlertDelivery>) -> Result<usize> {
        self.inner.enqueue_alerts(alerts).await
    }
    async fn due_alerts(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<AlertDelivery>> {
        self.inner.due_alerts(now, limit).await
    }
    async fn finish_alert_attempt(&self, id: i64, result: AlertAttempt) -> Result<()> {
        self.inner.finish_alert_attempt(id, result).await
    }
    async fn list_alerts(&self, limit: usize) -> Result<Vec<AlertDelivery>> {
        self.inner.list_alerts(limit).await
    }
}
