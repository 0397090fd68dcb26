//! `keyward gen`: a random value from the OS CSPRNG, printed or stored (`--put`).

use super::{GenArgs, GenFormat};
use anyhow::{Context, Result};
use keyward_config::{Format, PasswordPolicy, generate, generate_password};
use keyward_crypto::SecretBytes;
use serde_json::json;

fn format_of(f: GenFormat) -> Format {
    match f {
        GenFormat::Django => Format::Django,
        GenFormat::Urlsafe => Format::Urlsafe,
        GenFormat::Hex => Format::Hex,
        GenFormat::Base64 => Format::Base64,
        GenFormat::Password => Format::Password,
        GenFormat::Uuid => Format::Uuid,
    }
}

pub fn gen_secret(a: GenArgs) -> Result<i32> {
    let format = format_of(a.format);
    let policy_given = a.exclude_characters.is_some()
        || a.exclude_numbers
        || a.exclude_punctuation
        || a.exclude_uppercase
        || a.exclude_lowercase
        || a.include_space
        || a.no_require_each_type;
    if policy_given && format != Format::Password {
        anyhow::bail!("the password policy flags only apply to --format password");
    }
    let value = if format == Format::Password {
        generate_password(&PasswordPolicy {
            length: a.length.unwrap_or(24),
            exclude_characters: a.exclude_characters.clone().unwrap_or_default(),
            exclude_numbers: a.exclude_numbers,
            exclude_punctuation: a.exclude_punctuation,
            exclude_uppercase: a.exclude_uppercase,
            exclude_lowercase: a.exclude_lowercase,
            include_space: a.include_space,
            require_each_included_type: !a.no_require_each_type,
        })
    } else {
        generate(format, a.length)
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(name) = &a.put else {
        if a.json {
            crate::output::print_json(&json!({"format": format.name(), "value": value}));
        } else {
            println!("{}", value.expose());
        }
        return Ok(0);
    };
    let c = super::super::client()?;
    let out = c
        .put_secret(
            name,
            &SecretBytes::new(value.expose().as_bytes().to_vec()),
            false,
            None,
        )
        .with_context(|| format!("cannot store the generated value at {name}"))?;
    let version = out.version.as_ref().map_or("?", |v| v.version_id.as_str());
    if a.json {
        let mut v = json!({"name": name, "format": format.name(), "version_id": version, "length": value.expose().chars().count()});
        if a.show {
            v["value"] = json!(value);
        }
        crate::output::print_json(&v);
    } else {
        eprintln!(
            "stored a new {} value ({} characters) at {name} (version {version})",
            format.name(),
            value.expose().chars().count()
        );
        if a.show {
            println!("{}", value.expose());
        }
    }
    Ok(0)
}
