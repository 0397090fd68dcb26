//! Verification policy: clock skew (AWS's exact messages), credential scope, required
//! signed headers, the `Date` fallback, payload hash, missing and ambiguous auth.

use http::{HeaderMap, HeaderValue};
use keyward_sigv4::{
    RequestParts, SigV4Error, SigningKeyCache, SigningParams, VerifyPolicy, derive_signing_key,
    parse_authorization, parse_request, sha256_hex, sign_request, verify,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const T: u64 = 1_440_938_160; // 20150830T123600Z
const BODY: &[u8] = br#"{"SecretId":"prod/db"}"#;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A Secrets Manager call signed by our signer at `T`; returns the header map.
fn signed(extra: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("localhost:4566"));
    h.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("secretsmanager.GetSecretValue"),
    );
    for (n, v) in extra {
        h.insert(*n, HeaderValue::from_static(v));
    }
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &h,
        authority: None,
        body: BODY,
    };
    let params = SigningParams {
        access_key_id: AKID,
        secret_access_key: SECRET,
        region: "eu-central-1",
        service: "secretsmanager",
        time: at(T),
    };
    let out = sign_request(&parts, &params).unwrap();
    h.insert("x-amz-date", HeaderValue::from_str(&out.amz_date).unwrap());
    h.insert(
        "authorization",
        HeaderValue::from_str(&out.authorization).unwrap(),
    );
    h
}

fn run(
    h: &HeaderMap,
    body: &[u8],
    secret: &str,
    now: SystemTime,
    policy: &VerifyPolicy<'_>,
) -> Result<keyward_sigv4::VerifiedScope, SigV4Error> {
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: h,
        authority: None,
        body,
    };
    let parsed = parse_request(&parts, policy)?;
    verify(
        &parts,
        &parsed,
        secret,
        now,
        policy,
        &SigningKeyCache::default(),
    )
}

fn with_auth(h: &HeaderMap, f: impl Fn(&str) -> String) -> HeaderMap {
    let mut h = h.clone();
    let a = f(h["authorization"].to_str().unwrap());
    h.insert("authorization", HeaderValue::from_str(&a).unwrap());
    h
}

#[test]
fn valid_request_returns_scope() {
    let scope = run(
        &signed(&[]),
        BODY,
        SECRET,
        at(T),
        &VerifyPolicy::JSON_PROTOCOL,
    )
    .unwrap();
    assert_eq!(
        (
            scope.region.as_str(),
            scope.service.as_str(),
            scope.date.as_str()
        ),
        ("eu-central-1", "secretsmanager", "20150830")
    );
    assert_eq!(scope.access_key_id, AKID);
    assert!(!scope.presigned);
}

#[test]
fn clock_skew_is_fifteen_minutes_with_aws_messages() {
    let h = signed(&[]);
    let p = VerifyPolicy::JSON_PROTOCOL;
    assert!(run(&h, BODY, SECRET, at(T + 900), &p).is_ok());
    assert!(run(&h, BODY, SECRET, at(T - 900), &p).is_ok());
    let e = run(&h, BODY, SECRET, at(T + 20 * 60), &p).unwrap_err();
    assert_eq!(e.aws_type(), "InvalidSignatureException");
    assert_eq!(
        e.message(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125600Z - 15 min.)"
    );
    assert!(matches!(
        run(&h, BODY, SECRET, at(T + 901), &p),
        Err(SigV4Error::Expired { .. })
    ));
    let e = run(&h, BODY, SECRET, at(T - 901), &p).unwrap_err();
    assert_eq!(e.aws_type(), "InvalidSignatureException");
    assert_eq!(
        e.message(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)"
    );
    // A day off either way, and absurd clocks, never panic.
    assert!(run(&h, BODY, SECRET, at(T + 86_400), &p).is_err());
    assert!(
        run(
            &h,
            BODY,
            SECRET,
            UNIX_EPOCH - Duration::from_secs(1 << 40),
            &p
        )
        .is_err()
    );
    assert!(
        run(
            &h,
            BODY,
            SECRET,
            UNIX_EPOCH + Duration::from_secs(1 << 50),
            &p
        )
        .is_err()
    );
}

