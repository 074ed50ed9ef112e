//! The router's sans-IO core: realms, the sessions joined to them, the dealer, the broker, the
//! authorizer and the meta API. It takes messages as JSON text (every serializer is
//! transcoded to the JSON form of `wamp::codec` at the edge) and returns what to send to whom
//! in an `Output`; it never touches a socket or a clock, so every rule is unit-tested by
//! feeding it messages.
//!
//! The I/O side (`router::server`) authenticates a connection first (HELLO, CHALLENGE,
//! AUTHENTICATE), then calls `join`, then `handle` for each message and `leave` when the
//! transport is gone. It delivers `Output::messages` in order, arms `Output::timers`, and
//! closes the transports listed in `Output::closes` after their messages are written.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::config::{RoleConfig, RouterConfig};
use crate::wamp::message::{self as wamp_msg, quote, Parts};

mod authorizer;
mod broker;
mod calls;
mod dealer;
mod meta;
mod meta_registry;
mod options;
mod realm;
#[cfg(test)]
mod testkit;
pub mod uri;
mod wire;

use realm::{Features, Realm, Session};

pub type SessionId = u64;

/// A session that passed authentication and wants to join a realm.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub realm: String,
    pub authid: String,
    pub authrole: String,
    pub authmethod: String,
    /// `static` or `dynamic`.
    pub authprovider: String,
    /// WELCOME.Details.authextra (e.g. SCRAM's server signature), JSON object or None.
    pub authextra: Option<serde_json::Value>,
    /// HELLO.Details.roles, raw JSON text (the client's roles and their features).
    pub roles: String,
    /// For the session meta API: `{type, protocol, peer}` (peer e.g. `tcp4:127.0.0.1:5000`).
    pub transport: serde_json::Value,
}

/// Why a join was refused: ABORT with this reason and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: String,
    pub message: String,
}

/// A timer the I/O side arms; when it fires it calls `RouterCore::on_timer` with the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerKey(pub u64);

/// What one step of the core produced.
#[derive(Debug, Default)]
pub struct Output {
    /// Messages (JSON text) to send, in order, per target session.
    pub messages: Vec<(SessionId, String)>,
    /// Sessions whose transport is to be closed once their messages above are written. The
    /// core has already removed them (as if `leave` had been called).
    pub closes: Vec<SessionId>,
    /// Timers to arm.
    pub timers: Vec<(TimerKey, Duration)>,
    /// Lines for the router log (session joined/left, a session closed for a violation).
    pub log: Vec<String>,
}

impl Output {
    pub fn clear(&mut self) {
        self.messages.clear();
        self.closes.clear();
        self.timers.clear();
        self.log.clear();
    }
}

/// Router roles and features announced in WELCOME.Details.roles: what the core implements.
const ROUTER_ROLES: &str = concat!(
    r#"{"broker":{"features":{"pattern_based_subscription":true,"publisher_exclusion":true,"#,
    r#""subscriber_blackwhite_listing":true,"publisher_identification":true,"event_retention":true,"#,
    r#""subscription_revocation":true,"session_meta_api":true,"subscription_meta_api":true}},"#,
    r#""dealer":{"features":{"progressive_call_results":true,"progressive_call_invocations":true,"#,
    r#""call_timeout":true,"call_canceling":true,"caller_identification":true,"#,
    r#""pattern_based_registration":true,"shared_registration":true,"registration_revocation":true,"#,
    r#""session_meta_api":true,"registration_meta_api":true,"testament_meta_api":true}}}"#
);

/// What became of a session after one of its messages.
enum Flow {
    Continue,
    /// The client said GOODBYE (with this reason).
    Goodbye(String),
    /// The client sent ABORT: it is gone, nothing is answered.
    Aborted,
}

pub struct RouterCore {
    realms: Vec<Realm>,
    realm_index: HashMap<String, usize>,
    /// The realm of each joined session.
    session_realm: HashMap<SessionId, usize>,
    auto_create_realms: bool,
    auto_realm_roles: Vec<RoleConfig>,
    clock: fn() -> SystemTime,
}

impl RouterCore {
    pub fn new(config: &RouterConfig) -> RouterCore {
        let mut core = RouterCore {
            realms: Vec::new(),
            realm_index: HashMap::new(),
            session_realm: HashMap::new(),
            auto_create_realms: config.auto_create_realms,
            auto_realm_roles: config.auto_realm_roles.clone(),
            clock: SystemTime::now,
        };
        for r in &config.realms {
            core.add_realm(&r.name, &r.roles);
        }
        core
    }

    fn add_realm(&mut self, name: &str, roles: &[RoleConfig]) -> usize {
        if let Some(&i) = self.realm_index.get(name) {
            return i;
        }
        let i = self.realms.len();
        self.realms.push(Realm::new(name, i, roles, self.clock));
        self.realm_index.insert(name.to_string(), i);
        i
    }

    /// Whether HELLO may name this realm (configured, or created on first use).
    pub fn has_realm(&self, realm: &str) -> bool {
        self.realm_index.contains_key(realm)
            || (self.auto_create_realms && uri::is_valid_exact(realm))
    }

