//! The router's side of the transports: the RawSocket opening handshake and the WebSocket
//! upgrade, producing the same `Transport` the client drives.

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::rawsocket::{self, RawSocket, MAGIC};
use super::stream::Stream;
use super::websocket::WebSocket;
use super::Transport;

/// What the router answers to a client's RawSocket handshake.
#[derive(Debug, PartialEq, Eq)]
pub enum RawSocketAnswer {
    /// Reply with these bytes; the client accepts messages up to `peer_max` bytes.
    Accept {
        reply: [u8; 4],
        serializer: u8,
        peer_max: usize,
    },
    /// Reply with this error and close (1 serializer unsupported, 3 reserved bits used).
    Refuse { reply: [u8; 4], code: u8 },
    /// The first byte is not 0x7F: not a RawSocket client; close without a reply.
    NotRawSocket,
}

/// The length exponent (9..=24) of the smallest power of two holding `max_message_size`.
pub fn length_exponent(max_message_size: usize) -> u8 {
    let mut exp = 9u8;
    while exp < 24 && (1usize << exp) < max_message_size {
        exp += 1;
    }
    exp
}

/// Answers a client handshake `7F LLLL_SSSS 00 00`. Every length the client may announce
/// (2^9..2^24) is acceptable: the router then sends it nothing larger, so error 2 never arises.
pub fn rawsocket_answer(
    request: [u8; 4],
    allowed: &[u8],
    max_message_size: usize,
) -> RawSocketAnswer {
    if request[0] != MAGIC {
        return RawSocketAnswer::NotRawSocket;
    }
    let refuse = |code: u8| RawSocketAnswer::Refuse {
        reply: [MAGIC, code << 4, 0, 0],
        code,
    };
    if request[2] != 0 || request[3] != 0 {
        return refuse(3);
    }
    let serializer = request[1] & 0x0F;
    if serializer == 0 || !allowed.contains(&serializer) {
        return refuse(1);
    }
    let peer_max = 1usize << (9 + (request[1] >> 4));
    let ours = length_exponent(max_message_size) - 9;
    RawSocketAnswer::Accept {
        reply: [MAGIC, (ours << 4) | serializer, 0, 0],
        serializer,
        peer_max,
    }
}

fn serializer_name(id: u8) -> &'static str {
    match id {
        1 => "wamp.2.json",
        2 => "wamp.2.msgpack",
        _ => "wamp.2.cbor",
    }
}

/// The RawSocket server handshake on an accepted stream. Returns the transport and the
/// negotiated protocol name, or why the connection was refused.
pub async fn rawsocket(
    mut stream: Stream,
    allowed: &[String],
    max_message_size: usize,
) -> Result<(Transport, String), String> {
    let mut request = [0u8; 4];
    stream
        .read_exact(&mut request)
        .await
        .map_err(|e| format!("RawSocket handshake: {e}"))?;
    let ids: Vec<u8> = allowed
        .iter()
        .filter_map(|p| rawsocket::serializer_id(p))
        .collect();
    match rawsocket_answer(request, &ids, max_message_size) {
        RawSocketAnswer::Accept {
            reply,
            serializer,
            peer_max,
        } => {
            stream
                .write_all(&reply)
                .await
                .map_err(|e| format!("RawSocket handshake: {e}"))?;
            let max_recv = rawsocket::max_len(length_exponent(max_message_size));
            let socket = RawSocket::accepted(stream, max_recv, peer_max);
            Ok((
                Transport::RawSocket(socket),
                serializer_name(serializer).into(),
            ))
        }
        RawSocketAnswer::Refuse { reply, code } => {
            let _ = stream.write_all(&reply).await;
            let _ = stream.shutdown().await;
            Err(format!(
                "RawSocket handshake refused: {}",
                rawsocket::refusal_text(code)
            ))
        }
        RawSocketAnswer::NotRawSocket => Err("not a RawSocket client (first byte not 0x7F)".into()),
    }
}

fn refusal(status: StatusCode, text: &str) -> ErrorResponse {
    let mut resp = ErrorResponse::new(Some(text.to_string()));
    *resp.status_mut() = status;
    resp
}

