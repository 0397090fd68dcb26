//! A streaming redactor for `keyward run --redact`: masks every occurrence of a set
//! of secret values in a byte stream written in arbitrary chunks, including values
//! split across writes. It holds back at most `longest secret - 1` bytes and
//! releases them on [`Redactor::finish`] (or, best effort, on drop).
//!
//! The result equals a one-shot leftmost-longest replacement over the whole stream.

use aho_corasick::{AhoCorasick, MatchKind};
use keyward_crypto::SecretString;
use std::fmt;
use std::io::{self, Write};

/// The default replacement.
pub const DEFAULT_MASK: &[u8] = b"[REDACTED]";

#[derive(Debug, thiserror::Error)]
#[error("could not build the redaction matcher: {0}")]
pub struct RedactError(String);

/// Masks secrets in everything written through it.
pub struct Redactor<W: Write> {
    inner: Option<W>,
    matcher: Option<AhoCorasick>,
    max_len: usize,
    mask: Vec<u8>,
    buf: Vec<u8>,
}

impl<W: Write> fmt::Debug for Redactor<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("max_len", &self.max_len)
            .field("held", &self.buf.len())
            .finish()
    }
}

impl<W: Write> Redactor<W> {
    /// A redactor over `inner` masking each non-empty value in `secrets`. The caller
    /// should leave out trivial values (`1`, `true`) that would mask ordinary text.
    pub fn new<'s>(
        inner: W,
        secrets: impl IntoIterator<Item = &'s SecretString>,
    ) -> Result<Self, RedactError> {
        let pats: Vec<&[u8]> = secrets
            .into_iter()
            .map(|s| s.expose().as_bytes())
            .filter(|p| !p.is_empty())
            .collect();
        let max_len = pats.iter().map(|p| p.len()).max().unwrap_or(0);
        let matcher = if pats.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&pats)
                    .map_err(|e| RedactError(e.to_string()))?,
            )
        };
        Ok(Self {
            inner: Some(inner),
            matcher,
            max_len,
            mask: DEFAULT_MASK.to_vec(),
            buf: Vec::new(),
        })
    }

    /// Replaces the mask text.
    pub fn with_mask(mut self, mask: &[u8]) -> Self {
        self.mask = mask.to_vec();
        self
    }

    /// Writes out everything that can no longer be the start of a secret; with
    /// `all`, everything.
    fn drain(&mut self, all: bool) -> io::Result<()> {
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        let Some(matcher) = &self.matcher else {
            inner.write_all(&self.buf)?;
            self.buf.clear();
            return Ok(());
        };
        let limit = if all {
            self.buf.len()
        } else {
            self.buf.len().saturating_sub(self.max_len - 1)
        };
        let mut out = Vec::with_capacity(self.buf.len());
        let mut cursor = 0;
        for m in matcher.find_iter(&self.buf) {
            if m.start() >= limit {
                break;
            }
            out.extend_from_slice(&self.buf[cursor..m.start()]);
            out.extend_from_slice(&self.mask);
            cursor = m.end();
        }
        let keep_from = cursor.max(limit);
        out.extend_from_slice(&self.buf[cursor..keep_from]);
        inner.write_all(&out)?;
        self.buf.drain(..keep_from);
        Ok(())
    }

    /// Releases held-back bytes, flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.drain(true)?;
        let mut inner = self
            .inner
            .take()
            .ok_or_else(|| io::Error::other("redactor already finished"))?;
        inner.flush()?;
        Ok(inner)
    }
}

impl<W: Write> Write for Redactor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.drain(false)?;
        Ok(data.len())
    }

    /// Flushes the inner writer. Held-back bytes (at most `max_len - 1`) stay held:
    /// releasing them could expose the start of a secret. Use [`Redactor::finish`].
    fn flush(&mut self) -> io::Result<()> {
        match self.inner.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl<W: Write> Drop for Redactor<W> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            let _ = self.drain(true);
            if let Some(w) = self.inner.as_mut() {
                let _ = w.flush();
            }
        }
    }
}

/// One-shot masking of `data` (the reference the streaming form must equal).
pub fn redact_all(data: &[u8], secrets: &[SecretString], mask: &[u8]) -> Vec<u8> {
    let pats: Vec<&[u8]> = secrets
        .iter()
        .map(|s| s.expose().as_bytes())
        .filter(|p| !p.is_empty())
        .collect();
    if pats.is_empty() {
        return data.to_vec();
    }
    match AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&pats)
    {
        Ok(ac) => {
            let mut out = Vec::new();
            ac.replace_all_with_bytes(data, &mut out, |_, _, dst| {
                dst.extend_from_slice(mask);
                true
            });
            out
        }
        Err(_) => data.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(list: &[&str]) -> Vec<SecretString> {
        list.iter().map(|s| SecretString::from(*s)).collect()
    }

    fn stream(chunks: &[&[u8]], s: &[SecretString]) -> Vec<u8> {
        let mut r = Redactor::new(Vec::new(), s).expect("build");
        for c in chunks {
            r.write_all(c).expect("write");
        }
        r.finish().expect("finish")
    }

    #[test]
    fn every_single_and_double_split_point() {
        let s = secrets(&["hunter2-secret", "abc", "abcdef", "xyzzy"]);
        let input =
            b"start hunter2-secret mid abcdefg abcab xyzzhunter2-secretxyzzy end abc".as_slice();
        let want = redact_all(input, &s, DEFAULT_MASK);
        assert!(!String::from_utf8_lossy(&want).contains("hunter2"));
        for i in 0..=input.len() {
            assert_eq!(
                stream(&[&input[..i], &input[i..]], &s),
                want,
                "split at {i}"
            );
            for j in i..=input.len() {
                assert_eq!(
                    stream(&[&input[..i], &input[i..j], &input[j..]], &s),
                    want,
                    "split at {i},{j}"
                );
            }
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(stream(&bytes, &s), want);
    }

    #[test]
    fn holds_back_at_most_max_len_minus_one() {
        let s = secrets(&["0123456789"]);
        let mut r = Redactor::new(Vec::new(), &s).expect("build");
        r.write_all(b"aaaaaaaaaaaaaaaaaaaa").expect("write");
        assert_eq!(r.buf.len(), 9);
        assert_eq!(r.inner.as_ref().expect("inner").len(), 11);
        let out = r.finish().expect("finish");
        assert_eq!(out, b"aaaaaaaaaaaaaaaaaaaa");
    }

    #[test]
    fn no_secrets_passes_through_and_drop_flushes() {
        let mut out = Vec::new();
        {
            let mut r = Redactor::new(&mut out, &[]).expect("build");
            r.write_all(b"plain").expect("write");
        }
        assert_eq!(out, b"plain");
        let s = secrets(&["topsecret"]);
        let mut out = Vec::new();
        {
            let mut r = Redactor::new(&mut out, &s)
                .expect("build")
                .with_mask(b"***");
            r.write_all(b"x topsec").expect("write");
            r.write_all(b"ret y").expect("write");
        }
        assert_eq!(out, b"x *** y");
    }
}
