//! napi exports for the authentication helpers (`autobahn.auth_cra`, ...).
