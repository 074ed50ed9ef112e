#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]
//! Native WAMP client and router for Node.js.
//!
//! `wamp` is the shared protocol layer (messages, codecs, transports, auth computations);
//! `client` and `router` are napi-free tokio libraries built on it; `binding` is the only code
//! that touches napi.

pub mod binding;
pub mod client;
pub mod router;
pub mod wamp;

#[cfg(test)]
mod fuzz;
