//! The alert rules, evaluated over committed audit records (never a request, never
//! a value). Each rule has a stable id (the README lists them), a default severity,
//! a threshold and window, and can be turned off under `[alert.rules.<id>]`.
//!
//! Threshold rules count matching records per subject (a source address, an access
//! key, a principal and secret) in a window that starts at the first one: the alert
//! fires when the count reaches the threshold, once per subject and window; the
//! records after it in the same window are counted, and when the window ends one
//! follow-up alert says how many more there were. So a flood of one kind of event
//! costs at most two alerts per subject and window.
//!
//! Windows run on the records' own times, so the rules judge the stream the same
//! way on every server and in tests; [`Engine::tick`] closes windows by the clock.

mod access;
mod hours;

use crate::alert::{Alert, Severity, secret_name};
use crate::config::{ConfigError, opt_secs};
use keyward_store::{AuditRecord, Outcome};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use time::OffsetDateTime;

pub use hours::BusinessHours;

/// Actions that read a secret's value.
pub const READ_ACTIONS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
];

/// Audit actions other parts of keyward record for events the rules watch.
pub mod actions {
    pub const AUTHENTICATION_FAILURES: &str = "keyward:AuthenticationFailures";
    pub const ROTATION_FAILED: &str = "keyward:RotationFailed";
    pub const BREAK_GLASS: &str = "keyward:BreakGlass";
    pub const LEAK_DETECTED: &str = "keyward:LeakDetected";
    pub const VERIFY_AUDIT: &str = "keyward:VerifyAudit";
}

/// Every rule, by its stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    UnauthorizedAccess,
    BruteForce,
    FailedRetrieval,
    DeletedSecretRead,
    RotationFailure,
    BreakGlass,
    OffHours,
    FirstRead,
    UnusualAccess,
    LeakedSecret,
    AuditChainFailure,
}

impl RuleId {
    pub const ALL: [RuleId; 11] = [
        RuleId::UnauthorizedAccess,
        RuleId::BruteForce,
        RuleId::FailedRetrieval,
        RuleId::DeletedSecretRead,
        RuleId::RotationFailure,
        RuleId::BreakGlass,
        RuleId::OffHours,
        RuleId::FirstRead,
        RuleId::UnusualAccess,
        RuleId::LeakedSecret,
        RuleId::AuditChainFailure,
    ];

    /// The stable id in payloads and config.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::UnauthorizedAccess => "unauthorized_access",
            RuleId::BruteForce => "brute_force",
            RuleId::FailedRetrieval => "failed_retrieval",
            RuleId::DeletedSecretRead => "deleted_secret_read",
            RuleId::RotationFailure => "rotation_failure",
            RuleId::BreakGlass => "break_glass",
            RuleId::OffHours => "off_hours",
            RuleId::FirstRead => "first_read",
            RuleId::UnusualAccess => "unusual_access",
            RuleId::LeakedSecret => "leaked_secret",
            RuleId::AuditChainFailure => "audit_chain_failure",
        }
    }

    pub fn default_severity(self) -> Severity {
        match self {
            RuleId::UnauthorizedAccess
            | RuleId::BreakGlass
            | RuleId::LeakedSecret
            | RuleId::AuditChainFailure => Severity::Critical,
            RuleId::BruteForce
            | RuleId::FailedRetrieval
            | RuleId::DeletedSecretRead
            | RuleId::RotationFailure => Severity::High,
            RuleId::OffHours | RuleId::UnusualAccess => Severity::Medium,
            RuleId::FirstRead => Severity::Low,
        }
    }

    fn default_threshold(self) -> u64 {
        match self {
            RuleId::BruteForce => 10,
            RuleId::UnusualAccess => 20,
            _ => 1,
        }
    }

    fn default_window(self) -> Duration {
        match self {
            RuleId::UnusualAccess => Duration::from_secs(3600),
            _ => Duration::from_secs(60),
        }
    }
}

