//! The WAMP client: a sans-IO session core, the retry schedule and the connection actor that
//! ties them to tokio and a transport from `wamp::transport`.

pub(crate) mod config;
pub(crate) mod connection;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod flow;
pub(crate) mod retry;
pub(crate) mod session;

use crate::wamp::codec;

/// Where the client delivers events for the JavaScript side. Each event is the JSON text of one
/// array (see `events`); the sink batches them so that one crossing carries many events.
pub trait EventSink: Send + Sync + 'static {
    fn emit(&self, event: String);
    /// Emits (and empties) `events` at once, with the attachments their placeholders
    /// number from 0 (see `codec::attachments`).
    fn emit_all(&self, events: &mut Vec<String>, attachments: Vec<codec::ReceivedValue>);
}
