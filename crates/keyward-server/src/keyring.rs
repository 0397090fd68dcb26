//! Where the keyring lives: one setting in the store, wrapped by the root key (see
//! [`keyward_crypto::Keyring`]). A data directory written before the keyring has
//! none; the first unseal (or `keyward init`) stores one, made deterministically
//! from the root key, so servers that race to create it write equivalent keyrings
//! and every v1 record keeps opening through the keyring's v1 KEK.

use keyward_crypto::{Keyring, KeyringError, RootKey};
use keyward_store::{Store, StoreError};

/// The setting that holds the wrapped keyring.
pub const KEYRING_SETTING: &str = "keyring";

#[derive(Debug, thiserror::Error)]
pub enum KeyringLoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
}

/// The stored keyring, unwrapped with `root`; created and stored first if absent.
/// The caller must have checked `root` against the key-check value.
pub async fn load_or_create(
    store: &dyn Store,
    root: &RootKey,
) -> Result<Keyring, KeyringLoadError> {
    if let Some(text) = store.get_setting(KEYRING_SETTING).await? {
        return Ok(Keyring::from_stored(&text, root)?);
    }
    let ring = Keyring::bootstrap(root);
    store
        .set_setting(KEYRING_SETTING, &ring.to_stored(root))
        .await?;
    Ok(ring)
}

/// The stored keyring for reading only (never writes): a data directory without
/// one is read with the keyring its root key would get.
pub async fn load(store: &dyn Store, root: &RootKey) -> Result<Keyring, KeyringLoadError> {
    match store.get_setting(KEYRING_SETTING).await? {
        Some(text) => Ok(Keyring::from_stored(&text, root)?),
        None => Ok(Keyring::bootstrap(root)),
    }
}
