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

use anyhow::{Context, Result};
use clap::Args;
use keyward_server::ServerConfig;
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

/// Field by field, `self` where set, else `under`.
macro_rules! layered {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $ty {
            fn over(self, under: Self) -> Self {
                Self { $($field: self.$field.or(under.$field)),* }
            }
        }
    };
}

/// Connections and requests (`[http]`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Seconds a client has to send a request's headers; also how long an idle
    /// keep-alive connection is kept open. [default: 20]
    #[arg(long, env = "KEYWARD_HEADER_READ_TIMEOUT", value_name = "SECS", value_parser = parse_secs)]
    #[serde(default, deserialize_with = "opt_secs")]
    pub header_read_timeout: Option<Duration>,
    /// Seconds a request may take from its headers to the start of its answer,
    /// reading its body included (the change stream of `run --watch` is not cut).
    /// [default: 60]
    #[arg(long, env = "KEYWARD_REQUEST_TIMEOUT", value_name = "SECS", value_parser = parse_secs)]
    #[serde(default, deserialize_with = "opt_secs")]
    pub request_timeout: Option<Duration>,
    /// Connections served at once; more wait until one closes. [default: 1024]
    #[arg(long, env = "KEYWARD_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Requests handled at once; more wait for a slot, within the request timeout
    /// (the change stream holds none while it streams). [default: 256]
    #[arg(long, env = "KEYWARD_MAX_CONCURRENT_REQUESTS", value_name = "N")]
    pub max_concurrent_requests: Option<usize>,
    /// Largest request body, in bytes. [default: 262144]
    #[arg(long, env = "KEYWARD_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
}
layered!(HttpSettings {
    header_read_timeout,
    request_timeout,
    max_connections,
    max_concurrent_requests,
    max_body_bytes
});

/// Failed authentication (`[auth]`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Failed authentications a minute allowed per source address and per access
    /// key id (sustained); past that, failures are answered ThrottlingException
    /// (429 on the native API) and audited as one record per window with a count.
    /// Valid requests are never limited. 0 turns the limit off. [default: 100]
    #[arg(
        long = "auth-failures-per-minute",
        env = "KEYWARD_AUTH_FAILURES_PER_MINUTE",
        value_name = "N"
    )]
    pub failures_per_minute: Option<u32>,
    /// Failed authentications allowed at once before the per-minute rate applies.
    /// [default: 300]
    #[arg(
        long = "auth-failure-burst",
        env = "KEYWARD_AUTH_FAILURE_BURST",
        value_name = "N"
    )]
    pub failure_burst: Option<u32>,
    /// Seconds over which failures past the limit are gathered into one audit
    /// record (with a count) per source address or access key id. [default: 60]
    #[arg(long = "auth-failure-window", env = "KEYWARD_AUTH_FAILURE_WINDOW", value_name = "SECS", value_parser = parse_secs)]
    #[serde(default, deserialize_with = "opt_secs")]
    pub failure_window: Option<Duration>,
}
layered!(AuthSettings {
    failures_per_minute,
    failure_burst,
    failure_window
});

/// The read cache (`[cache]`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// How long (milliseconds) secret metadata and sealed versions stay in the
    /// server's read cache. Writes on this server clear it at once; the TTL bounds
    /// how stale a read can be after another server sharing the database writes.
    /// 0 turns the cache off. [default: 1000]
    #[arg(
        long = "read-cache-ttl-ms",
        env = "KEYWARD_READ_CACHE_TTL_MS",
        value_name = "MS"
    )]
    pub read_ttl_ms: Option<u64>,
}
layered!(CacheSettings { read_ttl_ms });

/// Audit output besides the chain (`[audit]`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Mirror committed audit records as JSON lines to this file ("-" for stdout).
    #[arg(
        long = "audit-mirror",
        env = "KEYWARD_AUDIT_MIRROR",
        value_name = "FILE"
    )]
    pub mirror: Option<String>,
}
layered!(AuditSettings { mirror });

/// Secrets Manager behaviour (`[secretsmanager]`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsManagerSettings {
    /// Record the day each secret was last read, reported by DescribeSecret and
    /// ListSecrets as LastAccessedDate (as AWS does: one write per secret per day,
    /// in the background). `false` leaves the field out. [default: true]
    #[arg(long, action = clap::ArgAction::Set, value_name = "BOOL", env = "KEYWARD_RECORD_LAST_ACCESSED")]
    pub record_last_accessed: Option<bool>,
}
layered!(SecretsManagerSettings {
    record_last_accessed
});

