//! The connection actor: one tokio task per open Connection. It owns the transport, the session
//! core, the clocks (retry back-off, GOODBYE deadline) and the reconnect loop, and talks to
//! JavaScript only through `Command`s in and events (via `EventSink`) out.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::sleep;

use super::config::ConnectionConfig;
use super::events::{self, CloseDetails};
use super::flow::{Backlog, InboundGate};
use super::retry::RetrySchedule;
use super::session::Leave;
use super::EventSink;
use crate::wamp::codec::Attachment;
use crate::wamp::error::TransportError;

mod commands;
mod failover;
mod session_run;

pub use commands::{command_channel, CommandReceiver, CommandSender};

use failover::connect_any;
use session_run::SessionRun;

/// Commands from JavaScript.
#[derive(Debug)]
pub enum Command {
    /// WAMP commands for the session with this serial, separated by `\n` (JSON text never
    /// contains a raw newline), and the attachments their placeholders refer to.
    Send {
        serial: u32,
        text: String,
        attachments: Vec<Attachment>,
        /// Its share of the outgoing count, given back once its messages are written (or
        /// dropped with the command).
        backlog: Backlog,
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
    commands: CommandReceiver,
    sink: Arc<dyn EventSink>,
    /// Events waiting for JavaScript: the socket is read only while they are under the limit.
    inbound: Arc<InboundGate>,
    serial: Arc<AtomicU32>,
    /// Set by `close()`: never reconnect after this.
    user_closed: bool,
}

impl Actor {
    pub fn new(
        config: ConnectionConfig,
        commands: CommandReceiver,
        sink: Arc<dyn EventSink>,
        inbound: Arc<InboundGate>,
        serial: Arc<AtomicU32>,
    ) -> Self {
        inbound.set_limit(config.incoming_high_water_mark);
        Actor {
            config,
            commands,
            sink,
            inbound,
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
        let serial = self.serial.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        self.sink.emit(events::connected(serial, &info));
        SessionRun::start(self, serial, link, codec).run().await
    }
}
