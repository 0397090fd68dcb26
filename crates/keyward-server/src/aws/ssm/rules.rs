//! Pure SSM rules: name canonicalisation, `name:version` / `name:label` selectors,
//! label and tag validation, tiers, page tokens. No I/O, so all of it is unit-tested.

use super::err;
use crate::error::ApiError;
use crate::names::{MAX_HIERARCHY_LEVELS, PARAMETER_PATH_RULES, hierarchy_too_deep};
use serde::{Deserialize, Serialize};

/// Default KMS key of SecureString parameters, as AWS names it.
pub const DEFAULT_KEY_ID: &str = "alias/aws/ssm";
pub const STANDARD_MAX: usize = 4096;
pub const ADVANCED_MAX: usize = 8192;
/// Parameter Store keeps this many versions (the store prunes past it).
pub const MAX_VERSIONS: usize = keyward_store::VersionLimit::PARAMETER_STORE.max_versions;
pub const MAX_LABELS_PER_VERSION: usize = 10;
pub const MAX_TAGS: usize = 50;
/// Prefix of parameter names that read a Secrets Manager secret.
pub const SM_REFERENCE: &str = "/aws/reference/secretsmanager/";

/// A parameter's attributes at one version (stored on the version), and its current
/// attributes plus a few listing fields (stored on the secret).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamMeta {
    /// The name as the caller wrote it when creating the parameter.
    pub name: String,
    #[serde(rename = "type")]
    pub ptype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub tier: String,
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<String>,
    // ---- secret-level only: the current version, for listings
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_user: Option<String>,
}

impl ParamMeta {
    pub fn from_json(v: &serde_json::Value) -> Option<ParamMeta> {
        serde_json::from_value(v.clone()).ok()
    }
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The store key of a parameter: `foo` and `/foo` are the same parameter in SSM.
pub fn canonical(name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/{name}")
    }
}

/// How a read picks a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Version(i64),
    Label(String),
}

impl Selector {
    /// The `Selector` field of a response (`:3`, `:prod`).
    pub fn render(&self) -> String {
        match self {
            Selector::Version(n) => format!(":{n}"),
            Selector::Label(l) => format!(":{l}"),
        }
    }
}

/// Splits `name[:version|:label]`. The name itself can't contain `:`, so anything
/// else (`a:b:c`, `a:`) names no parameter at all.
pub fn parse_selector(full: &str) -> Result<(&str, Option<Selector>), ApiError> {
    let Some((name, sel)) = full.split_once(':') else {
        return Ok((full, None));
    };
    let nowhere = || err("ParameterNotFound", format!("Parameter {full} not found."));
    if sel.is_empty() || sel.contains(':') {
        return Err(nowhere());
    }
    if sel.bytes().all(|b| b.is_ascii_digit()) {
        return sel
            .parse::<i64>()
            .map(|n| (name, Some(Selector::Version(n))))
            .map_err(|_| nowhere());
    }
    Ok((name, Some(Selector::Label(sel.to_string()))))
}

/// Accepts a parameter ARN of this account and region in place of a name.
pub fn strip_arn<'a>(name: &'a str, region: &str, account: &str) -> Option<&'a str> {
    if !name.starts_with("arn:") {
        return Some(name);
    }
    let prefix = format!("arn:aws:ssm:{region}:{account}:parameter");
    let rest = name.strip_prefix(&prefix)?;
    rest.starts_with('/').then_some(rest)
}

/// Staging labels keyward keeps for itself (`AWSCURRENT` marks the latest version).
/// SSM labels can't begin with `aws`, so these never collide with a caller's.
pub fn is_internal_stage(stage: &str) -> bool {
    stage
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("aws"))
}

pub fn user_labels(stages: &[String]) -> Vec<String> {
    stages
        .iter()
        .filter(|s| !is_internal_stage(s))
        .cloned()
        .collect()
}

/// AWS's label rules (other than length): letters, digits, `.`, `-`, `_`; not
/// beginning with a digit, `aws` or `ssm` (case-insensitive).
pub fn label_is_valid(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    !label.is_empty()
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

/// Checks the `Labels` list of (Un)LabelParameterVersion: at least one label,
/// each 1–100 characters. (More than 10 labels for one version is
/// `ParameterVersionLabelLimitExceeded`, decided by the caller.)
pub fn check_label_list(labels: &[String]) -> Result<(), ApiError> {
    if labels.is_empty() {
        return Err(err(
            "ValidationException",
            "1 validation error detected: Value '[]' at 'labels' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ));
    }
    for l in labels {
        let n = l.chars().count();
        if n == 0 || n > 100 {
            return Err(err(
                "ValidationException",
                format!(
                    "1 validation error detected: Value '[{l}]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]"
                ),
            ));
        }
    }
    Ok(())
}

pub fn parse_type(t: &str) -> Result<&'static str, ApiError> {
    match t {
        "String" => Ok("String"),
        "StringList" => Ok("StringList"),
        "SecureString" => Ok("SecureString"),
        other => Err(err(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]"
            ),
        )),
    }
}

