//! Transports: each carries whole WAMP messages (frames) and reports how it ended. The
//! connection actor drives them through `Transport`, so it does not care which one it has.

pub mod accept;
pub mod config;
pub mod rawsocket;
pub mod stream;
pub mod tls;
pub mod websocket;

use crate::wamp::error::TransportError;
use crate::wamp::transport::config::TransportConfig;

/// One WAMP message on the wire: text for JSON over WebSocket, bytes otherwise.
#[derive(Debug)]
pub enum Frame {
    Text(String),
    /// `Bytes`, so that a received frame's buffer can be handed on (to the values decoded from
    /// it) without a copy.
    Binary(bytes::Bytes),
}

impl Frame {
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What `Transport::recv` produced.
#[derive(Debug)]
pub enum Received {
    Frame(Frame),
    /// The peer closed the transport. `clean` is false when it dropped without a closing
    /// handshake; `note` says what the transport knows (close code, error).
    Closed {
        clean: bool,
        note: Option<String>,
    },
}

pub enum Transport {
    // Boxed: a WebSocket stream is much larger than a RawSocket one, and one transport exists
    // per connection, so the indirection costs nothing that matters.
    WebSocket(Box<websocket::WebSocket>),
    RawSocket(rawsocket::RawSocket),
}

/// Runs the same expression on whichever transport this is.
macro_rules! each {
    ($self:ident, $t:ident => $e:expr) => {
        match $self {
            Transport::WebSocket($t) => $e,
            Transport::RawSocket($t) => $e,
        }
    };
}

impl Transport {
    /// Connects and negotiates a serializer; returns the transport and the serializer id
    /// (`json`, `msgpack`, `cbor`) with the protocol name shown in `transport.info.protocol`.
    pub async fn connect(cfg: &TransportConfig) -> Result<(Transport, String), TransportError> {
        match cfg.kind.as_str() {
            "websocket" => {
                let (ws, protocol) = websocket::WebSocket::connect(cfg).await?;
                Ok((Transport::WebSocket(Box::new(ws)), protocol))
            }
            "rawsocket" => {
                let (rs, protocol) = rawsocket::RawSocket::connect(cfg).await?;
                Ok((Transport::RawSocket(rs), protocol))
            }
            other => Err(TransportError::InvalidUrl {
                url: cfg.url.clone(),
                reason: format!("transport type '{other}' is not supported"),
            }),
        }
    }

    /// The next frame or the end. Cancel-safe: it can be dropped in a `select!`.
    pub async fn recv(&mut self) -> Received {
        each!(self, t => t.recv().await)
    }

    /// The largest frame `feed` accepts, with the text that explains the limit; None = no limit.
    pub fn send_limit(&self) -> Option<(usize, String)> {
        each!(self, t => t.send_limit())
    }

    /// Queues a frame; `flush` sends what is queued.
    pub async fn feed(&mut self, frame: Frame) -> Result<(), TransportError> {
        each!(self, t => t.feed(frame).await)
    }

    pub async fn flush(&mut self) -> Result<(), TransportError> {
        each!(self, t => t.flush().await)
    }

    /// Closes our side and waits (bounded) for the peer's side.
    pub async fn close(&mut self) {
        each!(self, t => t.close().await)
    }

    /// Closes with a WebSocket close code and reason (RawSocket has none: a plain close).
    pub async fn close_with(&mut self, code: u16, reason: &str) {
        match self {
            Transport::WebSocket(t) => t.close_with(Some((code, reason))).await,
            Transport::RawSocket(t) => t.close().await,
        }
    }

    /// Answers a close the peer started (the WebSocket closing handshake).
    pub async fn finish_close(&mut self) {
        each!(self, t => t.finish_close().await)
    }
}

/// Sleeps until `deadline`; never wakes without one. `select!` evaluates the future of a branch
/// whose condition is false too: this one only reads the clock and sets up a timer when polled,
/// where `tokio::time::sleep_until` did both on every wait of a loop that usually has no
/// deadline (the session's goodbye and join, a WebSocket's heartbeat).
pub(crate) async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
