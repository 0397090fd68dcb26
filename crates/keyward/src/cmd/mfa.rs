//! mfa enable, login --mfa.

use super::client;
use crate::cli::{LoginArgs, MfaCmd};
use anyhow::{Context, Result};
use reqwest::Method;
use serde_json::json;

pub fn mfa(c: MfaCmd) -> Result<i32> {
    match c {
        MfaCmd::Enable { json } => {
            let v = client()?.call(
                Method::POST,
                "/v1/mfa/enable",
                &[],
                Some(&json!({})),
                "MFA device",
            )?;
            let secret = v["secret"].as_str().context("the server sent no secret")?;
            let uri = v["otpauth_uri"]
                .as_str()
                .context("the server sent no otpauth_uri")?;
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
    let v = c.call(
        Method::POST,
        "/v1/sts/session",
        &[],
        Some(&json!({"code": a.mfa, "duration_seconds": a.duration_seconds})),
        "MFA session",
    )?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_string)
            .with_context(|| format!("the server's answer has no {k}"))
    };
    let (id, secret, token, exp) = (
        field("AccessKeyId")?,
        field("SecretAccessKey")?,
        field("SessionToken")?,
        field("Expiration")?,
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
