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
    /// Settings that can never work (a malformed certificate, ...).
    #[error("invalid transport settings for {url}: {reason}")]
    InvalidConfig { url: String, reason: String },
    #[error("could not connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("could not connect to {url}: no answer within {seconds} s (connect_timeout)")]
    Timeout { url: String, seconds: f64 },
    #[error("the router at {url} did not agree to a WAMP subprotocol (offered {offered})")]
    NoSubprotocol { url: String, offered: String },
    /// The RawSocket opening handshake failed (the router refused, or is no RawSocket peer).
    #[error("RawSocket handshake with {url} failed: {reason}")]
    Handshake { url: String, reason: String },
    /// A message larger than the peer (or `max_message_size`) accepts; nothing was sent.
    #[error("cannot send a message of {size} bytes: {limit_note}")]
    TooLarge { size: usize, limit_note: String },
    #[error("WebSocket error: {0}")]
    WebSocket(String),
    #[error("RawSocket error: {0}")]
    RawSocket(String),
    /// Every transport entry failed in one connection attempt.
    #[error("{}", failover_text(.0))]
    AllFailed(Vec<TransportError>),
}

fn failover_text(errors: &[TransportError]) -> String {
    match errors {
        [] => "no transport configured".to_string(),
        [one] => one.to_string(),
        many => {
            let parts: Vec<String> = many
                .iter()
                .enumerate()
                .map(|(i, e)| format!("({}) {e}", i + 1))
                .collect();
            format!("all {} transports failed: {}", many.len(), parts.join("; "))
        }
    }
}

impl TransportError {
    /// Errors that retrying cannot fix (a malformed URL); everything else may succeed later.
    pub fn is_fatal(&self) -> bool {
        match self {
            TransportError::InvalidUrl { .. } | TransportError::InvalidConfig { .. } => true,
            TransportError::AllFailed(all) => all.iter().all(TransportError::is_fatal),
            _ => false,
        }
    }
}
