//! The sans-IO WAMP session: it turns router messages into events for JavaScript and
//! JavaScript commands into router messages, and enforces the protocol rules on both. It owns
//! request ids (one counter for every request type, as the spec demands), the map from request
//! ids to JavaScript handles, and the sets of live subscriptions, registrations and invocations.
//!
//! Commands from JavaScript are WAMP messages in which the request id slot carries a handle
//! (a number chosen by JavaScript); the session swaps in the real request id.

use std::collections::{HashMap, HashSet};

use super::events;
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{self as m, quote, truncate, Flags, Parts};

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
#[derive(Debug, Default)]
pub struct Output {
    pub to_router: Vec<String>,
    pub to_js: Vec<String>,
    pub close_transport: bool,
}

impl Output {
    pub fn clear(&mut self) {
        self.to_router.clear();
        self.to_js.clear();
        self.close_transport = false;
    }
}

pub const GOODBYE_AND_OUT: &str = "wamp.close.goodbye_and_out";
pub const PROTOCOL_VIOLATION: &str = "wamp.error.protocol_violation";

pub struct Session {
    state: State,
    serial: u32,
    next_request: u64,
    pending: HashMap<u64, Pending>,
    /// Calls we cancelled: late or repeated RESULT/ERROR for them are dropped quietly (a router
    /// may answer a cancel and then forward the callee's answer too).
    cancelled: Tombstones,
    subscriptions: HashSet<u64>,
    registrations: HashSet<u64>,
    invocations: HashSet<u64>,
    /// Progressive call invocations we receive whose input is still streaming in.
    streaming_invocations: HashSet<u64>,
    /// Progressive call invocations we send: JavaScript handle -> the request id all CALLs of
    /// the stream share.
    streaming_calls: HashMap<u64, u64>,
    leave: Option<Leave>,
}

