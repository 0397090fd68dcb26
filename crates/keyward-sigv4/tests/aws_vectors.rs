//! AWS's published SigV4 test suite (aws-sig-v4-test-suite, 2015-08-30 edition):
//! AKIDEXAMPLE / us-east-1 / service "service" / 20150830T123600Z. Each request is
//! verified with the expected signature, and re-signed by our signer to the same value.

use http::{HeaderMap, HeaderName, HeaderValue};
use keyward_sigv4::{
    RequestParts, SigningKeyCache, SigningParams, VerifyPolicy, parse_authorization, sign_request,
    verify,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const T: u64 = 1_440_938_160; // 20150830T123600Z
const HOST: &str = "example.amazonaws.com";

struct Vector {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
    signature: &'static str,
}

const VANILLA: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

const VECTORS: &[Vector] = &[
    Vector {
        name: "get-vanilla",
        method: "GET",
        path: "/",
        query: "",
        headers: &[],
        body: b"",
        signature: VANILLA,
    },
    Vector {
        name: "get-vanilla-query",
        method: "GET",
        path: "/",
        query: "",
        headers: &[],
        body: b"",
        signature: VANILLA,
    },
    Vector {
        name: "get-vanilla-empty-query-key",
        method: "GET",
        path: "/",
        query: "Param1=value1",
        headers: &[],
        body: b"",
        signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    },
    Vector {
        name: "get-vanilla-query-order-key-case",
        method: "GET",
        path: "/",
        query: "Param2=value2&Param1=value1",
        headers: &[],
        body: b"",
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    Vector {
        name: "get-vanilla-query-unreserved",
        method: "GET",
        path: "/",
        query: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        headers: &[],
        body: b"",
        signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    },
    Vector {
        name: "get-vanilla-utf8-query",
        method: "GET",
        path: "/",
        query: "ሴ=bar",
        headers: &[],
        body: b"",
        signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    },
    Vector {
        name: "get-header-key-duplicate",
        method: "GET",
        path: "/",
        query: "",
        headers: &[
            ("My-Header1", "value2"),
            ("My-Header1", "value2"),
            ("My-Header1", "value1"),
        ],
        body: b"",
        signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    },
    Vector {
        name: "get-header-value-order",
        method: "GET",
        path: "/",
        query: "",
        headers: &[
            ("My-Header1", "value4"),
            ("My-Header1", "value1"),
            ("My-Header1", "value3"),
            ("My-Header1", "value2"),
        ],
        body: b"",
        signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    },
    Vector {
        name: "get-header-value-trim",
        method: "GET",
        path: "/",
        query: "",
        headers: &[("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
        body: b"",
        signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    },
    Vector {
        name: "get-unreserved",
        method: "GET",
        path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        query: "",
        headers: &[],
        body: b"",
        signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    },
    Vector {
        name: "get-utf8",
        method: "GET",
        path: "/ሴ",
        query: "",
        headers: &[],
        body: b"",
        signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    },
    Vector {
        name: "normalize-path/get-space",
        method: "GET",
        path: "/example space/",
        query: "",
        headers: &[],
        body: b"",
        signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    },
    Vector {
        name: "normalize-path/get-slash",
        method: "GET",
        path: "//",
        query: "",
        headers: &[],
        body: b"",
        signature: VANILLA,
    },
    Vector {
        name: "normalize-path/get-slash-dot-slash",
        method: "GET",
        path: "/./",
        query: "",
        headers: &[],
        body: b"",
        signature: VANILLA,
    },
    Vector {
        name: "normalize-path/get-slash-pointless-dot",
        method: "GET",
        path: "/./example",
        query: "",
        headers: &[],
        body: b"",
        signature: "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
    },
    Vector {
        name: "normalize-path/get-slashes",
        method: "GET",
        path: "//example//",
        query: "",
        headers: &[],
        body: b"",
        signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
    },
    Vector {
        name: "normalize-path/get-relative",
        method: "GET",
        path: "/example/..",
        query: "",
        headers: &[],
        body: b"",
        signature: VANILLA,
    },
    Vector {
        name: "normalize-path/get-relative-relative",
        method: "GET",
        path: "/example1/example2/../..",
        query: "",
        headers: &[],
        body: b"",
        signature: VANILLA,
    },
    Vector {
        name: "post-vanilla",
        method: "POST",
        path: "/",
        query: "",
        headers: &[],
        body: b"",
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-vanilla-query",
        method: "POST",
        path: "/",
        query: "Param1=value1",
        headers: &[],
        body: b"",
        signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    },
    Vector {
        name: "post-header-key-sort",
        method: "POST",
        path: "/",
        query: "",
        headers: &[("My-Header1", "value1")],
        body: b"",
        signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    },
    Vector {
        name: "post-header-value-case",
        method: "POST",
        path: "/",
        query: "",
        headers: &[("My-Header1", "VALUE1")],
        body: b"",
        signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    },
    Vector {
        name: "post-x-www-form-urlencoded",
        method: "POST",
        path: "/",
        query: "",
        headers: &[("Content-Type", "application/x-www-form-urlencoded")],
        body: b"Param1=value1",
        signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    },
    Vector {
        name: "post-x-www-form-urlencoded-parameters",
        method: "POST",
        path: "/",
        query: "",
        headers: &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf8",
        )],
        body: b"Param1=value1",
        signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
    },
];

fn headers_of(v: &Vector) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static(HOST));
    h.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    for (name, value) in v.headers {
        h.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    h
}

fn signed_headers(h: &HeaderMap) -> String {
    let mut names: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    names.join(";")
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T)
}

#[test]
fn aws_test_suite_vectors_verify() {
    let cache = SigningKeyCache::default();
    let mut failures = Vec::new();
    for v in VECTORS {
        let h = headers_of(v);
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={}",
            signed_headers(&h),
            v.signature
        );
        let parsed = parse_authorization(&auth).unwrap();
        let parts = RequestParts {
            method: v.method,
            path: v.path,
            query: v.query,
            headers: &h,
            authority: None,
            body: v.body,
        };
        match verify(
            &parts,
            &parsed,
            SECRET,
            now(),
            &VerifyPolicy::DEFAULT,
            &cache,
        ) {
            Ok(scope) => {
                assert_eq!(scope.region, "us-east-1");
                assert_eq!(scope.service, "service");
                assert_eq!(scope.date, "20150830");
                assert_eq!(scope.access_key_id, AKID);
            }
            Err(e) => failures.push(format!("{}: {e:?}", v.name)),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn aws_test_suite_vectors_sign() {
    for v in VECTORS {
        let h = headers_of(v);
        let parts = RequestParts {
            method: v.method,
            path: v.path,
            query: v.query,
            headers: &h,
            authority: None,
            body: v.body,
        };
        let params = SigningParams {
            access_key_id: AKID,
            secret_access_key: SECRET,
            region: "us-east-1",
            service: "service",
            time: now(),
        };
        let out = sign_request(&parts, &params).unwrap();
        assert_eq!(out.signature, v.signature, "{}", v.name);
        assert_eq!(out.amz_date, "20150830T123600Z");
        assert!(out.authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders="));
    }
}

#[test]
fn get_vanilla_canonical_pieces() {
    assert_eq!(keyward_sigv4::canonical_uri("/"), "/");
    assert_eq!(
        keyward_sigv4::sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}
