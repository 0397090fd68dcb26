//! Rotation: settings and status, rotating now, cancelling.

use crate::{Client, ClientError, Request, encode_name};
use keyward_api::rotation::{
    CancelResult, RotateAllResult, RotateOutcome, RotateRequest, RotationList, RotationStatus,
    SetRotation,
};

impl Client {
    /// Replaces `name`'s rotator settings; returns its status.
    pub fn set_rotation(
        &self,
        name: &str,
        settings: &SetRotation,
    ) -> Result<RotationStatus, ClientError> {
        let path = format!("/v1/rotation/{}", encode_name(name));
        self.send(Request::put(&path).json(settings)?, name, "rotation set")
    }

    pub fn rotation_status(&self, name: &str) -> Result<RotationStatus, ClientError> {
        let path = format!("/v1/rotation/{}", encode_name(name));
        self.send(Request::get(&path), name, "rotation status")
    }

    /// Every secret with rotation configured.
    pub fn rotation_statuses(&self) -> Result<RotationList, ClientError> {
        self.send(Request::get("/v1/rotation"), "rotation", "rotation status")
    }

    /// Rotates `name` now through its rotator (or, with `dry_run`, says what would happen).
    pub fn rotate(&self, name: &str, req: &RotateRequest) -> Result<RotateOutcome, ClientError> {
        let path = format!("/v1/rotate/{}", encode_name(name));
        self.send(Request::post(&path).json(req)?, name, "rotate")
    }

    /// Rotates every secret with a rotator this server can run.
    pub fn rotate_all(&self, req: &RotateRequest) -> Result<RotateAllResult, ClientError> {
        let r = Request::post("/v1/rotate-all").json(req)?;
        self.send(r, "rotate --all", "rotate --all")
    }

    /// Abandons the rotation in progress.
    pub fn cancel_rotation(&self, name: &str) -> Result<CancelResult, ClientError> {
        let path = format!("/v1/rotation-cancel/{}", encode_name(name));
        self.send(Request::post(&path), name, "rotation cancel")
    }
}
