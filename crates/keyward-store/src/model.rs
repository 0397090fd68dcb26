//! Records as the store keeps them. Timestamps are UTC; values are sealed blobs.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Which API family a secret belongs to. AWS keeps Secrets Manager secrets and SSM
/// parameters in separate namespaces, and so do we; the native API uses `Secrets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Namespace {
    Secrets,
    Parameters,
}

impl Namespace {
    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::Secrets => "secrets",
            Namespace::Parameters => "parameters",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "secrets" => Some(Self::Secrets),
            "parameters" => Some(Self::Parameters),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A named secret (or SSM parameter) and its metadata. Its values live in [`Version`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    pub id: Uuid,
    pub namespace: Namespace,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub tags: Vec<Tag>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub last_accessed_at: Option<OffsetDateTime>,
    /// When set, the secret is scheduled for deletion at this time and cannot be read.
    pub deleted_at: Option<OffsetDateTime>,
    /// Rotation settings (owned by the server; opaque here).
    pub rotation: Option<serde_json::Value>,
    pub resource_policy: Option<String>,
    /// Namespace-specific metadata (SSM type, tier, allowed pattern, ...), opaque here.
    pub metadata: serde_json::Value,
}

/// What a caller supplies to create a secret.
#[derive(Debug, Clone)]
pub struct NewSecret {
    /// Chosen by the caller, because value ciphertexts are bound to it.
    pub id: Uuid,
    pub namespace: Namespace,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub tags: Vec<Tag>,
    pub metadata: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    String,
    Binary,
}

impl ValueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::String => "string",
            ValueKind::Binary => "binary",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "string" => Some(Self::String),
            "binary" => Some(Self::Binary),
            _ => None,
        }
    }
}

/// One immutable version of a secret's value.
#[derive(Clone, PartialEq)]
pub struct Version {
    pub secret_id: Uuid,
    /// AWS version id: a UUID (or client request token) for secrets, "1", "2", ... for parameters.
    pub version_id: String,
    /// Monotonic per secret, starting at 1.
    pub seq: i64,
    /// Staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING, custom) or SSM labels.
    pub stages: Vec<String>,
    pub created_at: OffsetDateTime,
    pub kind: ValueKind,
    /// Sealed value (envelope format of keyward-crypto).
    pub sealed: Vec<u8>,
    /// Keyed fingerprint of the plaintext, so idempotent writes can be recognised
    /// without decrypting.
    pub value_mac: Vec<u8>,
    pub created_by: Option<String>,
    /// Per-version, namespace-specific metadata (e.g. an SSM parameter's type, tier
    /// and description at that version); `null` when none. Opaque here.
    pub metadata: serde_json::Value,
}

impl Version {
    /// A rotation's pending version that has no value yet (see
    /// [`NewVersion::placeholder`]): reads of it answer "not found".
    pub fn is_placeholder(&self) -> bool {
        self.value_mac.is_empty()
    }
}

impl std::fmt::Debug for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Version")
            .field("secret_id", &self.secret_id)
            .field("version_id", &self.version_id)
            .field("seq", &self.seq)
            .field("stages", &self.stages)
            .field("created_at", &self.created_at)
            .field("kind", &self.kind)
            .field("sealed", &format_args!("[{} bytes]", self.sealed.len()))
            .finish_non_exhaustive()
    }
}

/// What a caller supplies to add a version.
#[derive(Clone)]
pub struct NewVersion {
    pub version_id: String,
    pub kind: ValueKind,
    pub sealed: Vec<u8>,
    pub value_mac: Vec<u8>,
    pub created_by: Option<String>,
    /// Labels to attach; each is moved off whatever version held it. Moving
    /// `AWSCURRENT` also moves `AWSPREVIOUS` to the version that was current, as AWS does.
    pub stages: Vec<String>,
    /// Per-version metadata (see [`Version::metadata`]); `null` when none.
    pub metadata: serde_json::Value,
}

impl NewVersion {
    /// The version a rotation stages as `AWSPENDING` before its value exists (as
    /// AWS's RotateSecret does): no ciphertext, no MAC. A later add of the same
    /// `version_id` with a value fills it in.
    pub fn placeholder(
        version_id: String,
        created_by: Option<String>,
        stages: Vec<String>,
    ) -> Self {
        Self {
            version_id,
            kind: ValueKind::String,
            sealed: Vec::new(),
            value_mac: Vec::new(),
            created_by,
            stages,
            metadata: serde_json::Value::Null,
        }
    }

    pub fn is_placeholder(&self) -> bool {
        self.value_mac.is_empty()
    }
}

impl std::fmt::Debug for NewVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewVersion")
            .field("version_id", &self.version_id)
            .field("kind", &self.kind)
            .field("stages", &self.stages)
            .finish_non_exhaustive()
    }
}

/// Result of adding a version: either it was new, or the same token with the same
/// value was replayed (idempotent no-op).
#[derive(Debug, Clone, PartialEq)]
pub enum AddVersionOutcome {
    Created(Version),
    AlreadyExisted(Version),
}

