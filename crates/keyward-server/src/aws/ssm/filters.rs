//! DescribeParameters / GetParametersByPath filters: parsing, AWS's validation rules
//! (which keys and options each operation accepts), and matching.

use super::rules::{canonical, normalize_path, under_path};
use super::{err, wire};
use crate::error::ApiError;
use crate::names::{PARAMETER_NAME_RULES, validate_parameter_name_syntax};
use keyward_store::Tag;

/// Which operation the filters are for: they accept different keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Describe,
    ByPath,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub key: String,
    pub option: String,
    pub values: Vec<String>,
}

/// What a filter looks at in a parameter.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// Canonical name (always begins with `/`).
    pub key: &'a str,
    pub ptype: &'a str,
    pub key_id: Option<&'a str>,
    pub tier: &'a str,
    pub data_type: &'a str,
    pub tags: &'a [Tag],
    pub labels: &'a [String],
}

fn key_shape_ok(key: &str) -> bool {
    matches!(
        key,
        "Name" | "Type" | "KeyId" | "Path" | "Label" | "Tier" | "DataType"
    ) || key.strip_prefix("tag:").is_some_and(|k| !k.is_empty())
}

/// One filter as sent, before the operation's rules are applied.
struct Raw {
    key: String,
    option: Option<String>,
    values: Vec<String>,
}

/// AWS's shape constraints on every filter, reported together as one
/// ValidationException ("N validation errors detected: ...").
fn shape(raw: Vec<wire::ParameterStringFilter>) -> Result<Vec<Raw>, ApiError> {
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, f) in raw.into_iter().enumerate() {
        let n = i + 1;
        let key = f.Key.unwrap_or_default();
        let key = key.as_str();
        if !key_shape_ok(key) {
            problems.push(format!("Value \"{key}\" at \"parameterFilters.{n}.member.key\" failed to satisfy constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType"));
        }
        if key.chars().count() > 132 {
            problems.push(format!("Value \"{key}\" at \"parameterFilters.{n}.member.key\" failed to satisfy constraint: Member must have length less than or equal to 132"));
        }
        let option = f.Option;
        if option.as_ref().is_some_and(|o| o.chars().count() > 10) {
            problems.push(format!("Value \"over 10 chars\" at \"parameterFilters.{n}.member.option\" failed to satisfy constraint: Member must have length less than or equal to 10"));
        }
        let values = f.Values.unwrap_or_default();
        if values.len() > 50 {
            problems.push(format!("Value at \"parameterFilters.{n}.member.values\" failed to satisfy constraint: Member must have length less than or equal to 50"));
        }
        if values
            .iter()
            .any(|v| v.is_empty() || v.chars().count() > 1024)
        {
            problems.push(format!("Value at \"parameterFilters.{n}.member.values\" failed to satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1]"));
        }
        out.push(Raw {
            key: key.to_string(),
            option,
            values,
        });
    }
    if problems.is_empty() {
        return Ok(out);
    }
    let plural = if problems.len() > 1 { "s" } else { "" };
    Err(err(
        "ValidationException",
        format!(
            "{} validation error{plural} detected: {}",
            problems.len(),
            problems.join("; ")
        ),
    ))
}

