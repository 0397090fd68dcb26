//! `[alert.rules]`: each rule's settings over its defaults, resolved into [`Rules`].

use super::{RuleId, hours};
use crate::alert::Severity;
use crate::config::{ConfigError, opt_secs};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

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
    pub(super) by_id: HashMap<RuleId, Resolved>,
    pub business_hours: Vec<hours::BusinessHours>,
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