/// The first subprotocol the client offered that the listener allows.
pub fn pick_subprotocol(offered: &str, allowed: &[String]) -> Option<String> {
    offered
        .split(',')
        .map(str::trim)
        .find(|p| {
            allowed
                .iter()
                .any(|a| a == p || format!("wamp.2.{a}") == *p)
        })
        .map(String::from)
}

/// The rustls acceptor for a listener's PEM certificate chain and key; with `client_ca`,
/// clients must present a certificate signed by one of those CAs.
pub fn tls_acceptor(
    cert_pem: &str,
    key_pem: &str,
    client_ca: Option<&str>,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    use tokio_rustls::rustls::{server::WebPkiClientVerifier, RootCertStore, ServerConfig};
    let chain = super::tls::parse_certs(cert_pem)?;
    let key = super::tls::parse_key(key_pem)?;
    let builder = ServerConfig::builder();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(pem) => {
            let mut roots = RootCertStore::empty();
            for cert in super::tls::parse_certs(pem)? {
                roots
                    .add(cert)
                    .map_err(|e| format!("TLS client CA certificate: {e}"))?;
            }
            let verifier = WebPkiClientVerifier::builder(std::sync::Arc::new(roots))
                .build()
                .map_err(|e| format!("TLS client CA certificates: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS certificate and key: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)))
}

/// One WAMP endpoint of a listener: a WebSocket path (RawSocket uses the first endpoint's
/// serializers and size limit).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub path: String,
    pub serializers: Vec<String>,
    pub max_message_size: usize,
}

/// An accepted connection: the transport, the negotiated protocol (`wamp.2.json`, ...) and the
/// index of the endpoint it reached.
pub struct Accepted {
    pub transport: Transport,
    pub protocol: String,
    pub endpoint: usize,
}

/// The WebSocket upgrade: the path must be one of the endpoints' (else 404), and one of the
/// offered subprotocols must be allowed there (else 400).
// The callback's error type is tungstenite's.
#[allow(clippy::result_large_err)]
pub async fn websocket(stream: Stream, endpoints: &[Endpoint]) -> Result<Accepted, String> {
    let mut chosen = None;
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        let Some((index, endpoint)) = endpoints
            .iter()
            .enumerate()
            .find(|(_, e)| e.path == req.uri().path())
        else {
            return Err(refusal(
                StatusCode::NOT_FOUND,
                "no WAMP endpoint at this path\n",
            ));
        };
        let offered = req
            .headers()
            .get_all("Sec-WebSocket-Protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        match pick_subprotocol(&offered, &endpoint.serializers) {
            Some(p) => {
                let value = HeaderValue::from_str(&p)
                    .map_err(|_| refusal(StatusCode::BAD_REQUEST, "bad subprotocol\n"))?;
                resp.headers_mut().insert("Sec-WebSocket-Protocol", value);
                chosen = Some((p, index));
                Ok(resp)
            }
            None => Err(refusal(
                StatusCode::BAD_REQUEST,
                "no acceptable WAMP subprotocol offered (wamp.2.json, wamp.2.msgpack, wamp.2.cbor)\n",
            )),
        }
    };
    // Above the limit the session closes with 1009 and a reason; the transport itself only
    // stops what is far beyond it (twice the largest limit plus 1 MiB), so that memory stays
    // bounded while a slightly large message still gets its answer.
    let largest = endpoints
        .iter()
        .map(|e| e.max_message_size)
        .max()
        .unwrap_or(0);
    let hard = largest.saturating_mul(2).saturating_add(1 << 20);
    let config = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .max_message_size(Some(hard))
        .max_frame_size(Some(hard));
    let ws = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config))
        .await
        .map_err(|e| format!("WebSocket upgrade failed: {e}"))?;
    let (protocol, endpoint) = chosen.ok_or("WebSocket upgrade without a subprotocol")?;
    Ok(Accepted {
        transport: Transport::WebSocket(Box::new(WebSocket::accepted(ws, None))),
        protocol,
        endpoint,
    })
}

/// Which protocol a listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    WebSocket,
    RawSocket,
    /// Both on one port: a first byte of 0x7F is RawSocket, anything else HTTP.
    Universal,
}

