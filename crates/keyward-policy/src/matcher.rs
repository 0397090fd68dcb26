//! Pre-compiled glob patterns (`*`, `?`) with optional IAM policy variables.
//!
//! Patterns are tokenised once at parse time; matching walks the token list
//! over the input bytes with the classic single-backtrack-point algorithm
//! (O(n·m) worst case, no allocation, no regex).

use crate::evaluate::RequestContext;

/// One compiled token of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// Literal bytes (already unescaped).
    Lit(Box<[u8]>),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`: substituted from the request
    /// context at match time; the substituted text is matched literally.
    Var {
        key_lower: Box<str>,
        default: Option<Box<str>>,
    },
}

/// Options controlling how a pattern string is compiled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GlobOpts {
    /// `*` and `?` are wildcards (otherwise literal).
    pub wildcards: bool,
    /// `${...}` policy variables are recognised (Version 2012-10-17 only).
    pub variables: bool,
    /// ASCII case-insensitive comparison.
    pub case_insensitive: bool,
}

/// Common pattern shapes with a direct matching fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Exactly `*`.
    Any,
    /// One literal, no wildcards or variables.
    Exact,
    /// A literal followed by a trailing `*`.
    Prefix,
    /// Anything else: run the general matcher.
    General,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    toks: Box<[Tok]>,
    ci: bool,
    shape: Shape,
}

impl Glob {
    pub(crate) fn compile(pattern: &str, opts: GlobOpts) -> Glob {
        let mut toks: Vec<Tok> = Vec::new();
        let mut lit: Vec<u8> = Vec::new();
        let bytes = pattern.as_bytes();
        let mut i = 0;
        let flush = |lit: &mut Vec<u8>, toks: &mut Vec<Tok>| {
            if !lit.is_empty() {
                toks.push(Tok::Lit(std::mem::take(lit).into_boxed_slice()));
            }
        };
        while i < bytes.len() {
            let b = bytes[i];
            if opts.variables
                && b == b'$'
                && bytes.get(i + 1) == Some(&b'{')
                && let Some(end) = pattern[i + 2..].find('}')
            {
                let inner = &pattern[i + 2..i + 2 + end];
                i += end + 3;
                match inner {
                    "*" | "?" | "$" => lit.extend_from_slice(inner.as_bytes()),
                    _ => {
                        let (key, default) = split_default(inner);
                        flush(&mut lit, &mut toks);
                        toks.push(Tok::Var {
                            key_lower: key.to_ascii_lowercase().into_boxed_str(),
                            default: default.map(Into::into),
                        });
                    }
                }
                continue;
            }
            if opts.wildcards && (b == b'*' || b == b'?') {
                flush(&mut lit, &mut toks);
                if b == b'*' {
                    // Collapse runs of `*`.
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                } else {
                    toks.push(Tok::One);
                }
            } else {
                lit.push(b);
            }
            i += 1;
        }
        flush(&mut lit, &mut toks);
        let shape = match toks.as_slice() {
            [Tok::Star] => Shape::Any,
            [Tok::Lit(_)] => Shape::Exact,
            [Tok::Lit(_), Tok::Star] => Shape::Prefix,
            _ => Shape::General,
        };
        Glob {
            toks: toks.into_boxed_slice(),
            ci: opts.case_insensitive,
            shape,
        }
    }

    /// Does the pattern contain any `*`/`?` wildcard token?
    pub(crate) fn has_wildcards(&self) -> bool {
        self.toks.iter().any(|t| matches!(t, Tok::Star | Tok::One))
    }

    /// Match `input` against the pattern. `ctx` supplies policy-variable
    /// values; a variable with no value (and no default) never matches.
    pub(crate) fn matches(&self, input: &str, ctx: Option<&RequestContext>) -> bool {
        let s = input.as_bytes();
        let toks = &self.toks;
        match (self.shape, toks.first()) {
            (Shape::Any, _) => return true,
            (Shape::Exact, Some(Tok::Lit(l))) => {
                return s.len() == l.len() && eq_at(s, 0, l, self.ci);
            }
            (Shape::Prefix, Some(Tok::Lit(l))) => return eq_at(s, 0, l, self.ci),
            _ => {}
        }
        let (mut ti, mut si) = (0usize, 0usize);
        // Backtrack point: token index after the last `*`, and input position.
        let mut star: Option<(usize, usize)> = None;
        loop {
            if ti < toks.len() {
                let advanced = match &toks[ti] {
                    Tok::Star => {
                        if ti + 1 == toks.len() {
                            return true; // trailing `*` matches the rest
                        }
                        star = Some((ti + 1, si));
                        ti += 1;
                        continue;
                    }
                    Tok::One => match char_len(s, si) {
                        Some(n) => {
                            si += n;
                            true
                        }
                        None => false,
                    },
                    Tok::Lit(l) => {
                        if eq_at(s, si, l, self.ci) {
                            si += l.len();
                            true
                        } else {
                            false
                        }
                    }
                    Tok::Var { key_lower, default } => {
                        match resolve(key_lower, default.as_deref(), ctx) {
                            None => return false,
                            Some(v) => {
                                if eq_at(s, si, v.as_bytes(), self.ci) {
                                    si += v.len();
                                    true
                                } else {
                                    false
                                }
                            }
                        }
                    }
                };
                if advanced {
                    ti += 1;
                    continue;
                }
            } else if si == s.len() {
                return true;
            }
            // Mismatch (or tokens exhausted with input left): backtrack.
            match star {
                Some((sti, ssi)) => match char_len(s, ssi) {
                    Some(n) => {
                        star = Some((sti, ssi + n));
                        ti = sti;
                        si = ssi + n;
                    }
                    None => return false,
                },
                None => return false,
            }
        }
    }
}

fn split_default(inner: &str) -> (&str, Option<&str>) {
    // `${aws:username, 'default'}`
    if let Some(comma) = inner.find(',') {
        let key = inner[..comma].trim();
        let rest = inner[comma + 1..].trim();
        if rest.len() >= 2 && rest.starts_with('\'') && rest.ends_with('\'') {
            return (key, Some(&rest[1..rest.len() - 1]));
        }
        return (key, None);
    }
    (inner.trim(), None)
}

fn resolve<'a>(
    key_lower: &str,
    default: Option<&'a str>,
    ctx: Option<&'a RequestContext>,
) -> Option<&'a str> {
    let from_ctx = ctx.and_then(|c| c.get_lower(key_lower)).and_then(|vals| {
        // Multi-valued keys cannot be used as policy variables.
        if vals.len() == 1 {
            Some(vals[0].as_str())
        } else {
            None
        }
    });
    from_ctx.or(default)
}

#[inline]
fn eq_at(s: &[u8], at: usize, lit: &[u8], ci: bool) -> bool {
    match s.get(at..at + lit.len()) {
        Some(window) => {
            if ci {
                window.eq_ignore_ascii_case(lit)
            } else {
                window == lit
            }
        }
        None => false,
    }
}

/// Length in bytes of the UTF-8 character starting at `at`, or `None` at end.
#[inline]
fn char_len(s: &[u8], at: usize) -> Option<usize> {
    let b = *s.get(at)?;
    let n = match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        _ => 1, // continuation byte: cannot start a char in valid UTF-8
    };
    Some(n.min(s.len() - at))
}

/// Split `s` on `:` at most `n - 1` times, ignoring colons inside `${...}`.
fn split_arn_pattern(s: &str, n: usize) -> Vec<&str> {
    let mut parts = Vec::with_capacity(n);
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut in_var = false;
    let mut i = 0;
    while i < bytes.len() && parts.len() + 1 < n {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                in_var = true;
                i += 1;
            }
            b'}' if in_var => in_var = false,
            b':' if !in_var => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&s[start..]);
    parts
}

/// An ARN pattern: when the pattern has the six colon-separated ARN parts,
/// each of the first five segments is matched separately (a wildcard never
/// spans a `:` there) and the resource part (which may itself contain `:`)
/// is matched as a whole. Other patterns (e.g. `*`) are plain globs.
#[derive(Debug, Clone)]
pub(crate) enum ArnPattern {
    Segments(Box<[Glob; 6]>),
    Whole(Glob),
}

impl ArnPattern {
    pub(crate) fn compile(pattern: &str, variables: bool) -> ArnPattern {
        let opts = GlobOpts {
            wildcards: true,
            variables,
            case_insensitive: false,
        };
        let parts = split_arn_pattern(pattern, 6);
        // With literal service/region/account segments, colon positions are
        // fixed and whole-string matching is equivalent (and faster).
        let literal_head = parts
            .iter()
            .take(5)
            .all(|p| !(p.contains(['*', '?']) || (variables && p.contains("${"))));
        if parts.len() == 6 && !literal_head {
            let segs: [Glob; 6] = std::array::from_fn(|i| Glob::compile(parts[i], opts));
            ArnPattern::Segments(Box::new(segs))
        } else {
            ArnPattern::Whole(Glob::compile(pattern, opts))
        }
    }

    pub(crate) fn matches(&self, arn: &str, ctx: Option<&RequestContext>) -> bool {
        match self {
            ArnPattern::Whole(g) => g.matches(arn, ctx),
            ArnPattern::Segments(segs) => {
                let b = arn.as_bytes();
                let mut start = 0;
                for seg in segs.iter().take(5) {
                    let Some(len) = b[start..].iter().position(|&c| c == b':') else {
                        return false;
                    };
                    // `:` is ASCII, so these are char boundaries.
                    if seg.shape != Shape::Any && !seg.matches(&arn[start..start + len], ctx) {
                        return false;
                    }
                    start += len + 1;
                }
                segs[5].matches(&arn[start..], ctx)
            }
        }
    }

    pub(crate) fn has_wildcards(&self) -> bool {
        match self {
            ArnPattern::Whole(g) => g.has_wildcards(),
            ArnPattern::Segments(s) => s.iter().any(Glob::has_wildcards),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, ci: bool) -> Glob {
        Glob::compile(
            p,
            GlobOpts {
                wildcards: true,
                variables: true,
                case_insensitive: ci,
            },
        )
    }

    #[test]
    fn glob_table() {
        let cases: &[(&str, &str, bool, bool)] = &[
            ("*", "", false, true),
            ("*", "anything:at/all", false, true),
            ("a*", "a", false, true),
            ("a*", "b", false, false),
            ("*a", "bba", false, true),
            ("*a", "bab", false, false),
            ("a?c", "abc", false, true),
            ("a?c", "ac", false, false),
            ("a?c", "aéc", false, true),
            ("a**b", "ab", false, true),
            ("*x*y*", "axbyc", false, true),
            ("*x*y*", "aybxc", false, false),
            (
                "secretsmanager:Get*",
                "secretsmanager:GetSecretValue",
                true,
                true,
            ),
            (
                "secretsmanager:Get*",
                "SECRETSMANAGER:getsecretvalue",
                true,
                true,
            ),
            (
                "secretsmanager:Get*",
                "secretsmanager:PutSecretValue",
                true,
                false,
            ),
            ("Abc", "abc", false, false),
            ("Abc", "abc", true, true),
            ("a*b*c*d", "aXbXcXd", false, true),
            ("a*b*c*d", "aXbXcX", false, false),
            ("literal", "literal", false, true),
            ("literal", "literalx", false, false),
            ("${*}", "*", false, true),
            ("${*}", "x", false, false),
            ("${?}${$}", "?$", false, true),
        ];
        for (p, s, ci, want) in cases {
            assert_eq!(g(p, *ci).matches(s, None), *want, "{p} vs {s} ci={ci}");
        }
    }

    #[test]
    fn no_wildcards_mode_is_literal() {
        let gl = Glob::compile(
            "a*b",
            GlobOpts {
                wildcards: false,
                variables: false,
                case_insensitive: false,
            },
        );
        assert!(gl.matches("a*b", None));
        assert!(!gl.matches("axb", None));
    }

    #[test]
    fn variables() {
        let ctx = RequestContext::new("a:b", "r", "p", "1").with_value("aws:username", "alice");
        let p = g("home/${aws:username}/*", false);
        assert!(p.matches("home/alice/x", Some(&ctx)));
        assert!(!p.matches("home/bob/x", Some(&ctx)));
        assert!(!p.matches("home/alice/x", None));
        let d = g("home/${aws:PrincipalTag/team, 'shared'}/*", false);
        assert!(d.matches("home/shared/x", Some(&ctx)));
        let literal = Glob::compile(
            "home/${aws:username}",
            GlobOpts {
                wildcards: true,
                variables: false,
                case_insensitive: false,
            },
        );
        assert!(literal.matches("home/${aws:username}", Some(&ctx)));
    }

    #[test]
    fn arn_segments() {
        let p = ArnPattern::compile("arn:aws:ssm:*:*:parameter/myapp/prod/*", true);
        assert!(p.matches(
            "arn:aws:ssm:us-east-1:123456789012:parameter/myapp/prod/database_url",
            None
        ));
        assert!(!p.matches(
            "arn:aws:ssm:us-east-1:123456789012:parameter/myapp/staging/database_url",
            None
        ));
        // `*` in the region segment cannot swallow a colon.
        let q = ArnPattern::compile("arn:aws:secretsmanager:*:secret:x", true);
        assert!(!q.matches("arn:aws:secretsmanager:us-east-1:123:secret:x", None));
        let v = ArnPattern::compile("arn:aws:iam::*:user/${aws:username}", true);
        let ctx = RequestContext::new("a:b", "r", "p", "1").with_value("aws:username", "bob");
        assert!(v.matches("arn:aws:iam::123:user/bob", Some(&ctx)));
        assert!(!v.matches("arn:aws:iam::123:user/alice", Some(&ctx)));
        assert!(ArnPattern::compile("*", true).matches("whatever", None));
    }
}
