//! alert ls, alert test.

use super::client;
use crate::cli::AlertCmd;
use crate::output::print_json;
use anyhow::Result;

pub fn alert(c: AlertCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        AlertCmd::Ls { limit, json } => {
            let v = cl.alerts(limit)?;
            if json {
                print_json(&v.alerts);
            } else {
                if v.alerts.is_empty() {
                    eprintln!("no alerts yet");
                }
                let s = |f: &Option<String>| f.clone().unwrap_or_else(|| "-".into());
                for r in &v.alerts {
                    println!(
                        "{} {:<9} {:<10} {:<20} {:<12} {}{}",
                        s(&r.time),
                        r.severity,
                        r.state,
                        r.rule,
                        r.sink,
                        s(&r.summary),
                        r.last_error
                            .as_ref()
                            .map(|e| format!("  [last error: {e}]"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(0)
        }
        AlertCmd::Test { name, json } => {
            let v = cl.test_alert(&name)?;
            if json {
                print_json(&v);
            } else if v.delivered {
                println!("test alert delivered to {name} ({})", v.kind);
            } else {
                eprintln!(
                    "test alert to {name} failed: {}\n  hint: check the sink's settings in the server config file and that the receiver is up",
                    v.error.as_deref().unwrap_or("unknown error")
                );
            }
            Ok(if v.delivered { 0 } else { 1 })
        }
    }
}
