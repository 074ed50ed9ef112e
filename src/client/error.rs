//! The client's own errors (transport errors are `wamp::error::TransportError`).

use thiserror::Error;

use crate::wamp::error::ProtocolViolation;

/// A command from JavaScript the session core cannot read: a bug on the JavaScript side (user
/// input is validated there), reported as an internal error event.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CommandError {
    #[error("malformed command: {0}")]
    Unparsable(ProtocolViolation),
    #[error("malformed command {command}: {reason}")]
    Malformed {
        /// The command, truncated.
        command: String,
        reason: ProtocolViolation,
    },
    #[error("unsupported command type {0}")]
    Unsupported(u64),
}

/// The connection settings from index.js do not parse.
#[derive(Debug, Error)]
#[error("invalid connection settings: {0}")]
pub struct ConfigError(#[from] serde_json::Error);