/// `[alert.rules.<id>]` for most rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// `false` turns the rule off. [default: true]
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Matching events per subject and window before the alert fires.
    #[serde(default)]
    pub threshold: Option<u64>,
    /// Seconds of the counting window.
    #[serde(default, deserialize_with = "opt_secs")]
    pub window: Option<Duration>,
}

/// `[alert.rules.unusual_access]`: the baseline rule's knobs besides the common ones.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnusualAccessSettings {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Fewest distinct secrets in one window that can alert. [default: 20]
    #[serde(default)]
    pub threshold: Option<u64>,
    /// Seconds of one window. [default: 3600]
    #[serde(default, deserialize_with = "opt_secs")]
    pub window: Option<Duration>,
    /// How many times its baseline a principal must read to alert. [default: 3]
    #[serde(default)]
    pub factor: Option<f64>,
}

/// `[alert.rules.off_hours]`: with no `[[alert.rules.off_hours.business_hours]]`
/// the rule has nothing to compare with and stays off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffHoursSettings {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default, deserialize_with = "opt_secs")]
    pub window: Option<Duration>,
    #[serde(default)]
    pub business_hours: Vec<hours::BusinessHoursConfig>,
}

/// `[alert.rules]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    #[serde(default)]
    pub unauthorized_access: RuleSettings,
    #[serde(default)]
    pub brute_force: RuleSettings,
    #[serde(default)]
    pub failed_retrieval: RuleSettings,
    #[serde(default)]
    pub deleted_secret_read: RuleSettings,
    #[serde(default)]
    pub rotation_failure: RuleSettings,
    #[serde(default)]
    pub break_glass: RuleSettings,
    #[serde(default)]
    pub off_hours: OffHoursSettings,
    #[serde(default)]
    pub first_read: RuleSettings,
    #[serde(default)]
    pub unusual_access: UnusualAccessSettings,
    #[serde(default)]
    pub leaked_secret: RuleSettings,
    #[serde(default)]
    pub audit_chain_failure: RuleSettings,
}

/// One rule's resolved settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    pub enabled: bool,
    pub severity: Severity,
    pub threshold: u64,
    pub window: Duration,
}

/// Every rule's settings, resolved.
#[derive(Debug, Clone)]
pub struct Rules {
    by_id: HashMap<RuleId, Resolved>,
    pub business_hours: Vec<BusinessHours>,
    pub unusual_factor: f64,
}

impl Rules {
    pub fn get(&self, id: RuleId) -> Resolved {
        self.by_id[&id]
    }
}

impl RulesConfig {
    fn settings(&self, id: RuleId) -> RuleSettings {
        match id {
            RuleId::UnauthorizedAccess => self.unauthorized_access.clone(),
            RuleId::BruteForce => self.brute_force.clone(),
            RuleId::FailedRetrieval => self.failed_retrieval.clone(),
            RuleId::DeletedSecretRead => self.deleted_secret_read.clone(),
            RuleId::RotationFailure => self.rotation_failure.clone(),
            RuleId::BreakGlass => self.break_glass.clone(),
            RuleId::FirstRead => self.first_read.clone(),
            RuleId::LeakedSecret => self.leaked_secret.clone(),
            RuleId::AuditChainFailure => self.audit_chain_failure.clone(),
            RuleId::OffHours => RuleSettings {
                enabled: self.off_hours.enabled,
                severity: self.off_hours.severity,
                threshold: None,
                window: self.off_hours.window,
            },
            RuleId::UnusualAccess => RuleSettings {
                enabled: self.unusual_access.enabled,
                severity: self.unusual_access.severity,
                threshold: self.unusual_access.threshold,
                window: self.unusual_access.window,
            },
        }
    }

