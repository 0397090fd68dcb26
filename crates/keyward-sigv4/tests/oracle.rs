//! The AWS Rust SDK's signer (`aws-sigv4`) as an oracle: requests it signs (odd paths,
//! query strings, spaced header values, repeated headers, bodies, regions, times)
//! must verify, our signer must produce the same signature, and any change to body,
//! a signed header, the target, the date, the path or the signature must fail.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::{HeaderMap, HeaderName, HeaderValue};
use keyward_sigv4::{
    RequestParts, SigV4Error, SigningKeyCache, SigningParams, VerifyPolicy, parse_request,
    sign_request, verify,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const AKID: &str = "AKIAKEYWARDTEST00001";
const SECRET: &str = "kW/secret+key+for+oracle+tests+0123456789";

/// Characters botocore leaves raw in a path segment get through; the rest is encoded.
const PATH_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b';')
    .remove(b':')
    .remove(b'@')
    .remove(b'=');
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'*')
    .remove(b':')
    .remove(b'/');

#[derive(Debug, Clone)]
struct Req {
    method: String,
    authority: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    region: String,
    service: String,
    time: u64,
    skew: i64,
}

fn req_strategy() -> impl Strategy<Value = Req> {
    let segment = "\\PC{0,6}".prop_filter("no dot segments", |s| s != "." && s != "..");
    let path = prop::collection::vec(segment, 0..5).prop_map(|segs| {
        let enc: Vec<String> = segs
            .iter()
            .map(|s| utf8_percent_encode(s, PATH_SET).to_string())
            .collect();
        format!("/{}", enc.join("/"))
    });
    let pair = ("\\PC{0,5}", prop::option::of("\\PC{0,6}"));
    let query = prop::collection::vec(pair, 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| {
                let k = utf8_percent_encode(k, QUERY_SET).to_string();
                match v {
                    Some(v) => format!("{k}={}", utf8_percent_encode(v, QUERY_SET)),
                    None => k,
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let header = (
        prop::sample::select(vec![
            "x-custom",
            "x-other-h",
            "content-type",
            "x-amz-meta",
            "accept",
        ]),
        "[ -~]{0,24}",
    )
        .prop_map(|(n, v)| (n.to_owned(), v));
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        prop::sample::select(vec![
            "secretsmanager.us-east-1.amazonaws.com",
            "localhost:4566",
            "127.0.0.1:8443",
        ]),
        path,
        query,
        prop::collection::vec(header, 0..5),
        prop::collection::vec(any::<u8>(), 0..96),
        "[a-z]{2}-[a-z]{4,9}-[1-9]",
        prop::sample::select(vec!["secretsmanager", "ssm"]),
        1_400_000_000u64..2_000_000_000,
        -14 * 60i64..14 * 60,
    )
        .prop_map(
            |(m, a, path, query, headers, body, region, service, time, skew)| Req {
                method: m.to_owned(),
                authority: a.to_owned(),
                path,
                query,
                headers,
                body,
                region,
                service: service.to_owned(),
                time,
                skew,
            },
        )
}

fn target(r: &Req) -> String {
    if r.service == "ssm" {
        "AmazonSSM.GetParameter".into()
    } else {
        "secretsmanager.GetSecretValue".into()
    }
}

fn uri(r: &Req) -> String {
    if r.query.is_empty() {
        format!("http://{}{}", r.authority, r.path)
    } else {
        format!("http://{}{}?{}", r.authority, r.path, r.query)
    }
}

/// Signs with aws-sigv4; returns the header map as the server would see it, and the
/// (possibly extended, for presigned) query.
fn oracle_sign(r: &Req, settings: SigningSettings) -> (HeaderMap, String) {
    let mut plain: Vec<(String, String)> = r.headers.clone();
    plain.push(("x-amz-target".into(), target(r)));
    let identity: Identity = Credentials::new(AKID, SECRET, None, None, "oracle").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&r.region)
        .name(&r.service)
        .time(UNIX_EPOCH + Duration::from_secs(r.time))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = uri(r);
    let signable = SignableRequest::new(
        &r.method,
        uri.as_str(),
        plain.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&r.body),
    )
    .unwrap();
    let (instructions, _sig) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder()
        .method(r.method.as_str())
        .uri(uri.as_str())
        .body(())
        .unwrap();
    instructions.apply_to_request_http1x(&mut req);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&r.authority).unwrap());
    for (n, v) in &plain {
        headers.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    for (n, v) in req.headers() {
        headers.insert(n.clone(), v.clone());
    }
    (headers, req.uri().query().unwrap_or("").to_owned())
}

fn now_of(r: &Req) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(r.time.saturating_add_signed(r.skew))
}

