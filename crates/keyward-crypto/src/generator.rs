//! Secret generation, uniform over the alphabet (no modulo bias), from the OS
//! CSPRNG. The password policy mirrors AWS Secrets Manager's `GetRandomPassword`
//! parameters: the server's `GetRandomPassword` and `keyward gen` share it, which
//! is why it lives here rather than in the configuration crate.

use crate::{SecretString, random_bytes, random_from_alphabet};
use base64::Engine;
use std::str::FromStr;

/// Django's `get_random_secret_key()` alphabet.
pub const DJANGO_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
/// AWS `GetRandomPassword`'s punctuation set.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
/// Upper bound on any length, as for AWS (4096).
pub const MAX_LENGTH: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// 50 characters from [`DJANGO_ALPHABET`] (length = characters).
    Django,
    /// Python `secrets.token_urlsafe(n)`: n random bytes, base64url, no padding (default 32).
    Urlsafe,
    /// n random bytes as 2n hex characters (default 32).
    Hex,
    /// n random bytes, standard base64 with padding (default 48, like `openssl rand -base64 48`).
    Base64,
    /// A password under [`PasswordPolicy::default`] (length = characters, default 24).
    Password,
    /// A random (v4) UUID; takes no length.
    Uuid,
}

impl Format {
    pub const NAMES: &'static [&'static str] =
        &["django", "urlsafe", "hex", "base64", "password", "uuid"];

    pub fn name(self) -> &'static str {
        match self {
            Self::Django => "django",
            Self::Urlsafe => "urlsafe",
            Self::Hex => "hex",
            Self::Base64 => "base64",
            Self::Password => "password",
            Self::Uuid => "uuid",
        }
    }

    /// The length used when none is given (characters or bytes, see each format).
    pub fn default_length(self) -> Option<usize> {
        match self {
            Self::Django => Some(50),
            Self::Urlsafe | Self::Hex => Some(32),
            Self::Base64 => Some(48),
            Self::Password => Some(24),
            Self::Uuid => None,
        }
    }
}

impl FromStr for Format {
    type Err = GenError;
    fn from_str(s: &str) -> Result<Self, GenError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "django" => Self::Django,
            "urlsafe" | "token_urlsafe" => Self::Urlsafe,
            "hex" => Self::Hex,
            "base64" => Self::Base64,
            "password" => Self::Password,
            "uuid" | "uuid4" => Self::Uuid,
            _ => return Err(GenError::UnknownFormat(s.to_owned())),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenError {
    #[error("unknown format `{0}`; use one of django, urlsafe, hex, base64, password, uuid")]
    UnknownFormat(String),
    #[error("length must be between 1 and {MAX_LENGTH}, got {0}")]
    BadLength(usize),
    #[error("uuid values have a fixed length; do not pass one")]
    FixedLength,
    #[error("the password policy excludes every character")]
    EmptyAlphabet,
    #[error(
        "a {length}-character password cannot contain one of each of the {classes} required character types"
    )]
    TooShortForPolicy { length: usize, classes: usize },
}

/// `GetRandomPassword`'s parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// `PasswordLength` (keyward's default is 24).
    pub length: usize,
    /// `ExcludeCharacters`.
    pub exclude_characters: String,
    pub exclude_numbers: bool,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    pub exclude_lowercase: bool,
    pub include_space: bool,
    /// `RequireEachIncludedType` (default true, as in AWS).
    pub require_each_included_type: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            length: 24,
            exclude_characters: String::new(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each_included_type: true,
        }
    }
}

fn check_length(n: usize) -> Result<usize, GenError> {
    if n == 0 || n > MAX_LENGTH {
        Err(GenError::BadLength(n))
    } else {
        Ok(n)
    }
}

/// Generates a value. `length` is characters for `django`/`password`, bytes of
/// randomness for `urlsafe`/`hex`/`base64`; `None` takes the format's default.
pub fn generate(format: Format, length: Option<usize>) -> Result<SecretString, GenError> {
    let n = match (format.default_length(), length) {
        (None, Some(_)) => return Err(GenError::FixedLength),
        (None, None) => 0,
        (Some(d), l) => check_length(l.unwrap_or(d))?,
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(SecretString::new(match format {
        Format::Django => random_from_alphabet(DJANGO_ALPHABET.as_bytes(), n),
        Format::Urlsafe => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(n)),
        Format::Hex => hex::encode(random_bytes(n)),
        Format::Base64 => b64.encode(random_bytes(n)),
        Format::Password => {
            return generate_password(&PasswordPolicy {
                length: n,
                ..PasswordPolicy::default()
            });
        }
        Format::Uuid => {
            let bytes: [u8; 16] = random_bytes(16).try_into().unwrap_or([0u8; 16]);
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string()
        }
    }))
}

