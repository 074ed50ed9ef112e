#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]
//! Native WAMP client engine for Node.js.
//!
//! `engine` is a napi-free tokio library (session core, transports, reconnect loop);
//! `binding` is the only code that touches napi.

pub mod binding;
pub mod engine;
