use keyward_dotenv::{Document, ExpandMode, ParseErrorKind, Quote, SecretString};

fn map(text: &str) -> Vec<(String, String)> {
    Document::parse(text)
        .expect("parses")
        .to_map()
        .into_iter()
        .map(|(k, v)| (k, v.expose().to_owned()))
        .collect()
}

fn get(text: &str, key: &str) -> String {
    Document::parse(text)
        .expect("parses")
        .get(key)
        .expect("key")
        .expose()
        .to_owned()
}

#[test]
fn basic_forms() {
    let text = "A=1\nexport B=two\n  C = spaced value  # comment\nD=\nE='lit $X \\n'\nF=\"a\\nb\\t\\\"c\\\\ \\$d\"\n";
    assert_eq!(get(text, "A"), "1");
    assert_eq!(get(text, "B"), "two");
    assert_eq!(get(text, "C"), "spaced value");
    assert_eq!(get(text, "D"), "");
    assert_eq!(get(text, "E"), "lit $X \\n");
    assert_eq!(get(text, "F"), "a\nb\t\"c\\ $d");
}

#[test]
fn comments_and_hashes() {
    assert_eq!(get("A=abc#def\n", "A"), "abc#def");
    assert_eq!(get("A=abc #def\n", "A"), "abc");
    assert_eq!(get("A= #def\n", "A"), "");
    assert_eq!(get("A=#def\n", "A"), "#def");
    assert_eq!(get("A='x' # c\n", "A"), "x");
    assert_eq!(get("A=\"x\"# c\n", "A"), "x");
    assert_eq!(map("# only a comment\n\n   \n").len(), 0);
}

#[test]
fn multiline_double_and_single() {
    let text = "K=\"line1\nline2\"\nNEXT=1\nS='a\nb'\n";
    assert_eq!(get(text, "K"), "line1\nline2");
    assert_eq!(get(text, "NEXT"), "1");
    assert_eq!(get(text, "S"), "a\nb");
    let doc = Document::parse(text).expect("parses");
    let lines: Vec<_> = doc.entries().map(|e| (e.key, e.line)).collect();
    assert_eq!(lines, vec![("K", 1), ("NEXT", 3), ("S", 4)]);
}

#[test]
fn crlf_and_bom() {
    let text = "\u{feff}A=1\r\nB=\"x\r\ny\"\r\nC='q'\r\n";
    assert_eq!(get(text, "A"), "1");
    assert_eq!(get(text, "B"), "x\ny");
    assert_eq!(get(text, "C"), "q");
    assert_eq!(Document::parse(text).expect("parses").to_string(), text);
}

#[test]
fn export_edge_cases() {
    assert_eq!(get("export=1\n", "export"), "1");
    assert_eq!(get("export  X=1\n", "X"), "1");
    assert_eq!(get("export X =1\n", "X"), "1");
    let doc = Document::parse("export X=1\n").expect("parses");
    assert!(doc.entries().next().expect("entry").exported);
}

#[test]
fn errors_have_position_and_no_value() {
    let e =
        Document::parse("A=1\nB=2\nSECRET_KEY=\"abc-planted-value\n").expect_err("unterminated");
    assert_eq!((e.line, e.column), (3, 12));
    assert_eq!(e.kind, ParseErrorKind::UnterminatedDoubleQuote);
    assert_eq!(
        e.to_string(),
        ".env:3:12: unterminated double-quoted value started here"
    );

    let e = Document::parse("A='oops\n").expect_err("unterminated");
    assert_eq!(
        (e.line, e.column, e.kind),
        (1, 3, ParseErrorKind::UnterminatedSingleQuote)
    );

    let e = Document::parse_named("ghp_planted_token_value\n", "app/.env").expect_err("no =");
    assert_eq!(e.kind, ParseErrorKind::ExpectedEquals);
    assert!(e.to_string().starts_with("app/.env:1:24:"));
    assert!(!e.to_string().contains("planted"));

    let e = Document::parse("A=\"x\"planted\n").expect_err("trailing");
    assert_eq!((e.column, e.kind), (6, ParseErrorKind::TrailingCharacters));
    assert!(!e.to_string().contains("planted"));

    let e = Document::parse("1A=x\n").expect_err("bad key");
    assert_eq!(e.kind, ParseErrorKind::InvalidKeyStart);
}

