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
