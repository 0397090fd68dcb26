//! A read-through cache of secret metadata and version rows in front of any
//! [`Store`]: the value-read hot path (`GetSecretValue`, `GetParameter`, native
//! `GET /v1/secrets/…`) then costs a hash lookup instead of a database transaction.
//!
//! What is cached is exactly what the backend returns: names, ARNs, and *sealed*
//! ciphertext. Nothing here is ever decrypted.
//!
//! Only the secret and version reads are cached; the rest of the [`Store`] trait
//! is forwarded (see `store_through_cache!`, where every method is listed once).
//!
//! Consistency: every write that can change a secret or a version goes through this
//! wrapper and clears the cache after it commits, so a client that gets an answer
//! to a write reads its own write on this server. A generation counter stops a read
//! that raced a write from putting the older row back. Writes made by *other*
//! servers sharing the database are seen once the entry's TTL runs out, which bounds
//! staleness across a cluster (AWS Secrets Manager itself is eventually consistent).

use crate::Rotation;
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

/// Implements [`Store`] for [`ReadCachedStore`] from three lists, so each method
/// is named once: `cached` reads are written out (they consult the cache);
/// `invalidating` writes run on the inner store and then clear the cache;
/// everything else (settings, listings, identities, policies, the audit chain,
/// leases, rotation rows, MFA devices, file recipients, the alert outbox) is
/// `forwarded` untouched. A signature that drifts from the trait fails to compile.
macro_rules! store_through_cache {
    (
        cached { $($cached:tt)* }
        invalidating { $(fn $w:ident(&self $(, $wa:ident: $wt:ty)* $(,)?) -> $wr:ty;)* }
        forwarded { $(fn $f:ident(&self $(, $fa:ident: $ft:ty)* $(,)?) -> $fr:ty;)* }
    ) => {
        #[async_trait]
        impl Store for ReadCachedStore {
            $($cached)*
            $(
                async fn $w(&self $(, $wa: $wt)*) -> Result<$wr> {
                    self.write(self.inner.$w($($wa),*)).await
                }
            )*
            $(
                async fn $f(&self $(, $fa: $ft)*) -> Result<$fr> {
                    self.inner.$f($($fa),*).await
                }
            )*
        }
    };
}

