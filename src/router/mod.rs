//! The embedded WAMP router: `core` routes (sans-IO), the rest listens, authenticates and
//! moves frames between sockets and the core.

pub mod auth;
pub mod config;
pub mod core;
pub mod json_numbers;
pub mod server;
