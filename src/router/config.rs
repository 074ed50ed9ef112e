//! Router settings, as normalised by `lib/router.js` (defaults, validation and the translation
//! of a Crossbar.io node config live there). The shapes follow Crossbar.io's config so that a
//! Crossbar user recognises every key.

use std::collections::HashMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct RouterConfig {
    pub realms: Vec<RealmConfig>,
    /// A HELLO for a realm that is not configured creates it (with the roles of
    /// `auto_realm_roles`), instead of ABORT `wamp.error.no_such_realm`.
    #[serde(default)]
    pub auto_create_realms: bool,
    /// Roles of a realm created on first use.
    #[serde(default)]
    pub auto_realm_roles: Vec<RoleConfig>,
    pub transports: Vec<ListenerConfig>,
    /// Messages queued for one session before the router gives up on it (a peer that does not
    /// read): the session is closed with a logged reason.
    #[serde(default = "default_max_queue")]
    pub max_queued_messages: usize,
    /// Seconds a session has from transport open to WELCOME (HELLO and authentication).
    #[serde(default = "default_join_timeout")]
    pub join_timeout: f64,
}

fn default_max_queue() -> usize {
    10_000
}

fn default_join_timeout() -> f64 {
    10.0
}

#[derive(Debug, Clone, Deserialize)]
pub struct RealmConfig {
    pub name: String,
    #[serde(default)]
    pub roles: Vec<RoleConfig>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoleConfig {
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Permission {
    /// A URI, a prefix (`match: prefix`; `""` matches everything) or a pattern with empty
    /// components (`match: wildcard`).
    pub uri: String,
    #[serde(rename = "match", default)]
    pub match_policy: MatchPolicy,
    #[serde(default)]
    pub allow: Allow,
    #[serde(default)]
    pub disclose: Disclose,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchPolicy {
    #[default]
    Exact,
    Prefix,
    Wildcard,
}

impl MatchPolicy {
    pub fn name(self) -> &'static str {
        match self {
            MatchPolicy::Exact => "exact",
            MatchPolicy::Prefix => "prefix",
            MatchPolicy::Wildcard => "wildcard",
        }
    }

    pub fn from_name(name: &str) -> Option<MatchPolicy> {
        match name {
            "exact" => Some(MatchPolicy::Exact),
            "prefix" => Some(MatchPolicy::Prefix),
            "wildcard" => Some(MatchPolicy::Wildcard),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Allow {
    #[serde(default)]
    pub call: bool,
    #[serde(default)]
    pub register: bool,
    #[serde(default)]
    pub publish: bool,
    #[serde(default)]
    pub subscribe: bool,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Disclose {
    #[serde(default)]
    pub caller: bool,
    #[serde(default)]
    pub publisher: bool,
}

/// One listening transport.
#[derive(Debug, Clone, Deserialize)]
pub struct ListenerConfig {
    /// `websocket`, `rawsocket`, or `universal` (both on one port: a first byte of 0x7F is
    /// RawSocket, anything else an HTTP request for the WebSocket path).
    #[serde(rename = "type")]
    pub kind: String,
    /// TCP: interface and port (0 = a free port, reported after start).
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    /// A Unix domain socket path instead of TCP.
    #[serde(default)]
    pub unix: Option<String>,
    /// WebSocket: the HTTP path of the WAMP endpoint (`/ws`); other paths get 404.
    #[serde(default = "default_ws_path")]
    pub path: String,
    /// Serializers this transport accepts, in order of preference.
    #[serde(default = "default_serializers")]
    pub serializers: Vec<String>,
    /// TLS (wss:// and RawSocket over TLS): PEM text of the certificate chain and key.
    #[serde(default)]
    pub tls: Option<ListenerTls>,
    /// Largest message accepted from a peer, in bytes; bigger ones end that session.
    #[serde(default = "default_max_message_size")]
    pub max_message_size: usize,
    /// Authentication methods offered on this transport. None: anonymous, role `anonymous`
    /// (as Crossbar.io does for a transport without an `auth` section).
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    /// More WebSocket paths on the same port (a Crossbar.io universal or web transport with
    /// several WAMP paths), each with its own serializers, size limit and authentication.
    #[serde(default)]
    pub paths: Vec<PathConfig>,
}

/// One more WAMP WebSocket path of a listener.
#[derive(Debug, Clone, Deserialize)]
pub struct PathConfig {
    pub path: String,
    #[serde(default = "default_serializers")]
    pub serializers: Vec<String>,
    #[serde(default = "default_max_message_size")]
    pub max_message_size: usize,
    #[serde(default)]
    pub auth: Option<AuthConfig>,
}

fn default_ws_path() -> String {
    "/ws".to_string()
}

fn default_serializers() -> Vec<String> {
    vec!["json".into(), "msgpack".into(), "cbor".into()]
}

fn default_max_message_size() -> usize {
    16 * 1024 * 1024
}

#[derive(Debug, Clone, Deserialize)]
pub struct ListenerTls {
    pub certificate: String,
    pub key: String,
    /// PEM CA certificates: when set, clients must present a certificate signed by one of them.
    #[serde(default)]
    pub ca: Option<String>,
}

/// Per method, as in a Crossbar.io transport's `auth` section.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthConfig {
    #[serde(default)]
    pub anonymous: Option<AnonymousAuth>,
    #[serde(default)]
    pub ticket: Option<MethodAuth>,
    #[serde(default)]
    pub wampcra: Option<MethodAuth>,
    #[serde(default)]
    pub cryptosign: Option<MethodAuth>,
    #[serde(default)]
    pub scram: Option<MethodAuth>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AnonymousAuth {
    /// `static` (the role below) or `dynamic` (the router's dynamic authenticator decides).
    #[serde(rename = "type", default = "default_static")]
    pub kind: String,
    #[serde(default = "default_anonymous_role")]
    pub role: String,
}

fn default_static() -> String {
    "static".into()
}

fn default_anonymous_role() -> String {
    "anonymous".into()
}

/// `type: static` with principals keyed by authid, or `type: dynamic`.
#[derive(Debug, Clone, Deserialize)]
pub struct MethodAuth {
    #[serde(rename = "type", default = "default_static")]
    pub kind: String,
    /// authid -> principal. Crossbar.io names this `users` for wampcra; lib/router.js maps
    /// both spellings here.
    #[serde(default)]
    pub principals: HashMap<String, Principal>,
}

/// What the router knows of one authid. Which fields apply depends on the method:
/// ticket `ticket`; wampcra `secret` (+ `salt`, `iterations`, `keylen` for salted secrets);
/// cryptosign `authorized_keys` (hex Ed25519 public keys); scram `kdf`, `iterations`,
/// `memory`, `salt`, `stored-key`, `server-key` (Base64, as Crossbar.io stores them).
/// A dynamic authenticator answers with the same shape.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Principal {
    #[serde(default)]
    pub role: Option<String>,
    /// Restricts the principal to one realm (cryptosign principals in Crossbar.io carry it).
    #[serde(default)]
    pub realm: Option<String>,
    #[serde(default)]
    pub ticket: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub salt: Option<String>,
    #[serde(default)]
    pub iterations: Option<u32>,
    #[serde(default)]
    pub keylen: Option<u32>,
    #[serde(default)]
    pub authorized_keys: Vec<String>,
    #[serde(default)]
    pub kdf: Option<String>,
    #[serde(default)]
    pub memory: Option<u32>,
    #[serde(rename = "stored-key", default)]
    pub stored_key: Option<String>,
    #[serde(rename = "server-key", default)]
    pub server_key: Option<String>,
    /// WELCOME.Details.authextra for this principal.
    #[serde(default)]
    pub extra: Option<serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid router settings: {0}")]
pub struct ConfigError(String);

impl RouterConfig {
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let cfg: RouterConfig =
            serde_json::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        if cfg.transports.is_empty() {
            return Err(ConfigError("no transport to listen on".into()));
        }
        Ok(cfg)
    }
}
