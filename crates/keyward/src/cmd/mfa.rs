//! mfa enable, login --mfa.

use super::client;
use crate::cli::{LoginArgs, MfaCmd};
use anyhow::Result;
use keyward_client::api::mfa::SessionRequest;
use keyward_crypto::SecretString;
use serde_json::json;

pub fn mfa(c: MfaCmd) -> Result<i32> {
    match c {
        MfaCmd::Enable { json } => {
            let v = client()?.enable_mfa()?;
            let (secret, uri) = (v.secret.expose(), v.otpauth_uri.expose());
            if json {
                crate::output::print_json(&json!({"secret": secret, "otpauth_uri": uri}));
                return Ok(0);
            }
            if let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) {
                let qr = code
                    .render::<qrcode::render::unicode::Dense1x2>()
                    .quiet_zone(true)
                    .build();
                println!("{qr}");
            }
            println!("scan the QR code with an authenticator app, or enter the secret by hand:");
            println!("  secret:      {secret}");
            println!("  otpauth URI: {uri}");
            println!(
                "then start a session with `keyward login --mfa CODE`; this is shown only now"
            );
            Ok(0)
        }
    }
}

pub fn login(a: LoginArgs) -> Result<i32> {
    let c = client()?;
    let v = c.start_session(&SessionRequest {
        code: SecretString::new(a.mfa),
        duration_seconds: Some(a.duration_seconds),
    })?;
    let (id, secret, token, exp) = (
        v.access_key_id.as_str(),
        v.secret_access_key.expose(),
        v.session_token.expose(),
        v.expiration.as_str(),
    );
    if a.json {
        crate::output::print_json(&json!({
            "AccessKeyId": id,
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": exp,
        }));
        return Ok(0);
    }
    println!("# MFA session until {exp}: paste these into your shell");
    println!("export KEYWARD_ACCESS_KEY_ID={id}");
    println!("export KEYWARD_SECRET_ACCESS_KEY='{secret}'");
    println!("export KEYWARD_SESSION_TOKEN='{token}'");
    println!("export AWS_ACCESS_KEY_ID={id}");
    println!("export AWS_SECRET_ACCESS_KEY='{secret}'");
    println!("export AWS_SESSION_TOKEN='{token}'");
    Ok(0)
}
