//! Printing results and turning errors into hints and exit codes.

use keyward_client::ClientError;

/// Prints `v` as pretty JSON. It goes through `serde_json::Value`, whose objects
/// keep their keys sorted, so the output's key order does not depend on a type's
/// field order: `--json` output stays the same whichever type carries it.
pub fn print_json<T: serde::Serialize + ?Sized>(v: &T) {
    let v = serde_json::to_value(v).unwrap_or_default();
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
}

/// A next step for common failures.
pub fn hint_for(e: &anyhow::Error) -> Option<&'static str> {
    match e.downcast_ref::<ClientError>()? {
        ClientError::Transport(_) => {
            Some("start a server with `keyward dev`, or point KEYWARD_ADDR at one")
        }
        ClientError::Api { code, .. } if code == "expired_token" => {
            Some("the MFA session has ended: start a new one with `keyward login --mfa CODE`")
        }
        ClientError::Unauthenticated { .. } => {
            Some("check KEYWARD_ACCESS_KEY_ID / KEYWARD_SECRET_ACCESS_KEY (and the client's clock)")
        }
        ClientError::AccessDenied { message } if message.contains("MFA code") => Some(
            "codes change every 30 s and each works once: enter the one your authenticator app shows now",
        ),
        ClientError::AccessDenied { .. } => Some(
            "attach a policy that allows this action: `keyward policy put` + `keyward principal attach`",
        ),
        // The server's own message may already point at `keyward ls`.
        ClientError::SecretNotFound { message, .. } if message.contains("keyward ls") => None,
        ClientError::SecretNotFound { .. } => Some("list what exists with `keyward ls PREFIX`"),
        ClientError::Config(_) => Some("run `keyward dev` and paste the exports it prints"),
        _ => None,
    }
}

/// 1 for "not found", 3 for auth problems, 2 otherwise.
pub fn exit_code_for(e: &anyhow::Error) -> i32 {
    match e.downcast_ref::<ClientError>() {
        Some(ClientError::SecretNotFound { .. }) => 1,
        Some(ClientError::AccessDenied { .. } | ClientError::Unauthenticated { .. }) => 3,
        Some(ClientError::Api { code, .. }) if code == "expired_token" => 3,
        _ => 2,
    }
}
