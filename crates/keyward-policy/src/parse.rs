//! Policy document model and strict parsing.

use std::fmt;

use serde_json::{Map, Value};

use crate::condition::{Clause, ConditionBlock};
use crate::evaluate::RequestContext;
use crate::matcher::{ArnPattern, Glob, GlobOpts};
use crate::principal::{Principal, parse_principal};

/// Why a policy document was rejected. The `Display` text names the
/// statement (index and Sid) and the offending field; it is meant to be
/// shown to users verbatim (`ValidateResourcePolicy`, `keyward policy put`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The input is not JSON.
    #[error("policy document is not valid JSON: {0}")]
    Json(String),
    /// A problem with a top-level element (`Version`, `Id`, `Statement`, …).
    #[error("policy document: field `{field}`: {message}")]
    Document { field: String, message: String },
    /// A problem inside statement number `index` (0-based).
    #[error("{}: field `{field}`: {message}", statement_label(*.index, .sid.as_deref()))]
    Statement {
        index: usize,
        sid: Option<String>,
        field: String,
        message: String,
    },
}

/// `Statement[1]` or `Statement[1] (Sid "AdminWrite")`.
pub(crate) fn statement_label(index: usize, sid: Option<&str>) -> String {
    match sid {
        Some(s) => format!("Statement[{index}] (Sid {s:?})"),
        None => format!("Statement[{index}]"),
    }
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyVersion {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17`: `${...}` is literal text.
    V2008_10_17,
}

impl PolicyVersion {
    /// The string form used in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVersion::V2012_10_17 => "2012-10-17",
            PolicyVersion::V2008_10_17 => "2008-10-17",
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A parsed, pre-compiled statement.
#[derive(Debug, Clone)]
pub struct Statement {
    index: usize,
    sid: Option<String>,
    effect: Effect,
    actions: Vec<String>,
    not_action: bool,
    action_globs: Vec<Glob>,
    resources: Vec<String>,
    not_resource: bool,
    resource_pats: Vec<ArnPattern>,
    principal: Option<Principal>,
    not_principal: bool,
    condition: ConditionBlock,
    raw: Value,
}

impl Statement {
    /// 0-based position in the policy.
    pub fn index(&self) -> usize {
        self.index
    }
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    pub fn effect(&self) -> Effect {
        self.effect
    }
    /// The `Action` (or `NotAction`, see [`Statement::is_not_action`]) patterns.
    pub fn actions(&self) -> &[String] {
        &self.actions
    }
    pub fn is_not_action(&self) -> bool {
        self.not_action
    }
    /// The `Resource` (or `NotResource`) patterns.
    pub fn resources(&self) -> &[String] {
        &self.resources
    }
    pub fn is_not_resource(&self) -> bool {
        self.not_resource
    }
    /// The `Principal` (or `NotPrincipal`) element, if any.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }
    pub fn is_not_principal(&self) -> bool {
        self.not_principal
    }
    /// Condition keys used by this statement, as written.
    pub fn condition_keys(&self) -> impl Iterator<Item = &str> {
        self.condition.clauses.iter().map(|c| c.key.as_str())
    }
    pub(crate) fn clauses(&self) -> &[Clause] {
        &self.condition.clauses
    }
    /// The statement as written (canonical JSON for [`Policy::to_json`]).
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    pub(crate) fn action_matches(&self, action: &str) -> bool {
        self.action_globs.iter().any(|g| g.matches(action, None)) != self.not_action
    }

    pub(crate) fn resource_matches(&self, resource: &str, ctx: &RequestContext) -> bool {
        self.resource_pats
            .iter()
            .any(|p| p.matches(resource, Some(ctx)))
            != self.not_resource
    }

    /// `None` when the statement has no Principal/NotPrincipal.
    pub(crate) fn principal_matches(&self, ctx: &RequestContext) -> Option<bool> {
        self.principal
            .as_ref()
            .map(|p| p.matches(&ctx.principal_arn, &ctx.principal_account) != self.not_principal)
    }

    pub(crate) fn conditions_match(&self, ctx: &RequestContext) -> bool {
        self.condition.matches(ctx)
    }
}

/// A parsed IAM policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    version: Option<PolicyVersion>,
    id: Option<String>,
    statements: Vec<Statement>,
    lone_statement: bool,
}

const TOP_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

impl Policy {
    /// Parse a policy document: `{"Version", "Id", "Statement": {..} | [..]}`,
    /// or a lone statement object (treated as a one-statement policy).
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        let v: Value = serde_json::from_str(json).map_err(|e| PolicyError::Json(e.to_string()))?;
        Policy::from_value(&v)
    }

    /// Like [`Policy::parse`] for an already-decoded JSON value.
    pub fn from_value(v: &Value) -> Result<Policy, PolicyError> {
        let doc_err = |field: &str, message: &str| PolicyError::Document {
            field: field.to_string(),
            message: message.to_string(),
        };
        let obj = v
            .as_object()
            .ok_or_else(|| doc_err("(document)", "a policy document must be a JSON object"))?;
        if !obj.contains_key("Statement") && obj.contains_key("Effect") {
            // A bare statement, as often quoted in docs.
            let st = parse_statement(0, v, false)?;
            return Ok(Policy {
                version: None,
                id: None,
                statements: vec![st],
                lone_statement: true,
            });
        }
        if let Some(k) = obj.keys().find(|k| !TOP_KEYS.contains(&k.as_str())) {
            let msg = if STATEMENT_KEYS.contains(&k.as_str()) {
                "statement element at top level; wrap statements in `Statement` (or give `Effect` for a lone statement)"
            } else {
                "unknown top-level element (expected Version, Id, Statement)"
            };
            return Err(doc_err(k, msg));
        }
        let version = match obj.get("Version") {
            None => None,
            Some(Value::String(s)) if s == "2012-10-17" => Some(PolicyVersion::V2012_10_17),
            Some(Value::String(s)) if s == "2008-10-17" => Some(PolicyVersion::V2008_10_17),
            Some(_) => {
                return Err(doc_err(
                    "Version",
                    "must be \"2012-10-17\" or \"2008-10-17\"",
                ));
            }
        };
        let id = match obj.get("Id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(doc_err("Id", "must be a string")),
        };
        let variables = version == Some(PolicyVersion::V2012_10_17);
        let statements = match obj.get("Statement") {
            None => return Err(doc_err("Statement", "missing required element")),
            Some(s @ Value::Object(_)) => vec![parse_statement(0, s, variables)?],
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    return Err(doc_err("Statement", "must contain at least one statement"));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, s)| parse_statement(i, s, variables))
                    .collect::<Result<Vec<_>, _>>()?
            }
            Some(_) => {
                return Err(doc_err(
                    "Statement",
                    "must be a statement object or an array of statement objects",
                ));
            }
        };
        Ok(Policy {
            version,
            id,
            statements,
            lone_statement: false,
        })
    }

    pub fn version(&self) -> Option<PolicyVersion> {
        self.version
    }
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
    /// Whether evaluating this policy can look at the request's condition keys:
    /// it has a `Condition`, or a policy variable (`${aws:username}`) in an action
    /// or resource. When no policy does, callers may skip filling in the keys.
    pub fn reads_request_context(&self) -> bool {
        self.statements.iter().any(|st| {
            !st.condition.clauses.is_empty()
                || st.resources.iter().any(|r| r.contains("${"))
                || st.actions.iter().any(|a| a.contains("${"))
        })
    }
    /// The input was a bare statement object rather than a full document.
    pub fn is_lone_statement(&self) -> bool {
        self.lone_statement
    }

    /// Canonical document as a JSON value: `Version` and `Id` when present,
    /// `Statement` always an array of the statements as written.
    pub fn to_json_value(&self) -> Value {
        let mut m = Map::new();
        if let Some(v) = self.version {
            m.insert("Version".into(), Value::String(v.as_str().into()));
        }
        if let Some(id) = &self.id {
            m.insert("Id".into(), Value::String(id.clone()));
        }
        m.insert(
            "Statement".into(),
            Value::Array(self.statements.iter().map(|s| s.raw.clone()).collect()),
        );
        Value::Object(m)
    }

    /// Canonical compact JSON; `Policy::parse(&p.to_json())` is equivalent to `p`.
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }

    /// Canonical pretty-printed JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.to_json_value()).unwrap_or_default()
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl serde::Serialize for Policy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&self.to_json_value(), s)
    }
}

impl<'de> serde::Deserialize<'de> for Policy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = <Value as serde::Deserialize>::deserialize(d)?;
        Policy::from_value(&v).map_err(serde::de::Error::custom)
    }
}

fn parse_statement(index: usize, v: &Value, variables: bool) -> Result<Statement, PolicyError> {
    let obj = v.as_object().ok_or_else(|| PolicyError::Statement {
        index,
        sid: None,
        field: "Statement".into(),
        message: "each statement must be a JSON object".into(),
    })?;
    // Sid first so that later errors can name it.
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(PolicyError::Statement {
                index,
                sid: None,
                field: "Sid".into(),
                message: "must be a string".into(),
            });
        }
    };
    let err = |field: &str, message: String| PolicyError::Statement {
        index,
        sid: sid.clone(),
        field: field.to_string(),
        message,
    };
    if let Some(k) = obj.keys().find(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
        return Err(err(
            k,
            "unknown statement element (expected Sid, Effect, Action, NotAction, Resource, \
             NotResource, Principal, NotPrincipal, Condition)"
                .into(),
        ));
    }
    let effect = match obj.get("Effect") {
        None => return Err(err("Effect", "missing required element".into())),
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(_) => return Err(err("Effect", "must be \"Allow\" or \"Deny\"".into())),
    };

    let (action_field, actions) =
        exactly_one(obj, "Action", "NotAction").map_err(|m| err("Action", m))?;
    let actions = string_list(actions).map_err(|m| err(action_field, m))?;
    for a in &actions {
        check_action(a).map_err(|m| err(action_field, m))?;
    }
    let action_globs = actions
        .iter()
        .map(|a| {
            Glob::compile(
                a,
                GlobOpts {
                    wildcards: true,
                    variables: false,
                    case_insensitive: true,
                },
            )
        })
        .collect();

    let (resource_field, resources) =
        exactly_one(obj, "Resource", "NotResource").map_err(|m| err("Resource", m))?;
    let resources = string_list(resources).map_err(|m| err(resource_field, m))?;
    let resource_pats = resources
        .iter()
        .map(|r| ArnPattern::compile(r, variables))
        .collect();

    let (principal, not_principal) = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(err(
                "Principal",
                "a statement cannot have both Principal and NotPrincipal".into(),
            ));
        }
        (Some(p), None) => (
            Some(parse_principal(p).map_err(|m| err("Principal", m))?),
            false,
        ),
        (None, Some(p)) => (
            Some(parse_principal(p).map_err(|m| err("NotPrincipal", m))?),
            true,
        ),
        (None, None) => (None, false),
    };

    let condition = match obj.get("Condition") {
        None => ConditionBlock::default(),
        Some(c) => ConditionBlock::parse(c, variables).map_err(|(f, m)| err(&f, m))?,
    };

    Ok(Statement {
        index,
        sid,
        effect,
        not_action: action_field == "NotAction",
        actions,
        action_globs,
        not_resource: resource_field == "NotResource",
        resources,
        resource_pats,
        principal,
        not_principal,
        condition,
        raw: v.clone(),
    })
}

/// Exactly one of `a` / `b` must be present.
fn exactly_one<'v>(
    obj: &'v Map<String, Value>,
    a: &'static str,
    b: &'static str,
) -> Result<(&'static str, &'v Value), String> {
    match (obj.get(a), obj.get(b)) {
        (Some(v), None) => Ok((a, v)),
        (None, Some(v)) => Ok((b, v)),
        (Some(_), Some(_)) => Err(format!("a statement cannot have both {a} and {b}")),
        (None, None) => Err(format!("missing required element ({a} or {b})")),
    }
}

/// A non-empty string, or a non-empty array of non-empty strings.
pub(crate) fn string_list(v: &Value) -> Result<Vec<String>, String> {
    let one = |v: &Value| match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::String(_) => Err("must not be an empty string".to_string()),
        _ => Err("must be a string or an array of strings".to_string()),
    };
    match v {
        Value::Array(items) if items.is_empty() => Err("must not be an empty array".into()),
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

/// `*` or `service:ActionPattern` with a literal service prefix.
fn check_action(a: &str) -> Result<(), String> {
    if a == "*" {
        return Ok(());
    }
    match a.split_once(':') {
        Some((svc, name))
            if !svc.is_empty()
                && !name.is_empty()
                && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Ok(())
        }
        _ => Err(format!(
            "`{a}` is not a valid action (expected \"*\" or \"service:Action\", e.g. \"secretsmanager:GetSecretValue\")"
        )),
    }
}
