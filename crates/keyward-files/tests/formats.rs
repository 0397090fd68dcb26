//! Round trips per format: layout and comments survive encryption, decryption
//! gives the values back, numbers/booleans stay clear but inside the MAC.

use keyward_files::{Format, Identities, Recipients, encrypt, open};

fn keypair() -> (Identities, Recipients) {
    let (secret, public) = keyward_files::generate_identity();
    let ids = Identities::from_text(secret.expose(), "test").unwrap();
    (ids, Recipients::parse([public]).unwrap())
}

const ENV: &str = "# database\nexport DATABASE_URL=postgres://u:p@h/db # inline comment\n\nAPI_KEY='single quoted'\nEMPTY=\nMULTI=\"line one\\nline two\"\n";

const YAML: &str = "# top comment\ndb:\n  user: admin   # who\n  password: \"s3cr#t: x\"\n  port: 5432\n  enabled: true\nlist:\n  - one\n  - 'two'\nnote: |\n  first line\n  second line\nflow: {a: b, c: 1}\n";

const JSON: &str = "{\n  \"db\": {\"password\": \"p\\\"w\", \"port\": 5432},\n  \"list\": [\"a\", true, null],\n  \"name\": \"x\"\n}\n";

const TOML: &str = "# comment\ntitle = \"app\" # trailing\nport = 8080\n\n[db]\npassword = 'literal'\nhosts = [\"a\", \"b\"]\n";

#[test]
fn dotenv_round_trip_is_byte_exact() {
    let (ids, r) = keypair();
    let enc = encrypt(ENV, Format::Dotenv, &r).unwrap();
    assert!(
        enc.starts_with("# database\nexport DATABASE_URL=keyward:age:v1:"),
        "{enc}"
    );
    assert!(enc.contains(" # inline comment\n\nAPI_KEY=keyward:age:v1:"));
    assert!(!enc.contains("postgres"));
    assert!(!enc.contains("single quoted"));
    let o = open(&enc, Format::Dotenv, &ids).unwrap();
    assert_eq!(o.plaintext().unwrap(), ENV);
}

#[test]
fn yaml_keeps_comments_and_clear_scalars() {
    let (ids, r) = keypair();
    let enc = encrypt(YAML, Format::Yaml, &r).unwrap();
    println!("{enc}");
    assert!(enc.starts_with("# top comment\ndb:\n  user: \"keyward:age:v1:"));
    assert!(enc.contains("\"   # who\n"));
    assert!(enc.contains("  port: 5432\n  enabled: true\n"));
    assert!(!enc.contains("admin") && !enc.contains("s3cr") && !enc.contains("first line"));
    let o = open(&enc, Format::Yaml, &ids).unwrap();
    let plain = o.plaintext().unwrap();
    println!("{plain}");
    let paths: Vec<String> = o.entries().map(|e| e.0).collect();
    assert_eq!(
        paths,
        [
            "db.user",
            "db.password",
            "db.port",
            "db.enabled",
            "list[0]",
            "list[1]",
            "note",
            "flow.a",
            "flow.c"
        ]
    );
    let vals: Vec<String> = o.entries().map(|e| e.1.expose().to_owned()).collect();
    assert_eq!(vals[1], "s3cr#t: x");
    assert_eq!(vals[6], "first line\nsecond line\n");
    assert!(plain.contains("# top comment\ndb:\n  user: admin   # who\n"));
    // The decrypted text parses to the same values.
    let again = encrypt(&plain, Format::Yaml, &r).unwrap();
    let o2 = open(&again, Format::Yaml, &ids).unwrap();
    let vals2: Vec<String> = o2.entries().map(|e| e.1.expose().to_owned()).collect();
    assert_eq!(vals, vals2);
}

#[test]
fn json_round_trip() {
    let (ids, r) = keypair();
    let enc = encrypt(JSON, Format::Json, &r).unwrap();
    println!("{enc}");
    let v: serde_json::Value = serde_json::from_str(&enc).unwrap();
    assert!(
        v["db"]["password"]
            .as_str()
            .unwrap()
            .starts_with("keyward:age:v1:")
    );
    assert_eq!(v["db"]["port"], 5432);
    assert!(v["_keyward"]["mac"].is_string());
    let o = open(&enc, Format::Json, &ids).unwrap();
    assert_eq!(o.plaintext().unwrap(), JSON);
}

#[test]
fn toml_round_trip() {
    let (ids, r) = keypair();
    let enc = encrypt(TOML, Format::Toml, &r).unwrap();
    println!("{enc}");
    assert!(enc.contains("# trailing\nport = 8080\n"));
    let o = open(&enc, Format::Toml, &ids).unwrap();
    let plain = o.plaintext().unwrap();
    assert!(plain.contains("title = \"app\" # trailing\n"), "{plain}");
    let vals: Vec<(String, String)> = o
        .entries()
        .map(|e| (e.0, e.1.expose().to_owned()))
        .collect();
    assert_eq!(vals[2], ("db.password".into(), "literal".into()));
    assert_eq!(vals[4], ("db.hosts[1]".into(), "b".into()));
}