fn check(
    r: &Req,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
    policy: &VerifyPolicy<'_>,
) -> Result<(), SigV4Error> {
    let parts = RequestParts {
        method: &r.method,
        path: &r.path,
        query,
        headers,
        authority: None,
        body,
    };
    let parsed = parse_request(&parts, policy)?;
    let scope = verify(
        &parts,
        &parsed,
        SECRET,
        now_of(r),
        policy,
        &SigningKeyCache::new(8),
    )?;
    assert_eq!(scope.region, r.region);
    assert_eq!(scope.service, r.service);
    assert_eq!(scope.access_key_id, AKID);
    Ok(())
}

fn flip_hex(s: &str, idx: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    b[idx] = if b[idx] == b'0' { b'1' } else { b'0' };
    String::from_utf8(b).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn oracle_signed_requests_verify(r in req_strategy()) {
        let (headers, query) = oracle_sign(&r, SigningSettings::default());
        let policy = VerifyPolicy { expected_service: Some(&r.service), ..VerifyPolicy::JSON_PROTOCOL };
        check(&r, &headers, &query, &r.body, &policy).unwrap();

        // Our signer agrees byte for byte with the SDK's signature.
        let mut ours = headers.clone();
        ours.remove("authorization");
        ours.remove("x-amz-date");
        let parts = RequestParts { method: &r.method, path: &r.path, query: &query, headers: &ours, authority: None, body: &r.body };
        let params = SigningParams {
            access_key_id: AKID, secret_access_key: SECRET, region: &r.region, service: &r.service,
            time: UNIX_EPOCH + Duration::from_secs(r.time),
        };
        let signed = sign_request(&parts, &params).unwrap();
        prop_assert_eq!(Some(signed.authorization.as_str()), headers.get("authorization").and_then(|v| v.to_str().ok()));
    }

    #[test]
    fn any_tampering_fails(r in req_strategy(), idx in any::<prop::sample::Index>(), x in 1u8..=255) {
        let (headers, query) = oracle_sign(&r, SigningSettings::default());
        let policy = VerifyPolicy::JSON_PROTOCOL;
        // Body: flip one byte, or add one.
        let mut body = r.body.clone();
        if body.is_empty() { body.push(x) } else { let i = idx.index(body.len()); body[i] ^= x; }
        prop_assert!(check(&r, &headers, &query, &body, &policy).is_err());
        // A signed header, the target, the date, the signature.
        let mutate = |name: &str, f: &dyn Fn(&str) -> String| {
            let mut h = headers.clone();
            let v = f(h.get(name).unwrap().to_str().unwrap());
            h.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(&v).unwrap());
            check(&r, &h, &query, &r.body, &policy)
        };
        let bump_date = |v: &str| {
            let mut s = v.to_owned();
            let last = if s.as_bytes()[14] == b'0' { "1Z" } else { "0Z" };
            s.replace_range(14.., last);
            s
        };
        let auth = headers.get("authorization").unwrap().to_str().unwrap().to_owned();
        let sig_at = auth.len() - 64 + idx.index(64);
        let results = [
            mutate("x-amz-target", &|v| format!("{v}X")),
            mutate("host", &|v| format!("a{v}")),
            mutate("x-amz-date", &bump_date),
            mutate("authorization", &|_| flip_hex(&auth, sig_at)),
            mutate("authorization", &|v| v.replace(&r.region, "zz-zzzz-9")),
        ];
        for (i, res) in results.iter().enumerate() {
            prop_assert!(res.is_err(), "mutation {} accepted", i);
        }
        if let Some((name, _)) = r.headers.first() {
            let res = mutate(name, &|v| format!("{v}!"));
            prop_assert!(res.is_err(), "custom header mutation accepted");
        }
        // Path and method.
        let other = Req { path: format!("{}x", r.path), ..r.clone() };
        prop_assert!(check(&other, &headers, &query, &r.body, &policy).is_err());
        let other = Req { method: if r.method == "GET" { "HEAD".into() } else { "GET".into() }, ..r.clone() };
        prop_assert!(check(&other, &headers, &query, &r.body, &policy).is_err());
        // Query: an extra parameter.
        let extra = if query.is_empty() { "z=1".to_owned() } else { format!("{query}&z=1") };
        prop_assert!(check(&r, &headers, &extra, &r.body, &policy).is_err());
    }

    #[test]
    fn oracle_presigned_requests_verify(r in req_strategy()) {
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(900));
        let (headers, query) = oracle_sign(&r, settings);
        let policy = VerifyPolicy { allow_presigned: true, ..VerifyPolicy::JSON_PROTOCOL };
        check(&r, &headers, &query, &r.body, &policy).unwrap();
        let tampered = flip_hex(&query, query.find("X-Amz-Signature=").unwrap() + 16);
        prop_assert!(check(&r, &headers, &tampered, &r.body, &policy).is_err());
        // Presigned is off by default: the request then carries no authentication.
        prop_assert_eq!(check(&r, &headers, &query, &r.body, &VerifyPolicy::JSON_PROTOCOL), Err(SigV4Error::MissingAuthenticationToken));
    }

    #[test]
    fn signed_content_sha256_must_match_body(r in req_strategy(), x in 1u8..=255) {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let (headers, query) = oracle_sign(&r, settings);
        check(&r, &headers, &query, &r.body, &VerifyPolicy::DEFAULT).unwrap();
        let mut body = r.body.clone();
        body.push(x);
        prop_assert_eq!(check(&r, &headers, &query, &body, &VerifyPolicy::DEFAULT), Err(SigV4Error::ContentSha256Mismatch));
    }
}

