//! Property tests for secret-name validation: exactly the AWS Secrets Manager
//! alphabet (`A-Z a-z 0-9 / _ + = . @ -`), 1–512 characters, and an error that
//! names the first bad character and its (1-based) position.

use keyward_server::names::validate_secret_name;
use proptest::prelude::*;

const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+=.@-";

fn allowed(c: char) -> bool {
    ALPHABET.contains(c)
}

/// A valid name of 1–512 characters.
fn valid_name() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>()),
        1..=512,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Any character outside the alphabet (ASCII punctuation, controls, whitespace, Unicode).
fn bad_char() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('\0', '\x7f'),
        any::<char>(),
        proptest::sample::select(vec![
            ' ', '\t', '\n', '#', '%', '?', '*', ':', '\\', '"', '\'', 'ü', '€', '名'
        ]),
    ]
    .prop_filter("outside the alphabet", |c| !allowed(*c))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn accepts_every_name_in_the_alphabet(name in valid_name()) {
        prop_assert!(validate_secret_name(&name).is_ok(), "{name:?} rejected");
    }

    #[test]
    fn rejects_names_over_512_characters(name in valid_name(), extra in valid_name()) {
        let long: String = name.chars().chain(extra.chars()).chain("x".repeat(512).chars()).collect();
        prop_assume!(long.chars().count() > 512);
        let e = validate_secret_name(&long).expect_err("too long accepted").to_string();
        prop_assert!(e.contains("512"), "{e}");
    }

    #[test]
    fn names_the_first_bad_character_and_its_position(
        prefix in proptest::collection::vec(proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>()), 0..256),
        bad in bad_char(),
        rest in ".{0,64}",
    ) {
        let name: String = prefix.iter().copied().chain(std::iter::once(bad)).chain(rest.chars()).collect();
        prop_assume!(name.chars().count() <= 512);
        let e = validate_secret_name(&name).expect_err("bad character accepted").to_string();
        prop_assert!(e.contains(&format!("{bad:?}")), "{e} does not name {bad:?}");
        prop_assert!(e.contains(&format!("position {}", prefix.len() + 1)), "{e}: want position {}", prefix.len() + 1);
    }

    #[test]
    fn agrees_with_the_alphabet_on_arbitrary_strings(name in "\\PC{0,600}") {
        let n = name.chars().count();
        let want = (1..=512).contains(&n) && name.chars().all(allowed);
        prop_assert_eq!(validate_secret_name(&name).is_ok(), want, "{:?}", name);
    }
}

#[test]
fn edges() {
    assert!(validate_secret_name("").is_err());
    assert!(validate_secret_name(&"a".repeat(512)).is_ok());
    assert!(validate_secret_name(&"a".repeat(513)).is_err());
    assert!(validate_secret_name(ALPHABET).is_ok());
    let e = validate_secret_name("/myapp/prod/data base")
        .unwrap_err()
        .to_string();
    assert!(e.contains("' '") && e.contains("position 17"), "{e}");
}
