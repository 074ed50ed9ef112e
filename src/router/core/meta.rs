//! The session meta API and testaments, answered by the router itself. The registration and
//! subscription meta procedures are in `meta_registry.rs`.

use serde_json::{json, Map, Value};

use crate::wamp::message::{Payload, CALL};

use super::options::{self, PublishOptions};
use super::realm::{Kill, Realm};
use super::wire::{error, result};
use super::{uri, Output, SessionId};

/// An ERROR URI and message for a meta call.
pub type MetaError = (&'static str, String);
pub type MetaResult = Result<Value, MetaError>;

/// The decoded arguments of a meta call (meta calls are rare; their payloads are small).
pub struct MetaArgs {
    pub args: Vec<Value>,
    pub kwargs: Map<String, Value>,
}

pub fn invalid(msg: impl Into<String>) -> MetaError {
    ("wamp.error.invalid_argument", msg.into())
}

impl MetaArgs {
    fn parse(payload: Payload) -> MetaArgs {
        MetaArgs {
            args: payload
                .args
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default(),
            kwargs: payload
                .kwargs
                .and_then(|k| serde_json::from_str(k).ok())
                .unwrap_or_default(),
        }
    }

    pub fn id(&self, i: usize, what: &str) -> Result<u64, MetaError> {
        self.args
            .get(i)
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid(format!("argument {i} ({what}) must be an id")))
    }

    pub fn string(&self, i: usize, what: &str) -> Result<&str, MetaError> {
        self.args
            .get(i)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("argument {i} ({what}) must be a string")))
    }

    pub fn kwarg_str(&self, key: &str) -> Option<&str> {
        self.kwargs.get(key).and_then(Value::as_str)
    }

    /// An optional list of strings at position `i` (e.g. `filter_authroles`).
    fn string_list(&self, i: usize) -> Result<Option<Vec<&str>>, MetaError> {
        match self.args.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| invalid("filter must be a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(invalid("filter must be a list of strings")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Destroyed,
    Detached,
}

impl Scope {
    fn from_kwargs(m: &MetaArgs) -> Result<Scope, MetaError> {
        match m.kwargs.get("scope") {
            None | Some(Value::Null) => Ok(Scope::Destroyed),
            Some(Value::String(s)) if s == "destroyed" => Ok(Scope::Destroyed),
            Some(Value::String(s)) if s == "detached" => Ok(Scope::Detached),
            Some(_) => Err(invalid("scope must be \"destroyed\" or \"detached\"")),
        }
    }
}

/// An event a session asked the router to publish when it goes away.
pub struct Testament {
    pub topic: String,
    pub args: String,
    pub kwargs: String,
    pub options: PublishOptions,
    pub scope: Scope,
}

impl Realm {
    /// Answers a CALL to a meta procedure; false when `procedure` is none.
    pub fn meta_call(
        &mut self,
        sid: SessionId,
        request: u64,
        procedure: &str,
        payload: Payload,
        out: &mut Output,
    ) -> bool {
        let m = MetaArgs::parse(payload);
        let answer = match procedure {
            "wamp.session.count" => self.session_filter(&m).map(|ids| json!(ids.len())),
            "wamp.session.list" => self.session_filter(&m).map(|ids| json!(ids)),
            "wamp.session.get" => self.session_get(&m),
            "wamp.session.kill" => self.session_kill(sid, &m),
            "wamp.session.kill_by_authid" => self.kill_by(sid, &m, |s| &s.authid),
            "wamp.session.kill_by_authrole" => self.kill_by(sid, &m, |s| &s.authrole),
            "wamp.session.add_testament" => self.add_testament(sid, &m),
            "wamp.session.flush_testaments" => self.flush_testaments(sid, &m),
            _ => match self.registry_call(sid, procedure, &m, out) {
                Some(answer) => answer,
                None => return false,
            },
        };
        let msg = match answer {
            Ok(v) => result(request, &v.to_string()),
            Err((uri, text)) => error(CALL, request, uri, Some(&text)),
        };
        out.messages.push((sid, msg));
        true
    }

    fn session_filter(&self, m: &MetaArgs) -> Result<Vec<SessionId>, MetaError> {
        let roles = m.string_list(0)?;
        let mut ids: Vec<SessionId> = self
            .sessions
            .values()
            .filter(|s| {
                roles
                    .as_ref()
                    .is_none_or(|r| r.contains(&s.authrole.as_str()))
            })
            .map(|s| s.id)
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    fn session_get(&self, m: &MetaArgs) -> MetaResult {
        let id = m.id(0, "session")?;
        self.sessions
            .get(&id)
            .map(|s| s.details())
            .ok_or_else(|| no_such_session(id))
    }

    fn kill_reason(m: &MetaArgs) -> Result<(String, Option<String>), MetaError> {
        let reason = m.kwarg_str("reason").unwrap_or("wamp.close.killed");
        if !uri::is_valid_exact(reason) {
            return Err((
                "wamp.error.invalid_uri",
                format!("invalid reason URI '{reason}'"),
            ));
        }
        Ok((reason.to_string(), m.kwarg_str("message").map(String::from)))
    }

    fn session_kill(&mut self, sid: SessionId, m: &MetaArgs) -> MetaResult {
        let target = m.id(0, "session")?;
        if target == sid {
            return Err(invalid("a session cannot kill itself (use leave)"));
        }
        if !self.sessions.contains_key(&target) {
            return Err(no_such_session(target));
        }
        let (reason, message) = Self::kill_reason(m)?;
        self.kills.push(Kill {
            session: target,
            reason,
            message,
            by: sid,
        });
        Ok(Value::Null)
    }

    fn kill_by(
        &mut self,
        sid: SessionId,
        m: &MetaArgs,
        field: fn(&super::realm::Session) -> &String,
    ) -> MetaResult {
        let wanted = m.string(0, "authid or authrole")?.to_string();
        let (reason, message) = Self::kill_reason(m)?;
        let mut ids: Vec<SessionId> = self
            .sessions
            .values()
            .filter(|s| s.id != sid && *field(s) == wanted)
            .map(|s| s.id)
            .collect();
        ids.sort_unstable();
        for &id in &ids {
            self.kills.push(Kill {
                session: id,
                reason: reason.clone(),
                message: message.clone(),
                by: sid,
            });
        }
        Ok(json!(ids))
    }

    fn add_testament(&mut self, sid: SessionId, m: &MetaArgs) -> MetaResult {
        let topic = m.string(0, "topic")?;
        let args = match m.args.get(1) {
            None | Some(Value::Null) => "[]".to_string(),
            Some(v @ Value::Array(_)) => v.to_string(),
            Some(_) => return Err(invalid("argument 1 (args) must be a list")),
        };
        let kwargs = match m.args.get(2) {
            None | Some(Value::Null) => "{}".to_string(),
            Some(v @ Value::Object(_)) => v.to_string(),
            Some(_) => return Err(invalid("argument 2 (kwargs) must be a dict")),
        };
        let scope = Scope::from_kwargs(m)?;
        let publish_options = match m.kwargs.get("publish_options") {
            Some(v @ Value::Object(_)) => options::read(&v.to_string()),
            _ => PublishOptions::default(),
        };
        if !uri::is_valid_exact(topic) {
            return Err((
                "wamp.error.invalid_uri",
                format!("invalid topic URI '{topic}'"),
            ));
        }
        let Some(session) = self.sessions.get(&sid) else {
            return Ok(Value::Null);
        };
        if let Err(denial) =
            self.roles[session.role].authorize(topic, super::authorizer::Action::Publish)
        {
            let msg = format!("session is not authorized to publish to topic '{topic}'");
            return Err((denial.error_uri(), msg));
        }
        let testament = Testament {
            topic: topic.to_string(),
            args,
            kwargs,
            options: publish_options,
            scope,
        };
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.testaments.push(testament);
        }
        Ok(Value::Null)
    }

    fn flush_testaments(&mut self, sid: SessionId, m: &MetaArgs) -> MetaResult {
        let scope = Scope::from_kwargs(m)?;
        let Some(s) = self.sessions.get_mut(&sid) else {
            return Ok(json!(0));
        };
        let before = s.testaments.len();
        s.testaments.retain(|t| t.scope != scope);
        Ok(json!(before - s.testaments.len()))
    }

    /// Publishes a gone session's testaments: `detached` ones, then `destroyed` ones (the
    /// session ends with its transport, so both apply).
    pub fn publish_testaments(&self, testaments: &[Testament], out: &mut Output) {
        for scope in [Scope::Detached, Scope::Destroyed] {
            for t in testaments.iter().filter(|t| t.scope == scope) {
                let payload = Payload {
                    args: Some(&t.args),
                    kwargs: Some(&t.kwargs),
                };
                self.publish_as_router(&t.topic, payload, Some(&t.options), out);
            }
        }
    }
}

pub fn no_such_session(id: SessionId) -> MetaError {
    (
        "wamp.error.no_such_session",
        format!("no session with id {id}"),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::router::core::testkit::{Kit, FULL};

    #[test]
    fn session_count_list_and_get_report_live_sessions() {
        let mut k = Kit::new();
        let a = k.join("alice");
        let b = k.join_as("bob", "guest", FULL);
        assert_eq!(k.meta(a, "wamp.session.count", "[]"), json!(2));
        assert_eq!(k.meta(a, "wamp.session.count", r#"[["guest"]]"#), json!(1));
        let mut list: Vec<u64> =
            serde_json::from_value(k.meta(a, "wamp.session.list", "[]")).unwrap();
        list.sort_unstable();
        let mut want = vec![a, b];
        want.sort_unstable();
        assert_eq!(list, want);
        let got = k.meta(a, "wamp.session.get", &format!("[{b}]"));
        assert_eq!(got["session"], json!(b));
        assert_eq!(got["authid"], json!("bob"));
        assert_eq!(got["authrole"], json!("guest"));
        k.leave(b);
        let gone = k.meta(a, "wamp.session.get", &format!("[{b}]"));
        assert_eq!(gone[4], json!("wamp.error.no_such_session"), "{gone}");
    }

    #[test]
    fn kill_sends_goodbye_closes_and_publishes_on_leave() {
        let mut k = Kit::new();
        let a = k.join("alice");
        let b = k.join("bob");
        k.subscribe(a, "wamp.session.on_leave", "{}");
        k.meta_kw(
            a,
            "wamp.session.kill",
            &format!("[{b}]"),
            r#"{"reason":"com.x.bye"}"#,
        );
        let to_b = k.to(b);
        assert_eq!(to_b[0][0], json!(6), "{to_b:?}");
        assert_eq!(to_b[0][2], json!("com.x.bye"));
        assert!(k.out.closes.contains(&b));
        let leave = k
            .to(a)
            .into_iter()
            .find(|m| m[0] == 36)
            .expect("on_leave event");
        assert_eq!(leave[4][0], json!(b));
        assert_eq!(k.meta(a, "wamp.session.count", "[]"), json!(1));
        let own = k.meta(a, "wamp.session.kill", &format!("[{a}]"));
        assert_eq!(own[0], json!(8), "killing yourself is an error: {own}");
    }

    #[test]
    fn registration_meta_procedures_and_events() {
        let mut k = Kit::new();
        let a = k.join("alice");
        let b = k.join("bob");
        for t in ["on_create", "on_register", "on_unregister", "on_delete"] {
            k.subscribe(a, &format!("wamp.registration.{t}"), "{}");
        }
        k.send(b, r#"[64,1,{},"com.x.add"]"#);
        let kinds: Vec<u64> = k
            .to(a)
            .iter()
            .filter(|m| m[0] == 36)
            .map(|m| m[1].as_u64().unwrap())
            .collect();
        assert_eq!(kinds.len(), 2, "on_create and on_register");
        let reg = k
            .meta(a, "wamp.registration.lookup", r#"["com.x.add"]"#)
            .as_u64()
            .unwrap();
        assert_eq!(
            k.meta(a, "wamp.registration.match", r#"["com.x.add"]"#),
            json!(reg)
        );
        assert_eq!(
            k.meta(a, "wamp.registration.list_callees", &format!("[{reg}]")),
            json!([b])
        );
        assert_eq!(
            k.meta(a, "wamp.registration.count_callees", &format!("[{reg}]")),
            json!(1)
        );
        let got = k.meta(a, "wamp.registration.get", &format!("[{reg}]"));
        assert_eq!(got["uri"], json!("com.x.add"));
        assert_eq!(got["match"], json!("exact"));
        assert!(k.meta(a, "wamp.registration.list", "[]")["exact"]
            .as_array()
            .unwrap()
            .contains(&json!(reg)));
        k.meta(
            a,
            "wamp.registration.remove_callee",
            &format!("[{reg},{b}]"),
        );
        let to_b = k.to(b);
        assert!(
            to_b.iter().any(|m| m[0] == 67 && m[1] == 0),
            "UNREGISTERED to the callee: {to_b:?}"
        );
        let call = k.send(a, r#"[48,5,{},"com.x.add",[1,2]]"#);
        assert_eq!(call[0].1[4], json!("wamp.error.no_such_procedure"));
    }

    #[test]
    fn subscription_meta_procedures() {
        let mut k = Kit::new();
        let a = k.join("alice");
        let b = k.join("bob");
        let sub = k.subscribe(b, "com.x.topic", "{}");
        assert_eq!(
            k.meta(a, "wamp.subscription.lookup", r#"["com.x.topic"]"#),
            json!(sub)
        );
        assert_eq!(
            k.meta(a, "wamp.subscription.list_subscribers", &format!("[{sub}]")),
            json!([b])
        );
        assert_eq!(
            k.meta(
                a,
                "wamp.subscription.count_subscribers",
                &format!("[{sub}]")
            ),
            json!(1)
        );
        k.meta(
            a,
            "wamp.subscription.remove_subscriber",
            &format!("[{sub},{b}]"),
        );
        assert!(
            k.to(b).iter().any(|m| m[0] == 35 && m[1] == 0),
            "UNSUBSCRIBED to the subscriber"
        );
        let sent = k.send(a, r#"[16,9,{"acknowledge":true},"com.x.topic",[1]]"#);
        assert!(sent.iter().all(|(s, _)| *s != b), "no event after removal");
    }

    #[test]
    fn testament_is_published_when_the_session_drops() {
        let mut k = Kit::new();
        let a = k.join("alice");
        let b = k.join("bob");
        k.subscribe(a, "com.x.will", "{}");
        k.meta(
            b,
            "wamp.session.add_testament",
            r#"["com.x.will",["gone"],{}]"#,
        );
        k.leave(b);
        let ev = k
            .to(a)
            .into_iter()
            .find(|m| m[0] == 36)
            .expect("testament event");
        assert_eq!(ev[4], json!(["gone"]));
    }
}
