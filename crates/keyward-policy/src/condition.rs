//! The `Condition` element: operator parsing, value pre-compilation and
//! evaluation with AWS semantics.
//!
//! * values listed for one key are OR'ed; keys within an operator and
//!   operators within a block are AND'ed;
//! * a key missing from the request makes a positive operator false and a
//!   negated operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, …)
//!   true; `...IfExists` makes a missing key true; `Null` tests presence;
//! * `ForAnyValue:` is true if at least one request value satisfies the
//!   operator (false for a missing key), `ForAllValues:` if every request
//!   value does (true for a missing key);
//! * negated operators are "matches none of the policy values", evaluated
//!   per request value.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::evaluate::RequestContext;
use crate::matcher::{ArnPattern, Glob, GlobOpts};

/// Comparison of an ordered operator (`Numeric*`, `Date*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str { ci: bool, wildcards: bool },
    Num(Cmp),
    Date(Cmp),
    Bool,
    Ip,
    Arn,
    Null,
}

/// Base operator names (without qualifier / IfExists): kind and negation.
const OPERATORS: &[(&str, Kind, bool)] = &[
    (
        "StringEquals",
        Kind::Str {
            ci: false,
            wildcards: false,
        },
        false,
    ),
    (
        "StringNotEquals",
        Kind::Str {
            ci: false,
            wildcards: false,
        },
        true,
    ),
    (
        "StringEqualsIgnoreCase",
        Kind::Str {
            ci: true,
            wildcards: false,
        },
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Kind::Str {
            ci: true,
            wildcards: false,
        },
        true,
    ),
    (
        "StringLike",
        Kind::Str {
            ci: false,
            wildcards: true,
        },
        false,
    ),
    (
        "StringNotLike",
        Kind::Str {
            ci: false,
            wildcards: true,
        },
        true,
    ),
    (
        "BinaryEquals",
        Kind::Str {
            ci: false,
            wildcards: false,
        },
        false,
    ),
    ("NumericEquals", Kind::Num(Cmp::Eq), false),
    ("NumericNotEquals", Kind::Num(Cmp::Eq), true),
    ("NumericLessThan", Kind::Num(Cmp::Lt), false),
    ("NumericLessThanEquals", Kind::Num(Cmp::Le), false),
    ("NumericGreaterThan", Kind::Num(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Kind::Num(Cmp::Ge), false),
    ("DateEquals", Kind::Date(Cmp::Eq), false),
    ("DateNotEquals", Kind::Date(Cmp::Eq), true),
    ("DateLessThan", Kind::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Kind::Date(Cmp::Le), false),
    ("DateGreaterThan", Kind::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Kind::Date(Cmp::Ge), false),
    ("Bool", Kind::Bool, false),
    ("IpAddress", Kind::Ip, false),
    ("NotIpAddress", Kind::Ip, true),
    ("ArnEquals", Kind::Arn, false),
    ("ArnLike", Kind::Arn, false),
    ("ArnNotEquals", Kind::Arn, true),
    ("ArnNotLike", Kind::Arn, true),
    ("Null", Kind::Null, false),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone)]
enum Values {
    Str(Vec<Glob>),
    Num(Vec<f64>),
    Date(Vec<i128>),
    Bool(Vec<bool>),
    Ip(Vec<IpNet>),
    Arn(Vec<ArnPattern>),
    Null(bool),
}

/// One `operator: { key: values }` pair, pre-compiled.
#[derive(Debug, Clone)]
pub(crate) struct Clause {
    /// Canonical operator name as written (qualifier + base + IfExists).
    pub(crate) operator: String,
    pub(crate) base: &'static str,
    pub(crate) negated: bool,
    pub(crate) if_exists: bool,
    kind: Kind,
    qualifier: Option<SetQualifier>,
    /// Key as written in the policy.
    pub(crate) key: String,
    key_lower: Box<str>,
    /// Raw string forms of the policy values (for validation/reporting).
    pub(crate) raw_values: Vec<String>,
    values: Values,
}

/// A compiled `Condition` element: every clause must hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConditionBlock {
    pub(crate) clauses: Vec<Clause>,
}

/// Error from condition parsing: (field path, message).
pub(crate) type CondError = (String, String);

