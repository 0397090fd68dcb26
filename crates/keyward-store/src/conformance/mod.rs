//! The backend-agnostic conformance suite. Every [`Store`] implementation must pass
//! it: a backend's tests declare one test per check with
//! [`conformance_tests!`](crate::conformance_tests), or call [`run_all`] with a
//! factory for fresh, empty stores.
//!
//! Checks return a [`CheckFailure`] naming the failed expectation instead of
//! panicking, so this module can live in the library. They are grouped by area:
//! secrets, versions and their stages, version limits, identities, the audit chain,
//! and the smaller tables (leases, MFA devices, file recipients, the alert outbox).

use crate::{Store, StoreError};

/// A failed conformance expectation.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckFailure(pub String);

impl From<StoreError> for CheckFailure {
    fn from(e: StoreError) -> Self {
        CheckFailure(format!("unexpected store error: {e}"))
    }
}

pub type CheckResult = Result<(), CheckFailure>;

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(CheckFailure(format!("{}:{}: {}", file!(), line!(), format!($($fmt)+))));
        }
    };
}

macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    return Err(CheckFailure(format!(
                        "{}:{}: `{}` is {:?}, expected {:?}",
                        file!(),
                        line!(),
                        stringify!($left),
                        l,
                        r
                    )));
                }
            }
        }
    };
}

/// Fails unless `$result` is the [`StoreError`] variant `$kind`; the message names
/// the operation, and the failure adds what came back instead.
macro_rules! ensure_err {
    ($result:expr, $kind:ident, $($fmt:tt)+) => {
        match &$result {
            Err($crate::StoreError::$kind { .. }) => {}
            other => {
                return Err(CheckFailure(format!(
                    "{}:{}: {}: {other:?}",
                    file!(),
                    line!(),
                    format!($($fmt)+)
                )));
            }
        }
    };
}

macro_rules! some {
    ($opt:expr, $($fmt:tt)+) => {
        match $opt {
            Some(v) => v,
            None => return Err(CheckFailure(format!("{}:{}: {}", file!(), line!(), format!($($fmt)+)))),
        }
    };
}

mod alerts;
mod audit;
mod file_recipients;
mod fixtures;
mod identities;
mod leases;
mod mfa;
mod prune;
mod secrets;
mod stages;
mod versions;
pub use alerts::alert_outbox_queues_once_and_retries;
pub use audit::{
    audit_append_and_verify, audit_concurrent_appends, audit_counts_round_trip, audit_list_filters,
    audit_seqs_never_reused, audit_since_survives_clock_steps, writes_commit_their_audit_record,
};
pub use file_recipients::file_recipients_are_created_once;
pub use fixtures::{REGION, audited, audited_as, event, new_secret, new_version, test_audit_key};
pub use identities::{policies_and_attachments, principals_and_keys};
pub use leases::{lease_is_exclusive_until_it_lapses, lease_race_has_one_winner};
pub use mfa::mfa_devices_and_used_steps;
pub use prune::{version_limit_prunes_like_aws, version_prune};
pub use secrets::{
    secret_create_get, secret_duplicate_names, secret_list, secret_purge,
    secret_replace_is_all_or_nothing, secret_update_patch, settings,
};
pub use stages::{version_move_stage, version_stage_chain};
pub use versions::{
    secret_and_version_read, version_add_after_is_optimistic, version_add_after_race,
    version_replay_and_conflict,
};

/// Declares one `#[tokio::test]` per conformance check, each on a store fresh from
/// `$fresh`: a function returning `(guard, store)`, where the guard (a temporary
/// directory, a scratch database) lives until the test ends. A backend's test file
/// adds the whole suite with one line, `keyward_store::conformance_tests!(fresh);`,
/// and needs `tokio` among its dev-dependencies.
///
/// The `@each` arm holds the one list of checks: these tests and [`run_all`] both
/// expand it, so a new check is added once and every backend runs it.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:path) => {
        $crate::conformance_tests!(@each tests ($fresh));
    };
    (@each $mode:ident $args:tt) => {
        $crate::conformance_tests!(@$mode $args [
            settings,
            secret_create_get,
            secret_duplicate_names,
            secret_list,
            secret_update_patch,
            secret_purge,
            version_replay_and_conflict,
            version_stage_chain,
            secret_and_version_read,
            version_move_stage,
            version_prune,
            version_limit_prunes_like_aws,
            version_add_after_is_optimistic,
            principals_and_keys,
            policies_and_attachments,
            audit_append_and_verify,
            audit_list_filters,
            audit_since_survives_clock_steps,
            writes_commit_their_audit_record,
            secret_replace_is_all_or_nothing,
            audit_counts_round_trip,
            lease_is_exclusive_until_it_lapses,
            mfa_devices_and_used_steps,
            file_recipients_are_created_once,
            alert_outbox_queues_once_and_retries,
        ] [
            // Concurrent checks: a shared store and how hard to race on it.
            lease_race_has_one_winner(8),
            audit_concurrent_appends(8, 50),
            version_add_after_race(8, 10),
            audit_seqs_never_reused(),
        ]);
    };
    (@tests ($fresh:path) [$($check:ident),* $(,)?] [$($race:ident($($arg:expr),*)),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let (_guard, store) = $fresh();
                if let Err(e) = $crate::conformance::$check(&store).await {
                    panic!("{e}");
                }
            }
        )*
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $race() {
                let (_guard, store) = $fresh();
                let store = ::std::sync::Arc::new(store);
                if let Err(e) = $crate::conformance::$race(store $(, $arg)*).await {
                    panic!("{e}");
                }
            }
        )*
    };
    (@run_all ($make:ident) [$($check:ident),* $(,)?] [$($race:ident($($arg:expr),*)),* $(,)?]) => {
        $(
            $crate::conformance::$check(&$make()?)
                .await
                .map_err(|e| $crate::conformance::CheckFailure(format!("{}: {}", stringify!($check), e.0)))?;
        )*
        $(
            $crate::conformance::$race(::std::sync::Arc::new($make()?) $(, $arg)*)
                .await
                .map_err(|e| $crate::conformance::CheckFailure(format!("{}: {}", stringify!($race), e.0)))?;
        )*
    };
}

/// Runs every check, each against a store fresh from `make`, and stops at the first
/// failure (prefixed with the check's name).
pub async fn run_all<S, F>(make: F) -> CheckResult
where
    S: Store,
    F: Fn() -> Result<S, StoreError>,
{
    crate::conformance_tests!(@each run_all (make));
    Ok(())
}
