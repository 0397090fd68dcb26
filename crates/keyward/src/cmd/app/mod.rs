//! The application side (issue 4): `run`, `check`, `docs`, `example`, `gen`,
//! `import`, `export` and `doctor`. This file holds the clap arguments and the
//! dispatch; each command lives in its own module.

mod cache;
mod check;
mod child;
mod docs;
mod doctor;
mod gen_cmd;
mod resolve;
mod run;
mod transfer;
mod watch;

use clap::{Args, ValueEnum};
use std::path::PathBuf;

pub use check::check;
pub use docs::{docs, example};
pub use doctor::doctor;
pub use gen_cmd::gen_secret;
pub use run::run;
pub use transfer::{export, import};

/// EX_CONFIG from sysexits.h: the configuration is wrong, nothing was started.
pub const EX_CONFIG: i32 = 78;

/// Where `keyward.toml` is and which environment to resolve.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// The keyward.toml that declares the app's variables (names and rules, never
    /// values).
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        default_value = "keyward.toml",
        env = "KEYWARD_CONFIG"
    )]
    pub config: PathBuf,
    /// Environment to resolve, one of keyward.toml's `environments` (default:
    /// $KEYWARD_ENV, else the first environment listed).
    #[arg(long, short = 'e', value_name = "ENV", env = "KEYWARD_ENV")]
    pub env: Option<String>,
    /// A .env file to read values from; repeat for several (the first given wins).
    /// .env files rank below the process environment, NAME_FILE and the store. No
    /// .env file is read unless named here.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Expand ${VAR} / $VAR references inside .env values (through the process
    /// environment, then earlier entries of the same file).
    #[arg(long)]
    pub expand: bool,
}

#[derive(Debug, Args)]
#[command(after_long_help = RUN_AFTER_HELP)]
pub struct RunArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Inject every secret under this store prefix instead of reading keyward.toml:
    /// /myapp/prod/database_url becomes DATABASE_URL (last segment upper-cased,
    /// other characters than letters and digits become '_').
    #[arg(long, value_name = "PREFIX")]
    pub path: Option<String>,
    /// Pipe the command's stdout and stderr through a redactor that replaces every
    /// injected secret value with [REDACTED], even when a value is split across
    /// writes. Values shorter than 4 characters and values of variables not marked
    /// secret (unless they came from the store or a file) are left alone.
    #[arg(long)]
    pub redact: bool,
    /// Follow the server's change stream (GET /v1/watch) and, when a secret the
    /// command uses changes, re-resolve and restart the command (or send --signal).
    #[arg(long)]
    pub watch: bool,
    /// With --watch: instead of restarting, send this signal (HUP, USR1, USR2, TERM,
    /// INT, QUIT) to the running command. A running process's environment cannot
    /// change, so this is for apps that re-read their secrets themselves (through
    /// the keyward API or a *_FILE) when signalled.
    #[arg(long, value_name = "SIGNAL", requires = "watch")]
    pub signal: Option<String>,
    /// With --watch: wait a random delay up to this long before restarting (e.g.
    /// 5s), so a fleet of instances does not restart all at once after a rotation.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "0ms",
        requires = "watch"
    )]
    pub jitter: String,
    /// With --watch: how long a restarted command and every process it started
    /// (its process group) get to exit after SIGTERM before the group is killed.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10s",
        requires = "watch"
    )]
    pub grace: String,
    /// After a successful resolve, keep an encrypted snapshot of the store's values
    /// in $XDG_CACHE_HOME/keyward/ (mode 0600, key derived from your secret access
    /// key); when the server cannot be reached, use a snapshot younger than
    /// --max-age, with a warning.
    #[arg(long)]
    pub offline_cache: bool,
    /// With --offline-cache: the oldest snapshot that may be used (e.g. 30m, 1h, 2d).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "1h",
        requires = "offline_cache"
    )]
    pub max_age: String,
    /// A keyward-encrypted file (`keyward encrypt`) to read values from, decrypted
    /// in memory (plaintext is never written); repeat for several. Ranks like
    /// --env-file, above the plain ones. Without keyward.toml and --path, every
    /// value in the file is injected (names not already in the environment).
    #[arg(long = "file", value_name = "FILE")]
    pub enc_files: Vec<PathBuf>,
    #[command(flatten)]
    pub ids: crate::cmd::files::IdentityArgs,
    /// The command to run, after `--`.
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

const RUN_AFTER_HELP: &str = "\
Precedence (highest first): process environment, NAME_FILE / declared file, the store,
--file (encrypted) then --env-file files, dev_default (development-like environments only).

Every problem is printed at once (variable, what is wrong, how to fix it; never the
value) and keyward exits 78 (EX_CONFIG) without starting the command. Otherwise the
command's exit code is passed through (128+N when it dies of signal N), and SIGINT,
SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to it (in a terminal,
Ctrl-C and Ctrl-\\ already reach the command directly and are not sent twice).

Process groups: outside a terminal, and always with --watch, the command runs in its
own process group and signals go to the whole group, so the server a wrapper (sh -c,
npm, a start script) started is stopped too: a restart waits until every process of
the old group is gone (SIGKILL after --grace), and whatever the command leaves
behind when it exits is stopped before keyward exits. With --watch in a terminal the
command reads /dev/null instead of the terminal. A process that starts its own
session (setsid, daemons) leaves the group on purpose and is not followed; nothing
can be done for the group if keyward itself is killed with SIGKILL.

Fleets: with --watch every instance sees a rotation at the same moment; give
--jitter (e.g. 30s) so restarts are spread out and the service stays up.

