//! The server's settings: built-in defaults, a TOML file (`serve --config FILE` or
//! `KEYWARD_SERVER_CONFIG`), environment variables and flags, in rising order of
//! precedence: a flag beats its environment variable, which beats the file, which
//! beats the default. Every setting has the same name in all three places (the
//! flag `--auth-failure-burst` is `KEYWARD_AUTH_FAILURE_BURST` and `failure_burst`
//! under `[auth]`); docs/server-config.md lists them all.
//!
//! The file rejects unknown keys, naming the line, so a typo never silently
//! leaves a default in place. (`KEYWARD_CONFIG` / `--config` on the app commands
//! mean the app's `keyward.toml`; the server's file has its own variable.)

mod rotation;
mod tuning;

pub use rotation::RotationFileSettings;
pub use tuning::{
    AuditSettings, AuthSettings, CacheSettings, HttpSettings, MetricsSettings,
    SecretsManagerSettings, ServeTuning, TlsSettings,
};

use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Seconds as a (possibly fractional) number: `20`, `0.5`.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    secs_to_duration(secs)
}

fn secs_to_duration(secs: f64) -> Result<Duration, String> {
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "{secs} must be more than 0 and at most 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `Option<Duration>` from a TOML number of seconds.
fn opt_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let secs: Option<f64> = Option::deserialize(d)?;
    secs.map(|s| secs_to_duration(s).map_err(serde::de::Error::custom))
        .transpose()
}

/// The server's config file: the tuning sections beside the top-level keys.
/// (Listed out rather than `#[serde(flatten)]`ed: flatten loses the position
/// needed to name the line of an unknown key.)
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub root_key_file: Option<PathBuf>,
    #[serde(default)]
    pub http: HttpSettings,
    #[serde(default)]
    pub auth: AuthSettings,
    #[serde(default)]
    pub cache: CacheSettings,
    #[serde(default)]
    pub audit: AuditSettings,
    #[serde(default)]
    pub secretsmanager: SecretsManagerSettings,
    #[serde(default)]
    pub tls: TlsSettings,
    #[serde(default)]
    pub backup: crate::backup_config::BackupSettings,
    #[serde(default)]
    pub rotation: RotationFileSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// `[[alert.sink]]`, `[alert.rules.*]`, `[alert.delivery]`: file only.
    #[serde(default)]
    pub alert: Option<keyward_notify::AlertConfig>,
}

