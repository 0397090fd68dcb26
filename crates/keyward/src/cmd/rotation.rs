//! `keyward rotation set|status|cancel` and `keyward rotate`.

use super::client;
use crate::output::print_json;
use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use keyward_client::encode_name;
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum RotationCmd {
    /// Configure how a secret rotates (replaces its earlier rotator settings).
    ///
    /// Rotators: generated (a new random value; --format django|urlsafe|hex|base64|
    /// password|uuid|jwt-hmac, --length, --field to rotate one field of a JSON
    /// secret keeping previous_key and rotated_at), postgres-single-user,
    /// postgres-alternating-users (--master-secret NAME holds the admin login),
    /// command (--command PATH runs once per step, as an AWS rotation Lambda), and
    /// webhook (--url, a signed POST per step).
    ///
    /// Examples:
    ///   keyward rotation set production/django/secret_key --rotator generated --format django --schedule 'rate(30 days)'
    ///   keyward rotation set production/api-keys/resend --rotator generated --field api_key --schedule 'cron(0 3 ? * SUN *)'
    Set(Box<SetArgs>),
    /// Show rotation status: last run, next run, last error, step in progress.
    Status {
        /// One secret (default: every secret with rotation configured).
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Abandon the rotation in progress: AWSCURRENT stays, AWSPENDING is dropped.
    Cancel {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The secret.
    pub name: String,
    /// generated, postgres-single-user, postgres-alternating-users, command or webhook.
    #[arg(long)]
    pub rotator: String,
    /// rate(N days|hours) or AWS's six-field cron(min hour day-of-month month day-of-week year);
    /// without it the secret rotates only when asked.
    #[arg(long)]
    pub schedule: Option<String>,
    /// The window the scheduled rotation runs in, e.g. 3h (AWS's Duration).
    #[arg(long)]
    pub window: Option<String>,
    /// The secret holding the admin credentials (alternating users).
    #[arg(long)]
    pub master_secret: Option<String>,
    /// The executable the command rotator runs per step.
    #[arg(long)]
    pub command: Option<String>,
    /// The URL the webhook rotator POSTs each step to.
    #[arg(long)]
    pub url: Option<String>,
    /// The generated rotator's format.
    #[arg(long)]
    pub format: Option<String>,
    /// The generated rotator's length (characters, or bytes for urlsafe/hex/base64).
    #[arg(long)]
    pub length: Option<i64>,
    /// Rotate only this field of a JSON secret (keeps previous_key and rotated_at).
    #[arg(long)]
    pub field: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// The seed's secret kinds and their path segments.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SecretType {
    Database,
    ApiKey,
    Generated,
}

impl SecretType {
    fn segment(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::ApiKey => "api-keys",
            Self::Generated => "generated",
        }
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["secret", "all", "kind"])))]
pub struct RotateArgs {
    /// The secret to rotate.
    #[arg(value_name = "NAME")]
    pub secret: Option<String>,
    /// Every secret with a rotator this server can run.
    #[arg(long, conflicts_with = "secret")]
    pub all: bool,
    /// Print exactly what would rotate, when and why; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The seed's form: --type database --name primary rotates {env}/database/primary.
    #[arg(long = "type", value_name = "TYPE", requires = "short_name", conflicts_with_all = ["secret", "all"])]
    pub kind: Option<SecretType>,
    /// The name under --type.
    #[arg(long = "name", value_name = "N", requires = "kind")]
    pub short_name: Option<String>,
    /// The environment for --type (default: $ENVIRONMENT).
    #[arg(long = "env", value_name = "E", env = "ENVIRONMENT", requires = "kind")]
    pub env: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| json!(s))
}

