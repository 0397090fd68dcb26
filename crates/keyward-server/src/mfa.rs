//! MFA for people: a TOTP device per principal and short-lived session credentials
//! (STS-style `AccessKeyId` / `SecretAccessKey` / `SessionToken`) handed out for a
//! valid code. Requests made with a session carry `aws:MultiFactorAuthPresent` and
//! `aws:MultiFactorAuthAge`, so policies can require MFA as AWS policies do.
//!
//! - The TOTP secret is sealed under the KEK with the principal's id as associated
//!   data (a sealed secret moved to another principal does not open).
//! - Codes are RFC 6238 (SHA-1, 6 digits, 30 s) computed by `totp-rs`; one step of
//!   clock skew either way is accepted, codes are compared in constant time, and
//!   the step of an accepted code is stored, so that code (or an older one) is
//!   refused afterwards, on every server sharing the database. Five wrong codes
//!   lock the principal's logins out for 15 minutes (per server), so the code
//!   cannot be guessed at request rate.
//! - Sessions need no storage: the token is a MAC (under a key derived from the
//!   root key) over the session's key id, principal, MFA time and expiry, and the
//!   session's secret is a MAC of its key id. A session ends at its expiry (or when
//!   its principal is deleted, or the root key changes).

use crate::error::ApiError;
use crate::state::{AppState, CachedKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyward_crypto::{SecretString, SessionKey};
use keyward_store::{AuditedWrite, MfaDevice, Principal};
use std::sync::Arc;
use std::time::Instant;
use totp_rs::{Algorithm, TOTP};

/// The header a session's token travels in, on both APIs (the name AWS SDKs use).
pub const SESSION_TOKEN_HEADER: &str = "x-amz-security-token";

/// TOTP step, seconds.
const STEP: u64 = 30;
/// Steps of clock skew accepted either way.
const SKEW: i64 = 1;
/// Session lifetimes, seconds: default an hour, at most twelve hours (AWS
/// GetSessionToken's default and a third of its maximum). Unlike AWS (900 s), any
/// shorter session is allowed: a shorter session is never less safe.
pub const MIN_SESSION_SECS: i64 = 1;
pub const DEFAULT_SESSION_SECS: i64 = 3600;
pub const MAX_SESSION_SECS: i64 = 43_200;

const TOKEN_PREFIX: &str = "kwst1";

/// Wrong codes allowed per principal per [`LOCKOUT_WINDOW`]: a six-digit code is
/// guessable at request rate otherwise (three codes are valid at any moment).
const MAX_WRONG_CODES: u32 = 5;
const LOCKOUT_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Wrong codes per principal, on this server (each server sharing a database
/// keeps its own count).
#[derive(Debug, Default)]
pub struct WrongCodes(std::sync::Mutex<std::collections::HashMap<uuid::Uuid, (u32, Instant)>>);

impl WrongCodes {
    /// Seconds until `principal` may try again, if it is locked out.
    fn locked(&self, principal: uuid::Uuid) -> Option<u64> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (n, since) = map.get(&principal)?;
        let left = LOCKOUT_WINDOW.checked_sub(since.elapsed())?;
        (*n >= MAX_WRONG_CODES).then(|| left.as_secs().max(1))
    }

    fn failed(&self, principal: uuid::Uuid) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < LOCKOUT_WINDOW);
        }
        let e = map.entry(principal).or_insert((0, Instant::now()));
        if e.1.elapsed() >= LOCKOUT_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    fn succeeded(&self, principal: uuid::Uuid) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&principal);
    }
}

/// Associated data binding a sealed TOTP secret to its principal.
pub fn totp_aad(principal_id: uuid::Uuid) -> Vec<u8> {
    format!("keyward-mfa-totp|{principal_id}").into_bytes()
}

/// What `keyward mfa enable` shows once.
#[derive(Debug)]
pub struct Enrolment {
    /// Base32, for typing into an authenticator app.
    pub secret: SecretString,
    /// `otpauth://totp/...`, for a QR code.
    pub otpauth_uri: SecretString,
}

/// A session credential, shown once.
#[derive(Debug)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: SecretString,
    pub expiration: time::OffsetDateTime,
}

fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP, ApiError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        0,
        STEP,
        secret,
        Some("keyward".to_string()),
        account.to_string(),
    )
    .map_err(|e| ApiError::Integrity(format!("cannot set up TOTP: {e}")))
}

fn session_secret(key: &SessionKey, access_key_id: &str) -> SecretString {
    SecretString::new(
        URL_SAFE_NO_PAD.encode(key.mac(&[b"keyward-session-secret", access_key_id.as_bytes()])),
    )
}

/// The claims a session token carries.
struct Claims {
    access_key_id: String,
    principal_id: uuid::Uuid,
    mfa_at: i64,
    expires: i64,
}

fn make_token(key: &SessionKey, c: &Claims) -> String {
    let body = format!(
        "{}|{}|{}|{}",
        c.access_key_id, c.principal_id, c.mfa_at, c.expires
    );
    let mac = key.mac(&[b"keyward-session-token", body.as_bytes()]);
    format!(
        "{TOKEN_PREFIX}.{}.{}",
        URL_SAFE_NO_PAD.encode(body),
        URL_SAFE_NO_PAD.encode(mac)
    )
}

fn invalid() -> ApiError {
    ApiError::BadCredentials("The security token included in the request is invalid.".into())
}

fn parse_token(key: &SessionKey, token: &str) -> Result<Claims, ApiError> {
    let mut parts = token.split('.');
    let (Some(TOKEN_PREFIX), Some(body), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| invalid())?;
    let want = key.mac(&[b"keyward-session-token", &body]);
    if !keyward_crypto::constant_time_eq(&want, &mac) {
        return Err(invalid());
    }
    let body = String::from_utf8(body).map_err(|_| invalid())?;
    let f: Vec<&str> = body.split('|').collect();
    let [id, principal, mfa_at, expires] = f.as_slice() else {
        return Err(invalid());
    };
    Ok(Claims {
        access_key_id: id.to_string(),
        principal_id: principal.parse().map_err(|_| invalid())?,
        mfa_at: mfa_at.parse().map_err(|_| invalid())?,
        expires: expires.parse().map_err(|_| invalid())?,
    })
}

impl AppState {
    /// Enrols a new TOTP device for `principal`, replacing any earlier one;
    /// `audit` commits with it.
    pub async fn enable_mfa(
        &self,
        principal: &Principal,
        audit: &mut crate::ctx::Audit,
    ) -> Result<Enrolment, ApiError> {
        let keys = self.keys()?;
        // 160 bits, RFC 4226's recommended length.
        let raw = zeroize::Zeroizing::new(keyward_crypto::random_bytes(20));
        let t = totp(raw.to_vec(), &principal.name)?;
        let sealed = keys.keyring.seal(&raw, &totp_aad(principal.id));
        let device = MfaDevice {
            principal_id: principal.id,
            sealed_secret: sealed.0,
            last_used_step: None,
            created_at: time::OffsetDateTime::now_utc(),
        };
        self.write(audit, async |w: AuditedWrite| {
            self.store.put_mfa_device(device, w).await
        })
        .await?;
        Ok(Enrolment {
            secret: SecretString::new(t.get_secret_base32()),
            otpauth_uri: SecretString::new(t.get_url()),
        })
    }

