//! Shared server state: the store, the seal state (keys present or not), the audit
//! writer, and the caches that keep authentication off the database's hot path.

use crate::audit_feed::{AuditMirror, FeedWaker};
use crate::audit_writer::AuditWriter;
use crate::error::ApiError;
use keyward_crypto::{AuditKey, Keyring, RootKey, SecretString, SessionKey};
use keyward_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Settings the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub account_id: String,
    pub default_region: String,
    /// Largest request body accepted, in bytes (enforced by the `body_limit` layer).
    pub max_body_bytes: usize,
    pub audit_mirror: Option<AuditMirror>,
    /// How long an authenticated key's principal and policies are cached. Writes on
    /// this server clear the cache at once; the TTL bounds staleness across servers.
    pub auth_cache_ttl: Duration,
    /// How long secret metadata and sealed versions are cached (see
    /// [`keyward_store::ReadCachedStore`]); zero turns the cache off.
    pub read_cache_ttl: Duration,
    /// Connection and request limits of the listener.
    pub http: crate::listener::HttpLimits,
    /// Failed authentications allowed per source address and per access key id.
    pub auth_limits: crate::auth_limit::AuthLimits,
    /// Record the day each secret was last read (`LastAccessedDate`).
    pub record_last_accessed: bool,
    /// The SQLite database file, when the store is one: online backups snapshot it.
    pub db_path: Option<std::path::PathBuf>,
    /// Scheduled snapshots: how often, and where (see `jobs::Snapshots`).
    pub snapshots: Option<(Duration, Arc<keyward_backup::schedule::Schedule>)>,
    /// The `[rotation]` section: Lambda ARN mapping, schedule limits, retries.
    pub rotation: crate::rotation::RotationSettings,
    /// Alert rules and sinks (`[alert]` of the server config); `None`: no alerts.
    pub alerts: Option<Arc<keyward_notify::Notifier>>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            account_id: "000000000000".into(),
            default_region: "us-east-1".into(),
            max_body_bytes: crate::body_limit::DEFAULT_MAX_BODY_BYTES,
            audit_mirror: None,
            auth_cache_ttl: Duration::from_secs(5),
            read_cache_ttl: Duration::from_secs(1),
            http: crate::listener::HttpLimits::default(),
            auth_limits: Default::default(),
            record_last_accessed: true,
            db_path: None,
            snapshots: None,
            rotation: Default::default(),
            alerts: None,
        }
    }
}

/// Keys that exist only while the server is unsealed.
pub struct Unsealed {
    /// Seals and opens values and access-key secrets; holds the value-MAC key.
    pub keyring: Keyring,
    pub audit_key: AuditKey,
    pub session_key: SessionKey,
    pub audit: AuditWriter,
}

impl std::fmt::Debug for Unsealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unsealed { .. }")
    }
}

