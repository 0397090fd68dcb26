//! `/v1/rotation`, `/v1/rotate`, `/v1/rotate-all`, `/v1/rotation-cancel`: how
//! secrets rotate, and rotating them now. None of these carries a value.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `PUT /v1/rotation/{name}`: replaces the secret's rotator settings.
/// Every setting is sent, `null` when not given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRotation {
    /// generated, postgres-single-user, postgres-alternating-users, command or webhook.
    pub rotator: String,
    /// `rate(N days|hours)` or AWS's six-field `cron(...)`.
    pub schedule: Option<String>,
    /// The window a scheduled rotation runs in, e.g. `3h`.
    pub window: Option<String>,
    /// The secret holding the admin credentials (alternating users).
    pub master_secret: Option<String>,
    /// The executable the command rotator runs per step.
    pub command: Option<String>,
    /// The URL the webhook rotator POSTs each step to.
    pub url: Option<String>,
    /// The generated rotator's format.
    pub format: Option<String>,
    /// The generated rotator's length.
    pub length: Option<i64>,
    /// Rotate only this field of a JSON secret.
    pub field: Option<String>,
}

/// One secret's rotation settings and state (`rotation status`). Every field is
/// always sent; the optional ones are `null` when unset.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationStatus {
    pub name: String,
    pub arn: String,
    pub enabled: bool,
    pub rotator: Option<String>,
    pub rotation_lambda_arn: Option<String>,
    /// What runs the steps here: a rotator's kind, `client`, or `misconfigured: ...`.
    pub runs_as: String,
    pub schedule: Option<String>,
    pub window: Option<String>,
    pub master_secret: Option<String>,
    pub command: Option<String>,
    pub url: Option<String>,
    pub format: Option<String>,
    pub length: Option<i64>,
    pub field: Option<String>,
    /// RFC 3339.
    pub last_rotated: Option<String>,
    pub next_rotation: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// The rotation under way; null when none is.
    pub in_progress: Option<RotationInProgress>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationInProgress {
    /// The pending version's id.
    pub token: String,
    pub last_completed_step: Option<String>,
    pub next_step: Option<String>,
    pub started_at: Option<String>,
    pub attempts: i64,
    pub retry_at: Option<String>,
}

/// `GET /v1/rotation`: every secret with rotation configured.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationList {
    pub rotations: Vec<RotationStatus>,
}

/// Body of `POST /v1/rotate/{name}` and `POST /v1/rotate-all` (may be empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// Say what would happen; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Why, kept in the audit record (e.g. `leak`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// rotate-all only: secrets under this prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// What rotating one secret did, or (dry run) would do. The shapes differ in
/// which fields they carry, so they are told apart by those fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum RotateOutcome {
    /// A dry run's answer, or rotate-all's for a secret it would not rotate.
    Plan(RotationPlan),
    /// rotate-all's answer for a secret the caller may not rotate.
    Refused(RotationRefused),
    /// A rotation that ran (or was staged for the client, or failed).
    Ran(RotationRan),
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationPlan {
    pub name: String,
    pub would_rotate: bool,
    pub why: String,
    /// `now` when it would rotate; null otherwise.
    pub when: Option<String>,
    /// The rotator that would run (as `runs_as` in the status).
    pub rotator: String,
    pub schedule: Option<String>,
    pub next_rotation: Option<String>,
    pub last_rotated: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationRefused {
    pub name: String,
    pub would_rotate: bool,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationRan {
    pub name: String,
    pub rotated: bool,
    /// The new (or pending) version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Why it did not rotate, when it did not (e.g. the client drives the steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The engine's state when the rotation stopped short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// rotate-all only: why this secret's rotation failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Answer to `POST /v1/rotate-all`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotateAllResult {
    pub dry_run: bool,
    pub results: Vec<RotateOutcome>,
    /// How many rotations failed.
    pub failed: u64,
}

/// Answer to `POST /v1/rotation-cancel/{name}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CancelResult {
    Cancelled(RotationCancelled),
    NotInProgress(NothingToCancel),
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationCancelled {
    pub name: String,
    /// Always true.
    pub cancelled: bool,
    /// The abandoned pending version.
    pub version_id: String,
    pub last_completed_step: Option<String>,
    /// Whether the target may already have seen the pending value.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NothingToCancel {
    pub name: String,
    /// Always false.
    pub cancelled: bool,
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Decodes `v` as `T` and encodes it again: the same JSON must come back, so a
    /// client that prints what it decoded prints what the server sent.
    fn round_trip<T: serde::de::DeserializeOwned + Serialize>(v: Value) -> T {
        let t: T = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&t).unwrap(), v);
        t
    }

    #[test]
    fn every_rotate_answer_keeps_its_shape() {
        let plan = json!({"name": "a", "would_rotate": false, "why": "w", "when": null,
            "rotator": "generated", "schedule": null, "next_rotation": null, "last_rotated": null});
        assert!(matches!(round_trip(plan), RotateOutcome::Plan(_)));
        let refused = json!({"name": "a", "would_rotate": false, "why": "no"});
        assert!(matches!(round_trip(refused), RotateOutcome::Refused(_)));
        for ran in [
            json!({"name": "a", "rotated": true, "version_id": "v"}),
            json!({"name": "a", "rotated": false, "version_id": "v", "note": "n"}),
            json!({"name": "a", "rotated": false, "state": "Waiting"}),
            json!({"name": "a", "rotated": false, "error": "e"}),
        ] {
            assert!(matches!(round_trip(ran), RotateOutcome::Ran(_)));
        }
        let all: RotateAllResult = round_trip(json!({"dry_run": true, "failed": 0, "results": [
            {"name": "a", "would_rotate": false, "why": "no"}]}));
        assert_eq!(all.results.len(), 1);
    }

    #[test]
    fn cancel_answers_keep_their_shape() {
        let c = json!({"name": "a", "cancelled": true, "version_id": "v",
            "last_completed_step": null, "note": "n"});
        assert!(matches!(round_trip(c), CancelResult::Cancelled(_)));
        let n = json!({"name": "a", "cancelled": false, "note": "n"});
        assert!(matches!(round_trip(n), CancelResult::NotInProgress(_)));
    }

    #[test]
    fn a_status_keeps_its_nulls() {
        let s = json!({"name": "a", "arn": "arn:a", "enabled": true, "rotator": null,
            "rotation_lambda_arn": null, "runs_as": "client", "schedule": "rate(1 days)",
            "window": null, "master_secret": null, "command": null, "url": null, "format": null,
            "length": 12, "field": null, "last_rotated": null, "next_rotation": null,
            "last_error": null, "last_error_at": null, "in_progress": {"token": "t",
            "last_completed_step": null, "next_step": "createSecret", "started_at": null,
            "attempts": 2, "retry_at": null}});
        let s: RotationStatus = round_trip(s);
        assert_eq!(s.in_progress.map(|p| p.attempts), Some(2));
    }
}
