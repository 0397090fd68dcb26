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
mod settings;

use crate::alert::{Alert, Severity, secret_name};
use keyward_store::{AuditRecord, Outcome};
use std::collections::HashMap;
use std::time::Duration;
use time::OffsetDateTime;

pub use hours::BusinessHours;
pub use settings::{
    OffHoursSettings, Resolved, RuleSettings, Rules, RulesConfig, UnusualAccessSettings,
};

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
