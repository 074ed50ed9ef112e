//! Authentication methods: pure functions over the challenge data (no I/O).
//!
//! * [`cra`]: WAMP-CRA (`wampcra`), byte-compatible with Autobahn|JS `auth_cra`.
//! * [`cryptosign`]: WAMP-Cryptosign (`cryptosign`), Ed25519 over the router's challenge.
//! * [`scram`]: WAMP-SCRAM in the flavour Crossbar.io and Autobahn|Python speak (`scram`).
//!
//! Ticket and anonymous authentication need no crypto: the ticket is the AUTHENTICATE signature.
//!
//! Error messages never contain secrets, keys, tickets or signatures: they name the input that
//! was wrong and why, so they are safe to log.
//!
//! The router's side (checking what a client sent) lives next to the client's computation:
//! [`cryptosign::PublicKey::verify_challenge`], [`scram::verify_client_proof`], and the
//! constant-time comparisons [`ct_eq`] and [`ct_eq_secret`] here.

pub mod cra;
pub mod cryptosign;
pub mod scram;

use thiserror::Error;

/// Why an authentication helper could not compute its answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// An argument is out of range or malformed; `what` names it, `why` explains.
    #[error("invalid {what}: {why}")]
    InvalidInput { what: &'static str, why: String },
    /// The router's challenge lacks a field or has one of the wrong shape.
    #[error("invalid {method} challenge from the router: {why}")]
    BadChallenge { method: &'static str, why: String },
    /// The router asks for something this client does not implement (a KDF, channel binding).
    #[error("unsupported {method} challenge: {why}")]
    Unsupported { method: &'static str, why: String },
}

impl AuthError {
    pub(crate) fn input(what: &'static str, why: impl Into<String>) -> Self {
        AuthError::InvalidInput {
            what,
            why: why.into(),
        }
    }
}

/// Whether `a == b`, in time that depends only on the lengths (for MACs and hashes of a fixed
/// length; use [`ct_eq_secret`] when the length itself is secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Whether two secrets (tickets, signatures) are equal, in time that reveals neither their
/// contents nor their lengths: compares their SHA-256 digests with [`ct_eq`].
pub fn ct_eq_secret(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let da = Sha256::digest(a);
    let db = Sha256::digest(b);
    ct_eq(&da, &db)
}

/// Decodes hex text (either case), naming the argument on failure (never echoing its value).
pub(crate) fn decode_hex(what: &'static str, text: &str) -> Result<Vec<u8>, AuthError> {
    hex::decode(text).map_err(|e| {
        AuthError::input(
            what,
            match e {
                hex::FromHexError::OddLength => "hex text of odd length".to_string(),
                hex::FromHexError::InvalidHexCharacter { index, .. } => {
                    format!("not hex (bad character at position {index})")
                }
                hex::FromHexError::InvalidStringLength => "hex text of wrong length".to_string(),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
        assert!(ct_eq_secret(b"ticket", b"ticket"));
        assert!(!ct_eq_secret(b"ticket", b"ticket "));
        assert!(!ct_eq_secret(b"ticket", b""));
        assert!(ct_eq_secret(b"", b""));
    }
}
