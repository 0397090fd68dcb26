//! MFA: enrolling a TOTP device and trading a code for a session credential.

use crate::{Client, ClientError, Request};
use keyward_api::mfa::{MfaEnrolment, SessionCredentials, SessionRequest};

impl Client {
    /// Enrols a TOTP device for the caller; its secret is shown once.
    pub fn enable_mfa(&self) -> Result<MfaEnrolment, ClientError> {
        let req = Request::post("/v1/mfa/enable").json(&serde_json::json!({}))?;
        self.send(req, "MFA device", "mfa enable")
    }

    /// An MFA session credential for a current TOTP code.
    pub fn start_session(&self, req: &SessionRequest) -> Result<SessionCredentials, ClientError> {
        let r = Request::post("/v1/sts/session").json(req)?;
        self.send(r, "MFA session", "login --mfa")
    }
}
