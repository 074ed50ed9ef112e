//! WAMP over WebSocket (`ws://`, `wss://`): the client offers `wamp.2.<serializer>`
//! subprotocols and the router must pick one of them.

use std::time::Duration;

use tokio::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::stream::Stream;
use super::{Frame, Received};
use crate::wamp::error::TransportError;
use crate::wamp::transport::config::TransportConfig;

const CLOSE_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct WebSocket {
    ws: WebSocketStream<Stream>,
    /// `max_message_size`: checked before sending.
    max_send: Option<usize>,
    heartbeat: Option<Heartbeat>,
}

/// `autoping_*`: after `interval` of silence from the router we send a ping; if nothing at all
/// arrives within `timeout` after it, the link is dead (a vanished peer or a broken network
/// path, which TCP alone may not notice for many minutes).
struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    size: usize,
    last_heard: Instant,
    ping_sent: Option<Instant>,
}

impl Heartbeat {
    fn from_config(cfg: &TransportConfig) -> Option<Heartbeat> {
        let interval = cfg.autoping_interval.filter(|v| *v > 0.0)?;
        let timeout = cfg
            .autoping_timeout
            .filter(|v| *v > 0.0)
            .unwrap_or(interval);
        Some(Heartbeat {
            interval: Duration::from_secs_f64(interval),
            timeout: Duration::from_secs_f64(timeout),
            size: cfg.autoping_size.unwrap_or(4).min(125),
            last_heard: Instant::now(),
            ping_sent: None,
        })
    }

    fn wake_at(&self) -> Instant {
        match self.ping_sent {
            Some(sent) => sent + self.timeout,
            None => self.last_heard + self.interval,
        }
    }

    fn heard(&mut self) {
        self.last_heard = Instant::now();
        self.ping_sent = None;
    }
}

