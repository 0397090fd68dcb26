//! ListSecrets and the filter language it shares with BatchGetSecretValue.
//!
//! Filters: `name`, `tag-key`, `tag-value` match by case-sensitive prefix;
//! `description` and `all` split values and patterns into words (at `/ - _ + = . @`,
//! spaces and case changes) and match word prefixes case-insensitively;
//! `primary-region` and `owning-service` match whole values. A value starting with
//! `!` negates. Values of one filter are OR-ed, filters are AND-ed.

use super::{
    decode_token, describe_out, encode_token, owning_service, primary_region, replicas, wire,
};
use crate::action::Action;
use crate::aws::wire::answer;
use crate::aws::{AwsCtx, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use keyward_store::{ListQuery, Namespace, Secret};
use serde_json::Value;

const KEYS: [&str; 7] = [
    "all",
    "name",
    "description",
    "tag-key",
    "tag-value",
    "primary-region",
    "owning-service",
];

#[derive(Debug, Clone)]
pub struct Filter {
    key: String,
    values: Vec<String>,
}

/// Validates `Filters`.
pub fn filters(items: Option<Vec<wire::Filter>>) -> Result<Vec<Filter>, ApiError> {
    let Some(items) = items else {
        return Ok(Vec::new());
    };
    if items.len() > 10 {
        return Err(invalid_param("You can specify at most 10 filters."));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, f) in items.into_iter().enumerate() {
        let Some(key) = f.Key else {
            return Err(invalid_param("Invalid filter key"));
        };
        if !KEYS.contains(&key.as_str()) {
            return Err(super::validation(format!(
                "1 validation error detected: Value '{key}' at 'filters.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [all, name, tag-key, description, tag-value]",
                i + 1
            )));
        }
        let Some(values) = f.Values else {
            return Err(invalid_param(format!(
                "Invalid filter values for key: {key}"
            )));
        };
        if values.len() > 10 || values.iter().any(|v| v.chars().count() > 512) {
            return Err(invalid_param(
                "A filter can have at most 10 values of at most 512 characters.",
            ));
        }
        out.push(Filter { key, values });
    }
    Ok(out)
}

/// Secrets of this region matching every filter, oldest first.
pub async fn matching(
    ctx: &AwsCtx<'_>,
    filters: &[Filter],
    include_deleted: bool,
) -> Result<Vec<Secret>, ApiError> {
    let mut all = ctx
        .st
        .store
        .list_secrets(&ListQuery {
            namespace: Namespace::Secrets,
            region: ctx.region.clone(),
            name_prefix: None,
            include_deleted,
            after_name: None,
            limit: None,
        })
        .await
        .map_err(ApiError::from)?;
    all.retain(|s| include_deleted || s.deleted_at.is_none());
    all.retain(|s| filters.iter().all(|f| filter_matches(s, f)));
    all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.name.cmp(&b.name)));
    Ok(all)
}

pub async fn list(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::ListSecretsRequest = wire::parse(input)?;
    let filters = filters(req.Filters)?;
    let include_deleted = req.IncludePlannedDeletion.unwrap_or(false);
    let max = match req.MaxResults {
        None => 100,
        Some(m) if (1..=100).contains(&m) => m as usize,
        Some(_) => return Err(invalid_param("MaxResults must be between 1 and 100.")),
    };
    let desc = match req.SortOrder.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(o) => {
            return Err(super::validation(format!(
                "1 validation error detected: Value '{o}' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]"
            )));
        }
    };
    let offset = decode_token(req.NextToken.as_deref())?;
    ctx.authorize(Action::ListSecrets, "*", None)?;
    audit.event.resource = None;
    let mut all = matching(ctx, &filters, include_deleted).await?;
    if desc {
        all.reverse();
    }
    let page: Vec<&Secret> = all.iter().skip(offset).take(max).collect();
    let mut list = Vec::with_capacity(page.len());
    for s in &page {
        let versions = ctx.versions(s).await?;
        let rotation = ctx.st.store.get_rotation(s.id).await?;
        list.push(describe_out(s, &versions, rotation.as_ref(), true));
    }
    Ok(answer(&wire::ListSecretsResponse {
        SecretList: list,
        NextToken: (offset + page.len() < all.len()).then(|| encode_token(offset + page.len())),
    }))
}

