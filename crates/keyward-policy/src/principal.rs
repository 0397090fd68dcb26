//! The `Principal` / `NotPrincipal` element: what it may name, its strict
//! parser, and whether it names the requester.

use serde_json::Value;

use crate::parse::string_list;

/// One entry of `Principal: {"AWS": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsPrincipal {
    /// `"*"`: everyone.
    Any,
    /// `"123456789012"` or `"arn:aws:iam::123456789012:root"`: every
    /// principal of that account.
    Account(String),
    /// Any other ARN, matched exactly against the request's principal ARN.
    Arn(String),
}

/// The `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`.
    Any,
    /// `{"AWS": ..., "Service": ..., "Federated": ..., "CanonicalUser": ...}`.
    /// keyward principals are IAM-style users, so only `AWS` entries can
    /// ever match; the others are accepted for compatibility.
    Set {
        aws: Vec<AwsPrincipal>,
        service: Vec<String>,
        federated: Vec<String>,
        canonical_user: Vec<String>,
    },
}

impl Principal {
    /// Does this principal element name the requester?
    pub fn matches(&self, principal_arn: &str, principal_account: &str) -> bool {
        match self {
            Principal::Any => true,
            Principal::Set { aws, .. } => aws.iter().any(|p| match p {
                AwsPrincipal::Any => true,
                AwsPrincipal::Account(a) => a == principal_account,
                AwsPrincipal::Arn(a) => a == principal_arn,
            }),
        }
    }

    /// `"*"` or `{"AWS": "*"}` (possibly among others): anyone at all.
    pub fn is_wildcard(&self) -> bool {
        match self {
            Principal::Any => true,
            Principal::Set { aws, .. } => aws.contains(&AwsPrincipal::Any),
        }
    }
}

pub(crate) fn parse_principal(v: &Value) -> Result<Principal, String> {
    match v {
        Value::String(s) if s == "*" => Ok(Principal::Any),
        Value::String(_) => {
            Err("must be \"*\" or an object such as {\"AWS\": \"<arn or account id>\"}".into())
        }
        Value::Object(m) => {
            if m.is_empty() {
                return Err("must name at least one principal".into());
            }
            let (mut aws, mut service, mut federated, mut canonical_user) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for (k, vals) in m {
                let vals = string_list(vals).map_err(|e| format!("{k}: {e}"))?;
                match k.as_str() {
                    "AWS" => {
                        for p in vals {
                            aws.push(parse_aws_principal(&p)?);
                        }
                    }
                    "Service" => service = vals,
                    "Federated" => federated = vals,
                    "CanonicalUser" => canonical_user = vals,
                    _ => {
                        return Err(format!(
                            "unknown principal type `{k}` (expected AWS, Service, Federated, CanonicalUser)"
                        ));
                    }
                }
            }
            Ok(Principal::Set {
                aws,
                service,
                federated,
                canonical_user,
            })
        }
        _ => Err("must be \"*\" or an object such as {\"AWS\": \"<arn or account id>\"}".into()),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_aws_principal(p: &str) -> Result<AwsPrincipal, String> {
    if p == "*" {
        return Ok(AwsPrincipal::Any);
    }
    if is_account_id(p) {
        return Ok(AwsPrincipal::Account(p.to_string()));
    }
    if let Some(arn) = crate::arn::Arn::parse(p) {
        if arn.service == "iam" {
            if arn.resource == "root" && is_account_id(arn.account) {
                return Ok(AwsPrincipal::Account(arn.account.to_string()));
            }
            if p.contains('*') || p.contains('?') {
                return Err(format!(
                    "AWS principal `{p}`: wildcards are not allowed in principal ARNs (use \"*\" or a Condition on aws:PrincipalArn)"
                ));
            }
            return Ok(AwsPrincipal::Arn(p.to_string()));
        }
        if arn.service == "sts" {
            return Ok(AwsPrincipal::Arn(p.to_string()));
        }
    }
    Err(format!(
        "AWS principal `{p}` must be \"*\", a 12-digit account ID or an IAM ARN"
    ))
}
