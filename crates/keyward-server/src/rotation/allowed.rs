//! What the operator lets a secret's external rotator run: the `command` rotator
//! executes a program on the server and the `webhook` rotator makes the server
//! send requests, so both are limited to what the server config lists
//! (`[rotation] commands`, `webhook_urls`). A caller allowed to configure rotation
//! chooses among them; it never chooses what the server executes or calls.
//! Lambda ARNs mapped in `[rotation.lambdas]` are the operator's own choice.

use super::RotationSettings;
use keyward_rotate::RotateError;
use keyward_store::RotationConfig;

/// Whether `url` starts with `prefix` at a boundary: the end, or the next
/// character being `/`, `:` or `?` (a prefix ending in `/` is its own boundary),
/// so that `https://rotator.internal` never admits `https://rotator.internal.evil`.
pub fn url_allowed(url: &str, prefix: &str) -> bool {
    let Some(rest) = url.strip_prefix(prefix) else {
        return false;
    };
    prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', ':', '?'])
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
                    "the webhook rotator may call only URLs the server config lists: add {u} (or a prefix of it) to [rotation] webhook_urls (docs/server-config.md)"
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
    fn a_url_prefix_matches_only_at_a_boundary() {
        let p = "https://rotator.internal";
        assert!(url_allowed("https://rotator.internal", p));
        assert!(url_allowed("https://rotator.internal/rotate", p));
        assert!(url_allowed("https://rotator.internal:8443/rotate", p));
        assert!(url_allowed("https://rotator.internal?x=1", p));
        assert!(!url_allowed("https://rotator.internal.evil.example/", p));
        assert!(!url_allowed("https://rotator.internalx/", p));
        assert!(!url_allowed("http://rotator.internal/", p));
        assert!(url_allowed("https://h/api/rotate", "https://h/api/"));
        assert!(!url_allowed("https://h/apix", "https://h/api/"));
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