impl AddVersionOutcome {
    pub fn version(&self) -> &Version {
        match self {
            Self::Created(v) | Self::AlreadyExisted(v) => v,
        }
    }
}

/// How to pick a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VersionSelector {
    Id(String),
    Stage(String),
}

/// Paginated listing by name prefix.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub namespace: Namespace,
    pub region: String,
    pub name_prefix: Option<String>,
    pub include_deleted: bool,
    /// Return names strictly greater than this (keyset pagination).
    pub after_name: Option<String>,
    pub limit: Option<usize>,
}

/// Partial update of a secret's metadata; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct SecretPatch {
    pub description: Option<Option<String>>,
    pub kms_key_id: Option<Option<String>>,
    pub tags: Option<Vec<Tag>>,
    pub rotation: Option<Option<serde_json::Value>>,
    pub resource_policy: Option<Option<String>>,
    pub metadata: Option<serde_json::Value>,
    pub deleted_at: Option<Option<OffsetDateTime>>,
    pub last_accessed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principal {
    pub id: Uuid,
    pub name: String,
    pub arn: String,
    pub tags: Vec<Tag>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Clone, PartialEq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub principal_id: Uuid,
    /// The secret access key, sealed (SigV4 verification needs the key itself).
    pub sealed_secret: Vec<u8>,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
}

/// A principal's TOTP device.
#[derive(Clone, PartialEq)]
pub struct MfaDevice {
    pub principal_id: Uuid,
    /// The TOTP secret, sealed with the principal's id as associated data.
    pub sealed_secret: Vec<u8>,
    /// The 30-second step of the newest code accepted; older and equal steps are refused.
    pub last_used_step: Option<i64>,
    pub created_at: OffsetDateTime,
}

/// A server recipient for encrypted files: an age X25519 identity the server holds.
#[derive(Clone, PartialEq)]
pub struct FileRecipient {
    pub name: String,
    /// The public `age1...` recipient files are encrypted to.
    pub recipient: String,
    /// The `AGE-SECRET-KEY-1...` identity, sealed with the name as associated data.
    pub sealed_identity: Vec<u8>,
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for FileRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRecipient")
            .field("name", &self.name)
            .field("recipient", &self.recipient)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for MfaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaDevice")
            .field("principal_id", &self.principal_id)
            .field("last_used_step", &self.last_used_step)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("principal_id", &self.principal_id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub name: String,
    pub document: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Outcome recorded for an audited request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// Authenticated, but a policy denied it.
    Denied,
    /// No, malformed or wrong credentials.
    Unauthenticated,
    NotFound,
    /// The request was invalid (bad name, bad body, ...).
    Invalid,
    /// The server failed (integrity error, backend error, ...).
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Unauthenticated => "unauthenticated",
            Outcome::NotFound => "not_found",
            Outcome::Invalid => "invalid",
            Outcome::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "success" => Self::Success,
            "denied" => Self::Denied,
            "unauthenticated" => Self::Unauthenticated,
            "not_found" => Self::NotFound,
            "invalid" => Self::Invalid,
            "error" => Self::Error,
            _ => return None,
        })
    }
}

/// One audit event as the server hands it to the store: who did what to which
/// resource, and how it ended. Never a value, never ciphertext.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub request_id: String,
    pub principal: Option<String>,
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// AWS action name, e.g. `secretsmanager:GetSecretValue`.
    pub action: String,
    pub resource: Option<String>,
    pub version_id: Option<String>,
    pub outcome: Outcome,
    /// Error type when not successful (e.g. `AccessDeniedException`).
    pub error_code: Option<String>,
    /// `native` or `aws`, or `system` for server-initiated work (rotation, purge).
    pub api: String,
    /// How many identical events this record stands for, when more than one (e.g.
    /// failed authentications folded over a rate limit); `None` means one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// The audit record a write commits with. Backends append `event` to the chain in
/// the write's own transaction, so a write and its record become durable together
/// or not at all: a crash can never leave a change that nobody audited.
#[derive(Debug, Clone)]
pub struct AuditedWrite {
    pub key: keyward_crypto::AuditKey,
    pub event: AuditEvent,
}

/// A stored audit record: the event plus its place and MAC in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    #[serde(flatten)]
    pub event: AuditEvent,
    /// Hex HMAC-SHA256 over the previous record's MAC and this record.
    pub mac: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub resource: Option<String>,
    pub principal: Option<String>,
    pub outcome: Option<Outcome>,
    pub since: Option<OffsetDateTime>,
    pub after_seq: Option<i64>,
    pub limit: Option<usize>,
    /// Newest first when true.
    pub descending: bool,
}

/// The checkpointed head of the audit chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditHead {
    pub seq: i64,
    pub mac: String,
    /// MAC over (seq, mac), so the checkpoint itself cannot be edited.
    pub checkpoint_mac: String,
}

pub use crate::outbox::{AlertAttempt, AlertDelivery, DeliveryState, NewAlertDelivery};