/// Parses and validates `ParameterFilters` with the rules of `mode`'s operation.
pub fn parse_parameter_filters(
    given: Option<Vec<wire::ParameterStringFilter>>,
    mode: Mode,
) -> Result<Vec<Filter>, ApiError> {
    let raw = shape(given.unwrap_or_default())?;
    let mut out: Vec<Filter> = Vec::with_capacity(raw.len());
    for Raw {
        key,
        option,
        values,
    } in raw
    {
        let key = key.as_str();
        let not_for_op = match mode {
            Mode::Describe => key == "Label",
            Mode::ByPath => {
                matches!(key, "Name" | "Path" | "Tier" | "DataType") || key.starts_with("tag:")
            }
        };
        if not_for_op {
            let valid = match mode {
                Mode::Describe => "[Path, Name, Type, KeyId, Tier]",
                Mode::ByPath => "[Type, KeyId]",
            };
            return Err(err(
                "InvalidFilterKey",
                format!(
                    "The following filter key is not valid: {key}. Valid filter keys include: {valid}."
                ),
            ));
        }
        if values.is_empty() && !key.starts_with("tag:") {
            return Err(err(
                "InvalidFilterValue",
                format!("The following filter values are missing : null for filter key {key}."),
            ));
        }
        if out.iter().any(|o| o.key == key) {
            return Err(err(
                "InvalidFilterKey",
                format!(
                    "The following filter is duplicated in the request: {key}. A request can contain only one occurrence of a specific filter."
                ),
            ));
        }
        let (allowed, listed): (&[&str], &str) = match key {
            "Path" => (&["OneLevel", "Recursive"], "[Recursive, OneLevel]"),
            "Name" => (
                &["Equals", "BeginsWith", "Contains"],
                "[BeginsWith, Equals]",
            ),
            "Label" => (&["Equals"], "[Equals]"),
            _ => (&["Equals", "BeginsWith"], "[BeginsWith, Equals]"),
        };
        let option = option.unwrap_or_else(|| allowed[0].to_string());
        if !allowed.contains(&option.as_str()) {
            return Err(err(
                "InvalidFilterOption",
                format!(
                    "The following filter option is not valid: {option}. Valid options include: {listed}."
                ),
            ));
        }
        check_values(key, &values)?;
        if key == "Name" {
            check_names(&option, &values)?;
        }
        out.push(Filter {
            key: key.to_string(),
            option,
            values,
        });
    }
    Ok(out)
}

/// `Name` values: with `Equals` each must be a well-formed parameter name; a
/// `BeginsWith` or `Contains` fragment may be any part of one, so only its
/// characters are checked. Errors are AWS's name errors.
fn check_names(option: &str, values: &[String]) -> Result<(), ApiError> {
    for v in values {
        if option == "Equals" {
            validate_parameter_name_syntax(v)?;
        } else if !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        {
            return Err(err("ValidationException", PARAMETER_NAME_RULES.into()));
        }
    }
    Ok(())
}