impl ConditionBlock {
    pub(crate) fn parse(v: &Value, variables: bool) -> Result<ConditionBlock, CondError> {
        let obj = v.as_object().ok_or_else(|| {
            (
                "Condition".to_string(),
                "must be an object mapping condition operators to {key: values}".to_string(),
            )
        })?;
        let mut clauses = Vec::new();
        for (op_name, body) in obj {
            let field = format!("Condition.{op_name}");
            let (qualifier, base, kind, negated, if_exists) =
                parse_operator(op_name).ok_or_else(|| {
                    (
                        field.clone(),
                        format!("unknown condition operator `{op_name}`"),
                    )
                })?;
            let body = body.as_object().ok_or_else(|| {
                (
                    field.clone(),
                    "must be an object mapping condition keys to values".to_string(),
                )
            })?;
            if body.is_empty() {
                return Err((field, "must name at least one condition key".to_string()));
            }
            for (key, raw) in body {
                let kfield = format!("{field}.{key}");
                if key.is_empty() {
                    return Err((field.clone(), "condition key must not be empty".to_string()));
                }
                let raw_values = scalar_list(raw).map_err(|m| (kfield.clone(), m))?;
                let values = compile_values(kind, &raw_values, variables)
                    .map_err(|m| (kfield.clone(), m))?;
                clauses.push(Clause {
                    operator: op_name.clone(),
                    base,
                    negated,
                    if_exists,
                    kind,
                    qualifier,
                    key: key.clone(),
                    key_lower: key.to_ascii_lowercase().into_boxed_str(),
                    raw_values,
                    values,
                });
            }
        }
        Ok(ConditionBlock { clauses })
    }

    pub(crate) fn matches(&self, ctx: &RequestContext) -> bool {
        self.clauses.iter().all(|c| c.matches(ctx))
    }
}

type ParsedOp = (Option<SetQualifier>, &'static str, Kind, bool, bool);

fn parse_operator(name: &str) -> Option<ParsedOp> {
    let mut rest = name;
    let mut qualifier = None;
    for (prefix, q) in [
        ("ForAnyValue:", SetQualifier::ForAnyValue),
        ("ForAllValues:", SetQualifier::ForAllValues),
    ] {
        if rest
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        {
            qualifier = Some(q);
            rest = &rest[prefix.len()..];
            break;
        }
    }
    let mut if_exists = false;
    const SUFFIX: &str = "IfExists";
    if rest.len() > SUFFIX.len()
        && rest
            .get(rest.len() - SUFFIX.len()..)
            .is_some_and(|s| s.eq_ignore_ascii_case(SUFFIX))
    {
        if_exists = true;
        rest = &rest[..rest.len() - SUFFIX.len()];
    }
    let &(base, kind, negated) = OPERATORS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(rest))?;
    if kind == Kind::Null && (if_exists || qualifier.is_some()) {
        return None; // `NullIfExists`, `ForAnyValue:Null` are not operators
    }
    Some((qualifier, base, kind, negated, if_exists))
}

/// A condition value: a scalar or a non-empty array of scalars.
fn scalar_list(v: &Value) -> Result<Vec<String>, String> {
    fn scalar(v: &Value) -> Result<String, String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err("condition values must be strings, numbers or booleans".to_string()),
        }
    }
    match v {
        Value::Array(items) => {
            if items.is_empty() {
                return Err("condition value list must not be empty".to_string());
            }
            items.iter().map(scalar).collect()
        }
        other => Ok(vec![scalar(other)?]),
    }
}