store_through_cache! {
    cached {
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
    }
    // Everything that can change a secret or a version (a rotation's claim adds
    // its placeholder version; recording access changes `last_accessed_at`).
    invalidating {
        fn create_secret(
            &self,
            secret: NewSecret,
            first: Option<NewVersion>,
            audit: AuditedWrite,
        ) -> Secret;
        fn replace_secret(
            &self,
            replacing: Option<Uuid>,
            secret: NewSecret,
            versions: Vec<NewVersion>,
            audit: AuditedWrite,
        ) -> Secret;
        fn update_secret(&self, id: Uuid, patch: SecretPatch, audit: AuditedWrite) -> Secret;
        fn record_access(&self, accesses: Vec<(Uuid, OffsetDateTime)>) -> ();
        fn purge_secret(&self, id: Uuid, audit: AuditedWrite) -> ();
        fn purge_expired(&self, now: OffsetDateTime, audit: AuditedWrite) -> Vec<String>;
        fn add_version(
            &self,
            secret_id: Uuid,
            version: NewVersion,
            audit: AuditedWrite,
        ) -> AddVersionOutcome;
        fn add_version_pruned(
            &self,
            secret_id: Uuid,
            version: NewVersion,
            limit: crate::VersionLimit,
            now: OffsetDateTime,
            audit: AuditedWrite,
        ) -> (AddVersionOutcome, Vec<String>);
        fn add_version_after(
            &self,
            secret_id: Uuid,
            after_seq: i64,
            version: NewVersion,
            patch: SecretPatch,
            limit: crate::VersionLimit,
            now: OffsetDateTime,
            audit: AuditedWrite,
        ) -> (Secret, AddVersionOutcome);
        fn move_stage(
            &self,
            secret_id: Uuid,
            stage: &str,
            to_version: Option<&str>,
            from_version: Option<&str>,
            audit: AuditedWrite,
        ) -> ();
        fn prune_versions(&self, secret_id: Uuid, keep: usize, audit: AuditedWrite) -> usize;
        fn claim_rotation(
            &self,
            secret_id: Uuid,
            token: &str,
            at: OffsetDateTime,
            placeholder: Option<NewVersion>,
            audit: AuditedWrite,
        ) -> Option<String>;
    }
    // Listings are not cached (pagination must see every write at once); the
    // server keeps its own short-lived cache of authenticated keys; MFA steps
    // and leases must be exact; the alert outbox is a queue.
    forwarded {
        fn get_setting(&self, key: &str) -> Option<String>;
        fn set_setting(&self, key: &str, value: &str) -> ();
        fn list_secrets(&self, query: &ListQuery) -> Vec<Secret>;
        fn list_versions(&self, secret_id: Uuid) -> Vec<Version>;
        fn create_principal(&self, principal: Principal, audit: AuditedWrite) -> ();
        fn get_principal(&self, name: &str) -> Option<Principal>;
        fn get_principal_by_id(&self, id: Uuid) -> Option<Principal>;
        fn list_principals(&self) -> Vec<Principal>;
        fn delete_principal(&self, name: &str, audit: AuditedWrite) -> ();
        fn create_access_key(&self, key: AccessKey, audit: AuditedWrite) -> ();
        fn get_access_key(&self, access_key_id: &str) -> Option<AccessKey>;
        fn list_access_keys(&self, principal_id: Uuid) -> Vec<AccessKey>;
        fn delete_access_key(&self, access_key_id: &str, audit: AuditedWrite) -> ();
        fn put_policy(&self, name: &str, document: &str, audit: AuditedWrite) -> PolicyRecord;
        fn get_policy(&self, name: &str) -> Option<PolicyRecord>;
        fn list_policies(&self) -> Vec<PolicyRecord>;
        fn delete_policy(&self, name: &str, audit: AuditedWrite) -> ();
        fn attach_policy(&self, principal: &str, policy: &str, audit: AuditedWrite) -> ();
        fn detach_policy(&self, principal: &str, policy: &str, audit: AuditedWrite) -> ();
        fn principal_policies(&self, principal_id: Uuid) -> Vec<PolicyRecord>;
        fn append_audit(&self, key: &AuditKey, events: Vec<AuditEvent>) -> Vec<i64>;
        fn list_audit(&self, query: &AuditQuery) -> Vec<AuditRecord>;
        fn audit_head(&self) -> Option<AuditHead>;
        fn acquire_lease(
            &self,
            job: &str,
            holder: &str,
            ttl: std::time::Duration,
            now: OffsetDateTime,
        ) -> bool;
        fn release_lease(&self, job: &str, holder: &str) -> ();
        fn get_rotation(&self, secret_id: Uuid) -> Option<Rotation>;
        fn list_rotations(&self) -> Vec<Rotation>;
        fn put_rotation(&self, rotation: Rotation, audit: AuditedWrite) -> ();
        fn put_mfa_device(&self, device: MfaDevice, audit: AuditedWrite) -> ();
        fn get_mfa_device(&self, principal_id: Uuid) -> Option<MfaDevice>;
        fn use_mfa_step(&self, principal_id: Uuid, step: i64) -> bool;
        fn create_file_recipient(&self, recipient: FileRecipient, audit: AuditedWrite) -> ();
        fn get_file_recipient(&self, name: &str) -> Option<FileRecipient>;
        fn list_file_recipients(&self) -> Vec<FileRecipient>;
        fn enqueue_alerts(&self, alerts: Vec<NewAlertDelivery>) -> usize;
        fn due_alerts(&self, now: OffsetDateTime, limit: usize) -> Vec<AlertDelivery>;
        fn finish_alert_attempt(&self, id: i64, result: AlertAttempt) -> ();
        fn list_alerts(&self, limit: usize) -> Vec<AlertDelivery>;
    }
}
