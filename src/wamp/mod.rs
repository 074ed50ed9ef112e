//! The WAMP layer shared by the client and the router: message envelopes, serializers
//! (codecs), transports and the authentication computations. No napi, no session state.

pub mod auth;
pub mod codec;
pub mod error;
pub mod message;
pub mod transport;
