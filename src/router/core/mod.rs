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

use std::time::Duration;

use super::config::RouterConfig;

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

pub struct RouterCore {
    _config: RouterConfig,
}

impl RouterCore {
    pub fn new(config: &RouterConfig) -> RouterCore {
        RouterCore {
            _config: config.clone(),
        }
    }

    /// Whether HELLO may name this realm (configured, or created on first use).
    pub fn has_realm(&self, _realm: &str) -> bool {
        false
    }

    /// Joins a session: picks a fresh random session id in [1, 2^53], pushes the WELCOME to it
    /// in `out` (with the router's roles and features), publishes `wamp.session.on_join`.
    pub fn join(&mut self, _req: JoinRequest, _out: &mut Output) -> Result<SessionId, Refusal> {
        Err(Refusal {
            reason: "wamp.error.no_such_realm".into(),
            message: "not implemented".into(),
        })
    }

    /// One message from a joined session.
    pub fn handle(&mut self, _session: SessionId, _text: &str, _out: &mut Output) {}

    /// The session's transport is gone (or the session ended): cleans up its registrations,
    /// subscriptions and calls, runs its testaments, publishes `wamp.session.on_leave`.
    /// Unknown ids are ignored.
    pub fn leave(&mut self, _session: SessionId, _out: &mut Output) {}

    pub fn on_timer(&mut self, _timer: TimerKey, _out: &mut Output) {}

    /// GOODBYE `wamp.close.system_shutdown` to every session; every session is then in
    /// `out.closes`.
    pub fn shutdown(&mut self, _out: &mut Output) {}

    pub fn session_count(&self) -> usize {
        0
    }
}
