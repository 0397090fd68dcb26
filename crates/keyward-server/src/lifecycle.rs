//! Deletion with a recovery window, restore, and the background purge of secrets
//! whose window has passed.

use crate::ctx::Audit;
use crate::error::ApiError;
use crate::state::AppState;
use keyward_store::{Secret, SecretPatch};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub const DEFAULT_RECOVERY_DAYS: i64 = 30;

/// Schedules deletion (returns the deletion date) or, with `force`, purges now (returns None).
pub async fn delete_secret(
    st: &AppState,
    secret: &Secret,
    recovery_window_days: Option<i64>,
    force: bool,
    audit: &mut Audit,
) -> Result<Option<OffsetDateTime>, ApiError> {
    if force && recovery_window_days.is_some() {
        return Err(ApiError::InvalidParameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
                .into(),
        ));
    }
    if force {
        st.write(audit, async |w| st.store.purge_secret(secret.id, w).await)
            .await?;
        st.publish(secret, "delete", None);
        return Ok(None);
    }
    let days = recovery_window_days.unwrap_or(DEFAULT_RECOVERY_DAYS);
    if !(7..=30).contains(&days) {
        return Err(ApiError::InvalidParameter(
            "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).".into(),
        ));
    }
    if let Some(at) = secret.deleted_at {
        // Already scheduled: AWS keeps the original date.
        return Ok(Some(at));
    }
    let at = OffsetDateTime::now_utc() + time::Duration::days(days);
    st.write(audit, async |w| {
        st.store
            .update_secret(
                secret.id,
                SecretPatch {
                    deleted_at: Some(Some(at)),
                    ..Default::default()
                },
                w,
            )
            .await
    })
    .await?;
    st.publish(secret, "delete", None);
    Ok(Some(at))
}

pub async fn restore_secret(
    st: &AppState,
    secret: &Secret,
    audit: &mut Audit,
) -> Result<(), ApiError> {
    st.write(audit, async |w| {
        st.store
            .update_secret(
                secret.id,
                SecretPatch {
                    deleted_at: Some(None),
                    ..Default::default()
                },
                w,
            )
            .await
    })
    .await?;
    st.publish(secret, "restore", None);
    Ok(())
}

/// Writes the summaries of folded authentication failures (see `auth_limit`).
pub fn spawn_auth_failure_summaries(st: Arc<AppState>) {
    tokio::spawn(async move {
        let every = (st.cfg.auth_limits.window / 4)
            .clamp(Duration::from_millis(250), Duration::from_secs(10));
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let Ok(keys) = st.keys() else { continue };
            for event in st.auth_limiter.take_summaries(false) {
                if let Err(e) = keys.audit.record(event).await {
                    tracing::error!(error = %e, "could not audit folded authentication failures");
                }
            }
        }
    });
}

/// Purges expired secrets once a minute, as the system principal: each purge is
/// recorded (one record per secret) in the purge's own transaction.
pub fn spawn_purger(st: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if st.is_sealed() {
                continue;
            }
            let mut audit = Audit::system("secretsmanager:DeleteSecret");
            let purged = st
                .write(&mut audit, async |w| {
                    st.store.purge_expired(OffsetDateTime::now_utc(), w).await
                })
                .await;
            match purged {
                Ok(arns) if !arns.is_empty() => {
                    tracing::info!(
                        count = arns.len(),
                        "purged secrets whose recovery window ended"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "purging expired secrets failed"),
            }
        }
    });
}
