//! Request context and the allow/deny decision.
//!
//! Evaluation logic (same-account semantics):
//! 1. an applicable `Deny` statement in any identity policy or in the
//!    resource policy wins (`ExplicitDeny`);
//! 2. otherwise an applicable `Allow` in any identity policy, or in the
//!    resource policy for this principal, grants access;
//! 3. otherwise `ImplicitDeny`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::parse::{Effect, Policy, Statement};

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Some statement allows the request and none denies it.
    Allow,
    /// A `Deny` statement applies; `sid` is its `Sid`, if it has one.
    ExplicitDeny { sid: Option<String> },
    /// No statement allows the request.
    ImplicitDeny,
}

impl Decision {
    /// `true` only for [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Everything a policy can look at for one request.
///
/// Context keys are case-insensitive and may carry several values
/// (multi-valued keys, e.g. `aws:TagKeys`). `aws:PrincipalArn` and
/// `aws:PrincipalAccount` default to `principal_arn` / `principal_account`
/// when not set explicitly.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// e.g. `secretsmanager:GetSecretValue` (matched case-insensitively).
    pub action: String,
    /// Resource ARN, e.g. `arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf`.
    pub resource: String,
    /// e.g. `arn:aws:iam::123456789012:user/alice`.
    pub principal_arn: String,
    /// 12-digit account ID of the principal.
    pub principal_account: String,
    /// Lower-cased key -> values.
    keys: HashMap<Box<str>, Vec<String>, BuildHasherDefault<Fnv1a>>,
}

/// FNV-1a: keys are short, few and server-assembled, so a fast
/// non-randomised hash is fine (and half the cost of SipHash here).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl RequestContext {
    /// A context with no condition keys.
    pub fn new(
        action: impl Into<String>,
        resource: impl Into<String>,
        principal_arn: impl Into<String>,
        principal_account: impl Into<String>,
    ) -> Self {
        RequestContext {
            action: action.into(),
            resource: resource.into(),
            principal_arn: principal_arn.into(),
            principal_account: principal_account.into(),
            keys: HashMap::default(),
        }
    }

    /// Builder: set `key` to a single value (replacing earlier values).
    pub fn with_value(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// Builder: set `key` to several values (a multi-valued key).
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set_values(key, values);
        self
    }

    /// Set `key` to a single value (replacing earlier values).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.keys
            .insert(key.to_ascii_lowercase().into(), vec![value.into()]);
    }

    /// Set `key` to several values; an empty list counts as absent.
    pub fn set_values<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys.insert(
            key.to_ascii_lowercase().into(),
            values.into_iter().map(Into::into).collect(),
        );
    }

    /// Append one value to `key`.
    pub fn push_value(&mut self, key: &str, value: impl Into<String>) {
        self.keys
            .entry(key.to_ascii_lowercase().into())
            .or_default()
            .push(value.into());
    }

    /// Remove `key`.
    pub fn remove(&mut self, key: &str) {
        self.keys.remove(key.to_ascii_lowercase().as_str());
    }

    /// Values of `key` (case-insensitive), if present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.get_lower(&key.to_ascii_lowercase())
        } else {
            self.get_lower(key)
        }
    }

    /// Lookup with an already lower-cased key (hot path, no allocation).
    pub(crate) fn get_lower(&self, key_lower: &str) -> Option<&[String]> {
        if let Some(v) = self.keys.get(key_lower) {
            return Some(v.as_slice());
        }
        match key_lower {
            "aws:principalarn" if !self.principal_arn.is_empty() => {
                Some(std::slice::from_ref(&self.principal_arn))
            }
            "aws:principalaccount" if !self.principal_account.is_empty() => {
                Some(std::slice::from_ref(&self.principal_account))
            }
            _ => None,
        }
    }
}

/// Which side of the evaluation a policy is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Identity,
    Resource,
}

/// Evaluate a request against the principal's identity policies and the
/// target's resource policy. Explicit deny wins, then any allow, else
/// implicit deny.
pub fn evaluate(
    identity_policies: &[&Policy],
    resource_policy: Option<&Policy>,
    request: &RequestContext,
) -> Decision {
    let mut allowed = false;
    let sides = identity_policies
        .iter()
        .map(|p| (*p, Side::Identity))
        .chain(resource_policy.map(|p| (p, Side::Resource)));
    for (policy, side) in sides {
        for st in policy.statements() {
            if !applies(st, side, request) {
                continue;
            }
            match st.effect() {
                Effect::Deny => {
                    return Decision::ExplicitDeny {
                        sid: st.sid().map(str::to_owned),
                    };
                }
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// Does the statement apply to the request (action, resource, principal,
/// conditions)? Cheapest checks first.
fn applies(st: &Statement, side: Side, req: &RequestContext) -> bool {
    if !st.action_matches(&req.action) {
        return false;
    }
    if !st.resource_matches(&req.resource, req) {
        return false;
    }
    match st.principal_matches(req) {
        Some(m) => {
            if !m {
                return false;
            }
        }
        None => {
            // No Principal/NotPrincipal. Identity policies are attached to
            // the principal, so it is implied. In a resource policy such a
            // statement is malformed: it grants nothing, but a Deny still
            // applies to everyone (fail closed).
            if side == Side::Resource && st.effect() == Effect::Allow {
                return false;
            }
        }
    }
    st.conditions_match(req)
}
