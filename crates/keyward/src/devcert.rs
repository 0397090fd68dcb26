//! The development certificate of `keyward dev --tls`: a throwaway CA and a server
//! certificate it signs for the loopback names, kept in the dev data directory so
//! the trust exported once (`KEYWARD_CACERT`, `AWS_CA_BUNDLE`) survives restarts.
//!
//! The CA's private key is never written: nothing can be signed with this CA
//! after the server certificate, so trusting it trusts only this dev server.

use crate::datadir;
use anyhow::{Context, Result};
use keyward_server::tls::TlsFiles;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The files of a dev certificate.
#[derive(Debug, Clone)]
pub struct DevCert {
    /// The CA certificate clients trust.
    pub ca: PathBuf,
    pub files: TlsFiles,
}

impl DevCert {
    fn at(dir: &Path) -> Self {
        let tls = dir.join("tls");
        Self {
            ca: tls.join("ca.pem"),
            files: TlsFiles {
                cert: tls.join("server.pem"),
                key: tls.join("server-key.pem"),
            },
        }
    }
}

/// The dev certificate under `dir`, made now unless all its files exist. The
/// certificate names `localhost`, 127.0.0.1, ::1 and `listen`'s address.
pub fn ensure(dir: &Path, listen: IpAddr) -> Result<DevCert> {
    let dc = DevCert::at(dir);
    if dc.ca.exists() && dc.files.cert.exists() && dc.files.key.exists() {
        return Ok(dc);
    }
    let tls_dir = dc.ca.parent().expect("ca.pem has a parent");
    datadir::ensure_dir(tls_dir)?;
    let (ca_pem, cert_pem, key_pem) =
        generate(listen).context("cannot make the dev certificate")?;
    std::fs::write(&dc.ca, ca_pem).with_context(|| format!("cannot write {}", dc.ca.display()))?;
    std::fs::write(&dc.files.cert, cert_pem)
        .with_context(|| format!("cannot write {}", dc.files.cert.display()))?;
    datadir::write_private(&dc.files.key, key_pem.as_bytes())?;
    Ok(dc)
}

/// (CA PEM, server certificate PEM, server key PEM).
fn generate(listen: IpAddr) -> Result<(String, String, String), rcgen::Error> {
    let now = time::OffsetDateTime::now_utc();
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name.push(
        DnType::CommonName,
        "keyward dev CA (local development only)",
    );
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now - time::Duration::hours(1);
    ca.not_after = now + time::Duration::days(365);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut server = CertificateParams::new(vec!["localhost".to_string()])?;
    let mut ips: Vec<IpAddr> = vec![[127, 0, 0, 1].into(), std::net::Ipv6Addr::LOCALHOST.into()];
    if !listen.is_unspecified() && !ips.contains(&listen) {
        ips.push(listen);
    }
    server
        .subject_alt_names
        .extend(ips.into_iter().map(SanType::IpAddress));
    server
        .distinguished_name
        .push(DnType::CommonName, "keyward dev server");
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    server.not_before = now - time::Duration::hours(1);
    server.not_after = now + time::Duration::days(365);
    let server_key = KeyPair::generate()?;
    let server_cert = server.signed_by(&server_key, &issuer)?;
    Ok((ca_cert.pem(), server_cert.pem(), server_key.serialize_pem()))
}
