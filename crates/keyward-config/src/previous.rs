//! `previous_as`: exporting a secret's previous version beside the current one, so
//! an app can keep accepting what it signed with the old key while it signs with
//! the new one (Django's `SECRET_KEY_FALLBACKS`, JWT verification keys).
//!
//! The companion variable holds a JSON list: `["<previous>"]` after a rotation,
//! `[]` when the store has no previous version or the current value did not come
//! from the store. settings.py reads it with
//! `SECRET_KEY_FALLBACKS = json.loads(os.environ.get("SECRET_KEY_FALLBACKS", "[]"))`.

use crate::model::{Config, VarSpec, is_env_name};
use crate::problem::{Problem, ProblemKind};
use crate::resolve::{Provenance, Sources, extract_field};
use keyward_crypto::SecretString;

/// What is wrong with `previous_as = "<alias>"` on `name` (nothing: empty).
pub(crate) fn check_spec(config: &Config, name: &str, spec: &VarSpec, alias: &str) -> Vec<String> {
    let mut issues = Vec::new();
    if !is_env_name(alias) || alias == name {
        issues.push(format!(
            "`previous_as` must be another variable name, such as \"{name}_FALLBACKS\", not `{alias}`"
        ));
    }
    if spec.source.is_none() {
        issues.push(
            "`previous_as` exports the store's previous version, so it needs `source`".to_owned(),
        );
    }
    let clash = config.vars.iter().find(|(other, other_spec)| {
        other == alias
            || other_spec.env.as_deref() == Some(alias)
            || (other != name && other_spec.previous_as.as_deref() == Some(alias))
    });
    if let Some((other, _)) = clash {
        issues.push(format!(
            "`previous_as` names `{alias}`, which [vars.{other}] already supplies; pick a name no other variable uses"
        ));
    }
    issues
}

/// The JSON list a `previous_as` variable holds.
pub fn previous_list(previous: Option<&SecretString>) -> SecretString {
    let items: Vec<&str> = previous.iter().map(|v| v.expose()).collect();
    SecretString::new(serde_json::to_string(&items).unwrap_or_else(|_| "[]".to_owned()))
}

/// The values inside a `previous_as` list (to redact them from a command's output).
pub fn fallback_values(list: &SecretString) -> Vec<SecretString> {
    serde_json::from_str::<Vec<String>>(list.expose())
        .unwrap_or_default()
        .into_iter()
        .map(SecretString::new)
        .collect()
}

/// The `previous_as` companion of `name`, whose current value came from `current`:
/// `(alias, list, provenance)`, or `None` when the variable declares none or the
/// process environment already sets the alias (the operator's value passes through).
pub(crate) fn companion(
    name: &str,
    spec: &VarSpec,
    env: &str,
    current: &Provenance,
    sources: &Sources<'_>,
    problems: &mut Vec<Problem>,
) -> Option<(String, SecretString, Provenance)> {
    let alias = spec.previous_as.as_ref()?;
    if sources
        .process_env
        .get(alias)
        .is_some_and(|v| !v.is_empty())
    {
        return None;
    }
    let (Provenance::Store { path, field }, Some(store)) = (current, sources.store) else {
        let none = Provenance::StorePrevious {
            path: None,
            field: None,
        };
        return Some((alias.clone(), previous_list(None), none));
    };
    let previous = match store.get_previous(path) {
        Ok(Some(v)) => match field {
            None => Some(v),
            // A previous version without the field (the secret changed shape) has
            // nothing to fall back to.
            Some(k) => extract_field(&v, k).ok().flatten(),
        },
        Ok(None) => None,
        Err(e) => {
            problems.push(Problem::warning(
                name,
                Some(env),
                ProblemKind::LookupFailed,
                format!(
                    "{name}: the previous version at {path} could not be read ({e}); {alias} is set to [] so only the current value is accepted."
                ),
            ));
            None
        }
    };
    let from = Provenance::StorePrevious {
        path: Some(path.clone()),
        field: field.clone(),
    };
    Some((alias.clone(), previous_list(previous.as_ref()), from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_json_that_python_reads_back() {
        assert_eq!(previous_list(None).expose(), "[]");
        let tricky = SecretString::from("a\"b\\c$d'e");
        let list = previous_list(Some(&tricky));
        assert_eq!(list.expose(), r#"["a\"b\\c$d'e"]"#);
        assert_eq!(fallback_values(&list), vec![tricky]);
        assert!(fallback_values(&SecretString::from("not json")).is_empty());
    }
}