fn check_values(key: &str, values: &[String]) -> Result<(), ApiError> {
    let enum_set: &[&str] = match key {
        "Type" => &["String", "StringList", "SecureString"],
        "Tier" => &["Standard", "Advanced", "Intelligent-Tiering"],
        "DataType" => &["text", "aws:ec2:image"],
        "Path" => {
            for v in values {
                let lower = v.to_ascii_lowercase();
                if lower.starts_with("/aws") || lower.starts_with("/ssm") {
                    return Err(err(
                        "ValidationException",
                        "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace.".into(),
                    ));
                }
                normalize_path(v)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    for v in values {
        if !enum_set.contains(&v.as_str()) {
            return Err(err(
                "InvalidFilterValue",
                format!(
                    "The following filter value is not valid: {v}. Valid values include: [{}].",
                    enum_set.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Parses the legacy `Filters` of DescribeParameters (keys Name, Type, KeyId).
pub fn parse_legacy_filters(
    given: Option<Vec<wire::ParametersFilter>>,
) -> Result<Vec<Filter>, ApiError> {
    let raw = given.unwrap_or_default();
    let mut out = Vec::with_capacity(raw.len());
    for (i, f) in raw.into_iter().enumerate() {
        let key = f.Key.unwrap_or_default();
        let key = key.as_str();
        if !matches!(key, "Name" | "Type" | "KeyId") {
            return Err(err(
                "ValidationException",
                format!(
                    "1 validation error detected: Value '{key}' at 'filters.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [Name, Type, KeyId]",
                    i + 1
                ),
            ));
        }
        let values = f.Values.unwrap_or_default();
        if values.is_empty() || values.len() > 50 {
            return Err(err(
                "ValidationException",
                format!(
                    "1 validation error detected: Value at 'filters.{}.member.values' failed to satisfy constraint: Member must have length between 1 and 50",
                    i + 1
                ),
            ));
        }
        if key == "Type" {
            check_values(key, &values)?;
        }
        let option = if key == "Name" {
            "BeginsWith"
        } else {
            "Equals"
        };
        out.push(Filter {
            key: key.to_string(),
            option: option.to_string(),
            values,
        });
    }
    Ok(out)
}

fn cmp(option: &str, what: &str, values: &[String]) -> bool {
    values.iter().any(|v| match option {
        "BeginsWith" => what.starts_with(v.as_str()),
        "Contains" => what.contains(v.as_str()),
        _ => what == v,
    })
}

/// Whether `v` passes filter `f`.
pub fn matches(f: &Filter, v: &View<'_>) -> bool {
    match f.key.as_str() {
        "Name" => {
            if f.option == "Contains" {
                cmp("Contains", v.key, &f.values)
            } else {
                let vals: Vec<String> = f.values.iter().map(|x| canonical(x)).collect();
                cmp(&f.option, v.key, &vals)
            }
        }
        "Path" => {
            let recursive = f.option == "Recursive";
            f.values.iter().any(|p| match normalize_path(p) {
                Ok(p) => under_path(v.key, &p, recursive),
                Err(_) => false,
            })
        }
        "Type" => cmp(&f.option, v.ptype, &f.values),
        "KeyId" => v.key_id.is_some_and(|k| cmp(&f.option, k, &f.values)),
        "Tier" => cmp(&f.option, v.tier, &f.values),
        "DataType" => cmp(&f.option, v.data_type, &f.values),
        "Label" => v.labels.iter().any(|l| f.values.contains(l)),
        key => match key.strip_prefix("tag:") {
            Some(tk) => v
                .tags
                .iter()
                .filter(|t| t.key == tk)
                .any(|t| f.values.is_empty() || cmp(&f.option, &t.value, &f.values)),
            None => false,
        },
    }
}

pub fn matches_all(filters: &[Filter], v: &View<'_>) -> bool {
    filters.iter().all(|f| matches(f, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn pf(v: Value, mode: Mode) -> Result<Vec<Filter>, ApiError> {
        let req: wire::DescribeParametersRequest = wire::parse(&json!({ "ParameterFilters": v }))?;
        parse_parameter_filters(req.ParameterFilters, mode)
    }

    fn legacy(v: Value) -> Result<Vec<Filter>, ApiError> {
        let req: wire::DescribeParametersRequest = wire::parse(&v)?;
        parse_legacy_filters(req.Filters)
    }

    fn aws_type(r: Result<Vec<Filter>, ApiError>) -> &'static str {
        r.map(|_| "ok").unwrap_or_else(|e| e.aws_type())
    }

    #[test]
    fn validation_rules() {
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Name", "Values": ["/a"]}]),
                Mode::Describe
            )),
            "ok"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Bogus", "Values": ["x"]}]),
                Mode::Describe
            )),
            "ValidationException"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Label", "Values": ["x"]}]),
                Mode::Describe
            )),
            "InvalidFilterKey"
        );
        assert_eq!(
            aws_type(pf(json!([{"Key": "Name", "Values": ["x"]}]), Mode::ByPath)),
            "InvalidFilterKey"
        );
        assert_eq!(
            aws_type(pf(json!([{"Key": "tag:a"}]), Mode::ByPath)),
            "InvalidFilterKey"
        );
        assert_eq!(
            aws_type(pf(json!([{"Key": "Label", "Values": ["x"]}]), Mode::ByPath)),
            "ok"
        );
        assert_eq!(
            aws_type(pf(json!([{"Key": "Type"}]), Mode::Describe)),
            "InvalidFilterValue"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Type", "Values": ["Foo"]}]),
                Mode::Describe
            )),
            "InvalidFilterValue"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Type", "Option": "Contains", "Values": ["String"]}]),
                Mode::Describe
            )),
            "InvalidFilterOption"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Path", "Option": "Equals", "Values": ["/a"]}]),
                Mode::Describe
            )),
            "InvalidFilterOption"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Path", "Values": ["/aws/x"]}]),
                Mode::Describe
            )),
            "ValidationException"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Label", "Option": "BeginsWith", "Values": ["x"]}]),
                Mode::ByPath
            )),
            "InvalidFilterOption"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Type", "Values": ["String"]}, {"Key": "Type", "Values": ["String"]}]),
                Mode::Describe
            )),
            "InvalidFilterKey"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Name", "Values": ["/a b"]}]),
                Mode::Describe
            )),
            "ValidationException"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Name", "Values": ["/".to_string() + &"a/".repeat(16) + "x"]}]),
                Mode::Describe
            )),
            "HierarchyLevelLimitExceededException"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Name", "Option": "BeginsWith", "Values": ["myapp/"]}]),
                Mode::Describe
            )),
            "ok"
        );
        assert_eq!(
            aws_type(pf(
                json!([{"Key": "Name", "Option": "Contains", "Values": ["a#"]}]),
                Mode::Describe
            )),
            "ValidationException"
        );
        let f = pf(json!([{"Key": "tag:env"}]), Mode::Describe).unwrap();
        assert_eq!(f[0].option, "Equals");
        let f = pf(json!([{"Key": "Path", "Values": ["/a"]}]), Mode::Describe).unwrap();
        assert_eq!(f[0].option, "OneLevel");
        assert!(legacy(json!({"Filters": [{"Key": "Path", "Values": ["/a"]}]})).is_err());
        assert!(legacy(json!({"Filters": [{"Key": "Name", "Values": []}]})).is_err());
    }

    #[test]
    fn matching() {
        let tags = vec![Tag {
            key: "env".into(),
            value: "prod".into(),
        }];
        let labels = vec!["live".to_string()];
        let v = View {
            key: "/myapp/prod/db",
            ptype: "SecureString",
            key_id: Some("alias/aws/ssm"),
            tier: "Standard",
            data_type: "text",
            tags: &tags,
            labels: &labels,
        };
        let f = |key: &str, option: &str, values: &[&str]| Filter {
            key: key.into(),
            option: option.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        };
        assert!(matches(&f("Name", "Equals", &["/myapp/prod/db"]), &v));
        assert!(matches(&f("Name", "BeginsWith", &["myapp/"]), &v));
        assert!(matches(&f("Name", "Contains", &["prod"]), &v));
        assert!(!matches(&f("Name", "Equals", &["/myapp"]), &v));
        assert!(matches(&f("Path", "OneLevel", &["/myapp/prod"]), &v));
        assert!(!matches(&f("Path", "OneLevel", &["/myapp"]), &v));
        assert!(matches(&f("Path", "Recursive", &["/myapp"]), &v));
        assert!(matches(&f("Path", "Recursive", &["/"]), &v));
        assert!(matches(
            &f("Type", "Equals", &["String", "SecureString"]),
            &v
        ));
        assert!(!matches(&f("Type", "Equals", &["String"]), &v));
        assert!(matches(&f("KeyId", "BeginsWith", &["alias/"]), &v));
        assert!(matches(&f("Tier", "Equals", &["Standard"]), &v));
        assert!(matches(&f("DataType", "Equals", &["text"]), &v));
        assert!(matches(&f("tag:env", "Equals", &[]), &v));
        assert!(matches(&f("tag:env", "BeginsWith", &["pr"]), &v));
        assert!(!matches(&f("tag:env", "Equals", &["dev"]), &v));
        assert!(!matches(&f("tag:team", "Equals", &[]), &v));
        assert!(matches(&f("Label", "Equals", &["live", "x"]), &v));
        assert!(!matches(&f("Label", "Equals", &["old"]), &v));
        let plain = View {
            ptype: "String",
            key_id: None,
            ..v
        };
        assert!(!matches(&f("KeyId", "Equals", &["alias/aws/ssm"]), &plain));
    }
}
