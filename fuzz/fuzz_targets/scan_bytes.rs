//! Fuzz the matcher: any input must scan without panicking, findings must point inside the
//! input and never carry the full secret. Register in fuzz/Cargo.toml as
//! `[[bin]] name = "scan_bytes", path = "fuzz_targets/scan_bytes.rs"` (needs keyward-scan and
//! libfuzzer-sys as dependencies).
#![no_main]

use std::sync::OnceLock;

use keyward_scan::Scanner;
use libfuzzer_sys::fuzz_target;

static SCANNER: OnceLock<Scanner> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let scanner = SCANNER.get_or_init(|| Scanner::builtin().expect("built-in rules compile"));
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    for f in scanner.scan_bytes("fuzz.txt", data) {
        assert!(f.line >= 1 && f.line <= lines && f.end_line >= f.line && f.end_line <= lines);
        assert!(f.column >= 1);
        assert!(f.preview.contains('*') || f.preview.starts_with('('));
    }
});