#[test]
fn scope_must_match_date_terminator_service_and_signature() {
    let h = signed(&[]);
    let p = VerifyPolicy::JSON_PROTOCOL;
    let e = run(
        &with_auth(&h, |a| a.replace("/20150830/", "/20150831/")),
        BODY,
        SECRET,
        at(T),
        &p,
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'."
    );
    assert_eq!(e.aws_type(), "InvalidSignatureException");
    // Another region in the scope than the one signed: the signature no longer matches.
    let e = run(
        &with_auth(&h, |a| a.replace("eu-central-1", "us-east-1")),
        BODY,
        SECRET,
        at(T),
        &p,
    )
    .unwrap_err();
    assert_eq!(e, SigV4Error::SignatureMismatch);
    let e = run(
        &with_auth(&h, |a| a.replace("aws4_request", "aws4_reqest")),
        BODY,
        SECRET,
        at(T),
        &p,
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'."
    );
    let ssm_only = VerifyPolicy {
        expected_service: Some("ssm"),
        ..VerifyPolicy::JSON_PROTOCOL
    };
    let e = run(&h, BODY, SECRET, at(T), &ssm_only).unwrap_err();
    assert_eq!(
        e.message(),
        "Credential should be scoped to correct service: 'ssm'. "
    );
    let e = run(&h, BODY, "wrong-secret", at(T), &p).unwrap_err();
    assert_eq!(
        (e.aws_type(), e.query_protocol_code()),
        ("InvalidSignatureException", "SignatureDoesNotMatch")
    );
    assert_eq!(
        e.message(),
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    );
}

#[test]
fn required_headers_must_be_signed_and_present() {
    let h = signed(&[]);
    let mut no_target = h.clone();
    no_target.remove("x-amz-target");
    let e = run(
        &no_target,
        BODY,
        SECRET,
        at(T),
        &VerifyPolicy::JSON_PROTOCOL,
    )
    .unwrap_err();
    assert_eq!(
        e,
        SigV4Error::MissingSignedHeader {
            name: "x-amz-target".into()
        }
    );
    let e = run(
        &with_auth(&h, |a| a.replace("host;", "")),
        BODY,
        SECRET,
        at(T),
        &VerifyPolicy::DEFAULT,
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "'Host' must be a 'SignedHeader' in the AWS Authorization."
    );
    let e = run(
        &with_auth(&h, |a| a.replace(";x-amz-date", "")),
        BODY,
        SECRET,
        at(T),
        &VerifyPolicy::DEFAULT,
    )
    .unwrap_err();
    assert_eq!(
        e,
        SigV4Error::HeaderNotSigned {
            name: "x-amz-date".into()
        }
    );
    let e = run(
        &with_auth(&h, |a| a.replace(";x-amz-target", "")),
        BODY,
        SECRET,
        at(T),
        &VerifyPolicy::JSON_PROTOCOL,
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
    );
    // HTTP/2: no Host header, the authority stands in.
    let mut h2 = h.clone();
    h2.remove("host");
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &h2,
        authority: Some("localhost:4566"),
        body: BODY,
    };
    let parsed = parse_request(&parts, &VerifyPolicy::DEFAULT).unwrap();
    verify(
        &parts,
        &parsed,
        SECRET,
        at(T),
        &VerifyPolicy::DEFAULT,
        &SigningKeyCache::default(),
    )
    .unwrap();
}

#[test]
fn body_hash_is_always_computed() {
    let h = signed(&[]);
    assert_eq!(
        run(&h, b"{}", SECRET, at(T), &VerifyPolicy::DEFAULT),
        Err(SigV4Error::SignatureMismatch)
    );
    // A signed x-amz-content-sha256 must be the real hash...
    let good: &'static str = Box::leak(sha256_hex(BODY).into_boxed_str());
    let h = signed(&[("x-amz-content-sha256", good)]);
    assert!(run(&h, BODY, SECRET, at(T), &VerifyPolicy::DEFAULT).is_ok());
    assert_eq!(
        run(&h, b"{}", SECRET, at(T), &VerifyPolicy::DEFAULT),
        Err(SigV4Error::ContentSha256Mismatch)
    );
    // ...so UNSIGNED-PAYLOAD is refused.
    let h = signed(&[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]);
    assert_eq!(
        run(&h, BODY, SECRET, at(T), &VerifyPolicy::DEFAULT),
        Err(SigV4Error::ContentSha256Mismatch)
    );
}

