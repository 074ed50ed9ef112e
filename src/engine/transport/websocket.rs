//! WAMP over WebSocket: the client offers `wamp.2.<serializer>` subprotocols and the router
//! must pick one of them.

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::engine::config::TransportConfig;
use crate::engine::error::TransportError;

pub type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens the WebSocket and returns it with the negotiated subprotocol.
pub async fn connect(cfg: &TransportConfig) -> Result<(WsStream, String), TransportError> {
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
        Some(protocol) => Ok((ws, protocol)),
        None => Err(TransportError::NoSubprotocol {
            url: cfg.url.clone(),
            offered,
        }),
    }
}