#[test]
fn unsigned_host_or_target_is_rejected() {
    let r = Req {
        method: "POST".into(),
        authority: "localhost:4566".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![("content-type".into(), "application/x-amz-json-1.1".into())],
        body: br#"{"SecretId":"db"}"#.to_vec(),
        region: "eu-west-1".into(),
        service: "secretsmanager".into(),
        time: 1_700_000_000,
        skew: 0,
    };
    for (excluded, want) in [("host", "host"), ("x-amz-target", "x-amz-target")] {
        let mut settings = SigningSettings::default();
        settings
            .excluded_headers
            .get_or_insert_with(Vec::new)
            .push(excluded.into());
        let (headers, query) = oracle_sign(&r, settings);
        // Without the policy requiring it, an unsigned x-amz-target still verifies...
        if excluded == "x-amz-target" {
            check(&r, &headers, &query, &r.body, &VerifyPolicy::DEFAULT).unwrap();
        }
        // ...but the JSON-protocol policy rejects it, and host is always required.
        let err = check(&r, &headers, &query, &r.body, &VerifyPolicy::JSON_PROTOCOL).unwrap_err();
        assert_eq!(err, SigV4Error::HeaderNotSigned { name: want.into() });
        assert_eq!(err.aws_type(), "IncompleteSignatureException");
    }
}

#[test]
fn odd_fixed_request_verifies() {
    let r = Req {
        method: "POST".into(),
        authority: "localhost:4566".into(),
        path: "/a%20b//c%2Fd/./%C3%BC!$'()*,;:@=/x/../".into(),
        query: "b=2&a=%20x+y&c&%E1%88%B4=%7E!*".into(),
        headers: vec![
            ("x-custom".into(), "  spaced    out   value ".into()),
            ("x-custom".into(), "second".into()),
            ("content-type".into(), "application/x-amz-json-1.1".into()),
        ],
        body: b"{}".to_vec(),
        region: "ap-southeast-2".into(),
        service: "ssm".into(),
        time: 1_700_000_000,
        skew: 899,
    };
    let (headers, query) = oracle_sign(&r, SigningSettings::default());
    check(&r, &headers, &query, &r.body, &VerifyPolicy::JSON_PROTOCOL).unwrap();
}

fn presign(r: &Req, body: SignableBody<'_>, expires: u64) -> String {
    let identity: Identity = Credentials::new(AKID, SECRET, None, None, "oracle").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&r.region)
        .name(&r.service)
        .time(UNIX_EPOCH + Duration::from_secs(r.time))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = uri(r);
    let signable = SignableRequest::new(&r.method, uri.as_str(), std::iter::empty(), body).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder().uri(uri.as_str()).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    req.uri().query().unwrap_or("").to_owned()
}

#[test]
fn presigned_expiry_unsigned_payload_and_ambiguity() {
    let r = Req {
        method: "GET".into(),
        authority: "localhost:4566".into(),
        path: "/".into(),
        query: "Action=GetParameter".into(),
        headers: vec![],
        body: vec![],
        region: "us-west-2".into(),
        service: "ssm".into(),
        time: 1_700_000_000,
        skew: 0,
    };
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:4566"));
    let policy = VerifyPolicy {
        allow_presigned: true,
        ..VerifyPolicy::DEFAULT
    };
    let query = presign(&r, SignableBody::Bytes(b""), 60);
    check(&r, &headers, &query, b"", &policy).unwrap();
    let late = Req {
        skew: 61,
        ..r.clone()
    };
    let e = check(&late, &headers, &query, b"", &policy).unwrap_err();
    assert!(
        matches!(e, SigV4Error::PresignedExpired { expires: 60, .. }),
        "{e:?}"
    );
    assert_eq!(e.aws_type(), "InvalidSignatureException");
    // botocore presigns with UNSIGNED-PAYLOAD: fine with no body, never with one.
    let query = presign(&r, SignableBody::UnsignedPayload, 60);
    check(&r, &headers, &query, b"", &policy).unwrap();
    assert_eq!(
        check(&r, &headers, &query, b"x", &policy),
        Err(SigV4Error::SignatureMismatch)
    );
    // Header and query auth together are refused.
    let mut both = headers.clone();
    both.insert(
        "authorization",
        HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=a/b/c/d/e"),
    );
    assert_eq!(
        check(&r, &both, &query, b"", &policy),
        Err(SigV4Error::AmbiguousAuth)
    );
}
