//! The scanner and doctor know encrypted files: ciphertext is not a leak, a
//! plaintext deployment secrets file is.

use super::harness::Dir;

const SECRET: &str = "sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdefGHIJ";

#[test]
fn scanner_skips_ciphertext_and_flags_plaintext_deployment_files() {
    let d = Dir::new();
    let r = d.keygen("k.key");
    d.write(
        "repo/.env.production",
        &format!("# stripe (see runbook)\nSTRIPE_KEY={SECRET}\n"),
    );
    d.write("repo/.env.staging", &format!("STRIPE_KEY={SECRET}\n"));
    d.ok(&["encrypt", "repo/.env.production", "--recipient", &r]);
    let o = d.run(&["scan", "repo", "--format", "json", "--no-progress"]);
    let findings: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = findings.as_array().unwrap();
    let on = |p: &str| {
        list.iter()
            .filter(|f| f["path"].as_str().unwrap_or("").ends_with(p))
            .collect::<Vec<_>>()
    };
    assert!(
        on(".env.production").is_empty(),
        "ciphertext reported: {findings:#}"
    );
    let staging = on(".env.staging");
    assert!(
        staging
            .iter()
            .any(|f| f["rule"] == "unencrypted-secrets-file"),
        "{findings:#}"
    );
    assert!(
        staging
            .iter()
            .any(|f| f["rule"] != "unencrypted-secrets-file"),
        "the key itself is still found: {findings:#}"
    );
    // A comment in an encrypted file is still scanned.
    let enc = d.read("repo/.env.production");
    d.write(
        "repo/.env.production",
        &enc.replace("# stripe (see runbook)", &format!("# old key {SECRET}")),
    );
    let o = d.run(&[
        "scan",
        "repo/.env.production",
        "--format",
        "json",
        "--no-progress",
    ]);
    let findings: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(findings.as_array().unwrap().len(), 1, "{findings:#}");

    let o = d.run(&["doctor", "repo", "--no-git", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&(".env.staging".into(), "not_encrypted".into())),
        "{kinds:?}"
    );
    assert!(
        !kinds.iter().any(|(f, _)| f == ".env.production"),
        "{kinds:?}"
    );
}
