//! The router's sans-IO core: realms, the sessions joined to them, the dealer, the broker, the
//! authorizer and the meta API. It takes messages as JSON text (every serializer is
//! transcoded to the JSON form of `wamp::codec` at the edge; large byte values and strings of
//! MessagePack and CBOR peers stay beside the text, see `Attached`) and returns what to send to whom
//! in an `Output`; it never touches a socket or a clock, so every rule is unit-tested by
//! feeding it messages.
//!
//! The I/O side (`router::server`) authenticates a connection first (HELLO, CHALLENGE,
//! AUTHENTICATE), then calls `join`, then `handle` for each message and `leave` when the
//! transport is gone. It delivers `Output::messages` in order, arms `Output::timers`, and
//! closes the transports listed in `Output::closes` after their messages are written.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::config::{RoleConfig, RouterConfig};
use crate::wamp::codec::{inline_received, ReceivedValue};
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

/// The large values of a received message that travel beside its text (byte values and long
/// strings from a MessagePack or CBOR peer; `wamp::codec` attachments): the text holds
/// placeholders for them, so the router routes a small text and hands the values on without
/// transcoding them.
pub type Attached = Option<Arc<[ReceivedValue]>>;

/// What one step of the core produced.
#[derive(Debug, Default)]
pub struct Output {
    /// Messages (JSON text) to send, in order, per target session.
    pub messages: Vec<(SessionId, String)>,
    /// The attachments of the message this step handled: its messages above may hold their
    /// placeholders (a payload is passed on as it came), so each goes out with them.
    pub attached: Attached,
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
        self.attached = None;
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

/// Whether the router only passes this message's payload on (to a subscriber, callee or
/// caller) rather than keeping it or reading it: a PUBLISH that is not retained, a CALL of a
/// procedure outside the router's own `wamp.` namespace, YIELD and ERROR.
fn passes_payload_on(parts: &Parts) -> bool {
    match parts.kind {
        wamp_msg::YIELD | wamp_msg::ERROR => true,
        // Any mention of retain counts: a false one costs only the inlining.
        wamp_msg::PUBLISH => !parts.raw(2).is_some_and(|o| o.contains("\"retain\"")),
        wamp_msg::CALL => parts
            .raw(3)
            .is_some_and(|procedure| !procedure.starts_with("\"wamp.")),
        _ => false,
    }
}

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
        self.handle_attached(session, text, None, out);
    }

    /// One message from a joined session, with the values attached to it. A payload that is
    /// only passed on keeps them beside the text; one the router keeps or reads itself
    /// (retained events, calls to the router's own procedures such as testaments) has them put
    /// back inline first, so that nothing kept refers to another message's attachments.
    pub fn handle_attached(
        &mut self,
        session: SessionId,
        text: &str,
        attached: Attached,
        out: &mut Output,
    ) {
        let Some(&realm_idx) = self.session_realm.get(&session) else {
            return;
        };
        let realm = &mut self.realms[realm_idx];
        let mut inlined = String::new();
        let flow = Parts::parse(text).and_then(|parts| match attached {
            Some(values) if !passes_payload_on(&parts) => {
                inlined = inline_received(text, &values).map_err(|e| {
                    crate::wamp::error::ProtocolViolation::new(format!(
                        "cannot read the message: {e}"
                    ))
                })?;
                let parts = Parts::parse(&inlined)?;
                dispatch(realm, session, &parts, out)
            }
            attached => {
                out.attached = attached;
                dispatch(realm, session, &parts, out)
            }
        });
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
        // Everyone is leaving: what the cleanup publishes (on_leave, testaments) would
        // follow a GOODBYE, so it is dropped.
        let goodbyes = out.messages.len();
        for id in ids {
            self.end_session(id, "router shutdown", out);
        }
        out.messages.truncate(goodbyes);
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

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::wamp::message::MAX_ID;
    use serde_json::json;

    #[test]
    fn attached_values_are_passed_on_but_never_kept() {
        let mut kit = Kit::new();
        let p = kit.join("p");
        let s = kit.join("s");
        kit.send(s, r#"[32,1,{},"com.t"]"#);
        let attached = || -> Attached {
            Some(vec![ReceivedValue::Bytes(bytes::Bytes::from_static(&[1, 2, 3]))].into())
        };
        // Passed on: the event keeps the placeholder, and the step carries the values.
        let sent = kit.send_attached(p, r#"[16,1,{},"com.t",["\u0000#0"]]"#, attached());
        assert_eq!(sent[0].1[4], json!(["\u{0}#0"]));
        assert!(kit.out.attached.is_some());
        // Kept (retained): the values go inline before the broker sees the message, so the event
        // and the retained copy stand on their own.
        let sent = kit.send_attached(
            p,
            r#"[16,2,{"retain":true},"com.t",["\u0000#0"]]"#,
            attached(),
        );
        assert_eq!(sent[0].1[4], json!(["\u{0}AQID"]));
        assert!(kit.out.attached.is_none());
        let late = kit.join("late");
        let sent = kit.send(late, r#"[32,1,{"get_retained":true},"com.t"]"#);
        assert_eq!(sent[1].1[4], json!(["\u{0}AQID"]));
        // Read by the router itself (a testament): inline too.
        let sent = kit.send_attached(
            p,
            r#"[48,3,{},"wamp.session.add_testament",["com.t",["\u0000#0"],{}]]"#,
            attached(),
        );
        assert_eq!(sent[0].1[0], 50, "{sent:?}");
        let sent = kit.leave(p);
        let will = sent.iter().find(|(to, m)| *to == s && m[0] == 36);
        assert_eq!(will.map(|(_, m)| m[4].clone()), Some(json!(["\u{0}AQID"])));
        // A placeholder without its value is the sender's protocol violation.
        let q = kit.join("q");
        let sent = kit.send_attached(
            q,
            r#"[16,4,{"retain":true},"com.t",["\u0000#5"]]"#,
            attached(),
        );
        assert_eq!(sent[0].1[0], 3);
    }

    #[test]
    fn welcome_reports_the_session_and_the_router_features() {
        let mut kit = Kit::new();
        let mut req = request("realm1", "alice", "anonymous", PLAIN);
        req.authextra = Some(json!({"x": 1}));
        let id = kit.core.join(req, &mut kit.out).unwrap();
        assert!((1..=MAX_ID).contains(&id));
        let w = &kit.to(id)[0];
        assert_eq!(w[0], 2);
        assert_eq!(w[1], id);
        let d = &w[2];
        assert_eq!(d["realm"], "realm1");
        assert_eq!(d["authid"], "alice");
        assert_eq!(d["authrole"], "anonymous");
        assert_eq!(d["authmethod"], "anonymous");
        assert_eq!(d["authprovider"], "static");
        assert_eq!(d["authextra"], json!({"x": 1}));
        for f in [
            "pattern_based_subscription",
            "publisher_exclusion",
            "subscriber_blackwhite_listing",
            "publisher_identification",
            "event_retention",
            "subscription_revocation",
            "session_meta_api",
            "subscription_meta_api",
        ] {
            assert_eq!(d["roles"]["broker"]["features"][f], true, "{f}");
        }
        for f in [
            "progressive_call_results",
            "progressive_call_invocations",
            "call_timeout",
            "call_canceling",
            "caller_identification",
            "pattern_based_registration",
            "shared_registration",
            "registration_revocation",
            "session_meta_api",
            "registration_meta_api",
            "testament_meta_api",
        ] {
            assert_eq!(d["roles"]["dealer"]["features"][f], true, "{f}");
        }
        assert!(d["roles"]["broker"]["features"]
            .get("payload_passthru_mode")
            .is_none());
        assert_eq!(
            kit.out.log,
            vec![format!(
                "session {id} joined realm1 as alice/anonymous via websocket json"
            )]
        );
        assert_eq!(kit.core.session_count(), 1);
        assert_eq!(kit.core.session_realm(id), Some("realm1"));
    }

    #[test]
    fn joins_are_refused_for_unknown_realms_roles_and_missing_client_roles() {
        let mut kit = Kit::new();
        let mut out = Output::default();
        assert!(!kit.core.has_realm("realm2"));
        let r = kit
            .core
            .join(request("realm2", "a", "anonymous", PLAIN), &mut out)
            .unwrap_err();
        assert_eq!(r.reason, "wamp.error.no_such_realm");
        let r = kit
            .core
            .join(request("realm1", "a", "admin", PLAIN), &mut out)
            .unwrap_err();
        assert_eq!(r.reason, "wamp.error.no_such_role");
        let r = kit
            .core
            .join(
                request("realm1", "a", "anonymous", r#"{"dealer":{}}"#),
                &mut out,
            )
            .unwrap_err();
        assert_eq!(r.reason, "wamp.error.protocol_violation");
        assert!(out.messages.is_empty());
        assert_eq!(kit.core.session_count(), 0);
    }

    #[test]
    fn realms_are_created_on_first_use_when_configured() {
        let mut cfg = config();
        cfg.auto_create_realms = true;
        cfg.auto_realm_roles = config().realms[0].roles.clone();
        let mut kit = Kit::with(cfg);
        assert!(kit.core.has_realm("new.realm"));
        assert!(!kit.core.has_realm("bad realm"));
        let mut out = Output::default();
        let a = kit
            .core
            .join(request("new.realm", "a", "anonymous", PLAIN), &mut out)
            .unwrap();
        let b = kit
            .core
            .join(request("new.realm", "b", "guest", PLAIN), &mut out)
            .unwrap();
        assert_ne!(a, b);
        assert_eq!(kit.core.session_realm(b), Some("new.realm"));
        let r = kit
            .core
            .join(request("other", "a", "admin", PLAIN), &mut out)
            .unwrap_err();
        assert_eq!(r.reason, "wamp.error.no_such_role");
    }

    #[test]
    fn session_ids_are_in_range_and_unique() {
        let mut kit = Kit::new();
        let mut seen = std::collections::HashSet::new();
        for i in 0..500 {
            let id = kit.join(&format!("s{i}"));
            assert!((1..=MAX_ID).contains(&id));
            assert!(seen.insert(id));
        }
        assert_eq!(kit.core.session_count(), 500);
        assert_eq!(kit.core.sessions().len(), 500);
    }

    fn assert_violation(text: &str) {
        let mut kit = Kit::new();
        let bad = kit.join("bad");
        let good = kit.join("good");
        kit.subscribe(good, "wamp.session.on_leave", "{}");
        let sent = kit.send(bad, text);
        let abort = &kit.to(bad)[0];
        assert_eq!(abort[0], 3, "{text}: {sent:?}");
        assert_eq!(abort[2], "wamp.error.protocol_violation");
        assert!(abort[1]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(kit.out.closes, vec![bad], "{text}");
        assert!(kit.out.log.iter().any(|l| l.contains("protocol violation")));
        // Only that session ends; the other sees it leave and stays.
        assert_eq!(kit.to(good)[0][4][0], bad);
        assert_eq!(kit.core.session_count(), 1);
        assert!(kit.send(good, "[48,2,{},\"wamp.session.count\"]")[0].1[0] == 50);
    }

    #[test]
    fn protocol_violations_end_only_that_session() {
        for text in [
            "not json",
            "[]",
            "[99, 1]",
            "[1, \"realm1\", {}]",
            "[5, \"sig\", {}]",
            "[50, 1, {}]",
            "[36, 1, 2, {}]",
            "[68, 1, 2, {}]",
            "[48, 0, {}, \"com.x\"]",
            "[48, 9007199254740993, {}, \"com.x\"]",
            "[48, 1, [], \"com.x\"]",
            "[48, 1, {}, 5]",
            "[48, 1, {}, \"com.x\", {}]",
            "[16, \"1\", {}, \"com.x\"]",
            "[32, 1, {}, \"com.x\", 5]",
            "[70, 1, {}]",
            "[8, 48, 1, {}, \"wamp.error.x\"]",
            "[6, {}, 5]",
        ] {
            assert_violation(text);
        }
    }

    #[test]
    fn goodbye_is_answered_and_closes() {
        let mut kit = Kit::new();
        let a = kit.join("a");
        kit.send(a, "[6, {}, \"wamp.close.close_realm\"]");
        assert_eq!(
            kit.to(a),
            vec![json!([6, {}, "wamp.close.goodbye_and_out"])]
        );
        assert_eq!(kit.out.closes, vec![a]);
        assert_eq!(kit.core.session_count(), 0);
        assert!(kit
            .send(a, "[6, {}, \"wamp.close.close_realm\"]")
            .is_empty());
    }

    #[test]
    fn abort_from_a_client_ends_it_silently() {
        let mut kit = Kit::new();
        let a = kit.join("a");
        assert!(kit.send(a, "[3, {}, \"wamp.error.x\"]").is_empty());
        assert_eq!(kit.out.closes, vec![a]);
    }

    #[test]
    fn leave_logs_and_ignores_unknown_ids() {
        let mut kit = Kit::new();
        let a = kit.join("a");
        kit.leave(a);
        assert_eq!(kit.out.log, vec![format!("session {a} left realm1")]);
        assert!(kit.out.closes.is_empty());
        kit.leave(a);
        assert!(kit.out.log.is_empty());
    }

    #[test]
    fn shutdown_says_goodbye_to_everyone() {
        let mut kit = Kit::new();
        let a = kit.join("a");
        let b = kit.join("b");
        kit.subscribe(b, "wamp.session.on_leave", "{}");
        kit.out.clear();
        kit.core.shutdown(&mut kit.out);
        for s in [a, b] {
            let first = &kit.to(s)[0];
            assert_eq!(first[0], 6);
            assert_eq!(first[2], "wamp.close.system_shutdown");
            assert_eq!(kit.to(s).len(), 1, "nothing after the GOODBYE");
        }
        let mut closes = kit.out.closes.clone();
        closes.sort_unstable();
        let mut want = vec![a, b];
        want.sort_unstable();
        assert_eq!(closes, want);
        assert_eq!(kit.core.session_count(), 0);
    }
}
