//! The WAMP layer shared by the client and the router: message envelopes, serializers
//! (codecs), transports and the authentication computations. No napi, no session state.

pub mod auth;
pub(crate) mod codec;
pub(crate) mod error;
pub(crate) mod message;
pub mod transport;
