use keyward_dotenv::{Document, SecretString, encode_value, write_map};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn key() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.]{0,12}"
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~\\n\\r\\t]{0,40}",
        "[a-z$'\"\\\\# {}:-]{0,20}",
    ]
}

/// Line fragments that often form valid documents.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("# comment".to_owned()),
        Just("export ".to_owned()),
        Just("KEY".to_owned()),
        Just("=".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("$".to_owned()),
        Just("${A}".to_owned()),
        Just("${A:-d}".to_owned()),
        Just("#".to_owned()),
        Just("\u{feff}".to_owned()),
        "[a-z0-9]{1,4}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn write_then_parse_gives_the_same_map(m in prop::collection::btree_map(key(), value(), 0..8)) {
        let secrets: BTreeMap<String, SecretString> =
            m.iter().map(|(k, v)| (k.clone(), SecretString::from(v.as_str()))).collect();
        let text = write_map(secrets.iter().map(|(k, v)| (k.as_str(), v))).expect("valid keys");
        let back = Document::parse(&text).expect("writer output parses").to_map();
        prop_assert_eq!(back, secrets);
    }

    #[test]
    fn set_into_existing_text_round_trips(
        base in prop::collection::vec(fragment(), 0..20),
        k in key(),
        v in value(),
    ) {
        let text: String = base.concat();
        if let Ok(mut doc) = Document::parse(&text) {
            let others_before: BTreeMap<_, _> = doc.to_map().into_iter().filter(|(kk, _)| kk != &k).collect();
            doc.set(&k, &v).expect("valid key");
            let again = Document::parse(&doc.to_string()).expect("edited text parses");
            let got = again.get(&k).expect("set key");
            prop_assert_eq!(got.expose(), v.as_str());
            let others_after: BTreeMap<_, _> = again.to_map().into_iter().filter(|(kk, _)| kk != &k).collect();
            prop_assert_eq!(others_before, others_after);
        }
    }

    #[test]
    fn parsed_text_is_reproduced_exactly(parts in prop::collection::vec(fragment(), 0..30)) {
        let text: String = parts.concat();
        if let Ok(doc) = Document::parse(&text) {
            prop_assert_eq!(doc.to_string(), text);
        }
    }

    #[test]
    fn arbitrary_text_never_panics_and_round_trips(text in any::<String>()) {
        if let Ok(doc) = Document::parse(&text) {
            prop_assert_eq!(doc.to_string(), text);
        }
    }

    #[test]
    fn encoded_single_value_reads_back(v in value()) {
        let text = format!("K={}\n", encode_value(&v));
        let doc = Document::parse(&text).expect("parses");
        let got = doc.get("K").expect("K");
        prop_assert_eq!(got.expose(), v.as_str());
    }
}
