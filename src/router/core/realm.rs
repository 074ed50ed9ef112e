//! A realm: its roles, the sessions joined to it, its dealer and broker.

use std::collections::HashMap;
use std::time::SystemTime;

use serde::Deserialize;

use crate::router::config::RoleConfig;
use crate::wamp::message::quote;

use super::authorizer::RolePermissions;
use super::broker::Broker;
use super::dealer::Dealer;
use super::meta::Testament;
use super::{JoinRequest, SessionId};

/// What a client announced in HELLO.Details.roles that the router acts on.
#[derive(Debug, Default, Clone, Copy)]
pub struct Features {
    pub progressive_call_results: bool,
    pub progressive_call_invocations: bool,
    pub call_canceling: bool,
}

#[derive(Deserialize, Default)]
struct RoleFeatures {
    #[serde(default)]
    features: HashMap<String, serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct HelloRoles {
    caller: Option<RoleFeatures>,
    callee: Option<RoleFeatures>,
    publisher: Option<RoleFeatures>,
    subscriber: Option<RoleFeatures>,
}

impl Features {
    /// Reads HELLO.Details.roles; None when it names none of the four client roles.
    pub fn from_roles(raw: &str) -> Option<Features> {
        let roles: HelloRoles = serde_json::from_str(raw).ok()?;
        if roles.caller.is_none()
            && roles.callee.is_none()
            && roles.publisher.is_none()
            && roles.subscriber.is_none()
        {
            return None;
        }
        let callee = |name: &str| {
            roles
                .callee
                .as_ref()
                .and_then(|c| c.features.get(name))
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        };
        Some(Features {
            progressive_call_results: callee("progressive_call_results"),
            progressive_call_invocations: callee("progressive_call_invocations"),
            call_canceling: callee("call_canceling"),
        })
    }
}

pub struct Session {
    pub id: SessionId,
    pub authid: String,
    pub authrole: String,
    pub authmethod: String,
    pub authprovider: String,
    pub transport: serde_json::Value,
    /// Index of the session's role in `Realm::roles`.
    pub role: usize,
    pub features: Features,
    /// `authid` and `authrole` as JSON string literals, written into disclosed details.
    pub authid_json: String,
    pub authrole_json: String,
    /// The last request id the router used toward this session (INVOCATION).
    pub last_request: u64,
    pub registrations: Vec<u64>,
    pub subscriptions: Vec<u64>,
    pub testaments: Vec<Testament>,
}

impl Session {
    pub fn new(id: SessionId, req: JoinRequest, role: usize, features: Features) -> Session {
        Session {
            id,
            authid_json: quote(&req.authid),
            authrole_json: quote(&req.authrole),
            authid: req.authid,
            authrole: req.authrole,
            authmethod: req.authmethod,
            authprovider: req.authprovider,
            transport: req.transport,
            role,
            features,
            last_request: 0,
            registrations: Vec::new(),
            subscriptions: Vec::new(),
            testaments: Vec::new(),
        }
    }

    /// The next router-chosen request id toward this session.
    pub fn next_request(&mut self) -> u64 {
        self.last_request = if self.last_request >= crate::wamp::message::MAX_ID {
            1
        } else {
            self.last_request + 1
        };
        self.last_request
    }

    /// `{session, authid, authrole, authmethod, authprovider, transport}` as the meta API shows it.
    pub fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "session": self.id,
            "authid": self.authid,
            "authrole": self.authrole,
            "authmethod": self.authmethod,
            "authprovider": self.authprovider,
            "transport": self.transport,
        })
    }
}

/// A session the meta API asked to end (`wamp.session.kill*`).
pub struct Kill {
    pub session: SessionId,
    pub reason: String,
    pub message: Option<String>,
    pub by: SessionId,
}

pub struct Realm {
    pub name: String,
    /// Position in the router's realm list; part of the timer keys of this realm.
    pub index: usize,
    pub roles: Vec<RolePermissions>,
    pub sessions: HashMap<SessionId, Session>,
    pub dealer: Dealer,
    pub broker: Broker,
    pub kills: Vec<Kill>,
    pub clock: fn() -> SystemTime,
}

impl Realm {
    pub fn new(name: &str, index: usize, roles: &[RoleConfig], clock: fn() -> SystemTime) -> Realm {
        Realm {
            name: name.to_string(),
            index,
            roles: roles.iter().map(RolePermissions::new).collect(),
            sessions: HashMap::new(),
            dealer: Dealer::default(),
            broker: Broker::default(),
            kills: Vec::new(),
            clock,
        }
    }

    pub fn role_index(&self, name: &str) -> Option<usize> {
        self.roles.iter().position(|r| r.name == name)
    }

    /// Now, as the meta API's `created`.
    pub fn now(&self) -> String {
        super::wire::iso8601((self.clock)())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_roles_need_a_client_role() {
        assert!(Features::from_roles("{}").is_none());
        assert!(Features::from_roles(r#"{"dealer": {}}"#).is_none());
        assert!(Features::from_roles("[1]").is_none());
        let f = Features::from_roles(
            r#"{"caller": {}, "callee": {"features": {"call_canceling": true, "progressive_call_results": 1}}}"#,
        )
        .unwrap();
        assert!(f.call_canceling);
        assert!(!f.progressive_call_results);
        assert!(!f.progressive_call_invocations);
    }
}
