//! keyward-store owns persistence: secrets and their immutable versions (as sealed
//! ciphertext, never plaintext), staging labels, principals, access keys, policies,
//! and the append-only audit chain. Everything sits behind the [`Store`] trait so the
//! server never depends on a particular database; every backend (SQLite in
//! `keyward-store-sqlite`, each in a crate of its own) must pass the conformance
//! suite in [`conformance`].
//!
//! It must not decrypt anything or see a secret value: the server seals before it
//! calls in and opens after it reads. The only key it ever holds is the audit MAC
//! key, because extending the chain has to happen inside the append transaction.

pub mod audit;
mod cache;
pub mod conformance;
mod error;
pub mod model;
mod outbox;
mod prune;
mod rotation;
mod traits;

pub use cache::ReadCachedStore;
pub use error::StoreError;
pub use model::*;
pub use prune::{PRUNED_ACTION, VersionLimit};
pub use rotation::{Rotation, RotationConfig, RotationState};
pub use traits::Store;
