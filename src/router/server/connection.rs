//! One connection: the transport handshake, HELLO and authentication, then the session's
//! frames in both directions until either side ends it.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::hub::{self, Link, Routed};
use super::{AuthRequest, LogLevel, Shared};
use crate::router::auth::{Admitted, Handshake, Hello, Step};
use crate::router::config::AuthConfig;
use crate::router::core::{Attached, JoinRequest, SessionId};
use crate::router::json_numbers::plain_big_integers;
use crate::wamp::codec::{Codec, Outgoing};
use crate::wamp::message::{self as wamp_msg, quote, Parts};
use crate::wamp::transport::accept::{self, Endpoint, ListenerKind};
use crate::wamp::transport::stream::Stream;
use crate::wamp::transport::{Frame, Received, Transport};

/// What a listener serves: its kind and its endpoints (the first is RawSocket's too), with the
/// authentication of each.
pub(super) struct Endpoints {
    pub kind: ListenerKind,
    pub endpoints: Vec<Endpoint>,
    pub auth: Vec<Option<AuthConfig>>,
}

/// The WebSocket close code for a message over the size limit.
const CLOSE_TOO_LARGE: u16 = 1009;

/// Serves one accepted connection to its end. `_alive` tells `RouterServer::stop` that this
/// connection still runs.
pub(super) async fn serve(
    shared: Arc<Shared>,
    listener: Arc<Endpoints>,
    tls: Option<TlsAcceptor>,
    stream: Stream,
    peer: String,
    _alive: mpsc::Sender<()>,
) {
    let setup = async {
        let stream = match (tls, stream) {
            (Some(acceptor), Stream::Tcp(tcp)) => acceptor
                .accept(tcp)
                .await
                .map(|s| Stream::TlsServer(Box::new(s)))
                .map_err(|e| format!("TLS handshake failed: {e}"))?,
            (_, stream) => stream,
        };
        accept::negotiate(stream, listener.kind, &listener.endpoints).await
    };
    let accepted = tokio::select! {
        _ = shared.stopping.cancelled() => return,
        r = tokio::time::timeout(shared.join_timeout, setup) => match r {
            Ok(Ok(a)) => a,
            Ok(Err(why)) => {
                shared.log(LogLevel::Info, format!("connection from {peer} refused: {why}"));
                return;
            }
            Err(_) => {
                shared.log(
                    LogLevel::Info,
                    format!("connection from {peer} closed: no transport handshake within the join timeout"),
                );
                return;
            }
        },
    };
    let Some(codec) = Codec::from_name(&accepted.protocol) else {
        return;
    };
    let endpoint = accepted.endpoint;
    let transport_type = match &accepted.transport {
        Transport::WebSocket(_) => "websocket",
        Transport::RawSocket(_) => "rawsocket",
    };
    let mut conn = Connection {
        shared,
        link: accepted.transport,
        codec,
        max_message_size: listener
            .endpoints
            .get(endpoint)
            .map_or(usize::MAX, |e| e.max_message_size),
        peer,
    };
    let details = serde_json::json!({
        "type": transport_type,
        "protocol": accepted.protocol,
        "peer": conn.peer,
    });
    let auth = listener.auth.get(endpoint).cloned().flatten();
    let stopping = conn.shared.stopping.clone();
    let timeout = conn.shared.join_timeout;
    let joined = tokio::select! {
        _ = stopping.cancelled() => None,
        r = tokio::time::timeout(timeout, conn.join(auth.as_ref(), details)) => match r {
            Ok(joined) => joined,
            Err(_) => {
                conn.shared.log(
                    LogLevel::Info,
                    format!("connection from {} closed: it did not join within the join timeout", conn.peer),
                );
                conn.abort("wamp.error.timeout", "no session was established within the join timeout")
                    .await;
                None
            }
        },
    };
    if let Some((session, rx, cancel)) = joined {
        conn.run(session, rx, cancel).await;
    }
}

struct Connection {
    shared: Arc<Shared>,
    link: Transport,
    codec: Codec,
    max_message_size: usize,
    peer: String,
}

impl Connection {
    /// Encodes and queues one message (JSON text) on the transport; `flush` sends.
    async fn feed(&mut self, text: String, attached: &Attached) -> bool {
        let text = match self.codec {
            Codec::Json => plain_big_integers(text),
            _ => text,
        };
        // Shared, not copied: a value that goes to many sessions is one buffer.
        let mut values: Outgoing = attached
            .as_deref()
            .map(|values| values.iter().map(|v| Some(v.into())).collect())
            .unwrap_or_default();
        let frame = match self.codec.encode(text, &mut values) {
            Ok(f) => f,
            Err(e) => {
                self.shared.log(
                    LogLevel::Warn,
                    format!("a message for {} was dropped: {e}", self.peer),
                );
                return true;
            }
        };
        match self.link.feed(frame).await {
            Ok(()) => true,
            Err(crate::wamp::error::TransportError::TooLarge { size, limit_note }) => {
                self.shared.log(
                    LogLevel::Warn,
                    format!(
                        "a message of {size} bytes for {} was dropped: {limit_note}",
                        self.peer
                    ),
                );
                true
            }
            Err(_) => false,
        }
    }

