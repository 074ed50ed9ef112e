//! Engine errors as JavaScript errors with a stable `code` property, so that JavaScript can
//! tell a bad argument from a bad challenge from the router without reading messages.
//!
//! | code                        | meaning                                                     |
//! |-----------------------------|-------------------------------------------------------------|
//! | `ERR_WAMP_CONFIG`           | the connection settings from index.js do not parse          |
//! | `ERR_WAMP_RUNTIME`          | the I/O runtime could not start                             |
//! | `ERR_WAMP_AUTH_INPUT`       | an authentication helper's argument is out of range or malformed |
//! | `ERR_WAMP_AUTH_CHALLENGE`   | the router's challenge lacks a field or has a wrong one     |
//! | `ERR_WAMP_AUTH_UNSUPPORTED` | the router asks for something not implemented (a KDF, ...)  |

use napi::bindgen_prelude::{Env, Error, JsError};

use crate::client::error::ConfigError;
use crate::wamp::auth::AuthError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Config,
    Runtime,
    AuthInput,
    AuthChallenge,
    AuthUnsupported,
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        match self {
            ErrorCode::Config => "ERR_WAMP_CONFIG",
            ErrorCode::Runtime => "ERR_WAMP_RUNTIME",
            ErrorCode::AuthInput => "ERR_WAMP_AUTH_INPUT",
            ErrorCode::AuthChallenge => "ERR_WAMP_AUTH_CHALLENGE",
            ErrorCode::AuthUnsupported => "ERR_WAMP_AUTH_UNSUPPORTED",
        }
    }
}

/// A napi error whose JavaScript `code` is an `ErrorCode` (a `#[napi]` function returns it as
/// `napi::Result<T, ErrorCode>`).
pub type CodedError = Error<ErrorCode>;

/// An engine error with its code.
pub trait Coded: std::fmt::Display {
    fn code(&self) -> ErrorCode;

    fn to_napi(&self) -> CodedError {
        Error::new(self.code(), self.to_string())
    }
}

impl Coded for AuthError {
    fn code(&self) -> ErrorCode {
        match self {
            AuthError::InvalidInput { .. } => ErrorCode::AuthInput,
            AuthError::BadChallenge { .. } => ErrorCode::AuthChallenge,
            AuthError::Unsupported { .. } => ErrorCode::AuthUnsupported,
        }
    }
}

impl Coded for ConfigError {
    fn code(&self) -> ErrorCode {
        ErrorCode::Config
    }
}

/// `e` as a plain napi error that refers to a JavaScript error object carrying its code: the
/// form a `Task` rejects its promise with (tasks only take napi's default error type).
pub fn rejection(env: &Env, e: &impl Coded) -> Error {
    Error::from(JsError::from(e.to_napi()).into_unknown(*env))
}

// The tests stay clear of napi values: a test binary has no Node to link them against.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_kind_has_its_code() {
        let input = AuthError::InvalidInput {
            what: "keylen",
            why: "too large".into(),
        };
        assert_eq!(input.code().as_ref(), "ERR_WAMP_AUTH_INPUT");
        let challenge = AuthError::BadChallenge {
            method: "scram",
            why: "no salt".into(),
        };
        assert_eq!(challenge.code().as_ref(), "ERR_WAMP_AUTH_CHALLENGE");
        let unsupported = AuthError::Unsupported {
            method: "scram",
            why: "unknown KDF".into(),
        };
        assert_eq!(unsupported.code().as_ref(), "ERR_WAMP_AUTH_UNSUPPORTED");
        let config = crate::client::config::ConnectionConfig::from_json("{}").unwrap_err();
        assert_eq!(config.code().as_ref(), "ERR_WAMP_CONFIG");
        assert!(config
            .to_string()
            .starts_with("invalid connection settings: missing field"));
    }
}
