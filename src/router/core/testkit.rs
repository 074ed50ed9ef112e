//! A core with a test realm, and helpers to feed it messages and read what it sends.

use serde_json::{json, Value};

use super::{JoinRequest, Output, RouterCore, SessionId};
use crate::router::config::RouterConfig;

/// HELLO roles of a client announcing every feature the core acts on.
pub const FULL: &str = r#"{"caller":{"features":{"progressive_call_results":true}},"callee":{"features":{"progressive_call_results":true,"progressive_call_invocations":true,"call_canceling":true}},"publisher":{},"subscriber":{}}"#;
/// HELLO roles without any feature.
pub const PLAIN: &str = r#"{"caller":{},"callee":{},"publisher":{},"subscriber":{}}"#;

/// realm1: role `anonymous` may do everything; `guest` only `com.open.` (call, subscribe);
/// `discloser` everything, disclosing callers and publishers.
pub fn config() -> RouterConfig {
    let all = json!({"call": true, "register": true, "publish": true, "subscribe": true});
    serde_json::from_value(json!({
        "realms": [{"name": "realm1", "roles": [
            {"name": "anonymous", "permissions": [{"uri": "", "match": "prefix", "allow": all}]},
            {"name": "guest", "permissions": [
                {"uri": "com.open.", "match": "prefix", "allow": {"call": true, "subscribe": true}}]},
            {"name": "discloser", "permissions": [{"uri": "", "match": "prefix", "allow": all,
                "disclose": {"caller": true, "publisher": true}}]},
        ]}],
        "transports": [],
    }))
    .unwrap()
}

pub fn request(realm: &str, authid: &str, authrole: &str, roles: &str) -> JoinRequest {
    JoinRequest {
        realm: realm.into(),
        authid: authid.into(),
        authrole: authrole.into(),
        authmethod: "anonymous".into(),
        authprovider: "static".into(),
        authextra: None,
        roles: roles.into(),
        transport: json!({"type": "websocket", "protocol": "wamp.2.json", "peer": "tcp4:127.0.0.1:5000"}),
    }
}

pub struct Kit {
    pub core: RouterCore,
    pub out: Output,
}

impl Kit {
    pub fn new() -> Kit {
        Kit::with(config())
    }

    pub fn with(config: RouterConfig) -> Kit {
        Kit {
            core: RouterCore::new(&config),
            out: Output::default(),
        }
    }

    /// Joins an `anonymous` session announcing every feature.
    pub fn join(&mut self, authid: &str) -> SessionId {
        self.join_as(authid, "anonymous", FULL)
    }

    pub fn join_as(&mut self, authid: &str, authrole: &str, roles: &str) -> SessionId {
        self.out.clear();
        self.core
            .join(request("realm1", authid, authrole, roles), &mut self.out)
            .unwrap()
    }

    /// Feeds one message; what the core sent, parsed.
    pub fn send(&mut self, session: SessionId, text: &str) -> Vec<(SessionId, Value)> {
        self.out.clear();
        self.core.handle(session, text, &mut self.out);
        self.sent()
    }

    /// Feeds one message with attached values (placeholders `"\u0000#i"` in `text`).
    pub fn send_attached(
        &mut self,
        session: SessionId,
        text: &str,
        attached: super::Attached,
    ) -> Vec<(SessionId, Value)> {
        self.out.clear();
        self.core
            .handle_attached(session, text, attached, &mut self.out);
        self.sent()
    }

    pub fn leave(&mut self, session: SessionId) -> Vec<(SessionId, Value)> {
        self.out.clear();
        self.core.leave(session, &mut self.out);
        self.sent()
    }

    pub fn sent(&self) -> Vec<(SessionId, Value)> {
        self.out
            .messages
            .iter()
            .map(|(s, m)| (*s, serde_json::from_str(m).unwrap()))
            .collect()
    }

    /// The messages of the last step to `session`.
    pub fn to(&self, session: SessionId) -> Vec<Value> {
        self.sent()
            .into_iter()
            .filter(|(s, _)| *s == session)
            .map(|(_, m)| m)
            .collect()
    }

    /// Registers `procedure` (options as JSON) and returns the registration id.
    pub fn register(&mut self, session: SessionId, procedure: &str, options: &str) -> u64 {
        let sent = self.send(session, &format!("[64,1,{options},\"{procedure}\"]"));
        let reply = &sent.iter().find(|(s, _)| *s == session).unwrap().1;
        assert_eq!(reply[0], 65, "{reply}");
        reply[2].as_u64().unwrap()
    }

    pub fn subscribe(&mut self, session: SessionId, topic: &str, options: &str) -> u64 {
        let sent = self.send(session, &format!("[32,1,{options},\"{topic}\"]"));
        let reply = &sent.iter().find(|(s, _)| *s == session).unwrap().1;
        assert_eq!(reply[0], 33, "{reply}");
        reply[2].as_u64().unwrap()
    }

    /// Calls a meta procedure and returns RESULT.Arguments[0] (or the ERROR message).
    pub fn meta(&mut self, session: SessionId, procedure: &str, args: &str) -> Value {
        self.meta_kw(session, procedure, args, "{}")
    }

    pub fn meta_kw(
        &mut self,
        session: SessionId,
        procedure: &str,
        args: &str,
        kwargs: &str,
    ) -> Value {
        self.send(
            session,
            &format!("[48,77,{{}},\"{procedure}\",{args},{kwargs}]"),
        );
        let reply = self
            .to(session)
            .into_iter()
            .find(|m| m[0] == 50 || m[0] == 8)
            .unwrap();
        if reply[0] == 50 {
            reply[3][0].clone()
        } else {
            reply
        }
    }
}

/// The ERROR URI of an ERROR message.
pub fn error_uri(m: &Value) -> &str {
    assert_eq!(m[0], 8, "not an ERROR: {m}");
    m[4].as_str().unwrap()
}
