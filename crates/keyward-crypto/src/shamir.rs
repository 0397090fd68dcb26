//! Unseal shares: the root key split with Shamir's secret sharing over GF(2^8)
//! (the `vsss-rs` crate does the field arithmetic; nothing here is hand-rolled).
//!
//! A share is one line of text an operator can read aloud or paste:
//!
//! ```text
//! kws1-<threshold>-<index>-<key id>-<64 hex: the share's bytes>-<8 hex checksum>
//! ```
//!
//! - `threshold` and `index` say how many shares unseal and which one this is;
//! - the key id (8 hex) names the root key the share belongs to (it is derived
//!   from the stored key-check value, so the server can name a share of another
//!   key, or of a key replaced by a rotation, without holding any key);
//! - the checksum (SHA-256 of everything before it, first 4 bytes) catches a
//!   mistyped share before it is ever combined, so a typo is named, not turned
//!   into a wrong key.
//!
//! A share with a valid checksum can still be forged or come from another split
//! of the same key: the server also keeps a digest of each issued share
//! ([`ShareSet::digests`]) and names a share whose digest does not match.

use crate::keys::{KEY_LEN, RootKey, constant_time_eq};
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use zeroize::{Zeroize, Zeroizing};

const PREFIX: &str = "kws1";
/// Most shares one split can make (GF(2^8) has 255 non-zero points).
pub const MAX_SHARES: u8 = 255;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShareError {
    #[error(
        "threshold {threshold} of {shares} shares is not possible: need 2 <= threshold <= shares <= 255"
    )]
    BadParameters { threshold: u8, shares: u8 },
    #[error(
        "this is not an unseal share (expected kws1-<threshold>-<index>-<key id>-<64 hex>-<checksum>)"
    )]
    NotAShare,
    #[error(
        "share {index} is mistyped: its checksum does not match; copy it again from where it is kept"
    )]
    Checksum { index: u8 },
    #[error(
        "share {index} belongs to root key {share_key_id}, not to this server's root key {expected_key_id} (a share of another data directory, or from before a root-key rotation)"
    )]
    WrongKey {
        index: u8,
        share_key_id: String,
        expected_key_id: String,
    },
    #[error(
        "share {index} says threshold {share_threshold}, but the shares of this root key need {expected_threshold}"
    )]
    WrongThreshold {
        index: u8,
        share_threshold: u8,
        expected_threshold: u8,
    },
    #[error(
        "share {index} was not issued for this root key (it does not match the share recorded at init)"
    )]
    NotIssued { index: u8 },
    #[error("share {index} was given twice")]
    Duplicate { index: u8 },
    #[error("{have} of {need} shares given: {need} are needed")]
    NotEnough { have: usize, need: u8 },
    #[error("the shares do not combine into a key: {0}")]
    Combine(String),
}

/// One parsed share. Its bytes are zeroized on drop; Debug shows only the index.
#[derive(Clone)]
pub struct Share {
    pub threshold: u8,
    pub index: u8,
    pub key_id: String,
    /// `[index] ‖ y-values`, as vsss-rs lays a GF(2^8) share out.
    bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Share")
            .field("threshold", &self.threshold)
            .field("index", &self.index)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// The public id of a root key, from its stored key-check value
/// ([`RootKey::check_value`]): 8 hex characters.
pub fn root_key_id(check_value: &str) -> String {
    let d = Sha256::new()
        .chain_update(b"keyward-root-key-id|")
        .chain_update(check_value.trim().as_bytes())
        .finalize();
    hex::encode(&d[..4])
}

fn checksum(body: &str) -> String {
    hex::encode(&Sha256::digest(body.as_bytes())[..4])
}

impl Share {
    /// The share as the text operators keep.
    pub fn to_text(&self) -> Zeroizing<String> {
        let body = Zeroizing::new(format!(
            "{PREFIX}-{}-{}-{}-{}",
            self.threshold,
            self.index,
            self.key_id,
            hex::encode(&self.bytes[1..])
        ));
        Zeroizing::new(format!("{}-{}", &*body, checksum(&body)))
    }

