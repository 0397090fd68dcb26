//! The matcher: an Aho-Corasick keyword prefilter over the whole buffer, then every rule's
//! regex on the lines (windows) that contain one of its keywords. Rules are independent: a
//! generic match never hides a specific one; overlapping generic findings are dropped only
//! after all rules ran.

mod describe;
mod exclude;

pub use describe::{fingerprint, mask, redact};
pub use exclude::is_lockfile;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::{memchr, memrchr};
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ScanError};
use crate::managed::{self, ManagedFingerprints};
use crate::rules::{RuleDef, RuleSet};
use crate::validate::validate;
use describe::LineIndex;
use exclude::{allowed_inline, excluded_key};

/// Lines longer than this are not scanned whole: only a window around each keyword hit.
const LONG_LINE: usize = 4096;
const WINDOW_BEFORE: usize = 512;
const WINDOW_AFTER: usize = 2048;

/// One reported secret. Never contains the secret itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    /// Rule id (`managed-secret` for store-aware matches).
    pub rule: String,
    /// Rule description.
    pub description: String,
    /// File path as given / relative to the scanned root (blob path in git mode).
    pub path: String,
    /// 1-based line of the start of the secret.
    pub line: usize,
    /// 1-based column (characters) of the start of the secret.
    pub column: usize,
    /// 1-based line where the secret ends (PEM blocks span several lines).
    pub end_line: usize,
    /// Redacted preview: a few leading characters, the rest masked.
    pub preview: String,
    /// Stable fingerprint: SHA-256 over rule, path and secret (hex, 128 bits).
    pub fingerprint: String,
    /// Likelihood 0..1 that this is a real secret.
    pub score: f64,
    /// Shannon entropy (bits/char) of the secret.
    pub entropy: f64,
    /// Commit that introduced the blob (`--git` / `--staged` scans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// keyward secret path of a `managed-secret` match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_path: Option<String>,
}

#[derive(Debug)]
struct CompiledRule {
    def: RuleDef,
    re: Regex,
    allow: Vec<Regex>,
    secret_groups: Vec<usize>,
    user_group: Option<usize>,
}

#[derive(Debug)]
struct Prefilter {
    ac: AhoCorasick,
    /// pattern index -> rule indices
    rules: Vec<Vec<usize>>,
}

/// A compiled rule set, cheap to share between threads (`&Scanner` is `Sync`).
#[derive(Debug)]
pub struct Scanner {
    rules: Vec<CompiledRule>,
    prefilters: Vec<Prefilter>,
    unkeyed: Vec<usize>,
    /// Whether a store-aware finding's preview shows the value's first characters.
    managed_prefix: bool,
}

/// A match before line/column resolution.
#[derive(Debug)]
struct Raw {
    rule: usize,
    start: usize,
    end: usize,
    secret_end: usize,
    score: f64,
    entropy: f64,
}

impl Scanner {
    /// Compile a rule set.
    pub fn new(rules: RuleSet) -> Result<Self> {
        let mut compiled = Vec::with_capacity(rules.rules.len());
        for def in rules.rules {
            let build = |src: &str| {
                RegexBuilder::new(src)
                    .unicode(false)
                    .size_limit(50 << 20)
                    .build()
                    .map_err(|e| ScanError::Regex {
                        rule: def.id.clone(),
                        source: Box::new(e),
                    })
            };
            let re = build(&def.regex)?;
            let allow = def
                .allow
                .iter()
                .map(|a| build(a))
                .collect::<Result<Vec<_>>>()?;
            let mut secret_groups: Vec<usize> = re
                .capture_names()
                .enumerate()
                .filter(|(_, n)| n.is_some_and(|n| n.starts_with("secret")))
                .map(|(i, _)| i)
                .collect();
            if secret_groups.is_empty() {
                secret_groups.push(usize::from(re.captures_len() > 1));
            }
            let user_group = re.capture_names().position(|n| n == Some("user"));
            compiled.push(CompiledRule {
                def,
                re,
                allow,
                secret_groups,
                user_group,
            });
        }
        let mut prefilters = Vec::new();
        let mut unkeyed = Vec::new();
        for case_sensitive in [true, false] {
            let mut pats: Vec<String> = Vec::new();
            let mut map: Vec<Vec<usize>> = Vec::new();
            for (ri, r) in compiled.iter().enumerate() {
                if r.def.keywords.is_empty() {
                    if case_sensitive {
                        unkeyed.push(ri);
                    }
                    continue;
                }
                if r.def.case_sensitive != case_sensitive {
                    continue;
                }
                for k in &r.def.keywords {
                    let k = if case_sensitive {
                        k.clone()
                    } else {
                        k.to_ascii_lowercase()
                    };
                    match pats.iter().position(|p| *p == k) {
                        Some(i) => map[i].push(ri),
                        None => {
                            pats.push(k);
                            map.push(vec![ri]);
                        }
                    }
                }
            }
            if pats.is_empty() {
                continue;
            }
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(!case_sensitive)
                .match_kind(MatchKind::Standard)
                .build(&pats)
                .map_err(|e| ScanError::Rules {
                    origin: "keywords".into(),
                    message: e.to_string(),
                })?;
            prefilters.push(Prefilter { ac, rules: map });
        }
        Ok(Self {
            rules: compiled,
            prefilters,
            unkeyed,
            managed_prefix: false,
        })
    }

