//! Matcher behaviour, robustness, CLI output formats, baselines and store-aware scanning.

mod common;

use common::{args, gh_token, token};
use keyward_scan::cli::run;
use keyward_scan::managed::InMemoryManaged;
use keyward_scan::{Scanner, WalkOptions, scan_paths};

#[test]
fn specific_rule_is_not_hidden_by_generic_assignment() {
    let s = Scanner::builtin().unwrap();
    let slack = format!(
        "SLACK_TOKEN={}-123456789012-1234567890123-{}",
        ["xo", "xb"].concat(),
        token("", 24, 3)
    );
    let f = s.scan_bytes("x.env", slack.as_bytes());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule, "slack-token");
    let twilio = format!(
        "TWILIO_API_KEY={}{}",
        "S",
        "K0123456789abcdef0123456789abcdef".replace("0123", "9f3a")
    );
    let f = s.scan_bytes("x.env", twilio.as_bytes());
    assert_eq!(
        f.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
        ["twilio-api-key"]
    );
}

#[test]
fn locations_previews_and_fingerprints() {
    let s = Scanner::builtin().unwrap();
    let t = gh_token(1);
    let text = format!("line one\r\n  héllo = 1\r\nGITHUB_TOKEN={t}\r\n");
    let f = s.scan_bytes("a/b.env", text.as_bytes());
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].line, f[0].column, f[0].end_line), (3, 14, 3));
    assert!(!f[0].preview.contains(&t[4..]));
    assert!(f[0].preview.starts_with("ghp_"));
    assert_eq!(f[0].fingerprint.len(), 32);
    // stable across positions, different across paths
    let g = s.scan_bytes("a/b.env", format!("\n\n\nX={t}").as_bytes());
    assert_eq!(g[0].fingerprint, f[0].fingerprint);
    let h = s.scan_bytes("other.env", format!("X={t}").as_bytes());
    assert_ne!(h[0].fingerprint, f[0].fingerprint);
}

#[test]
fn multiline_pem_reported_at_begin_line() {
    let s = Scanner::builtin().unwrap();
    let body: String = (0..5).map(|i| token("", 64, 10 + i) + "\n").collect();
    let text = format!(
        "# key\n-----BEGIN RSA PRIVATE {}-----\n{body}-----END RSA PRIVATE KEY-----\n",
        "KEY"
    );
    let f = s.scan_bytes("server.key", text.as_bytes());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].rule.as_str(), f[0].line, f[0].end_line),
        ("private-key", 2, 7)
    );
}

#[test]
fn inline_allow_comments() {
    let s = Scanner::builtin().unwrap();
    let t = gh_token(2);
    assert!(
        s.scan_bytes("x", format!("T={t} # keyward:allow").as_bytes())
            .is_empty()
    );
    assert!(
        s.scan_bytes(
            "x",
            format!("T='{t}'  # pragma: allowlist secret").as_bytes()
        )
        .is_empty()
    );
    assert!(
        s.scan_bytes("x", format!("// keyward:allow-next-line\nT={t}").as_bytes())
            .is_empty()
    );
    assert_eq!(s.scan_bytes("x", format!("T={t}").as_bytes()).len(), 1);
}

#[test]
fn no_panic_on_hostile_input() {
    let s = Scanner::builtin().unwrap();
    let mut junk: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    junk.extend_from_slice(b"\xff\xfe password = \xc3\x28 token: ");
    let _ = s.scan_bytes("junk.bin", &junk);
    // one huge line (minified) with a token in the middle
    let t = gh_token(3);
    let mut line = "var a=1;".repeat(200_000);
    line.insert_str(800_000, &format!("k=\"{t}\";"));
    let f = s.scan_bytes("app.min.js", line.as_bytes());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].line, 1);
    let _ = s.scan_bytes("e", b"");
    let _ = s.scan_bytes("e", b"\n\r\n-----BEGIN PRIVATE KEY-----");
    let _ = s.scan_bytes("e", b"password=");
}

#[test]
fn walker_honours_gitignore_scans_hidden_and_skips_binaries() {
    let d = tempfile::tempdir().unwrap();
    let t = gh_token(4);
    std::fs::write(d.path().join(".gitignore"), "ignored.txt\n").unwrap();
    std::fs::write(d.path().join("ignored.txt"), format!("T={t}")).unwrap();
    std::fs::write(d.path().join(".env"), format!("T={t}")).unwrap();
    std::fs::write(
        d.path().join("blob.dat2"),
        [b"T=".as_slice(), t.as_bytes(), b"\0\0"].concat(),
    )
    .unwrap();
    std::fs::create_dir(d.path().join("fixtures")).unwrap();
    std::fs::write(d.path().join("fixtures/keys.txt"), format!("T={t}")).unwrap();
    let s = Scanner::builtin().unwrap();
    let (f, stats) = scan_paths(
        &s,
        &[d.path().to_path_buf()],
        &WalkOptions::default(),
        None,
        None,
    )
    .unwrap();
    let paths: Vec<_> = f
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(paths, [".env"], "{f:?}");
    assert!(stats.skipped >= 2);
    let opts = WalkOptions {
        git_ignore: false,
        include_fixtures: true,
        threads: 1,
        ..WalkOptions::default()
    };
    let (f, _) = scan_paths(&s, &[d.path().to_path_buf()], &opts, None, None).unwrap();
    assert_eq!(f.len(), 3, "{f:?}");
}

