//! Three-way merge per key.

use keyward_files::merge::merge;
use keyward_files::{Format, Identities, Opened, Recipients, encrypt, open};

struct Key {
    ids: Identities,
    public: String,
}

fn key() -> Key {
    let (secret, public) = keyward_files::generate_identity();
    Key {
        ids: Identities::from_text(secret.expose(), "t").unwrap(),
        public,
    }
}

fn edit(text: &str, k: &Key, f: impl FnOnce(&mut Opened)) -> String {
    let mut o = open(text, Format::Dotenv, &k.ids).unwrap();
    f(&mut o);
    o.render().unwrap()
}

fn plain(text: &str, k: &Key) -> String {
    open(text, Format::Dotenv, &k.ids)
        .unwrap()
        .plaintext()
        .unwrap()
}

#[test]
fn changes_to_different_keys_merge_and_same_key_conflicts() {
    let k = key();
    let r = Recipients::parse([&k.public]).unwrap();
    let base = encrypt("# c\nA=1\nB=2\nC=3\n", Format::Dotenv, &r).unwrap();
    let ours = edit(&base, &k, |o| o.set("A", "a").unwrap());
    let theirs = edit(&base, &k, |o| {
        o.set("B", "b").unwrap();
        o.remove("C").unwrap();
        o.set("D", "d").unwrap();
    });
    let m = merge(&base, &ours, &theirs, Format::Dotenv, &k.ids).unwrap();
    assert!(m.conflicts.is_empty());
    assert_eq!(plain(&m.text, &k), "# c\nA=a\nB=b\nD=d\n");

    let theirs = edit(&base, &k, |o| o.set("A", "other").unwrap());
    let m = merge(&base, &ours, &theirs, Format::Dotenv, &k.ids).unwrap();
    assert_eq!(m.conflicts, ["A"]);
    assert_eq!(plain(&m.text, &k), "# c\nA=a\nB=2\nC=3\n");

    // The same change on both sides is no conflict.
    let m = merge(&base, &ours, &ours, Format::Dotenv, &k.ids).unwrap();
    assert!(m.conflicts.is_empty());
}

#[test]
fn recipient_changes_from_either_side_are_kept() {
    let (k1, k2) = (key(), key());
    let r1 = Recipients::parse([&k1.public]).unwrap();
    let base = encrypt("A=1\nB=2\n", Format::Dotenv, &r1).unwrap();
    let ours = edit(&base, &k1, |o| o.set("A", "a").unwrap());
    let theirs = edit(&base, &k1, |o| {
        o.rekey(Recipients::parse([&k1.public, &k2.public]).unwrap())
            .unwrap()
    });
    let m = merge(&base, &ours, &theirs, Format::Dotenv, &k1.ids).unwrap();
    assert!(m.conflicts.is_empty());
    assert_eq!(plain(&m.text, &k2), "A=a\nB=2\n");
}

#[test]
fn a_tampered_side_fails_the_merge() {
    let k = key();
    let r = Recipients::parse([&k.public]).unwrap();
    let base = encrypt("A=1\nB=2\n", Format::Dotenv, &r).unwrap();
    // Rename the key on the first line only: "A=" also turns up inside base64.
    assert!(base.starts_with("A="), "{base}");
    let bad = base.replacen("A=", "Z=", 1);
    let e = merge(&base, &base, &bad, Format::Dotenv, &k.ids)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("their side") && e.contains("MAC mismatch"),
        "{e}"
    );
}