    async fn send(&mut self, text: String) -> bool {
        self.feed(text, &None).await && self.link.flush().await.is_ok()
    }

    /// ABORT with a reason and message, then close.
    async fn abort(&mut self, reason: &str, message: &str) {
        let details = serde_json::json!({ "message": message });
        self.send(format!("[3,{details},{}]", quote(reason))).await;
        self.link.close().await;
    }

    /// The next message as JSON text; None when the transport ended or the frame was refused
    /// (the connection is then closed).
    async fn next_text(&mut self) -> Option<String> {
        match self.link.recv().await {
            Received::Frame(frame) => self.decode(frame, false).await.map(|(text, _)| text),
            Received::Closed { .. } => None,
        }
    }

    /// A frame as JSON text; None when it is refused (too large, undecodable: answered and
    /// closed already). With `attach`, the large values of a MessagePack or CBOR frame stay
    /// beside the text (under JSON they are text already, and most peers are JSON ones, to
    /// whom they would go back inline).
    async fn decode(&mut self, frame: Frame, attach: bool) -> Option<(String, Attached)> {
        if frame.len() > self.max_message_size {
            let why = format!(
                "message of {} bytes exceeds the limit of {} bytes",
                frame.len(),
                self.max_message_size
            );
            self.shared.log(
                LogLevel::Info,
                format!("connection from {} closed: {why}", self.peer),
            );
            self.link.close_with(CLOSE_TOO_LARGE, &why).await;
            return None;
        }
        let mut values = Vec::new();
        let take = (attach && self.codec != Codec::Json).then_some(&mut values);
        match self.codec.decode(frame, take) {
            Ok(text) => Some((text, (!values.is_empty()).then(|| values.into()))),
            Err(e) => {
                self.abort("wamp.error.protocol_violation", &e.to_string())
                    .await;
                None
            }
        }
    }

    /// HELLO, authentication and the join. Returns the session with its queue, or None when
    /// the connection ended (answered already).
    async fn join(
        &mut self,
        auth: Option<&AuthConfig>,
        transport: serde_json::Value,
    ) -> Option<(SessionId, mpsc::Receiver<Routed>, CancellationToken)> {
        let text = self.next_text().await?;
        let (hello, roles) = match parse_hello(&text) {
            Ok(h) => h,
            Err(why) => {
                self.abort("wamp.error.protocol_violation", &why).await;
                return None;
            }
        };
        if !self.shared.hub.lock().has_realm(&hello.realm) {
            let message = format!("no realm '{}' on this router", hello.realm);
            self.abort("wamp.error.no_such_realm", &message).await;
            return None;
        }
        let realm = hello.realm.clone();
        let (mut handshake, mut step) = Handshake::start(hello, auth);
        loop {
            step = match step {
                Step::Admit(admitted) => {
                    return self.enter(realm, admitted, roles, transport).await;
                }
                Step::Refuse { reason, message } => {
                    self.shared.log(
                        LogLevel::Info,
                        format!("join of {} refused: {reason}: {message}", self.peer),
                    );
                    self.abort(&reason, &message).await;
                    return None;
                }
                Step::Challenge { method, extra } => {
                    if !self.send(format!("[4,{},{extra}]", quote(&method))).await {
                        return None;
                    }
                    let text = self.next_text().await?;
                    match parse_authenticate(&text) {
                        Ok((signature, extra)) => handshake.authenticate(&signature, &extra),
                        Err(None) => return None, // the client aborted
                        Err(Some(why)) => {
                            self.abort("wamp.error.protocol_violation", &why).await;
                            return None;
                        }
                    }
                }
                Step::Ask {
                    realm,
                    authid,
                    authmethod,
                    details,
                } => {
                    let request = AuthRequest {
                        id: 0,
                        realm,
                        authid,
                        authmethod,
                        details,
                    };
                    match self.shared.ask(request).await {
                        Some(answer) => handshake.authenticator_answered(answer),
                        None => return None,
                    }
                }
            };
        }
    }

    async fn enter(
        &mut self,
        realm: String,
        a: Admitted,
        roles: String,
        transport: serde_json::Value,
    ) -> Option<(SessionId, mpsc::Receiver<Routed>, CancellationToken)> {
        let request = JoinRequest {
            realm,
            authid: a.authid,
            authrole: a.authrole,
            authmethod: a.authmethod,
            authprovider: a.authprovider,
            authextra: a.authextra,
            roles,
            transport,
        };
        let (tx, rx) = mpsc::channel(self.shared.max_queued);
        let cancel = CancellationToken::new();
        let link = Link {
            tx,
            cancel: cancel.clone(),
        };
        match hub::join(&self.shared, request, link) {
            Ok(id) => Some((id, rx, cancel)),
            Err(refusal) => {
                self.abort(&refusal.reason, &refusal.message).await;
                None
            }
        }
    }

