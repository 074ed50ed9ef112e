//! The sans-IO WAMP session core: it turns router messages into events for JavaScript and
//! JavaScript commands into router messages, and enforces the protocol rules on both. It owns
//! request ids (one counter for every request type, as the spec demands), the map from request
//! ids to JavaScript handles, and the sets of live subscriptions, registrations and invocations.
//!
//! Commands from JavaScript are WAMP messages in which the request id slot carries a handle
//! (a number chosen by JavaScript); the session swaps in the real request id.
//!
//! This file routes each message to its handler; the handlers live with their message family:
//! `establish` (HELLO to WELCOME, ABORT, GOODBYE), `requests` (what every request shares: ids,
//! handles, ERROR replies, acknowledgements), `pubsub`, `rpc`, and `oversize` (messages too
//! large to send).

mod establish;
mod oversize;
mod pubsub;
mod requests;
mod rpc;
#[cfg(test)]
mod tests;

use std::collections::{HashSet, VecDeque};

use rustc_hash::{FxHashMap, FxHashSet};

use super::error::CommandError;
use super::events;
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{self as m, quote, Parts};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// HELLO sent; waiting for WELCOME, ABORT or CHALLENGE.
    Establishing,
    Established,
    /// We sent GOODBYE and wait for the reply.
    GoodbyeSent,
    /// The session is over; the transport is being closed.
    Ended,
}

/// How the session ended, for `onclose` details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leave {
    pub reason: String,
    pub message: String,
    /// True when we aborted because the router broke the protocol (the connection may retry).
    pub violation: bool,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    kind: u64,
    handle: u64,
    /// Subscription or registration id of an UNSUBSCRIBE / UNREGISTER.
    target: u64,
}

/// What one step of the session produced.
#[derive(Debug, Default, Clone)]
pub struct Output {
    pub to_router: Vec<String>,
    pub to_js: Vec<String>,
    pub close_transport: bool,
}

#[cfg(test)]
impl Output {
    fn clear(&mut self) {
        self.to_router.clear();
        self.to_js.clear();
        self.close_transport = false;
    }
}

const GOODBYE_AND_OUT: &str = "wamp.close.goodbye_and_out";
const PROTOCOL_VIOLATION: &str = "wamp.error.protocol_violation";

/// The maps and sets below are keyed by ids, looked up a few times per call, event and
/// invocation. Most are hashed with Fx (a multiply and a rotate) instead of SipHash: request ids
/// are ours (a counter), and the subscription and registration ids come one per request of ours,
/// so their number is ours too. Fx does not resist chosen keys, so the invocation sets, which a
/// router fills with ids and in numbers of its own choosing, keep std's keyed SipHash: colliding
/// ids must not turn each INVOCATION into a scan of all the others.
#[derive(Clone)]
pub struct SessionCore {
    state: State,
    serial: u32,
    next_request: u64,
    pending: FxHashMap<u64, Pending>,
    /// Calls we cancelled: late or repeated RESULT/ERROR for them are dropped quietly (a router
    /// may answer a cancel and then forward the callee's answer too).
    cancelled: Tombstones,
    subscriptions: FxHashSet<u64>,
    registrations: FxHashSet<u64>,
    invocations: HashSet<u64>,
    /// Progressive call invocations we receive whose input is still streaming in.
    streaming_invocations: HashSet<u64>,
    /// Progressive call invocations we send: JavaScript handle -> the request id all CALLs of
    /// the stream share.
    streaming_calls: FxHashMap<u64, u64>,
    leave: Option<Leave>,
}

impl SessionCore {
    /// Starts a session: returns it with the HELLO in `out`.
    pub fn start(serial: u32, realm: &str, hello_details: &str, out: &mut Output) -> SessionCore {
        out.to_router
            .push(format!("[{},{},{}]", m::HELLO, quote(realm), hello_details));
        SessionCore {
            state: State::Establishing,
            serial,
            next_request: 1,
            pending: FxHashMap::default(),
            cancelled: Tombstones::default(),
            subscriptions: FxHashSet::default(),
            registrations: FxHashSet::default(),
            invocations: HashSet::new(),
            streaming_invocations: HashSet::new(),
            streaming_calls: FxHashMap::default(),
            leave: None,
        }
    }

    #[cfg(test)]
    fn state(&self) -> State {
        self.state
    }

    #[cfg(test)]
    fn is_established(&self) -> bool {
        self.state == State::Established
    }

    /// How the session ended, if it ended by ABORT or GOODBYE (either way).
    pub fn leave_info(&self) -> Option<&Leave> {
        self.leave.as_ref()
    }

