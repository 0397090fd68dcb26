//! keygen, encrypt/decrypt (with `age` on the other side), tampering, set,
//! edit, run --file.

use super::harness::{Dir, need, stderr, values};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

const ENV: &str = "# the database\nDATABASE_URL=postgres://user:pw@db/app\n\nAPI_KEY=sk_live_abcdef123456 # payments\nEMPTY=\n";

#[test]
fn keygen_writes_a_private_identity_and_prints_the_recipient() {
    let d = Dir::new();
    let r = d.keygen("k.key");
    assert!(r.starts_with("age1") && r.len() > 50, "{r}");
    let meta = std::fs::metadata(d.path("k.key")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(d.read("k.key").contains("AGE-SECRET-KEY-1"));
    let again = d.run(&["keygen", "--out", "k.key"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already exists"));
    // The default place, used when nothing else is given.
    let r2 = d.ok(&["keygen"]).trim().to_string();
    assert!(d.path(".config/keyward/age.key").exists());
    d.write(".env", "A=b\n");
    d.ok(&["encrypt", ".env", "--recipient", &r2]);
    assert_eq!(d.ok(&["decrypt", ".env"]), "A=b\n");
}

#[test]
fn age_decrypts_a_value_keyward_wrote() {
    need("age");
    let d = Dir::new();
    let r = d.keygen("k.key");
    d.write(".env", ENV);
    d.ok(&["encrypt", ".env", "--recipient", &r]);
    let enc = d.read(".env");
    assert!(enc.starts_with("# the database\nDATABASE_URL=keyward:age:v1:"));
    assert!(enc.contains(" # payments\nEMPTY=keyward:age:v1:"));
    assert!(!enc.contains("sk_live") && !enc.contains("postgres"));
    let vals = values(&enc);
    let (_, api) = vals.iter().find(|(k, _)| k == "API_KEY").unwrap();
    let b64 = api
        .split_whitespace()
        .next()
        .unwrap()
        .strip_prefix("keyward:age:v1:")
        .unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("printf %s \"$1\" | base64 -d | age -d -i k.key")
        .arg("sh")
        .arg(b64)
        .current_dir(d.tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "age: {}", stderr(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "sk_live_abcdef123456"
    );
    // And the whole file through keyward.
    assert_eq!(d.ok(&["decrypt", ".env", "--identity", "k.key"]), ENV);
}

#[test]
fn keyward_decrypts_a_value_age_wrote() {
    need("age");
    let d = Dir::new();
    let r = d.keygen("k.key");
    let out = Command::new("sh")
        .arg("-c")
        .arg("printf 'written by age' | age -r \"$1\" | base64 -w0")
        .arg("sh")
        .arg(&r)
        .output()
        .unwrap();
    assert!(out.status.success());
    let value = format!("keyward:age:v1:{}", String::from_utf8(out.stdout).unwrap());
    d.write("one.txt", &value);
    let got = d
        .cmd()
        .args(["decrypt", "one.txt"])
        .env("KEYWARD_AGE_IDENTITY_FILE", d.path("k.key"))
        .output()
        .unwrap();
    assert!(got.status.success(), "{}", stderr(&got));
    assert_eq!(String::from_utf8(got.stdout).unwrap(), "written by age");
    // An age file with the age tool's own identity (age-keygen) works too.
    need("age-keygen");
    let kg = Command::new("age-keygen")
        .arg("-o")
        .arg(d.path("age.key"))
        .output()
        .unwrap();
    assert!(kg.status.success());
    let pubkey = String::from_utf8_lossy(&kg.stderr)
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    d.write("c.env", "X=from-age-keygen\n");
    d.ok(&["encrypt", "c.env", "--recipient", &pubkey]);
    assert_eq!(
        d.ok(&["decrypt", "c.env", "--identity", "age.key"]),
        "X=from-age-keygen\n"
    );
}

#[test]
fn tampering_is_refused_with_a_named_error_and_no_value_shown() {
    let d = Dir::new();
    let r = d.keygen("k.key");
    d.write(".env", ENV);
    d.ok(&["encrypt", ".env", "--recipient", &r]);
    let enc = d.read(".env");
    let cases: Vec<(&str, String)> = vec![
        ("edited byte", {
            let i = enc.find("API_KEY=keyward:age:v1:").unwrap() + 40;
            let mut b = enc.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            String::from_utf8(b).unwrap()
        }),
        (
            "dropped line",
            enc.lines()
                .filter(|l| !l.starts_with("EMPTY="))
                .map(|l| format!("{l}\n"))
                .collect(),
        ),
        (
            "swapped keys",
            enc.replace("DATABASE_URL=", "X_TMP=")
                .replace("API_KEY=", "DATABASE_URL=")
                .replace("X_TMP=", "API_KEY="),
        ),
    ];
    for (what, text) in cases {
        d.write("t.env", &text);
        let o = d.run(&["decrypt", "t.env", "-i", "k.key"]);
        assert!(!o.status.success(), "{what} was accepted");
        let e = stderr(&o);
        assert!(
            e.contains("t.env") && e.contains("MAC mismatch"),
            "{what}: {e}"
        );
        assert!(
            !e.contains("sk_live") && !e.contains("postgres") && o.stdout.is_empty(),
            "{what}"
        );
    }
    // A comment edit is fine.
    d.write(
        "c.env",
        &enc.replace("# the database", "# the main database"),
    );
    assert!(
        d.ok(&["decrypt", "c.env", "-i", "k.key"])
            .starts_with("# the main database\n")
    );
    // Someone else's key: told who can decrypt.
    d.keygen("other.key");
    let o = d.run(&["decrypt", ".env", "-i", "other.key"]);
    assert!(stderr(&o).contains(&r), "{}", stderr(&o));
    // No identity at all: told how to get one.
    let o = d.run(&["decrypt", ".env"]);
    assert!(stderr(&o).contains("keyward keygen"), "{}", stderr(&o));
}

#[test]
fn recipients_file_set_and_json_output() {
    let d = Dir::new();
    let r1 = d.keygen("a.key");
    let r2 = d.keygen("b.key");
    d.write(
        "cfg/.keyward-recipients",
        &format!("# the team\n{r1}\n{r2} # ci\n"),
    );
    d.write(
        "cfg/deep/app.yaml",
        "# settings\ndb:\n  password: hunter22 # rotate yearly\n  port: 5432\n",
    );
    d.ok(&["encrypt", "cfg/deep/app.yaml"]);
    let enc = d.read("cfg/deep/app.yaml");
    assert!(
        enc.contains("# rotate yearly\n  port: 5432\n") && !enc.contains("hunter22"),
        "{enc}"
    );
    for k in ["a.key", "b.key"] {
        let plain = d.ok(&["decrypt", "cfg/deep/app.yaml", "-i", k]);
        assert_eq!(
            plain,
            "# settings\ndb:\n  password: hunter22 # rotate yearly\n  port: 5432\n"
        );
    }
    let mut c = d.cmd();
    c.args([
        "set",
        "cfg/deep/app.yaml",
        "db.password",
        "--stdin",
        "-i",
        "a.key",
    ])
    .stdin(Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"n3w-pass\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let j: serde_json::Value =
        serde_json::from_str(&d.ok(&["decrypt", "cfg/deep/app.yaml", "-i", "b.key", "--json"]))
            .unwrap();
    assert_eq!(
        j,
        serde_json::json!({"db.password": "n3w-pass", "db.port": "5432"})
    );
}

#[test]
fn edit_re_encrypts_only_changed_values_and_leaves_no_plaintext() {
    let d = Dir::new();
    let r = d.keygen("k.key");
    d.write(".env", ENV);
    d.ok(&["encrypt", ".env", "--recipient", &r]);
    let before = d.read(".env");
    let runtime = d.path("run");
    std::fs::create_dir(&runtime).unwrap();
    let o = d
        .cmd()
        .args(["edit", ".env", "-i", "k.key"])
        .env("EDITOR", "sed -i s/sk_live_abcdef123456/sk_live_rotated/")
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 value re-encrypted"),
        "{}",
        stderr(&o)
    );
    let after = d.read(".env");
    let changed: Vec<_> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.split('=').next().unwrap().to_string())
        .collect();
    assert_eq!(changed, ["API_KEY", "# keyward:mac"]);
    assert!(
        d.ok(&["decrypt", ".env", "-i", "k.key"])
            .contains("API_KEY=sk_live_rotated # payments")
    );
    assert_eq!(
        std::fs::read_dir(&runtime).unwrap().count(),
        0,
        "the temp file was not removed"
    );
}

#[test]
fn run_file_injects_in_memory_and_redacts() {
    let d = Dir::new();
    let r = d.keygen("k.key");
    d.write("secrets.enc.env", ENV);
    d.ok(&["encrypt", "secrets.enc.env", "--recipient", &r]);
    let listing = || {
        let mut v: Vec<_> = std::fs::read_dir(d.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let files_before = listing();
    let o = d
        .cmd()
        .args([
            "run",
            "--file",
            "secrets.enc.env",
            "--",
            "sh",
            "-c",
            "echo \"$DATABASE_URL|$API_KEY|$EMPTY|$KEEP\"",
        ])
        .env("KEYWARD_AGE_IDENTITY_FILE", d.path("k.key"))
        .env("KEEP", "from-env")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "postgres://user:pw@db/app|sk_live_abcdef123456||from-env\n"
    );
    assert_eq!(listing(), files_before, "run --file wrote a file");
    // The environment wins; --redact masks decrypted values.
    let o = d
        .cmd()
        .args([
            "run",
            "--redact",
            "--file",
            "secrets.enc.env",
            "-i",
            "k.key",
            "--",
            "sh",
            "-c",
            "echo $API_KEY $DATABASE_URL",
        ])
        .env("DATABASE_URL", "overridden")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "[REDACTED] overridden\n"
    );
    // A broken file starts nothing (exit 78) and says why.
    d.write(
        "bad.env",
        &d.read("secrets.enc.env").replace("EMPTY=", "EMPTX="),
    );
    let o = d
        .cmd()
        .args(["run", "--file", "bad.env", "-i", "k.key", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(78));
    assert!(stderr(&o).contains("MAC mismatch"), "{}", stderr(&o));
}
