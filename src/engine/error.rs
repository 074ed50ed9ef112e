use thiserror::Error;

/// A message from the router broke the WAMP protocol. The session is aborted with
/// `wamp.error.protocol_violation` and this text as the ABORT message.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ProtocolViolation(pub String);

impl ProtocolViolation {
    pub fn new(msg: impl Into<String>) -> Self {
        ProtocolViolation(msg.into())
    }
}

/// Why a transport could not be opened or stopped working.
#[derive(Debug, Error)]
pub enum TransportError {
    #[error("invalid transport URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("could not connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the router at {url} did not agree to a WAMP subprotocol (offered {offered})")]
    NoSubprotocol { url: String, offered: String },
    #[error("WebSocket error: {0}")]
    WebSocket(String),
}

impl TransportError {
    /// Errors that retrying cannot fix (a malformed URL); everything else may succeed later.
    pub fn is_fatal(&self) -> bool {
        matches!(self, TransportError::InvalidUrl { .. })
    }
}
