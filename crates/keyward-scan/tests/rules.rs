//! Every rule's declared examples and negatives, and the fixture folders.

use keyward_scan::rules::{RuleSet, example_text};
use keyward_scan::{Finding, Scanner};

fn of_rule<'a>(f: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.rule == id).collect()
}

#[test]
fn builtin_rules_parse_and_compile() {
    let rules = RuleSet::builtin();
    assert!(rules.rules.len() >= 25);
    Scanner::new(rules).expect("built-in rules compile");
}

#[test]
fn every_rule_has_examples_that_fire_and_negatives_that_do_not() {
    let rules = RuleSet::builtin();
    let scanner = Scanner::new(rules.clone()).unwrap();
    let mut failures = Vec::new();
    for r in &rules.rules {
        assert!(
            !r.examples.is_empty(),
            "rule {} has no positive example",
            r.id
        );
        assert!(
            !r.negatives.is_empty(),
            "rule {} has no negative example",
            r.id
        );
        for ex in &r.examples {
            let text = example_text(ex);
            let f = scanner.scan_bytes("example.txt", text.as_bytes());
            let n = of_rule(&f, &r.id).len();
            if n != 1 {
                failures.push(format!("{}: example gave {n} findings: {ex}", r.id));
            }
            for x in &f {
                assert!(!text.contains(&x.preview), "preview leaks the whole value");
            }
        }
        for neg in &r.negatives {
            let text = example_text(neg);
            let f = scanner.scan_bytes("example.txt", text.as_bytes());
            let hits = of_rule(&f, &r.id);
            if !hits.is_empty() {
                failures.push(format!("{}: negative fired: {neg}", r.id));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn positive_fixtures_one_finding_per_line() {
    let scanner = Scanner::builtin().unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/positive");
    let mut failures = Vec::new();
    let mut files = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let rule = p.file_stem().unwrap().to_string_lossy().to_string();
        assert!(
            scanner.rules().any(|r| r.id == rule),
            "fixture {rule} names no rule"
        );
        files += 1;
        for (i, line) in std::fs::read_to_string(&p).unwrap().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<Finding> = scanner
                .scan_bytes("fixture.txt", line.as_bytes())
                .into_iter()
                .filter(|f| f.score >= 0.5)
                .collect();
            if f.len() != 1 || f[0].rule != rule {
                let got: Vec<_> = f.iter().map(|f| f.rule.as_str()).collect();
                failures.push(format!(
                    "{rule}.txt:{}: expected one {rule}, got {got:?}",
                    i + 1
                ));
            }
        }
    }
    assert!(files >= 20);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn none_fixtures_yield_nothing() {
    let scanner = Scanner::builtin().unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/none");
    let mut failures = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let data = std::fs::read(&p).unwrap();
        for f in scanner.scan_bytes(&name, &data) {
            if f.score >= 0.5 {
                failures.push(format!("{name}:{}: {} {}", f.line, f.rule, f.preview));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn user_rules_extend_and_replace() {
    let mut rules = RuleSet::builtin();
    let extra = RuleSet::from_toml(
        r#"
[[rule]]
id = "acme-token"
description = "ACME internal token"
keywords = ["acme_"]
case_sensitive = true
regex = '''(?P<secret>acme_[a-z0-9]{24})'''
examples = ["ACME=acme_0123456789abcdefghijklmn"]
negatives = ["acme_short"]
"#,
        "test",
    )
    .unwrap();
    rules.extend(extra);
    let s = Scanner::new(rules).unwrap();
    let f = s.scan_bytes("x", b"token = acme_q8zr2lmx0vpa7kd3wnty55aa");
    assert_eq!(f.iter().filter(|f| f.rule == "acme-token").count(), 1);
    assert!(RuleSet::from_toml("[[rule]]\nid='x'", "bad").is_err());
}
