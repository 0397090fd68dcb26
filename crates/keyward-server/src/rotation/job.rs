//! The scheduler's rotation job: on one server at a time (the cluster lease),
//! resumes rotations in progress whose retry time has come (after a crash too),
//! starts scheduled rotations that are due, fills in the next run of schedules
//! that have none yet, and deletes temporary access keys that runs killed with a
//! server left behind. The next run is persisted, so a restart neither
//! repeats a rotation nor runs one per missed period: an overdue secret rotates
//! once and its next run is computed from then.

use super::engine::{self, Driven, next_run};
use super::temp_access::TempAccess;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::jobs::Job;
use crate::state::AppState;
use async_trait::async_trait;
use std::time::Duration;
use time::OffsetDateTime;

#[derive(Debug)]
pub struct RotationJob {
    every: Duration,
}

impl RotationJob {
    pub fn new(every: Duration) -> Self {
        Self { every }
    }
}

#[async_trait]
impl Job for RotationJob {
    fn name(&self) -> &'static str {
        "rotation"
    }

    fn every(&self) -> Duration {
        self.every
    }

    async fn run(&self, st: &AppState) -> Result<(), ApiError> {
        TempAccess::remove_finished(st).await?;
        let now = OffsetDateTime::now_utc();
        for mut rot in st.store.list_rotations().await? {
            let id = rot.secret_id;
            let Some(secret) = st.store.get_secret_by_id(id).await? else {
                continue;
            };
            if secret.deleted_at.is_some() {
                continue;
            }
            if rot.state.pending_token.is_some() {
                if rot.state.retry_at.is_none_or(|t| t <= now) {
                    report(&secret.name, engine::drive(st, id).await);
                }
                continue;
            }
            if !rot.config.enabled {
                continue;
            }
            match rot.state.next_rotation_at {
                None => {
                    // A schedule without a next run (set before this server knew
                    // it, or just configured): persist one.
                    let Some(next) = next_run(st, &rot.config, rot.state.last_rotated_at, now)
                    else {
                        continue;
                    };
                    rot.state.next_rotation_at = Some(next);
                    let mut audit = Audit::system(crate::action::Action::PutRotationConfig);
                    audit.resource(secret.arn.clone());
                    st.write(&mut audit, async |w| st.store.put_rotation(rot, w).await)
                        .await?;
                }
                Some(due) if due <= now => {
                    if engine::runner_for(&st.cfg.rotation, &rot.config)
                        .ok()
                        .flatten()
                        .is_none()
                    {
                        continue; // client-driven: nothing here can run it
                    }
                    let token = uuid::Uuid::new_v4().to_string();
                    match engine::begin(st, &secret, &token).await {
                        Ok(()) => report(&secret.name, engine::drive(st, id).await),
                        Err(e) => {
                            tracing::warn!(secret = %secret.name, error = %e, "scheduled rotation could not start")
                        }
                    }
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

fn report(name: &str, result: Result<Driven, ApiError>) {
    match result {
        Ok(Driven::Rotated { token }) => {
            tracing::info!(secret = %name, token, "rotated");
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(secret = %name, error = %e, "rotation failed; retried with backoff")
        }
    }
}