/// The handshake of one accepted connection (after TLS, if any). A universal listener looks
/// at the first byte: by peeking on plain TCP, otherwise by reading it and replaying it.
pub async fn negotiate(
    stream: Stream,
    kind: ListenerKind,
    endpoints: &[Endpoint],
) -> Result<Accepted, String> {
    let (kind, stream) = match kind {
        ListenerKind::Universal => {
            let (first, stream_back) = first_byte(stream).await?;
            let chosen = if first == MAGIC {
                ListenerKind::RawSocket
            } else {
                ListenerKind::WebSocket
            };
            (chosen, stream_back)
        }
        other => (other, stream),
    };
    match kind {
        ListenerKind::RawSocket => {
            let first = endpoints.first().ok_or("a listener without endpoints")?;
            let (transport, protocol) =
                rawsocket(stream, &first.serializers, first.max_message_size).await?;
            Ok(Accepted {
                transport,
                protocol,
                endpoint: 0,
            })
        }
        _ => websocket(stream, endpoints).await,
    }
}

async fn first_byte(stream: Stream) -> Result<(u8, Stream), String> {
    let closed = || "the peer closed the connection before its handshake".to_string();
    if let Stream::Tcp(tcp) = &stream {
        let mut one = [0u8; 1];
        let n = tcp.peek(&mut one).await.map_err(|e| e.to_string())?;
        return if n == 0 {
            Err(closed())
        } else {
            Ok((one[0], stream))
        };
    }
    let mut stream = stream;
    let mut one = [0u8; 1];
    let n = stream.read(&mut one).await.map_err(|e| e.to_string())?;
    if n == 0 {
        return Err(closed());
    }
    Ok((one[0], replay(Bytes::copy_from_slice(&one), stream)))
}

