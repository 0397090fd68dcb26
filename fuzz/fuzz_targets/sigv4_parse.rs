//! Fuzzes SigV4 parsing: the Authorization header and presigned query parameters
//! must never panic, and whatever parses must render its scope without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(parsed) = keyward_sigv4::parse_authorization(&text) {
        let _ = parsed.credential_scope();
        let _ = parsed.signature_hex();
    }
    if let Ok(Some(parsed)) = keyward_sigv4::parse_presigned_query(&text) {
        let _ = parsed.credential_scope();
    }
    let _ = keyward_sigv4::canonical_query_string(&text);
    let _ = keyward_sigv4::canonical_uri(&text);
});
