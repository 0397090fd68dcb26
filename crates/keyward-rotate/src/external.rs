//! Rotators whose steps run outside keyward and write through its AWS API, as a
//! rotation Lambda does on AWS: the `command` rotator runs an executable per step,
//! the `webhook` rotator POSTs each step to a service. The code they run calls
//! `PutSecretValue(..., VersionStages=[AWSPENDING])` in `createSecret` and
//! `UpdateSecretVersionStage(AWSCURRENT)` in `finishSecret` itself; the engine
//! only checks afterwards that it did.

use crate::{RotateError, SecretString, Step};
use async_trait::async_trait;
use std::fmt;
use std::time::Duration;

/// What an external step is given: AWS's three event fields and the environment
/// (a temporary access key limited to this rotation, keyward's endpoint).
#[derive(Debug)]
pub struct ExternalContext<'a> {
    pub secret_arn: &'a str,
    pub secret_name: &'a str,
    pub token: &'a str,
    /// Extra environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_ENDPOINT_URL`, `SECRETS_MANAGER_ENDPOINT`, ...
    pub env: &'a [(String, SecretString)],
}

/// One external step runner.
#[async_trait]
pub trait ExternalRotator: Send + Sync + fmt::Debug {
    fn kind(&self) -> &'static str;
    /// Runs `step`; must be idempotent as a rotation Lambda's steps are.
    async fn step(&self, step: Step, ctx: &ExternalContext<'_>) -> Result<(), RotateError>;
}

/// The `command` rotator: runs `program` once per step with `SecretId`,
/// `ClientRequestToken` and `Step` in its environment (a Lambda's event), plus the
/// context's environment; nothing else of the server's environment but `PATH`,
/// `LANG` and `TZ`. Its output is discarded, never logged: a rotation program may
/// print values. A step that runs longer than `timeout` is killed.
#[derive(Debug)]
pub struct Command {
    pub program: std::path::PathBuf,
    pub timeout: Duration,
}

#[async_trait]
impl ExternalRotator for Command {
    fn kind(&self) -> &'static str {
        "command"
    }

    async fn step(&self, step: Step, ctx: &ExternalContext<'_>) -> Result<(), RotateError> {
        let mut cmd = tokio::process::Command::new(&self.program);
        // Nothing of the server's own environment (its root key may be there):
        // only what finds programs and what the rotation is given.
        cmd.env_clear();
        for keep in ["PATH", "LANG", "TZ", "SYSTEMROOT"] {
            if let Some(v) = std::env::var_os(keep) {
                cmd.env(keep, v);
            }
        }
        cmd.env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("SecretId", ctx.secret_arn)
            .env("ClientRequestToken", ctx.token)
            .env("Step", step.as_str())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        for (k, v) in ctx.env {
            cmd.env(k, v.expose());
        }
        let mut child = cmd.spawn().map_err(|e| {
            RotateError::Config(format!(
                "secret {}: cannot start the rotation command {}: {e}",
                ctx.secret_name,
                self.program.display()
            ))
        })?;
        let status = match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(s) => s.map_err(|e| RotateError::Target(format!("rotation command: {e}")))?,
            Err(_) => {
                let _ = child.kill().await;
                return Err(RotateError::Target(format!(
                    "secret {}: the rotation command {} ran longer than {} s in {step} and was killed",
                    ctx.secret_name,
                    self.program.display(),
                    self.timeout.as_secs()
                )));
            }
        };
        if status.success() {
            Ok(())
        } else {
            Err(RotateError::Target(format!(
                "secret {}: the rotation command {} failed in {step} ({status}); run it by hand with SecretId, ClientRequestToken and Step set to see its output",
                ctx.secret_name,
                self.program.display()
            )))
        }
    }
}

/// The `webhook` rotator: POSTs `{"SecretId", "ClientRequestToken", "Step"}` to
/// `url`, signed with keyward's one webhook signature (`Keyward-Signature`); any
/// 2xx answer completes the step.
pub struct Webhook {
    pub url: String,
    pub signing_secret: SecretString,
    pub timeout: Duration,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ExternalRotator for Webhook {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    async fn step(&self, step: Step, ctx: &ExternalContext<'_>) -> Result<(), RotateError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "SecretId": ctx.secret_arn,
            "ClientRequestToken": ctx.token,
            "Step": step.as_str(),
        }))
        .map_err(|e| RotateError::Config(format!("webhook body: {e}")))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let signature =
            keyward_crypto::sign_webhook(self.signing_secret.expose().as_bytes(), now, &body);
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| RotateError::Config(format!("webhook client: {e}")))?;
        let answer = client
            .post(&self.url)
            .header(keyward_crypto::SIGNATURE_HEADER, signature)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                RotateError::Target(format!(
                    "secret {}: the rotation webhook {} did not answer {step}: {}",
                    ctx.secret_name,
                    self.url,
                    e.without_url()
                ))
            })?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(RotateError::Target(format!(
                "secret {}: the rotation webhook {} answered {} to {step}",
                ctx.secret_name,
                self.url,
                answer.status()
            )))
        }
    }
}
