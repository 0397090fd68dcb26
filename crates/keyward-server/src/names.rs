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

/// SSM Parameter Store: `a-zA-Z0-9_.-/`, fully qualified names start with `/`, at most
/// 15 levels, 1011 characters, and no `aws`/`ssm` prefix.
pub fn validate_parameter_name(name: &str) -> Result<(), ApiError> {
    let bad = |m: String| {
        Err(ApiError::Aws {
            status: 400,
            aws_type: "ValidationException",
            message: m,
        })
    };
    if name.is_empty() || name.len() > 2048 {
        return bad("Parameter name must be between 1 and 2048 characters".into());
    }
    for (i, c) in name.chars().enumerate() {
        if !(c.is_ascii_alphanumeric() || "_.-/".contains(c)) {
            return bad(format!(
                "Parameter name: invalid character {c:?} at position {}; names can only contain a-zA-Z0-9_.-/",
                i + 1
            ));
        }
    }
    let lower = name.trim_start_matches('/').to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("ssm") {
        return bad(
            "No access to reserved parameter name: {name}. Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)."
                .replace("{name}", name),
        );
    }
    if name.contains('/') && !name.starts_with('/') {
        return bad("Parameter name must be a fully qualified name: it must begin with a forward slash (/) when it contains one".into());
    }
    if name.matches('/').count() > 15 {
        return bad(
            "Parameter name: a parameter name hierarchy can have a maximum of 15 levels".into(),
        );
    }
    Ok(())
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
    }
}
