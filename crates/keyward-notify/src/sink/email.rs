//! The email sink: one plain-text message per alert to the administrators, over
//! SMTP with STARTTLS required (lettre on rustls). Plain SMTP only to a loopback
//! relay, when asked for by name (`smtp_tls = "none"`).

use super::{Sink, SinkError};
use crate::alert::{Alert, Severity};
use crate::config::{ConfigError, SinkConfig, SinkKind, SmtpTls};
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct EmailSink {
    name: String,
    min_severity: Severity,
    from: Mailbox,
    to: Vec<Mailbox>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for EmailSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSink")
            .field("name", &self.name)
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl EmailSink {
    pub fn new(c: &SinkConfig, timeout: Duration) -> Result<Self, ConfigError> {
        let problem = |p: String| ConfigError::Sink {
            sink: c.name.clone(),
            problem: p,
        };
        let host = c.smtp_host.clone().unwrap_or_default();
        let port = c.smtp_port.unwrap_or(587);
        let tls = match c.smtp_tls.unwrap_or_default() {
            SmtpTls::None => {
                if !is_loopback(&host) {
                    return Err(problem(format!(
                        "smtp_tls = \"none\" sends mail (and the SMTP password) in clear text; it is allowed only to a loopback relay, not {host}"
                    )));
                }
                Tls::None
            }
            SmtpTls::Starttls => {
                let mut params = TlsParameters::builder(host.clone());
                if let Some(ca) = &c.smtp_ca_file {
                    let pem = std::fs::read(ca).map_err(|e| {
                        problem(format!("cannot read smtp_ca_file {}: {e}", ca.display()))
                    })?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        problem(format!(
                            "smtp_ca_file {} is not a PEM certificate: {e}",
                            ca.display()
                        ))
                    })?;
                    params = params.add_root_certificate(cert);
                }
                Tls::Required(
                    params
                        .build_rustls()
                        .map_err(|e| problem(format!("TLS settings: {e}")))?,
                )
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(timeout));
        if let (Some(u), Some(p)) = (&c.username, &c.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.expose().to_string()));
        }
        let parse = |field: &str, addr: &str| {
            addr.parse::<Mailbox>()
                .map_err(|e| problem(format!("{field} {addr:?} is not an email address: {e}")))
        };
        let from = parse("from", c.from.as_deref().unwrap_or_default())?;
        let to =
            c.to.iter()
                .flatten()
                .map(|a| parse("to", a))
                .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            name: c.name.clone(),
            min_severity: c.min_severity(),
            from,
            to,
            transport: builder.build(),
        })
    }

    fn message(&self, alert: &Alert) -> Result<Message, SinkError> {
        let mut m = Message::builder()
            .from(self.from.clone())
            .subject(format!(
                "[keyward {}] {}: {}",
                alert.severity, alert.rule, alert.summary
            ))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            m = m.to(to.clone());
        }
        let body = format!(
            "{summary}\n\nrule:      {rule}\nseverity:  {severity}\nprincipal: {principal}\nsecret:    {secret}\nsource:    {source}\ntime:      {time}\ncount:     {count}\nalert id:  {id}\n",
            summary = alert.summary,
            rule = alert.rule,
            severity = alert.severity,
            principal = alert.principal.as_deref().unwrap_or("-"),
            secret = alert.secret.as_deref().unwrap_or("-"),
            source = alert.source_ip.as_deref().unwrap_or("-"),
            time = alert
                .time
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            count = alert.count,
            id = alert.id,
        );
        m.body(body).map_err(|e| {
            SinkError(format!(
                "email sink {}: cannot build the message: {e}",
                self.name
            ))
        })
    }
}

#[async_trait]
impl Sink for EmailSink {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> SinkKind {
        SinkKind::Email
    }
    fn min_severity(&self) -> Severity {
        self.min_severity
    }
    async fn send(&self, alert: &Alert) -> Result<(), SinkError> {
        let msg = self.message(alert)?;
        self.transport
            .send(msg)
            .await
            .map(drop)
            .map_err(|e| SinkError(format!("email sink {}: {e}", self.name)))
    }
}
