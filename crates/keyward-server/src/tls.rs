//! TLS in transit: rustls (ring provider), TLS 1.2 and 1.3 only, HTTP/1.1 by ALPN.
//!
//! The certificate and key are read from PEM files and served through a resolver
//! that holds the current pair behind a lock. Reloading swaps that pair: handshakes
//! after the swap get the new certificate, connections already established keep
//! theirs and are never dropped. A reload happens when either file's modification
//! time or size changes (polled, so it works on every filesystem and for the
//! rename-into-place that certificate tools do) and on SIGHUP. A pair that does not
//! load (half-written files, a key that does not match) is logged and the old pair
//! stays in service: a bad renewal never takes the listener down.

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// How often the files are checked for a change.
const POLL_EVERY: Duration = Duration::from_secs(2);

/// Where the server's certificate chain and private key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why a certificate pair did not load.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate file {path}: {reason}")]
    Cert { path: PathBuf, reason: String },
    #[error("cannot read the TLS private key file {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("the TLS private key {key} does not belong to the certificate {cert}: {reason}")]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
    #[error("cannot set up TLS: {0}")]
    Config(String),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads and checks a certificate chain and its key.
pub fn load(files: &TlsFiles) -> Result<Arc<CertifiedKey>, TlsError> {
    let cert_err = |reason: String| TlsError::Cert {
        path: files.cert.clone(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| cert_err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_err(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_err("no PEM CERTIFICATE block in it".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: files.key.clone(),
        reason: e.to_string(),
    })?;
    CertifiedKey::from_der(chain, key, &provider())
        .map(Arc::new)
        .map_err(|e| TlsError::Mismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
            reason: e.to_string(),
        })
}

/// SHA-256 of a DER certificate, lowercase hex: how logs and tests name a certificate.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(der))
}

/// The resolver rustls asks at each handshake: whatever pair was loaded last.
#[derive(Debug)]
pub struct ReloadingCert {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ReloadingCert {
    /// Loads the pair now; a failure here stops the server from starting.
    pub fn open(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let first = load(&files)?;
        Ok(Arc::new(Self {
            files,
            current: RwLock::new(first),
        }))
    }

    /// Loads the files again and, if they are good, serves them from now on.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = load(&self.files)?;
        let print = fresh.end_entity_cert().map(|c| fingerprint(c)).ok();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        tracing::info!(
            cert = %self.files.cert.display(),
            sha256 = print.as_deref().unwrap_or("?"),
            "TLS certificate reloaded"
        );
        Ok(())
    }

    fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// What identifies the files' current contents without reading them.
    fn stamp(&self) -> [Option<(SystemTime, u64)>; 2] {
        let one = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
        };
        [one(&self.files.cert), one(&self.files.key)]
    }

    /// Reloads on SIGHUP and whenever the files change, until the runtime stops.
    pub fn spawn_watcher(self: &Arc<Self>) {
        let this = self.clone();
        // Installed before returning, so a SIGHUP sent once the server answers
        // reloads instead of meeting the default action (ending the process).
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        tokio::spawn(async move {
            let mut seen = this.stamp();
            let mut tick = tokio::time::interval(POLL_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let forced = tokio::select! {
                    _ = tick.tick() => false,
                    Some(()) = async {
                        match hangup.as_mut() {
                            Some(h) => h.recv().await,
                            None => std::future::pending().await,
                        }
                    } => true,
                };
                let now = this.stamp();
                if !forced && now == seen {
                    continue;
                }
                // Remembered even when the load fails: a half-written pair is
                // tried again when the next write changes the stamp, not logged
                // every two seconds.
                seen = now;
                if let Err(e) = this.reload() {
                    tracing::error!(error = %e, "TLS certificate not reloaded; still serving the previous one");
                }
            }
        });
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The acceptor the listener wraps connections with.
pub fn acceptor(cert: Arc<ReloadingCert>) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    // The listener speaks HTTP/1.1 only (see `listener`).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