/// A stream that reads `head` (bytes already taken from `inner`) before the rest of `inner`.
pub fn replay(head: Bytes, inner: Stream) -> Stream {
    Stream::Replayed(Box::new(super::stream::Replayed { head, inner }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rawsocket_handshake_answers() {
        let allowed = [1u8, 2];
        assert_eq!(
            rawsocket_answer([0x7F, 0xF1, 0, 0], &allowed, 1 << 20),
            RawSocketAnswer::Accept {
                reply: [0x7F, 0xB1, 0, 0],
                serializer: 1,
                peer_max: 1 << 24
            }
        );
        assert_eq!(
            rawsocket_answer([0x7F, 0x03, 0, 0], &allowed, 1 << 20),
            RawSocketAnswer::Refuse {
                reply: [0x7F, 0x10, 0, 0],
                code: 1
            }
        );
        assert_eq!(
            rawsocket_answer([0x7F, 0x00, 0, 0], &allowed, 1 << 20),
            RawSocketAnswer::Refuse {
                reply: [0x7F, 0x10, 0, 0],
                code: 1
            }
        );
        assert_eq!(
            rawsocket_answer([0x7F, 0x01, 1, 0], &allowed, 1 << 20),
            RawSocketAnswer::Refuse {
                reply: [0x7F, 0x30, 0, 0],
                code: 3
            }
        );
        assert_eq!(
            rawsocket_answer(*b"GET ", &allowed, 1 << 20),
            RawSocketAnswer::NotRawSocket
        );
        assert_eq!(length_exponent(1), 9);
        assert_eq!(length_exponent(16 * 1024 * 1024), 24);
        assert_eq!(length_exponent(usize::MAX), 24);
    }

    #[tokio::test]
    async fn client_and_server_rawsocket_handshake_and_a_frame() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let allowed = vec!["cbor".to_string()];
            // The client opens one connection per serializer it tries: the first is refused.
            let (tcp, _) = listener.accept().await.unwrap();
            let err = rawsocket(Stream::Tcp(tcp), &allowed, 1 << 16)
                .await
                .err()
                .unwrap();
            assert!(err.contains("error 1"), "{err}");
            let (tcp, _) = listener.accept().await.unwrap();
            let (mut t, proto) = rawsocket(Stream::Tcp(tcp), &allowed, 1 << 16)
                .await
                .unwrap();
            assert_eq!(proto, "wamp.2.cbor");
            match t.recv().await {
                super::super::Received::Frame(f) => assert_eq!(f.len(), 3),
                other => panic!("{other:?}"),
            }
        });
        let cfg: crate::wamp::transport::config::TransportConfig =
            serde_json::from_value(serde_json::json!({
                "type": "rawsocket", "url": format!("rs://127.0.0.1:{port}"),
                "protocols": ["wamp.2.json", "wamp.2.cbor"], "host": "127.0.0.1", "port": port
            }))
            .unwrap();
        // JSON is refused (error 1), so the client falls back to CBOR.
        let (mut client, proto) = Transport::connect(&cfg).await.unwrap();
        assert_eq!(proto, "wamp.2.cbor");
        assert_eq!(client.send_limit().unwrap().0, 1 << 16);
        client
            .feed(super::super::Frame::Binary(Bytes::from_static(b"abc")))
            .await
            .unwrap();
        client.flush().await.unwrap();
        server.await.unwrap();
    }

    fn endpoints(allowed: &[String]) -> Vec<Endpoint> {
        vec![Endpoint {
            path: "/ws".into(),
            serializers: allowed.to_vec(),
            max_message_size: 1 << 16,
        }]
    }

    fn ws_config(
        port: u16,
        path: &str,
        protocols: &[&str],
    ) -> crate::wamp::transport::config::TransportConfig {
        serde_json::from_value(serde_json::json!({
            "type": "websocket", "url": format!("ws://127.0.0.1:{port}{path}"), "protocols": protocols
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn websocket_upgrade_checks_path_and_subprotocol() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let allowed = vec!["msgpack".to_string(), "json".to_string()];
            let mut results = Vec::new();
            for _ in 0..3 {
                let (tcp, _) = listener.accept().await.unwrap();
                results.push(
                    websocket(Stream::Tcp(tcp), &endpoints(&allowed))
                        .await
                        .map(|a| a.protocol),
                );
            }
            results
        });
        let bad_path = Transport::connect(&ws_config(port, "/other", &["wamp.2.json"])).await;
        assert!(bad_path.err().unwrap().to_string().contains("404"));
        let bad_proto = Transport::connect(&ws_config(port, "/ws", &["wamp.2.cbor"])).await;
        assert!(bad_proto.err().unwrap().to_string().contains("400"));
        let (_, proto) =
            Transport::connect(&ws_config(port, "/ws", &["wamp.2.cbor", "wamp.2.json"]))
                .await
                .unwrap();
        assert_eq!(proto, "wamp.2.json");
        let results = server.await.unwrap();
        assert!(results[0].as_ref().err().unwrap().contains("404"));
        assert!(results[1].is_err());
        assert_eq!(results[2].as_deref(), Ok("wamp.2.json"));
    }

    #[tokio::test]
    async fn universal_listener_tells_rawsocket_from_websocket() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let allowed = vec!["json".to_string()];
            let mut protos = Vec::new();
            for _ in 0..2 {
                let (tcp, _) = listener.accept().await.unwrap();
                let a = negotiate(
                    Stream::Tcp(tcp),
                    ListenerKind::Universal,
                    &endpoints(&allowed),
                )
                .await
                .unwrap();
                protos.push(a.protocol);
            }
            protos
        });
        let (_ws, p) = Transport::connect(&ws_config(port, "/ws", &["wamp.2.json"]))
            .await
            .unwrap();
        assert_eq!(p, "wamp.2.json");
        let cfg: crate::wamp::transport::config::TransportConfig =
            serde_json::from_value(serde_json::json!({
                "type": "rawsocket", "url": format!("rs://127.0.0.1:{port}"),
                "protocols": ["wamp.2.json"], "host": "127.0.0.1", "port": port
            }))
            .unwrap();
        let (_rs, p) = Transport::connect(&cfg).await.unwrap();
        assert_eq!(p, "wamp.2.json");
        assert_eq!(server.await.unwrap().len(), 2);
    }

    #[test]
    fn subprotocol_is_the_first_offered_that_is_allowed() {
        let allowed = vec!["msgpack".to_string(), "json".to_string()];
        assert_eq!(
            pick_subprotocol("wamp.2.cbor, wamp.2.json, wamp.2.msgpack", &allowed),
            Some("wamp.2.json".into())
        );
        assert_eq!(pick_subprotocol("wamp.2.cbor", &allowed), None);
    }
}
