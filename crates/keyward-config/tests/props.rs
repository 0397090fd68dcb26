mod common;

use common::*;
use keyward_config::redact::{DEFAULT_MASK, Redactor, redact_all};
use keyward_config::{Config, SecretString, VarSpec, VarType, validate_value};
use proptest::prelude::*;
use std::io::Write;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Streaming redaction equals one-shot redaction for any chunking.
    #[test]
    fn redactor_matches_one_shot(
        secrets in prop::collection::vec("[ab]{1,5}|[a-z]{3,8}", 1..4),
        data in "[abxyz ]{0,60}",
        cuts in prop::collection::vec(0usize..60, 0..6),
    ) {
        let secrets: Vec<SecretString> = secrets.iter().map(|s| SecretString::from(s.as_str())).collect();
        let bytes = data.as_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.push(0);
        cuts.push(bytes.len());
        cuts.sort_unstable();
        let mut r = Redactor::new(Vec::new(), &secrets).expect("build");
        for w in cuts.windows(2) {
            r.write_all(&bytes[w[0]..w[1]]).expect("write");
        }
        prop_assert_eq!(r.finish().expect("finish"), redact_all(bytes, &secrets, DEFAULT_MASK));
    }

    /// Validation never panics and never echoes a (long enough to be unambiguous) value.
    #[test]
    fn validation_never_shows_the_value(value in "PLANTED[ -~]{0,40}|PLANTED\\PC{0,20}") {
        let c: Config = minimal();
        let specs = [
            c.var("SECRET_KEY").expect("declared").clone(),
            VarSpec { ty: VarType::Url, min_length: Some(100), max_length: Some(2), pattern: Some("x+".into()), one_of: vec!["a".into()], ..VarSpec::default() },
            VarSpec { ty: VarType::Json, rules: vec![keyward_config::RuleName::NoPlaceholder], ..VarSpec::default() },
        ];
        for spec in &specs {
            for env in ["development", "production"] {
                for p in validate_value(&c, "V", spec, env, &value) {
                    prop_assert!(!p.message.contains(&value));
                }
            }
        }
    }
}
