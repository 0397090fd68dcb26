//! Value validation: declared `type`, lengths, `pattern`, `one_of` and the named
//! rule sets. Every message names the variable and the fix, never the value; a
//! matched placeholder is reported by its pattern (e.g. `change-this`), never by
//! the surrounding text.

use crate::generator::Format;
use crate::model::{Config, RuleName, VarSpec, VarType};
use crate::problem::{Problem, ProblemKind};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// Substrings that mark a value as an example or placeholder (matched
/// case-insensitively). The first group follows the seed guide's
/// `'django-insecure', 'change-this', 'example'`.
const PLACEHOLDER_SUBSTRINGS: &[&str] = &[
    "django-insecure",
    "change-this",
    "change_this",
    "changethis",
    "change-me",
    "change_me",
    "changeme",
    "change-in-production",
    "example",
    "placeholder",
    "replace-me",
    "replace_me",
    "replaceme",
    "replace-with",
    "replace_with",
    "not-for-production",
    "dev-only",
    "insecure",
    "dummy",
    "fixme",
    "xxxxxx",
];

/// Extra words that a *generated* secret never contains, checked by the secret
/// rule sets only (a URL or name may legitimately contain them).
const SECRET_ONLY_SUBSTRINGS: &[&str] = &["secret", "password"];

/// Whole values that are placeholders.
const PLACEHOLDER_VALUES: &[&str] = &[
    "test", "admin", "default", "null", "none", "todo", "tbd", "key", "token",
];

static YOUR_HERE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)your[-_ .]?[a-z0-9_.-]*[-_ .]?here").expect("static regex"));
static ANGLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^<[^<>]*>$").expect("static regex"));
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$").expect("static regex"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$").expect("static regex"));
static DURATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d+|(\d+(\.\d+)?(ms|s|m|h|d|w))+)$").expect("static regex"));

/// The placeholder pattern `value` contains, as a label safe to show (the pattern,
/// never the value). `secret_words` also checks words like `secret`.
pub fn placeholder_pattern(value: &str, secret_words: bool) -> Option<String> {
    let lower = value.to_lowercase();
    if PLACEHOLDER_VALUES.contains(&lower.trim()) {
        return Some("a common placeholder word".to_owned());
    }
    let extra: &[&str] = if secret_words {
        SECRET_ONLY_SUBSTRINGS
    } else {
        &[]
    };
    if let Some(p) = PLACEHOLDER_SUBSTRINGS
        .iter()
        .chain(extra)
        .find(|p| lower.contains(**p))
    {
        return Some((*p).to_owned());
    }
    if YOUR_HERE.is_match(value) {
        return Some("your-...-here".to_owned());
    }
    if ANGLE.is_match(value.trim()) {
        return Some("<...>".to_owned());
    }
    None
}

