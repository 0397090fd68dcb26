//! Reporters: human (colour on a TTY), JSON array, SARIF 2.1.0.

use std::io::Write;

use serde_json::{Value, json};

use crate::rules::RuleDef;
use crate::scanner::Finding;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One block per finding, for people.
    Human,
    /// JSON array of findings.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
}

/// Write findings in `format`.
pub fn write(
    out: &mut dyn Write,
    format: Format,
    findings: &[Finding],
    rules: &[&RuleDef],
    color: bool,
) -> std::io::Result<()> {
    match format {
        Format::Human => human(out, findings, color),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, findings)?;
            writeln!(out)
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(findings, rules))?;
            writeln!(out)
        }
    }
}

fn human(out: &mut dyn Write, findings: &[Finding], color: bool) -> std::io::Result<()> {
    let (bold, red, dim, yellow, reset) = if color {
        ("\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[33m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    for f in findings {
        writeln!(
            out,
            "{bold}{}:{}:{}{reset}  {red}{}{reset}  {}",
            f.path, f.line, f.column, f.rule, f.preview
        )?;
        let mut extra = format!(
            "    {dim}score {:.2}  entropy {:.2}  fingerprint {}",
            f.score, f.entropy, f.fingerprint
        );
        if let Some(c) = &f.commit {
            extra.push_str(&format!("  commit {}", &c[..c.len().min(12)]));
        }
        if let Some(p) = &f.secret_path {
            extra.push_str(&format!("  {yellow}keyward secret {p}{dim}"));
        }
        writeln!(out, "{extra}{reset}")?;
    }
    if findings.is_empty() {
        writeln!(out, "no secrets found")?;
    } else {
        writeln!(out, "{bold}{} finding(s){reset}", findings.len())?;
    }
    Ok(())
}

/// The SARIF 2.1.0 log for these findings.
pub fn sarif(findings: &[Finding], rules: &[&RuleDef]) -> Value {
    let mut rule_list: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.description},
                "fullDescription": {"text": r.description},
                "defaultConfiguration": {"level": if r.generic { "warning" } else { "error" }},
                "properties": {"tags": ["security", "secret"]},
            })
        })
        .collect();
    if findings.iter().any(|f| f.rule == crate::managed::RULE_ID) {
        rule_list.push(json!({
            "id": crate::managed::RULE_ID,
            "name": crate::managed::RULE_ID,
            "shortDescription": {"text": "Value of a secret stored in keyward"},
            "defaultConfiguration": {"level": "error"},
        }));
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut msg = format!("{}: {}", f.description, f.preview);
            if let Some(p) = &f.secret_path {
                msg.push_str(&format!(" (keyward secret {p})"));
            }
            let mut props = json!({"score": f.score, "entropy": f.entropy});
            if let Some(c) = &f.commit {
                props["commit"] = json!(c);
            }
            json!({
                "ruleId": f.rule,
                "level": "error",
                "message": {"text": msg},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path.replace('\\', "/")},
                        "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line},
                    }
                }],
                "partialFingerprints": {"keywardFingerprint/v1": f.fingerprint},
                "properties": props,
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keyward-scan",
                "informationUri": "https://example.invalid/keyward",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_list,
            }},
            "results": results,
        }],
    })
}