    /// Parses a share's text (surrounding whitespace ignored), checking its format
    /// and checksum. Says which share is mistyped when the index is readable.
    pub fn parse(text: &str) -> Result<Self, ShareError> {
        let t = text.trim();
        let parts: Vec<&str> = t.split('-').collect();
        let [prefix, threshold, index, key_id, payload, sum] = parts[..] else {
            return Err(ShareError::NotAShare);
        };
        if prefix != PREFIX {
            return Err(ShareError::NotAShare);
        }
        let index: u8 = index.parse().map_err(|_| ShareError::NotAShare)?;
        let body = &t[..t.len() - sum.len() - 1];
        if !constant_time_eq(
            checksum(body).as_bytes(),
            sum.to_ascii_lowercase().as_bytes(),
        ) {
            return Err(ShareError::Checksum { index });
        }
        let threshold: u8 = threshold.parse().map_err(|_| ShareError::NotAShare)?;
        if index == 0 || threshold < 2 || key_id.len() != 8 || payload.len() != 2 * KEY_LEN {
            return Err(ShareError::NotAShare);
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(1 + KEY_LEN));
        bytes.push(index);
        let mut y = hex::decode(payload).map_err(|_| ShareError::NotAShare)?;
        bytes.extend_from_slice(&y);
        y.zeroize();
        Ok(Self {
            threshold,
            index,
            key_id: key_id.to_ascii_lowercase(),
            bytes,
        })
    }

    /// A digest of the share to keep beside the data (the share's bytes are
    /// uniformly random on their own, so the digest reveals nothing usable).
    pub fn digest(&self) -> String {
        let d = Sha256::new()
            .chain_update(b"keyward-share-digest|")
            .chain_update(self.key_id.as_bytes())
            .chain_update([self.threshold])
            .chain_update(&*self.bytes)
            .finalize();
        hex::encode(d)
    }
}

/// What the data directory keeps about the shares of its root key: enough to name
/// a wrong share, nothing that helps to combine them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShareSet {
    pub threshold: u8,
    pub shares: u8,
    pub key_id: String,
    /// [`Share::digest`] of share `i` at position `i - 1`.
    pub digests: Vec<String>,
}

impl ShareSet {
    /// Checks one share against this set: the key, the threshold, and the digest
    /// recorded when it was issued.
    pub fn check(&self, share: &Share) -> Result<(), ShareError> {
        if share.key_id != self.key_id {
            return Err(ShareError::WrongKey {
                index: share.index,
                share_key_id: share.key_id.clone(),
                expected_key_id: self.key_id.clone(),
            });
        }
        if share.threshold != self.threshold {
            return Err(ShareError::WrongThreshold {
                index: share.index,
                share_threshold: share.threshold,
                expected_threshold: self.threshold,
            });
        }
        let known = self
            .digests
            .get(usize::from(share.index) - 1)
            .is_some_and(|d| constant_time_eq(d.as_bytes(), share.digest().as_bytes()));
        if !known {
            return Err(ShareError::NotIssued { index: share.index });
        }
        Ok(())
    }
}

/// The OS CSPRNG in the trait vsss-rs takes.
struct OsRandom;