/// TLS in transit (`[tls]`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM certificate chain (leaf first) to serve HTTPS with; needs --tls-key.
    /// Reloaded without a restart when the file changes or on SIGHUP.
    #[arg(long = "tls-cert", env = "KEYWARD_TLS_CERT", value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long = "tls-key", env = "KEYWARD_TLS_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Serve plain HTTP on an address other than loopback. Secrets and
    /// credentials then cross the network in clear text: only for a listener
    /// behind a TLS-terminating proxy on a trusted network.
    #[arg(
        long = "insecure-no-tls",
        env = "KEYWARD_INSECURE_NO_TLS",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0,
        default_missing_value = "true"
    )]
    pub insecure_no_tls: Option<bool>,
}
layered!(TlsSettings {
    cert,
    key,
    insecure_no_tls
});

impl TlsSettings {
    /// The certificate and key to serve, if both are set (one without the other
    /// is an error naming the missing one).
    pub fn files(&self) -> Result<Option<keyward_server::tls::TlsFiles>> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Ok(Some(keyward_server::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            })),
            (None, None) => Ok(None),
            (Some(_), None) => anyhow::bail!(
                "a TLS certificate is set but no key: pass --tls-key, set KEYWARD_TLS_KEY, or set `key` under [tls] in the server config file"
            ),
            (None, Some(_)) => anyhow::bail!(
                "a TLS key is set but no certificate: pass --tls-cert, set KEYWARD_TLS_CERT, or set `cert` under [tls] in the server config file"
            ),
        }
    }
}

/// Prometheus metrics (`[metrics]`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve Prometheus metrics at http://ADDR/metrics, on a listener of their
    /// own (request counts and latencies, audit queue, alert deliveries, seal and
    /// store state; never a secret). Off unless set.
    #[arg(
        id = "metrics_listen",
        long = "metrics-listen",
        env = "KEYWARD_METRICS_LISTEN",
        value_name = "ADDR"
    )]
    pub listen: Option<SocketAddr>,
}
layered!(MetricsSettings { listen });

/// How the server runs, shared by `serve` and `dev` (flags) and the file (sections).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeTuning {
    #[command(flatten)]
    #[serde(default)]
    pub http: HttpSettings,
    #[command(flatten)]
    #[serde(default)]
    pub auth: AuthSettings,
    #[command(flatten)]
    #[serde(default)]
    pub cache: CacheSettings,
    #[command(flatten)]
    #[serde(default)]
    pub audit: AuditSettings,
    #[command(flatten)]
    #[serde(default)]
    pub secretsmanager: SecretsManagerSettings,
    #[command(flatten)]
    #[serde(default)]
    pub tls: TlsSettings,
    #[command(flatten)]
    #[serde(default)]
    pub metrics: MetricsSettings,
}

impl ServeTuning {
    fn over(self, under: Self) -> Self {
        Self {
            http: self.http.over(under.http),
            auth: self.auth.over(under.auth),
            cache: self.cache.over(under.cache),
            audit: self.audit.over(under.audit),
            secretsmanager: self.secretsmanager.over(under.secretsmanager),
            tls: self.tls.over(under.tls),
            metrics: self.metrics.over(under.metrics),
        }
    }

    /// The server's configuration: these settings over keyward-server's defaults.
    pub fn server_config(&self) -> ServerConfig {
        let d = ServerConfig::default();
        ServerConfig {
            max_body_bytes: self.http.max_body_bytes.unwrap_or(d.max_body_bytes),
            read_cache_ttl: self
                .cache
                .read_ttl_ms
                .map(Duration::from_millis)
                .unwrap_or(d.read_cache_ttl),
            audit_mirror: self.audit.mirror.as_deref().map(|m| {
                if m == "-" {
                    keyward_server::AuditMirror::Stdout
                } else {
                    keyward_server::AuditMirror::File(m.into())
                }
            }),
            http: keyward_server::listener::HttpLimits {
                header_read_timeout: self
                    .http
                    .header_read_timeout
                    .unwrap_or(d.http.header_read_timeout),
                request_timeout: self.http.request_timeout.unwrap_or(d.http.request_timeout),
                max_connections: self.http.max_connections.unwrap_or(d.http.max_connections),
                max_concurrent_requests: self
                    .http
                    .max_concurrent_requests
                    .unwrap_or(d.http.max_concurrent_requests),
            },
            auth_limits: keyward_server::auth_limit::AuthLimits {
                per_minute: self
                    .auth
                    .failures_per_minute
                    .unwrap_or(d.auth_limits.per_minute),
                burst: self.auth.failure_burst.unwrap_or(d.auth_limits.burst),
                window: self.auth.failure_window.unwrap_or(d.auth_limits.window),
            },
            record_last_accessed: self
                .secretsmanager
                .record_last_accessed
                .unwrap_or(d.record_last_accessed),
            ..d
        }
    }
}