pub fn parse_data_type(d: &str) -> Result<&'static str, ApiError> {
    match d {
        "text" => Ok("text"),
        "aws:ec2:image" => Ok("aws:ec2:image"),
        other => Err(err(
            "ValidationException",
            format!(
                "The following data type is not supported: {other} (Data type names are all lowercase.)"
            ),
        )),
    }
}

/// `ami-` followed by 8 or 17 hex digits, the format `aws:ec2:image` values must have.
pub fn is_ami_id(v: &str) -> bool {
    v.strip_prefix("ami-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The tier a write lands in, from the requested tier (if any), the parameter's
/// current tier (if it exists) and the value's size. Advanced never goes back to
/// Standard.
pub fn resolve_tier(
    requested: Option<&str>,
    existing: Option<&str>,
    value_len: usize,
    has_policies: bool,
) -> Result<&'static str, ApiError> {
    let was_advanced = existing == Some("Advanced");
    let tier = match requested {
        Some("Standard") => {
            if was_advanced {
                return Err(err(
                    "ValidationException",
                    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.".into(),
                ));
            }
            "Standard"
        }
        Some("Advanced") => "Advanced",
        Some("Intelligent-Tiering") if was_advanced || value_len > STANDARD_MAX || has_policies => {
            "Advanced"
        }
        Some("Intelligent-Tiering") => "Standard",
        Some(other) => {
            return Err(err(
                "ValidationException",
                format!(
                    "1 validation error detected: Value '{other}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]"
                ),
            ));
        }
        None if was_advanced => "Advanced",
        None => "Standard",
    };
    if tier == "Standard" && value_len > STANDARD_MAX {
        return Err(err(
            "ValidationException",
            "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html".into(),
        ));
    }
    if tier == "Standard" && has_policies {
        return Err(err(
            "ValidationException",
            "Parameter policies are supported only for advanced parameters; use Tier Advanced or Intelligent-Tiering".into(),
        ));
    }
    if value_len > ADVANCED_MAX {
        return Err(err(
            "ValidationException",
            "Advanced tier parameters support a maximum parameter value of 8192 characters.".into(),
        ));
    }
    Ok(tier)
}

/// Checks a `KeyId` against AWS's request model (1–256 characters of
/// `a-zA-Z0-9:/_-`), then, when it will encrypt (`encrypts`: a SecureString),
/// that it names a KMS key in one of the forms AWS accepts: key id, key ARN,
/// alias name or alias ARN.
pub fn check_key_id(k: &str, encrypts: bool) -> Result<(), ApiError> {
    let shape_ok = !k.is_empty()
        && k.len() <= 256
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/_-".contains(c));
    if !shape_ok {
        return Err(err(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{k}' at 'keyId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-zA-Z0-9:/_-]+)$"
            ),
        ));
    }
    if encrypts && !key_id_is_valid(k) {
        return Err(err("InvalidKeyId", format!("Invalid keyId {k}")));
    }
    Ok(())
}

/// A KMS key reference in one of the forms AWS accepts: key id, key ARN, alias
/// name or alias ARN.
pub fn key_id_is_valid(k: &str) -> bool {
    let uuid_like = |s: &str| uuid::Uuid::parse_str(s).is_ok() || is_multi_region_key_id(s);
    let alias_ok = |s: &str| {
        s.strip_prefix("alias/").is_some_and(|a| {
            !a.is_empty()
                && a.len() <= 250
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
        })
    };
    if k.starts_with("arn:") {
        let parts: Vec<&str> = k.splitn(6, ':').collect();
        return parts.len() == 6
            && parts[2] == "kms"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && (parts[5].strip_prefix("key/").is_some_and(uuid_like) || alias_ok(parts[5]));
    }
    uuid_like(k) || alias_ok(k)
}

