//! keyward-encrypted config files (`keyward encrypt`): their ciphertexts and
//! metadata are safe to commit and are not scanned, while their comments still
//! are; a deployment secrets file committed in plaintext is reported.

use crate::scanner::{Finding, fingerprint};
use keyward_files::VALUE_PREFIX;

/// The bytes with every encrypted value and the metadata blanked out (line
/// breaks kept, so positions stay right), or `None` if `data` is not encrypted.
pub fn mask(data: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(data).ok()?;
    if !keyward_files::looks_encrypted(text) {
        return None;
    }
    let mut out = data.to_vec();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare.starts_with("# keyward:") || bare.contains("\"_keyward\"") {
            out[at..at + bare.len()].fill(b' ');
        } else {
            let mut from = 0;
            while let Some(i) = bare[from..].find(VALUE_PREFIX) {
                let start = from + i;
                let end = start
                    + VALUE_PREFIX.len()
                    + bare[start + VALUE_PREFIX.len()..]
                        .bytes()
                        .take_while(|b| {
                            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
                        })
                        .count();
                out[at + start..at + end].fill(b' ');
                from = end;
            }
        }
        at += line.len();
    }
    Some(out)
}

/// Whether a file of this name holds deployment secrets that belong encrypted:
/// `.env.production`, `.env.staging`, `secrets.yaml`, `*.enc.*`, ...
fn should_be_encrypted(path: &str) -> bool {
    let base = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    let env_stage = [".env.production", ".env.prod", ".env.staging", ".env.stage"]
        .iter()
        .any(|p| base == *p || base.starts_with(&format!("{p}.")));
    let secrets_file = base.starts_with("secrets.") || base.contains(".secrets.");
    let named_encrypted = base.contains(".enc.");
    let example = ["example", "sample", "template", ".dist"]
        .iter()
        .any(|w| base.contains(w));
    (env_stage || secrets_file || named_encrypted) && !example
}

/// A finding for a plaintext file that should have been encrypted.
pub fn plaintext_finding(path: &str, data: &[u8]) -> Option<Finding> {
    if !should_be_encrypted(path) {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    if keyward_files::looks_encrypted(text) {
        return None;
    }
    // Only files that assign a non-empty value somewhere.
    let line = text.lines().position(|l| {
        let l = l.trim();
        !l.starts_with('#')
            && l.split_once(['=', ':']).is_some_and(|(k, v)| {
                !k.trim().is_empty() && !v.trim().trim_matches(['"', '\'', ',']).is_empty()
            })
    })? + 1;
    Some(Finding {
        rule: "unencrypted-secrets-file".into(),
        description: "Deployment secrets file in plaintext: encrypt it with `keyward encrypt FILE` (values become age ciphertext, safe to commit) or keep it out of the repository".into(),
        path: path.to_owned(),
        line,
        column: 1,
        end_line: line,
        preview: String::new(),
        fingerprint: fingerprint("unencrypted-secrets-file", path, b""),
        score: 0.7,
        entropy: 0.0,
        commit: None,
        secret_path: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(should_be_encrypted("deploy/.env.production"));
        assert!(should_be_encrypted("config/secrets.yaml"));
        assert!(should_be_encrypted("app.enc.env"));
        assert!(!should_be_encrypted(".env.production.example"));
        assert!(!should_be_encrypted(".env"));
        assert!(!should_be_encrypted("settings.yaml"));
    }

    #[test]
    fn masks_values_and_metadata_only() {
        let t = "# comment\nA=keyward:age:v1:QUJD+/==\n# keyward:mac=00\n";
        let m = String::from_utf8(mask(t.as_bytes()).unwrap()).unwrap();
        assert_eq!(m.len(), t.len());
        assert!(m.starts_with("# comment\nA=   "));
        assert!(!m.contains("keyward:"));
        assert!(mask(b"A=b\n").is_none());
    }
}
