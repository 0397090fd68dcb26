//! Envelope encryption of one secret version.
//!
//! Two layouts, told apart by their first byte (all fixed sizes, so parsing cannot be
//! ambiguous):
//! - v1: `[1][wrap nonce 24][wrapped data key 32+16][data nonce 24][ciphertext+tag]`,
//!   wrapped by a KEK the reader must already know. Still written for the offline
//!   snapshot, and read for values stored before the keyring existed.
//! - v2: `[2][key id u32 BE][wrap nonce 24][wrapped data key 32+16][data nonce 24][ciphertext+tag]`,
//!   the key id naming the keyring key whose KEK wrapped the data key, so the reader
//!   knows which KEK to use and a root-key rotation only re-wraps the keyring.
//!
//! The data key is fresh per version. The associated data (for example
//! `secret-arn|version-id`) is bound to both the wrapped key and the ciphertext, and
//! in v2 the header (format and key id) is bound too, so a blob moved to another row,
//! or relabelled with another key id, fails to open.

use crate::keys::{KEY_LEN, Kek};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const FORMAT_V2: u8 = 2;
pub(crate) const NONCE_LEN: usize = 24;
pub(crate) const TAG_LEN: usize = 16;
const WRAPPED_LEN: usize = KEY_LEN + TAG_LEN;
const BODY_HEADER_LEN: usize = NONCE_LEN + WRAPPED_LEN + NONCE_LEN;
const V1_HEADER_LEN: usize = 1 + BODY_HEADER_LEN;
const V2_PREFIX_LEN: usize = 1 + 4;

/// The id of a keyring key, carried in v2 envelopes.
pub type KeyId = u32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("the stored ciphertext is malformed (unknown format or truncated)")]
    Malformed,
    #[error(
        "the stored ciphertext failed its integrity check: it was modified, moved to another record, or the root key is wrong"
    )]
    Integrity,
    #[error(
        "the stored ciphertext names key {0}, which is not in the keyring: the keyring is older than the data, or the record was modified"
    )]
    UnknownKey(KeyId),
}

/// A sealed blob, ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(pub Vec<u8>);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}

/// Which format a blob is and, for v2, which key it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeHeader {
    V1,
    V2 { key_id: KeyId },
}

/// Reads a blob's header without opening it.
pub fn envelope_header(sealed: &[u8]) -> Result<EnvelopeHeader, EnvelopeError> {
    match sealed.first() {
        Some(&FORMAT_V1) if sealed.len() >= V1_HEADER_LEN + TAG_LEN => Ok(EnvelopeHeader::V1),
        Some(&FORMAT_V2) if sealed.len() >= V2_PREFIX_LEN + BODY_HEADER_LEN + TAG_LEN => {
            let id: [u8; 4] = sealed[1..V2_PREFIX_LEN]
                .try_into()
                .map_err(|_| EnvelopeError::Malformed)?;
            Ok(EnvelopeHeader::V2 {
                key_id: KeyId::from_be_bytes(id),
            })
        }
        _ => Err(EnvelopeError::Malformed),
    }
}

/// One XChaCha20-Poly1305 encryption under `key` with a fresh random nonce:
/// `nonce ‖ ciphertext+tag`.
pub(crate) fn aead_seal(key: &[u8; KEY_LEN], msg: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    crate::fill_random(&mut nonce);
    let ct = XChaCha20Poly1305::new(key.into())
        .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad })
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Opens what [`aead_seal`] made.
pub(crate) fn aead_open(
    key: &[u8; KEY_LEN],
    blob: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    if blob.len() < NONCE_LEN + TAG_LEN {
        return Err(EnvelopeError::Malformed);
    }
    let (nonce, ct) = blob.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::Integrity)
}

fn prefixed(prefix: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + aad.len());
    v.extend_from_slice(prefix);
    v.extend_from_slice(aad);
    v
}