#[test]
fn expansion_is_opt_in() {
    let text = "HOST=db\nURL=postgres://${HOST}:$PORT/x\nLIT='$HOST'\nESC=\"\\$HOST\"\nDEF=${MISSING:-fallback}\n";
    let doc = Document::parse(text).expect("parses");
    let plain = doc.to_map();
    assert_eq!(plain["URL"].expose(), "postgres://${HOST}:$PORT/x");
    assert_eq!(plain["DEF"].expose(), "${MISSING:-fallback}");
    let lookup = |k: &str| (k == "PORT").then(|| SecretString::from("5432"));
    let ex = doc.values(ExpandMode::Expand, lookup);
    assert_eq!(ex["URL"].expose(), "postgres://db:5432/x");
    assert_eq!(ex["LIT"].expose(), "$HOST");
    assert_eq!(ex["ESC"].expose(), "$HOST");
    assert_eq!(ex["DEF"].expose(), "fallback");
    // The lookup (process environment) outranks earlier file values.
    let ex = doc.values(ExpandMode::Expand, |k| {
        (k == "HOST").then(|| SecretString::from("prod"))
    });
    assert!(ex["URL"].expose().starts_with("postgres://prod:"));
    // Unterminated or invalid references are literal text.
    assert_eq!(get("A=${oops\n", "A"), "${oops");
    assert_eq!(get("A=$1 $\n", "A"), "$1 $");
}

#[test]
fn last_occurrence_wins() {
    assert_eq!(get("A=1\nA=2\n", "A"), "2");
}

#[test]
fn debug_never_shows_values() {
    let doc = Document::parse("SECRET=planted-value-xyz\n").expect("parses");
    let dbg = format!("{doc:?}");
    assert!(dbg.contains("SECRET"));
    assert!(!dbg.contains("planted"));
    assert!(!format!("{:?}", doc.to_map()).contains("planted"));
}

#[test]
fn set_edits_in_place() {
    let text = "# header\nexport A = old # keep me\n\nB='x'\n";
    let mut doc = Document::parse(text).expect("parses");
    doc.set("A", "new value").expect("set");
    assert_eq!(
        doc.to_string(),
        "# header\nexport A = 'new value' # keep me\n\nB='x'\n"
    );
    doc.set("B", "it's").expect("set");
    assert_eq!(doc.get("B").expect("B").expose(), "it's");
    doc.set("C", "multi\nline").expect("set");
    assert!(doc.to_string().ends_with("C=\"multi\\nline\"\n"));
    let again = Document::parse(&doc.to_string()).expect("reparses");
    assert_eq!(again.get("C").expect("C").expose(), "multi\nline");
    assert_eq!(
        again.entries().find(|e| e.key == "A").expect("A").quote,
        Quote::Single
    );
}

#[test]
fn set_after_empty_value_with_comment() {
    let mut doc = Document::parse("A= # c\n").expect("parses");
    doc.set("A", "v#x").expect("set");
    let again = Document::parse(&doc.to_string()).expect("reparses");
    assert_eq!(again.get("A").expect("A").expose(), "v#x");
    assert!(doc.to_string().contains("# c"));
}

#[test]
fn append_remove_and_line_endings() {
    let mut doc = Document::parse("A=1\r\nB=2").expect("parses");
    doc.append("C", "3").expect("append");
    assert_eq!(doc.to_string(), "A=1\r\nB=2\r\nC=3\r\n");
    assert!(doc.remove("B"));
    assert!(!doc.remove("B"));
    assert_eq!(doc.to_string(), "A=1\r\nC=3\r\n");
    assert!(doc.set("1BAD", "x").is_err());
    doc.append_comment("note").expect("comment");
    assert!(doc.append_comment("two\nlines").is_err());
    assert!(doc.to_string().ends_with("# note\r\n"));
}

#[test]
fn lone_cr_at_end_is_kept_when_appending() {
    let mut doc = Document::parse("A=x\r").expect("parses");
    let before = doc.get("A").expect("A");
    doc.append("B", "y").expect("append");
    let again = Document::parse(&doc.to_string()).expect("reparses");
    assert_eq!(again.get("A").expect("A"), before);
}

#[test]
fn load_from_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join(".env");
    std::fs::write(&p, "A=1\nB=\"open\n").expect("write");
    let err = Document::load(&p).expect_err("bad file").to_string();
    assert!(
        err.contains(".env:2:3: unterminated double-quoted value"),
        "{err}"
    );
}

#[test]
fn names_with_dashes_and_dots_parse_and_write_back() {
    let text = "my-app.key=v1\nexport API-TOKEN = v2\n";
    assert_eq!(get(text, "my-app.key"), "v1");
    assert_eq!(get(text, "API-TOKEN"), "v2");
    let mut d = Document::parse(text).expect("parses");
    d.set("NEW-NAME", "v3").expect("dash allowed");
    assert_eq!(get(&d.to_string(), "NEW-NAME"), "v3");
    // A name still cannot start with '-'.
    assert!(Document::parse("-X=1\n").is_err());
}