impl Session {
    /// Starts a session: returns it with the HELLO in `out`.
    pub fn start(serial: u32, realm: &str, hello_details: &str, out: &mut Output) -> Session {
        out.to_router
            .push(format!("[{},{},{}]", m::HELLO, quote(realm), hello_details));
        Session {
            state: State::Establishing,
            serial,
            next_request: 1,
            pending: HashMap::new(),
            cancelled: Tombstones::default(),
            subscriptions: HashSet::new(),
            registrations: HashSet::new(),
            invocations: HashSet::new(),
            streaming_invocations: HashSet::new(),
            streaming_calls: HashMap::new(),
            leave: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    pub fn is_established(&self) -> bool {
        self.state == State::Established
    }

    /// How the session ended, if it ended by ABORT or GOODBYE (either way).
    pub fn leave_info(&self) -> Option<&Leave> {
        self.leave.as_ref()
    }

    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    fn new_request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request = if id >= m::MAX_ID { 1 } else { id + 1 };
        id
    }

    /// Leaves the session (GOODBYE) if it is established. Returns false if there was none.
    pub fn leave(&mut self, reason: &str, message: Option<&str>, out: &mut Output) -> bool {
        if self.state != State::Established {
            return false;
        }
        let details = match message {
            Some(msg) => format!("{{\"message\":{}}}", quote(msg)),
            None => "{}".to_string(),
        };
        out.to_router
            .push(format!("[{},{details},{}]", m::GOODBYE, quote(reason)));
        self.state = State::GoodbyeSent;
        true
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

    fn dispatch(&mut self, text: &str, out: &mut Output) -> Result<(), ProtocolViolation> {
        let p = Parts::parse(text)?;
        let establishing = self.state == State::Establishing;
        match p.kind {
            m::WELCOME if establishing => {
                p.expect_len(3, 3)?;
                let session_id = p.id(1, "session id")?;
                let details = p.dict(2, "Details")?;
                self.state = State::Established;
                out.to_js.push(format!(
                    "[{},{},{session_id},{details}]",
                    events::OPEN,
                    self.serial
                ));
            }
            m::CHALLENGE if establishing => {
                p.expect_len(3, 3)?;
                let method = p.string_raw(1, "AuthMethod")?;
                let extra = p.dict(2, "Extra")?;
                out.to_js
                    .push(format!("[{},{method},{extra}]", m::CHALLENGE));
            }
            m::ABORT => {
                p.expect_len(3, 5)?;
                let flags = Flags::read(p.dict(1, "Details")?);
                let reason = p.string(2, "Reason")?;
                self.end(&reason, flags.message.as_deref().unwrap_or(""), false, out);
            }
            _ if establishing => {
                return Err(ProtocolViolation::new(format!(
                    "{} received before the session was established",
                    p.name()
                )))
            }
            m::WELCOME | m::CHALLENGE => {
                return Err(ProtocolViolation::new(format!(
                    "{} received on an established session",
                    p.name()
                )))
            }
            m::GOODBYE => {
                p.expect_len(3, 3)?;
                let flags = Flags::read(p.dict(1, "Details")?);
                let reason = p.string(2, "Reason")?;
                if self.state == State::Established {
                    out.to_router
                        .push(format!("[{},{{}},{}]", m::GOODBYE, quote(GOODBYE_AND_OUT)));
                }
                self.end(&reason, flags.message.as_deref().unwrap_or(""), false, out);
            }
            m::ERROR => self.on_error(&p, out)?,
            m::RESULT => {
                p.expect_len(3, 5)?;
                let request = p.id(1, "request id")?;
                let details = p.dict(2, "Details")?;
                let payload = p.payload(3)?;
                let progress = details.contains("progress") && Flags::read(details).progress;
                let Some(handle) = self.reply_handle(request, m::CALL, !progress, &p)? else {
                    return Ok(());
                };
                let head = format_args!("[{},{handle},{details}", m::RESULT);
                out.to_js
                    .push(payload.event(head, HEAD_NUMBERS + details.len()));
            }
            m::PUBLISHED | m::SUBSCRIBED | m::REGISTERED => {
                p.expect_len(3, 3)?;
                let request = p.id(1, "request id")?;
                let (request_kind, what) = match p.kind {
                    m::PUBLISHED => (m::PUBLISH, "publication id"),
                    m::SUBSCRIBED => (m::SUBSCRIBE, "subscription id"),
                    _ => (m::REGISTER, "registration id"),
                };
                let id = p.id(2, what)?;
                let Some(handle) = self.reply_handle(request, request_kind, true, &p)? else {
                    return Ok(());
                };
                match p.kind {
                    m::SUBSCRIBED => {
                        self.subscriptions.insert(id);
                    }
                    m::REGISTERED => {
                        self.registrations.insert(id);
                    }
                    _ => {}
                }
                out.to_js.push(format!("[{},{handle},{id}]", p.kind));
            }
            m::UNSUBSCRIBED | m::UNREGISTERED => {
                p.expect_len(2, 3)?;
                let request = p.id(1, "request id")?;
                let (request_kind, key) = if p.kind == m::UNSUBSCRIBED {
                    (m::UNSUBSCRIBE, "subscription")
                } else {
                    (m::UNREGISTER, "registration")
                };
                if request == 0 {
                    // Revocation by the router.
                    let details = p.dict(2, "Details")?;
                    let flags = Flags::read(details);
                    let id = if p.kind == m::UNSUBSCRIBED {
                        flags.subscription
                    } else {
                        flags.registration
                    }
                    .ok_or_else(|| {
                        ProtocolViolation::new(format!(
                            "{} revocation lacks Details.{key}",
                            p.name()
                        ))
                    })?;
                    let known = if p.kind == m::UNSUBSCRIBED {
                        self.subscriptions.remove(&id)
                    } else {
                        self.registrations.remove(&id)
                    };
                    if known {
                        let reason = flags.reason.as_deref().map(quote);
                        out.to_js.push(format!(
                            "[{},0,{id},{}]",
                            p.kind,
                            reason.as_deref().unwrap_or("null")
                        ));
                    }
                    return Ok(());
                }
                let target = self.pending.get(&request).map(|r| r.target);
                let Some(handle) = self.reply_handle(request, request_kind, true, &p)? else {
                    return Ok(());
                };
                if let Some(target) = target {
                    if p.kind == m::UNSUBSCRIBED {
                        self.subscriptions.remove(&target);
                    } else {
                        self.registrations.remove(&target);
                    }
                }
                out.to_js.push(format!("[{},{handle}]", p.kind));
            }
            m::EVENT => {
                p.expect_len(4, 6)?;
                let subscription = p.id(1, "subscription id")?;
                let publication = p.id(2, "publication id")?;
                let details = p.dict(3, "Details")?;
                let payload = p.payload(4)?;
                if !self.subscriptions.contains(&subscription) {
                    return Err(ProtocolViolation::new(format!(
                        "EVENT for unknown subscription {subscription}"
                    )));
                }
                let head = format_args!("[{},{subscription},{publication},{details}", m::EVENT);
                out.to_js
                    .push(payload.event(head, HEAD_NUMBERS + details.len()));
            }
            m::INVOCATION => {
                p.expect_len(4, 6)?;
                let request = p.id(1, "request id")?;
                let registration = p.id(2, "registration id")?;
                let details = p.dict(3, "Details")?;
                let payload = p.payload(4)?;
                if !self.registrations.contains(&registration) {
                    // Possible right after an UNREGISTER crossed this INVOCATION: answer, so the
                    // caller is not left waiting.
                    out.to_router.push(format!(
                        "[{},{},{request},{{}},\"wamp.error.no_such_registration\"]",
                        m::ERROR,
                        m::INVOCATION
                    ));
                    return Ok(());
                }
                let input_continues = details.contains("progress") && Flags::read(details).progress;
                if self.invocations.insert(request) {
                    if input_continues {
                        self.streaming_invocations.insert(request);
                    }
                } else if !self.streaming_invocations.contains(&request) {
                    return Err(ProtocolViolation::new(format!(
                        "INVOCATION reuses the id {request} of a running invocation"
                    )));
                } else if !input_continues {
                    self.streaming_invocations.remove(&request);
                }
                let head = format_args!("[{},{request},{registration},{details}", m::INVOCATION);
                out.to_js
                    .push(payload.event(head, HEAD_NUMBERS + details.len()));
            }
            m::INTERRUPT => {
                p.expect_len(3, 3)?;
                let request = p.id(1, "request id")?;
                let options = p.dict(2, "Options")?;
                if self.invocations.remove(&request) {
                    self.streaming_invocations.remove(&request);
                    // `kill` wants an answer, `killnowait` (or no mode) none; either way the
                    // endpoint's own late answer is dropped from here on.
                    if Flags::read(options).mode.as_deref() == Some("kill") {
                        out.to_router.push(format!(
                            "[{},{},{request},{{}},\"wamp.error.canceled\"]",
                            m::ERROR,
                            m::INVOCATION
                        ));
                    }
                    out.to_js
                        .push(format!("[{},{request},{options}]", m::INTERRUPT));
                }
            }
            other => {
                return Err(ProtocolViolation::new(format!(
                    "unexpected message type {other} ({})",
                    m::type_name(other)
                )))
            }
        }
        Ok(())
    }

    /// Finds the JavaScript handle for a reply; `None` for a late reply to a cancelled call.
    fn reply_handle(
        &mut self,
        request: u64,
        expected_kind: u64,
        is_final: bool,
        p: &Parts,
    ) -> Result<Option<u64>, ProtocolViolation> {
        match self.pending.get(&request) {
            Some(r) if r.kind == expected_kind => {
                let handle = r.handle;
                if is_final {
                    self.pending.remove(&request);
                    if expected_kind == m::CALL && !self.streaming_calls.is_empty() {
                        self.streaming_calls.remove(&handle);
                    }
                }
                Ok(Some(handle))
            }
            Some(r) => Err(ProtocolViolation::new(format!(
                "{} for request {request}, which is a {}",
                p.name(),
                m::type_name(r.kind)
            ))),
            None if expected_kind == m::CALL && self.cancelled.contains(request) => Ok(None),
            None => Err(ProtocolViolation::new(format!(
                "{} for unknown request {request}",
                p.name()
            ))),
        }
    }

    fn on_error(&mut self, p: &Parts, out: &mut Output) -> Result<(), ProtocolViolation> {
        p.expect_len(5, 7)?;
        let request_kind = p.id(1, "request type")?;
        if !matches!(
            request_kind,
            m::PUBLISH | m::SUBSCRIBE | m::UNSUBSCRIBE | m::CALL | m::REGISTER | m::UNREGISTER
        ) {
            return Err(ProtocolViolation::new(format!(
                "ERROR for request type {request_kind}, which a router may not send"
            )));
        }
        let request = p.id(2, "request id")?;
        let details = p.dict(3, "Details")?;
        let error = p.string_raw(4, "Error")?;
        let payload = p.payload(5)?;
        let Some(handle) = self.reply_handle(request, request_kind, true, p)? else {
            return Ok(());
        };
        let head = format_args!("[{},{handle},{error},{details}", m::ERROR);
        out.to_js
            .push(payload.event(head, HEAD_NUMBERS + error.len() + details.len()));
        Ok(())
    }

    /// Handles one command from JavaScript. Errors describe a malformed command (a bug on the
    /// JavaScript side, never a user's input, which index.js validates).
    pub fn on_command(&mut self, text: &str, out: &mut Output) -> Result<(), String> {
        let p = Parts::parse(text).map_err(|e| format!("malformed command: {e}"))?;
        let bad = |e: ProtocolViolation| format!("malformed command {}: {e}", truncate(text));
        match p.kind {
            m::PUBLISH | m::SUBSCRIBE | m::UNSUBSCRIBE | m::CALL | m::REGISTER | m::UNREGISTER => {
                if self.state != State::Established {
                    // The session is gone; JavaScript settles the request when the close event
                    // it is about to receive arrives.
                    return Ok(());
                }
                let handle = p.id(1, "handle").map_err(bad)?;
                let target = match p.kind {
                    m::UNSUBSCRIBE | m::UNREGISTER => p.id(2, "id").map_err(bad)?,
                    _ => 0,
                };
                if p.kind == m::CALL {
                    let options = p.dict(2, "options").map_err(bad)?;
                    let more = options.contains("progress") && Flags::read(options).progress;
                    if let Some(&request) = self.streaming_calls.get(&handle) {
                        // A further input of a progressive call invocation reuses its request id.
                        if !more {
                            self.streaming_calls.remove(&handle);
                        }
                        if self.pending.contains_key(&request) {
                            out.to_router.push(rewrite_request(&p, request, text.len()));
                        }
                        return Ok(());
                    }
                    if more {
                        let request = self.next_request;
                        self.streaming_calls.insert(handle, request);
                    }
                }
                let request = self.new_request_id();
                if handle != 0 || p.kind != m::PUBLISH {
                    self.pending.insert(
                        request,
                        Pending {
                            kind: p.kind,
                            handle,
                            target,
                        },
                    );
                }
                out.to_router.push(rewrite_request(&p, request, text.len()));
            }
            m::CANCEL => {
                if self.state != State::Established {
                    return Ok(());
                }
                let handle = p.id(1, "handle").map_err(bad)?;
                let options = p.dict(2, "options").map_err(bad)?;
                let found = self
                    .pending
                    .iter()
                    .find(|(_, r)| r.kind == m::CALL && r.handle == handle)
                    .map(|(id, _)| *id);
                if let Some(request) = found {
                    out.to_router
                        .push(format!("[{},{request},{options}]", m::CANCEL));
                    // Only `kill` waits for the router's answer; other modes are settled by
                    // JavaScript at once. Whatever comes after the answer is dropped.
                    self.cancelled.insert(request);
                    if Flags::read(options).mode.as_deref() != Some("kill") {
                        self.pending.remove(&request);
                    }
                }
            }
            m::YIELD => {
                let request = p.id(1, "invocation id").map_err(bad)?;
                let options = p.dict(2, "options").map_err(bad)?;
                let progress = options.contains("progress") && Flags::read(options).progress;
                let live = if progress {
                    self.invocations.contains(&request)
                } else {
                    self.invocations.remove(&request)
                };
                if live && self.can_send() {
                    out.to_router.push(text.to_string());
                }
            }
            m::ERROR => {
                let request = p.id(2, "invocation id").map_err(bad)?;
                if self.invocations.remove(&request) && self.can_send() {
                    out.to_router.push(text.to_string());
                }
            }
            m::AUTHENTICATE => {
                if self.state == State::Establishing {
                    out.to_router.push(text.to_string());
                }
            }
            m::ABORT => {
                if self.state == State::Establishing {
                    let flags = Flags::read(p.dict(1, "details").map_err(bad)?);
                    let reason = p.string(2, "reason").map_err(bad)?;
                    out.to_router.push(text.to_string());
                    self.end(&reason, flags.message.as_deref().unwrap_or(""), false, out);
                }
            }
            other => return Err(format!("unsupported command type {other}")),
        }
        Ok(())
    }

    fn can_send(&self) -> bool {
        self.state == State::Established
    }

    /// A message we were about to send is larger than the transport allows. Requests fail with
    /// `wamp.error.payload_size_exceeded`, and an endpoint's result or error is replaced by that
    /// error for the caller, so the session goes on. Returns false for messages without such a
    /// fallback (HELLO, AUTHENTICATE, ...): then the connection has to end.
    pub fn refuse_outgoing(&mut self, text: &str, why: &str, out: &mut Output) -> bool {
        const URI: &str = "wamp.error.payload_size_exceeded";
        let Ok(p) = Parts::parse(text) else {
            return false;
        };
        let message = quote(&format!("the message is too large to send ({why})"));
        match p.kind {
            m::PUBLISH | m::SUBSCRIBE | m::UNSUBSCRIBE | m::CALL | m::REGISTER | m::UNREGISTER => {
                let Ok(request) = p.id(1, "request id") else {
                    return false;
                };
                match self.pending.remove(&request) {
                    Some(r) => {
                        self.streaming_calls.remove(&r.handle);
                        out.to_js.push(format!(
                            "[{},{},\"{URI}\",{{}},[{message}]]",
                            m::ERROR,
                            r.handle
                        ));
                    }
                    // An unacknowledged publish has nobody waiting for it.
                    None => out.to_js.push(events::internal_error(&format!(
                        "{} not sent: the message is too large ({why})",
                        p.name()
                    ))),
                }
                true
            }
            m::YIELD | m::ERROR => {
                let slot = if p.kind == m::YIELD { 1 } else { 2 };
                let Ok(invocation) = p.id(slot, "invocation id") else {
                    return false;
                };
                if p.kind == m::ERROR && p.raw(4) == Some(&format!("\"{URI}\"")[..]) {
                    // Even the short error does not fit: nothing left to try.
                    return false;
                }
                out.to_router.push(format!(
                    "[{},{},{invocation},{{}},\"{URI}\",[{message}]]",
                    m::ERROR,
                    m::INVOCATION
                ));
                out.to_js.push(events::internal_error(&format!(
                    "the answer to invocation {invocation} is too large to send ({why}); the caller gets {URI}"
                )));
                true
            }
            _ => false,
        }
    }
}

/// The most recent cancelled request ids, bounded so that a long session does not accumulate
/// them: a late reply comes soon after the cancel or not at all.
#[derive(Default)]
struct Tombstones {
    ids: HashSet<u64>,
    order: std::collections::VecDeque<u64>,
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

/// The command with the JavaScript handle in slot 1 replaced by the WAMP request id.
fn rewrite_request(p: &Parts, request: u64, len_hint: usize) -> String {
    let mut msg = String::with_capacity(len_hint + 8);
    msg.push('[');
    msg.push_str(&p.kind.to_string());
    msg.push(',');
    msg.push_str(&request.to_string());
    for item in &p.items[2..] {
        msg.push(',');
        msg.push_str(item.get());
    }
    msg.push(']');
    msg
}

/// The bytes an event's head takes besides its details (and error URI): `[`, the kind and up
/// to three ids or handles of at most 16 digits (2^53), each with its comma.
const HEAD_NUMBERS: usize = 1 + 4 * 17;

#[cfg(test)]
mod tests {
    use super::*;

    fn established() -> (Session, Output) {
        let mut out = Output::default();
        let mut s = Session::start(1, "realm1", r#"{"roles":{}}"#, &mut out);
        assert_eq!(out.to_router, vec![r#"[1,"realm1",{"roles":{}}]"#]);
        out.clear();
        s.on_message(r#"[2, 9129137332, {"authid":"x"}]"#, &mut out);
        assert_eq!(out.to_js, vec![r#"[1000,1,9129137332,{"authid":"x"}]"#]);
        assert!(s.is_established());
        out.clear();
        (s, out)
    }

    #[test]
    fn one_request_counter_for_all_request_types() {
        let (mut s, mut out) = established();
        s.on_command(r#"[64,7,{},"com.x.reg"]"#, &mut out).unwrap();
        s.on_command(r#"[48,8,{},"com.x.call",[1,2]]"#, &mut out)
            .unwrap();
        s.on_command(r#"[16,0,{},"com.x.topic",["a"]]"#, &mut out)
            .unwrap();
        s.on_command(r#"[48,9,{},"com.x.call"]"#, &mut out).unwrap();
        assert_eq!(
            out.to_router,
            vec![
                r#"[64,1,{},"com.x.reg"]"#,
                r#"[48,2,{},"com.x.call",[1,2]]"#,
                r#"[16,3,{},"com.x.topic",["a"]]"#,
                r#"[48,4,{},"com.x.call"]"#,
            ]
        );
        // The unacknowledged publish is not pending; the three others are.
        assert_eq!(s.pending_requests(), 3);
    }

    #[test]
    fn results_are_routed_to_their_handle_with_raw_payload() {
        let (mut s, mut out) = established();
        s.on_command(r#"[48,42,{"receive_progress":true},"com.x"]"#, &mut out)
            .unwrap();
        out.clear();
        s.on_message(r#"[50,1,{"progress":true},[1]]"#, &mut out);
        s.on_message(r#"[50,1,{},[{"big":[1,2,3]}],{"k":"v"}]"#, &mut out);
        assert_eq!(
            out.to_js,
            vec![
                r#"[50,42,{"progress":true},[1]]"#,
                r#"[50,42,{},[{"big":[1,2,3]}],{"k":"v"}]"#
            ]
        );
        assert_eq!(s.pending_requests(), 0);
        // A second final result for the same request is a violation.
        out.clear();
        s.on_message(r#"[50,1,{}]"#, &mut out);
        assert!(out.close_transport);
        assert_eq!(s.leave_info().unwrap().reason, PROTOCOL_VIOLATION);
        assert!(out.to_router[0].starts_with("[3,{\"message\":"));
    }

    #[test]
    fn errors_must_match_the_request_type() {
        let (mut s, mut out) = established();
        s.on_command(r#"[32,5,{},"com.topic"]"#, &mut out).unwrap();
        out.clear();
        s.on_message(r#"[8,48,1,{},"wamp.error.x"]"#, &mut out);
        assert!(out.close_transport, "ERROR of the wrong type must abort");

        let (mut s, mut out) = established();
        s.on_command(r#"[48,5,{},"com.proc"]"#, &mut out).unwrap();
        out.clear();
        s.on_message(
            r#"[8,48,1,{},"wamp.error.no_such_procedure",["a"],{"b":1}]"#,
            &mut out,
        );
        assert_eq!(
            out.to_js,
            vec![r#"[8,5,"wamp.error.no_such_procedure",{},["a"],{"b":1}]"#]
        );
        assert!(!out.close_transport);
    }

    #[test]
    fn subscriptions_gate_events_until_unsubscribed() {
        let (mut s, mut out) = established();
        s.on_command(r#"[32,1,{},"com.topic"]"#, &mut out).unwrap();
        s.on_message("[33,1,777]", &mut out);
        s.on_message(r#"[36,777,55,{},["hi"]]"#, &mut out);
        s.on_command("[34,2,777]", &mut out).unwrap();
        // An event that crossed the UNSUBSCRIBE is still delivered.
        s.on_message(r#"[36,777,56,{}]"#, &mut out);
        s.on_message("[35,2]", &mut out);
        assert_eq!(
            out.to_js,
            vec![
                "[33,1,777]",
                r#"[36,777,55,{},["hi"]]"#,
                "[36,777,56,{}]",
                "[35,2]"
            ]
        );
        out.clear();
        s.on_message(r#"[36,777,57,{}]"#, &mut out);
        assert!(
            out.close_transport,
            "EVENT after UNSUBSCRIBED is a violation"
        );
    }

    #[test]
    fn invocations_are_answered_once() {
        let (mut s, mut out) = established();
        s.on_command(r#"[64,3,{},"com.proc"]"#, &mut out).unwrap();
        s.on_message("[65,1,99]", &mut out);
        s.on_message(r#"[68,11,99,{},[1,2]]"#, &mut out);
        assert_eq!(out.to_js[1], r#"[68,11,99,{},[1,2]]"#);
        out.clear();
        s.on_command(r#"[70,11,{"progress":true},[1]]"#, &mut out)
            .unwrap();
        s.on_command(r#"[70,11,{},[3]]"#, &mut out).unwrap();
        s.on_command(r#"[70,11,{},[4]]"#, &mut out).unwrap();
        assert_eq!(
            out.to_router,
            vec![r#"[70,11,{"progress":true},[1]]"#, r#"[70,11,{},[3]]"#]
        );
        // An invocation for a registration we do not have is refused, not dropped.
        out.clear();
        s.on_message(r#"[68,12,100,{}]"#, &mut out);
        assert_eq!(
            out.to_router,
            vec![r#"[8,68,12,{},"wamp.error.no_such_registration"]"#]
        );
    }

    #[test]
    fn goodbye_from_router_is_answered() {
        let (mut s, mut out) = established();
        s.on_message(
            r#"[6,{"message":"bye"},"wamp.close.system_shutdown"]"#,
            &mut out,
        );
        assert_eq!(
            out.to_router,
            vec![r#"[6,{},"wamp.close.goodbye_and_out"]"#]
        );
        assert!(out.close_transport);
        let leave = s.leave_info().unwrap();
        assert_eq!(leave.reason, "wamp.close.system_shutdown");
        assert_eq!(leave.message, "bye");
        assert!(!leave.violation);
    }

    #[test]
    fn our_goodbye_waits_for_the_reply() {
        let (mut s, mut out) = established();
        assert!(s.leave("wamp.close.normal", Some("done"), &mut out));
        assert_eq!(
            out.to_router,
            vec![r#"[6,{"message":"done"},"wamp.close.normal"]"#]
        );
        assert!(!out.close_transport);
        out.clear();
        s.on_message(r#"[6,{},"wamp.close.normal"]"#, &mut out);
        assert!(
            out.to_router.is_empty(),
            "a reply to our GOODBYE is not answered"
        );
        assert!(out.close_transport);
    }

    #[test]
    fn abort_before_welcome_ends_the_session() {
        let mut out = Output::default();
        let mut s = Session::start(1, "nope", "{}", &mut out);
        out.clear();
        s.on_message(
            r#"[3,{"message":"no realm"},"wamp.error.no_such_realm"]"#,
            &mut out,
        );
        assert!(out.close_transport);
        assert_eq!(
            s.leave_info().unwrap(),
            &Leave {
                reason: "wamp.error.no_such_realm".into(),
                message: "no realm".into(),
                violation: false
            }
        );
    }

    #[test]
    fn messages_before_welcome_are_violations() {
        let mut out = Output::default();
        let mut s = Session::start(1, "realm1", "{}", &mut out);
        out.clear();
        s.on_message("[33,1,2]", &mut out);
        assert!(out.close_transport);
        assert!(out.to_js[0].contains("before the session was established"));
    }

    #[test]
    fn malformed_frames_and_unknown_types_abort() {
        for bad in ["not json", "[]", "[999,1]", r#"[36,1,2,"x"]"#, "[2,1,{}]"] {
            let (mut s, mut out) = established();
            s.on_message(bad, &mut out);
            assert!(out.close_transport, "{bad} should abort");
            assert_eq!(s.state(), State::Ended);
        }
    }

    #[test]
    fn cancelled_calls_drop_late_replies() {
        let (mut s, mut out) = established();
        s.on_command(r#"[48,5,{},"com.slow"]"#, &mut out).unwrap();
        s.on_command(r#"[49,5,{"mode":"killnowait"}]"#, &mut out)
            .unwrap();
        assert_eq!(out.to_router[1], r#"[49,1,{"mode":"killnowait"}]"#);
        out.clear();
        s.on_message(r#"[8,48,1,{},"wamp.error.canceled"]"#, &mut out);
        s.on_message(r#"[50,1,{},["late"]]"#, &mut out);
        assert!(out.to_js.is_empty());
        assert!(!out.close_transport);
    }

    #[test]
    fn a_kill_cancel_waits_for_the_answer_and_drops_repeats() {
        let (mut s, mut out) = established();
        s.on_command(r#"[48,5,{},"com.slow"]"#, &mut out).unwrap();
        s.on_command(r#"[49,5,{"mode":"kill"}]"#, &mut out).unwrap();
        out.clear();
        s.on_message(r#"[8,48,1,{},"wamp.error.canceled"]"#, &mut out);
        s.on_message(r#"[8,48,1,{},"wamp.error.canceled"]"#, &mut out);
        assert_eq!(out.to_js, vec![r#"[8,5,"wamp.error.canceled",{}]"#]);
        assert!(!out.close_transport);
    }

    #[test]
    fn oversized_requests_fail_alone() {
        let (mut s, mut out) = established();
        s.on_command(r#"[48,5,{},"com.big",["xxxx"]]"#, &mut out)
            .unwrap();
        s.on_command(r#"[64,6,{},"com.proc"]"#, &mut out).unwrap();
        s.on_message("[65,2,99]", &mut out);
        s.on_message(r#"[68,11,99,{}]"#, &mut out);
        s.on_command(r#"[70,11,{},["huge"]]"#, &mut out).unwrap();
        out.clear();
        assert!(s.refuse_outgoing(r#"[48,1,{},"com.big",["xxxx"]]"#, "9 bytes", &mut out));
        assert!(out.to_js[0].starts_with(
            r#"[8,5,"wamp.error.payload_size_exceeded",{},["the message is too large"#
        ));
        assert_eq!(s.pending_requests(), 0, "the call is settled");
        out.clear();
        assert!(s.refuse_outgoing(r#"[70,11,{},["huge"]]"#, "9 bytes", &mut out));
        assert!(out.to_router[0].starts_with(r#"[8,68,11,{},"wamp.error.payload_size_exceeded""#));
        assert!(
            !s.refuse_outgoing(&out.to_router[0].clone(), "9 bytes", &mut out),
            "no loop"
        );
        assert!(!s.refuse_outgoing(r#"[5,"sig",{}]"#, "9 bytes", &mut out));
        assert!(s.is_established());
    }

    #[test]
    fn tombstones_are_bounded() {
        let mut t = Tombstones::default();
        for id in 1..=2000 {
            t.insert(id);
        }
        assert!(!t.contains(1));
        assert!(t.contains(2000));
        assert_eq!(t.ids.len(), Tombstones::CAPACITY);
    }

    #[test]
    fn interrupt_kill_answers_and_drops_the_late_result() {
        let (mut s, mut out) = established();
        s.on_command(r#"[64,3,{},"com.proc"]"#, &mut out).unwrap();
        s.on_message("[65,1,99]", &mut out);
        s.on_message(r#"[68,11,99,{}]"#, &mut out);
        s.on_message(r#"[68,12,99,{}]"#, &mut out);
        out.clear();
        s.on_message(r#"[69,11,{"mode":"kill"}]"#, &mut out);
        s.on_message(r#"[69,12,{"mode":"killnowait"}]"#, &mut out);
        assert_eq!(out.to_router, vec![r#"[8,68,11,{},"wamp.error.canceled"]"#]);
        assert_eq!(
            out.to_js,
            vec![
                r#"[69,11,{"mode":"kill"}]"#,
                r#"[69,12,{"mode":"killnowait"}]"#
            ]
        );
        out.clear();
        s.on_command(r#"[70,11,{},["late"]]"#, &mut out).unwrap();
        s.on_command(r#"[70,12,{},["late"]]"#, &mut out).unwrap();
        s.on_message(r#"[69,13,{"mode":"kill"}]"#, &mut out);
        assert!(
            out.to_router.is_empty(),
            "late answers and unknown interrupts send nothing"
        );
        assert!(out.to_js.is_empty());
    }

    #[test]
    fn progressive_call_invocations_share_one_request_id() {
        let (mut s, mut out) = established();
        s.on_command(r#"[48,7,{"progress":true},"com.up",[1]]"#, &mut out)
            .unwrap();
        s.on_command(r#"[16,0,{},"t"]"#, &mut out).unwrap();
        s.on_command(r#"[48,7,{"progress":true},"com.up",[2]]"#, &mut out)
            .unwrap();
        s.on_command(r#"[48,7,{},"com.up",[3]]"#, &mut out).unwrap();
        s.on_command(r#"[48,8,{},"com.other"]"#, &mut out).unwrap();
        assert_eq!(
            out.to_router,
            vec![
                r#"[48,1,{"progress":true},"com.up",[1]]"#,
                r#"[16,2,{},"t"]"#,
                r#"[48,1,{"progress":true},"com.up",[2]]"#,
                r#"[48,1,{},"com.up",[3]]"#,
                r#"[48,3,{},"com.other"]"#,
            ]
        );
        out.clear();
        s.on_message(r#"[50,1,{},["sum",6]]"#, &mut out);
        assert_eq!(out.to_js, vec![r#"[50,7,{},["sum",6]]"#]);
    }

    #[test]
    fn progressive_invocations_continue_until_the_last_input() {
        let (mut s, mut out) = established();
        s.on_command(r#"[64,3,{},"com.proc"]"#, &mut out).unwrap();
        s.on_message("[65,1,99]", &mut out);
        s.on_message(r#"[68,11,99,{"progress":true},[1]]"#, &mut out);
        s.on_message(r#"[68,11,99,{"progress":true},[2]]"#, &mut out);
        s.on_message(r#"[68,11,99,{},[3]]"#, &mut out);
        assert!(!out.close_transport);
        assert_eq!(out.to_js.len(), 4);
        // After the last input, the id may not be reused.
        s.on_message(r#"[68,11,99,{},[4]]"#, &mut out);
        assert!(out.close_transport);
    }

    #[test]
    fn revocation_reports_the_reason() {
        let (mut s, mut out) = established();
        s.on_command(r#"[64,3,{},"com.proc"]"#, &mut out).unwrap();
        s.on_message("[65,1,99]", &mut out);
        out.clear();
        s.on_message(
            r#"[67,0,{"registration":99,"reason":"wamp.error.killed"}]"#,
            &mut out,
        );
        assert_eq!(out.to_js, vec![r#"[67,0,99,"wamp.error.killed"]"#]);
    }

    #[test]
    fn commands_after_the_session_ended_are_not_sent() {
        let (mut s, mut out) = established();
        s.on_message(r#"[6,{},"wamp.close.killed"]"#, &mut out);
        out.clear();
        s.on_command(r#"[48,5,{},"com.proc"]"#, &mut out).unwrap();
        assert!(out.to_router.is_empty());
    }

    #[test]
    fn request_ids_wrap_after_2_pow_53() {
        let (mut s, mut out) = established();
        s.next_request = m::MAX_ID;
        s.on_command(r#"[16,0,{},"t"]"#, &mut out).unwrap();
        s.on_command(r#"[16,0,{},"t"]"#, &mut out).unwrap();
        assert_eq!(out.to_router[0], r#"[16,9007199254740992,{},"t"]"#);
        assert_eq!(out.to_router[1], r#"[16,1,{},"t"]"#);
    }
}
