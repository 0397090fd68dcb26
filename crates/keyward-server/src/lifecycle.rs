//! Deletion with a recovery window, restore, and the background purge of secrets
//! whose window has passed.

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
    request_id: &str,
) -> Result<Option<OffsetDateTime>, ApiError> {
    if force && recovery_window_days.is_some() {
        return Err(ApiError::InvalidParameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
                .into(),
        ));
    }
    if force {
        st.store
            .purge_secret(secret.id)
            .await
            .map_err(|e| ApiError::from_store(e, request_id))?;
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
    st.store
        .update_secret(
            secret.id,
            SecretPatch {
                deleted_at: Some(Some(at)),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| ApiError::from_store(e, request_id))?;
    st.publish(secret, "delete", None);
    Ok(Some(at))
}

pub async fn restore_secret(
    st: &AppState,
    secret: &Secret,
    request_id: &str,
) -> Result<(), ApiError> {
    st.store
        .update_secret(
            secret.id,
            SecretPatch {
                deleted_at: Some(None),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| ApiError::from_store(e, request_id))?;
    st.publish(secret, "restore", None);
    Ok(())
}

/// Purges expired secrets once a minute, auditing each purge as a system action.
pub fn spawn_purger(st: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Ok(keys) = st.keys() else { continue };
            match st.store.purge_expired(OffsetDateTime::now_utc()).await {
                Ok(arns) => {
                    for arn in arns {
                        let meta = crate::ctx::RequestMeta {
                            request_id: uuid::Uuid::new_v4().to_string(),
                            source_ip: None,
                            user_agent: None,
                        };
                        let mut audit =
                            crate::ctx::Audit::new(&meta, "secretsmanager:DeleteSecret", "system");
                        audit.resource(arn);
                        if let Err(e) = keys.audit.record(audit.event).await {
                            tracing::error!(error = %e, "could not audit a purge");
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "purging expired secrets failed"),
            }
        }
    });
}
