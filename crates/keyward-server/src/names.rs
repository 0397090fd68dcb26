//! Name rules, as AWS enforces them, with errors that say which character is wrong.

use crate::error::ApiError;

/// Secrets Manager: 1–512 characters from `A-Z a-z 0-9 / _ + = . @ -`.
pub fn validate_secret_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::InvalidParameter(
            "the secret name must not be empty".into(),
        ));
    }
    if name.chars().count() > 512 {
        return Err(ApiError::InvalidParameter(format!(
            "the secret name is {} characters long; the limit is 512",
            name.chars().count()
        )));
    }
    for (i, c) in name.chars().enumerate() {
        if !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)) {
            return Err(ApiError::InvalidParameter(format!(
                "invalid character {c:?} at position {} of the secret name: names may contain only ASCII letters, digits and / _ + = . @ - (use the /{{app}}/{{env}}/{{name}} convention, e.g. /myapp/prod/database_url)",
                i + 1
            )));
        }
    }
    Ok(())
}

/// AWS's answer to a parameter name with a character, an empty sub-path or a
/// prefix it does not allow (its wording mentions "ssm" whatever the fault).
pub const PARAMETER_NAME_RULES: &str = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";

/// AWS's answer to a malformed path (GetParametersByPath, the `Path` filter of
/// DescribeParameters).
pub const PARAMETER_PATH_RULES: &str = "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";

/// Most `/`-separated levels a parameter name or path may have.
pub const MAX_HIERARCHY_LEVELS: usize = 15;

/// `HierarchyLevelLimitExceededException`, as AWS words it.
pub fn hierarchy_too_deep() -> ApiError {
    ssm_error(
        "HierarchyLevelLimitExceededException",
        "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.".into(),
    )
}

/// SSM Parameter Store: the shape every parameter name must have, for reads and
/// writes alike: 1–1011 characters from `a-zA-Z0-9_.-/`; a name that contains a `/`
/// is fully qualified (begins with `/`), has no empty sub-path, and is at most 15
/// levels deep. The messages are AWS's own.
pub fn validate_parameter_name_syntax(name: &str) -> Result<(), ApiError> {
    let bad = |m: String| Err(ssm_error("ValidationException", m));
    if name.is_empty() {
        return bad("1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1".into());
    }
    if name.chars().count() > 2048 {
        return bad("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048".into());
    }
    if name.chars().count() > 1011 {
        return bad(format!(
            "Parameter name is {} characters long; the maximum length for a fully qualified parameter name is 1011 characters",
            name.chars().count()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
    {
        return bad(PARAMETER_NAME_RULES.into());
    }
    if name.contains('/') {
        if !name.starts_with('/') {
            return bad("Parameter name must be a fully qualified name.".into());
        }
        if name == "/" || name[1..].split('/').any(str::is_empty) {
            return bad(PARAMETER_NAME_RULES.into());
        }
    }
    if name.matches('/').count() > MAX_HIERARCHY_LEVELS {
        return Err(hierarchy_too_deep());
    }
    Ok(())
}

/// SSM Parameter Store, for creating a parameter: [`validate_parameter_name_syntax`]
/// plus AWS's reserved prefixes. A name can't begin with `aws` or `ssm`
/// (case-insensitive); hierarchical names under `/aws/` are AWS's own, so writing
/// one is an access denial, as AWS answers it.
pub fn validate_parameter_name(name: &str) -> Result<(), ApiError> {
    validate_parameter_name_syntax(name)?;
    let lower = name.trim_start_matches('/').to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("ssm") {
        let is_path = name.matches('/').count() > 1;
        if is_path && lower.starts_with("aws") {
            return Err(ApiError::AccessDenied(format!(
                "No access to reserved parameter name: {name}."
            )));
        }
        let message = if is_path {
            PARAMETER_NAME_RULES
        } else {
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)."
        };
        return Err(ssm_error("ValidationException", message.into()));
    }
    Ok(())
}

fn ssm_error(aws_type: &'static str, message: String) -> ApiError {
    ApiError::Aws {
        status: 400,
        aws_type,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert!(validate_secret_name("/myapp/prod/database_url").is_ok());
        assert!(validate_secret_name("production/django/secret-key").is_ok());
        let e = validate_secret_name("/myapp/prod/data base")
            .unwrap_err()
            .to_string();
        assert!(e.contains("' '") && e.contains("position 17"), "{e}");
        assert!(validate_secret_name("").is_err());
        assert!(validate_secret_name(&"a".repeat(513)).is_err());
        assert!(validate_secret_name("ünicode").is_err());
    }

    #[test]
    fn parameter_names() {
        assert!(validate_parameter_name("/myapp/prod/database_url").is_ok());
        assert!(validate_parameter_name("plain").is_ok());
        assert!(validate_parameter_name("a/b").is_err());
        assert!(validate_parameter_name("/aws/x").is_err());
        assert!(validate_parameter_name("/a b").is_err());
        assert!(validate_parameter_name("/a//b").is_err());
        assert!(validate_parameter_name("/a/b/").is_err());
        assert!(validate_parameter_name("/").is_err());
        assert!(validate_parameter_name("").is_err());
        assert!(validate_parameter_name("/x:1").is_err());
        assert!(validate_parameter_name("/ssm/x").is_err());
        assert!(validate_parameter_name("awsome").is_err());
        assert!(matches!(
            validate_parameter_name("/aws/x"),
            Err(ApiError::AccessDenied(_))
        ));
        assert!(matches!(
            validate_parameter_name("/AWS_test/x"),
            Err(ApiError::AccessDenied(_))
        ));
        assert_eq!(
            validate_parameter_name("/awsx").unwrap_err().aws_type(),
            "ValidationException"
        );
        assert!(validate_parameter_name_syntax("/aws/service/x").is_ok());
        let deep = "/a".repeat(15);
        assert!(validate_parameter_name(&deep).is_ok());
        let too_deep = "/a".repeat(16);
        assert_eq!(
            validate_parameter_name(&too_deep).unwrap_err().aws_type(),
            "HierarchyLevelLimitExceededException"
        );
        assert!(validate_parameter_name(&format!("/{}", "a".repeat(1010))).is_ok());
        assert!(validate_parameter_name(&format!("/{}", "a".repeat(1011))).is_err());
    }
}