    /// Let store-aware (`managed-secret`) previews show the value's first characters, as
    /// pattern findings do (`--show-prefix`); by default they show none.
    pub fn with_managed_prefix(mut self, show: bool) -> Self {
        self.managed_prefix = show;
        self
    }

    /// Scanner over the built-in rules.
    pub fn builtin() -> Result<Self> {
        Self::new(RuleSet::builtin())
    }

    /// Rule definitions, in order.
    pub fn rules(&self) -> impl Iterator<Item = &RuleDef> {
        self.rules.iter().map(|r| &r.def)
    }

    /// Scan one buffer. `path` is used for reporting, fingerprints and lock-file detection.
    pub fn scan_bytes(&self, path: &str, data: &[u8]) -> Vec<Finding> {
        self.scan_bytes_with(path, data, None)
    }

    /// Scan one buffer, also matching values of a secret store ([`ManagedFingerprints`]).
    pub fn scan_bytes_with(
        &self,
        path: &str,
        data: &[u8],
        managed: Option<&dyn ManagedFingerprints>,
    ) -> Vec<Finding> {
        let masked = crate::encrypted::mask(data);
        let data = masked.as_deref().unwrap_or(data);
        let lockfile = is_lockfile(path);
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.rules.len()];
        for pf in &self.prefilters {
            for m in pf.ac.find_overlapping_iter(data) {
                let mut w = None;
                for &ri in &pf.rules[m.pattern().as_usize()] {
                    if lockfile && self.rules[ri].def.generic {
                        continue;
                    }
                    let w = *w.get_or_insert_with(|| window(data, m.start()));
                    let v = &mut windows[ri];
                    match v.last_mut() {
                        Some(last) if w.0 <= last.1 && w.0 >= last.0 => last.1 = last.1.max(w.1),
                        _ => v.push(w),
                    }
                }
            }
        }
        for &ri in &self.unkeyed {
            windows[ri].push((0, data.len()));
        }
        let mut raws = Vec::new();
        for (ri, ws) in windows.iter_mut().enumerate() {
            if ws.is_empty() {
                continue;
            }
            ws.sort_unstable();
            let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ws.len());
            for &w in ws.iter() {
                match merged.last_mut() {
                    Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
                    _ => merged.push(w),
                }
            }
            for (s, e) in merged {
                self.match_rule(ri, data, s, e, &mut raws);
            }
        }
        let mut findings = self.resolve(path, data, raws);
        findings.extend(crate::encrypted::plaintext_finding(path, data));
        if let Some(m) = managed {
            findings.extend(self.resolve_managed(path, data, managed::find(data, m)));
            findings.sort_by_key(|f| (f.line, f.column));
        }
        findings
    }

    fn match_rule(&self, ri: usize, data: &[u8], ws: usize, we: usize, out: &mut Vec<Raw>) {
        let rule = &self.rules[ri];
        let hay = &data[ws..we];
        for caps in rule.re.captures_iter(hay) {
            let Some(m) = rule.secret_groups.iter().find_map(|&g| caps.get(g)) else {
                continue;
            };
            let (start, end) = (ws + m.start(), ws + m.end());
            let secret = &data[start..end];
            if rule.allow.iter().any(|a| a.is_match(secret)) {
                continue;
            }
            let user = rule
                .user_group
                .and_then(|g| caps.get(g))
                .map(|u| u.as_bytes());
            let d = &rule.def;
            let Some(v) = validate(
                d.validate,
                d.min_entropy,
                d.confidence,
                data,
                start,
                end,
                user,
            ) else {
                continue;
            };
            if d.generic {
                if let Some(k) = caps.name("key") {
                    let before = (ws + k.start()).checked_sub(1).map(|i| data[i]);
                    if excluded_key(k.as_bytes())
                        || matches!(before, Some(b':' | b'/' | b'>' | b'$'))
                    {
                        continue;
                    }
                }
                // an unquoted value must end the expression: `x = foo(`, `x = a[`, `x = a::b` are code
                let quoted = start > 0 && matches!(data[start - 1], b'"' | b'\'' | b'`' | b'>');
                if !quoted
                    && matches!(
                        data.get(end),
                        Some(b'(' | b'[' | b':' | b'{' | b'<' | b'&' | b'|' | b'=')
                    )
                {
                    continue;
                }
            }
            if allowed_inline(data, start) {
                continue;
            }
            out.push(Raw {
                rule: ri,
                start,
                end,
                secret_end: v.end,
                score: v.score,
                entropy: v.entropy,
            });
        }
    }

    /// Drop generic matches overlapping specific ones, then compute lines/columns.
    fn resolve(&self, path: &str, data: &[u8], mut raws: Vec<Raw>) -> Vec<Finding> {
        raws.sort_by_key(|r| (r.start, r.rule));
        let specific: Vec<(usize, usize)> = raws
            .iter()
            .filter(|r| !self.rules[r.rule].def.generic)
            .map(|r| (r.start, r.end))
            .collect();
        raws.retain(|r| {
            if !self.rules[r.rule].def.generic {
                return true;
            }
            let hi = specific.partition_point(|s| s.0 < r.end);
            !specific[..hi].iter().rev().take(64).any(|s| s.1 > r.start)
        });
        // two generic rules on overlapping spans, or two rules on the very same span: keep the
        // first (rule file order puts the more specific rules first)
        raws.sort_by_key(|r| (r.start, r.end, r.rule));
        raws.dedup_by(|b, a| {
            (a.start == b.start && a.end == b.end)
                || (a.start < b.end
                    && b.start < a.end
                    && self.rules[a.rule].def.generic
                    && self.rules[b.rule].def.generic)
        });
        let mut lines = LineIndex::new(data);
        raws.into_iter()
            .map(|r| {
                let def = &self.rules[r.rule].def;
                let secret = &data[r.start..r.secret_end];
                let (line, column) = lines.locate(r.start);
                let end_line =
                    line + memchr::memchr_iter(b'\n', &data[r.start..r.secret_end]).count();
                Finding {
                    rule: def.id.clone(),
                    description: def.description.clone(),
                    path: path.to_string(),
                    line,
                    column,
                    end_line,
                    preview: redact(&data[r.start..r.end]),
                    fingerprint: fingerprint(&def.id, path, secret),
                    score: round3(r.score),
                    entropy: round3(r.entropy),
                    commit: None,
                    secret_path: None,
                }
            })
            .collect()
    }

    fn resolve_managed(&self, path: &str, data: &[u8], hits: Vec<managed::Hit>) -> Vec<Finding> {
        let mut lines = LineIndex::new(data);
        hits.into_iter()
            .filter(|h| !allowed_inline(data, h.start))
            .map(|h| {
                let (line, column) = lines.locate(h.start);
                Finding {
                    rule: managed::RULE_ID.into(),
                    description: "value of a secret stored in keyward".into(),
                    path: path.to_string(),
                    line,
                    column,
                    end_line: line,
                    preview: if self.managed_prefix {
                        redact(&data[h.start..h.end])
                    } else {
                        mask(&data[h.start..h.end])
                    },
                    fingerprint: fingerprint(managed::RULE_ID, path, &data[h.start..h.end]),
                    score: 1.0,
                    entropy: round3(crate::entropy::shannon(&data[h.start..h.end])),
                    commit: None,
                    secret_path: Some(h.secret_path),
                }
            })
            .collect()
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The line around `pos`, or a window of it when the line is very long (minified code).
fn window(data: &[u8], pos: usize) -> (usize, usize) {
    let ls = memrchr(b'\n', &data[..pos]).map_or(0, |i| i + 1);
    let le = memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
    if le - ls <= LONG_LINE {
        (ls, le)
    } else {
        (
            ls.max(pos.saturating_sub(WINDOW_BEFORE)),
            le.min(pos + WINDOW_AFTER),
        )
    }
}
