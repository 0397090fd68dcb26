//! `keyward rekey` over a tree of 200 encrypted files.

use super::harness::{Dir, need, stderr};
use std::collections::BTreeMap;
use std::process::Command;

const FILES: usize = 200;

fn snapshot(d: &Dir) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for i in 0..FILES {
        let rel = format!("tree/svc{}/app{i}.env", i % 10);
        out.insert(rel.clone(), std::fs::read(d.path(&rel)).unwrap());
    }
    out
}

#[test]
fn removing_a_recipient_re_encrypts_the_whole_tree() {
    need("script");
    let d = Dir::new();
    let keep = d.keygen("keep.key");
    let gone = d.keygen("gone.key");
    d.write("tree/.keyward-recipients", &format!("{keep}\n{gone}\n"));
    for i in 0..FILES {
        d.write(
            &format!("tree/svc{}/app{i}.env", i % 10),
            &format!("# app {i}\nTOKEN=token-{i}\nPASSWORD=pw-{i}\n"),
        );
    }
    // One command encrypts each file; done here through the binary as a user would.
    for i in 0..FILES {
        d.ok(&["encrypt", &format!("tree/svc{}/app{i}.env", i % 10)]);
    }
    d.write("tree/plain.txt", "not encrypted\n");
    let before = snapshot(&d);
    assert!(
        d.ok(&["decrypt", "tree/svc3/app13.env", "-i", "gone.key"])
            .contains("TOKEN=token-13")
    );

    // Dry run: reports, changes nothing.
    let o = d.run(&[
        "rekey",
        "tree",
        "--remove-recipient",
        &gone,
        "--dry-run",
        "-i",
        "keep.key",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("would re-encrypt 2 values"))
            .count(),
        FILES,
        "{out}"
    );
    assert!(
        stderr(&o).contains(&format!("{FILES} files would re-encrypt")),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&d), before, "--dry-run changed a file");

    // On a terminal (script gives it one), a progress bar is drawn.
    let o = Command::new("script")
        .arg("-qec")
        .arg(format!(
            "'{}' rekey tree --remove-recipient {gone} -i keep.key",
            super::harness::bin()
        ))
        .arg("/dev/null")
        .current_dir(d.tmp.path())
        .env("HOME", d.tmp.path())
        .env_remove("KEYWARD_AGE_IDENTITY_FILE")
        .output()
        .unwrap();
    let term = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{term}");
    assert!(
        term.contains(&format!("/{FILES} files")),
        "no progress bar on the terminal: {term}"
    );
    assert!(
        term.contains("can still decrypt every OLD version"),
        "{term}"
    );
    assert!(
        term.contains("TOKEN, PASSWORD"),
        "the secrets to rotate are not named: {term}"
    );
    assert!(
        !term.contains("token-1") && !term.contains("pw-1"),
        "a value was printed"
    );

    // Every file changed; the removed identity opens none of them, the kept one all.
    let after = snapshot(&d);
    for (rel, bytes) in &after {
        assert_ne!(bytes, &before[rel], "{rel} was not re-encrypted");
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(&gone),
            "{rel} still lists the removed recipient"
        );
        let o = d.run(&["decrypt", rel, "-i", "gone.key"]);
        assert!(
            !o.status.success(),
            "the removed identity still decrypts {rel}"
        );
        assert!(
            stderr(&o).contains("none of the identities"),
            "{}",
            stderr(&o)
        );
    }
    for i in [0, 57, 199] {
        let rel = format!("tree/svc{}/app{i}.env", i % 10);
        assert_eq!(
            d.ok(&["decrypt", &rel, "-i", "keep.key"]),
            format!("# app {i}\nTOKEN=token-{i}\nPASSWORD=pw-{i}\n")
        );
    }
    // Off a terminal there is no bar.
    let o = d.run(&["rekey", "tree", "-i", "keep.key"]);
    assert!(o.status.success());
    assert!(!stderr(&o).contains("/200 files"), "{}", stderr(&o));
}

#[test]
fn removing_the_last_recipient_is_refused() {
    let d = Dir::new();
    let only = d.keygen("k.key");
    d.write("a.env", "X=1\n");
    d.ok(&["encrypt", "a.env", "--recipient", &only]);
    let before = d.read("a.env");
    let o = d.run(&["rekey", ".", "--remove-recipient", &only, "-i", "k.key"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("leave no one able to decrypt"),
        "{}",
        stderr(&o)
    );
    assert_eq!(d.read("a.env"), before);
}
