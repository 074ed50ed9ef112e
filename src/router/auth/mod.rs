//! The router's side of authentication: from HELLO to WELCOME or ABORT, without I/O.
//!
//! The server parses HELLO into a [`Hello`] and calls [`Handshake::start`] with the transport's
//! `auth` section; every call returns the next [`Step`]: admit, send a CHALLENGE, ask the
//! dynamic authenticator (JavaScript), or refuse. AUTHENTICATE goes to
//! [`Handshake::authenticate`], the authenticator's answer to
//! [`Handshake::authenticator_answered`]. Admit and Refuse end the handshake; any further call
//! is refused as a protocol violation.
//!
//! The rules and the refusal messages are Crossbar.io's (`crossbar/router/auth/*.py`), so that
//! clients written against Crossbar see the same thing:
//!
//! * The client's `authmethods` (default `["anonymous"]`) are tried in the client's order; the
//!   first one the transport offers is used; methods the transport lacks (or this router does
//!   not know, such as `cookie`) are skipped. None left: `wamp.error.no_auth_method`.
//! * Anonymous: a random authid (Crossbar's `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`; the HELLO authid is
//!   ignored, as Crossbar does, so that an anonymous client cannot pose as a named one).
//! * Ticket, WAMP-CRA and SCRAM need the HELLO authid; cryptosign finds the principal by its
//!   public key when there is none (static principals only).
//! * A principal's `realm`, when set, must be the realm of the HELLO (for dynamic principals as
//!   well: there is no realm redirection).
//! * Every failed authentication is `wamp.error.not_authorized`, with a message that names no
//!   secret (calls out of order: `wamp.error.protocol_violation`).
//! * `dynamic`: the authenticator is asked once per join, with `(realm, authid, details)`;
//!   `details` holds what the HELLO said (`authid`, `authrole`, `authextra`, when given) and, for
//!   ticket, the client's `ticket`. Ticket asks after the CHALLENGE (the ticket is the
//!   question), the other methods before it (the principal holds what the challenge needs).
//!
//! One file per method: `anonymous.rs`, `ticket.rs`, `wampcra.rs`, `cryptosign.rs`, `scram.rs`.

mod anonymous;
mod cryptosign;
mod scram;
mod ticket;
mod wampcra;

use rand::Rng;
use serde_json::{Map, Value};

use crate::router::config::{AuthConfig, MethodAuth, Principal};

pub const NOT_AUTHORIZED: &str = "wamp.error.not_authorized";
pub const NO_AUTH_METHOD: &str = "wamp.error.no_auth_method";
pub const PROTOCOL_VIOLATION: &str = "wamp.error.protocol_violation";

pub const ANONYMOUS: &str = "anonymous";
pub const TICKET: &str = "ticket";
pub const WAMPCRA: &str = "wampcra";
pub const CRYPTOSIGN: &str = "cryptosign";
pub const SCRAM: &str = "scram";

/// What HELLO asked for (parsed by the server from `[1, realm, details]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hello {
    pub realm: String,
    pub authid: Option<String>,
    /// HELLO details.authrole: ignored by static authentication (as Crossbar does), passed to
    /// the dynamic authenticator in its details.
    pub authrole: Option<String>,
    /// details.authmethods; empty or missing = `["anonymous"]`.
    pub authmethods: Vec<String>,
    pub authextra: Option<Value>,
}

/// A successful authentication: what the session joins as.
#[derive(Debug, Clone, PartialEq)]
pub struct Admitted {
    pub authid: String,
    pub authrole: String,
    pub authmethod: String,
    /// `static` or `dynamic`.
    pub authprovider: String,
    /// WELCOME.Details.authextra: the principal's `extra` (for SCRAM with
    /// `scram_server_signature` added).
    pub authextra: Option<Value>,
}

