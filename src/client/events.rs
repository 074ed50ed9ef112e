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
//! [1005, "tx" | "rx", message]                       AUTOBAHN_DEBUG: a WAMP message (secrets redacted)
//! [1006]                                             outgoing bytes fell to the low-water mark JavaScript waits for
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

use crate::wamp::message::{self as m, quote, Parts};

pub const OPEN: u32 = 1000;
pub const CLOSE: u32 = 1001;
pub const INTERNAL_ERROR: u32 = 1002;
pub const CONNECTING: u32 = 1003;
pub const CONNECTED: u32 = 1004;
pub const DEBUG: u32 = 1005;
pub const DRAINED: u32 = 1006;

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

pub fn drained() -> String {
    format!("[{DRAINED}]")
}

pub fn internal_error(message: &str) -> String {
    format!("[{INTERNAL_ERROR},{}]", quote(message))
}

/// A WAMP message for the debug log. The AUTHENTICATE signature (a ticket, a password proof)
/// is replaced, so the log never shows a secret.
pub fn debug(direction: &str, message: &str) -> String {
    let shown = match Parts::parse(message) {
        Ok(p) if p.kind == m::AUTHENTICATE => {
            format!(
                "[{},\"<redacted>\",{}]",
                m::AUTHENTICATE,
                p.raw(2).unwrap_or("{}")
            )
        }
        _ => message.to_string(),
    };
    format!("[{DEBUG},{},{}]", quote(direction), quote(&shown))
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

#[cfg(test)]
mod tests {
    #[test]
    fn debug_log_redacts_the_authenticate_signature() {
        let ev = super::debug("tx", r#"[5, "my-secret-ticket", {}]"#);
        assert!(!ev.contains("my-secret-ticket"), "{ev}");
        assert!(ev.contains("<redacted>"));
        let ev = super::debug("rx", r#"[4,"ticket",{}]"#);
        assert_eq!(ev, r#"[1005,"rx","[4,\"ticket\",{}]"]"#);
    }
}