/// An authenticated caller with everything authorization needs.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: keyward_store::Principal,
    pub access_key_id: String,
    pub policies: Arc<Vec<keyward_policy::Policy>>,
    /// The name of an attached policy that no longer parses. Authorization then
    /// denies everything (fails closed): a `Deny` in it must not silently vanish.
    pub unreadable_policy: Option<String>,
    /// When the caller proved a TOTP code (unix seconds), for a request made with
    /// an MFA session credential; `None` for a long-term access key.
    pub mfa_authenticated_at: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct CachedKey {
    pub fetched: Instant,
    pub secret: SecretString,
    pub caller: Caller,
}

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub cfg: ServerConfig,
    unsealed: RwLock<Option<Arc<Unsealed>>>,
    pub(crate) key_cache: Mutex<HashMap<String, Arc<CachedKey>>>,
    pub(crate) sigv4_cache: keyward_sigv4::SigningKeyCache,
    pub changes: tokio::sync::broadcast::Sender<crate::changes::ChangeEvent>,
    /// Wakes the audit feed when this server commits records.
    pub feed: FeedWaker,
    /// Throttles unseal attempts and keeps them for the audit chain while sealed.
    pub unseal_guard: crate::unseal_guard::UnsealGuard,
    /// Counts failed authentications; past the limits they are folded.
    pub auth_limiter: crate::auth_limit::AuthFailureLimiter,
    /// Notes secret reads for `LastAccessedDate` (written in the background).
    pub access: Arc<crate::access::AccessRecorder>,
    /// Wrong MFA codes per principal (logins lock out past a few).
    pub(crate) wrong_mfa_codes: crate::mfa::WrongCodes,
    /// Unseal shares given so far while sealed.
    pub unseal_shares: crate::unseal_shares::ShareCollector,
    /// Secrets whose rotation a task of this server is driving now.
    pub(crate) rotations_running: Mutex<std::collections::HashSet<uuid::Uuid>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("cfg", &self.cfg)
            .field("sealed", &self.is_sealed())
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, cfg: ServerConfig) -> Arc<Self> {
        let (changes, _) = tokio::sync::broadcast::channel(1024);
        let auth_limiter = crate::auth_limit::AuthFailureLimiter::new(cfg.auth_limits);
        let store: Arc<dyn Store> = Arc::new(keyward_store::ReadCachedStore::new(
            store,
            cfg.read_cache_ttl,
        ));
        let access = Arc::new(crate::access::AccessRecorder::new(cfg.record_last_accessed));
        Arc::new(Self {
            store,
            cfg,
            access,
            unsealed: RwLock::new(None),
            key_cache: Mutex::new(HashMap::new()),
            sigv4_cache: keyward_sigv4::SigningKeyCache::default(),
            changes,
            feed: FeedWaker::default(),
            unseal_guard: Default::default(),
            auth_limiter,
            wrong_mfa_codes: Default::default(),
            unseal_shares: Default::default(),
            rotations_running: Default::default(),
        })
    }

    /// Checks `root` against the stored key-check value and, if it matches, unseals.
    /// A store without a check value was never initialised (or was damaged): it is
    /// refused, never adopted with whatever key arrives first.
    pub async fn unseal(&self, root: &RootKey) -> Result<(), ApiError> {
        crate::recovery::settle_interrupted_rotation(self.store.as_ref(), root).await?;
        let check = self
            .store
            .get_setting("root_key_check")
            .await
            .map_err(ApiError::from)?;
        match check {
            Some(stored) if !root.matches_check(&stored) => {
                return Err(ApiError::BadCredentials(
                    "the root key does not match this data directory: it was initialised with a different key. Check KEYWARD_ROOT_KEY / KEYWARD_ROOT_KEY_FILE / the passphrase".into(),
                ));
            }
            Some(_) => {}
            None => {
                return Err(ApiError::Integrity(
                    "this data directory has no root-key check value: it was not initialised with `keyward init`, or its database was damaged; restore it from a backup".into(),
                ));
            }
        }
        let keyring = crate::keyring::load_or_create(self.store.as_ref(), root)
            .await
            .map_err(|e| match e {
                crate::keyring::KeyringLoadError::Store(e) => ApiError::from(e),
                crate::keyring::KeyringLoadError::Keyring(e) => ApiError::Integrity(format!(
                    "{e}; the root key matched this data directory, so restore the keyring setting from a backup"
                )),
            })?;
        let audit_key = keyring.audit_key().clone();
        let audit = AuditWriter::spawn(self.store.clone(), audit_key.clone(), self.feed.clone());
        let keys = Unsealed {
            keyring,
            audit_key,
            session_key: root.session_key(),
            audit,
        };
        *self.unsealed.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(keys));
        self.flush_unseal_attempts().await;
        Ok(())
    }

    /// Writes the unseal attempts made while sealed to the audit chain (there was
    /// no audit key to chain them with before).
    pub async fn flush_unseal_attempts(&self) {
        // Still sealed: the attempts stay buffered for the unseal that comes.
        let Ok(keys) = self.keys() else { return };
        let (events, dropped) = self.unseal_guard.drain();
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "more unseal attempts were made while sealed than the buffer keeps; the oldest are only in the log"
            );
        }
        for event in events {
            if let Err(e) = keys.audit.record(event).await {
                tracing::error!(error = %e, "could not audit an unseal attempt");
            }
        }
    }

    pub fn seal(&self) {
        *self.unsealed.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.clear_auth_cache();
    }

    pub fn keys(&self) -> Result<Arc<Unsealed>, ApiError> {
        self.unsealed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| {
                ApiError::Sealed(
                    "keyward is sealed: unseal it with `keyward operator unseal` before using it"
                        .into(),
                )
            })
    }

    pub fn is_sealed(&self) -> bool {
        self.unsealed.read().map(|g| g.is_none()).unwrap_or(true)
    }

    pub fn clear_auth_cache(&self) {
        if let Ok(mut c) = self.key_cache.lock() {
            c.clear();
        }
        self.sigv4_cache.clear();
    }

    pub fn principal_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:user/{name}", self.cfg.account_id)
    }
    pub fn policy_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:policy/{name}", self.cfg.account_id)
    }
}
