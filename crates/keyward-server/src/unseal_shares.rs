//! Unsealing with Shamir shares: what the data directory records about the shares
//! (the [`ShareSet`] setting) and the shares collected so far while sealed.
//!
//! Shares arrive one per request (each operator types their own); they are checked
//! one by one against the recorded set, so a mistyped, foreign or forged share is
//! named at once and never poisons the combination. The collected shares live only
//! in memory and are dropped (zeroized) on unseal, on reset, and on restart.

use crate::error::ApiError;
use keyward_crypto::RootKey;
use keyward_crypto::shamir::{Share, ShareError, ShareSet, combine_shares};
use keyward_store::Store;
use std::sync::Mutex;

/// The setting that holds the [`ShareSet`] of the current root key.
pub const SHARES_SETTING: &str = "unseal_shares";

/// The recorded share set, if the root key was split.
pub async fn load_set(store: &dyn Store) -> Result<Option<ShareSet>, ApiError> {
    // Empty: a rotation moved the data directory to a key that is not split.
    let Some(text) = store
        .get_setting(SHARES_SETTING)
        .await?
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        ApiError::Integrity(format!(
            "the stored unseal-share record is malformed ({e}); restore it from a backup"
        ))
    })
}

pub async fn store_set(store: &dyn Store, set: &ShareSet) -> Result<(), ApiError> {
    let text = serde_json::to_string(set).expect("a share set serialises");
    Ok(store.set_setting(SHARES_SETTING, &text).await?)
}

/// Turns a share error into the API error an operator sees. A share that parses
/// but was not issued for this key counts as a wrong key (it backs off).
pub fn share_error(e: ShareError) -> ApiError {
    match e {
        ShareError::NotAShare | ShareError::Checksum { .. } | ShareError::Duplicate { .. } => {
            ApiError::InvalidParameter(e.to_string())
        }
        ShareError::WrongKey { .. }
        | ShareError::WrongThreshold { .. }
        | ShareError::NotIssued { .. } => ApiError::BadCredentials(e.to_string()),
        _ => ApiError::InvalidRequest(e.to_string()),
    }
}

/// Shares given so far while sealed.
#[derive(Debug, Default)]
pub struct ShareCollector {
    pending: Mutex<Vec<Share>>,
}

/// What adding a share led to.
#[derive(Debug)]
pub enum Progress {
    /// More shares are needed; this many have arrived.
    Need { have: u8 },
    /// The threshold was reached: the combined key (not yet checked).
    Complete(RootKey),
}

impl ShareCollector {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Share>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn progress(&self) -> u8 {
        u8::try_from(self.lock().len()).unwrap_or(u8::MAX)
    }

    /// Forgets every share given so far.
    pub fn reset(&self) {
        self.lock().clear();
    }

    /// Checks `share` against `set` and keeps it; at the threshold, combines and
    /// forgets them all.
    pub fn add(&self, set: &ShareSet, share: Share) -> Result<Progress, ShareError> {
        set.check(&share)?;
        let mut pending = self.lock();
        // Shares of an older set (a rekey happened meanwhile) are dropped.
        pending.retain(|s| set.check(s).is_ok());
        if pending.iter().any(|s| s.index == share.index) {
            return Err(ShareError::Duplicate { index: share.index });
        }
        pending.push(share);
        if pending.len() < usize::from(set.threshold) {
            return Ok(Progress::Need {
                have: u8::try_from(pending.len()).unwrap_or(u8::MAX),
            });
        }
        let taken = std::mem::take(&mut *pending);
        combine_shares(&taken).map(Progress::Complete)
    }
}
