//! How many versions a secret keeps, as AWS documents it. Secrets Manager removes
//! versions without staging labels once a secret has more than 100, but never one
//! created less than 24 hours ago; Parameter Store keeps the 100 newest versions and
//! drops the oldest (it refuses the write instead when the oldest has a label, a
//! check made before the write). The store applies the limit in the transaction of
//! the write that adds a version (`Store::add_version_pruned`), so a secret never
//! sits over its limit and a pruned version never lacks its audit record.

use time::Duration;

/// The audit action of a version removed by its secret's [`VersionLimit`]: one
/// record per removed version, naming it, right after the write that caused it.
pub const PRUNED_ACTION: &str = "keyward:PruneSecretVersion";

/// When a secret's versions are pruned, and which may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionLimit {
    /// Versions are removed only while the secret has more than this many.
    pub max_versions: usize,
    /// A version created less than this long before the write is never removed.
    pub min_age: Duration,
}

impl VersionLimit {
    /// Secrets Manager's `PutSecretValue`/`UpdateSecret`: over 100 versions,
    /// unlabelled ones at least 24 hours old go, oldest first.
    pub const SECRETS_MANAGER: Self = Self {
        max_versions: 100,
        min_age: Duration::hours(24),
    };
    /// Parameter Store's `PutParameter`: over 100 versions the oldest goes,
    /// whatever its age.
    pub const PARAMETER_STORE: Self = Self {
        max_versions: 100,
        min_age: Duration::ZERO,
    };
}