    /// Joins a session: picks a fresh random session id in [1, 2^53], pushes the WELCOME to it
    /// in `out` (with the router's roles and features), publishes `wamp.session.on_join`.
    pub fn join(&mut self, req: JoinRequest, out: &mut Output) -> Result<SessionId, Refusal> {
        let refuse = |reason: &str, message: String| Refusal {
            reason: reason.to_string(),
            message,
        };
        if !self.has_realm(&req.realm) {
            return Err(refuse(
                "wamp.error.no_such_realm",
                format!("no realm '{}' on this router", req.realm),
            ));
        }
        let Some(features) = Features::from_roles(&req.roles) else {
            return Err(refuse(
                "wamp.error.protocol_violation",
                "HELLO.Details.roles must announce at least one of caller, callee, publisher, subscriber"
                    .into(),
            ));
        };
        let realm_idx = match self.realm_index.get(&req.realm) {
            Some(&i) => i,
            None => {
                let roles = self.auto_realm_roles.clone();
                self.add_realm(&req.realm, &roles)
            }
        };
        let realm = &mut self.realms[realm_idx];
        let Some(role) = realm.role_index(&req.authrole) else {
            return Err(refuse(
                "wamp.error.no_such_role",
                format!("no role '{}' on realm '{}'", req.authrole, req.realm),
            ));
        };
        let id = loop {
            let id = wire::random_id();
            if !self.session_realm.contains_key(&id) {
                break id;
            }
        };
        let mut details = format!(
            "{{\"realm\":{},\"authid\":{},\"authrole\":{},\"authmethod\":{},\"authprovider\":{},",
            quote(&req.realm),
            quote(&req.authid),
            quote(&req.authrole),
            quote(&req.authmethod),
            quote(&req.authprovider)
        );
        if let Some(extra) = &req.authextra {
            details.push_str(&format!("\"authextra\":{extra},"));
        }
        details.push_str("\"roles\":");
        details.push_str(ROUTER_ROLES);
        details.push('}');
        out.messages.push((id, format!("[2,{id},{details}]")));
        out.log.push(format!(
            "session {id} joined {} as {}/{} via {}",
            req.realm,
            req.authid,
            req.authrole,
            transport_name(&req.transport)
        ));
        let session = Session::new(id, req, role, features);
        realm.sessions.insert(id, session);
        self.session_realm.insert(id, realm_idx);
        let realm = &self.realms[realm_idx];
        realm.publish_meta("wamp.session.on_join", out, |r| {
            let details = r.sessions.get(&id).map(Session::details);
            serde_json::json!([details]).to_string()
        });
        Ok(id)
    }

    /// One message from a joined session.
    pub fn handle(&mut self, session: SessionId, text: &str, out: &mut Output) {
        let Some(&realm_idx) = self.session_realm.get(&session) else {
            return;
        };
        let realm = &mut self.realms[realm_idx];
        let flow = Parts::parse(text).and_then(|parts| dispatch(realm, session, &parts, out));
        match flow {
            Ok(Flow::Continue) => {}
            Ok(Flow::Goodbye(reason)) => {
                out.messages
                    .push((session, "[6,{},\"wamp.close.goodbye_and_out\"]".to_string()));
                self.end_session(session, &format!("said goodbye ({reason})"), out);
            }
            Ok(Flow::Aborted) => self.end_session(session, "aborted", out),
            Err(violation) => {
                let details = serde_json::json!({ "message": violation.0 });
                out.messages.push((
                    session,
                    format!("[3,{details},\"wamp.error.protocol_violation\"]"),
                ));
                self.end_session(
                    session,
                    &format!("closed for a protocol violation: {violation}"),
                    out,
                );
            }
        }
        self.run_kills(realm_idx, out);
    }

    /// Removes a session the router ends and lists it in `out.closes`.
    fn end_session(&mut self, session: SessionId, why: &str, out: &mut Output) {
        if let Some(realm) = self.remove(session, out) {
            out.log
                .push(format!("session {session} left {realm}: {why}"));
            out.closes.push(session);
        }
    }

    /// Ends the sessions the meta API killed during the last message.
    fn run_kills(&mut self, realm_idx: usize, out: &mut Output) {
        while let Some(kill) = self.realms.get_mut(realm_idx).and_then(|r| r.kills.pop()) {
            if !self.session_realm.contains_key(&kill.session) {
                continue;
            }
            let details = match &kill.message {
                Some(m) => serde_json::json!({ "message": m }),
                None => serde_json::json!({}),
            };
            out.messages.push((
                kill.session,
                format!("[6,{details},{}]", quote(&kill.reason)),
            ));
            let why = format!("killed by session {} ({})", kill.by, kill.reason);
            self.end_session(kill.session, &why, out);
        }
    }

