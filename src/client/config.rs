//! Connection settings, as normalised by index.js (defaults and validation live there).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::ConfigError;
use super::retry::RetryConfig;
use crate::wamp::transport::config::TransportConfig;

#[derive(Debug, Deserialize)]
pub struct ConnectionConfig {
    pub realm: String,
    /// HELLO.Details (roles, authmethods, authid, authextra), built by index.js.
    pub hello_details: Box<RawValue>,
    /// Tried in order on every connection attempt until one connects (failover).
    pub transports: Vec<TransportConfig>,
    /// Seconds one transport entry may take to connect (TCP, TLS and the WebSocket or RawSocket
    /// handshake) before the next entry is tried.
    pub connect_timeout: f64,
    /// `AUTOBAHN_DEBUG`: report every WAMP message sent and received (secrets redacted).
    pub debug: bool,
    /// Bytes of events that may wait for the JavaScript thread before the connection stops
    /// reading the socket (`incoming_high_water_mark`).
    #[serde(default = "default_incoming_high_water_mark")]
    pub incoming_high_water_mark: usize,
    #[serde(flatten)]
    pub retry: RetryConfig,
}

/// 1 MiB: many batches' worth for small events, little memory for a stalled consumer.
pub const DEFAULT_INCOMING_HIGH_WATER_MARK: usize = 1 << 20;

fn default_incoming_high_water_mark() -> usize {
    DEFAULT_INCOMING_HIGH_WATER_MARK
}

impl ConnectionConfig {
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        Ok(serde_json::from_str(text)?)
    }
}
