//! `keyward rotation set|status|cancel` and `keyward rotate`.

use super::client;
use crate::output::print_json;
use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use keyward_client::api::rotation::{
    CancelResult, RotateOutcome, RotateRequest, RotationRan, RotationStatus, SetRotation,
};

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
        /// Print the rotation status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Abandon the rotation in progress: AWSCURRENT stays, AWSPENDING is dropped.
    Cancel {
        name: String,
        /// Print the result as JSON.
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
    /// Print the resulting rotation status as JSON.
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
    /// Print each secret's result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn rotation(c: RotationCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        RotationCmd::Set(a) => {
            let a = *a;
            let settings = SetRotation {
                rotator: a.rotator,
                schedule: a.schedule,
                window: a.window,
                master_secret: a.master_secret,
                command: a.command,
                url: a.url,
                format: a.format,
                length: a.length,
                field: a.field,
            };
            let v = cl.set_rotation(&a.name, &settings)?;
            if a.json {
                print_json(&v);
            } else {
                print_status(&v);
            }
        }
        RotationCmd::Status { name, json } => match &name {
            Some(n) => {
                let v = cl.rotation_status(n)?;
                if json {
                    print_json(&v);
                } else {
                    print_status(&v);
                }
            }
            None => {
                let v = cl.rotation_statuses()?;
                if json {
                    print_json(&v);
                } else {
                    if v.rotations.is_empty() {
                        println!(
                            "no secret has rotation configured (keyward rotation set NAME --rotator ...)"
                        );
                    }
                    for r in &v.rotations {
                        print_status(r);
                        println!();
                    }
                }
            }
        },
        RotationCmd::Cancel { name, json } => {
            let v = cl.cancel_rotation(&name)?;
            if json {
                print_json(&v);
            } else {
                match &v {
                    CancelResult::Cancelled(c) => println!(
                        "cancelled the rotation of {name} (version {}): {}",
                        c.version_id, c.note
                    ),
                    CancelResult::NotInProgress(n) => println!("{name}: {}", n.note),
                }
            }
        }
    }
    Ok(0)
}

/// An optional field as the text output shows it: `-` when unset.
fn s(v: &Option<impl std::fmt::Display>) -> String {
    v.as_ref().map_or_else(|| "-".into(), ToString::to_string)
}

fn print_status(v: &RotationStatus) {
    println!("{}", v.name);
    println!("  rotator:       {}", v.runs_as);
    println!(
        "  schedule:      {}{}",
        s(&v.schedule),
        if v.enabled {
            ""
        } else {
            " (rotation disabled)"
        }
    );
    println!("  last rotated:  {}", s(&v.last_rotated));
    println!("  next rotation: {}", s(&v.next_rotation));
    println!("  last error:    {}", s(&v.last_error));
    match &v.in_progress {
        Some(p) => println!(
            "  in progress:   token {}, next step {}, attempts {}, retry at {}",
            p.token,
            s(&p.next_step),
            p.attempts,
            s(&p.retry_at)
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
    let req = RotateRequest {
        dry_run: a.dry_run,
        ..Default::default()
    };
    let (items, failed) = match &name {
        Some(n) => {
            let v = cl.rotate(n, &req)?;
            if a.json {
                print_json(&v);
            }
            (vec![v], 0)
        }
        None => {
            let v = cl.rotate_all(&req)?;
            if a.json {
                print_json(&v);
            }
            (v.results, v.failed)
        }
    };
    if !a.json {
        for r in &items {
            print_result(r, a.dry_run);
        }
        if items.is_empty() {
            println!("no secret has rotation configured");
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

fn print_result(r: &RotateOutcome, dry_run: bool) {
    match r {
        RotateOutcome::Plan(p) => print_plan(
            &p.name,
            p.would_rotate,
            &p.why,
            Some(&p.rotator),
            &p.schedule,
            &p.next_rotation,
        ),
        RotateOutcome::Refused(p) => {
            print_plan(&p.name, p.would_rotate, &p.why, None, &None, &None)
        }
        // A dry run changes nothing: an answer that says otherwise shows as a skip.
        RotateOutcome::Ran(r) if dry_run => print_plan(&r.name, false, "-", None, &None, &None),
        RotateOutcome::Ran(r) => print_ran(r),
    }
}

fn print_plan(
    name: &str,
    would_rotate: bool,
    why: &str,
    rotator: Option<&String>,
    schedule: &Option<String>,
    next_rotation: &Option<String>,
) {
    let verb = if would_rotate {
        "would rotate"
    } else {
        "would skip"
    };
    println!(
        "{name}: {verb} ({why}); rotator {}, schedule {}, next {}",
        s(&rotator),
        s(schedule),
        s(next_rotation)
    );
}

fn print_ran(r: &RotationRan) {
    let name = &r.name;
    if r.rotated {
        println!("{name}: rotated (new version {})", s(&r.version_id));
    } else if let Some(e) = &r.error {
        println!("{name}: FAILED: {e}");
    } else {
        println!("{name}: not rotated: {}", s(&r.note));
    }
}

/// Rotates each leaked secret through its configured rotator (reason `leak`),
/// reporting on stderr so the scan's own output format stays intact.
pub fn rotate_leaked(cl: &keyward_client::Client, names: Vec<String>) -> Result<()> {
    let req = RotateRequest {
        reason: Some("leak".into()),
        ..Default::default()
    };
    for name in names {
        match cl.rotate(&name, &req) {
            Ok(RotateOutcome::Ran(r)) if r.rotated => {
                eprintln!(
                    "rotated leaked secret {name} (new version {})",
                    s(&r.version_id)
                );
            }
            Ok(RotateOutcome::Ran(r)) => {
                eprintln!("leaked secret {name} was not rotated: {}", s(&r.note))
            }
            Ok(_) => eprintln!("leaked secret {name} was not rotated: -"),
            Err(e) => eprintln!("leaked secret {name} could not be rotated: {e}"),
        }
    }
    Ok(())
}
