//! WAMP-Ticket: the AUTHENTICATE signature is the ticket. Static: compared with the principal's
//! (unknown authids are refused before the CHALLENGE); dynamic: the CHALLENGE comes first and
//! the authenticator gets the ticket in `details.ticket`. A dynamic principal that carries a
//! `ticket` must match the client's as well.

use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::router::config::{MethodAuth, Principal};
use crate::wamp::auth::ct_eq_secret;

use super::TICKET;
use super::{admission, admit, ask, challenge, denied, required_authid, static_principal};
use super::{Admitted, Asked as AnyAsked, Challenged as AnyChallenged, Hello, Next, Provider};

pub(super) enum Challenged {
    /// The principal is known: the ticket must be this one.
    Static {
        admitted: Admitted,
        ticket: Zeroizing<String>,
    },
    /// The authenticator decides once the ticket is here.
    Dynamic { authid: String },
}

pub(super) struct Asked {
    authid: String,
    ticket: Zeroizing<String>,
}

pub(super) fn start(hello: &Hello, auth: &MethodAuth) -> Next {
    let authid = match required_authid(hello) {
        Ok(a) => a,
        Err(refused) => return refused.into_next(),
    };
    let pending = match Provider::of(&auth.kind) {
        Err(refused) => return refused.into_next(),
        Ok(Provider::Dynamic) => Challenged::Dynamic {
            authid: authid.to_string(),
        },
        Ok(Provider::Static) => {
            let principal = match static_principal(auth, authid) {
                Ok(p) => p,
                Err(refused) => return refused.into_next(),
            };
            let admitted = match admission(hello, authid, principal, TICKET, Provider::Static) {
                Ok(a) => a,
                Err(refused) => return refused.into_next(),
            };
            let Some(ticket) = principal.ticket.as_deref() else {
                return denied(format!("principal \"{authid}\" has no ticket"));
            };
            Challenged::Static {
                admitted,
                ticket: Zeroizing::new(ticket.to_string()),
            }
        }
    };
    challenge(TICKET, json!({}), AnyChallenged::Ticket(pending))
}

pub(super) fn authenticate(hello: &Hello, pending: Challenged, signature: &str) -> Next {
    match pending {
        Challenged::Static { admitted, ticket } => {
            if ct_eq_secret(ticket.as_bytes(), signature.as_bytes()) {
                admit(admitted)
            } else {
                denied("ticket in static WAMP-Ticket authentication is invalid")
            }
        }
        Challenged::Dynamic { authid } => {
            let more = vec![("ticket", Value::String(signature.to_string()))];
            let asked = AnyAsked::Ticket(Asked {
                authid: authid.clone(),
                ticket: Zeroizing::new(signature.to_string()),
            });
            ask(hello, &authid, TICKET, more, asked)
        }
    }
}

