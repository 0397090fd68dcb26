//! ARN construction and parsing helpers (AWS formats, partition `aws`).

/// `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX`
/// (AWS appends a 6-character random suffix to every secret name).
pub fn secret_arn(region: &str, account: &str, name: &str, suffix: &str) -> String {
    format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}")
}

/// `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`, where one leading `/` of a
/// hierarchical name is dropped: `/myapp/prod/x` -> `parameter/myapp/prod/x`.
pub fn parameter_arn(region: &str, account: &str, name: &str) -> String {
    let name = name.strip_prefix('/').unwrap_or(name);
    format!("arn:aws:ssm:{region}:{account}:parameter/{name}")
}

/// `arn:aws:iam::ACCOUNT:user/NAME`.
pub fn principal_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user/{name}")
}

/// The six parts of an ARN, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the fifth `:` (may itself contain `:`), e.g.
    /// `secret:db-AbCdEf` or `parameter/myapp/prod/x`.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Split `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. Returns `None`
    /// unless the string starts with `arn:` and has all six parts with a
    /// non-empty partition, service and resource.
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut it = s.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: it.next()?,
            service: it.next()?,
            region: it.next()?,
            account: it.next()?,
            resource: it.next()?,
        };
        if arn.partition.is_empty() || arn.service.is_empty() || arn.resource.is_empty() {
            return None;
        }
        Some(arn)
    }
}

/// For a Secrets Manager ARN, the secret name including its random suffix
/// (`NAME-AbCdEf`); `None` for other ARNs.
pub fn secret_name_from_arn(arn: &str) -> Option<&str> {
    let a = Arn::parse(arn)?;
    if a.service != "secretsmanager" {
        return None;
    }
    a.resource.strip_prefix("secret:")
}

/// For an SSM parameter ARN, the parameter name as stored (with a leading
/// `/` restored for hierarchical names: `parameter/a/b` -> `/a/b`,
/// `parameter/x` -> `x`); `None` for other ARNs.
pub fn parameter_name_from_arn(arn: &str) -> Option<String> {
    let a = Arn::parse(arn)?;
    if a.service != "ssm" {
        return None;
    }
    let rest = a.resource.strip_prefix("parameter/")?;
    if rest.contains('/') {
        Some(format!("/{rest}"))
    } else {
        Some(rest.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders() {
        assert_eq!(
            secret_arn("us-east-1", "123456789012", "NAME", "AbCdEf"),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:NAME-AbCdEf"
        );
        assert_eq!(
            parameter_arn("us-east-1", "123456789012", "/myapp/prod/x"),
            "arn:aws:ssm:us-east-1:123456789012:parameter/myapp/prod/x"
        );
        assert_eq!(
            parameter_arn("eu-west-1", "123456789012", "plain"),
            "arn:aws:ssm:eu-west-1:123456789012:parameter/plain"
        );
        assert_eq!(
            principal_arn("123456789012", "alice"),
            "arn:aws:iam::123456789012:user/alice"
        );
    }

    #[test]
    fn parsing() {
        let a =
            Arn::parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:a:b-XyZ123").unwrap();
        assert_eq!(a.service, "secretsmanager");
        assert_eq!(a.resource, "secret:a:b-XyZ123");
        assert_eq!(
            Arn::parse("arn:aws:iam::123456789012:root").unwrap().region,
            ""
        );
        assert!(Arn::parse("arn:aws:iam").is_none());
        assert!(Arn::parse("nope:aws:iam::1:x").is_none());
        assert_eq!(
            secret_name_from_arn("arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf"),
            Some("db-AbCdEf")
        );
        assert_eq!(
            parameter_name_from_arn(&parameter_arn("r", "1", "/a/b")).as_deref(),
            Some("/a/b")
        );
        assert_eq!(
            parameter_name_from_arn(&parameter_arn("r", "1", "x")).as_deref(),
            Some("x")
        );
    }
}
