//! Deletion with a recovery window and restore (the purge of secrets whose window
//! has passed is a job: `jobs::PurgeExpired`).

use crate::ctx::Audit;
use crate::error::ApiError;
use crate::state::AppState;
use keyward_store::{Secret, SecretPatch};
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
