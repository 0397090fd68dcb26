//! Fuzzes the lossless .env parser: it must never panic, parsed input must be
//! reproduced byte for byte, and any value set into a parsed document must read back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut doc) = keyward_dotenv::Document::parse(text) else { return };
    assert_eq!(doc.to_string(), text);
    let value: String = text.chars().rev().take(64).collect();
    doc.set("FUZZ_KEY", &value).expect("valid key");
    let again = keyward_dotenv::Document::parse(&doc.to_string()).expect("edited text parses");
    let got = again.get("FUZZ_KEY").expect("set");
    assert_eq!(got.expose(), value.as_str());
});