impl WebSocket {
    /// Opens the WebSocket and returns it with the negotiated subprotocol.
    pub async fn connect(cfg: &TransportConfig) -> Result<(WebSocket, String), TransportError> {
        let invalid = |reason: String| TransportError::InvalidUrl {
            url: cfg.url.clone(),
            reason,
        };
        let tls = if cfg.url.starts_with("wss://") {
            true
        } else if cfg.url.starts_with("ws://") {
            false
        } else {
            return Err(invalid(
                "a WebSocket URL must start with ws:// or wss://".into(),
            ));
        };
        let mut request = cfg
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| invalid(e.to_string()))?;
        let host = request
            .uri()
            .host()
            .ok_or_else(|| invalid("no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = request
            .uri()
            .port_u16()
            .unwrap_or(if tls { 443 } else { 80 });
        let offered = cfg.protocols.join(", ");
        let headers = request.headers_mut();
        for (name, value) in &cfg.headers {
            let bad = |e: String| TransportError::InvalidConfig {
                url: cfg.url.clone(),
                reason: format!("header {name:?}: {e}"),
            };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(e.to_string()))?;
            let value = HeaderValue::from_str(value).map_err(|e| bad(e.to_string()))?;
            headers.append(name, value);
        }
        let header = HeaderValue::from_str(&offered).map_err(|e| invalid(e.to_string()))?;
        headers.insert("Sec-WebSocket-Protocol", header);

        let stream = Stream::tcp(&cfg.url, &host, port, tls.then_some(&cfg.tls_options)).await?;
        // tungstenite zero-fills its read buffer up to this size on every read: the default
        // 128 KiB made that memset a fifth of the engine's time per small message.
        let mut ws_config = WebSocketConfig::default().read_buffer_size(16 * 1024);
        if let Some(max) = cfg.max_message_size {
            ws_config = ws_config
                .max_message_size(Some(max))
                .max_frame_size(Some(max));
        }
        let (ws, response) =
            tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config))
                .await
                .map_err(|e| TransportError::Connect {
                    url: cfg.url.clone(),
                    reason: e.to_string(),
                })?;
        let chosen = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|p| cfg.protocols.iter().any(|o| o == p))
            .map(String::from);
        match chosen {
            Some(protocol) => Ok((
                WebSocket {
                    ws,
                    max_send: cfg.max_message_size,
                    heartbeat: Heartbeat::from_config(cfg),
                },
                protocol,
            )),
            None => Err(TransportError::NoSubprotocol {
                url: cfg.url.clone(),
                offered,
            }),
        }
    }

    /// The router's side of a WebSocket accepted by `accept::websocket`: no heartbeat, and
    /// nothing larger than `max_send` goes out.
    pub(crate) fn accepted(ws: WebSocketStream<Stream>, max_send: Option<usize>) -> WebSocket {
        WebSocket {
            ws,
            max_send,
            heartbeat: None,
        }
    }

    pub async fn recv(&mut self) -> Received {
        loop {
            let wake = self.heartbeat.as_ref().map(Heartbeat::wake_at);
            // In order, not from a random start (a random number per frame): a frame that is
            // there when the heartbeat is due counts as hearing from the router anyway.
            let next = tokio::select! {
                biased;
                next = self.ws.next() => next,
                _ = super::sleep_until(wake), if wake.is_some() => {
                    if let Some(dead) = self.beat().await {
                        return dead;
                    }
                    continue;
                }
            };
            if let Some(hb) = self.heartbeat.as_mut() {
                hb.heard();
            }
            return match next {
                // tungstenite checked the UTF-8 already, so the text is copied as it is. Its
                // buffer is nearly always shared with the read buffer (a taking over of it was a
                // copy too), and a second check of the UTF-8 cost more than the copy.
                Some(Ok(Message::Text(text))) => {
                    Received::Frame(Frame::Text(text.as_str().to_owned()))
                }
                Some(Ok(Message::Binary(bytes))) => Received::Frame(Frame::Binary(bytes)),
                Some(Ok(Message::Close(frame))) => {
                    let note = match &frame {
                        Some(f) => format!(
                            "the router closed the WebSocket (code {}{})",
                            u16::from(f.code),
                            if f.reason.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", f.reason)
                            }
                        ),
                        None => "the router closed the WebSocket".to_string(),
                    };
                    Received::Closed {
                        clean: true,
                        note: Some(note),
                    }
                }
                // Pings are answered by the library.
                Some(Ok(_)) => continue,
                Some(Err(e)) => Received::Closed {
                    clean: false,
                    note: Some(format!("WebSocket error: {e}")),
                },
                None => Received::Closed {
                    clean: false,
                    note: None,
                },
            };
        }
    }

    /// A heartbeat timer fired: send a ping, or declare the link dead.
    async fn beat(&mut self) -> Option<Received> {
        let hb = self.heartbeat.as_mut()?;
        if hb.ping_sent.is_some() {
            return Some(Received::Closed {
                clean: false,
                note: Some(format!(
                    "the router did not answer a WebSocket ping within {:.3} s (autoping_timeout)",
                    hb.timeout.as_secs_f64()
                )),
            });
        }
        hb.ping_sent = Some(Instant::now());
        let payload: Vec<u8> = (0..hb.size).map(|_| rand::random::<u8>()).collect();
        match self.ws.send(Message::Ping(payload.into())).await {
            Ok(()) => None,
            Err(e) => Some(Received::Closed {
                clean: false,
                note: Some(format!("WebSocket error while sending a ping: {e}")),
            }),
        }
    }

    /// The largest frame we may send, with the text that explains the limit.
    pub fn send_limit(&self) -> Option<(usize, String)> {
        self.max_send
            .map(|max| (max, format!("max_message_size is {max} bytes")))
    }

    pub async fn feed(&mut self, frame: Frame) -> Result<(), TransportError> {
        let size = match &frame {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => b.len(),
        };
        if let Some(max) = self.max_send.filter(|&max| size > max) {
            return Err(TransportError::TooLarge {
                size,
                limit_note: format!("max_message_size is {max} bytes"),
            });
        }
        let msg = match frame {
            Frame::Text(t) => Message::text(t),
            Frame::Binary(b) => Message::binary(b),
        };
        self.ws
            .feed(msg)
            .await
            .map_err(|e| TransportError::WebSocket(e.to_string()))
    }

    pub async fn flush(&mut self) -> Result<(), TransportError> {
        self.ws
            .flush()
            .await
            .map_err(|e| TransportError::WebSocket(e.to_string()))
    }

    pub async fn close(&mut self) {
        self.close_with(None).await;
    }

    /// Closes with a close code and reason (the router's 1009 for a message too large).
    pub async fn close_with(&mut self, code: Option<(u16, &str)>) {
        let frame = code.map(|(code, reason)| CloseFrame {
            code: code.into(),
            reason: reason.to_string().into(),
        });
        let _ = self.ws.close(frame).await;
        let _ = tokio::time::timeout(CLOSE_HANDSHAKE_TIMEOUT, async {
            while let Some(Ok(frame)) = self.ws.next().await {
                if frame.is_close() {
                    break;
                }
            }
        })
        .await;
    }

    pub async fn finish_close(&mut self) {
        let _ = tokio::time::timeout(CLOSE_HANDSHAKE_TIMEOUT, self.ws.close(None)).await;
    }
}