impl ServerFile {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the server config file {}", path.display()))?;
        Self::parse(&text)
            .map_err(|e| anyhow::anyhow!("server config file {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

/// Everything `serve` runs with, after layering flags and environment over the file.
#[derive(Debug)]
pub struct Resolved {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub root_key_file: Option<PathBuf>,
    pub tuning: ServeTuning,
    pub backup: crate::backup_config::BackupSettings,
    pub rotation: RotationFileSettings,
    pub alert: Option<keyward_notify::AlertConfig>,
}

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8200";

pub fn resolve(
    config: Option<&Path>,
    data_dir: Option<PathBuf>,
    listen: Option<SocketAddr>,
    root_key_file: Option<PathBuf>,
    tuning: ServeTuning,
) -> Result<Resolved> {
    let file = match config {
        Some(p) => ServerFile::load(p)?,
        None => ServerFile::default(),
    };
    let from_file = ServeTuning {
        http: file.http,
        auth: file.auth,
        cache: file.cache,
        audit: file.audit,
        secretsmanager: file.secretsmanager,
        tls: file.tls,
        metrics: file.metrics,
    };
    let rotation = file.rotation;
    let data_dir = data_dir.or(file.data_dir).context(
        "no data directory: pass --data-dir, set KEYWARD_DATA_DIR, or set data_dir in the server config file",
    )?;
    Ok(Resolved {
        data_dir,
        listen: listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("a valid default address")),
        root_key_file: root_key_file.or(file.root_key_file),
        tuning: tuning.over(from_file),
        backup: file.backup,
        rotation,
        alert: file.alert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_server::ServerConfig;

    const EXAMPLE: &str = include_str!("../../../../docs/server-config.example.toml");

    #[test]
    fn the_documented_example_parses() {
        let f = ServerFile::parse(EXAMPLE).expect("the example in docs/ parses");
        assert_eq!(f.auth.failure_burst, Some(300));
        assert_eq!(f.rotation.lambdas.len(), 1);
        assert_eq!(f.rotation.test_minimum_rate, None, "never on by default");
        let alert = f.alert.expect("the example has alerts");
        assert_eq!(alert.sink.len(), 5);
        alert
            .validate()
            .expect("the example's alert settings are valid");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line() {
        let e = ServerFile::parse("listen = \"127.0.0.1:8200\"\n\n[http]\nmax_conections = 5\n")
            .expect_err("typo refused")
            .to_string();
        assert!(e.contains("line 4"), "{e}");
        assert!(e.contains("max_conections"), "{e}");
        let e = ServerFile::parse("[alerts]\nx = 1\n")
            .expect_err("unknown section")
            .to_string();
        assert!(e.contains("alerts"), "{e}");
    }

    #[test]
    fn flags_and_environment_beat_the_file_which_beats_the_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.toml");
        std::fs::write(
            &path,
            "data_dir = \"/from/file\"\n[http]\nmax_connections = 7\nmax_concurrent_requests = 11\nrequest_timeout = 5\n[auth]\nfailure_burst = 9\n",
        )
        .expect("write");
        let flags = ServeTuning {
            http: HttpSettings {
                max_connections: Some(3),
                ..Default::default()
            },
            ..Default::default()
        };
        let r = resolve(Some(&path), None, None, None, flags).expect("resolve");
        assert_eq!(r.data_dir, PathBuf::from("/from/file"));
        assert_eq!(r.listen.to_string(), DEFAULT_LISTEN);
        let cfg = r.tuning.server_config();
        assert_eq!(cfg.http.max_connections, 3, "the flag wins");
        assert_eq!(
            cfg.http.max_concurrent_requests, 11,
            "the file's key applies"
        );
        assert_eq!(
            cfg.http.request_timeout,
            Duration::from_secs(5),
            "the file beats the default"
        );
        assert_eq!(cfg.auth_limits.burst, 9);
        assert_eq!(
            cfg.auth_limits.per_minute,
            ServerConfig::default().auth_limits.per_minute,
            "the default fills the rest"
        );
        let r = resolve(
            Some(&path),
            Some("/from/flag".into()),
            None,
            None,
            ServeTuning::default(),
        )
        .expect("resolve");
        assert_eq!(r.data_dir, PathBuf::from("/from/flag"));
    }

    #[test]
    fn tls_files_layer_and_a_half_pair_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "[tls]\nkey = \"/from/file.key\"\n").expect("write");
        let flags = ServeTuning {
            tls: TlsSettings {
                cert: Some("/from/flag.pem".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let r = resolve(Some(&path), Some("/d".into()), None, None, flags).expect("resolve");
        let files = r.tuning.tls.files().expect("a pair").expect("TLS on");
        assert_eq!(files.cert, PathBuf::from("/from/flag.pem"));
        assert_eq!(files.key, PathBuf::from("/from/file.key"));
        let half = TlsSettings {
            cert: Some("/c.pem".into()),
            ..Default::default()
        };
        let e = half.files().expect_err("no key").to_string();
        assert!(e.contains("--tls-key"), "{e}");
        assert!(TlsSettings::default().files().expect("fine").is_none());
    }

    #[test]
    fn alert_sinks_are_checked_with_the_sink_named() {
        let e = ServerFile::parse("[[alert.sink]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/h\"\nsigning_secret = \"0123456789abcdef\"\nmin_severity = \"hihg\"\n")
            .expect_err("bad severity")
            .to_string();
        assert!(e.contains("line 6"), "{e}");
        let e = ServerFile::parse("[[alert.sink]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"http://x\"\nsigning_secret = \"0123456789abcdef\"\nurll = 1\n")
            .expect_err("unknown key")
            .to_string();
        assert!(e.contains("urll"), "{e}");
        let f = ServerFile::parse(
            "[[alert.sink]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/h\"\n",
        )
        .expect("parses");
        let e = f
            .alert
            .expect("alert")
            .validate()
            .expect_err("no signing secret")
            .to_string();
        assert!(e.contains("\"ops\"") && e.contains("signing_secret"), "{e}");
        let f = ServerFile::parse("[[alert.sink]]\nname = \"s\"\ntype = \"slack\"\nurl = \"https://hooks.example/T/very-secret-token\"\nrouting_key = \"k\"\n")
            .expect("parses");
        let e = f
            .alert
            .expect("alert")
            .validate()
            .expect_err("stray field")
            .to_string();
        assert!(e.contains("routing_key"), "{e}");
        assert!(
            !e.contains("very-secret-token"),
            "errors never repeat a sink URL: {e}"
        );
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(ServerFile::parse("[http]\nrequest_timeout = -1\n").is_err());
        assert!(ServerFile::parse("[http]\nmax_connections = \"many\"\n").is_err());
        assert!(ServerFile::parse("listen = \"not an address\"\n").is_err());
    }
}
