//! Baselines: accepted findings recorded by fingerprint (never the secret text), so that later
//! scans report only new ones.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, ScanError};
use crate::scanner::Finding;

/// One accepted finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BaselineEntry {
    /// Finding fingerprint.
    pub fingerprint: String,
    /// Rule id (informational).
    pub rule: String,
    /// Path (informational).
    pub path: String,
    /// Line when recorded (informational; matching uses the fingerprint only).
    pub line: usize,
}

/// The baseline file (`.keyward-baseline.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// Accepted findings.
    pub findings: Vec<BaselineEntry>,
}

impl Baseline {
    /// Baseline of these findings.
    pub fn from_findings(findings: &[Finding]) -> Self {
        let mut seen = HashSet::new();
        let findings = findings
            .iter()
            .filter(|f| seen.insert(f.fingerprint.clone()))
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                rule: f.rule.clone(),
                path: f.path.clone(),
                line: f.line,
            })
            .collect();
        Self {
            version: 1,
            findings,
        }
    }

    /// Load a baseline file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ScanError::Baseline {
            path: path.to_path_buf(),
            message: format!("{e} (create it with --update-baseline)"),
        })?;
        serde_json::from_str(&text).map_err(|e| ScanError::Baseline {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Write the baseline file (pretty JSON, stable order).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut b = self.clone();
        b.findings
            .sort_by(|x, y| (&x.path, x.line, &x.rule).cmp(&(&y.path, y.line, &y.rule)));
        let text =
            serde_json::to_string_pretty(&b).map_err(|e| ScanError::Output(e.to_string()))?;
        std::fs::write(path, text + "\n").map_err(|e| ScanError::io(path, e))
    }

    /// Findings not in the baseline.
    pub fn filter(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let known: HashSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        findings
            .into_iter()
            .filter(|f| !known.contains(f.fingerprint.as_str()))
            .collect()
    }
}
