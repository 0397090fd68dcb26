//! Policy linting for `ValidateResourcePolicy` / `keyward policy put`.
//!
//! Parsing already rejects malformed documents; `validate` adds checks that
//! depend on where the policy is used, style warnings, and the
//! "broad access" flag the server uses to implement `BlockPublicPolicy`.

use std::collections::HashSet;

use crate::arn::Arn;
use crate::parse::{Effect, Policy, PolicyError, PolicyVersion, Statement, statement_label};

/// Where a policy is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user/group: must not contain `Principal`.
    Identity,
    /// Attached to a secret/parameter: every statement needs `Principal`.
    Resource,
}

/// Severity of a [`Finding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One validation message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Statement index, or `None` for document-level findings.
    pub statement: Option<usize>,
    pub sid: Option<String>,
    /// Offending element, e.g. `Principal`, `Resource`, `Version`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.statement {
            Some(i) => write!(
                f,
                "{sev}: {}: field `{}`: {}",
                statement_label(i, self.sid.as_deref()),
                self.field,
                self.message
            ),
            None => write!(f, "{sev}: field `{}`: {}", self.field, self.message),
        }
    }
}

/// Result of [`validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    pub findings: Vec<Finding>,
    /// A resource policy grants access to anyone (`Principal: "*"`,
    /// `{"AWS": "*"}` or an `Allow` with `NotPrincipal`) without an exact
    /// condition on the caller's identity, account, ARN or source IP.
    /// Servers reject such policies when `BlockPublicPolicy` is set.
    pub broad_access: bool,
}

impl ValidationReport {
    /// No findings of severity `Error`.
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }
}

/// Services whose actions keyward implements.
const KNOWN_SERVICES: &[&str] = &["secretsmanager", "ssm", "kms", "iam", "sts"];

/// Condition keys whose exact values pin a wildcard principal down to
/// known callers (AWS's notion of a "non-public" policy).
const RESTRICTING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "aws:username",
];

/// Parse and validate in one step.
pub fn validate_str(json: &str, kind: PolicyKind) -> Result<ValidationReport, PolicyError> {
    Ok(validate(&Policy::parse(json)?, kind))
}

/// Check a parsed policy for use as `kind`.
pub fn validate(policy: &Policy, kind: PolicyKind) -> ValidationReport {
    let mut r = ValidationReport::default();
    let doc = |severity, field: &str, message: &str| Finding {
        severity,
        statement: None,
        sid: None,
        field: field.into(),
        message: message.into(),
    };
    match policy.version() {
        None if !policy.is_lone_statement() => r.findings.push(doc(
            Severity::Warning,
            "Version",
            "no Version: policy variables such as ${aws:username} are treated as literal text; use \"2012-10-17\"",
        )),
        Some(PolicyVersion::V2008_10_17) => r.findings.push(doc(
            Severity::Warning,
            "Version",
            "\"2008-10-17\" does not support policy variables; use \"2012-10-17\"",
        )),
        _ => {}
    }
    let mut sids = HashSet::new();
    for st in policy.statements() {
        if let Some(sid) = st.sid() {
            if !sids.insert(sid) {
                push(
                    &mut r,
                    st,
                    Severity::Error,
                    "Sid",
                    "duplicate Sid; Sids must be unique within a policy".into(),
                );
            }
            if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                push(
                    &mut r,
                    st,
                    Severity::Warning,
                    "Sid",
                    "AWS allows only ASCII letters and digits in Sid".into(),
                );
            }
        }
        check_statement(&mut r, st, kind);
    }
    r
}

fn push(
    r: &mut ValidationReport,
    st: &Statement,
    severity: Severity,
    field: &str,
    message: String,
) {
    r.findings.push(Finding {
        severity,
        statement: Some(st.index()),
        sid: st.sid().map(str::to_owned),
        field: field.into(),
        message,
    });
}

fn check_statement(r: &mut ValidationReport, st: &Statement, kind: PolicyKind) {
    let principal_field = if st.is_not_principal() {
        "NotPrincipal"
    } else {
        "Principal"
    };
    match (kind, st.principal()) {
        (PolicyKind::Identity, Some(_)) => push(
            r,
            st,
            Severity::Error,
            principal_field,
            "identity policies must not contain Principal or NotPrincipal".into(),
        ),
        (PolicyKind::Resource, None) => push(
            r,
            st,
            Severity::Error,
            "Principal",
            "resource policy statements must specify Principal or NotPrincipal".into(),
        ),
        _ => {}
    }
    let allow = st.effect() == Effect::Allow;
    if allow && st.is_not_principal() {
        push(
            r,
            st,
            Severity::Warning,
            "NotPrincipal",
            "Allow with NotPrincipal grants access to every other principal".into(),
        );
    }
    if allow && st.is_not_action() {
        push(
            r,
            st,
            Severity::Warning,
            "NotAction",
            "Allow with NotAction grants every other action".into(),
        );
    }
    if allow && st.is_not_resource() {
        push(
            r,
            st,
            Severity::Warning,
            "NotResource",
            "Allow with NotResource grants every other resource".into(),
        );
    }
    let action_field = if st.is_not_action() {
        "NotAction"
    } else {
        "Action"
    };
    for a in st.actions() {
        if a == "*" {
            if allow && !st.is_not_action() {
                push(
                    r,
                    st,
                    Severity::Warning,
                    action_field,
                    "\"*\" grants every action".into(),
                );
            }
            continue;
        }
        let svc = a.split(':').next().unwrap_or_default().to_ascii_lowercase();
        if !KNOWN_SERVICES.contains(&svc.as_str()) {
            push(
                r,
                st,
                Severity::Warning,
                action_field,
                format!("`{a}`: service `{svc}` is not implemented by keyward"),
            );
        }
    }
    let resource_field = if st.is_not_resource() {
        "NotResource"
    } else {
        "Resource"
    };
    for res in st.resources() {
        if res != "*" && Arn::parse(res).is_none() {
            push(
                r,
                st,
                Severity::Warning,
                resource_field,
                format!(
                    "`{res}` is neither \"*\" nor an ARN (arn:partition:service:region:account:resource); it will only match literally"
                ),
            );
        }
    }
    if kind == PolicyKind::Resource && allow {
        let anyone = st.is_not_principal() || st.principal().is_some_and(|p| p.is_wildcard());
        let restricted = st.clauses().iter().any(|c| {
            RESTRICTING_KEYS.contains(&c.key.to_ascii_lowercase().as_str())
                && c.is_exact_restriction()
        });
        if anyone && !restricted {
            r.broad_access = true;
            push(
                r,
                st,
                Severity::Warning,
                principal_field,
                "grants broad access: any principal is allowed; add a condition on aws:PrincipalAccount/aws:PrincipalArn or name principals explicitly".into(),
            );
        }
    }
    for c in st.clauses() {
        if c.base.starts_with("String")
            && !c.base.contains("Like")
            && c.raw_values
                .iter()
                .any(|v| v.contains('*') || v.contains('?'))
        {
            push(
                r,
                st,
                Severity::Warning,
                &format!("Condition.{}", c.operator),
                format!(
                    "`{}`: {} does not expand wildcards; did you mean StringLike?",
                    c.key, c.base
                ),
            );
        }
    }
}
