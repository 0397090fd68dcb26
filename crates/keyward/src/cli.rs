//! Command-line definitions. Each subcommand's code lives in `cmd/`.

use crate::serve_config::ServeTuning;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "keyward",
    version,
    about = "A secrets manager in one binary: encrypted store, AWS-compatible API, audit log, leak scanner",
    long_about = "keyward stores secrets encrypted at rest, versions them, and serves them over a native JSON API and the AWS Secrets Manager / SSM Parameter Store APIs (SigV4), with IAM-style policies and a tamper-evident audit log.\n\nStart a local server:   keyward dev\nStore a secret:         keyward put /myapp/prod/database_url --stdin   (value on standard input: not in `ps` or shell history)\nRead it back:           keyward get /myapp/prod/database_url\n\nThe CLI finds the server in KEYWARD_ADDR and its credentials in KEYWARD_ACCESS_KEY_ID / KEYWARD_SECRET_ACCESS_KEY."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a local development server in ./.keyward (creates it on first run).
    Dev(DevArgs),
    /// Create a data directory: database, root key, first admin principal.
    Init(InitArgs),
    /// Run the server on an initialised data directory.
    Serve(ServeArgs),
    /// Store a new version of a secret (creates the secret if needed).
    Put(PutArgs),
    /// Print a secret's value.
    Get(GetArgs),
    /// List secret names under a prefix (never values).
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Show a secret's versions and staging labels.
    History(NameJson),
    /// Schedule a secret for deletion (or delete it now with --force).
    Rm(RmArgs),
    /// Cancel a scheduled deletion.
    Restore(NameJson),
    /// Manage principals (identities that hold access keys).
    #[command(subcommand)]
    Principal(PrincipalCmd),
    /// Manage access keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Manage IAM-style policies.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Read and verify the audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Alerts: recent alerts and their delivery, and test sends to a sink.
    #[command(subcommand)]
    Alert(AlertCmd),
    /// Print a bearer token for the native API (for curl and scripts).
    Token,
    /// Multi-factor authentication (TOTP) for the calling principal.
    #[command(subcommand)]
    Mfa(MfaCmd),
    /// Server recipients for encrypted files: age keys the server holds and never
    /// gives out. Encrypt to `server:NAME`; decrypt with `--server-recipient NAME`
    /// (the server opens values for callers its policies allow, `keyward:DecryptFile`
    /// on the recipient's ARN, and audits every decryption).
    #[command(subcommand)]
    FileRecipient(FileRecipientCmd),
    /// Trade a TOTP code for a short-lived MFA session credential.
    ///
    /// Prints AccessKeyId, SecretAccessKey, SessionToken and Expiration (--json),
    /// or export lines for KEYWARD_* and AWS_* (AWS_SESSION_TOKEN) to paste into a
    /// shell. Requests made with the session carry aws:MultiFactorAuthPresent and
    /// aws:MultiFactorAuthAge, which policies can require.
    Login(LoginArgs),
    /// Configure rotation: rotator, schedule, status, cancel.
    #[command(subcommand)]
    Rotation(crate::cmd::rotation::RotationCmd),
    /// Rotate a secret now through its configured rotator (or every one with --all).
    Rotate(crate::cmd::rotation::RotateArgs),
    /// Scan files or git history for leaked secrets.
    Scan(keyward_scan::cli::ScanArgs),
    /// Run a command with the app's declared variables resolved and checked (keyward.toml).
    Run(crate::cmd::app::RunArgs),
    /// Resolve and validate the app's variables without running anything (exit 1 on problems).
    Check(crate::cmd::app::CheckArgs),
    /// Write Markdown documentation of every variable declared in keyward.toml.
    Docs(crate::cmd::app::DocsArgs),
    /// Write a .env.example from keyward.toml (names and examples, never values).
    Example(crate::cmd::app::DocsArgs),
    /// Generate a random secret (Django key, token, hex, base64, password, UUID).
    Gen(crate::cmd::app::GenArgs),
    /// Store every variable of a .env / JSON file or secrets directory under a prefix.
    Import(crate::cmd::app::ImportArgs),
    /// Write the secrets under a prefix as dotenv, JSON, YAML, shell, k8s or a secrets directory.
    Export(crate::cmd::app::ExportArgs),
    /// Find hard-coded secrets, committed .env files and other misconfigurations in a repo.
    Doctor(crate::cmd::app::DoctorArgs),
    /// Encrypted config files: keygen, encrypt, decrypt, edit, set, rekey, merge-driver, textconv.
    #[command(flatten)]
    Files(crate::cmd::files::FilesCmd),
    /// Print shell completions.
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Seal and unseal, recovery, root-key rotation, backups.
    #[command(subcommand)]
    Operator(crate::cmd::operator::OperatorCmd),
    /// Write man pages into a directory.
    Man {
        /// Output directory.
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Data directory.
    #[arg(long, default_value = ".keyward")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8200")]
    pub listen: SocketAddr,
    /// Serve HTTPS with a development certificate made (once) in DATA_DIR/tls/ by
    /// a throwaway CA; the exports printed point KEYWARD_CACERT and AWS_CA_BUNDLE
    /// at that CA so the CLI and the AWS SDKs trust it.
    #[arg(long)]
    pub tls: bool,
    #[command(flatten)]
    pub tuning: ServeTuning,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Data directory to create.
    #[arg(long, env = "KEYWARD_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Print the admin credentials as JSON.
    #[arg(long)]
    pub json: bool,
    /// Use this access key id for the admin instead of a generated one (e.g. for test suites).
    #[arg(long, requires = "admin_secret_access_key")]
    pub admin_access_key_id: Option<String>,
    /// Secret access key for --admin-access-key-id.
    #[arg(long, requires = "admin_access_key_id")]
    pub admin_secret_access_key: Option<String>,
    /// Name of the first admin principal.
    #[arg(long, default_value = "admin")]
    pub admin_name: String,
    /// AWS account id used in ARNs.
    #[arg(long, default_value = "000000000000")]
    pub account_id: String,
    /// Default AWS region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Derive the root key from KEYWARD_PASSPHRASE (Argon2id) instead of writing a key file.
    #[arg(long, conflicts_with = "key_shares")]
    pub passphrase: bool,
    /// Split a new root key into N unseal shares (Shamir) instead of writing a key
    /// file. The shares are printed once (`unseal_shares` with --json); give one to
    /// each key holder. The server then starts sealed until --key-threshold of
    /// them arrive through `keyward operator unseal SHARE`.
    #[arg(long, value_name = "N", requires = "key_threshold", value_parser = clap::value_parser!(u8).range(2..=255))]
    pub key_shares: Option<u8>,
    /// How many of the --key-shares unseal the server (2 to N).
    #[arg(long, value_name = "K", requires = "key_shares", value_parser = clap::value_parser!(u8).range(2..=255))]
    pub key_threshold: Option<u8>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The server's TOML config file (every key: docs/server-config.md). Flags and
    /// environment variables override it. Not the app's `keyward.toml`, which
    /// `--config`/`KEYWARD_CONFIG` name on the app commands.
    #[arg(long, env = "KEYWARD_SERVER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (or `data_dir` in the config file).
    #[arg(long, env = "KEYWARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on. [default: 127.0.0.1:8200]
    #[arg(long, env = "KEYWARD_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Root key file (otherwise KEYWARD_ROOT_KEY, KEYWARD_ROOT_KEY_FILE, KEYWARD_PASSPHRASE or DIR/root.key).
    #[arg(long)]
    pub root_key_file: Option<PathBuf>,
    #[command(flatten)]
    pub tuning: ServeTuning,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    /// Secret name, e.g. /myapp/prod/database_url.
    pub name: String,
    /// The value (prefer --stdin or --from-file: arguments show up in `ps` and shell history).
    pub value: Option<String>,
    /// Read the value from a file.
    #[arg(long, conflicts_with_all = ["value", "stdin"])]
    pub from_file: Option<PathBuf>,
    /// Read the value from standard input.
    #[arg(long, conflicts_with = "value")]
    pub stdin: bool,
    /// Description for a new secret.
    #[arg(long)]
    pub description: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    pub name: String,
    /// A specific version id.
    #[arg(long)]
    pub version_id: Option<String>,
    /// A staging label (AWSCURRENT, AWSPREVIOUS, AWSPENDING, ...).
    #[arg(long)]
    pub stage: Option<String>,
    /// Print one field of a JSON secret.
    #[arg(long)]
    pub field: Option<String>,
    /// Print the value with its metadata as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Name prefix, e.g. /myapp/prod/.
    pub prefix: Option<String>,
    /// Only direct children of the prefix.
    #[arg(long)]
    pub no_recursive: bool,
    /// Include secrets scheduled for deletion.
    #[arg(long)]
    pub include_deleted: bool,
    /// Print the secrets' metadata (never values) as a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum FileRecipientCmd {
    /// Create a server recipient and print its public key (age1...).
    Create {
        /// 1–64 letters, digits, `-`, `_` or `.` (e.g. `team`, `prod-deploy`).
        name: String,
        /// Print {"name", "arn", "recipient", "created_at"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print one server recipient's public key.
    Get {
        name: String,
        /// Print {"name", "arn", "recipient", "created_at"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the server recipients.
    Ls {
        /// Print [{"name", "arn", "recipient", "created_at"}] as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MfaCmd {
    /// Enrol a TOTP device for the calling principal: shows the secret (base32),
    /// the otpauth:// URI and a QR code for an authenticator app, once. Replacing
    /// an enrolled device needs an MFA session (`keyward login --mfa CODE`).
    Enable {
        /// Print {"secret", "otpauth_uri"} as JSON (no QR code).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The 6-digit code the authenticator app shows now.
    #[arg(long, value_name = "CODE")]
    pub mfa: String,
    /// Session lifetime in seconds, 1 to 43200.
    #[arg(long, alias = "duration", default_value_t = 3600, value_name = "SECS")]
    pub duration_seconds: i64,
    /// Print the credential as JSON (AWS STS field names).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NameJson {
    pub name: String,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    pub name: String,
    /// Days before the secret is purged (7–30).
    #[arg(long, conflicts_with = "force")]
    pub recovery_window_days: Option<i64>,
    /// Delete now, without a recovery window.
    #[arg(long)]
    pub force: bool,
    /// Print the server's answer ({"name", "arn", "deletion_date", "purged"}) as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PrincipalCmd {
    /// Create a principal and its first access key (shown once).
    Create {
        name: String,
        /// Tags as KEY=VALUE (usable in policies as aws:PrincipalTag/KEY).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Print the principal and its new access key as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List principals.
    Ls {
        /// Print the principals, with their keys and policies, as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one principal.
    Show {
        name: String,
        /// Print the principal, with its keys and policies, as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a principal with its keys.
    Rm { name: String },
    /// Attach a policy.
    Attach { principal: String, policy: String },
    /// Detach a policy.
    Detach { principal: String, policy: String },
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Create another access key for a principal (for rotation).
    Create {
        principal: String,
        /// Print the new access key as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete an access key.
    Rm { access_key_id: String },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Create or replace a policy from an IAM JSON document.
    Put {
        name: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Print a policy document.
    Get {
        name: String,
        /// Print the policy with its name, ARN and update time as JSON (without it: the document only).
        #[arg(long)]
        json: bool,
    },
    /// List policies.
    Ls {
        /// Print the policies as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Delete a policy (must be detached first).
    Rm { name: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// List audit records, newest first.
    Ls {
        /// Only records about this secret (name or ARN).
        #[arg(long)]
        secret: Option<String>,
        /// Only records by this principal (name or ARN).
        #[arg(long)]
        principal: Option<String>,
        /// success, denied, unauthenticated, not_found, invalid or error.
        #[arg(long)]
        outcome: Option<String>,
        /// RFC 3339 time, e.g. 2026-01-31T00:00:00Z.
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print the records as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Verify the audit chain; exits 0 only when it is intact.
    Verify {
        /// Verify offline against this data directory instead of through the server.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Root key file for offline verification.
        #[arg(long, requires = "data_dir")]
        root_key_file: Option<PathBuf>,
        /// Print {"records", "ok", "problems"} as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertCmd {
    /// List recent alerts per sink with their delivery state, newest first.
    ///
    /// Each row is one alert queued for one sink: `pending` (not sent yet, or
    /// waiting to retry; see last_error), `delivered`, or `failed` (given up).
    Ls {
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print the alerts, with their delivery state, as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Send a test alert to the sink NAME now; exits 0 only if it was accepted.
    Test {
        /// The sink's `name` in the server config file's [[alert.sink]].
        name: String,
        /// Print the delivery's result as JSON.
        #[arg(long)]
        json: bool,
    },
}
