//! Per-rule confirmation of regex matches: placeholders, entropy, passwords in URLs, PEM bodies.

use crate::entropy;
use crate::rules::Validate;

/// Outcome of validating one candidate secret.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verdict {
    /// Likelihood 0..1 that this is a real secret.
    pub score: f64,
    /// Shannon entropy of the secret.
    pub entropy: f64,
    /// End of the secret material (PEM: end of the body), absolute offset.
    pub end: usize,
}

/// Validate `secret = data[start..end]` for a rule with `kind`, `min_entropy` and base
/// `confidence`. `user` is the user-name part of a URL match when the rule has one.
pub(crate) fn validate(
    kind: Validate,
    min_entropy: f64,
    confidence: f64,
    data: &[u8],
    start: usize,
    end: usize,
    user: Option<&[u8]>,
) -> Option<Verdict> {
    let secret = &data[start..end];
    let h = entropy::shannon(secret);
    match kind {
        Validate::Pem => {
            let body_end = pem_body(data, end)?;
            let body = &data[end..body_end];
            Some(Verdict {
                score: confidence,
                entropy: entropy::shannon(body),
                end: body_end,
            })
        }
        Validate::Random => {
            let r = entropy::randomness(secret);
            if r < entropy::RANDOM_THRESHOLD || h < min_entropy {
                return None;
            }
            Some(Verdict {
                score: (confidence * (0.5 + r / 2.0)).min(1.0),
                entropy: h,
                end,
            })
        }
        Validate::Password => {
            if !plausible_password(secret, user) || h < min_entropy {
                return None;
            }
            let r = entropy::randomness(secret);
            Some(Verdict {
                score: (confidence * (0.6 + r * 0.4)).min(1.0),
                entropy: h,
                end,
            })
        }
        Validate::None => {
            if h < min_entropy || entropy::is_placeholder(secret) {
                return None;
            }
            Some(Verdict {
                score: confidence,
                entropy: h,
                end,
            })
        }
    }
}

/// A password embedded in a URL: reject templates, placeholders, ports and the user name
/// itself; require a little complexity.
fn plausible_password(pw: &[u8], user: Option<&[u8]>) -> bool {
    if pw.len() < 6 || entropy::is_placeholder(pw) {
        return false;
    }
    if pw.iter().any(|b| b"$%{}<>*".contains(b)) && pw.contains(&b'$') {
        return false;
    }
    if pw.contains(&b'%')
        && !pw
            .windows(3)
            .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
    {
        return false;
    }
    if user.is_some_and(|u| u.eq_ignore_ascii_case(pw)) {
        return false;
    }
    if pw.iter().all(u8::is_ascii_digit) && pw.len() < 8 {
        return false;
    }
    let lower = pw.iter().any(u8::is_ascii_lowercase);
    let upper = pw.iter().any(u8::is_ascii_uppercase);
    let digit = pw.iter().any(u8::is_ascii_digit);
    let other = pw.iter().any(|b| !b.is_ascii_alphanumeric());
    let classes = [lower, upper, digit, other].iter().filter(|&&x| x).count();
    let words = entropy::word_fraction(pw);
    if pw.len() >= 12 {
        classes >= 2 && words < 0.7
    } else {
        classes >= 2 && words < 0.5 && entropy::shannon(pw) >= 2.5
    }
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

/// After a `-----BEGIN ... PRIVATE KEY-----` header ending at `pos`, find a base64 body of at
/// least 40 characters (possibly after `Key: value` header lines, with real or `\n`-escaped
/// newlines, indentation and string quoting). Returns the end of the body.
fn pem_body(data: &[u8], pos: usize) -> Option<usize> {
    let limit = data.len().min(pos + 64 * 1024);
    let mut i = pos;
    let mut run = 0usize;
    let mut best = 0usize;
    let mut header_lines = 0;
    let mut last_b64 = pos;
    while i < limit {
        let b = data[i];
        if is_b64(b) {
            // "Proc-Type: 4,ENCRYPTED" style headers: a word followed by ':'
            run += 1;
            best = best.max(run);
            last_b64 = i + 1;
            i += 1;
            continue;
        }
        match b {
            b':' if header_lines < 4 && best < 40 => {
                header_lines += 1;
                // skip to end of line (real or escaped)
                while i < limit
                    && data[i] != b'\n'
                    && !(data[i] == b'\\' && data.get(i + 1) == Some(&b'n'))
                {
                    i += 1;
                }
                best = 0;
                run = 0;
                continue;
            }
            b'\\' if data.get(i + 1) == Some(&b'n') || data.get(i + 1) == Some(&b'r') => i += 2,
            b'\n' | b'\r' | b' ' | b'\t' | b'"' | b'\'' | b',' | b'+' | b'|' => i += 1,
            b'-' => break,
            b'.' => return None,
            _ => break,
        }
        run = 0;
    }
    (best >= 40).then_some(last_b64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_bodies() {
        let body = "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw";
        let real =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----");
        assert!(pem_body(real.as_bytes(), 31).is_some());
        let esc = format!("-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END");
        assert!(pem_body(esc.as_bytes(), 27).is_some());
        let stub = b"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----";
        assert!(pem_body(stub, 31).is_none());
        let code = b"-----BEGIN RSA PRIVATE KEY-----':\n    return True";
        assert!(pem_body(code, 31).is_none());
    }

    #[test]
    fn passwords() {
        assert!(plausible_password(b"q8Zr2LmX0vPa7Kd3", Some(b"app")));
        assert!(!plausible_password(b"password", None));
        assert!(!plausible_password(b"tiger", None));
        assert!(!plausible_password(b"${DB_PASS}", None));
        assert!(!plausible_password(b"8080", None));
    }
}