fn write_secret_dir() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let t = gh_token(5);
    std::fs::write(
        d.path().join("config.env"),
        format!("A=1\nGITHUB_TOKEN={t}\n"),
    )
    .unwrap();
    (d, t)
}

#[test]
fn json_output_and_exit_codes() {
    let (d, t) = write_secret_dir();
    let out = d.path().join("out.json");
    let dir = d.path().to_str().unwrap();
    let code = run(
        &args(&[
            dir,
            "--format",
            "json",
            "-o",
            out.to_str().unwrap(),
            "--exclude",
            "out.json",
        ]),
        None,
    );
    assert_eq!(code, 1);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains(&t), "secret leaked into the report");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["rule"], "github-token");
    assert_eq!(a[0]["line"], 2);
    assert_eq!(a[0]["column"], 14);
    assert!(a[0]["path"].as_str().unwrap().ends_with("config.env"));
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(clean.path().join("x.txt"), "nothing here\n").unwrap();
    let o2 = clean.path().join("o.json");
    assert_eq!(
        run(
            &args(&[
                clean.path().to_str().unwrap(),
                "-f",
                "json",
                "-o",
                o2.to_str().unwrap()
            ]),
            None
        ),
        0
    );
    assert_eq!(run(&args(&["/nonexistent/keyward/path"]), None), 2);
}

#[test]
fn sarif_structure() {
    let (d, _) = write_secret_dir();
    let out = d.path().join("out.sarif");
    let code = run(
        &args(&[
            d.path().join("config.env").to_str().unwrap(),
            "--format",
            "sarif",
            "-o",
            out.to_str().unwrap(),
        ]),
        None,
    );
    assert_eq!(code, 1);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "keyward-scan");
    assert!(
        run0["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "github-token")
    );
    let r = &run0["results"][0];
    assert_eq!(r["ruleId"], "github-token");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
}

#[test]
fn baseline_round_trip() {
    let (d, t) = write_secret_dir();
    let base = d.path().join("base.json");
    let target = d.path().join("config.env");
    let (tp, bp) = (target.to_str().unwrap(), base.to_str().unwrap());
    assert_eq!(
        run(&args(&[tp, "--baseline", bp]), None),
        2,
        "missing baseline is an error"
    );
    assert_eq!(
        run(&args(&[tp, "--baseline", bp, "--update-baseline"]), None),
        0
    );
    let text = std::fs::read_to_string(&base).unwrap();
    assert!(
        !text.contains(&t) && !text.contains(&t[4..20]),
        "baseline holds secret text"
    );
    assert_eq!(
        run(
            &args(&[tp, "--baseline", bp, "-f", "json", "-o", "/dev/null"]),
            None
        ),
        0
    );
    // move the line: still known
    std::fs::write(&target, format!("\n\nGITHUB_TOKEN={t}\n")).unwrap();
    assert_eq!(
        run(
            &args(&[tp, "--baseline", bp, "-f", "json", "-o", "/dev/null"]),
            None
        ),
        0
    );
    // a new secret is reported
    std::fs::write(
        &target,
        format!("GITHUB_TOKEN={t}\nOTHER={}\n", gh_token(77)),
    )
    .unwrap();
    let out = d.path().join("new.json");
    assert_eq!(
        run(
            &args(&[
                tp,
                "--baseline",
                bp,
                "-f",
                "json",
                "-o",
                out.to_str().unwrap()
            ]),
            None
        ),
        1
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["line"], 2);
}

#[test]
fn managed_values_found_by_keyed_fingerprint() {
    // a value no pattern rule would flag
    let value = ["correct", "-horse-", "battery-staple-42"].concat();
    let key = b"per-scan-key-0123456789";
    let m = InMemoryManaged::from_values(key, [("prod/db/password", value.as_bytes())]);
    assert!(!format!("{m:?}").contains(&value), "holder keeps plaintext");
    let s = Scanner::builtin().unwrap();
    let text = format!("host: db\nsome_setting: {value}\nother: 'x'\n");
    assert!(s.scan_bytes("c.yaml", text.as_bytes()).is_empty());
    let f = s.scan_bytes_with("c.yaml", text.as_bytes(), Some(&m));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule, "managed-secret");
    assert_eq!(f[0].secret_path.as_deref(), Some("prod/db/password"));
    assert_eq!((f[0].line, f[0].column), (2, 15));
    assert!(!f[0].preview.contains(&value));
    // a different key gives nothing: fingerprints are bound to the scan key
    let other = InMemoryManaged::from_values(b"another-key", [("p", value.as_bytes())]);
    let fp = keyward_scan::managed::keyed_fingerprint(key, value.as_bytes());
    let wrong =
        InMemoryManaged::from_fingerprints(b"another-key".to_vec(), [(fp, "p".to_string())].into());
    assert!(
        s.scan_bytes_with("c", text.as_bytes(), Some(&wrong))
            .is_empty()
    );
    assert_eq!(
        s.scan_bytes_with("c", format!("v=\"{value}\"").as_bytes(), Some(&other))
            .len(),
        1
    );
    // through the CLI
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("app.ini"), &text).unwrap();
    let out = d.path().join("o.json");
    let code = run(
        &args(&[
            d.path().join("app.ini").to_str().unwrap(),
            "--managed",
            "-f",
            "json",
            "-o",
            out.to_str().unwrap(),
        ]),
        Some(&m),
    );
    assert_eq!(code, 1);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("prod/db/password")
    );
    assert_eq!(
        run(&args(&[d.path().to_str().unwrap(), "--managed"]), None),
        2
    );
}
