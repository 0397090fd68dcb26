//! TLS to PostgreSQL. Whenever TLS is used the server's certificate chain and host
//! name are verified (libpq's `verify-full`, what AWS's templates ask for): a
//! rotator sends a credential over this connection, so an unauthenticated server
//! must not get it. `require` and `verify-ca` are treated the same way.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{DbSecret, Tls};
use crate::RotateError;

/// Whether to connect to `secret`'s server with TLS.
pub(super) fn wanted(secret: &DbSecret) -> bool {
    match secret.tls {
        Tls::Required => true,
        Tls::Disabled => false,
        // Plaintext only where it never leaves the machine.
        Tls::Unspecified => !is_local(&secret.host),
    }
}

pub(super) fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A verifying TLS connector: the secret's `sslrootcert` CAs, or the public roots.
pub(super) fn connector(secret: &DbSecret) -> Result<MakeRustlsConnect, RotateError> {
    let mut roots = RootCertStore::empty();
    match &secret.sslrootcert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    RotateError::Config(format!(
                        "the secret for {} names sslrootcert {path}, which cannot be read as PEM certificates: {e}",
                        secret.describe()
                    ))
                })?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(RotateError::Config(format!(
                    "sslrootcert {path} (for {}) holds no usable CA certificate",
                    secret.describe()
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RotateError::Config(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
