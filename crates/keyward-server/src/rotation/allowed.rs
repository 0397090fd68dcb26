//! What the operator lets a secret's external rotator run: the `command` rotator
//! executes a program on the server and the `webhook` rotator makes the server
//! send requests, so both are limited to what the server config lists
//! (`[rotation] commands`, `webhook_urls`). A caller allowed to configure rotation
//! chooses among them; it never chooses what the server executes or calls.
//! (A webhook that redirects is not followed: see `keyward-rotate`.)
//! Lambda ARNs mapped in `[rotation.lambdas]` are the operator's own choice.

use super::RotationSettings;
use keyward_rotate::RotateError;
use keyward_store::RotationConfig;

/// Whether `url` is under the allowed entry `allowed`, compared as parsed URLs
/// (as the HTTP client will read them, dot segments resolved): the same scheme
/// and host, the entry's port when it names one (any port of the host when it
/// does not), and a path under the entry's path at a segment boundary. A URL with
/// user info is never allowed: `https://rotator.internal:x@evil.example/` would
/// otherwise look like the allowed host.
pub fn url_allowed(url: &str, allowed: &str) -> bool {
    let (Ok(u), Ok(a)) = (url::Url::parse(url), url::Url::parse(allowed)) else {
        return false;
    };
    if !u.username().is_empty() || u.password().is_some() || u.host_str().is_none() {
        return false;
    }
    let port_ok = a.port().is_none() || a.port_or_known_default() == u.port_or_known_default();
    let (ap, up) = (a.path(), u.path());
    let path_ok =
        ap == "/" || up == ap || up.starts_with(&format!("{}/", ap.trim_end_matches('/')));
    u.scheme() == a.scheme() && u.host_str() == a.host_str() && port_ok && path_ok
}

/// `scheme://host[:port]` of `url`, for messages: its path, query and user info
/// may hold tokens.
fn origin_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| "a URL that does not parse".into(),
        |u| u.origin().ascii_serialization(),
    )
}

impl RotationSettings {
    /// Refuses a secret's `command` or `webhook` rotator whose program or URL the
    /// server config does not list; other rotators pass.
    pub fn check_allowed(&self, cfg: &RotationConfig) -> Result<(), RotateError> {
        match cfg.rotator.as_deref() {
            Some("command") => match cfg.command.as_deref() {
                Some(c) if self.commands.iter().any(|a| a == c) => Ok(()),
                Some(c) => Err(RotateError::Config(format!(
                    "the command rotator may run only programs the server config lists: add \"{c}\" to [rotation] commands (docs/server-config.md), or map a RotationLambdaARN to it under [rotation.lambdas]"
                ))),
                None => Ok(()), // the rotator itself says a command is needed
            },
            Some("webhook") => match cfg.url.as_deref() {
                Some(u) if self.webhook_urls.iter().any(|a| url_allowed(u, a)) => Ok(()),
                Some(u) => Err(RotateError::Config(format!(
                    "the webhook rotator may call only URLs the server config lists: add one for {} to [rotation] webhook_urls (docs/server-config.md)",
                    origin_of(u)
                ))),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_allowed_by_scheme_host_port_and_path() {
        let p = "https://rotator.internal";
        assert!(url_allowed("https://rotator.internal", p));
        assert!(url_allowed("https://rotator.internal/rotate", p));
        assert!(url_allowed("https://ROTATOR.internal:8443/rotate", p));
        assert!(url_allowed("https://rotator.internal?x=1", p));
        assert!(!url_allowed("https://rotator.internal.evil.example/", p));
        assert!(!url_allowed("https://rotator.internalx/", p));
        assert!(!url_allowed("http://rotator.internal/", p));
        // User info before an @ hides the real host.
        assert!(!url_allowed("https://rotator.internal:x@evil.example/", p));
        assert!(!url_allowed("https://rotator.internal@evil.example/", p));
        assert!(!url_allowed("https://u:p@rotator.internal/", p));
        // A port in the entry is the only one; paths match whole segments.
        assert!(url_allowed("https://h:8443/x", "https://h:8443"));
        assert!(!url_allowed("https://h:9443/x", "https://h:8443"));
        assert!(url_allowed("https://h/api/rotate", "https://h/api/"));
        assert!(url_allowed("https://h/api/rotate", "https://h/api"));
        assert!(url_allowed("https://h/api", "https://h/api"));
        assert!(!url_allowed("https://h/apix", "https://h/api"));
        assert!(!url_allowed("https://h/api/../admin", "https://h/api"));
        assert!(!url_allowed("https://h/api/%2e%2e/admin", "https://h/api"));
        assert!(!url_allowed("not a url", p));
    }

    #[test]
    fn only_listed_programs_and_urls_pass() {
        let settings = RotationSettings {
            commands: vec!["/usr/local/bin/rotate-db".into()],
            webhook_urls: vec!["https://rotator.internal".into()],
            ..Default::default()
        };
        let cfg = |rotator: &str, command: Option<&str>, url: Option<&str>| RotationConfig {
            rotator: Some(rotator.into()),
            command: command.map(Into::into),
            url: url.map(Into::into),
            ..Default::default()
        };
        assert!(
            settings
                .check_allowed(&cfg("command", Some("/usr/local/bin/rotate-db"), None))
                .is_ok()
        );
        assert!(
            settings
                .check_allowed(&cfg("command", Some("/bin/sh"), None))
                .is_err()
        );
        assert!(
            settings
                .check_allowed(&cfg(
                    "command",
                    Some("/usr/local/bin/rotate-db/../../../bin/sh"),
                    None
                ))
                .is_err()
        );
        assert!(
            settings
                .check_allowed(&cfg("webhook", None, Some("https://rotator.internal/r")))
                .is_ok()
        );
        assert!(
            settings
                .check_allowed(&cfg("webhook", None, Some("http://169.254.169.254/")))
                .is_err()
        );
        assert!(
            settings
                .check_allowed(&cfg("generated", None, None))
                .is_ok()
        );
        assert!(
            RotationSettings::default()
                .check_allowed(&cfg("command", Some("/usr/local/bin/rotate-db"), None))
                .is_err()
        );
    }
}