    /// The joined session: the core's messages out, the peer's in.
    async fn run(
        mut self,
        session: SessionId,
        mut rx: mpsc::Receiver<Routed>,
        cancel: CancellationToken,
    ) {
        let abort = self.shared.abort.clone();
        loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return,
                _ = abort.cancelled() => {
                    hub::leave(&self.shared, session);
                    return;
                }
                next = rx.recv() => match next {
                    Some(routed) => {
                        let written = tokio::select! {
                            ok = self.write_batch(routed, &mut rx) => ok,
                            _ = cancel.cancelled() => return,
                            _ = abort.cancelled() => false,
                        };
                        if !written {
                            hub::leave(&self.shared, session);
                            return;
                        }
                    }
                    // The core ended the session (GOODBYE, kill, violation, shutdown): what it
                    // queued is written; close.
                    None => {
                        tokio::select! {
                            _ = self.link.close() => {}
                            _ = abort.cancelled() => {}
                        }
                        return;
                    }
                },
                received = self.link.recv() => match received {
                    Received::Frame(frame) => match self.decode(frame, true).await {
                        Some((text, attached)) => {
                            hub::handle(&self.shared, session, &text, attached);
                        }
                        None => {
                            hub::leave(&self.shared, session);
                            return;
                        }
                    },
                    Received::Closed { .. } => {
                        hub::leave(&self.shared, session);
                        return;
                    }
                },
            }
        }
    }

    /// Writes `first` and whatever else is queued already, then flushes once.
    async fn write_batch(&mut self, first: Routed, rx: &mut mpsc::Receiver<Routed>) -> bool {
        if !self.feed(first.text, &first.attached).await {
            return false;
        }
        for _ in 0..256 {
            match rx.try_recv() {
                Ok(routed) => {
                    if !self.feed(routed.text, &routed.attached).await {
                        return false;
                    }
                }
                Err(_) => break,
            }
        }
        self.link.flush().await.is_ok()
    }
}

/// HELLO `[1, realm, details]` -> what authentication needs, and the client's roles (JSON).
fn parse_hello(text: &str) -> Result<(Hello, String), String> {
    let parts = Parts::parse(text).map_err(|v| v.0)?;
    if parts.kind != wamp_msg::HELLO {
        return Err(format!(
            "the first message must be HELLO, got {}",
            parts.name()
        ));
    }
    parts.expect_len(3, 3).map_err(|v| v.0)?;
    let realm = parts.string(1, "realm").map_err(|v| v.0)?;
    let details = parts.dict(2, "details").map_err(|v| v.0)?;
    let details: serde_json::Value =
        serde_json::from_str(details).map_err(|e| format!("HELLO.Details: {e}"))?;
    let string = |key: &str| -> Result<Option<String>, String> {
        match details.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("HELLO.Details.{key} must be a string")),
        }
    };
    let authmethods = match details.get("authmethods") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .map(|m| {
                m.as_str()
                    .map(String::from)
                    .ok_or("HELLO.Details.authmethods must list strings")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("HELLO.Details.authmethods must be a list".into()),
    };
    let authextra = match details.get("authextra") {
        None | Some(serde_json::Value::Null) => None,
        Some(v @ serde_json::Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err("HELLO.Details.authextra must be a dict".into()),
    };
    let roles = details
        .get("roles")
        .map_or_else(|| "null".to_string(), ToString::to_string);
    let hello = Hello {
        realm,
        authid: string("authid")?,
        authrole: string("authrole")?,
        authmethods,
        authextra,
    };
    Ok((hello, roles))
}

/// AUTHENTICATE `[5, signature, extra]` -> (signature, extra). Err(None): the client sent
/// ABORT (or GOODBYE) instead; Err(Some(why)): anything else.
fn parse_authenticate(text: &str) -> Result<(String, serde_json::Value), Option<String>> {
    let parts = Parts::parse(text).map_err(|v| Some(v.0))?;
    match parts.kind {
        wamp_msg::AUTHENTICATE => {}
        wamp_msg::ABORT | wamp_msg::GOODBYE => return Err(None),
        _ => {
            return Err(Some(format!(
                "expected AUTHENTICATE after CHALLENGE, got {}",
                parts.name()
            )))
        }
    }
    parts.expect_len(3, 3).map_err(|v| Some(v.0))?;
    let signature = parts.string(1, "signature").map_err(|v| Some(v.0))?;
    let extra = parts.dict(2, "extra").map_err(|v| Some(v.0))?;
    let extra =
        serde_json::from_str(extra).map_err(|e| Some(format!("AUTHENTICATE.Extra: {e}")))?;
    Ok((signature, extra))
}
