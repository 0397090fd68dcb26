//! Tampering: every single-byte change outside comments, a dropped line,
//! swapped values, swapped keys and reordered entries are refused with an error
//! naming the problem; comment edits are not tampering.

use keyward_files::{FilesError, Format, Identities, Recipients, encrypt, open};

fn setup() -> (Identities, String) {
    let (secret, public) = keyward_files::generate_identity();
    let ids = Identities::from_text(secret.expose(), "test").unwrap();
    let r = Recipients::parse([public]).unwrap();
    let text = "# comment\nDATABASE_URL=postgres://db\nAPI_KEY=abc123\n\nTOKEN=t0k3n\n";
    (ids, encrypt(text, Format::Dotenv, &r).unwrap())
}

fn mac_mismatch(ids: &Identities, text: &str) {
    match open(text, Format::Dotenv, ids) {
        Err(FilesError::MacMismatch) => {}
        other => panic!("expected a MAC mismatch, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn every_single_byte_change_is_detected() {
    let (ids, enc) = setup();
    assert!(open(&enc, Format::Dotenv, &ids).is_ok());
    let mut checked = 0;
    let mut offset = 0;
    for line in enc.split_inclusive('\n') {
        let comment = line.starts_with("# comment") || line == "\n";
        if !comment {
            // Every byte of the key, value and metadata text (a line break turned
            // into a blank before a blank line is only layout).
            for i in offset..offset + line.trim_end_matches('\n').len() {
                for sub in [b'A', b'0', b'z', b' ', b'#'] {
                    if enc.as_bytes()[i] == sub {
                        continue;
                    }
                    let mut t = enc.clone().into_bytes();
                    t[i] = sub;
                    let t = String::from_utf8(t).unwrap();
                    let r = open(&t, Format::Dotenv, &ids);
                    assert!(
                        r.is_err(),
                        "byte {i} changed to {:?} was not detected: {:?}",
                        sub as char,
                        &enc[i.saturating_sub(20)..(i + 5).min(enc.len())]
                    );
                    let msg = r.err().unwrap().to_string();
                    assert!(
                        !msg.contains("postgres") && !msg.contains("abc123"),
                        "{msg}"
                    );
                    checked += 1;
                }
            }
        }
        offset += line.len();
    }
    assert!(checked > 3000, "{checked}");
}

#[test]
fn dropped_lines_are_detected() {
    let (ids, enc) = setup();
    let lines: Vec<&str> = enc.split_inclusive('\n').collect();
    for (i, l) in lines.iter().enumerate() {
        let dropped: String = lines
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, l)| *l)
            .collect();
        let r = open(&dropped, Format::Dotenv, &ids);
        if l.starts_with("# comment") || *l == "\n" {
            assert!(
                r.is_ok(),
                "dropping a comment or blank line is not tampering"
            );
        } else if l.contains('=') && !l.starts_with('#') {
            mac_mismatch(&ids, &dropped);
        } else {
            let e = r
                .expect_err("dropping a metadata line must fail")
                .to_string();
            assert!(
                e.contains("metadata") || e.contains("not keyward-encrypted"),
                "{e}"
            );
        }
    }
}

fn value_of<'a>(enc: &'a str, key: &str) -> &'a str {
    enc.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap()
}

#[test]
fn swapped_values_keys_and_order_are_detected() {
    let (ids, enc) = setup();
    let (a, b) = (value_of(&enc, "API_KEY"), value_of(&enc, "TOKEN"));
    let swapped_values = enc
        .replace(&format!("API_KEY={a}"), "API_KEY=@@")
        .replace(&format!("TOKEN={b}"), &format!("TOKEN={a}"))
        .replace("API_KEY=@@", &format!("API_KEY={b}"));
    mac_mismatch(&ids, &swapped_values);
    let swapped_keys = enc
        .replace("API_KEY=", "@@=")
        .replace("TOKEN=", "API_KEY=")
        .replace("@@=", "TOKEN=");
    mac_mismatch(&ids, &swapped_keys);
    let lines: Vec<&str> = enc.split_inclusive('\n').collect();
    let mut reordered = lines.clone();
    reordered.swap(1, 2);
    mac_mismatch(&ids, &reordered.concat());
    // A value copied from another file encrypted to the same key: also refused.
    let (_, other) = setup();
    let _ = other;
    let added = enc.replace("# comment\n", "# comment\nEXTRA=keyward:age:v1:AAAA\n");
    mac_mismatch(&ids, &added);
}

#[test]
fn comment_edits_are_not_tampering() {
    let (ids, enc) = setup();
    let edited = enc.replace("# comment\n", "# a reviewed comment\n\n# another\n");
    let o = open(&edited, Format::Dotenv, &ids).unwrap();
    assert!(
        o.plaintext()
            .unwrap()
            .starts_with("# a reviewed comment\n\n# another\nDATABASE_URL=postgres://db\n")
    );
}

#[test]
fn a_stranger_identity_is_told_who_can_decrypt() {
    let (_, enc) = setup();
    let (secret, _) = keyward_files::generate_identity();
    let stranger = Identities::from_text(secret.expose(), "x").unwrap();
    let e = open(&enc, Format::Dotenv, &stranger)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("none of the identities") && e.contains("age1"),
        "{e}"
    );
}

#[test]
fn json_and_yaml_moves_between_keys_are_detected() {
    let (secret, public) = keyward_files::generate_identity();
    let ids = Identities::from_text(secret.expose(), "t").unwrap();
    let r = Recipients::parse([public]).unwrap();
    let enc = encrypt("a:\n  x: one\nb:\n  x: two\n", Format::Yaml, &r).unwrap();
    let moved = enc.replacen("a:\n  x:", "c:\n  x:", 1);
    assert!(matches!(
        open(&moved, Format::Yaml, &ids),
        Err(FilesError::MacMismatch)
    ));
    let enc = encrypt("{\"a\": {\"x\": \"one\"}, \"b\": 2}", Format::Json, &r).unwrap();
    let moved = enc.replacen("\"a\"", "\"z\"", 1);
    assert!(matches!(
        open(&moved, Format::Json, &ids),
        Err(FilesError::MacMismatch)
    ));
    let changed_number = enc.replacen("\"b\": 2", "\"b\": 3", 1);
    assert!(matches!(
        open(&changed_number, Format::Json, &ids),
        Err(FilesError::MacMismatch)
    ));
}