#[derive(Clone, PartialEq)]
pub enum Step {
    /// Join the realm with this identity.
    Admit(Admitted),
    /// Send CHALLENGE `[4, method, extra]` and wait for AUTHENTICATE.
    Challenge { method: String, extra: Value },
    /// Ask the dynamic authenticator: `(realm, authid, details)` -> principal or denial; then
    /// call [`Handshake::authenticator_answered`]. `details` is a JSON object (see the module
    /// doc); `authmethod` is not in it. For ticket it holds the client's ticket: do not log it
    /// (the `Debug` output shows `"ticket": "<hidden>"`).
    Ask {
        realm: String,
        authid: String,
        authmethod: String,
        details: Value,
    },
    /// Send ABORT `[3, {message}, reason]` and close.
    Refuse { reason: String, message: String },
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Admit(a) => f.debug_tuple("Admit").field(a).finish(),
            Step::Challenge { method, extra } => f
                .debug_struct("Challenge")
                .field("method", method)
                .field("extra", extra)
                .finish(),
            Step::Ask {
                realm,
                authid,
                authmethod,
                details,
            } => {
                let mut shown = details.clone();
                if let Some(t) = shown.get_mut("ticket") {
                    *t = Value::String("<hidden>".into());
                }
                f.debug_struct("Ask")
                    .field("realm", realm)
                    .field("authid", authid)
                    .field("authmethod", authmethod)
                    .field("details", &shown)
                    .finish()
            }
            Step::Refuse { reason, message } => f
                .debug_struct("Refuse")
                .field("reason", reason)
                .field("message", message)
                .finish(),
        }
    }
}

/// One authentication in progress (one per HELLO).
pub struct Handshake {
    hello: Hello,
    state: State,
}

impl std::fmt::Debug for Handshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The state holds expected tickets and signatures: only its name is shown.
        let state = match &self.state {
            State::Finished => "finished",
            State::Asked(_) => "waiting for the authenticator",
            State::Challenged(_) => "waiting for AUTHENTICATE",
        };
        f.debug_struct("Handshake")
            .field("realm", &self.hello.realm)
            .field("authid", &self.hello.authid)
            .field("state", &state)
            .finish()
    }
}

impl Handshake {
    /// `auth`: the transport's auth section; None = anonymous only, role `anonymous`
    /// (Crossbar's default).
    pub fn start(hello: Hello, auth: Option<&AuthConfig>) -> (Handshake, Step) {
        let (state, step) = select(&hello, auth);
        (Handshake { hello, state }, step)
    }

    /// AUTHENTICATE `[5, signature, extra]` arrived. `extra` is not used by any method (as in
    /// Crossbar).
    pub fn authenticate(&mut self, signature: &str, _extra: &Value) -> Step {
        let (state, step) = match std::mem::replace(&mut self.state, State::Finished) {
            State::Challenged(pending) => match pending {
                Challenged::Ticket(p) => ticket::authenticate(&self.hello, p, signature),
                Challenged::Wampcra(p) => wampcra::authenticate(p, signature),
                Challenged::Cryptosign(p) => cryptosign::authenticate(p, signature),
                Challenged::Scram(p) => scram::authenticate(p, signature),
            },
            _ => refuse(
                PROTOCOL_VIOLATION,
                "AUTHENTICATE received, but no CHALLENGE is outstanding",
            ),
        };
        self.state = state;
        step
    }

    /// The dynamic authenticator's answer: Ok(principal) or Err(denial message).
    pub fn authenticator_answered(&mut self, answer: Result<Principal, String>) -> Step {
        let (state, step) = match std::mem::replace(&mut self.state, State::Finished) {
            State::Asked(asked) => match answer {
                Err(message) if message.is_empty() => denied("denied by the authenticator"),
                Err(message) => denied(message),
                Ok(principal) => match asked {
                    Asked::Anonymous(a) => anonymous::answered(&self.hello, a, &principal),
                    Asked::Ticket(a) => ticket::answered(&self.hello, a, &principal),
                    Asked::Wampcra(a) => wampcra::answered(&self.hello, a, &principal),
                    Asked::Cryptosign(a) => cryptosign::answered(&self.hello, a, &principal),
                    Asked::Scram(a) => scram::answered(&self.hello, a, &principal),
                },
            },
            _ => refuse(
                PROTOCOL_VIOLATION,
                "an authenticator answer arrived, but none was asked",
            ),
        };
        self.state = state;
        step
    }