    /// Removes a session with all it holds; returns its realm's name.
    fn remove(&mut self, session: SessionId, out: &mut Output) -> Option<String> {
        let realm_idx = self.session_realm.remove(&session)?;
        let realm = self.realms.get_mut(realm_idx)?;
        let gone = realm.sessions.remove(&session)?;
        // Subscriptions first, so that no meta event of its own leave reaches the session.
        for sub in &gone.subscriptions {
            realm.remove_subscriber(*sub, session, out);
        }
        for reg in &gone.registrations {
            realm.remove_callee(*reg, session, out);
        }
        realm.drop_calls_of(session, out);
        realm.publish_testaments(&gone.testaments, out);
        realm.publish_meta("wamp.session.on_leave", out, |_| {
            format!("[{session},{},{}]", gone.authid_json, gone.authrole_json)
        });
        Some(realm.name.clone())
    }

    /// The session's transport is gone (or the session ended): cleans up its registrations,
    /// subscriptions and calls, runs its testaments, publishes `wamp.session.on_leave`.
    /// Unknown ids are ignored.
    pub fn leave(&mut self, session: SessionId, out: &mut Output) {
        if let Some(realm) = self.remove(session, out) {
            out.log.push(format!("session {session} left {realm}"));
        }
    }

    pub fn on_timer(&mut self, timer: TimerKey, out: &mut Output) {
        let realm_idx = (timer.0 >> calls::TIMER_REALM_SHIFT) as usize;
        if let Some(realm) = self.realms.get_mut(realm_idx) {
            realm.on_call_timeout(timer.0, out);
        }
    }

    /// GOODBYE `wamp.close.system_shutdown` to every session; every session is then in
    /// `out.closes`.
    pub fn shutdown(&mut self, out: &mut Output) {
        let mut ids: Vec<SessionId> = self.session_realm.keys().copied().collect();
        ids.sort_unstable();
        for id in &ids {
            out.messages.push((
                *id,
                "[6,{\"message\":\"the router is shutting down\"},\"wamp.close.system_shutdown\"]"
                    .to_string(),
            ));
        }
        for id in ids {
            self.end_session(id, "router shutdown", out);
        }
    }

    pub fn session_count(&self) -> usize {
        self.session_realm.len()
    }

    /// The joined sessions as (session id, realm, authid, authrole), for logs and status.
    pub fn sessions(&self) -> Vec<(SessionId, &str, &str, &str)> {
        self.realms
            .iter()
            .flat_map(|r| {
                r.sessions.values().map(move |s| {
                    (
                        s.id,
                        r.name.as_str(),
                        s.authid.as_str(),
                        s.authrole.as_str(),
                    )
                })
            })
            .collect()
    }

    /// The realm a session is joined to.
    pub fn session_realm(&self, session: SessionId) -> Option<&str> {
        let i = *self.session_realm.get(&session)?;
        self.realms.get(i).map(|r| r.name.as_str())
    }
}

/// `websocket json` from the session's `{type, protocol}` transport details.
fn transport_name(transport: &serde_json::Value) -> String {
    let kind = transport
        .get("type")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown");
    let protocol = transport
        .get("protocol")
        .and_then(|v| v.as_str())
        .map(|p| p.strip_prefix("wamp.2.").unwrap_or(p));
    match protocol {
        Some(p) => format!("{kind} {p}"),
        None => kind.to_string(),
    }
}

/// Routes one message to the handler of its kind.
fn dispatch(
    realm: &mut Realm,
    session: SessionId,
    parts: &Parts,
    out: &mut Output,
) -> Result<Flow, crate::wamp::error::ProtocolViolation> {
    use crate::wamp::error::ProtocolViolation;
    use wamp_msg::*;
    match parts.kind {
        PUBLISH => realm.on_publish(session, parts, out)?,
        CALL => realm.on_call(session, parts, out)?,
        YIELD => realm.on_yield(session, parts, out)?,
        ERROR => realm.on_error(session, parts, out)?,
        SUBSCRIBE => realm.on_subscribe(session, parts, out)?,
        UNSUBSCRIBE => realm.on_unsubscribe(session, parts, out)?,
        REGISTER => realm.on_register(session, parts, out)?,
        UNREGISTER => realm.on_unregister(session, parts, out)?,
        CANCEL => realm.on_cancel(session, parts, out)?,
        GOODBYE => return on_goodbye(parts),
        ABORT => return Ok(Flow::Aborted),
        HELLO | AUTHENTICATE => {
            return Err(ProtocolViolation::new(format!(
                "{} after the session joined",
                parts.name()
            )))
        }
        WELCOME | CHALLENGE | PUBLISHED | SUBSCRIBED | UNSUBSCRIBED | EVENT | RESULT
        | REGISTERED | UNREGISTERED | INVOCATION | INTERRUPT => {
            return Err(ProtocolViolation::new(format!(
                "{} is a router-to-client message; a client may not send it",
                parts.name()
            )))
        }
        other => {
            return Err(ProtocolViolation::new(format!(
                "unknown message type {other}"
            )))
        }
    }
    Ok(Flow::Continue)
}

fn on_goodbye(parts: &Parts) -> Result<Flow, crate::wamp::error::ProtocolViolation> {
    parts.expect_len(3, 3)?;
    parts.dict(1, "details")?;
    let reason = parts.string(2, "reason")?;
    Ok(Flow::Goodbye(reason))
}
