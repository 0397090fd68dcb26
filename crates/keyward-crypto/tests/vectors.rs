//! Known-answer vectors frozen in `tests/vectors/*.json`. They were made once and
//! must never be regenerated: the v1 envelope and audit MAC vectors were checked
//! against the code that wrote today's stored data, so a failure here means data
//! already on disk would no longer open or verify. Each file also carries must-fail
//! cases (wrong associated data, flipped bytes, wrong key id, truncation).

use keyward_crypto::{
    EnvelopeError, Keyring, KeyringError, RootKey, keyed_fingerprint, open, snapshot_key,
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex_field(v: &Value, field: &str) -> Vec<u8> {
    let text = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("missing {field} in {v}"));
    hex::decode(text).unwrap_or_else(|e| panic!("{field}: {e}"))
}

/// A MAC case's `parts_hex`, decoded.
fn parts_of(case: &Value) -> Vec<Vec<u8>> {
    case["parts_hex"]
        .as_array()
        .expect("parts_hex")
        .iter()
        .map(|p| hex::decode(p.as_str().expect("hex part")).expect("hex"))
        .collect()
}

fn root(v: &Value) -> RootKey {
    RootKey::from_text(v["root_key_hex"].as_str().expect("root_key_hex")).expect("root key")
}

fn cases(file: &Value) -> &Vec<Value> {
    let cases = file["cases"].as_array().expect("cases");
    assert!(cases.len() >= 5, "a vector file lost its cases");
    cases
}

/// Checks one envelope case's outcome; returns the case's expectation for counting.
fn check(
    name: &str,
    got: Result<zeroize::Zeroizing<Vec<u8>>, EnvelopeError>,
    case: &Value,
) -> String {
    let expect = case["expect"].as_str().expect("expect").to_string();
    match expect.as_str() {
        "ok" => {
            let plain = got.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&plain[..], &hex_field(case, "plaintext_hex")[..], "{name}");
        }
        "integrity" => assert_eq!(got.map(|_| ()), Err(EnvelopeError::Integrity), "{name}"),
        "malformed" => assert_eq!(got.map(|_| ()), Err(EnvelopeError::Malformed), "{name}"),
        "unknown-key" => assert!(
            matches!(got, Err(EnvelopeError::UnknownKey(_))),
            "{name}: {got:?}"
        ),
        other => panic!("{name}: unknown expectation {other}"),
    }
    expect
}

#[test]
fn envelope_v1_vectors() {
    let file = load("envelope-v1.json");
    let mut failing = 0;
    for case in cases(&file) {
        let name = case["name"].as_str().expect("name");
        let kek = match case["key"]["snapshot_secret"].as_str() {
            Some(secret) => snapshot_key(secret.as_bytes()),
            None => root(&case["key"]).kek(),
        };
        let got = open(
            &kek,
            &hex_field(case, "sealed_hex"),
            &hex_field(case, "aad_hex"),
        );
        if check(name, got, case) != "ok" {
            failing += 1;
        }
    }
    assert!(failing >= 4, "the must-fail cases are gone");
}

#[test]
fn envelope_v2_vectors_through_the_stored_keyring() {
    let file = load("envelope-v2.json");
    let stored = file["keyring"]["stored"].as_str().expect("stored keyring");
    let mut failing = 0;
    for case in cases(&file) {
        let name = case["name"].as_str().expect("name");
        let ring = match Keyring::from_stored(stored, &root(&case["key"])) {
            Ok(ring) => ring,
            Err(e) => {
                assert_eq!(case["expect"], "keyring-integrity", "{name}: {e}");
                assert_eq!(e, KeyringError::Integrity, "{name}");
                failing += 1;
                continue;
            }
        };
        let got = ring.open(&hex_field(case, "sealed_hex"), &hex_field(case, "aad_hex"));
        if check(name, got, case) != "ok" {
            failing += 1;
        }
    }
    assert!(failing >= 5, "the must-fail cases are gone");
}

#[test]
fn audit_mac_vectors() {
    let file = load("audit-mac.json");
    let mut mismatches = 0;
    for case in cases(&file) {
        let name = case["name"].as_str().expect("name");
        let parts = parts_of(case);
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let mac = root(case).audit_key().mac(&refs);
        let matches = mac[..] == hex_field(case, "mac_hex")[..];
        match case["expect"].as_str() {
            Some("match") => assert!(matches, "{name}"),
            Some("mismatch") => {
                assert!(!matches, "{name}");
                mismatches += 1;
            }
            other => panic!("{name}: unknown expectation {other:?}"),
        }
    }
    assert!(mismatches >= 3, "the must-fail cases are gone");
}

#[test]
fn export_mac_vectors() {
    let file = load("export-mac.json");
    let mut mismatches = 0;
    for case in cases(&file) {
        let name = case["name"].as_str().expect("name");
        let parts = parts_of(case);
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let key = root(case).audit_key();
        // A MAC made with another subkey of the same audit key must not pass.
        let mac = match case["with"].as_str() {
            Some("backup_mac") => key.backup_mac(&refs),
            _ => key.export_mac(&refs),
        };
        let matches = mac[..] == hex_field(case, "mac_hex")[..];
        match case["expect"].as_str() {
            Some("match") => assert!(matches, "{name}: {}", hex::encode(mac)),
            Some("mismatch") => {
                assert!(!matches, "{name}");
                mismatches += 1;
            }
            other => panic!("{name}: unknown expectation {other:?}"),
        }
    }
    assert!(mismatches >= 3, "the must-fail cases are gone");
}

#[test]
fn fingerprint_vectors() {
    let file = load("fingerprints.json");
    for case in file["scan"].as_array().expect("scan") {
        let fp = keyed_fingerprint(&hex_field(case, "key_hex"), &hex_field(case, "value_hex"));
        assert_eq!(fp[..], hex_field(case, "fingerprint_hex")[..]);
    }
    for case in file["value_mac"].as_array().expect("value_mac") {
        let ring = Keyring::bootstrap(&root(case));
        let mac = ring.value_mac_key().value_mac(
            &hex_field(case, "secret_id_hex"),
            case["kind"].as_str().expect("kind"),
            &hex_field(case, "value_hex"),
        );
        assert_eq!(mac[..], hex_field(case, "mac_hex")[..]);
    }
}