/// Rotation (`[rotation]`, file only): which Lambda ARNs run as which external
/// rotator, retries, and the one test setting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationFileSettings {
    /// Seconds between the scheduler's looks for due and retried rotations. [default: 60]
    #[serde(default, deserialize_with = "opt_secs")]
    pub check_every: Option<Duration>,
    /// Seconds before the first retry of a failed rotation; doubles per attempt. [default: 60]
    #[serde(default, deserialize_with = "opt_secs")]
    pub retry_base: Option<Duration>,
    /// Longest wait between retries, seconds. [default: 3600]
    #[serde(default, deserialize_with = "opt_secs")]
    pub retry_max: Option<Duration>,
    /// Seconds one step of a command or webhook rotator may take. [default: 300]
    #[serde(default, deserialize_with = "opt_secs")]
    pub step_timeout: Option<Duration>,
    /// The URL command rotators reach keyward at (AWS_ENDPOINT_URL). [default: the listen address]
    pub endpoint: Option<String>,
    /// File holding the key the webhook rotator signs its requests with.
    pub webhook_secret_file: Option<PathBuf>,
    /// TEST ONLY: the shortest rate() allowed, in seconds, instead of AWS's 4 hours;
    /// below that, rate(N minutes|seconds) and Duration Nm/Ns are accepted too. Never
    /// set in production: a schedule then rotates as often as it says.
    #[serde(default, deserialize_with = "opt_secs")]
    pub test_minimum_rate: Option<Duration>,
    /// `RotationLambdaARN` → rotator, e.g.
    /// `[rotation.lambdas."arn:aws:lambda:...:function:rotate-db"]` with
    /// `rotator = "command"` and `command = "/usr/local/bin/rotate-db"`.
    #[serde(default)]
    pub lambdas: std::collections::BTreeMap<String, LambdaFileTarget>,
}

/// One `[rotation.lambdas."ARN"]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaFileTarget {
    /// `command` or `webhook`.
    pub rotator: String,
    pub command: Option<String>,
    pub url: Option<String>,
}

impl RotationFileSettings {
    /// Applies the section to `cfg`; `endpoint` is where keyward listens.
    pub fn apply(&self, cfg: &mut ServerConfig, endpoint: String) -> Result<()> {
        let r = &mut cfg.rotation;
        for (arn, t) in &self.lambdas {
            if !matches!(t.rotator.as_str(), "command" | "webhook") {
                anyhow::bail!(
                    "[rotation.lambdas.\"{arn}\"]: rotator must be \"command\" or \"webhook\", not {:?}",
                    t.rotator
                );
            }
            r.lambdas.insert(
                arn.clone(),
                keyward_server::rotation::LambdaTarget {
                    rotator: t.rotator.clone(),
                    command: t.command.clone(),
                    url: t.url.clone(),
                },
            );
        }
        if let Some(p) = &self.webhook_secret_file {
            let text = std::fs::read_to_string(p).with_context(|| {
                format!(
                    "[rotation] webhook_secret_file: cannot read {}",
                    p.display()
                )
            })?;
            r.webhook_secret = Some(keyward_crypto::SecretString::new(text.trim().to_string()));
        }
        if let Some(min) = self.test_minimum_rate {
            tracing::warn!(
                seconds = min.as_secs_f64(),
                "[rotation] test_minimum_rate is set: rotation schedules may run far more often than AWS allows (a test setting)"
            );
            r.limits.minimum_rate = min;
        }
        r.check_every = self.check_every.unwrap_or(r.check_every);
        r.retry_base = self.retry_base.unwrap_or(r.retry_base);
        r.retry_max = self.retry_max.unwrap_or(r.retry_max);
        r.step_timeout = self.step_timeout.unwrap_or(r.step_timeout);
        r.endpoint = Some(self.endpoint.clone().unwrap_or(endpoint));
        Ok(())
    }
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