Examples:
  keyward run --env production -- gunicorn mysite.wsgi
  keyward run --env-file .env -- python manage.py runserver
  keyward run --file secrets.enc.env -- ./server
  keyward run --path /myapp/prod/ -- ./server
  keyward run --env production --watch --jitter 10s -- ./server";

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Check every environment in keyward.toml, and report secret values shared
    /// between environments (compared by keyed fingerprint, never by value).
    /// --env / KEYWARD_ENV is ignored.
    #[arg(long)]
    pub all_envs: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DocsArgs {
    /// The keyward.toml to document.
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        default_value = "keyward.toml",
        env = "KEYWARD_CONFIG"
    )]
    pub config: PathBuf,
    /// Write to this file instead of standard output (e.g.
    /// docs/ENVIRONMENT_VARIABLES.md for docs, .env.example for example).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenFormat {
    /// 50 characters from Django's get_random_secret_key() alphabet.
    Django,
    /// Python secrets.token_urlsafe(N): N random bytes (default 32), base64url.
    Urlsafe,
    /// N random bytes (default 32) as 2N hex characters.
    Hex,
    /// N random bytes (default 48) as standard base64.
    Base64,
    /// A password of N characters (default 24) under the policy flags.
    Password,
    /// A random version-4 UUID.
    Uuid,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// What to generate.
    #[arg(long, short = 'f', value_enum, default_value = "urlsafe")]
    pub format: GenFormat,
    /// Characters (django, password) or random bytes (urlsafe, hex, base64).
    #[arg(long, short = 'l', value_name = "N")]
    pub length: Option<usize>,
    /// password: never use these characters.
    #[arg(long, value_name = "CHARS")]
    pub exclude_characters: Option<String>,
    /// password: no digits.
    #[arg(long)]
    pub exclude_numbers: bool,
    /// password: no punctuation.
    #[arg(long)]
    pub exclude_punctuation: bool,
    /// password: no upper-case letters.
    #[arg(long)]
    pub exclude_uppercase: bool,
    /// password: no lower-case letters.
    #[arg(long)]
    pub exclude_lowercase: bool,
    /// password: allow the space character.
    #[arg(long)]
    pub include_space: bool,
    /// password: do not require one character of each included type.
    #[arg(long)]
    pub no_require_each_type: bool,
    /// Store the value as a new version of this secret instead of printing it.
    #[arg(long, value_name = "NAME")]
    pub put: Option<String>,
    /// With --put: also print the value.
    #[arg(long, requires = "put")]
    pub show: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
Mapping: each KEY becomes PREFIX + key lower-cased (DATABASE_URL -> /myapp/dev/database_url);
`keyward export` and `keyward run --path` upper-case the last segment again, so
UPPER_SNAKE_CASE names round-trip exactly. Any other name (lower or mixed case, `-`, `.`)
would come back renamed: import lists them all and stores nothing (exit 65) unless --rename
is given. Names with characters a secret name cannot hold are refused the same way.")]
pub struct ImportArgs {
    /// The file to import: a .env file, a JSON object of strings (*.json) or a
    /// directory of one-file-per-secret (Docker secrets).
    pub file: PathBuf,
    /// Store prefix, e.g. /myapp/dev/.
    #[arg(long, value_name = "PREFIX")]
    pub path: String,
    /// Show what would be stored (names only) without storing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Import names that are not UPPER_SNAKE_CASE too, knowing they come back
    /// upper-cased with `_` for other characters (lower_name -> LOWER_NAME).
    #[arg(long)]
    pub rename: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// KEY=value lines, quoted so any .env parser reads the value back exactly.
    Dotenv,
    /// A JSON object {"KEY": "value"}.
    Json,
    /// A YAML mapping KEY: "value".
    Yaml,
    /// `export KEY='value'` lines for sh/bash/zsh (`eval` or `source` them).
    Shell,
    /// A Kubernetes v1 Secret manifest with base64 `data` (kubectl apply -f).
    K8s,
    /// A directory (mode 0700) with one file (mode 0600) per secret, like
    /// /run/secrets; needs -o DIR. Files are named by the lower-case key.
    DockerSecretsDir,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Store prefix whose secrets to export, e.g. /myapp/prod/.
    #[arg(long, value_name = "PREFIX")]
    pub path: String,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "dotenv")]
    pub format: ExportFormat,
    /// Write to this file (mode 0600) or, for docker-secrets-dir, this directory;
    /// default standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// k8s: the Secret's metadata.name (default: the prefix's last segment).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// k8s: the Secret's metadata.namespace.
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Repository (or any directory) to examine.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// keyward.toml to take `secret = true` declarations from (default:
    /// PATH/keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Skip the git checks.
    #[arg(long)]
    pub no_git: bool,
    /// Print findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses 250ms, 30s, 5m, 1h, 2d, or plain seconds.
pub fn parse_duration(s: &str) -> anyhow::Result<std::time::Duration> {
    use std::time::Duration;
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("`{s}` is not a duration; use e.g. 250ms, 30s, 5m, 1h, 2d"))?;
    Ok(match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        "d" => Duration::from_secs(n * 86400),
        _ => anyhow::bail!("`{s}` has an unknown unit; use ms, s, m, h or d"),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::parse_duration("250ms").unwrap().as_millis(), 250);
        assert_eq!(super::parse_duration("2h").unwrap().as_secs(), 7200);
        assert!(super::parse_duration("x").is_err());
        assert!(super::parse_duration("5y").is_err());
    }
}