/// Seals the body shared by both formats: wrap a fresh data key, encrypt under it.
fn seal_body(out: &mut Vec<u8>, kek: &Kek, plaintext: &[u8], wrap_aad: &[u8], data_aad: &[u8]) {
    let dek = Zeroizing::new(crate::random_bytes(KEY_LEN));
    let dek_arr: &[u8; KEY_LEN] = dek[..].try_into().expect("data key is 32 bytes");
    out.extend_from_slice(&aead_seal(kek.bytes(), &dek, wrap_aad));
    out.extend_from_slice(&aead_seal(dek_arr, plaintext, data_aad));
}

fn open_body(
    kek: &Kek,
    body: &[u8],
    wrap_aad: &[u8],
    data_aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    if body.len() < BODY_HEADER_LEN + TAG_LEN {
        return Err(EnvelopeError::Malformed);
    }
    let (wrapped, data) = body.split_at(NONCE_LEN + WRAPPED_LEN);
    let dek = aead_open(kek.bytes(), wrapped, wrap_aad)?;
    let dek: &[u8; KEY_LEN] = dek[..].try_into().map_err(|_| EnvelopeError::Integrity)?;
    aead_open(dek, data, data_aad)
}

/// Seals in the v1 layout (no key id): the reader must know the KEK.
pub fn seal(kek: &Kek, plaintext: &[u8], aad: &[u8]) -> Sealed {
    let mut out = Vec::with_capacity(V1_HEADER_LEN + plaintext.len() + TAG_LEN);
    out.push(FORMAT_V1);
    seal_body(
        &mut out,
        kek,
        plaintext,
        &prefixed(b"keyward-dek|", aad),
        aad,
    );
    Sealed(out)
}

/// Opens a v1 blob.
pub fn open(kek: &Kek, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    if envelope_header(sealed)? != EnvelopeHeader::V1 {
        return Err(EnvelopeError::Malformed);
    }
    open_body(kek, &sealed[1..], &prefixed(b"keyward-dek|", aad), aad)
}

/// Associated data of a v2 blob's two AEAD operations: a domain label, the header
/// (format and key id) and the caller's associated data.
fn v2_aad(label: &[u8], header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut v = prefixed(label, header);
    v.extend_from_slice(aad);
    v
}

/// Seals in the v2 layout under `kek`, the KEK of keyring key `key_id`.
pub fn seal_v2(kek: &Kek, key_id: KeyId, plaintext: &[u8], aad: &[u8]) -> Sealed {
    let mut out = Vec::with_capacity(V2_PREFIX_LEN + BODY_HEADER_LEN + plaintext.len() + TAG_LEN);
    out.push(FORMAT_V2);
    out.extend_from_slice(&key_id.to_be_bytes());
    let header = out.clone();
    seal_body(
        &mut out,
        kek,
        plaintext,
        &v2_aad(b"keyward-dek-v2|", &header, aad),
        &v2_aad(b"keyward-data-v2|", &header, aad),
    );
    Sealed(out)
}