fn filter_matches(s: &Secret, f: &Filter) -> bool {
    let tags_k: Vec<&str> = s.tags.iter().map(|t| t.key.as_str()).collect();
    let tags_v: Vec<&str> = s.tags.iter().map(|t| t.value.as_str()).collect();
    match f.key.as_str() {
        "name" => matcher(&f.values, &[&s.name], Mode::Prefix),
        "tag-key" => matcher(&f.values, &tags_k, Mode::Prefix),
        "tag-value" => matcher(&f.values, &tags_v, Mode::Prefix),
        "description" => match s.description.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => matcher(&f.values, &[d], Mode::Words),
            None => false,
        },
        "owning-service" => match owning_service(s) {
            Some(o) => matcher(&f.values, &[o], Mode::Words),
            None => false,
        },
        "primary-region" => {
            let primary = match primary_region(s) {
                Some(p) => Some(p),
                None if !replicas(s).is_empty() => Some(s.region.as_str()),
                None => None,
            };
            primary.is_some_and(|p| f.values.iter().any(|v| v == p))
        }
        "all" => {
            let mut attrs: Vec<&str> = vec![&s.name];
            if let Some(d) = s.description.as_deref().filter(|d| !d.is_empty()) {
                attrs.push(d);
            }
            attrs.extend(&tags_k);
            attrs.extend(&tags_v);
            matcher(&f.values, &attrs, Mode::Words)
        }
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Prefix,
    Words,
}

/// One filter's values against a secret's attributes: any negated pattern that some
/// attribute fails, or any plain pattern that some attribute meets.
fn matcher(patterns: &[String], attrs: &[&str], mode: Mode) -> bool {
    for p in patterns.iter().filter_map(|p| p.strip_prefix('!')) {
        if attrs.iter().any(|a| !matches(p, a, mode)) {
            return true;
        }
    }
    patterns
        .iter()
        .filter(|p| !p.starts_with('!'))
        .any(|p| attrs.iter().any(|a| matches(p, a, mode)))
}

fn matches(pattern: &str, value: &str, mode: Mode) -> bool {
    match mode {
        Mode::Prefix => value.starts_with(pattern),
        Mode::Words => {
            let pw: Vec<String> = split_words(pattern)
                .iter()
                .map(|w| w.to_lowercase())
                .collect();
            if pw.is_empty() {
                return false;
            }
            let vw: Vec<String> = split_words(value)
                .iter()
                .map(|w| w.to_lowercase())
                .collect();
            pw.iter()
                .all(|p| vw.iter().any(|v| v.starts_with(p.as_str())))
        }
    }
}

const SPECIAL: [char; 7] = ['/', '-', '_', '+', '=', '.', '@'];

/// Words of a value: split at one kind of separator (a value mixing two kinds is
/// one word), then at whitespace and where a capitalised word starts.
fn split_words(s: &str) -> Vec<String> {
    if s.chars().count() == 1 && SPECIAL.contains(&s.chars().next().unwrap_or(' ')) {
        return Vec::new();
    }
    let present: Vec<char> = SPECIAL.iter().copied().filter(|c| s.contains(*c)).collect();
    match present.as_slice() {
        [] => split_case(s),
        [one] => s.split(*one).flat_map(split_case).collect(),
        _ => vec![s.to_string()],
    }
}

/// Splits before every non-lowercase character that starts a run of lowercase
/// letters ("MyTest" -> My, Test; "my test" -> my, test), trimming whitespace.
fn split_case(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = !chars[i].is_ascii_lowercase()
            && chars.get(i + 1).is_some_and(|c| c.is_ascii_lowercase());
        if starts_word {
            if !cur.is_empty() {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            let mut word = String::from(chars[i]);
            i += 1;
            while i < chars.len() && chars[i].is_ascii_lowercase() {
                word.push(chars[i]);
                i += 1;
            }
            out.push(word.trim().to_string());
        } else {
            cur.push(chars[i]);
            i += 1;
        }
    }
    if !cur.is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_splitting() {
        let w = |s: &str| split_words(s);
        assert_eq!(w("test"), ["test"]);
        assert_eq!(w("my test"), ["my", "test"]);
        assert_eq!(w("Mytest"), ["Mytest"]);
        assert_eq!(w("MyTestPhrase"), ["My", "Test", "Phrase"]);
        assert_eq!(w("myTest"), ["my", "Test"]);
        assert_eq!(w("my/test"), ["my", "test"]);
        assert_eq!(w("my/test+x"), ["my/test+x"]);
        assert!(w("/").is_empty());
    }

    #[test]
    fn negation_and_words() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matcher(&p(&["one", "!two"]), &["one"], Mode::Words));
        assert!(!matcher(&p(&["!o"]), &["one two"], Mode::Words));
        assert!(matcher(&p(&["!o"]), &["two"], Mode::Words));
        assert!(matcher(&p(&["o t"]), &["one two"], Mode::Words));
        assert!(!matcher(&p(&["foo"]), &["xfoo"], Mode::Prefix));
    }
}