/// Shannon entropy in bits per character.
pub fn shannon_entropy(value: &str) -> f64 {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    let mut n = 0usize;
    for c in value.chars() {
        *counts.entry(c).or_default() += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Number of distinct characters.
pub fn distinct_chars(value: &str) -> usize {
    value.chars().collect::<BTreeSet<_>>().len()
}

const MIN_DISTINCT: usize = 10;
const MIN_BITS_PER_CHAR: f64 = 3.0;

/// Whether `value` is a short unit repeated (e.g. `abcabcabc...`).
fn is_repetition(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    (1..=n / 3).any(|p| (p..n).all(|i| chars[i] == chars[i - p]))
}

fn low_entropy(value: &str) -> bool {
    distinct_chars(value) < MIN_DISTINCT
        || shannon_entropy(value) < MIN_BITS_PER_CHAR
        || is_repetition(value)
}

/// Checks `value` against a declared type. The reason never quotes the value.
pub(crate) fn check_type(ty: VarType, value: &str) -> Result<(), &'static str> {
    let ok = match ty {
        VarType::String => true,
        VarType::Int => value.parse::<i64>().is_ok(),
        VarType::Bool => {
            matches!(
                value.to_ascii_lowercase().as_str(),
                "true" | "false" | "1" | "0" | "yes" | "no" | "on" | "off"
            )
        }
        VarType::Url => URL.is_match(value),
        VarType::Email => EMAIL.is_match(value),
        VarType::Port => matches!(value.parse::<u16>(), Ok(p) if p != 0),
        VarType::Json => serde_json::from_str::<serde_json::Value>(value).is_ok(),
        VarType::Duration => DURATION.is_match(value),
    };
    if ok {
        return Ok(());
    }
    Err(match ty {
        VarType::String => "",
        VarType::Int => "expected a whole number such as 42",
        VarType::Bool => "expected true/false, 1/0, yes/no or on/off",
        VarType::Url => "expected scheme://rest, such as postgres://host/db",
        VarType::Email => "expected name@example.org",
        VarType::Port => "expected a whole number from 1 to 65535",
        VarType::Json => "expected valid JSON",
        VarType::Duration => "expected seconds or a duration such as 30s, 5m, 1h30m, 250ms",
    })
}

/// The `keyward gen` format to suggest for `spec`, if any.
pub(crate) fn gen_format(spec: &VarSpec) -> Option<Format> {
    if let Some(g) = &spec.generate {
        return g.parse().ok();
    }
    if spec.rules.contains(&RuleName::DjangoSecretKey) {
        Some(Format::Django)
    } else if spec.rules.contains(&RuleName::StrongSecret)
        || (spec.secret && spec.ty == crate::model::VarType::String)
    {
        Some(Format::Urlsafe)
    } else {
        // A secret URL, e-mail, number, ... is composed (a PostgreSQL URL holds a
        // host and a password), not generated: suggesting random text would be wrong.
        None
    }
}

/// The shell command that generates (and, with a store source, stores) a value.
pub(crate) fn gen_command(
    config: &Config,
    name: &str,
    spec: &VarSpec,
    env: Option<&str>,
) -> Option<String> {
    let format = gen_format(spec)?;
    let mut cmd = format!("keyward gen --format {}", format.name());
    if let (Some(env), Some(_)) = (env, &spec.source)
        && let Some(path) = config.store_path(name, spec, env)
    {
        cmd.push_str(&format!(" --put {path}"));
    }
    Some(cmd)
}

/// "Generate a secure key with:\n  keyward gen ..." or an empty string.
pub(crate) fn gen_hint(config: &Config, name: &str, spec: &VarSpec, env: Option<&str>) -> String {
    match gen_command(config, name, spec, env) {
        Some(cmd) => format!("\nGenerate a secure key with:\n  {cmd}"),
        None => String::new(),
    }
}

/// Every problem with `value` for `name` in `env` (all of them, not the first).
/// Rule-set findings (placeholders, entropy, rule minimum lengths) are warnings in
/// development-like environments and errors elsewhere; `type`, `min_length`,
/// `max_length`, `pattern` and `one_of` are always errors.
pub fn validate_value(
    config: &Config,
    name: &str,
    spec: &VarSpec,
    env: &str,
    value: &str,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let envo = Some(env);
    let hint = gen_hint(config, name, spec, envo);
    let len = value.chars().count();
    let err = |kind, msg: String| Problem::error(name, envo, kind, msg);

    if let Err(why) = check_type(spec.ty, value) {
        out.push(err(
            ProblemKind::InvalidType,
            format!("{name} is not a valid {} ({why}).", spec.ty.as_str()),
        ));
    }
    if let Some(min) = spec.min_length
        && len < min
    {
        out.push(err(
                ProblemKind::TooShort,
                format!("{name} is too short ({len} characters).\nIt should be at least {min} characters.{hint}"),
            ));
    }
    if let Some(max) = spec.max_length
        && len > max
    {
        out.push(err(
            ProblemKind::TooLong,
            format!("{name} is too long ({len} characters); the maximum is {max}."),
        ));
    }
    if let Some(p) = &spec.pattern
        && let Ok(re) = Regex::new(&format!("^(?:{p})$"))
        && !re.is_match(value)
    {
        out.push(err(
            ProblemKind::PatternMismatch,
            format!("{name} does not match the required pattern `{p}`."),
        ));
    }
    if !spec.one_of.is_empty() && !spec.one_of.iter().any(|o| o == value) {
        out.push(err(
            ProblemKind::NotOneOf,
            format!("{name} must be one of: {}.", spec.one_of.join(", ")),
        ));
    }

    let dev = config.is_dev_environment(env);
    let rule = |kind, msg: String| {
        if dev {
            Problem::warning(name, envo, kind, msg)
        } else {
            Problem::error(name, envo, kind, msg)
        }
    };
    let mut rule_min = None;
    let mut placeholder = None;
    let mut entropy = false;
    for r in &spec.rules {
        match r {
            RuleName::DjangoSecretKey => {
                rule_min = rule_min.max(Some(50));
                placeholder = placeholder.or(Some(true));
                entropy = true;
            }
            RuleName::StrongSecret => {
                rule_min = rule_min.max(Some(32));
                placeholder = placeholder.or(Some(true));
                entropy = true;
            }
            RuleName::NoPlaceholder => placeholder = Some(placeholder.unwrap_or(false)),
        }
    }
    if let Some(min) = rule_min
        && len < min
        && spec.min_length.is_none_or(|m| m < min)
    {
        out.push(rule(
                ProblemKind::TooShort,
                format!("{name} is too short ({len} characters).\nIt should be at least {min} characters for security.{hint}"),
            ));
    }
    if let Some(secret_words) = placeholder
        && let Some(p) = placeholder_pattern(value, secret_words)
    {
        out.push(rule(
            ProblemKind::ExampleValue,
            if p.starts_with("a ") {
                format!("{name} appears to be an example value ({p}).{hint}")
            } else {
                format!("{name} appears to be an example value (contains '{p}').{hint}")
            },
        ));
    }
    if entropy && !value.is_empty() && low_entropy(value) {
        out.push(rule(
            ProblemKind::LowEntropy,
            format!(
                "{name} does not look random: it needs at least {MIN_DISTINCT} distinct characters, \
                 {MIN_BITS_PER_CHAR:.1} bits of entropy per character and no repeated pattern.{hint}"
            ),
        ));
    }
    out
}
