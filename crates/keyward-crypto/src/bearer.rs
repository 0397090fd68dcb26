//! Bearer tokens for the native API. A token proves possession of an access key's
//! secret without sending it: `kw1.<access key id>.<unix seconds>.<hex HMAC-SHA256>`
//! where the MAC is keyed with the secret access key over the id and the time. The
//! server accepts a token for 15 minutes either side of its time, like SigV4.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TOKEN_PREFIX: &str = "kw1";
/// How far a token's time may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

fn token_mac(secret_access_key: &str, access_key_id: &str, unix_secs: i64) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret_access_key.as_bytes())
        .expect("HMAC takes keys of any length");
    m.update(format!("keyward-bearer-v1\n{access_key_id}\n{unix_secs}").as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Makes a token valid around `unix_secs`.
pub fn make_token(access_key_id: &str, secret_access_key: &str, unix_secs: i64) -> String {
    let mac = token_mac(secret_access_key, access_key_id, unix_secs);
    format!("{TOKEN_PREFIX}.{access_key_id}.{unix_secs}.{mac}")
}

/// The public parts of a token, before its MAC is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedToken {
    pub access_key_id: String,
    pub unix_secs: i64,
    mac: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(
        "the bearer token is malformed: expected kw1.<access key id>.<time>.<signature> (make one with `keyward token`)"
    )]
    Malformed,
    #[error(
        "the bearer token has expired or is from the future (more than 15 minutes from the server's clock); check the client's clock"
    )]
    Expired,
    #[error("the bearer token's signature does not match: the secret access key is wrong")]
    BadSignature,
}

pub fn parse_token(token: &str) -> Result<ParsedToken, TokenError> {
    let mut parts = token.trim().split('.');
    let (Some(prefix), Some(id), Some(ts), Some(mac), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(TokenError::Malformed);
    };
    let valid_id =
        !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if prefix != TOKEN_PREFIX
        || !valid_id
        || mac.len() != 64
        || !mac.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(TokenError::Malformed);
    }
    let unix_secs: i64 = ts.parse().map_err(|_| TokenError::Malformed)?;
    Ok(ParsedToken {
        access_key_id: id.to_string(),
        unix_secs,
        mac: mac.to_ascii_lowercase(),
    })
}

/// Checks a parsed token against the key's secret and the server's clock.
pub fn verify_token(
    parsed: &ParsedToken,
    secret_access_key: &str,
    now_unix_secs: i64,
) -> Result<(), TokenError> {
    if (now_unix_secs - parsed.unix_secs).abs() > MAX_SKEW_SECS {
        return Err(TokenError::Expired);
    }
    let want = token_mac(secret_access_key, &parsed.access_key_id, parsed.unix_secs);
    if crate::constant_time_eq(want.as_bytes(), parsed.mac.as_bytes()) {
        Ok(())
    } else {
        Err(TokenError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_failures() {
        let t = make_token("KWAKID123", "s3cr3t", 1_000_000);
        let p = parse_token(&t).expect("parses");
        assert_eq!(p.access_key_id, "KWAKID123");
        assert_eq!(verify_token(&p, "s3cr3t", 1_000_100), Ok(()));
        assert_eq!(
            verify_token(&p, "wrong", 1_000_100),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify_token(&p, "s3cr3t", 1_000_000 + 901),
            Err(TokenError::Expired)
        );
        assert!(!t.contains("s3cr3t"));
        for bad in [
            "",
            "kw1",
            "kw1.a.b.c",
            "kw2.A.1.00",
            "kw1.A.1.zz",
            "kw1..1.aa",
            "kw1.A.1.aa.extra",
        ] {
            assert_eq!(parse_token(bad), Err(TokenError::Malformed), "{bad}");
        }
    }
}
