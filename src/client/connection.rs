//! The connection actor: one tokio task per open Connection. It owns the transport, the session
//! core, the clocks (retry back-off, GOODBYE deadline) and the reconnect loop, and talks to
//! JavaScript only through `Command`s in and events (via `EventSink`) out.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{sleep, Instant};

use super::config::ConnectionConfig;
use super::events::{self, CloseDetails, TransportInfo};
use super::retry::RetrySchedule;
use super::session::{Leave, Output, SessionCore};
use super::EventSink;
use crate::wamp::codec::convention::describe_attachments;
use crate::wamp::codec::convention::Outgoing;
use crate::wamp::codec::{Attachment, Codec, ReceivedValue};
use crate::wamp::error::TransportError;
use crate::wamp::transport::config::{TransportConfig, DEFAULT_CONNECT_TIMEOUT};
use crate::wamp::transport::{Received, Transport};

/// Commands from JavaScript.
#[derive(Debug)]
pub enum Command {
    /// WAMP commands for the session with this serial, separated by `\n` (JSON text never
    /// contains a raw newline), and the attachments their placeholders refer to.
    Send {
        serial: u32,
        text: String,
        attachments: Vec<Attachment>,
    },
    /// `connection.close(reason, message)`.
    Close {
        reason: Option<String>,
        message: Option<String>,
    },
    /// The answer of `onclose`: stop retrying or go on.
    RetryDecision { stop: bool },
    /// `connection.transport.close()`: close the transport without GOODBYE; retrying goes on.
    DropTransport,
}

/// How long we wait for the router's GOODBYE reply.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_LEAVE_REASON: &str = "wamp.close.normal";

enum Attempt {
    /// The transport never opened.
    ConnectFailed(TransportError),
    /// The transport opened and has now closed.
    Ended {
        was_clean: bool,
        leave: Option<Leave>,
        /// What the transport said about the close, for `details.message` when no WAMP leave
        /// explains it.
        note: Option<String>,
    },
    /// `close()` while connecting.
    ClosedByUser,
    /// The JavaScript side is gone.
    Abandoned,
}

pub struct Actor {
    config: ConnectionConfig,
    commands: UnboundedReceiver<Command>,
    sink: Arc<dyn EventSink>,
    serial: Arc<AtomicU32>,
    /// Set by `close()`: never reconnect after this.
    user_closed: bool,
}

impl Actor {
    pub fn new(
        config: ConnectionConfig,
        commands: UnboundedReceiver<Command>,
        sink: Arc<dyn EventSink>,
        serial: Arc<AtomicU32>,
    ) -> Self {
        Actor {
            config,
            commands,
            sink,
            serial,
            user_closed: false,
        }
    }

    pub async fn run(mut self) {
        let mut schedule = RetrySchedule::new(self.config.retry.clone());
        let mut ever_connected = false;
        loop {
            let attempt = self.attempt(&mut schedule, &mut ever_connected).await;
            let (reason, leave, message, mut retry_allowed) = match attempt {
                Attempt::Abandoned => return,
                Attempt::ClosedByUser => ("closed", None, None, false),
                Attempt::ConnectFailed(err) => {
                    let unreachable = !ever_connected;
                    let allowed =
                        !err.is_fatal() && (!unreachable || self.config.retry.retry_if_unreachable);
                    let reason = if unreachable { "unreachable" } else { "lost" };
                    (reason, None, Some(err.to_string()), allowed)
                }
                Attempt::Ended {
                    was_clean,
                    leave,
                    note,
                } => {
                    // Any leave (ABORT, or GOODBYE either way) ends reconnecting, as in
                    // Autobahn|JS; an abort for a protocol violation by the router does not.
                    let allowed = leave.as_ref().is_none_or(|l| l.violation);
                    let reason = if was_clean { "closed" } else { "lost" };
                    (reason, leave, note, allowed)
                }
            };
            retry_allowed &= !self.user_closed;
            let decision = schedule.advance(retry_allowed);
            let details = CloseDetails {
                reason: leave.as_ref().map(|l| l.reason.clone()),
                message: leave.map(|l| l.message).or(message),
                retry_delay: decision.delay,
                retry_count: decision.count,
                will_retry: decision.will_retry,
            };
            let retry_delay = decision.delay.filter(|_| decision.will_retry);
            if retry_delay.is_none() {
                // The final close: stop taking commands *before* JavaScript hears of it, so an
                // `open()` from its onclose never finds this actor still winding down.
                self.commands.close();
            }
            self.sink.emit(events::close(reason, &details));
            let Some(delay) = retry_delay else {
                return;
            };
            if !self.back_off(delay).await {
                return;
            }
            self.sink.emit(events::connecting());
        }
    }

