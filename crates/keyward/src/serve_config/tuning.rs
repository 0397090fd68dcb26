//! The settings `serve` and `dev` take as flags and environment variables and
//! the file takes as sections (`[http]`, `[auth]`, `[cache]`, `[audit]`,
//! `[secretsmanager]`, `[tls]`, `[metrics]`), their layering, and the
//! keyward-server configuration they make.

use super::{opt_secs, parse_secs};
use anyhow::Result;
use clap::Args;
use keyward_server::ServerConfig;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    pub(super) fn over(self, under: Self) -> Self {
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
