//! Seal state, unseal, seal, break-glass, root-key rotation and restoring a
//! secret from a backup.

use crate::{Client, ClientError, Request};
use keyward_api::sys::{
    BreakGlass, BreakGlassKey, RekeyShares, RestoredSecret, RootKeyRotated, RotateRootKey,
    SealStatus, Unseal,
};

impl Client {
    /// The seal state (needs no credentials).
    pub fn seal_status(&self) -> Result<SealStatus, ClientError> {
        self.send(Request::get("/v1/sys/seal-status"), "status", "seal status")
    }

    /// Gives the root key, the passphrase or one unseal share (needs no credentials).
    pub fn unseal(&self, req: &Unseal) -> Result<SealStatus, ClientError> {
        let r = Request::post("/v1/sys/unseal").json(req)?;
        self.send(r, "unseal", "unseal")
    }

    /// Drops every key from the server's memory until it is unsealed again.
    pub fn seal(&self) -> Result<SealStatus, ClientError> {
        self.send(Request::post("/v1/sys/seal"), "seal", "seal")
    }

    /// Emergency access: a threshold of unseal shares makes a new administrator key
    /// (needs no credentials).
    pub fn break_glass(&self, req: &BreakGlass) -> Result<BreakGlassKey, ClientError> {
        let r = Request::post("/v1/sys/break-glass").json(req)?;
        self.send(r, &req.name, "break-glass")
    }

    /// Re-wraps the keyring under a new root key.
    pub fn rotate_root_key(&self, req: &RotateRootKey) -> Result<RootKeyRotated, ClientError> {
        let r = Request::post("/v1/sys/rotate-root-key").json(req)?;
        self.send(r, "root key", "rotate root key")
    }

    /// New unseal shares (of a fresh root key).
    pub fn rekey_shares(&self, req: &RekeyShares) -> Result<RootKeyRotated, ClientError> {
        let r = Request::post("/v1/sys/rekey-shares").json(req)?;
        self.send(r, "shares", "rekey shares")
    }

    /// Restores one secret, with its versions, from a backup's export of it (as
    /// `keyward-backup` writes it; this crate does not depend on that format).
    pub fn restore_from_backup(
        &self,
        name: &str,
        export: &impl serde::Serialize,
    ) -> Result<RestoredSecret, ClientError> {
        let r = Request::post("/v1/sys/restore-secret").json(export)?;
        self.send(r, name, "restore secret")
    }
}
