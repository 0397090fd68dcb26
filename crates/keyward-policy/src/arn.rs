//! ARN construction and parsing helpers (AWS formats, partition `aws`).

/// `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX`
/// (AWS appends a 6-character random suffix to every secret name).
pub fn secret_arn(region: &str, account: &str, name: &str, suffix: &str) -> String {
    format!("{}-{suffix}", unsuffixed_secret_arn(region, account, name))
}

/// The ARN a policy sees for a secret named `name` that does not exist yet:
/// [`secret_arn`] without the suffix, which `secret:NAME-*` resources still match.
pub fn unsuffixed_secret_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}")
}

/// Whether `arn` is [`secret_arn`] of `name` in `region` and `account`, with a
/// suffix of six ASCII letters or digits, as AWS and keyward mint them.
pub fn is_secret_arn_of(arn: &str, region: &str, account: &str, name: &str) -> bool {
    arn.strip_prefix(&unsuffixed_secret_arn(region, account, name))
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|suffix| {
            suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
        })
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

/// `arn:aws:keyward:REGION:ACCOUNT:file-recipient/NAME`: a server recipient for
/// encrypted files (an age identity the server holds; policies grant
/// `keyward:DecryptFile` on it).
pub fn file_recipient_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:keyward:{region}:{account}:file-recipient/{name}")
}

/// Whether `region` has the shape of an AWS region name: a 2–4 letter area, one
/// to three lowercase words, and a number (`us-east-1`, `us-gov-west-1`,
/// `us-isob-east-1`, `eusc-de-east-1`). Regions partition keyward's data, so a
/// name outside this shape (`evil*region`) must never create a partition.
pub fn is_valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    if !(3..=5).contains(&parts.len()) || region.len() > 32 {
        return false;
    }
    let (area, rest) = (parts[0], &parts[1..]);
    let (number, words) = rest.split_last().unwrap_or((&"", &[]));
    (2..=4).contains(&area.len())
        && area.bytes().all(|b| b.is_ascii_lowercase())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
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
    fn a_secret_arn_names_exactly_one_secret() {
        let of = |arn| is_secret_arn_of(arn, "us-east-1", "123456789012", "prod/db");
        assert!(of(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123"
        ));
        for other in [
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC12",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC12!",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-x-AbC123",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/x-AbC123",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123",
            "arn:aws:secretsmanager:us-east-1:999999999999:secret:prod/db-AbC123",
        ] {
            assert!(!of(other), "{other}");
        }
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

#[cfg(test)]
mod region_tests {
    use super::is_valid_region;

    #[test]
    fn aws_region_names_are_valid() {
        for r in [
            "us-east-1",
            "eu-west-1",
            "ap-southeast-3",
            "il-central-1",
            "us-gov-west-1",
            "cn-northwest-1",
            "us-isob-east-1",
            "eusc-de-east-1",
            "ca-west-1",
        ] {
            assert!(is_valid_region(r), "{r} should be valid");
        }
    }

    #[test]
    fn other_strings_are_not_regions() {
        for r in [
            "",
            "evil*region",
            "us-east",
            "us_east_1",
            "US-EAST-1",
            "us-east-1a",
            "us--east-1",
            "useast1",
            "us-east-123",
            "a-b-1",
            "../etc-x-1",
            "us-east-1-x",
        ] {
            assert!(!is_valid_region(r), "{r:?} should be invalid");
        }
    }
}
