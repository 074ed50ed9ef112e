//! Settings of one client transport entry, as normalised by the JavaScript side.

use serde::Deserialize;

/// Default for `connect_timeout` (seconds).
pub const DEFAULT_CONNECT_TIMEOUT: f64 = 10.0;

fn default_max_len_exp() -> u8 {
    super::rawsocket::MAX_LEN_EXP
}

#[derive(Debug, Clone, Deserialize)]
pub struct TransportConfig {
    /// `websocket` or `rawsocket`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The WebSocket URL; for RawSocket the URL shown in `transport.info.url`
    /// (`rs://host:port`, `rss://host:port` with TLS, `rs+unix://<path>`).
    pub url: String,
    /// Serializers to offer (`wamp.2.json`, ...), in order of preference. WebSocket offers all
    /// of them at once; RawSocket asks for one per handshake and tries the next one when the
    /// router answers "serializer unsupported".
    pub protocols: Vec<String>,
    /// RawSocket over TCP.
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    /// RawSocket over a Unix domain socket.
    #[serde(default)]
    pub path: Option<String>,
    /// RawSocket over TLS (WebSocket uses TLS for `wss://` URLs).
    #[serde(default)]
    pub tls: bool,
    #[serde(default)]
    pub tls_options: TlsOptions,
    /// RawSocket: we accept messages up to 2^max_len_exp bytes (9..=24).
    #[serde(default = "default_max_len_exp")]
    pub max_len_exp: u8,
    /// WebSocket: extra HTTP headers for the opening handshake.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The largest message we send or accept, in bytes (checked before sending).
    #[serde(default)]
    pub max_message_size: Option<usize>,
    /// WebSocket heartbeat: seconds of silence from the router before we send a ping.
    #[serde(default)]
    pub autoping_interval: Option<f64>,
    /// WebSocket heartbeat: seconds to wait for an answer to the ping before the link is dead.
    #[serde(default)]
    pub autoping_timeout: Option<f64>,
    /// WebSocket heartbeat: bytes of random ping payload (0..=125).
    #[serde(default)]
    pub autoping_size: Option<usize>,
}

/// TLS settings of one transport entry (PEM text).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TlsOptions {
    /// Trusted CA certificates (PEM, one or more). When given, only they are trusted (as with
    /// Node's `tls.connect({ca})`); otherwise the system roots are.
    #[serde(default)]
    pub ca: Option<String>,
    /// Client certificate chain (PEM) and its private key (PEM), for TLS client authentication.
    #[serde(default)]
    pub cert: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    /// Accept any server certificate. Unsafe: for tests and development only.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}
