//! Randomness straight from the operating system's CSPRNG.

use rand::Rng;
use rand::rngs::OsRng;

/// Fills `buf` from the OS CSPRNG. Panics only if the OS has no entropy source at
/// all, in which case no secret can be made safely anyway.
pub fn fill_random(buf: &mut [u8]) {
    getrandom::getrandom(buf).expect("the operating system's random number generator failed");
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    fill_random(&mut v);
    v
}

/// `len` characters drawn uniformly (no modulo bias) from `alphabet`.
pub fn random_from_alphabet(alphabet: &[u8], len: usize) -> String {
    assert!(!alphabet.is_empty(), "alphabet must not be empty");
    let mut rng = OsRng;
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

pub fn random_alphanumeric(len: usize) -> String {
    random_from_alphabet(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        len,
    )
}