    /// Waits for the retry delay and for JavaScript's answer to `onclose`. Returns false when
    /// the connection must not retry.
    async fn back_off(&mut self, delay: f64) -> bool {
        let timer = sleep(Duration::from_secs_f64(delay.max(0.0)));
        tokio::pin!(timer);
        let (mut elapsed, mut decided) = (false, false);
        while !(elapsed && decided) {
            tokio::select! {
                _ = &mut timer, if !elapsed => elapsed = true,
                cmd = self.commands.recv() => match cmd {
                    None => return false,
                    Some(Command::RetryDecision { stop: true }) => return false,
                    Some(Command::RetryDecision { stop: false }) => decided = true,
                    Some(Command::Close { reason, message }) => {
                        // Autobahn|JS lets the pending retry fire anyway; we cancel it.
                        self.user_closed = true;
                        let details = CloseDetails {
                            reason: Some(reason.unwrap_or_else(|| DEFAULT_LEAVE_REASON.into())),
                            message,
                            retry_delay: None,
                            retry_count: None,
                            will_retry: false,
                        };
                        self.commands.close();
                        self.sink.emit(events::close("closed", &details));
                        return false;
                    }
                    // Commands for a session that is gone; JavaScript already settled them.
                    Some(Command::Send { .. }) | Some(Command::DropTransport) => {}
                },
            }
        }
        true
    }

    async fn attempt(
        &mut self,
        schedule: &mut RetrySchedule,
        ever_connected: &mut bool,
    ) -> Attempt {
        let transports = self.config.transports.clone();
        let timeout = self.config.connect_timeout;
        let connect = connect_any(&transports, timeout);
        tokio::pin!(connect);
        let (link, codec, info) = loop {
            tokio::select! {
                res = &mut connect => match res {
                    Ok(ok) => break ok,
                    Err(e) => return Attempt::ConnectFailed(e),
                },
                cmd = self.commands.recv() => match cmd {
                    None => return Attempt::Abandoned,
                    Some(Command::Close { .. }) => {
                        self.user_closed = true;
                        return Attempt::ClosedByUser;
                    }
                    Some(_) => {}
                },
            }
        };
        *ever_connected = true;
        schedule.reset();
        self.run_session(link, codec, &info).await
    }

