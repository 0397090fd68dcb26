//! Cost of store-aware matching (`--managed`): scans a directory with the built-in rules
//! alone, then with N stored values (with and without the length filter the server enables),
//! and prints the ratios, measured in this one run.
//!
//!   cargo run --release -p keyward-scan --example managed_bench -- DIR [N]
use keyward_scan::Scanner;
use keyward_scan::managed::InMemoryManaged;
use sha2::{Digest, Sha256};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: managed_bench DIR [N]");
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let mut files = Vec::new();
    for e in ignore::WalkBuilder::new(&dir).build().flatten() {
        if e.file_type().is_some_and(|t| t.is_file())
            && let Ok(b) = std::fs::read(e.path())
        {
            files.push((e.path().display().to_string(), b));
        }
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    // Deterministic stand-ins for stored values, of varied lengths.
    let values: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let h = hex::encode(Sha256::digest(format!("value-{i}")));
            (format!("/bench/s{i}"), h.as_bytes()[..12 + i % 40].to_vec())
        })
        .collect();
    let with_lengths =
        InMemoryManaged::from_values(b"k", values.iter().map(|(p, v)| (p.as_str(), v.as_slice())));
    let without_lengths = InMemoryManaged::from_fingerprints(
        b"k".to_vec(),
        values
            .iter()
            .map(|(p, v)| (keyward_scan::managed::keyed_fingerprint(b"k", v), p.clone()))
            .collect(),
    );
    let scanner = Scanner::builtin().expect("rules");
    let time = |m: Option<&InMemoryManaged>| {
        let t = Instant::now();
        let mut found = 0;
        for (p, b) in &files {
            found += scanner
                .scan_bytes_with(
                    p,
                    b,
                    m.map(|m| m as &dyn keyward_scan::managed::ManagedFingerprints),
                )
                .len();
        }
        (t.elapsed().as_secs_f64(), found)
    };
    let (plain, _) = time(None);
    let (lengths, _) = time(Some(&with_lengths));
    let (every, _) = time(Some(&without_lengths));
    println!(
        "{} files, {:.1} MB, {n} stored values: managed / rules only = {:.2} with the length filter, {:.2} without",
        files.len(),
        bytes as f64 / 1e6,
        lengths / plain,
        every / plain
    );
}
