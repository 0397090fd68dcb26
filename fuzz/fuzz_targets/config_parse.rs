//! Fuzzes keyward.toml loading and value validation: neither may panic, and no
//! problem message may contain the value being checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = keyward_config::Config::from_toml_str(text, "keyward.toml");
    let config = keyward_config::Config::from_toml_str(
        "app = \"a\"\nenvironments = [\"production\"]\n[vars.V]\nsecret = true\nrules = [\"django-secret-key\"]\n",
        "keyward.toml",
    )
    .expect("fixed config is valid");
    if let Some(spec) = config.var("V") {
        for p in keyward_config::validate_value(&config, "V", spec, "production", text) {
            if text.len() >= 8 {
                assert!(!p.message.contains(text));
            }
        }
    }
});
