//! Envelope encryption of one secret version.
//!
//! Layout of a sealed blob (all fixed sizes, so parsing cannot be ambiguous):
//! `[format=1][wrap nonce 24][wrapped data key 32+16][data nonce 24][ciphertext+tag]`.
//! The data key is fresh per version. The associated data (for example
//! `secret-arn|version-id`) is bound to both the wrapped key and the ciphertext, so a
//! blob moved to another row fails to open.

use crate::keys::{KEY_LEN, Kek};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const WRAPPED_LEN: usize = KEY_LEN + TAG_LEN;
const HEADER_LEN: usize = 1 + NONCE_LEN + WRAPPED_LEN + NONCE_LEN;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("the stored ciphertext is malformed (unknown format or truncated)")]
    Malformed,
    #[error(
        "the stored ciphertext failed its integrity check: it was modified, moved to another record, or the root key is wrong"
    )]
    Integrity,
}

/// A sealed blob, ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(pub Vec<u8>);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}

fn wrap_aad(aad: &[u8]) -> Vec<u8> {
    let mut v = b"keyward-dek|".to_vec();
    v.extend_from_slice(aad);
    v
}

pub fn seal(kek: &Kek, plaintext: &[u8], aad: &[u8]) -> Sealed {
    let dek = Zeroizing::new(crate::random_bytes(KEY_LEN));
    let mut wrap_nonce = [0u8; NONCE_LEN];
    let mut data_nonce = [0u8; NONCE_LEN];
    crate::fill_random(&mut wrap_nonce);
    crate::fill_random(&mut data_nonce);

    let kek_cipher = XChaCha20Poly1305::new(kek.bytes().into());
    let wrapped = kek_cipher
        .encrypt(
            XNonce::from_slice(&wrap_nonce),
            Payload {
                msg: &dek,
                aad: &wrap_aad(aad),
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
    let data_cipher = XChaCha20Poly1305::new_from_slice(&dek).expect("data key is 32 bytes");
    let ciphertext = data_cipher
        .encrypt(
            XNonce::from_slice(&data_nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");

    let mut out = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&wrap_nonce);
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(&data_nonce);
    out.extend_from_slice(&ciphertext);
    Sealed(out)
}

pub fn open(kek: &Kek, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    if sealed.len() < HEADER_LEN + TAG_LEN || sealed[0] != FORMAT_V1 {
        return Err(EnvelopeError::Malformed);
    }
    let wrap_nonce = &sealed[1..1 + NONCE_LEN];
    let wrapped = &sealed[1 + NONCE_LEN..1 + NONCE_LEN + WRAPPED_LEN];
    let data_nonce = &sealed[1 + NONCE_LEN + WRAPPED_LEN..HEADER_LEN];
    let ciphertext = &sealed[HEADER_LEN..];

    let kek_cipher = XChaCha20Poly1305::new(kek.bytes().into());
    let dek = Zeroizing::new(
        kek_cipher
            .decrypt(
                XNonce::from_slice(wrap_nonce),
                Payload {
                    msg: wrapped,
                    aad: &wrap_aad(aad),
                },
            )
            .map_err(|_| EnvelopeError::Integrity)?,
    );
    let data_cipher =
        XChaCha20Poly1305::new_from_slice(&dek).map_err(|_| EnvelopeError::Integrity)?;
    data_cipher
        .decrypt(
            XNonce::from_slice(data_nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::Integrity)
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
        }
    }
}