/// `mrk-` and 32 hex digits: a multi-Region key's id.
fn is_multi_region_key_id(s: &str) -> bool {
    s.strip_prefix("mrk-")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// AWS's tag rules: key 1–128 characters, value 0–256, no `aws:` key prefix.
pub fn check_tag(key: &str, value: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    let klen = key.chars().count();
    if klen == 0 || klen > 128 || !key.chars().all(allowed) {
        return Err(err(
            "ValidationException",
            format!(
                "1 validation error detected: tag key {key:?} failed to satisfy constraint: Member must have length between 1 and 128 and match [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*"
            ),
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(err(
            "ValidationException",
            format!("tag key {key:?}: keys beginning with aws: are reserved for AWS use"),
        ));
    }
    if value.chars().count() > 256 || !value.chars().all(allowed) {
        return Err(err(
            "ValidationException",
            format!(
                "1 validation error detected: the value of tag {key:?} failed to satisfy constraint: Member must have length less than or equal to 256 and match [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*"
            ),
        ));
    }
    Ok(())
}

/// The path of GetParametersByPath (and of DescribeParameters' `Path` filter),
/// without a trailing `/` (except the root). Errors are AWS's.
pub fn normalize_path(path: &str) -> Result<String, ApiError> {
    let bad = || err("ValidationException", PARAMETER_PATH_RULES.into());
    if !path.starts_with('/') || path.contains("//") || path.chars().count() > 2048 {
        return Err(bad());
    }
    let trimmed = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    if trimmed != "/" {
        if trimmed[1..].split('/').any(str::is_empty)
            || !trimmed
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        {
            return Err(bad());
        }
        if trimmed.matches('/').count() > MAX_HIERARCHY_LEVELS {
            return Err(hierarchy_too_deep());
        }
    }
    Ok(trimmed.to_string())
}

/// Whether `key` (a canonical name) sits under `path` (normalised), directly or
/// (when `recursive`) at any depth.
pub fn under_path(key: &str, path: &str, recursive: bool) -> bool {
    let rest = if path == "/" {
        key.strip_prefix('/')
    } else {
        key.strip_prefix(path).and_then(|r| r.strip_prefix('/'))
    };
    match rest {
        Some(r) if !r.is_empty() => recursive || !r.contains('/'),
        _ => false,
    }
}

// ---- page tokens: the offset of the next item, as a decimal string

pub fn offset_token(offset: usize) -> String {
    offset.to_string()
}

pub fn parse_offset_token(token: &str) -> Result<usize, ApiError> {
    token.trim().parse().map_err(|_| {
        err(
            "InvalidNextToken",
            "The specified token isn't valid.".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert_eq!(parse_selector("/a/b").unwrap(), ("/a/b", None));
        assert_eq!(
            parse_selector("/a/b:3").unwrap(),
            ("/a/b", Some(Selector::Version(3)))
        );
        assert_eq!(
            parse_selector("/a/b:prod").unwrap(),
            ("/a/b", Some(Selector::Label("prod".into())))
        );
        assert_eq!(
            parse_selector("/a/b:").unwrap_err().aws_type(),
            "ParameterNotFound"
        );
        assert_eq!(
            parse_selector("/a:b:c").unwrap_err().to_string(),
            "Parameter /a:b:c not found."
        );
        assert!(parse_selector("/a:99999999999999999999999").is_err());
        assert_eq!(
            parse_selector("/a/b:0").unwrap(),
            ("/a/b", Some(Selector::Version(0)))
        );
        assert_eq!(Selector::Version(2).render(), ":2");
    }

    #[test]
    fn arns_and_names() {
        let a = "arn:aws:ssm:us-east-1:123456789012:parameter/myapp/x";
        assert_eq!(strip_arn(a, "us-east-1", "123456789012"), Some("/myapp/x"));
        assert_eq!(strip_arn(a, "eu-west-1", "123456789012"), None);
        assert_eq!(strip_arn("/plain", "r", "a"), Some("/plain"));
        assert_eq!(canonical("plain"), "/plain");
        assert_eq!(canonical("/a/b"), "/a/b");
    }

    #[test]
    fn labels() {
        for ok in ["prod", "Prod-1", "a.b_c", "x1"] {
            assert!(label_is_valid(ok), "{ok}");
        }
        for bad in [
            "1abc",
            "awsfoo",
            "AWSCURRENT",
            "SSMx",
            "a b",
            "a/b",
            "",
            "é",
        ] {
            assert!(!label_is_valid(bad), "{bad}");
        }
        assert!(is_internal_stage("AWSCURRENT"));
        assert!(!is_internal_stage("prod"));
        assert!(!is_internal_stage("ééé"));
        assert!(!is_internal_stage("a"));
        assert_eq!(
            user_labels(&["AWSCURRENT".into(), "prod".into()]),
            vec!["prod".to_string()]
        );
        assert!(check_label_list(&[]).is_err());
        assert!(check_label_list(&vec!["a".to_string(); 11]).is_ok());
        assert!(check_label_list(&["x".repeat(101)]).is_err());
        assert!(check_label_list(&["1bad".into()]).is_ok());
    }

    #[test]
    fn tiers() {
        assert_eq!(resolve_tier(None, None, 10, false).unwrap(), "Standard");
        assert!(resolve_tier(None, None, 4097, false).is_err());
        assert_eq!(
            resolve_tier(Some("Intelligent-Tiering"), None, 4097, false).unwrap(),
            "Advanced"
        );
        assert_eq!(
            resolve_tier(Some("Intelligent-Tiering"), None, 4096, false).unwrap(),
            "Standard"
        );
        assert_eq!(
            resolve_tier(Some("Advanced"), None, 8192, false).unwrap(),
            "Advanced"
        );
        assert!(resolve_tier(Some("Advanced"), None, 8193, false).is_err());
        assert!(resolve_tier(Some("Standard"), Some("Advanced"), 1, false).is_err());
        assert_eq!(
            resolve_tier(None, Some("Advanced"), 1, false).unwrap(),
            "Advanced"
        );
        assert!(resolve_tier(Some("Cheap"), None, 1, false).is_err());
        assert!(resolve_tier(Some("Standard"), None, 1, true).is_err());
    }

    #[test]
    fn key_ids_and_tags() {
        assert!(key_id_is_valid("alias/aws/ssm"));
        assert!(key_id_is_valid("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(key_id_is_valid(
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(key_id_is_valid(
            "arn:aws:kms:us-east-1:123456789012:alias/mine"
        ));
        assert!(!key_id_is_valid("not a key"));
        assert!(!key_id_is_valid("alias/"));
        assert!(key_id_is_valid("mrk-1234abcd12ab34cd56ef1234567890ab"));
        assert!(!key_id_is_valid("mrk-x"));
        assert!(!key_id_is_valid("arn:aws:kms:us-east-1:123:alias/x"));
        assert_eq!(
            check_key_id("a key", false).unwrap_err().aws_type(),
            "ValidationException"
        );
        assert_eq!(
            check_key_id("foo", true).unwrap_err().aws_type(),
            "InvalidKeyId"
        );
        assert!(check_key_id("alias/aws/ssm", true).is_ok());
        assert!(check_key_id("someKeyId", false).is_ok());
        assert!(check_tag("env", "prod").is_ok());
        assert!(check_tag("env", "").is_ok());
        assert!(check_tag("", "x").is_err());
        assert!(check_tag("aws:x", "x").is_err());
        assert!(check_tag(&"k".repeat(129), "x").is_err());
        assert!(check_tag("k", &"v".repeat(257)).is_err());
        assert!(is_ami_id("ami-12345678"));
        assert!(is_ami_id("ami-0123456789abcdef0"));
        assert!(!is_ami_id("ami-xyz"));
        assert_eq!(parse_type("String").unwrap(), "String");
        assert!(parse_type("string").is_err());
        assert!(parse_data_type("aws:ec2:image").is_ok());
        assert!(parse_data_type("TEXT").is_err());
    }

    #[test]
    fn paths() {
        assert_eq!(normalize_path("/").unwrap(), "/");
        assert_eq!(normalize_path("/a/b/").unwrap(), "/a/b");
        assert!(normalize_path("a/b").is_err());
        assert!(normalize_path("/a//b").is_err());
        assert!(normalize_path("//").is_err());
        assert_eq!(
            normalize_path(&"/a".repeat(16)).unwrap_err().aws_type(),
            "HierarchyLevelLimitExceededException"
        );
        assert!(normalize_path("/a b").is_err());
        assert!(under_path("/a/b", "/a", false));
        assert!(!under_path("/a/b/c", "/a", false));
        assert!(under_path("/a/b/c", "/a", true));
        assert!(!under_path("/ab/c", "/a", true));
        assert!(!under_path("/a", "/a", true));
        assert!(under_path("/plain", "/", false));
        assert!(!under_path("/a/b", "/", false));
        assert!(under_path("/a/b", "/", true));
    }

    #[test]
    fn tokens() {
        assert_eq!(parse_offset_token(&offset_token(20)).unwrap(), 20);
        assert_eq!(
            parse_offset_token("garbage").unwrap_err().aws_type(),
            "InvalidNextToken"
        );
        assert!(parse_offset_token("-1").is_err());
    }

    #[test]
    fn meta_roundtrip() {
        let m = ParamMeta {
            name: "/a".into(),
            ptype: "SecureString".into(),
            key_id: Some(DEFAULT_KEY_ID.into()),
            tier: "Standard".into(),
            data_type: "text".into(),
            ..Default::default()
        };
        assert_eq!(ParamMeta::from_json(&m.to_json()), Some(m));
        assert_eq!(ParamMeta::from_json(&serde_json::Value::Null), None);
    }
}
