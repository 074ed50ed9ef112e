//! Helpers for the tests of the method files.

use std::collections::HashMap;

use serde_json::Value;

use super::{Admitted, Hello, Step};
use crate::router::config::{MethodAuth, Principal};

pub const REALM: &str = "realm1";

pub fn hello(authid: Option<&str>, methods: &[&str]) -> Hello {
    Hello {
        realm: REALM.into(),
        authid: authid.map(str::to_string),
        authrole: None,
        authmethods: methods.iter().map(|m| m.to_string()).collect(),
        authextra: None,
    }
}

pub fn method(kind: &str, principals: Vec<(&str, Principal)>) -> MethodAuth {
    MethodAuth {
        kind: kind.into(),
        principals: principals
            .into_iter()
            .map(|(k, p)| (k.to_string(), p))
            .collect::<HashMap<_, _>>(),
    }
}

pub fn principal_with_role(role: &str) -> Principal {
    Principal {
        role: Some(role.into()),
        ..Principal::default()
    }
}

#[track_caller]
pub fn admitted(step: Step) -> Admitted {
    match step {
        Step::Admit(a) => a,
        other => panic!("expected Admit, got {other:?}"),
    }
}

/// The message of a Refuse with `reason`.
#[track_caller]
pub fn refused(step: Step, reason: &str) -> String {
    match step {
        Step::Refuse { reason: r, message } => {
            assert_eq!(r, reason, "{message}");
            message
        }
        other => panic!("expected Refuse, got {other:?}"),
    }
}

/// The extra of a Challenge for `method`.
#[track_caller]
pub fn challenged(step: Step, method: &str) -> Value {
    match step {
        Step::Challenge { method: m, extra } => {
            assert_eq!(m, method);
            extra
        }
        other => panic!("expected Challenge, got {other:?}"),
    }
}

/// The details of an Ask for `authid` and `method`.
#[track_caller]
pub fn asked(step: Step, authid: &str, method: &str) -> Value {
    match step {
        Step::Ask {
            realm,
            authid: a,
            authmethod,
            details,
        } => {
            assert_eq!(realm, REALM);
            assert_eq!(a, authid);
            assert_eq!(authmethod, method);
            details
        }
        other => panic!("expected Ask, got {other:?}"),
    }
}

/// Crossbar's `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
pub fn is_serial_number(authid: &str) -> bool {
    let groups: Vec<&str> = authid.split('-').collect();
    groups.len() == 6
        && groups.iter().all(|g| {
            g.len() == 4
                && g.bytes()
                    .all(|b| b"345679ACEFGHJKLMNPQRSTUVWXY".contains(&b))
        })
}
