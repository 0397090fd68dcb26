//! Hostile input never panics: arbitrary Authorization headers, query strings,
//! paths, dates and header values go through parse and verify.

use http::{HeaderMap, HeaderValue};
use keyward_sigv4::{
    RequestParts, SigningKeyCache, VerifyPolicy, parse_authorization, parse_presigned_query,
    parse_request, verify,
};
use proptest::prelude::*;
use std::time::{Duration, UNIX_EPOCH};

fn auth_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "AWS4-HMAC-SHA256[ ,\t]{0,3}(Credential=[A-Za-z0-9/_-]{0,40})?[ ,]{0,3}(SignedHeaders=[a-z;-]{0,30})?[ ,]{0,3}(Signature=[0-9a-f]{0,70})?",
        "AWS4-HMAC-SHA256 Credential=AKID/[0-9]{8}/[a-z-]{0,12}/[a-z]{0,8}/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}",
    ]
}

proptest! {
    #[test]
    fn parse_never_panics(s in any::<String>(), q in "[A-Za-z0-9%&=+._~-]{0,80}") {
        let _ = parse_authorization(&s);
        let _ = parse_presigned_query(&s);
        let _ = parse_presigned_query(&format!("X-Amz-Algorithm=AWS4-HMAC-SHA256&{q}"));
    }

    #[test]
    fn verify_never_panics(
        auth in auth_like(),
        date in prop_oneof![Just("20150830T123600Z".to_owned()), "[0-9TZ]{0,18}", any::<String>()],
        path in any::<String>(),
        query in any::<String>(),
        value in "[ -~\t]{0,20}",
        now in any::<u64>(),
        body in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&auth) { h.insert("authorization", v); }
        if let Ok(v) = HeaderValue::from_str(&date) { h.insert("x-amz-date", v); }
        if let Ok(v) = HeaderValue::from_str(&value) { h.insert("host", v.clone()); h.append("x-amz-date", v); }
        let parts = RequestParts { method: "POST", path: &path, query: &query, headers: &h, authority: None, body: &body };
        let policy = VerifyPolicy { allow_presigned: true, ..VerifyPolicy::JSON_PROTOCOL };
        if let Ok(parsed) = parse_request(&parts, &policy) {
            let now = UNIX_EPOCH.checked_add(Duration::from_secs(now)).unwrap_or(UNIX_EPOCH);
            let _ = verify(&parts, &parsed, "secret", now, &policy, &SigningKeyCache::new(4));
        }
    }
}
