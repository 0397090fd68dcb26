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

impl Webhook {
    /// The URL as errors, logs and `Debug` show it: scheme, host and port only,
    /// since a path or query may carry the receiver's token.
    fn shown_url(&self) -> String {
        match reqwest::Url::parse(&self.url) {
            Ok(u) => format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or("?"),
                u.port().map(|p| format!(":{p}")).unwrap_or_default()
            ),
            Err(_) => "(an unparsable URL)".into(),
        }
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.shown_url())
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
        // No redirects: the URL is one the server config allows, and a redirect
        // would carry the signed step to one it does not.
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
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
                    self.shown_url(),
                    e.without_url()
                ))
            })?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(RotateError::Target(format!(
                "secret {}: the rotation webhook {} answered {} to {step}",
                ctx.secret_name,
                self.shown_url(),
                answer.status()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-request HTTP receiver on loopback: answers `status`, hands back
    /// the request's signature header and body.
    async fn receiver(status: u16) -> (String, tokio::task::JoinHandle<(String, Vec<u8>)>) {
        receiver_answering(status, "").await
    }

    /// [`receiver`] whose answer carries `headers` (each ending in `\r\n`).
    async fn receiver_answering(
        status: u16,
        headers: &str,
    ) -> (String, tokio::task::JoinHandle<(String, Vec<u8>)>) {
        let headers = headers.to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/rotate", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, length) = loop {
                let n = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    break (i + 4, len);
                }
            };
            while buf.len() < head_end + length {
                let n = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
            }
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let signature = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("keyward-signature: ")
                        .or_else(|| l.strip_prefix("Keyward-Signature: "))
                })
                .unwrap_or_default()
                .to_string();
            let answer = format!(
                "HTTP/1.1 {status} X\r\n{headers}content-length: 0\r\nconnection: close\r\n\r\n"
            );
            sock.write_all(answer.as_bytes()).await.unwrap();
            (signature, buf[head_end..head_end + length].to_vec())
        });
        (url, task)
    }

    fn ctx() -> ExternalContext<'static> {
        ExternalContext {
            secret_arn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:svc-AbCdEf",
            secret_name: "svc",
            token: "tok-1",
            env: &[],
        }
    }

    #[tokio::test]
    async fn a_webhook_step_is_a_signed_post_the_receiver_can_verify() {
        let (url, task) = receiver(204).await;
        let hook = Webhook {
            url,
            signing_secret: SecretString::new("whsec-test".into()),
            timeout: Duration::from_secs(5),
        };
        hook.step(Step::SetSecret, &ctx())
            .await
            .expect("2xx completes the step");
        let (signature, body) = task.await.unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        keyward_crypto::verify_webhook(b"whsec-test", &signature, &body, now, 300)
            .expect("signature verifies");
        assert!(keyward_crypto::verify_webhook(b"other", &signature, &body, now, 300).is_err());
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["Step"], "setSecret");
        assert_eq!(v["ClientRequestToken"], "tok-1");
        assert!(
            v["SecretId"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:secretsmanager:")
        );
        assert!(
            !format!("{hook:?}").contains("whsec-test"),
            "Debug hides the key"
        );
    }

    #[tokio::test]
    async fn a_webhook_redirect_is_not_followed() {
        // The allowed URL may not send the signed step on to one the server
        // config does not list.
        let elsewhere = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let location = format!("http://{}/internal", elsewhere.local_addr().unwrap());
        let (url, task) = receiver_answering(307, &format!("location: {location}\r\n")).await;
        let hook = Webhook {
            url,
            signing_secret: SecretString::new("k".into()),
            timeout: Duration::from_secs(5),
        };
        let err = hook.step(Step::SetSecret, &ctx()).await.unwrap_err();
        assert!(err.to_string().contains("307"), "{err}");
        task.await.unwrap();
        let reached = tokio::time::timeout(Duration::from_millis(300), elsewhere.accept()).await;
        assert!(reached.is_err(), "the redirect was followed");
    }

    #[tokio::test]
    async fn a_webhook_refusal_is_a_retryable_failure_naming_the_step() {
        let (url, task) = receiver(503).await;
        let hook = Webhook {
            url,
            signing_secret: SecretString::new("k".into()),
            timeout: Duration::from_secs(5),
        };
        let err = hook.step(Step::TestSecret, &ctx()).await.unwrap_err();
        assert!(err.is_retryable());
        assert!(
            err.to_string().contains("testSecret") && err.to_string().contains("503"),
            "{err}"
        );
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_command_gets_the_event_and_nothing_of_the_servers_environment() {
        let dir = std::env::temp_dir().join(format!("kw-cmd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("env.txt");
        let script = dir.join("rotate.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nenv > {}\n[ \"$Step\" = createSecret ]\n",
                out.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cmd = Command {
            program: script.clone(),
            timeout: Duration::from_secs(10),
        };
        let env = [(
            "AWS_ACCESS_KEY_ID".to_string(),
            SecretString::new("KWTEMP".into()),
        )];
        let c = ExternalContext { env: &env, ..ctx() };
        cmd.step(Step::CreateSecret, &c).await.expect("exit 0");
        let seen = std::fs::read_to_string(&out).unwrap();
        assert!(seen.contains("SecretId=arn:aws:secretsmanager:"));
        assert!(seen.contains("ClientRequestToken=tok-1"));
        assert!(seen.contains("AWS_ACCESS_KEY_ID=KWTEMP"));
        // Variables this test process has (as a server has its own) stay out.
        for own in ["HOME", "CARGO_MANIFEST_DIR", "CARGO_PKG_NAME"] {
            if std::env::var_os(own).is_some() {
                assert!(
                    !seen.contains(&format!("{own}=")),
                    "{own} leaked to the command"
                );
            }
        }
        let err = cmd.step(Step::SetSecret, &c).await.unwrap_err();
        assert!(err.to_string().contains("setSecret"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_webhook_url_s_path_and_query_never_reach_debug_output() {
        let w = Webhook {
            url: "https://hooks.example.com:8443/rotate/tok_9f8e7d?key=sk_query_123".into(),
            signing_secret: SecretString::from("whsec"),
            timeout: Duration::from_secs(1),
        };
        let shown = format!("{w:?}");
        assert!(shown.contains("https://hooks.example.com:8443"), "{shown}");
        assert!(
            !shown.contains("tok_9f8e7d") && !shown.contains("sk_query_123"),
            "{shown}"
        );
    }
}
