//! WAMP over WebSocket: the client offers `wamp.2.<serializer>` subprotocols and the router
//! must pick one of them.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{Frame, Received};
use crate::engine::config::TransportConfig;
use crate::engine::error::TransportError;

const CLOSE_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct WebSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WebSocket {
    /// Opens the WebSocket and returns it with the negotiated subprotocol.
    pub async fn connect(cfg: &TransportConfig) -> Result<(WebSocket, String), TransportError> {
        let invalid = |reason: String| TransportError::InvalidUrl {
            url: cfg.url.clone(),
            reason,
        };
        if !cfg.url.starts_with("ws://") {
            return Err(invalid("only ws:// URLs are supported".into()));
        }
        let mut request = cfg
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| invalid(e.to_string()))?;
        let offered = cfg.protocols.join(", ");
        let header = HeaderValue::from_str(&offered).map_err(|e| invalid(e.to_string()))?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", header);

        let (ws, response) = tokio_tungstenite::connect_async_with_config(request, None, true)
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
            Some(protocol) => Ok((WebSocket { ws }, protocol)),
            None => Err(TransportError::NoSubprotocol {
                url: cfg.url.clone(),
                offered,
            }),
        }
    }

    pub async fn recv(&mut self) -> Received {
        loop {
            return match self.ws.next().await {
                Some(Ok(Message::Text(text))) => Received::Frame(Frame::Text(text.to_string())),
                Some(Ok(Message::Binary(bytes))) => Received::Frame(Frame::Binary(bytes.to_vec())),
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

    pub async fn feed(&mut self, frame: Frame) -> Result<(), TransportError> {
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
        let _ = self.ws.close(None).await;
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
