//! `previous_as` through `keyward run`: the previous version is exported as a JSON
//! list, masked by `--redact`, and kept in the offline snapshot.

use super::harness::*;

const V1: &str = "Xk9#mP2$vL7@qR4!nT8^wZ3&yB6*cF1(hJ5)dG0-sA_e=u+iOp";
const V2: &str = "q8#Zr2!vLx0@pT9^mW4&nB7*cK1(eJ6-hF3_sD5=gA+yU%iO)tE";

fn rollover_toml() -> String {
    django_toml("roll", "").replace(
        "rules = [\"django-secret-key\"]",
        "rules = [\"django-secret-key\"]\nprevious_as = \"SECRET_KEY_FALLBACKS\"",
    )
}

fn fallbacks(out: &std::process::Output) -> Vec<String> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_str(&text(&out.stdout)).expect("a JSON list")
}

#[test]
fn run_exports_the_previous_version_and_keeps_it_offline() {
    let mut s = Server::start();
    let dir = project(&s, &rollover_toml());
    let print = ["sh", "-c", "printf %s \"$SECRET_KEY_FALLBACKS\""];
    let run = |s: &Server, extra: &[&str]| {
        s.kw(&dir)
            .args(["run", "--env", "production"])
            .args(extra)
            .arg("--")
            .args(print)
            .output()
            .unwrap()
    };

    s.put("/roll/production/secret_key", V1);
    assert!(
        fallbacks(&run(&s, &[])).is_empty(),
        "one version: nothing to fall back to"
    );

    s.put("/roll/production/secret_key", V2);
    assert_eq!(fallbacks(&run(&s, &["--offline-cache"])), [V1]);

    let redacted = run(&s, &["--redact"]);
    assert!(redacted.status.success(), "{}", text(&redacted.stderr));
    assert!(
        !text(&redacted.stdout).contains(V1),
        "--redact masks the previous value too: {}",
        text(&redacted.stdout)
    );

    s.stop();
    let offline = run(&s, &["--offline-cache"]);
    assert!(text(&offline.stderr).contains("OFFLINE SNAPSHOT"));
    assert_eq!(
        fallbacks(&offline),
        [V1],
        "the snapshot keeps the previous version"
    );
}
