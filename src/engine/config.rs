//! Connection settings, as normalised by index.js (defaults and validation live there).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::retry::RetryConfig;

#[derive(Debug, Deserialize)]
pub struct ConnectionConfig {
    pub realm: String,
    /// HELLO.Details (roles, authmethods, authid, authextra), built by index.js.
    pub hello_details: Box<RawValue>,
    pub transports: Vec<TransportConfig>,
    /// `AUTOBAHN_DEBUG`: report every WAMP message sent and received (secrets redacted).
    #[serde(default)]
    pub debug: bool,
    #[serde(flatten)]
    pub retry: RetryConfig,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TransportConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    /// WebSocket subprotocols to offer, in order of preference.
    pub protocols: Vec<String>,
}

impl ConnectionConfig {
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("invalid connection settings: {e}"))
    }
}
