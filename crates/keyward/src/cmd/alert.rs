//! alert ls, alert test.

use super::client;
use crate::cli::AlertCmd;
use crate::output::print_json;
use anyhow::Result;
use reqwest::Method;
use serde_json::json;

pub fn alert(c: AlertCmd) -> Result<i32> {
    let cl = client()?;
    match c {
        AlertCmd::Ls { limit, json } => {
            let q = vec![("limit", limit.to_string())];
            let v = cl.call(Method::GET, "/v1/alerts", &q, None, "alerts")?;
            if json {
                print_json(&v["alerts"]);
            } else {
                let rows = v["alerts"].as_array().cloned().unwrap_or_default();
                if rows.is_empty() {
                    eprintln!("no alerts yet");
                }
                for r in rows {
                    let s = |k: &str| r[k].as_str().unwrap_or("-").to_string();
                    println!(
                        "{} {:<9} {:<10} {:<20} {:<12} {}{}",
                        s("time"),
                        s("severity"),
                        s("state"),
                        s("rule"),
                        s("sink"),
                        s("summary"),
                        r["last_error"]
                            .as_str()
                            .map(|e| format!("  [last error: {e}]"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(0)
        }
        AlertCmd::Test { name, json } => {
            let body = json!({ "sink": name });
            let v = cl.call(
                Method::POST,
                "/v1/alerts/test",
                &[],
                Some(&body),
                "alert sink",
            )?;
            let delivered = v["delivered"].as_bool().unwrap_or(false);
            if json {
                print_json(&v);
            } else if delivered {
                println!(
                    "test alert delivered to {name} ({})",
                    v["type"].as_str().unwrap_or_default()
                );
            } else {
                eprintln!(
                    "test alert to {name} failed: {}\n  hint: check the sink's settings in the server config file and that the receiver is up",
                    v["error"].as_str().unwrap_or("unknown error")
                );
            }
            Ok(if delivered { 0 } else { 1 })
        }
    }
}
