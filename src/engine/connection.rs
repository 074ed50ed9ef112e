//! The connection actor: one tokio task per open Connection. It owns the transport, the session
//! core, the clocks (retry back-off, GOODBYE deadline) and the reconnect loop, and talks to
//! JavaScript only through `Command`s in and events (via `EventSink`) out.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{sleep, Instant};

use super::codec::Codec;
use super::config::ConnectionConfig;
use super::error::TransportError;
use super::events::{self, CloseDetails, TransportInfo};
use super::retry::RetrySchedule;
use super::session::{Leave, Output, Session};
use super::transport::{Received, Transport};
use super::EventSink;

/// Commands from JavaScript.
#[derive(Debug)]
pub enum Command {
    /// WAMP commands for the session with this serial, separated by `\n` (JSON text never
    /// contains a raw newline).
    Send { serial: u32, text: String },
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
            self.sink.emit(events::close(reason, &details));
            let Some(delay) = decision.delay.filter(|_| decision.will_retry) else {
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
        let Some(transport) = self.config.transports.first().cloned() else {
            return Attempt::ConnectFailed(TransportError::InvalidUrl {
                url: String::new(),
                reason: "no transport configured".into(),
            });
        };
        let connect = Transport::connect(&transport);
        tokio::pin!(connect);
        let (link, protocol) = loop {
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
        let Some(codec) = Codec::from_name(&protocol) else {
            return Attempt::ConnectFailed(TransportError::NoSubprotocol {
                url: transport.url.clone(),
                offered: protocol,
            });
        };
        *ever_connected = true;
        schedule.reset();
        let info = TransportInfo {
            kind: transport.kind.clone(),
            url: transport.url.clone(),
            protocol: Some(protocol),
        };
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
        let mut session = Session::start(
            serial,
            &self.config.realm,
            self.config.hello_details.get(),
            &mut out,
        );
        let mut goodbye_deadline: Option<Instant> = None;
        let mut abandoned = false;
        let ended = |session: &Session, was_clean: bool, note: Option<String>| Attempt::Ended {
            was_clean,
            leave: session.leave_info().cloned(),
            note,
        };
        loop {
            if !out.to_js.is_empty() {
                for ev in out.to_js.drain(..) {
                    self.sink.emit(ev);
                }
            }
            if !out.to_router.is_empty() {
                let mut failure = None;
                for msg in out.to_router.drain(..) {
                    if self.config.debug {
                        self.sink.emit(events::debug("tx", &msg));
                    }
                    let frame = match codec.encode(msg) {
                        Ok(frame) => frame,
                        Err(e) => {
                            // Our own message did not encode: a bug, not the router's fault.
                            self.sink.emit(events::internal_error(&e.to_string()));
                            continue;
                        }
                    };
                    if let Err(e) = link.feed(frame).await {
                        failure = Some(e.to_string());
                        break;
                    }
                }
                if failure.is_none() {
                    if let Err(e) = link.flush().await {
                        failure = Some(e.to_string());
                    }
                }
                if failure.is_some() {
                    return ended(&session, false, failure);
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
                    Received::Frame(frame) => match codec.decode(frame) {
                        Ok(text) => {
                            if self.config.debug {
                                self.sink.emit(events::debug("rx", &text));
                            }
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
                    Some(Command::Send { serial: s, text }) => {
                        if s == serial {
                            for line in text.split('\n') {
                                if let Err(e) = session.on_command(line, &mut out) {
                                    out.to_js.push(events::internal_error(&e));
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
            }
        }
    }
}
