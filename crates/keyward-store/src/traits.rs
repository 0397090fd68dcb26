use crate::StoreError;
use crate::model::*;
use crate::prune::VersionLimit;
use crate::rotation::Rotation;
use async_trait::async_trait;
use keyward_crypto::AuditKey;
use time::OffsetDateTime;
use uuid::Uuid;

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything the server needs from a database. Each method is one atomic unit of
/// work: implementations run it in one transaction, so a crash never leaves a
/// half-moved staging label or an audit record without its chain link.
///
/// Every method that changes secrets, versions, identities or policies takes the
/// [`AuditedWrite`] it commits with: the backend appends that record to the audit
/// chain inside the write's transaction (a write nobody audited cannot exist).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // ---- key/value settings (root-key check value, account id, schema version)
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> Result<()>;

    // ---- secrets
    /// Creates a secret, and its first version when given, atomically.
    /// Fails with `AlreadyExists` when (namespace, region, name) is taken, even by a
    /// secret scheduled for deletion.
    async fn create_secret(
        &self,
        secret: NewSecret,
        first: Option<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Secret>;
    /// Creates `secret` with all of `versions` (in order, each moving its stages as
    /// [`Store::add_version`] does), first purging the secret `replacing` when given,
    /// all in one transaction. A copy (a replica, a restored history) is then either
    /// whole or absent, never half-written.
    async fn replace_secret(
        &self,
        replacing: Option<Uuid>,
        secret: NewSecret,
        versions: Vec<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Secret>;
    async fn get_secret(
        &self,
        namespace: Namespace,
        region: &str,
        name: &str,
    ) -> Result<Option<Secret>>;
    /// A secret and one of its versions in one consistent read: the hot path of
    /// every value read. The default makes two calls; backends should override it
    /// with one transaction.
    async fn get_secret_and_version(
        &self,
        namespace: Namespace,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<Option<(Secret, Option<Version>)>> {
        let Some(secret) = self.get_secret(namespace, region, name).await? else {
            return Ok(None);
        };
        let version = self.get_version(secret.id, selector).await?;
        Ok(Some((secret, version)))
    }
    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<Secret>>;
    async fn get_secret_by_id(&self, id: Uuid) -> Result<Option<Secret>>;
    /// Secrets ordered by name.
    async fn list_secrets(&self, query: &ListQuery) -> Result<Vec<Secret>>;
    async fn update_secret(
        &self,
        id: Uuid,
        patch: SecretPatch,
        audit: AuditedWrite,
    ) -> Result<Secret>;
    /// Records reads: sets each secret's `last_accessed_at` to the given time
    /// unless it already holds that time or a later one (a missing secret is
    /// skipped). Not an audited write: the reads themselves are audited; this only
    /// keeps the date Secrets Manager reports as `LastAccessedDate`, and leaves
    /// `updated_at` alone.
    async fn record_access(&self, accesses: Vec<(Uuid, OffsetDateTime)>) -> Result<()>;
    /// Deletes a secret and all its versions for good.
    async fn purge_secret(&self, id: Uuid, audit: AuditedWrite) -> Result<()>;
    /// Purges every secret whose scheduled deletion time is at or before `now`;
    /// returns the purged secrets' ARNs. `audit.event` is recorded once per purged
    /// secret, with that secret's ARN as its resource.
    async fn purge_expired(&self, now: OffsetDateTime, audit: AuditedWrite) -> Result<Vec<String>>;

    // ---- versions
    /// Adds a version and moves its stages, atomically. Replaying the same
    /// `version_id` with the same `value_mac` is a no-op (`AlreadyExisted`); with a
    /// different value it is `VersionConflict`.
    async fn add_version(
        &self,
        secret_id: Uuid,
        version: NewVersion,
        audit: AuditedWrite,
    ) -> Result<AddVersionOutcome>;
    /// [`Store::add_version`], then, when it created a version, removes in the same
    /// transaction the oldest versions without stages that were created at least
    /// `limit.min_age` before `now`, until the secret has at most
    /// `limit.max_versions` or no such version is left (see [`VersionLimit`]). After
    /// `audit`'s record, one [`crate::PRUNED_ACTION`] record per removed version
    /// (the same event, naming it) extends the chain. Returns the removed ids,
    /// oldest first.
    async fn add_version_pruned(
        &self,
        secret_id: Uuid,
        version: NewVersion,
        limit: VersionLimit,
        now: OffsetDateTime,
        audit: AuditedWrite,
    ) -> Result<(AddVersionOutcome, Vec<String>)>;
    /// Adds a version (as [`Store::add_version`] does) and applies `patch` to the
    /// secret, in one transaction, only if the secret's newest version still has
    /// seq `after_seq` (0: no versions); otherwise fails with `Stale` and changes
    /// nothing. This is how writers that number versions themselves (SSM's 1, 2,
    /// 3, …) allocate the next number without a lock: read the newest, compute,
    /// add after it, and retry on `Stale`. It holds across servers sharing the
    /// database. Versions over `limit` are pruned and audited in the same
    /// transaction, as [`Store::add_version_pruned`] does. Returns the patched
    /// secret. A missing secret is `NotFound`.
    #[allow(clippy::too_many_arguments)]
    async fn add_version_after(
        &self,
        secret_id: Uuid,
        after_seq: i64,
        version: NewVersion,
        patch: SecretPatch,
        limit: VersionLimit,
        now: OffsetDateTime,
        audit: AuditedWrite,
    ) -> Result<(Secret, AddVersionOutcome)>;
    async fn get_version(
        &self,
        secret_id: Uuid,
        selector: &VersionSelector,
    ) -> Result<Option<Version>>;
    /// All versions, oldest first.
    async fn list_versions(&self, secret_id: Uuid) -> Result<Vec<Version>>;
    /// Moves `stage` onto `to_version` (if given) and off `from_version` (if given),
    /// atomically. Moving `AWSCURRENT` gives the old holder `AWSPREVIOUS`.
    /// `from_version` must hold the stage when given, else `Conflict`.
    async fn move_stage(
        &self,
        secret_id: Uuid,
        stage: &str,
        to_version: Option<&str>,
        from_version: Option<&str>,
        audit: AuditedWrite,
    ) -> Result<()>;
    /// Removes versions with no stages beyond the newest `keep` such versions.
    async fn prune_versions(
        &self,
        secret_id: Uuid,
        keep: usize,
        audit: AuditedWrite,
    ) -> Result<usize>;

    // ---- identities
    async fn create_principal(&self, principal: Principal, audit: AuditedWrite) -> Result<()>;
    async fn get_principal(&self, name: &str) -> Result<Option<Principal>>;
    async fn get_principal_by_id(&self, id: Uuid) -> Result<Option<Principal>>;
    async fn list_principals(&self) -> Result<Vec<Principal>>;
    /// Deletes the principal with its keys and attachments.
    async fn delete_principal(&self, name: &str, audit: AuditedWrite) -> Result<()>;
    async fn create_access_key(&self, key: AccessKey, audit: AuditedWrite) -> Result<()>;
    async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>>;
    async fn list_access_keys(&self, principal_id: Uuid) -> Result<Vec<AccessKey>>;
    async fn delete_access_key(&self, access_key_id: &str, audit: AuditedWrite) -> Result<()>;

    // ---- policies
    async fn put_policy(
        &self,
        name: &str,
        document: &str,
        audit: AuditedWrite,
    ) -> Result<PolicyRecord>;
    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>>;
    async fn list_policies(&self) -> Result<Vec<PolicyRecord>>;
    /// Fails with `Conflict` while the policy is attached to anyone.
    async fn delete_policy(&self, name: &str, audit: AuditedWrite) -> Result<()>;
    async fn attach_policy(&self, principal: &str, policy: &str, audit: AuditedWrite)
    -> Result<()>;
    async fn detach_policy(&self, principal: &str, policy: &str, audit: AuditedWrite)
    -> Result<()>;
    /// The policies attached to a principal.
    async fn principal_policies(&self, principal_id: Uuid) -> Result<Vec<PolicyRecord>>;

    // ---- audit chain
    /// Appends events in order, each chained to the previous record with `key`, and
    /// moves the checkpointed head, in one durable transaction.
    async fn append_audit(&self, key: &AuditKey, events: Vec<AuditEvent>) -> Result<Vec<i64>>;
    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>>;
    /// The checkpointed head of the chain (None before the first record). The
    /// records themselves are read page by page with `list_audit` (`after_seq`),
    /// never all at once: see `audit::verify_stored`.
    async fn audit_head(&self) -> Result<Option<AuditHead>>;

    // ---- job leases (one server runs a background job at a time)
    /// Takes the lease on `job` for `holder` until `now + ttl` when it is free,
    /// expired, or already `holder`'s (a renewal). Returns whether `holder` now
    /// holds it. Atomic across every server sharing the database.
    async fn acquire_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: std::time::Duration,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Gives the lease up early (a clean shutdown); a no-op when `holder` does not hold it.
    async fn release_lease(&self, job: &str, holder: &str) -> Result<()>;

    // ---- rotation (configuration and state per secret; see `Rotation`)
    async fn get_rotation(&self, secret_id: Uuid) -> Result<Option<Rotation>>;
    /// Every secret's rotation row (the scheduler's and `rotation status`'s view).
    async fn list_rotations(&self) -> Result<Vec<Rotation>>;
    /// Writes the whole row (configuration and state); `audit` commits with it.
    async fn put_rotation(&self, rotation: Rotation, audit: AuditedWrite) -> Result<()>;
    /// Starts the rotation `token` on `secret_id` unless another token's is in
    /// progress (then returns that token and changes nothing), and adds
    /// `placeholder` (its `AWSPENDING` version) when given, atomically: two
    /// servers cannot both start a rotation of one secret.
    async fn claim_rotation(
        &self,
        secret_id: Uuid,
        token: &str,
        at: OffsetDateTime,
        placeholder: Option<NewVersion>,
        audit: AuditedWrite,
    ) -> Result<Option<String>>;

    // ---- MFA devices (one TOTP device per principal)
    /// Enrols `device`, replacing the principal's earlier one (and its used-step
    /// guard); `audit` commits with it. `NotFound` when the principal does not exist.
    async fn put_mfa_device(&self, device: MfaDevice, audit: AuditedWrite) -> Result<()>;
    async fn get_mfa_device(&self, principal_id: Uuid) -> Result<Option<MfaDevice>>;
    /// Records that a code of `step` was used: true when `step` is newer than the
    /// last one used (the code is good), false when it is not or there is no
    /// device. Atomic across servers, so a code is accepted once.
    async fn use_mfa_step(&self, principal_id: Uuid, step: i64) -> Result<bool>;

    // ---- server recipients for encrypted files (age identities held by the server)
    /// Creates `recipient`; `AlreadyExists` when the name (or its public key) is taken.
    /// A recipient is never replaced: files encrypted to it would become unreadable.
    async fn create_file_recipient(
        &self,
        recipient: FileRecipient,
        audit: AuditedWrite,
    ) -> Result<()>;
    async fn get_file_recipient(&self, name: &str) -> Result<Option<FileRecipient>>;
    /// Every recipient, by name.
    async fn list_file_recipients(&self) -> Result<Vec<FileRecipient>>;

    // ---- alert outbox (alerts survive restarts and sink outages)
    /// Queues alert deliveries; a row whose (sink, dedup_key) is already queued
    /// (by this or another server) is skipped. Returns how many were new.
    async fn enqueue_alerts(&self, alerts: Vec<NewAlertDelivery>) -> Result<usize>;
    /// Pending deliveries whose next attempt is due at `now`, oldest first.
    async fn due_alerts(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<AlertDelivery>>;
    /// Records the outcome of one delivery attempt.
    async fn finish_alert_attempt(&self, id: i64, result: AlertAttempt) -> Result<()>;
    /// The most recent deliveries, newest first.
    async fn list_alerts(&self, limit: usize) -> Result<Vec<AlertDelivery>>;
}
