//! The embedded WAMP router.
