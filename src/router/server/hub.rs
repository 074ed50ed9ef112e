//! The hub: the routing core behind a lock, and the delivery of what it produces to the
//! sessions' queues. Nothing here waits: a queue that is full gets its session dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;

use super::{LogLevel, Shared};
use crate::router::core::{
    Attached, JoinRequest, Output, Refusal, RouterCore, SessionId, TimerKey,
};

/// A message on its way to a session: JSON text, and the values its placeholders stand for.
pub(super) struct Routed {
    pub text: String,
    pub attached: Attached,
}

/// A joined session's way out: its queue of messages and the token that ends its connection
/// at once.
pub(super) struct Link {
    pub tx: mpsc::Sender<Routed>,
    pub cancel: CancellationToken,
}

pub(super) struct Hub {
    core: RouterCore,
    links: HashMap<SessionId, Link>,
}

/// What a step left to do once the lock is released.
#[derive(Default)]
struct After {
    timers: Vec<(TimerKey, Duration)>,
    log: Vec<(LogLevel, String)>,
}

impl Hub {
    pub(super) fn new(core: RouterCore) -> Hub {
        Hub {
            core,
            links: HashMap::new(),
        }
    }

    pub(super) fn session_count(&self) -> usize {
        self.core.session_count()
    }

    pub(super) fn has_realm(&self, realm: &str) -> bool {
        self.core.has_realm(realm)
    }

    /// Hands the core's messages to the sessions' queues and closes the sessions it ended.
    /// A session whose queue is full leaves (its connection is cut), which may produce more
    /// messages for others: loops until nothing is left.
    fn deliver(&mut self, out: &mut Output, max_queued: usize, after: &mut After) {
        loop {
            let mut full: Vec<SessionId> = Vec::new();
            for (session, text) in out.messages.drain(..) {
                if let Some(link) = self.links.get(&session) {
                    let attached = out.attached.clone();
                    if let Err(TrySendError::Full(_)) = link.tx.try_send(Routed { text, attached })
                    {
                        if !full.contains(&session) {
                            full.push(session);
                        }
                    }
                }
            }
            // Dropping the sender lets the connection write what is queued, then close.
            for session in out.closes.drain(..) {
                self.links.remove(&session);
            }
            after.timers.append(&mut out.timers);
            after
                .log
                .extend(out.log.drain(..).map(|l| (LogLevel::Info, l)));
            if full.is_empty() {
                return;
            }
            for session in full {
                if let Some(link) = self.links.remove(&session) {
                    link.cancel.cancel();
                }
                after.log.push((
                    LogLevel::Warn,
                    format!(
                        "session {session} dropped: {max_queued} messages are queued for it \
                         and its peer does not read them (max_queued_messages)"
                    ),
                ));
                self.core.leave(session, out);
            }
        }
    }
}

/// Runs `step` on the core and delivers its output; logs and timers are handled after the
/// lock is released.
fn run<R>(shared: &Arc<Shared>, step: impl FnOnce(&mut Hub, &mut Output) -> R) -> R {
    let mut out = Output::default();
    let mut after = After::default();
    let result = {
        let mut hub = shared.hub.lock();
        let result = step(&mut hub, &mut out);
        hub.deliver(&mut out, shared.max_queued, &mut after);
        result
    };
    finish(shared, after);
    result
}

fn finish(shared: &Arc<Shared>, after: After) {
    for (level, line) in after.log {
        shared.log(level, line);
    }
    for (key, delay) in after.timers {
        let shared = shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            fire(&shared, key);
        });
    }
}

/// A timer of the core (a call timeout) is due.
fn fire(shared: &Arc<Shared>, key: TimerKey) {
    run(shared, |hub, out| hub.core.on_timer(key, out));
}

/// Joins a session whose messages go to `link`; its WELCOME is the first message queued.
pub(super) fn join(
    shared: &Arc<Shared>,
    request: JoinRequest,
    link: Link,
) -> Result<SessionId, Refusal> {
    run(shared, |hub, out| {
        let id = hub.core.join(request, out)?;
        hub.links.insert(id, link);
        Ok(id)
    })
}

/// One message from a joined session, with the values attached to it.
pub(super) fn handle(shared: &Arc<Shared>, session: SessionId, text: &str, attached: Attached) {
    run(shared, |hub, out| {
        hub.core.handle_attached(session, text, attached, out);
    });
}

/// The session's transport is gone.
pub(super) fn leave(shared: &Arc<Shared>, session: SessionId) {
    run(shared, |hub, out| {
        hub.links.remove(&session);
        hub.core.leave(session, out);
    });
}

/// GOODBYE to every session; each connection closes once it wrote it.
pub(super) fn shutdown(shared: &Arc<Shared>) {
    run(shared, |hub, out| hub.core.shutdown(out));
}