    async fn run_session(
        &mut self,
        mut link: Transport,
        codec: Codec,
        info: &TransportInfo,
    ) -> Attempt {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        self.sink.emit(events::connected(serial, info));
        let mut out = Output::default();
        let mut session = SessionCore::start(
            serial,
            &self.config.realm,
            self.config.hello_details.get(),
            &mut out,
        );
        let mut goodbye_deadline: Option<Instant> = None;
        // A router that accepts the transport but never answers HELLO must not leave us waiting
        // forever: the join gets `connect_timeout` too (a CHALLENGE stops the clock, since the
        // answer then depends on the application's onchallenge).
        let mut join_deadline =
            Some(Instant::now() + Duration::from_secs_f64(self.config.connect_timeout.max(0.001)));
        let mut abandoned = false;
        // Values beside the text: those of the commands being sent, and those of the
        // message received, which go to JavaScript with the events it produced.
        let mut outgoing: Outgoing = Vec::new();
        let mut incoming: Vec<ReceivedValue> = Vec::new();
        let ended = |session: &SessionCore, was_clean: bool, note: Option<String>| Attempt::Ended {
            was_clean,
            leave: session.leave_info().cloned(),
            note,
        };
        loop {
            if !out.to_js.is_empty() {
                self.sink
                    .emit_all(&mut out.to_js, std::mem::take(&mut incoming));
            }
            // Attachments of a message that produced no event have nobody to go to.
            incoming.clear();
            if !out.to_router.is_empty() {
                let mut failure = None;
                let mut refused = Vec::new();
                let limit = link.send_limit();
                for msg in out.to_router.drain(..) {
                    if self.config.debug {
                        let shown = describe_attachments(&msg, |i| {
                            outgoing
                                .get(i)
                                .and_then(Option::as_ref)
                                .map(Attachment::size)
                        });
                        self.sink.emit(events::debug("tx", &shown));
                    }
                    let frame = match codec.encode(msg, &mut outgoing) {
                        Ok(frame) => frame,
                        Err(e) => {
                            // Our own message did not encode: a bug, not the router's fault.
                            self.sink.emit(events::internal_error(&e.to_string()));
                            continue;
                        }
                    };
                    if let Some((_, note)) = limit.as_ref().filter(|(max, _)| frame.len() > *max) {
                        // Too large to send: the request fails, the connection stays.
                        let size = frame.len();
                        match codec.decode(frame, None) {
                            Ok(text) => refused.push((text, format!("{size} bytes, but {note}"))),
                            Err(e) => failure = Some(e.to_string()),
                        }
                        continue;
                    }
                    if let Err(e) = link.feed(frame).await {
                        failure = Some(e.to_string());
                        break;
                    }
                }
                outgoing.clear();
                if failure.is_none() {
                    if let Err(e) = link.flush().await {
                        failure = Some(e.to_string());
                    }
                }
                if failure.is_some() {
                    return ended(&session, false, failure);
                }
                if !refused.is_empty() {
                    for (text, why) in refused {
                        if !session.refuse_outgoing(&text, &why, &mut out) {
                            return ended(
                                &session,
                                false,
                                Some(format!("cannot send a message of {why}")),
                            );
                        }
                    }
                    // Send what the refusals produced (error replies) before waiting again.
                    continue;
                }
            }
            if out.close_transport {
                link.close().await;
                if abandoned {
                    return Attempt::Abandoned;
                }
                return ended(&session, true, None);
            }
            tokio::select! {
                received = link.recv() => match received {
                    Received::Frame(frame) => match codec
                        .decode(frame, Some(&mut incoming))
                    {
                        Ok(text) => {
                            if self.config.debug {
                                let shown = describe_attachments(&text, |i| {
                                    incoming.get(i).map(ReceivedValue::size)
                                });
                                self.sink.emit(events::debug("rx", &shown));
                            }
                            // Any answer to HELLO (WELCOME, CHALLENGE, ABORT) ends the join clock.
                            join_deadline = None;
                            session.on_message(&text, &mut out);
                        }
                        Err(e) => session.violate(&e.to_string(), &mut out),
                    },
                    Received::Closed { clean, note } => {
                        if clean {
                            link.finish_close().await;
                        }
                        return ended(&session, clean, note);
                    }
                },
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Send { serial: s, text, attachments }) => {
                        if s == serial {
                            outgoing = attachments.into_iter().map(Some).collect();
                            for line in text.split('\n') {
                                if let Err(e) = session.on_command(line, &mut out) {
                                    out.to_js.push(events::internal_error(&e.to_string()));
                                }
                            }
                        }
                    }
                    Some(Command::Close { reason, message }) => {
                        self.user_closed = true;
                        let reason = reason.as_deref().unwrap_or(DEFAULT_LEAVE_REASON);
                        if session.leave(reason, message.as_deref(), &mut out) {
                            goodbye_deadline = Some(Instant::now() + GOODBYE_TIMEOUT);
                        } else {
                            out.close_transport = true;
                        }
                    }
                    Some(Command::RetryDecision { .. }) => {}
                    Some(Command::DropTransport) => out.close_transport = true,
                    None => {
                        abandoned = true;
                        out.close_transport = true;
                    }
                },
                _ = tokio::time::sleep_until(goodbye_deadline.unwrap_or_else(Instant::now)),
                    if goodbye_deadline.is_some() => {
                    // The router did not answer our GOODBYE: close anyway.
                    out.close_transport = true;
                }
                _ = tokio::time::sleep_until(join_deadline.unwrap_or_else(Instant::now)),
                    if join_deadline.is_some() => {
                    link.close().await;
                    return ended(
                        &session,
                        false,
                        Some(format!(
                            "the router did not answer HELLO within {} s (connect_timeout)",
                            self.config.connect_timeout
                        )),
                    );
                }
            }
        }
    }
}