    /// The defaults with this config over them; errors name the rule.
    pub fn resolve(&self) -> Result<Rules, ConfigError> {
        let mut by_id = HashMap::new();
        for id in RuleId::ALL {
            let s = self.settings(id);
            let threshold = s.threshold.unwrap_or(id.default_threshold());
            if threshold == 0 {
                return Err(ConfigError::Rule {
                    rule: id.as_str().into(),
                    problem: "threshold must be at least 1 (set enabled = false to turn it off)"
                        .into(),
                });
            }
            by_id.insert(
                id,
                Resolved {
                    enabled: s.enabled.unwrap_or(true),
                    severity: s.severity.unwrap_or(id.default_severity()),
                    threshold,
                    window: s.window.unwrap_or(id.default_window()),
                },
            );
        }
        let business_hours = self
            .off_hours
            .business_hours
            .iter()
            .map(|h| {
                h.resolve().map_err(|problem| ConfigError::Rule {
                    rule: "off_hours".into(),
                    problem,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let unusual_factor = self.unusual_access.factor.unwrap_or(3.0);
        if !(unusual_factor >= 1.0 && unusual_factor.is_finite()) {
            return Err(ConfigError::Rule {
                rule: "unusual_access".into(),
                problem: "factor must be a number of at least 1".into(),
            });
        }
        Ok(Rules {
            by_id,
            business_hours,
            unusual_factor,
        })
    }
}

/// A threshold counter for one rule and subject.
#[derive(Debug)]
struct Window {
    start: OffsetDateTime,
    count: u64,
    fired: bool,
    /// What the follow-up alert repeats.
    template: Option<Alert>,
}

/// Evaluates records in chain order. Holds per-subject windows and the access
/// rules' memory; bounded (see [`MAX_SUBJECTS`]).
#[derive(Debug)]
pub struct Engine {
    rules: Rules,
    windows: HashMap<(RuleId, String), Window>,
    access: access::AccessMemory,
}

/// Subjects tracked per engine; past it, the oldest windows are closed early.
pub const MAX_SUBJECTS: usize = 50_000;

fn is_read(action: &str) -> bool {
    READ_ACTIONS.contains(&action)
}

/// A record made by keyward itself (jobs, rotation), not by a caller.
fn is_system(r: &AuditRecord) -> bool {
    r.event.api == "system" || r.event.principal.as_deref() == Some("keyward:system")
}

impl Engine {
    pub fn new(rules: Rules) -> Self {
        Self {
            rules,
            windows: HashMap::new(),
            access: access::AccessMemory::default(),
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The alerts `records` raise, in order.
    pub fn evaluate(&mut self, records: &[AuditRecord]) -> Vec<Alert> {
        let mut out = Vec::new();
        for r in records {
            self.evaluate_one(r, &mut out);
        }
        dedup(out)
    }

    fn on(&self, id: RuleId) -> Option<Resolved> {
        let s = self.rules.get(id);
        s.enabled.then_some(s)
    }

    fn evaluate_one(&mut self, r: &AuditRecord, out: &mut Vec<Alert>) {
        let e = &r.event;
        let secret = secret_name(e.resource.as_deref());
        let who = e.principal.clone();
        let read = is_read(&e.action);
        let count = e.count.unwrap_or(1);
        match e.outcome {
            Outcome::Unauthenticated => {
                // Bad credentials: one counter per source address and per claimed key.
                let mut subjects = Vec::new();
                if let Some(ip) = &e.source_ip {
                    subjects.push(format!("source {ip}"));
                }
                if let Some(k) = &e.access_key_id {
                    subjects.push(format!("access key {k}"));
                }
                if subjects.is_empty() {
                    subjects.push("an unknown source".into());
                }
                let summary = |n: u64, window: Duration| {
                    format!(
                        "{n} failed authentications from {} within {}s",
                        subjects.join(" / "),
                        window.as_secs()
                    )
                };
                self.threshold(
                    RuleId::BruteForce,
                    r,
                    &subjects,
                    count,
                    None,
                    None,
                    summary,
                    out,
                );
            }
            Outcome::Denied => {
                let target = secret
                    .clone()
                    .unwrap_or_else(|| e.resource.clone().unwrap_or_default());
                let subject = format!("{} on {}", who.as_deref().unwrap_or("?"), target);
                let action = e.action.clone();
                let principal = who.clone().unwrap_or_else(|| "an unknown principal".into());
                self.threshold(
                    RuleId::UnauthorizedAccess,
                    r,
                    &[subject],
                    count,
                    who.clone(),
                    secret.clone(),
                    |n, _| {
                        if n == 1 {
                            format!("{principal} was denied {action} on {target}")
                        } else {
                            format!("{principal} was denied {action} on {target} {n} times")
                        }
                    },
                    out,
                );
            }
            Outcome::Invalid
                if read && e.error_code.as_deref() == Some("InvalidRequestException") =>
            {
                let name = secret.clone().unwrap_or_default();
                let principal = who.clone().unwrap_or_default();
                self.threshold(
                    RuleId::DeletedSecretRead,
                    r,
                    &[format!("{principal} on {name}")],
                    count,
                    who.clone(),
                    secret.clone(),
                    |n, _| format!("{principal} tried to read {name}, which is scheduled for deletion ({n}x)"),
                    out,
                );
            }
            Outcome::NotFound | Outcome::Error | Outcome::Invalid if read => {
                let name = secret.clone().unwrap_or_else(|| "a secret".into());
                let principal = who.clone().unwrap_or_default();
                let code = e
                    .error_code
                    .clone()
                    .unwrap_or_else(|| e.outcome.as_str().into());
                self.threshold(
                    RuleId::FailedRetrieval,
                    r,
                    &[format!("{principal} on {name}")],
                    count,
                    who.clone(),
                    secret.clone(),
                    |n, _| format!("reading {name} failed for {principal}: {code} ({n}x)"),
                    out,
                );
            }
            _ => {}
        }
        match e.action.as_str() {
            actions::ROTATION_FAILED => {
                let name = secret.clone().unwrap_or_else(|| "a secret".into());
                let code = e.error_code.clone().unwrap_or_else(|| "an error".into());
                self.threshold(
                    RuleId::RotationFailure,
                    r,
                    std::slice::from_ref(&name),
                    count,
                    who.clone(),
                    secret.clone(),
                    |_, _| format!("rotating {name} failed: {code}"),
                    out,
                );
            }
            actions::BREAK_GLASS => {
                let principal = who.clone().unwrap_or_else(|| "someone".into());
                let target = secret.clone().unwrap_or_else(|| "the server".into());
                self.threshold(
                    RuleId::BreakGlass,
                    r,
                    &[format!("{principal} {}", r.seq)],
                    count,
                    who.clone(),
                    secret.clone(),
                    |_, _| format!("break-glass access used by {principal} on {target}"),
                    out,
                );
            }
            actions::LEAK_DETECTED => {
                let name = secret.clone().unwrap_or_else(|| "a managed secret".into());
                self.threshold(
                    RuleId::LeakedSecret,
                    r,
                    std::slice::from_ref(&name),
                    count,
                    who.clone(),
                    secret.clone(),
                    |n, _| format!("the value of {name} was found outside keyward by `keyward scan --managed` ({n} hits)"),
                    out,
                );
            }
            actions::VERIFY_AUDIT if e.outcome == Outcome::Error => {
                self.threshold(
                    RuleId::AuditChainFailure,
                    r,
                    &["chain".into()],
                    count,
                    who.clone(),
                    None,
                    |_, _| "audit chain verification failed: records were altered, removed or reordered".into(),
                    out,
                );
            }
            _ => {}
        }
        if e.outcome == Outcome::Success
            && read
            && !is_system(r)
            && let (Some(principal), Some(name)) = (&who, &secret)
        {
            self.access_rules(r, principal, name, out);
        }
    }

    /// Counts `count` events for each subject; fires once per subject and window.
    #[allow(clippy::too_many_arguments)]
    fn threshold(
        &mut self,
        id: RuleId,
        r: &AuditRecord,
        subjects: &[String],
        count: u64,
        principal: Option<String>,
        secret: Option<String>,
        summary: impl Fn(u64, Duration) -> String,
        out: &mut Vec<Alert>,
    ) {
        let Some(rule) = self.on(id) else { return };
        let at = r.event.time;
        let mut fire_count = None;
        for subject in subjects {
            // A window that ended is closed first (its follow-up goes out).
            let key = (id, subject.clone());
            if let Some(w) = self.windows.get(&key)
                && at - w.start >= rule.window
                && let Some(w) = self.windows.remove(&key)
            {
                out.extend(follow_up(id, subject, w, rule.window));
            }
            if !self.windows.contains_key(&key) && self.windows.len() >= MAX_SUBJECTS {
                self.evict_oldest(out);
            }
            let w = self.windows.entry(key).or_insert(Window {
                start: at,
                count: 0,
                fired: false,
                template: None,
            });
            w.count += count;
            if !w.fired && w.count >= rule.threshold {
                w.fired = true;
                fire_count = Some(fire_count.unwrap_or(0).max(w.count));
            }
        }
        if let Some(n) = fire_count {
            let alert = Alert {
                id: format!("{}:{}", id.as_str(), r.seq),
                rule: id.as_str().into(),
                severity: rule.severity,
                summary: summary(n, rule.window),
                principal,
                secret,
                source_ip: r.event.source_ip.clone(),
                time: at,
                count: n,
            };
            for subject in subjects {
                if let Some(w) = self.windows.get_mut(&(id, subject.clone()))
                    && w.fired
                    && w.template.is_none()
                {
                    // Only the count beyond what was reported follows up.
                    w.count = 0;
                    w.template = Some(alert.clone());
                }
            }
            out.push(alert);
        }
    }

    fn evict_oldest(&mut self, out: &mut Vec<Alert>) {
        let oldest = self
            .windows
            .iter()
            .min_by_key(|(_, w)| w.start)
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest
            && let Some(w) = self.windows.remove(&k)
        {
            let window = self.rules.get(k.0).window;
            out.extend(follow_up(k.0, &k.1, w, window));
        }
    }

    /// Closes the windows that ended by `now`: their follow-up alerts.
    pub fn tick(&mut self, now: OffsetDateTime) -> Vec<Alert> {
        let mut out = Vec::new();
        let ended: Vec<(RuleId, String)> = self
            .windows
            .iter()
            .filter(|((id, _), w)| now - w.start >= self.rules.get(*id).window)
            .map(|(k, _)| k.clone())
            .collect();
        for k in ended {
            if let Some(w) = self.windows.remove(&k) {
                let window = self.rules.get(k.0).window;
                out.extend(follow_up(k.0, &k.1, w, window));
            }
        }
        self.access
            .tick(now, self.rules.get(RuleId::UnusualAccess).window);
        dedup(out)
    }
}

/// One alert per id: one event counted under two subjects (a source address and an
/// access key) fires, and follows up, once; the larger count wins.
fn dedup(alerts: Vec<Alert>) -> Vec<Alert> {
    let mut out: Vec<Alert> = Vec::with_capacity(alerts.len());
    for a in alerts {
        match out.iter_mut().find(|b| b.id == a.id) {
            Some(b) if a.count > b.count => *b = a,
            Some(_) => {}
            None => out.push(a),
        }
    }
    out
}

/// The alert that says how many more events a fired window counted after it fired.
fn follow_up(id: RuleId, subject: &str, w: Window, window: Duration) -> Option<Alert> {
    let template = w.template?;
    if w.count == 0 {
        return None;
    }
    Some(Alert {
        id: format!("{}:more", template.id),
        summary: format!(
            "{} more {} events for {subject} in the {}s after the alert",
            w.count,
            id.as_str(),
            window.as_secs()
        ),
        count: w.count,
        time: w.start + window,
        ..template
    })
}

#[cfg(test)]
mod tests;
