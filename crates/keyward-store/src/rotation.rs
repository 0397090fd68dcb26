//! A secret's rotation: its configuration (typed, as AWS's `RotationRules` and
//! keyward's rotator options) and the persisted state of its rotations.

use time::OffsetDateTime;
use uuid::Uuid;

/// One secret's rotation row. Holds no value: the pending value is a version of
/// the secret labelled `AWSPENDING`, keyed by [`Rotation::pending_token`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rotation {
    pub secret_id: Uuid,
    pub config: RotationConfig,
    pub state: RotationState,
}

/// What to rotate with and when.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RotationConfig {
    /// `RotationEnabled`: on from RotateSecret or `rotation set`, off after
    /// CancelRotateSecret. The schedule runs only when on and rules exist.
    pub enabled: bool,
    /// The rotator's name (`generated`, `command`, ...); `None` when only a
    /// `RotationLambdaARN` is configured.
    pub rotator: Option<String>,
    /// `RotationLambdaARN` as given (mapped to a rotator by the server config, or
    /// left for the client to drive).
    pub lambda_arn: Option<String>,
    /// `RotationRules.AutomaticallyAfterDays`.
    pub after_days: Option<i64>,
    /// `RotationRules.ScheduleExpression`: `rate(...)` or `cron(...)`.
    pub schedule_expression: Option<String>,
    /// `RotationRules.Duration`: the window, e.g. `3h`.
    pub window: Option<String>,
    /// The admin secret's name or ARN (alternating users).
    pub master_secret: Option<String>,
    /// The `command` rotator's executable.
    pub command: Option<String>,
    /// The `webhook` rotator's URL.
    pub url: Option<String>,
    /// The `generated` rotator's format (`django`, `urlsafe`, `hex`, ...).
    pub gen_format: Option<String>,
    /// The `generated` rotator's length (characters or bytes, per format).
    pub gen_length: Option<i64>,
    /// The JSON field the `generated` rotator replaces (the whole value when `None`).
    pub gen_field: Option<String>,
}

/// Where the secret's rotations stand.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RotationState {
    pub last_rotated_at: Option<OffsetDateTime>,
    /// The next scheduled run, jitter included; persisted so a restart neither
    /// repeats nor skips it.
    pub next_rotation_at: Option<OffsetDateTime>,
    /// The `ClientRequestToken` of the rotation in progress.
    pub pending_token: Option<String>,
    /// The last step of that rotation that completed (`None`: none yet).
    pub pending_step: Option<String>,
    pub started_at: Option<OffsetDateTime>,
    /// Failed attempts of the rotation in progress (drives the backoff).
    pub attempts: i64,
    /// When the failed rotation is tried again.
    pub retry_at: Option<OffsetDateTime>,
    /// The last failure's message (names the step and cause, never a value).
    pub last_error: Option<String>,
    pub last_error_at: Option<OffsetDateTime>,
}