    #[cfg(test)]
    fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// Handles one message from the router.
    pub fn on_message(&mut self, text: &str, out: &mut Output) {
        if self.state == State::Ended {
            return;
        }
        if let Err(v) = self.dispatch(text, out) {
            self.violate(&v.0, out);
        }
    }

    /// Aborts with `wamp.error.protocol_violation`.
    pub fn violate(&mut self, message: &str, out: &mut Output) {
        out.to_router.push(format!(
            "[{},{{\"message\":{}}},{}]",
            m::ABORT,
            quote(message),
            quote(PROTOCOL_VIOLATION)
        ));
        out.to_js.push(events::internal_error(&format!(
            "protocol violation: {message}"
        )));
        self.end(PROTOCOL_VIOLATION, message, true, out);
    }

    fn end(&mut self, reason: &str, message: &str, violation: bool, out: &mut Output) {
        self.state = State::Ended;
        self.leave = Some(Leave {
            reason: reason.to_string(),
            message: message.to_string(),
            violation,
        });
        self.pending.clear();
        self.invocations.clear();
        self.streaming_invocations.clear();
        self.streaming_calls.clear();
        out.close_transport = true;
    }

    fn can_send(&self) -> bool {
        self.state == State::Established
    }

    fn dispatch(&mut self, text: &str, out: &mut Output) -> Result<(), ProtocolViolation> {
        let p = Parts::parse(text)?;
        if self.state == State::Establishing {
            return self.on_establishing(&p, out);
        }
        match p.kind {
            m::ABORT => self.on_abort(&p, out),
            m::WELCOME | m::CHALLENGE => Err(ProtocolViolation::new(format!(
                "{} received on an established session",
                p.name()
            ))),
            m::GOODBYE => self.on_goodbye(&p, out),
            m::ERROR => self.on_error(&p, out),
            m::PUBLISHED => self.on_published(&p, out),
            m::SUBSCRIBED => self.on_subscribed(&p, out),
            m::UNSUBSCRIBED => self.on_unsubscribed(&p, out),
            m::EVENT => self.on_event(&p, out),
            m::RESULT => self.on_result(&p, out),
            m::REGISTERED => self.on_registered(&p, out),
            m::UNREGISTERED => self.on_unregistered(&p, out),
            m::INVOCATION => self.on_invocation(&p, out),
            m::INTERRUPT => self.on_interrupt(&p, out),
            other => Err(ProtocolViolation::new(format!(
                "unexpected message type {other} ({})",
                m::type_name(other)
            ))),
        }
    }

    /// Handles one command from JavaScript. Errors describe a malformed command (a bug on the
    /// JavaScript side, never a user's input, which index.js validates). Commands are our own
    /// JavaScript's `JSON.stringify` output, so they are split by a scan of their structure
    /// ([`Parts::parse_trusted`]) instead of being validated as the router's messages are.
    pub fn on_command(&mut self, text: &str, out: &mut Output) -> Result<(), CommandError> {
        let p = Parts::parse_trusted(text).map_err(CommandError::Unparsable)?;
        let result = match p.kind {
            m::PUBLISH | m::SUBSCRIBE | m::UNSUBSCRIBE | m::CALL | m::REGISTER | m::UNREGISTER => {
                self.send_request(&p, text, out)
            }
            m::CANCEL => self.send_cancel(&p, out),
            m::YIELD => self.send_yield(&p, text, out),
            m::ERROR => self.send_invocation_error(&p, text, out),
            m::AUTHENTICATE => {
                self.send_authenticate(text, out);
                Ok(())
            }
            m::ABORT => self.send_abort(&p, text, out),
            other => return Err(CommandError::Unsupported(other)),
        };
        result.map_err(|reason| CommandError::Malformed {
            command: m::truncate(text),
            reason,
        })
    }
}

/// The most recent cancelled request ids, bounded so that a long session does not accumulate
/// them: a late reply comes soon after the cancel or not at all.
#[derive(Default, Clone)]
struct Tombstones {
    ids: FxHashSet<u64>,
    order: VecDeque<u64>,
}

impl Tombstones {
    const CAPACITY: usize = 1024;

    fn insert(&mut self, id: u64) {
        if self.ids.insert(id) {
            self.order.push_back(id);
            if self.order.len() > Self::CAPACITY {
                if let Some(old) = self.order.pop_front() {
                    self.ids.remove(&old);
                }
            }
        }
    }

    fn contains(&self, id: u64) -> bool {
        self.ids.contains(&id)
    }
}

/// The bytes an event's head takes besides its details (and error URI): `[`, the kind and up
/// to three ids or handles of at most 16 digits (2^53), each with its comma.
const HEAD_NUMBERS: usize = 1 + 4 * 17;
