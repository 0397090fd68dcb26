//! Root-key rotation, new unseal shares, and break-glass access.
//!
//! Rotating the root key re-wraps the keyring (which holds every data key, the v1
//! KEK and the audit key) under a new key and replaces the key-check value and the
//! share record. The in-memory keyring does not change, so requests keep being
//! served while it runs and no stored value is touched.
//!
//! The three settings cannot be written in one transaction through the `Store`
//! trait, so the rotation first writes a record of the old and new values
//! ([`ROTATION_SETTING`]). A rotation interrupted by a crash is settled at the next
//! unseal: the old root key rolls it back (the operator may never have received
//! the new one), the new root key rolls it forward. Either way the data directory
//! ends with one consistent root key, and the rotation can simply be run again.

use crate::error::ApiError;
use crate::keyring::KEYRING_SETTING;
use crate::state::AppState;
use crate::unseal_shares::SHARES_SETTING;
use keyward_crypto::RootKey;
use keyward_crypto::shamir::{Share, root_key_id, split_root_key};
use keyward_store::Store;
use serde::{Deserialize, Serialize};

/// Holds a rotation under way (empty when none is).
pub const ROTATION_SETTING: &str = "root_rotation";
pub const CHECK_SETTING: &str = "root_key_check";
const ROTATION_LEASE: &str = "root-key-rotation";

/// Old and new values of the settings a rotation replaces.
#[derive(Serialize, Deserialize)]
struct Pending {
    old: Settings,
    new: Settings,
}

#[derive(Serialize, Deserialize, Clone)]
struct Settings {
    check: String,
    keyring: String,
    /// The share record, when the key is split.
    shares: Option<String>,
}

async fn write(store: &dyn Store, s: &Settings) -> Result<(), ApiError> {
    // The keyring first: a crash here leaves the record, which settles it.
    store.set_setting(KEYRING_SETTING, &s.keyring).await?;
    store.set_setting(CHECK_SETTING, &s.check).await?;
    store
        .set_setting(SHARES_SETTING, s.shares.as_deref().unwrap_or(""))
        .await?;
    Ok(())
}

/// Settles a rotation a crash interrupted, with the root key an unseal offers:
/// forward when it is the new key, back when it is the old one. Called before the
/// key-check comparison of every unseal.
pub async fn settle_interrupted_rotation(
    store: &dyn Store,
    root: &RootKey,
) -> Result<(), ApiError> {
    let Some(text) = store.get_setting(ROTATION_SETTING).await? else {
        return Ok(());
    };
    if text.is_empty() {
        return Ok(());
    }
    let pending: Pending = serde_json::from_str(&text).map_err(|e| {
        ApiError::Integrity(format!(
            "the record of an interrupted root-key rotation is malformed ({e}); restore the settings from a backup"
        ))
    })?;
    let settle = if root.matches_check(&pending.new.check) {
        &pending.new
    } else if root.matches_check(&pending.old.check) {
        &pending.old
    } else {
        // Neither key: the unseal fails on the key check as usual.
        return Ok(());
    };
    write(store, settle).await?;
    store.set_setting(ROTATION_SETTING, "").await?;
    tracing::warn!("settled a root-key rotation that was interrupted");
    Ok(())
}

/// What a rotation produced, for the operator.
#[derive(Debug)]
pub struct Rotated {
    pub key_id: String,
    /// New shares, when the new key was split.
    pub shares: Vec<Share>,
    pub threshold: Option<u8>,
}