fn compile_values(kind: Kind, raw: &[String], variables: bool) -> Result<Values, String> {
    Ok(match kind {
        Kind::Str { ci, wildcards } => Values::Str(
            raw.iter()
                .map(|s| {
                    Glob::compile(
                        s,
                        GlobOpts {
                            wildcards,
                            variables,
                            case_insensitive: ci,
                        },
                    )
                })
                .collect(),
        ),
        Kind::Num(_) => Values::Num(
            raw.iter()
                .map(|s| parse_number(s).ok_or_else(|| format!("`{s}` is not a number")))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Date(_) => Values::Date(
            raw.iter()
                .map(|s| {
                    parse_date(s).ok_or_else(|| {
                        format!("`{s}` is not an ISO 8601 date/time or epoch seconds")
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Kind::Bool => Values::Bool(
            raw.iter()
                .map(|s| parse_bool(s).ok_or_else(|| format!("`{s}` is not true or false")))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Ip => Values::Ip(
            raw.iter()
                .map(|s| {
                    parse_cidr(s)
                        .ok_or_else(|| format!("`{s}` is not an IPv4/IPv6 address or CIDR block"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Kind::Arn => Values::Arn(
            raw.iter()
                .map(|s| ArnPattern::compile(s, variables))
                .collect(),
        ),
        Kind::Null => {
            if raw.len() != 1 {
                return Err("Null takes a single true/false value".to_string());
            }
            Values::Null(
                parse_bool(&raw[0]).ok_or_else(|| format!("`{}` is not true or false", raw[0]))?,
            )
        }
    })
}

impl Clause {
    fn matches(&self, ctx: &RequestContext) -> bool {
        let present = ctx.get_lower(&self.key_lower).filter(|v| !v.is_empty());
        if let Values::Null(want_null) = self.values {
            return want_null == present.is_none();
        }
        let Some(request_values) = present else {
            if self.if_exists {
                return true;
            }
            return match self.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => self.negated,
            };
        };
        // Per request value: does it satisfy the operator?
        let sat = |v: &String| self.value_matches(v, ctx) != self.negated;
        match self.qualifier {
            Some(SetQualifier::ForAnyValue) => request_values.iter().any(sat),
            Some(SetQualifier::ForAllValues) => request_values.iter().all(sat),
            // Unqualified on a multi-valued key: a positive operator needs
            // some value to match, a negated one needs no value to match.
            None if self.negated => request_values.iter().all(sat),
            None => request_values.iter().any(sat),
        }
    }

    /// Does one request value match any policy value (ignoring negation)?
    fn value_matches(&self, v: &str, ctx: &RequestContext) -> bool {
        let c = match self.kind {
            Kind::Num(c) | Kind::Date(c) => c,
            _ => Cmp::Eq,
        };
        match &self.values {
            Values::Str(globs) => globs.iter().any(|g| g.matches(v, Some(ctx))),
            Values::Num(ns) => parse_number(v).is_some_and(|r| ns.iter().any(|&p| c.holds(r, p))),
            Values::Date(ds) => parse_date(v).is_some_and(|r| ds.iter().any(|&p| c.holds(r, p))),
            Values::Bool(bs) => parse_bool(v).is_some_and(|r| bs.contains(&r)),
            Values::Ip(nets) => parse_ip(v).is_some_and(|ip| nets.iter().any(|n| ip_in(n, ip))),
            Values::Arn(pats) => pats.iter().any(|p| p.matches(v, Some(ctx))),
            Values::Null(_) => false,
        }
    }

    /// Is this a positive, exact (wildcard-free) restriction on its key?
    pub(crate) fn is_exact_restriction(&self) -> bool {
        if self.negated || self.if_exists || self.qualifier == Some(SetQualifier::ForAllValues) {
            return false;
        }
        match &self.values {
            Values::Str(g) => !g.iter().any(Glob::has_wildcards),
            Values::Arn(a) => !a.iter().any(ArnPattern::has_wildcards),
            Values::Ip(nets) => nets.iter().all(|n| n.prefix_len() > 0),
            _ => false,
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Parse an ISO 8601 date/time (offset optional: UTC assumed; date-only is
/// midnight UTC) or epoch seconds, to Unix nanoseconds.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !s[1..].contains('-')
    {
        // Epoch seconds (possibly fractional).
        let secs: f64 = s.parse().ok()?;
        if !secs.is_finite() || secs.abs() > 1e12 {
            return None;
        }
        return Some((secs * 1e9) as i128);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = PrimitiveDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t.assume_utc().unix_timestamp_nanos());
    }
    if let Ok(d) = Date::parse(s, &Iso8601::DEFAULT) {
        return Some(d.midnight().assume_utc().unix_timestamp_nanos());
    }
    None
}

fn parse_cidr(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if s.contains('/') {
        // Accept host bits set (e.g. 10.0.0.5/8) like AWS does.
        s.parse::<IpNet>().ok().map(|n| n.trunc())
    } else {
        s.parse::<IpAddr>().ok().map(IpNet::from)
    }
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<IpNet>().ok().map(|n| n.addr()))
}

fn ip_in(net: &IpNet, ip: IpAddr) -> bool {
    if net.contains(&ip) {
        return true;
    }
    // IPv4-mapped IPv6 request addresses match IPv4 blocks.
    match (net, ip) {
        (IpNet::V4(_), IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .is_some_and(|v4| net.contains(&IpAddr::V4(v4))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        assert!(parse_operator("StringEquals").is_some());
        assert!(parse_operator("stringequals").is_some());
        let (q, base, _, neg, ie) = parse_operator("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(q, Some(SetQualifier::ForAllValues));
        assert_eq!(base, "StringNotLike");
        assert!(neg && ie);
        assert!(parse_operator("NullIfExists").is_none());
        assert!(parse_operator("ForAnyValue:Null").is_none());
        assert!(parse_operator("IfExists").is_none());
        assert!(parse_operator("StringSortOf").is_none());
    }

    #[test]
    fn dates() {
        let a = parse_date("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_date("1577836800"), Some(a));
        assert_eq!(parse_date("2020-01-01"), Some(a));
        assert_eq!(parse_date("2020-01-01T00:00:00"), Some(a));
        assert_eq!(parse_date("2020-01-01T01:00:00+01:00"), Some(a));
        assert!(parse_date("yesterday").is_none());
        assert!(parse_date("").is_none());
    }
}
