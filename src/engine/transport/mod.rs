//! Transports. WebSocket (`ws://`) is implemented; RawSocket and TLS come later.

pub mod websocket;
