//! In-process timing for bench/files.sh: encrypt and decrypt a .env of N entries
//! (default 10,000) against parsing the same plain file, in one run. Prints
//! `name seconds` lines; the script turns them into per-entry times and ratios.

use keyward_files::{Format, Identities, Recipients};
use std::time::Instant;

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let runs: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let mut text = String::from("# generated for the benchmark\n");
    for i in 0..n {
        text.push_str(&format!("SECRET_{i:05}=value-{i:05}-{}\n", "x".repeat(24)));
    }
    let (secret, public) = keyward_files::generate_identity();
    let ids = Identities::from_text(secret.expose(), "bench").expect("identity");
    let r = Recipients::parse([public]).expect("recipient");
    let parse = best(runs.max(5), || {
        keyward_dotenv::parse_to_map(&text).expect("parse").len()
    });
    let enc = keyward_files::encrypt(&text, Format::Dotenv, &r).expect("encrypt");
    let encrypt = best(runs, || {
        keyward_files::encrypt(&text, Format::Dotenv, &r)
            .expect("encrypt")
            .len()
    });
    let decrypt = best(runs, || {
        keyward_files::open(&enc, Format::Dotenv, &ids)
            .expect("open")
            .plaintext()
            .expect("plaintext")
            .len()
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("entries {n}");
    println!("threads {threads}");
    println!("parse {parse:.6}");
    println!("encrypt {encrypt:.6}");
    println!("decrypt {decrypt:.6}");
}