    /// Whether the handshake is over (the last step was Admit or Refuse).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }
}

enum State {
    Finished,
    Asked(Asked),
    Challenged(Challenged),
}

/// What the authenticator was asked about, per method.
enum Asked {
    Anonymous(anonymous::Asked),
    Ticket(ticket::Asked),
    Wampcra(wampcra::Asked),
    Cryptosign(cryptosign::Asked),
    Scram(scram::Asked),
}

/// What an outstanding CHALLENGE expects, per method.
enum Challenged {
    Ticket(ticket::Challenged),
    Wampcra(wampcra::Challenged),
    Cryptosign(cryptosign::Challenged),
    Scram(scram::Challenged),
}

/// The next state and the step that leads there.
type Next = (State, Step);

fn select(hello: &Hello, auth: Option<&AuthConfig>) -> Next {
    let default_methods = [ANONYMOUS.to_string()];
    let methods: &[String] = if hello.authmethods.is_empty() {
        &default_methods
    } else {
        &hello.authmethods
    };
    let Some(auth) = auth else {
        return if methods.iter().any(|m| m == ANONYMOUS) {
            anonymous::admit_default()
        } else {
            no_auth_method(methods)
        };
    };
    for method in methods {
        let next = match method.as_str() {
            ANONYMOUS => auth.anonymous.as_ref().map(|a| anonymous::start(hello, a)),
            TICKET => auth.ticket.as_ref().map(|a| ticket::start(hello, a)),
            WAMPCRA => auth.wampcra.as_ref().map(|a| wampcra::start(hello, a)),
            CRYPTOSIGN => auth
                .cryptosign
                .as_ref()
                .map(|a| cryptosign::start(hello, a)),
            SCRAM => auth.scram.as_ref().map(|a| scram::start(hello, a)),
            _ => None,
        };
        if let Some(next) = next {
            return next;
        }
    }
    no_auth_method(methods)
}