#[test]
fn reseal_keeps_unchanged_ciphertexts() {
    let (ids, r) = keypair();
    let enc = encrypt(ENV, Format::Dotenv, &r).unwrap();
    let o = open(&enc, Format::Dotenv, &ids).unwrap();
    let edited = ENV
        .replace("'single quoted'", "changed")
        .replace("# database", "# the database");
    let (out, changed) = o.reseal_plaintext(&edited).unwrap();
    assert_eq!(changed, 1);
    let old: Vec<&str> = enc.lines().collect();
    let new: Vec<&str> = out.lines().collect();
    let differing = old.iter().zip(&new).filter(|(a, b)| a != b).count();
    // The comment, the API_KEY line and the MAC line.
    assert_eq!(differing, 3);
    let o2 = open(&out, Format::Dotenv, &ids).unwrap();
    assert_eq!(o2.plaintext().unwrap(), edited);
}

#[test]
fn set_adds_and_replaces_in_every_format() {
    let (ids, r) = keypair();
    for (f, text) in [
        (Format::Dotenv, ENV),
        (Format::Yaml, YAML),
        (Format::Json, JSON),
        (Format::Toml, TOML),
    ] {
        let enc = encrypt(text, f, &r).unwrap();
        let mut o = open(&enc, f, &ids).unwrap();
        o.set("NEW_KEY", "new value").unwrap();
        let out = o.render().unwrap();
        let o2 = open(&out, f, &ids).unwrap();
        let got: Vec<_> = o2
            .entries()
            .filter(|e| e.0 == "NEW_KEY")
            .map(|e| e.1.expose().to_owned())
            .collect();
        assert_eq!(got, ["new value"], "{f:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    /// Any values (quotes, newlines, `#`, unicode) come back exactly, in every format.
    #[test]
    fn any_values_round_trip(vals in proptest::collection::vec("[ -~\n\té€]{0,40}", 1..6)) {
        let (ids, r) = keypair();
        let mut env = String::new();
        let mut json = serde_json::Map::new();
        let mut yaml = String::new();
        let mut toml = String::new();
        for (i, v) in vals.iter().enumerate() {
            env.push_str(&format!("K{i}={}\n", keyward_dotenv::encode_value(v)));
            json.insert(format!("K{i}"), serde_json::Value::String(v.clone()));
            yaml.push_str(&format!("K{i}: {}\n", serde_json::to_string(v).unwrap()));
            toml.push_str(&format!("K{i} = {}\n", toml_edit::Value::from(v.as_str())));
        }
        let json = serde_json::to_string_pretty(&json).unwrap();
        for (f, text) in [(Format::Dotenv, env), (Format::Json, json), (Format::Yaml, yaml), (Format::Toml, toml)] {
            let enc = encrypt(&text, f, &r).unwrap();
            let o = open(&enc, f, &ids).unwrap();
            let got: Vec<String> = o.entries().map(|e| e.1.expose().to_owned()).collect();
            proptest::prop_assert_eq!(&got, &vals, "{:?}", f);
            // The decrypted text reads back to the same values.
            let again = encrypt(&o.plaintext().unwrap(), f, &r).unwrap();
            let back: Vec<String> = open(&again, f, &ids).unwrap().entries().map(|e| e.1.expose().to_owned()).collect();
            proptest::prop_assert_eq!(&back, &vals, "{:?} plaintext", f);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
    /// Arbitrary input never panics any adapter or the metadata reader.
    #[test]
    fn garbage_never_panics(text in "[ -~\n\t\"'{}\\[\\]:#=|>&*!é]{0,80}") {
        for f in [Format::Dotenv, Format::Json, Format::Yaml, Format::Toml] {
            if let Ok((mut doc, _)) = f.parse(&text) {
                let edits: Vec<(usize, &str)> = (0..doc.leaves().len()).map(|i| (i, "x\"'\n#")).collect();
                let _ = doc.set_strings(&edits);
                let _ = doc.insert("NEW", "v");
                let _ = doc.remove("NEW");
            }
            let _ = keyward_files::open(&text, f, &keypair().0);
        }
    }
}

#[test]
fn many_entries_decrypt_in_order() {
    // Enough entries for the parallel path; order and values must hold.
    let (ids, r) = keypair();
    for n in [20, 70] {
        let text: String = (0..n).map(|i| format!("K{i}=v{i}\n")).collect();
        let enc = encrypt(&text, Format::Dotenv, &r).unwrap();
        let o = open(&enc, Format::Dotenv, &ids).unwrap();
        assert_eq!(o.plaintext().unwrap(), text);
    }
}
