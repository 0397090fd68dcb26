//! `rotation status`'s view of one secret: its settings, what runs it here, and
//! the state of the last and the current rotation. Never a value.

use super::engine::runner_for;
use crate::state::AppState;
use keyward_api::rotation::{RotationInProgress, RotationStatus};
use keyward_rotate::{Built, Step};
use keyward_store::{Rotation, Secret};
use time::OffsetDateTime;

fn rfc3339(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
}

/// The status of `secret`'s rotation `rot`, as `GET /v1/rotation/{name}` answers it.
pub fn status(st: &AppState, secret: &Secret, rot: &Rotation) -> RotationStatus {
    let c = &rot.config;
    let s = &rot.state;
    let in_progress = s.pending_token.as_ref().map(|t| RotationInProgress {
        token: t.clone(),
        last_completed_step: s.pending_step.clone(),
        next_step: s
            .pending_step
            .as_deref()
            .and_then(Step::parse)
            .map_or(Some(Step::CreateSecret), Step::next)
            .map(|step| step.as_str().to_owned()),
        started_at: rfc3339(s.started_at),
        attempts: s.attempts,
        retry_at: rfc3339(s.retry_at),
    });
    let runs_as = match runner_for(&st.cfg.rotation, c) {
        Ok(Some(Built::Values(r))) => r.kind().to_string(),
        Ok(Some(Built::External(r))) => r.kind().to_string(),
        Ok(None) => "client".into(),
        Err(e) => format!("misconfigured: {e}"),
    };
    RotationStatus {
        name: secret.name.clone(),
        arn: secret.arn.clone(),
        enabled: c.enabled,
        rotator: c.rotator.clone(),
        rotation_lambda_arn: c.lambda_arn.clone(),
        runs_as,
        schedule: c
            .schedule_expression
            .clone()
            .or(c.after_days.map(|d| format!("rate({d} days)"))),
        window: c.window.clone(),
        master_secret: c.master_secret.clone(),
        command: c.command.clone(),
        url: c.url.clone(),
        format: c.gen_format.clone(),
        length: c.gen_length,
        field: c.gen_field.clone(),
        last_rotated: rfc3339(s.last_rotated_at),
        next_rotation: rfc3339(s.next_rotation_at),
        last_error: s.last_error.clone(),
        last_error_at: rfc3339(s.last_error_at),
        in_progress,
    }
}