pub(super) fn answered(hello: &Hello, asked: Asked, principal: &Principal) -> Next {
    let admitted = match admission(hello, &asked.authid, principal, TICKET, Provider::Dynamic) {
        Ok(a) => a,
        Err(refused) => return refused.into_next(),
    };
    match principal.ticket.as_deref() {
        Some(expected) if !ct_eq_secret(expected.as_bytes(), asked.ticket.as_bytes()) => {
            denied("ticket in dynamic WAMP-Ticket authentication is invalid")
        }
        _ => admit(admitted),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::*;
    use super::super::*;

    const SECRET: &str = "tk-9f2e-secret-ticket";

    fn config(kind: &str) -> AuthConfig {
        let principals = if kind == "static" {
            vec![
                (
                    "joe",
                    Principal {
                        ticket: Some(SECRET.into()),
                        extra: Some(json!({"greeting": "hi"})),
                        ..principal_with_role("user")
                    },
                ),
                (
                    "realmbound",
                    Principal {
                        ticket: Some(SECRET.into()),
                        realm: Some("other".into()),
                        ..principal_with_role("user")
                    },
                ),
                ("noticket", principal_with_role("user")),
            ]
        } else {
            Vec::new()
        };
        AuthConfig {
            ticket: Some(method(kind, principals)),
            ..AuthConfig::default()
        }
    }

    fn no_secret_in(message: &str) {
        assert!(!message.contains(SECRET), "{message}");
        assert!(!message.contains("wrong-ticket"), "{message}");
    }

    #[test]
    fn static_right_ticket() {
        let cfg = config("static");
        let (mut hs, step) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
        assert_eq!(challenged(step, "ticket"), json!({}));
        let a = admitted(hs.authenticate(SECRET, &json!({})));
        assert_eq!(
            a,
            Admitted {
                authid: "joe".into(),
                authrole: "user".into(),
                authmethod: "ticket".into(),
                authprovider: "static".into(),
                authextra: Some(json!({"greeting": "hi"})),
            }
        );
        assert!(hs.is_finished());
    }

    #[test]
    fn static_wrong_ticket() {
        let cfg = config("static");
        for wrong in ["wrong-ticket", "", &SECRET[..SECRET.len() - 1]] {
            let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
            let message = refused(hs.authenticate(wrong, &json!({})), NOT_AUTHORIZED);
            assert_eq!(
                message,
                "ticket in static WAMP-Ticket authentication is invalid"
            );
            no_secret_in(&message);
        }
    }

    #[test]
    fn static_unknown_authid_is_refused_before_the_challenge() {
        let cfg = config("static");
        let (_, step) = Handshake::start(hello(Some("nobody"), &["ticket"]), Some(&cfg));
        let message = refused(step, NOT_AUTHORIZED);
        assert_eq!(message, "no principal with authid \"nobody\" exists");
        let (_, step) = Handshake::start(hello(None, &["ticket"]), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "cannot identify client: no authid requested"
        );
    }

    #[test]
    fn static_principal_of_another_realm_or_without_ticket() {
        let cfg = config("static");
        let (_, step) = Handshake::start(hello(Some("realmbound"), &["ticket"]), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "principal \"realmbound\" is not allowed to join realm \"realm1\""
        );
        let (_, step) = Handshake::start(hello(Some("noticket"), &["ticket"]), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "principal \"noticket\" has no ticket"
        );
    }

    #[test]
    fn dynamic_challenges_then_asks_with_the_ticket() {
        let cfg = config("dynamic");
        let mut h = hello(Some("joe"), &["ticket"]);
        h.authextra = Some(json!({"app": 7}));
        let (mut hs, step) = Handshake::start(h, Some(&cfg));
        assert_eq!(challenged(step, "ticket"), json!({}));
        let details = asked(hs.authenticate("secret", &json!({})), "joe", "ticket");
        assert_eq!(
            details,
            json!({"authid": "joe", "authextra": {"app": 7}, "ticket": "secret"})
        );
        let answer = Principal {
            ticket: Some("secret".into()),
            extra: Some(json!({"greeting": "hi"})),
            ..principal_with_role("user")
        };
        let a = admitted(hs.authenticator_answered(Ok(answer)));
        assert_eq!(a.authid, "joe");
        assert_eq!(a.authrole, "user");
        assert_eq!(a.authprovider, "dynamic");
        assert_eq!(a.authextra, Some(json!({"greeting": "hi"})));
    }

    #[test]
    fn dynamic_principal_without_ticket_trusts_the_authenticator() {
        let cfg = config("dynamic");
        let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
        hs.authenticate("whatever", &json!({}));
        let a = admitted(hs.authenticator_answered(Ok(principal_with_role("user"))));
        assert_eq!(a.authextra, None);
    }

    #[test]
    fn dynamic_failures() {
        let cfg = config("dynamic");
        // The principal's ticket differs from the client's.
        let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
        hs.authenticate("wrong-ticket", &json!({}));
        let answer = Principal {
            ticket: Some(SECRET.into()),
            ..principal_with_role("user")
        };
        let message = refused(hs.authenticator_answered(Ok(answer)), NOT_AUTHORIZED);
        assert_eq!(
            message,
            "ticket in dynamic WAMP-Ticket authentication is invalid"
        );
        no_secret_in(&message);
        // A denial carries the authenticator's message.
        let (mut hs, _) = Handshake::start(hello(Some("mallory"), &["ticket"]), Some(&cfg));
        hs.authenticate("secret", &json!({}));
        let message = refused(
            hs.authenticator_answered(Err("unknown user mallory".into())),
            NOT_AUTHORIZED,
        );
        assert_eq!(message, "unknown user mallory");
        // No role.
        let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
        hs.authenticate("secret", &json!({}));
        let message = refused(
            hs.authenticator_answered(Ok(Principal::default())),
            NOT_AUTHORIZED,
        );
        assert_eq!(
            message,
            "the dynamic authenticator returned a principal without a role for \"joe\""
        );
        // A realm other than the HELLO's.
        let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
        hs.authenticate("secret", &json!({}));
        let answer = Principal {
            realm: Some("other".into()),
            ..principal_with_role("user")
        };
        refused(hs.authenticator_answered(Ok(answer)), NOT_AUTHORIZED);
    }

    #[test]
    fn out_of_order_calls_are_protocol_violations() {
        let cfg = config("dynamic");
        let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
        // An answer before AUTHENTICATE (nothing was asked yet).
        refused(
            hs.authenticator_answered(Ok(principal_with_role("user"))),
            PROTOCOL_VIOLATION,
        );
        assert!(hs.is_finished());

        let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
        hs.authenticate("secret", &json!({}));
        // A second AUTHENTICATE while the authenticator is asked.
        refused(hs.authenticate("secret", &json!({})), PROTOCOL_VIOLATION);

        let cfg = config("static");
        let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
        admitted(hs.authenticate(SECRET, &json!({})));
        // Anything after the end.
        refused(hs.authenticate(SECRET, &json!({})), PROTOCOL_VIOLATION);
        refused(
            hs.authenticator_answered(Err("no".into())),
            PROTOCOL_VIOLATION,
        );
    }
}