#[test]
fn missing_incomplete_and_ambiguous_auth() {
    let mut h = signed(&[]);
    let auth = h.remove("authorization").unwrap();
    let e = run(&h, BODY, SECRET, at(T), &VerifyPolicy::DEFAULT).unwrap_err();
    assert_eq!(
        (e.aws_type(), e.http_status()),
        ("MissingAuthenticationTokenException", 403)
    );
    let mut twice = h.clone();
    twice.append("authorization", auth.clone());
    twice.append("authorization", auth.clone());
    assert_eq!(
        run(&twice, BODY, SECRET, at(T), &VerifyPolicy::DEFAULT),
        Err(SigV4Error::MalformedAuthorizationHeader)
    );
    let mut bearer = HeaderMap::new();
    bearer.insert("authorization", HeaderValue::from_static("Bearer abc"));
    let e = run(&bearer, BODY, SECRET, at(T), &VerifyPolicy::DEFAULT).unwrap_err();
    assert_eq!(
        e.message(),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc"
    );
    let mut no_date = h.clone();
    no_date.remove("x-amz-date");
    no_date.insert("authorization", auth.clone());
    let e = run(&no_date, BODY, SECRET, at(T), &VerifyPolicy::DEFAULT).unwrap_err();
    assert!(
        matches!(
            e,
            SigV4Error::MissingParameters {
                date: true,
                credential: false,
                ..
            }
        ),
        "{e:?}"
    );
    let mut bad_date = no_date.clone();
    bad_date.insert(
        "x-amz-date",
        HeaderValue::from_static("2015-08-30T12:36:00Z"),
    );
    let e = run(&bad_date, BODY, SECRET, at(T), &VerifyPolicy::DEFAULT).unwrap_err();
    assert_eq!(e.aws_type(), "IncompleteSignatureException");
    let both = RequestParts {
        method: "POST",
        path: "/",
        query: "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        headers: &no_date,
        authority: None,
        body: BODY,
    };
    let presign = VerifyPolicy {
        allow_presigned: true,
        ..VerifyPolicy::DEFAULT
    };
    assert!(matches!(
        parse_request(&both, &presign),
        Err(SigV4Error::MissingQueryParameters { .. })
    ));
}

#[test]
fn date_header_fallback() {
    // Canonical request rebuilt by hand for a request dated only by `Date`.
    let date = "Sun, 30 Aug 2015 12:36:00 GMT";
    let creq = format!(
        "GET\n/\n\ndate:{date}\nhost:example.amazonaws.com\n\ndate;host\n{}",
        sha256_hex(b"")
    );
    let sts = format!(
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
        sha256_hex(creq.as_bytes())
    );
    let key = derive_signing_key(SECRET, "20150830", "us-east-1", "service");
    let sig = {
        use hmac::{Hmac, Mac};
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(&*key).unwrap();
        m.update(sts.as_bytes());
        hex::encode(m.finalize().into_bytes())
    };
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("example.amazonaws.com"));
    h.insert("date", HeaderValue::from_static(date));
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders=date;host, Signature={sig}"
    );
    let parsed = parse_authorization(&auth).unwrap();
    let parts = RequestParts {
        method: "GET",
        path: "/",
        query: "",
        headers: &h,
        authority: None,
        body: b"",
    };
    let cache = SigningKeyCache::default();
    let scope = verify(
        &parts,
        &parsed,
        SECRET,
        at(T),
        &VerifyPolicy::DEFAULT,
        &cache,
    )
    .unwrap();
    assert_eq!(scope.request_time, T as i64);
    // Served from the cache the second time, same answer; a rotated secret is not fooled.
    verify(
        &parts,
        &parsed,
        SECRET,
        at(T),
        &VerifyPolicy::DEFAULT,
        &cache,
    )
    .unwrap();
    assert_eq!(
        verify(
            &parts,
            &parsed,
            "rotated",
            at(T),
            &VerifyPolicy::DEFAULT,
            &cache
        ),
        Err(SigV4Error::SignatureMismatch)
    );
}

#[test]
fn secrets_never_appear_in_debug_or_errors() {
    let params = SigningParams {
        access_key_id: AKID,
        secret_access_key: SECRET,
        region: "r",
        service: "s",
        time: at(T),
    };
    assert!(!format!("{params:?}").contains(SECRET));
    let h = signed(&[]);
    let e = run(&h, b"x", SECRET, at(T), &VerifyPolicy::DEFAULT).unwrap_err();
    assert!(!format!("{e:?} {e}").contains(SECRET));
    let parsed = parse_authorization(h["authorization"].to_str().unwrap()).unwrap();
    assert!(!format!("{parsed:?}").contains(SECRET));
}
