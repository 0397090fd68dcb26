//! Stand-alone driver for `keyward scan` (benchmarks and local use while the main binary is
//! assembled elsewhere): `kwscan PATH... [flags]` behaves like `keyward scan PATH... [flags]`.
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "kwscan", about = "keyward leak scanner (stand-alone driver)")]
struct Cli {
    #[command(flatten)]
    scan: keyward_scan::cli::ScanArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(keyward_scan::cli::run(&cli.scan, None));
}