pub fn rotation(c: RotationCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        RotationCmd::Set(a) => {
            let body = json!({
                "rotator": a.rotator, "schedule": opt(&a.schedule), "window": opt(&a.window),
                "master_secret": opt(&a.master_secret), "command": opt(&a.command), "url": opt(&a.url),
                "format": opt(&a.format), "length": a.length, "field": opt(&a.field),
            });
            let v = cl.call(
                Method::PUT,
                &format!("/v1/rotation/{}", encode_name(&a.name)),
                &[],
                Some(&body),
                &a.name,
            )?;
            if a.json {
                print_json(&v);
            } else {
                print_status(&v);
            }
        }
        RotationCmd::Status { name, json } => {
            let v = match &name {
                Some(n) => cl.call(
                    Method::GET,
                    &format!("/v1/rotation/{}", encode_name(n)),
                    &[],
                    None,
                    n,
                )?,
                None => cl.call(Method::GET, "/v1/rotation", &[], None, "rotation")?,
            };
            if json {
                print_json(&v);
            } else if name.is_some() {
                print_status(&v);
            } else {
                let list = v["rotations"].as_array().cloned().unwrap_or_default();
                if list.is_empty() {
                    println!(
                        "no secret has rotation configured (keyward rotation set NAME --rotator ...)"
                    );
                }
                for r in &list {
                    print_status(r);
                    println!();
                }
            }
        }
        RotationCmd::Cancel { name, json } => {
            let v = cl.call(
                Method::POST,
                &format!("/v1/rotation-cancel/{}", encode_name(&name)),
                &[],
                None,
                &name,
            )?;
            if json {
                print_json(&v);
            } else if v["cancelled"] == json!(true) {
                println!(
                    "cancelled the rotation of {name} (version {}): {}",
                    s(&v["version_id"]),
                    s(&v["note"])
                );
            } else {
                println!("{name}: {}", s(&v["note"]));
            }
        }
    }
    Ok(0)
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_status(v: &Value) {
    println!("{}", s(&v["name"]));
    println!("  rotator:       {}", s(&v["runs_as"]));
    println!(
        "  schedule:      {}{}",
        s(&v["schedule"]),
        if v["enabled"] == json!(true) {
            ""
        } else {
            " (rotation disabled)"
        }
    );
    println!("  last rotated:  {}", s(&v["last_rotated"]));
    println!("  next rotation: {}", s(&v["next_rotation"]));
    println!("  last error:    {}", s(&v["last_error"]));
    match v["in_progress"].as_object() {
        Some(p) => println!(
            "  in progress:   token {}, next step {}, attempts {}, retry at {}",
            s(&p["token"]),
            s(&p["next_step"]),
            s(&p["attempts"]),
            s(&p["retry_at"])
        ),
        None => println!("  in progress:   -"),
    }
}

pub fn rotate(a: RotateArgs) -> Result<i32> {
    let name = match (&a.secret, a.kind) {
        (Some(n), _) => Some(n.clone()),
        (None, Some(kind)) => {
            let Some(env) = a.env.as_deref().filter(|e| !e.is_empty()) else {
                bail!(
                    "--type needs an environment: pass --env production (or set ENVIRONMENT); keyward will not guess which one to rotate"
                );
            };
            let short = a.short_name.as_deref().unwrap_or_default();
            Some(format!("{env}/{}/{short}", kind.segment()))
        }
        (None, None) => None,
    };
    let cl = client()?;
    let body = json!({"dry_run": a.dry_run});
    let v = match &name {
        Some(n) => cl.call(
            Method::POST,
            &format!("/v1/rotate/{}", encode_name(n)),
            &[],
            Some(&body),
            n,
        )?,
        None => cl.call(
            Method::POST,
            "/v1/rotate-all",
            &[],
            Some(&body),
            "rotate --all",
        )?,
    };
    if a.json {
        print_json(&v);
        return Ok(if v["failed"].as_u64().unwrap_or(0) > 0 {
            1
        } else {
            0
        });
    }
    let items = match v["results"].as_array() {
        Some(list) => list.clone(),
        None => vec![v.clone()],
    };
    for r in &items {
        print_result(r, a.dry_run);
    }
    if items.is_empty() {
        println!("no secret has rotation configured");
    }
    Ok(if v["failed"].as_u64().unwrap_or(0) > 0 {
        1
    } else {
        0
    })
}

fn print_result(r: &Value, dry_run: bool) {
    let name = s(&r["name"]);
    if dry_run || r.get("would_rotate").is_some() {
        let verb = if r["would_rotate"] == json!(true) {
            "would rotate"
        } else {
            "would skip"
        };
        println!(
            "{name}: {verb} ({}); rotator {}, schedule {}, next {}",
            s(&r["why"]),
            s(&r["rotator"]),
            s(&r["schedule"]),
            s(&r["next_rotation"])
        );
    } else if r["rotated"] == json!(true) {
        println!("{name}: rotated (new version {})", s(&r["version_id"]));
    } else if let Some(e) = r["error"].as_str() {
        println!("{name}: FAILED: {e}");
    } else {
        println!("{name}: not rotated: {}", s(&r["note"]));
    }
}

/// Rotates each leaked secret through its configured rotator (reason `leak`),
/// reporting on stderr so the scan's own output format stays intact.
pub fn rotate_leaked(cl: &keyward_client::Client, names: Vec<String>) -> Result<()> {
    let body = json!({"reason": "leak"});
    for name in names {
        match cl.call(
            Method::POST,
            &format!("/v1/rotate/{}", encode_name(&name)),
            &[],
            Some(&body),
            &name,
        ) {
            Ok(v) if v["rotated"] == json!(true) => {
                eprintln!(
                    "rotated leaked secret {name} (new version {})",
                    s(&v["version_id"])
                );
            }
            Ok(v) => eprintln!("leaked secret {name} was not rotated: {}", s(&v["note"])),
            Err(e) => eprintln!("leaked secret {name} could not be rotated: {e}"),
        }
    }
    Ok(())
}