    /// Checks `code` for `principal` and marks its step used.
    pub async fn verify_mfa_code(&self, principal: &Principal, code: &str) -> Result<(), ApiError> {
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::InvalidParameter(
                "an MFA code is the 6 digits your authenticator app shows".into(),
            ));
        }
        if let Some(secs) = self.wrong_mfa_codes.locked(principal.id) {
            return Err(ApiError::AccessDenied(format!(
                "too many wrong MFA codes for {}: try again in {secs} s",
                principal.arn
            )));
        }
        let device = self
            .store
            .get_mfa_device(principal.id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| {
                ApiError::AccessDenied(format!(
                    "{} has no MFA device: enrol one with `keyward mfa enable`",
                    principal.arn
                ))
            })?;
        let keys = self.keys()?;
        let raw = keys
            .keyring
            .open(&device.sealed_secret, &totp_aad(principal.id))
            .map_err(|_| {
                ApiError::Integrity(format!(
                    "the stored MFA secret of {} failed its integrity check",
                    principal.arn
                ))
            })?;
        let t = totp(raw.to_vec(), &principal.name)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let current = now.div_euclid(STEP as i64);
        // Every candidate is computed and compared, in constant time each.
        let mut matched = None;
        for step in current - SKEW..=current + SKEW {
            let expected = t.generate((step.max(0) as u64) * STEP);
            if keyward_crypto::constant_time_eq(expected.as_bytes(), code.as_bytes()) {
                matched = Some(step);
            }
        }
        let Some(step) = matched else {
            self.wrong_mfa_codes.failed(principal.id);
            return Err(ApiError::AccessDenied("the MFA code is not valid".into()));
        };
        if !self
            .store
            .use_mfa_step(principal.id, step)
            .await
            .map_err(ApiError::from)?
        {
            self.wrong_mfa_codes.failed(principal.id);
            return Err(ApiError::AccessDenied(
                "this MFA code was already used; wait for the next one".into(),
            ));
        }
        self.wrong_mfa_codes.succeeded(principal.id);
        Ok(())
    }

    /// A session credential for `principal`, MFA-authenticated now.
    pub fn issue_session(
        &self,
        principal: &Principal,
        duration_secs: i64,
    ) -> Result<SessionCredentials, ApiError> {
        let keys = self.keys()?;
        let now = time::OffsetDateTime::now_utc();
        // Whole seconds, as STS writes them (and as the token stores them).
        let expiration = (now + time::Duration::seconds(duration_secs))
            .replace_nanosecond(0)
            .unwrap_or(now);
        let access_key_id = format!(
            "ASIA{}",
            keyward_crypto::random_from_alphabet(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        );
        let claims = Claims {
            access_key_id: access_key_id.clone(),
            principal_id: principal.id,
            mfa_at: now.unix_timestamp(),
            expires: expiration.unix_timestamp(),
        };
        Ok(SessionCredentials {
            secret_access_key: session_secret(&keys.session_key, &access_key_id),
            session_token: SecretString::new(make_token(&keys.session_key, &claims)),
            access_key_id,
            expiration,
        })
    }

    /// Resolves a session credential from its key id and token: the token must be
    /// this server's, for this key id, and unexpired. Never cached, so expiry is
    /// checked on every request.
    pub(crate) async fn lookup_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<Arc<CachedKey>, ApiError> {
        let keys = self.keys()?;
        let claims = parse_token(&keys.session_key, token)?;
        if !keyward_crypto::constant_time_eq(
            claims.access_key_id.as_bytes(),
            access_key_id.as_bytes(),
        ) {
            return Err(invalid());
        }
        if time::OffsetDateTime::now_utc().unix_timestamp() >= claims.expires {
            return Err(ApiError::ExpiredToken(
                "The security token included in the request is expired".into(),
            ));
        }
        let mut caller = self
            .caller_for(claims.principal_id, access_key_id)
            .await?
            .ok_or_else(invalid)?;
        caller.mfa_authenticated_at = Some(claims.mfa_at);
        Ok(Arc::new(CachedKey {
            fetched: Instant::now(),
            secret: session_secret(&keys.session_key, access_key_id),
            caller,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_tampering() {
        let key = keyward_crypto::RootKey::generate().session_key();
        let c = Claims {
            access_key_id: "ASIAAAAA".into(),
            principal_id: uuid::Uuid::new_v4(),
            mfa_at: 100,
            expires: 200,
        };
        let t = make_token(&key, &c);
        let back = parse_token(&key, &t)
            .map_err(|e| e.to_string())
            .expect("parses");
        assert_eq!(
            (back.access_key_id.as_str(), back.mfa_at, back.expires),
            ("ASIAAAAA", 100, 200)
        );
        let other = keyward_crypto::RootKey::generate().session_key();
        assert!(parse_token(&other, &t).is_err(), "another server's token");
        let forged = make_token(
            &other,
            &Claims {
                expires: 999_999_999_999,
                ..c
            },
        );
        assert!(parse_token(&key, &forged).is_err());
        let mut parts: Vec<&str> = t.split('.').collect();
        let longer = URL_SAFE_NO_PAD.encode(format!("ASIAAAAA|{}|100|999999", back.principal_id));
        parts[1] = &longer;
        assert!(
            parse_token(&key, &parts.join(".")).is_err(),
            "edited claims"
        );
        assert!(parse_token(&key, "kwst1.x").is_err());
    }
}