/// A password under `policy`. Sampling is uniform over the allowed alphabet; when
/// each included type is required, whole candidates are redrawn until they contain
/// one of each (rejection sampling keeps the result uniform over valid passwords).
pub fn generate_password(policy: &PasswordPolicy) -> Result<SecretString, GenError> {
    let length = check_length(policy.length)?;
    let keep = |set: &str| -> String {
        set.chars()
            .filter(|c| !policy.exclude_characters.contains(*c))
            .collect()
    };
    let mut classes: Vec<String> = Vec::new();
    if !policy.exclude_lowercase {
        classes.push(keep(LOWER));
    }
    if !policy.exclude_uppercase {
        classes.push(keep(UPPER));
    }
    if !policy.exclude_numbers {
        classes.push(keep(DIGITS));
    }
    if !policy.exclude_punctuation {
        classes.push(keep(PUNCTUATION));
    }
    if policy.include_space {
        classes.push(keep(" "));
    }
    classes.retain(|c| !c.is_empty());
    let alphabet: String = classes.concat();
    if alphabet.is_empty() {
        return Err(GenError::EmptyAlphabet);
    }
    if policy.require_each_included_type && length < classes.len() {
        return Err(GenError::TooShortForPolicy {
            length,
            classes: classes.len(),
        });
    }
    loop {
        let candidate = random_from_alphabet(alphabet.as_bytes(), length);
        if !policy.require_each_included_type
            || classes
                .iter()
                .all(|cl| candidate.chars().any(|c| cl.contains(c)))
        {
            return Ok(SecretString::new(candidate));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_have_the_documented_shape() {
        let d = generate(Format::Django, None).expect("django");
        assert_eq!(d.len(), 50);
        assert!(d.expose().chars().all(|c| DJANGO_ALPHABET.contains(c)));
        assert_eq!(generate(Format::Urlsafe, None).expect("u").len(), 43); // token_urlsafe(32)
        assert_eq!(generate(Format::Urlsafe, Some(50)).expect("u").len(), 67);
        assert!(
            !generate(Format::Urlsafe, Some(64))
                .expect("u")
                .expose()
                .contains(['=', '+', '/'])
        );
        let h = generate(Format::Hex, None).expect("hex");
        assert_eq!(h.len(), 64);
        assert!(h.expose().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(generate(Format::Base64, None).expect("b64").len(), 64); // openssl rand -base64 48
        assert_eq!(
            generate(Format::Base64, Some(1))
                .expect("b64")
                .expose()
                .len(),
            4
        );
        assert_eq!(generate(Format::Password, None).expect("pw").len(), 24);
        let u = generate(Format::Uuid, None).expect("uuid");
        let parsed = uuid::Uuid::parse_str(u.expose()).expect("uuid text");
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(generate(Format::Uuid, Some(3)), Err(GenError::FixedLength));
        assert_eq!(generate(Format::Hex, Some(0)), Err(GenError::BadLength(0)));
        assert_eq!(
            generate(Format::Hex, Some(MAX_LENGTH + 1)),
            Err(GenError::BadLength(MAX_LENGTH + 1))
        );
        assert!("nope".parse::<Format>().is_err());
        assert_ne!(
            generate(Format::Django, None).expect("a"),
            generate(Format::Django, None).expect("b")
        );
    }

    #[test]
    fn password_policy_is_honoured() {
        for _ in 0..50 {
            let p = generate_password(&PasswordPolicy {
                length: 4,
                ..PasswordPolicy::default()
            })
            .expect("pw");
            let s = p.expose();
            assert!(s.chars().any(|c| c.is_ascii_lowercase()));
            assert!(s.chars().any(|c| c.is_ascii_uppercase()));
            assert!(s.chars().any(|c| c.is_ascii_digit()));
            assert!(s.chars().any(|c| PUNCTUATION.contains(c)));
        }
        let p = generate_password(&PasswordPolicy {
            length: 200,
            exclude_punctuation: true,
            exclude_uppercase: true,
            exclude_characters: "abc0".into(),
            include_space: true,
            ..PasswordPolicy::default()
        })
        .expect("pw");
        assert!(p.expose().chars().all(|c| (c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || c == ' ')
            && !"abc0".contains(c)));
        assert!(p.expose().contains(' '));
        let none = PasswordPolicy {
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_numbers: true,
            exclude_punctuation: true,
            ..PasswordPolicy::default()
        };
        assert_eq!(generate_password(&none), Err(GenError::EmptyAlphabet));
        let short = PasswordPolicy {
            length: 3,
            ..PasswordPolicy::default()
        };
        assert!(matches!(
            generate_password(&short),
            Err(GenError::TooShortForPolicy { .. })
        ));
        let free = PasswordPolicy {
            length: 1,
            require_each_included_type: false,
            ..PasswordPolicy::default()
        };
        assert_eq!(generate_password(&free).expect("pw").len(), 1);
    }

    #[test]
    fn sampling_is_roughly_uniform() {
        // 50-symbol alphabet, 50_000 draws: each symbol expected 1000 times.
        let s = random_from_alphabet(DJANGO_ALPHABET.as_bytes(), 50_000);
        for c in DJANGO_ALPHABET.chars() {
            let n = s.chars().filter(|&x| x == c).count();
            assert!((800..1200).contains(&n), "{c}: {n}");
        }
    }
}