fn no_auth_method(methods: &[String]) -> Next {
    let list: Vec<String> = methods.iter().map(|m| format!("'{m}'")).collect();
    refuse(
        NO_AUTH_METHOD,
        format!(
            "cannot authenticate using any of the offered authmethods [{}]",
            list.join(", ")
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// steps

fn refuse(reason: &str, message: impl Into<String>) -> Next {
    (
        State::Finished,
        Step::Refuse {
            reason: reason.to_string(),
            message: message.into(),
        },
    )
}

/// Refuse with `wamp.error.not_authorized`.
fn denied(message: impl Into<String>) -> Next {
    refuse(NOT_AUTHORIZED, message)
}

/// A refusal decided by a rule, before it becomes the next step.
struct Refusal {
    reason: &'static str,
    message: String,
}

impl Refusal {
    /// A refusal with `wamp.error.not_authorized`.
    fn denied(message: impl Into<String>) -> Refusal {
        Refusal {
            reason: NOT_AUTHORIZED,
            message: message.into(),
        }
    }

    fn into_next(self) -> Next {
        refuse(self.reason, self.message)
    }
}

fn admit(admitted: Admitted) -> Next {
    (State::Finished, Step::Admit(admitted))
}

fn challenge(method: &str, extra: Value, pending: Challenged) -> Next {
    (
        State::Challenged(pending),
        Step::Challenge {
            method: method.to_string(),
            extra,
        },
    )
}

/// Ask the authenticator, with the HELLO's `authid`, `authrole` and `authextra` (those given)
/// and `more` in the details.
fn ask(hello: &Hello, authid: &str, method: &str, more: Vec<(&str, Value)>, asked: Asked) -> Next {
    let mut details = Map::new();
    if let Some(a) = &hello.authid {
        details.insert("authid".into(), Value::String(a.clone()));
    }
    if let Some(r) = &hello.authrole {
        details.insert("authrole".into(), Value::String(r.clone()));
    }
    if let Some(x) = &hello.authextra {
        details.insert("authextra".into(), x.clone());
    }
    for (k, v) in more {
        details.insert(k.to_string(), v);
    }
    (
        State::Asked(asked),
        Step::Ask {
            realm: hello.realm.clone(),
            authid: authid.to_string(),
            authmethod: method.to_string(),
            details: Value::Object(details),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// shared rules

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Static,
    Dynamic,
}

impl Provider {
    fn name(self) -> &'static str {
        match self {
            Provider::Static => "static",
            Provider::Dynamic => "dynamic",
        }
    }

    /// From a method's `type` (lib/router.js validates it; anything else is refused here).
    fn of(kind: &str) -> Result<Provider, Refusal> {
        match kind {
            "static" => Ok(Provider::Static),
            "dynamic" => Ok(Provider::Dynamic),
            other => Err(Refusal::denied(format!(
                "invalid authentication configuration (authentication type \"{other}\" is unknown)"
            ))),
        }
    }
}

/// The HELLO authid, which ticket, WAMP-CRA and SCRAM need.
fn required_authid(hello: &Hello) -> Result<&str, Refusal> {
    match hello.authid.as_deref() {
        Some(a) if !a.is_empty() => Ok(a),
        _ => Err(Refusal::denied(
            "cannot identify client: no authid requested",
        )),
    }
}

fn static_principal<'a>(auth: &'a MethodAuth, authid: &str) -> Result<&'a Principal, Refusal> {
    auth.principals
        .get(authid)
        .ok_or_else(|| Refusal::denied(format!("no principal with authid \"{authid}\" exists")))
}

/// The identity a principal joins as, once its proof is checked: its role (required) and
/// `extra`; its `realm`, when set, must be the HELLO realm.
fn admission(
    hello: &Hello,
    authid: &str,
    principal: &Principal,
    method: &str,
    provider: Provider,
) -> Result<Admitted, Refusal> {
    let Some(role) = principal.role.as_deref().filter(|r| !r.is_empty()) else {
        return Err(Refusal::denied(match provider {
            Provider::Static => format!("principal \"{authid}\" has no role"),
            Provider::Dynamic => {
                format!("the dynamic authenticator returned a principal without a role for \"{authid}\"")
            }
        }));
    };
    if let Some(realm) = principal.realm.as_deref() {
        if realm != hello.realm {
            return Err(Refusal::denied(format!(
                "principal \"{authid}\" is not allowed to join realm \"{}\"",
                hello.realm
            )));
        }
    }
    Ok(Admitted {
        authid: authid.to_string(),
        authrole: role.to_string(),
        authmethod: method.to_string(),
        authprovider: provider.name().to_string(),
        authextra: principal.extra.clone(),
    })
}

/// A field of HELLO.authextra (null counts as absent).
fn authextra_field<'a>(hello: &'a Hello, key: &str) -> Option<&'a Value> {
    hello
        .authextra
        .as_ref()
        .and_then(|x| x.get(key))
        .filter(|v| !v.is_null())
}

// ---------------------------------------------------------------------------------------------
// random values and time

/// An authid for an anonymous session, as Crossbar.io's `generate_serial_number`: six groups
/// of four characters from an alphabet without look-alikes.
fn random_authid() -> String {
    const ALPHABET: &[u8] = b"345679ACEFGHJKLMNPQRSTUVWXY";
    let mut rng = rand::rng();
    let groups: Vec<String> = (0..6)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect()
        })
        .collect();
    groups.join("-")
}

/// A WAMP id, uniform in [1, 2^53].
fn random_id() -> u64 {
    rand::rng().random_range(1..=(1u64 << 53))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), as Autobahn|Python's `utcnow()`.
fn utc_timestamp(now: std::time::SystemTime) -> String {
    let since = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let sod = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        since.subsec_millis()
    )
}

/// (year, month, day) of a day number counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod testing;

#[cfg(test)]
mod tests;
