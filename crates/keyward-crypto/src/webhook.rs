//! The one way keyward signs every outgoing webhook (rotation steps, alerts), as
//! Stripe does: a header `Keyward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
//! "<t>.<body>")>`. The timestamp is inside the MAC, so a receiver that rejects old
//! timestamps also rejects replays. Signer and verifier live here so they cannot drift.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::keys::constant_time_eq;

/// The HTTP header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Keyward-Signature";

/// How far a receiver lets a signature's timestamp lag or lead its own clock by default.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// Why a signature header was rejected. Never carries the secret or the expected MAC.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookSignatureError {
    #[error("signature header is malformed (expected `t=<unix seconds>,v1=<hex>`)")]
    Malformed,
    #[error(
        "signature timestamp is {age_secs} s away from now (tolerance {tolerance_secs} s): a replay or a skewed clock"
    )]
    Stale { age_secs: u64, tolerance_secs: u64 },
    #[error("signature does not match the body (wrong signing secret or altered body)")]
    Mismatch,
}

fn mac_hex(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The `Keyward-Signature` header value for `body` sent at `timestamp` (unix seconds).
pub fn sign_webhook(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", mac_hex(secret, timestamp, body))
}

/// Checks a `Keyward-Signature` header against `body`, accepting timestamps within
/// `tolerance_secs` of `now`. Several `v1=` entries are allowed (a sender in the middle of
/// changing its secret); any one matching is enough.
pub fn verify_webhook(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: u64,
    tolerance_secs: u64,
) -> Result<(), WebhookSignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(
                    t.parse::<u64>()
                        .map_err(|_| WebhookSignatureError::Malformed)?,
                )
            }
            Some(("v1", v)) => candidates.push(v),
            Some(_) => {} // future schemes (v2=...) are ignored, as Stripe receivers do
            None => return Err(WebhookSignatureError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(WebhookSignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(WebhookSignatureError::Malformed);
    }
    let age_secs = now.abs_diff(timestamp);
    if age_secs > tolerance_secs {
        return Err(WebhookSignatureError::Stale {
            age_secs,
            tolerance_secs,
        });
    }
    let expected = mac_hex(secret, timestamp, body);
    if candidates
        .iter()
        .any(|c| constant_time_eq(c.as_bytes(), expected.as_bytes()))
    {
        Ok(())
    } else {
        Err(WebhookSignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";

    #[test]
    fn a_signed_body_verifies_within_the_tolerance() {
        let h = sign_webhook(SECRET, 1_700_000_000, b"{\"a\":1}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(
            verify_webhook(SECRET, &h, b"{\"a\":1}", 1_700_000_100, 300),
            Ok(())
        );
    }

    #[test]
    fn known_answer_matches_an_independent_hmac() {
        // printf '1700000000.hello' | openssl dgst -sha256 -hmac whsec_test
        let h = sign_webhook(SECRET, 1_700_000_000, b"hello");
        assert_eq!(
            h,
            "t=1700000000,v1=457c4d31b232d95fcd50f1d95021aaaffddd859d0ee8a206675e84ccc977431d"
        );
    }

    #[test]
    fn old_timestamps_altered_bodies_and_wrong_secrets_are_rejected() {
        let h = sign_webhook(SECRET, 1_000, b"body");
        assert!(matches!(
            verify_webhook(SECRET, &h, b"body", 2_000, 300),
            Err(WebhookSignatureError::Stale { .. })
        ));
        assert_eq!(
            verify_webhook(SECRET, &h, b"bodY", 1_000, 300),
            Err(WebhookSignatureError::Mismatch)
        );
        assert_eq!(
            verify_webhook(b"other", &h, b"body", 1_000, 300),
            Err(WebhookSignatureError::Mismatch)
        );
        for bad in ["", "t=1", "v1=ab", "t=x,v1=ab", "garbage"] {
            assert_eq!(
                verify_webhook(SECRET, bad, b"body", 1, 300),
                Err(WebhookSignatureError::Malformed),
                "{bad}"
            );
        }
    }
}