/// Re-wraps the keyring under `new_root`, splitting it into `split` =
/// (threshold, shares) when given. One rotation at a time across servers.
pub async fn rotate_root_key(
    st: &AppState,
    new_root: &RootKey,
    split: Option<(u8, u8)>,
) -> Result<Rotated, ApiError> {
    let keys = st.keys()?;
    let store = st.store.as_ref();
    let holder = uuid::Uuid::new_v4().to_string();
    let now = time::OffsetDateTime::now_utc();
    if !store
        .acquire_lease(
            ROTATION_LEASE,
            &holder,
            std::time::Duration::from_secs(120),
            now,
        )
        .await?
    {
        return Err(ApiError::Conflict(
            "another root-key rotation is running; wait for it to finish".into(),
        ));
    }
    let result = async {
        let get = async |k: &str| -> Result<Option<String>, ApiError> {
            Ok(store.get_setting(k).await?.filter(|v| !v.is_empty()))
        };
        let old = Settings {
            check: get(CHECK_SETTING).await?.ok_or_else(|| {
                ApiError::Integrity("this data directory has no root-key check value".into())
            })?,
            keyring: get(KEYRING_SETTING).await?.ok_or_else(|| {
                ApiError::Integrity("this data directory has no stored keyring".into())
            })?,
            shares: get(SHARES_SETTING).await?,
        };
        if new_root.matches_check(&old.check) {
            return Err(ApiError::InvalidParameter(
                "the new root key is the current one; generate a fresh key".into(),
            ));
        }
        let (shares, set) = match split {
            Some((k, n)) => {
                let (shares, set) = split_root_key(new_root, k, n)
                    .map_err(|e| ApiError::InvalidParameter(e.to_string()))?;
                (shares, Some(set))
            }
            None => (Vec::new(), None),
        };
        let new = Settings {
            check: new_root.check_value(),
            keyring: keys.keyring.to_stored(new_root),
            shares: set
                .as_ref()
                .map(|s| serde_json::to_string(s).expect("a share set serialises")),
        };
        let pending = serde_json::to_string(&Pending {
            old,
            new: new.clone(),
        })
        .expect("the rotation record serialises");
        store.set_setting(ROTATION_SETTING, &pending).await?;
        write(store, &new).await?;
        store.set_setting(ROTATION_SETTING, "").await?;
        Ok(Rotated {
            key_id: root_key_id(&new.check),
            threshold: set.map(|s| s.threshold),
            shares,
        })
    }
    .await;
    let _ = store.release_lease(ROTATION_LEASE, &holder).await;
    result
}

/// The current root key's id, for status output.
pub async fn current_key_id(store: &dyn Store) -> Result<Option<String>, ApiError> {
    Ok(store
        .get_setting(CHECK_SETTING)
        .await?
        .map(|c| root_key_id(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_crypto::Keyring;
    use keyward_store_sqlite::SqliteStore;

    /// A store as a rotation left it when the process died right after writing
    /// the new keyring: the record, the new keyring, the old check value.
    async fn interrupted(old: &RootKey, new: &RootKey) -> (SqliteStore, Keyring) {
        let store = SqliteStore::open_in_memory().expect("store");
        let ring = Keyring::bootstrap(old);
        let before = Settings {
            check: old.check_value(),
            keyring: ring.to_stored(old),
            shares: None,
        };
        write(&store, &before).await.expect("initial settings");
        let after = Settings {
            check: new.check_value(),
            keyring: ring.to_stored(new),
            shares: None,
        };
        let pending = serde_json::to_string(&Pending {
            old: before,
            new: after.clone(),
        })
        .expect("json");
        store
            .set_setting(ROTATION_SETTING, &pending)
            .await
            .expect("record");
        store
            .set_setting(KEYRING_SETTING, &after.keyring)
            .await
            .expect("new keyring");
        (store, ring)
    }

    async fn opens_with(store: &SqliteStore, root: &RootKey) -> bool {
        let check = store.get_setting(CHECK_SETTING).await.expect("get");
        let ring = store.get_setting(KEYRING_SETTING).await.expect("get");
        check.is_some_and(|c| root.matches_check(&c))
            && ring.is_some_and(|r| Keyring::from_stored(&r, root).is_ok())
    }

    #[tokio::test]
    async fn an_interrupted_rotation_rolls_back_with_the_old_key_and_forward_with_the_new() {
        let (old, new) = (RootKey::generate(), RootKey::generate());
        let (store, _) = interrupted(&old, &new).await;
        assert!(!opens_with(&store, &old).await && !opens_with(&store, &new).await);
        // A stranger's key settles nothing.
        settle_interrupted_rotation(&store, &RootKey::generate())
            .await
            .expect("no-op");
        assert!(!opens_with(&store, &old).await);
        settle_interrupted_rotation(&store, &old)
            .await
            .expect("back");
        assert!(opens_with(&store, &old).await, "the old key works again");
        assert!(!opens_with(&store, &new).await);
        assert_eq!(
            store.get_setting(ROTATION_SETTING).await.expect("get"),
            Some(String::new())
        );

        let (store, _) = interrupted(&old, &new).await;
        settle_interrupted_rotation(&store, &new)
            .await
            .expect("forward");
        assert!(opens_with(&store, &new).await, "the new key works");
        assert!(!opens_with(&store, &old).await);
    }
}
