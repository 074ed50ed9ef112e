//! Anonymous: no proof. Static: the configured role; dynamic: the authenticator decides.

use crate::router::config::{AnonymousAuth, Principal};

use super::{admission, admit, ask, random_authid, Admitted, Asked as AnyAsked, Hello, Next};
use super::{Provider, ANONYMOUS};

/// Waiting for the authenticator about this (random) authid.
pub(super) struct Asked {
    authid: String,
}

/// A transport without an `auth` section: everybody joins as role `anonymous`.
pub(super) fn admit_default() -> Next {
    admit(admitted(random_authid(), "anonymous", Provider::Static))
}

pub(super) fn start(hello: &Hello, auth: &AnonymousAuth) -> Next {
    let authid = random_authid();
    match Provider::of(&auth.kind) {
        Err(refused) => refused.into_next(),
        Ok(Provider::Static) => admit(admitted(authid, &auth.role, Provider::Static)),
        Ok(Provider::Dynamic) => {
            let asked = AnyAsked::Anonymous(Asked {
                authid: authid.clone(),
            });
            ask(hello, &authid, ANONYMOUS, Vec::new(), asked)
        }
    }
}

pub(super) fn answered(hello: &Hello, asked: Asked, principal: &Principal) -> Next {
    match admission(
        hello,
        &asked.authid,
        principal,
        ANONYMOUS,
        Provider::Dynamic,
    ) {
        Ok(a) => admit(a),
        Err(refused) => refused.into_next(),
    }
}

fn admitted(authid: String, role: &str, provider: Provider) -> Admitted {
    Admitted {
        authid,
        authrole: role.to_string(),
        authmethod: ANONYMOUS.to_string(),
        authprovider: provider.name().to_string(),
        authextra: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;
    use crate::router::config::AnonymousAuth;

    fn anonymous(kind: &str, role: &str) -> AuthConfig {
        AuthConfig {
            anonymous: Some(AnonymousAuth {
                kind: kind.into(),
                role: role.into(),
            }),
            ..AuthConfig::default()
        }
    }

    #[test]
    fn no_auth_section_admits_role_anonymous() {
        for methods in [vec![], vec!["anonymous"], vec!["ticket", "anonymous"]] {
            let (hs, step) = Handshake::start(hello(None, &methods), None);
            let a = admitted(step);
            assert_eq!(a.authrole, "anonymous");
            assert_eq!(a.authmethod, "anonymous");
            assert_eq!(a.authprovider, "static");
            assert_eq!(a.authextra, None);
            assert!(is_serial_number(&a.authid), "{}", a.authid);
            assert!(hs.is_finished());
        }
    }

    #[test]
    fn no_auth_section_refuses_other_methods() {
        let (_, step) = Handshake::start(hello(Some("joe"), &["ticket", "wampcra"]), None);
        let message = refused(step, NO_AUTH_METHOD);
        assert_eq!(
            message,
            "cannot authenticate using any of the offered authmethods ['ticket', 'wampcra']"
        );
    }

    #[test]
    fn static_role_and_a_random_authid() {
        let cfg = anonymous("static", "guest");
        // The HELLO authid is not taken over (no posing as a named client).
        let (_, step) = Handshake::start(hello(Some("admin"), &["anonymous"]), Some(&cfg));
        let a = admitted(step);
        assert_eq!(a.authrole, "guest");
        assert_eq!(a.authprovider, "static");
        assert!(is_serial_number(&a.authid));
        let (_, again) = Handshake::start(hello(None, &[]), Some(&cfg));
        assert_ne!(admitted(again).authid, a.authid);
    }

    #[test]
    fn dynamic_asks_then_admits_with_the_answered_role() {
        let cfg = anonymous("dynamic", "anonymous");
        let mut h = hello(Some("joe"), &["anonymous"]);
        h.authrole = Some("wish".into());
        h.authextra = Some(serde_json::json!({"x": 1}));
        let (mut hs, step) = Handshake::start(h, Some(&cfg));
        let Step::Ask {
            realm,
            authid,
            authmethod,
            details,
        } = step
        else {
            panic!("expected Ask, got {step:?}");
        };
        assert_eq!(realm, REALM);
        assert_eq!(authmethod, "anonymous");
        assert!(is_serial_number(&authid));
        assert_eq!(
            details,
            serde_json::json!({"authid": "joe", "authrole": "wish", "authextra": {"x": 1}})
        );
        let a = admitted(hs.authenticator_answered(Ok(principal_with_role("visitor"))));
        assert_eq!(a.authid, authid);
        assert_eq!(a.authrole, "visitor");
        assert_eq!(a.authprovider, "dynamic");
    }

    #[test]
    fn dynamic_denial_and_missing_role() {
        let cfg = anonymous("dynamic", "anonymous");
        let (mut hs, _) = Handshake::start(hello(None, &[]), Some(&cfg));
        let message = refused(
            hs.authenticator_answered(Err("unknown user mallory".into())),
            NOT_AUTHORIZED,
        );
        assert_eq!(message, "unknown user mallory");

        let (mut hs, _) = Handshake::start(hello(None, &[]), Some(&cfg));
        let message = refused(
            hs.authenticator_answered(Ok(Principal::default())),
            NOT_AUTHORIZED,
        );
        assert!(message.contains("without a role"), "{message}");

        let (mut hs, _) = Handshake::start(hello(None, &[]), Some(&cfg));
        let message = refused(
            hs.authenticator_answered(Err(String::new())),
            NOT_AUTHORIZED,
        );
        assert_eq!(message, "denied by the authenticator");
    }
}