impl rand_core_vsss::TryRng for OsRandom {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        crate::fill_random(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        crate::fill_random(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        crate::fill_random(dst);
        Ok(())
    }
}
impl rand_core_vsss::TryCryptoRng for OsRandom {}

/// Splits `root` into `shares` shares, any `threshold` of which give it back.
/// Returns the shares (index 1..=shares) and the set to store beside the data.
pub fn split_root_key(
    root: &RootKey,
    threshold: u8,
    shares: u8,
) -> Result<(Vec<Share>, ShareSet), ShareError> {
    if threshold < 2 || threshold > shares {
        return Err(ShareError::BadParameters { threshold, shares });
    }
    let key_id = root_key_id(&root.check_value());
    let secret = Zeroizing::new(root.to_bytes());
    let ids = (1..=shares).map(|i| vsss_rs::IdentifierGf256(vsss_rs::Gf256(i)));
    let raw = vsss_rs::Gf256::split_bytes_with_participant_ids_iter(
        usize::from(threshold),
        usize::from(shares),
        secret.as_slice(),
        OsRandom,
        ids,
    )
    .map_err(|e| ShareError::Combine(e.to_string()))?;
    let out: Vec<Share> = raw
        .into_iter()
        .map(|bytes| Share {
            threshold,
            index: bytes[0],
            key_id: key_id.clone(),
            bytes: Zeroizing::new(bytes),
        })
        .collect();
    let set = ShareSet {
        threshold,
        shares,
        key_id,
        digests: out.iter().map(Share::digest).collect(),
    };
    Ok((out, set))
}

/// Combines at least a threshold of distinct shares into the root key. The caller
/// checks the result against the key-check value (a wrong combination gives some
/// other 32 bytes, not an error).
pub fn combine_shares(shares: &[Share]) -> Result<RootKey, ShareError> {
    let Some(first) = shares.first() else {
        return Err(ShareError::NotEnough { have: 0, need: 2 });
    };
    let need = first.threshold;
    let mut seen = std::collections::BTreeSet::new();
    for s in shares {
        if !seen.insert(s.index) {
            return Err(ShareError::Duplicate { index: s.index });
        }
    }
    if shares.len() < usize::from(need) {
        return Err(ShareError::NotEnough {
            have: shares.len(),
            need,
        });
    }
    let raw: Vec<Vec<u8>> = shares.iter().map(|s| s.bytes.to_vec()).collect();
    let combined = vsss_rs::Gf256::combine_bytes(&raw);
    for mut r in raw {
        r.zeroize();
    }
    let secret = Zeroizing::new(combined.map_err(|e| ShareError::Combine(e.to_string()))?);
    RootKey::from_bytes(&secret).map_err(|e| ShareError::Combine(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subsets(n: u8, k: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize == k {
                out.push((0..n).filter(|i| mask & (1 << i) != 0).collect());
            }
        }
        out
    }

    #[test]
    fn every_threshold_subset_combines_and_no_smaller_one_does() {
        let root = RootKey::generate();
        let (shares, set) = split_root_key(&root, 3, 5).expect("split");
        assert_eq!(shares.len(), 5);
        let texts: Vec<_> = shares.iter().map(|s| s.to_text()).collect();
        for subset in subsets(5, 3) {
            let picked: Vec<Share> = subset
                .iter()
                .map(|&i| Share::parse(&texts[usize::from(i)]).expect("parses"))
                .collect();
            for s in &picked {
                set.check(s).expect("issued");
            }
            let back = combine_shares(&picked).expect("combines");
            assert_eq!(back.to_hex(), root.to_hex(), "subset {subset:?}");
        }
        for subset in subsets(5, 2) {
            let picked: Vec<Share> = subset
                .iter()
                .map(|&i| shares[usize::from(i)].clone())
                .collect();
            assert_eq!(
                combine_shares(&picked).map(|_| ()),
                Err(ShareError::NotEnough { have: 2, need: 3 })
            );
        }
    }

    #[test]
    fn a_mistyped_share_is_named_by_its_index() {
        let root = RootKey::generate();
        let (shares, _) = split_root_key(&root, 2, 3).expect("split");
        let text = shares[1].to_text().to_string();
        // Flip one hex digit of the payload.
        let pos = text.len() - 20;
        let mut bytes = text.into_bytes();
        bytes[pos] = if bytes[pos] == b'0' { b'1' } else { b'0' };
        let typo = String::from_utf8(bytes).expect("ascii");
        assert_eq!(
            Share::parse(&typo).map(|_| ()),
            Err(ShareError::Checksum { index: 2 })
        );
        assert!(
            ShareError::Checksum { index: 2 }
                .to_string()
                .contains("share 2 is mistyped")
        );
        assert_eq!(
            Share::parse("hello").map(|_| ()),
            Err(ShareError::NotAShare)
        );
    }

    #[test]
    fn a_share_of_another_key_or_another_split_is_named() {
        let root = RootKey::generate();
        let (_, set) = split_root_key(&root, 2, 3).expect("split");
        let (other_key, _) = split_root_key(&RootKey::generate(), 2, 3).expect("split");
        assert!(matches!(
            set.check(&other_key[0]),
            Err(ShareError::WrongKey { index: 1, .. })
        ));
        // Same key, split again: the checksum is fine, the share was not issued.
        let (resplit, _) = split_root_key(&root, 2, 3).expect("split");
        assert_eq!(
            set.check(&resplit[2]),
            Err(ShareError::NotIssued { index: 3 })
        );
        let (wider, _) = split_root_key(&root, 3, 3).expect("split");
        assert!(matches!(
            set.check(&wider[0]),
            Err(ShareError::WrongThreshold { .. })
        ));
    }

    #[test]
    fn parameters_are_checked_and_debug_hides_the_bytes() {
        let root = RootKey::generate();
        assert!(split_root_key(&root, 1, 3).is_err());
        assert!(split_root_key(&root, 4, 3).is_err());
        let (shares, _) = split_root_key(&root, 2, 2).expect("split");
        let text = shares[0].to_text().to_string();
        let payload = text.split('-').nth(4).expect("payload").to_string();
        assert!(!format!("{:?}", shares[0]).contains(&payload));
        assert_eq!(
            combine_shares(&[shares[0].clone(), shares[0].clone()]).map(|_| ()),
            Err(ShareError::Duplicate { index: 1 })
        );
    }
}
