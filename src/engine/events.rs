//! Events for the JavaScript side. Each is the JSON text of one array whose first element is
//! its kind: WAMP message codes for session traffic, codes from 1000 up for the connection's
//! own events. `index.js` dispatches on the same numbers.
//!
//! ```text
//! [1000, serial, sessionId, welcomeDetails]          session opened (WELCOME)
//! [1001, reason, {reason, message, retry_delay, retry_count, will_retry}]   connection closed
//! [1002, message]                                    internal error (protocol violation, ...)
//! [1003]                                             a connection attempt starts
//! [1004, serial, {type, url, protocol}]              transport connected; HELLO sent for session `serial`
//! [4, method, extra]                                 CHALLENGE
//! [8, handle, error, details (, args (, kwargs))]    ERROR reply to a request
//! [17, handle, publicationId]                        PUBLISHED
//! [33, handle, subscriptionId]                       SUBSCRIBED
//! [35, handle] | [35, 0, subscriptionId, reason]     UNSUBSCRIBED | revocation
//! [36, subscriptionId, publicationId, details (, args (, kwargs))]   EVENT
//! [50, handle, details (, args (, kwargs))]          RESULT (details.progress for progressive)
//! [65, handle, registrationId]                       REGISTERED
//! [67, handle] | [67, 0, registrationId, reason]     UNREGISTERED | revocation
//! [68, invocationId, registrationId, details (, args (, kwargs))]   INVOCATION
//! [69, invocationId, options]                        INTERRUPT
//! ```
//! A handle is the number JavaScript gave the request; the engine maps it to the WAMP request id.

use serde::Serialize;

use super::message::quote;

pub const OPEN: u32 = 1000;
pub const CLOSE: u32 = 1001;
pub const INTERNAL_ERROR: u32 = 1002;
pub const CONNECTING: u32 = 1003;
pub const CONNECTED: u32 = 1004;

/// The `details` argument of Autobahn's `onclose(reason, details)`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CloseDetails {
    pub reason: Option<String>,
    pub message: Option<String>,
    pub retry_delay: Option<f64>,
    pub retry_count: Option<u32>,
    pub will_retry: bool,
}

pub fn close(reason: &str, details: &CloseDetails) -> String {
    let details = serde_json::to_string(details).unwrap_or_else(|_| "{}".to_string());
    format!("[{CLOSE},{},{details}]", quote(reason))
}

pub fn internal_error(message: &str) -> String {
    format!("[{INTERNAL_ERROR},{}]", quote(message))
}

pub fn connecting() -> String {
    format!("[{CONNECTING}]")
}

#[derive(Debug, Clone, Serialize)]
pub struct TransportInfo {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub protocol: Option<String>,
}

pub fn connected(serial: u32, info: &TransportInfo) -> String {
    let info = serde_json::to_string(info).unwrap_or_else(|_| "{}".to_string());
    format!("[{CONNECTED},{serial},{info}]")
}