/// Opens a v2 blob; `kek_for` maps its key id to a KEK (`None`: not in the keyring).
pub fn open_v2<'k>(
    kek_for: impl FnOnce(KeyId) -> Option<&'k Kek>,
    sealed: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let EnvelopeHeader::V2 { key_id } = envelope_header(sealed)? else {
        return Err(EnvelopeError::Malformed);
    };
    let kek = kek_for(key_id).ok_or(EnvelopeError::UnknownKey(key_id))?;
    let (header, body) = sealed.split_at(V2_PREFIX_LEN);
    open_body(
        kek,
        body,
        &v2_aad(b"keyward-dek-v2|", header, aad),
        &v2_aad(b"keyward-data-v2|", header, aad),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RootKey;
    use proptest::prelude::*;

    fn kek() -> Kek {
        RootKey::from_bytes(&[1u8; 32]).expect("32").kek()
    }

    #[test]
    fn round_trip() {
        let s = seal(&kek(), b"postgres://u:p@h/db", b"arn|v1");
        assert_eq!(
            &*open(&kek(), &s.0, b"arn|v1").expect("opens"),
            b"postgres://u:p@h/db"
        );
    }

    #[test]
    fn other_record_is_rejected() {
        let s = seal(&kek(), b"value", b"arn-a|v1");
        assert_eq!(
            open(&kek(), &s.0, b"arn-b|v1"),
            Err(EnvelopeError::Integrity).map(|_: ()| unreachable!())
        );
    }

    #[test]
    fn wrong_key_is_rejected() {
        let s = seal(&kek(), b"value", b"a");
        let other = RootKey::from_bytes(&[2u8; 32]).expect("32").kek();
        assert!(matches!(
            open(&other, &s.0, b"a"),
            Err(EnvelopeError::Integrity)
        ));
    }

    #[test]
    fn plaintext_is_not_in_the_blob() {
        let s = seal(&kek(), b"findme-findme-findme", b"a");
        assert!(!s.0.windows(6).any(|w| w == b"findme"));
    }

    #[test]
    fn v2_round_trips_and_binds_its_key_id() {
        let s = seal_v2(&kek(), 7, b"value", b"arn|v1");
        assert_eq!(envelope_header(&s.0), Ok(EnvelopeHeader::V2 { key_id: 7 }));
        let k = kek();
        assert_eq!(
            &*open_v2(|id| (id == 7).then_some(&k), &s.0, b"arn|v1").expect("opens"),
            b"value"
        );
        assert_eq!(
            open_v2(|id| (id == 7).then_some(&k), &s.0, b"arn|v2").map(|_| ()),
            Err(EnvelopeError::Integrity)
        );
        // Relabelled to another key id that happens to have the same KEK: the
        // header is bound, so it still fails.
        let mut relabelled = s.0.clone();
        relabelled[4] = 8;
        assert_eq!(
            open_v2(|_| Some(&k), &relabelled, b"arn|v1").map(|_| ()),
            Err(EnvelopeError::Integrity)
        );
        assert_eq!(
            open_v2(|_| None, &s.0, b"arn|v1").map(|_| ()),
            Err(EnvelopeError::UnknownKey(7))
        );
        // Neither reader accepts the other's format.
        assert_eq!(
            open(&k, &s.0, b"arn|v1").map(|_| ()),
            Err(EnvelopeError::Malformed)
        );
        let v1 = seal(&k, b"value", b"arn|v1");
        assert_eq!(
            open_v2(|_| Some(&k), &v1.0, b"arn|v1").map(|_| ()),
            Err(EnvelopeError::Malformed)
        );
    }

    proptest! {
        #[test]
        fn any_value_round_trips(v in proptest::collection::vec(any::<u8>(), 0..2048), aad in proptest::collection::vec(any::<u8>(), 0..64)) {
            let s = seal(&kek(), &v, &aad);
            prop_assert_eq!(&*open(&kek(), &s.0, &aad).expect("opens"), &v[..]);
        }

        #[test]
        fn any_single_bit_flip_is_detected(v in proptest::collection::vec(any::<u8>(), 1..256), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let mut s = seal(&kek(), &v, b"aad").0;
            let i = pos.index(s.len());
            s[i] ^= 1 << bit;
            prop_assert!(open(&kek(), &s, b"aad").is_err());
        }

        #[test]
        fn garbage_never_panics(g in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = open(&kek(), &g, b"aad");
            let k = kek();
            let _ = open_v2(|_| Some(&k), &g, b"aad");
        }

        #[test]
        fn any_single_bit_flip_in_v2_is_detected(v in proptest::collection::vec(any::<u8>(), 1..256), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let k = kek();
            let mut s = seal_v2(&k, 1, &v, b"aad").0;
            let i = pos.index(s.len());
            s[i] ^= 1 << bit;
            prop_assert!(open_v2(|_| Some(&k), &s, b"aad").is_err());
        }
    }
}