/// Failover: tries the transport entries in order, each bounded by `timeout_secs`, and returns
/// the first that connects with a serializer we know. When all fail, the error lists every
/// entry's failure (the caller counts that as one failed attempt).
async fn connect_any(
    transports: &[TransportConfig],
    timeout_secs: f64,
) -> Result<(Transport, Codec, TransportInfo), TransportError> {
    let mut errors = Vec::new();
    for cfg in transports {
        match connect_one(cfg, timeout_secs).await {
            Ok(ok) => return Ok(ok),
            Err(e) => errors.push(e),
        }
    }
    Err(match errors.len() {
        1 => errors.remove(0),
        _ => TransportError::AllFailed(errors),
    })
}

async fn connect_one(
    cfg: &TransportConfig,
    timeout_secs: f64,
) -> Result<(Transport, Codec, TransportInfo), TransportError> {
    let limit = Duration::try_from_secs_f64(timeout_secs)
        .ok()
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs_f64(DEFAULT_CONNECT_TIMEOUT));
    let (link, protocol) = match tokio::time::timeout(limit, Transport::connect(cfg)).await {
        Ok(res) => res?,
        Err(_) => {
            return Err(TransportError::Timeout {
                url: cfg.url.clone(),
                seconds: limit.as_secs_f64(),
            })
        }
    };
    let Some(codec) = Codec::from_name(&protocol) else {
        return Err(TransportError::NoSubprotocol {
            url: cfg.url.clone(),
            offered: protocol,
        });
    };
    let info = TransportInfo {
        kind: cfg.kind.clone(),
        url: cfg.url.clone(),
        protocol: Some(protocol),
    };
    Ok((link, codec, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rawsocket_entry(port: u16) -> TransportConfig {
        serde_json::from_str(&format!(
            r#"{{"type":"rawsocket","url":"rs://127.0.0.1:{port}","protocols":["wamp.2.json"],"host":"127.0.0.1","port":{port}}}"#
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn failover_tries_every_entry_and_reports_each_failure() {
        // A silent listener (accepts, never answers) and a closed port.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        let closed_port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let entries = [rawsocket_entry(silent_port), rawsocket_entry(closed_port)];
        let err = match connect_any(&entries, 0.2).await {
            Err(e) => e,
            Ok(_) => panic!("connected to nothing"),
        };
        assert!(!err.is_fatal());
        let text = err.to_string();
        assert!(text.starts_with("all 2 transports failed: (1) "), "{text}");
        assert!(
            text.contains("no answer within 0.2 s (connect_timeout)"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "(2) could not connect to rs://127.0.0.1:{closed_port}"
            )),
            "{text}"
        );

        // A live RawSocket peer as the second entry: the attempt succeeds there.
        let live = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let live_port = live.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut sock, _) = live.accept().await.unwrap();
            let mut hello = [0u8; 4];
            sock.read_exact(&mut hello).await.unwrap();
            assert_eq!(hello, [0x7F, 0xF1, 0, 0]);
            sock.write_all(&[0x7F, 0xF1, 0, 0]).await.unwrap();
            let mut rest = Vec::new();
            let _ = sock.read_to_end(&mut rest).await;
        });
        let entries = [rawsocket_entry(closed_port), rawsocket_entry(live_port)];
        let (_link, codec, info) = connect_any(&entries, 2.0).await.unwrap();
        assert_eq!(codec, Codec::Json);
        assert_eq!(info.url, format!("rs://127.0.0.1:{live_port}"));
        assert_eq!(info.protocol.as_deref(), Some("wamp.2.json"));
        drop(silent);
    }

    #[test]
    fn only_all_fatal_failures_are_fatal() {
        let fatal = || TransportError::InvalidUrl {
            url: "x".into(),
            reason: "y".into(),
        };
        let soft = || TransportError::Connect {
            url: "x".into(),
            reason: "y".into(),
        };
        assert!(TransportError::AllFailed(vec![fatal(), fatal()]).is_fatal());
        assert!(!TransportError::AllFailed(vec![fatal(), soft()]).is_fatal());
    }
}
