//! WAMP-CRA: the router sends a JSON text (`authid, authrole, authmethod, authprovider, nonce,
//! timestamp, session`) and expects `Base64(HMAC-SHA256(key, text))`, where the key is the
//! secret, or for a salted principal `derive_key(secret, salt, iterations, keylen)` (the salt
//! and parameters go into the CHALLENGE; `iterations` and `keylen` default to 1000 and 32).
//! Dynamic: the authenticator is asked first; its principal carries the `secret`.

use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::router::config::{MethodAuth, Principal};
use crate::wamp::auth::cra::{self, Salting, DEFAULT_ITERATIONS, DEFAULT_KEYLEN};
use crate::wamp::auth::ct_eq_secret;

use super::{admission, admit, ask, challenge, denied, random_id, required_authid};
use super::{static_principal, utc_timestamp, Admitted, Asked as AnyAsked};
use super::{Challenged as AnyChallenged, Hello, Next, Provider, WAMPCRA};

pub(super) struct Asked {
    authid: String,
}

pub(super) struct Challenged {
    admitted: Admitted,
    /// The signature the client must send.
    expected: Zeroizing<String>,
}

pub(super) fn start(hello: &Hello, auth: &MethodAuth) -> Next {
    let authid = match required_authid(hello) {
        Ok(a) => a,
        Err(refused) => return refused.into_next(),
    };
    match Provider::of(&auth.kind) {
        Err(refused) => refused.into_next(),
        Ok(Provider::Static) => match static_principal(auth, authid) {
            Ok(principal) => challenge_for(hello, authid, principal, Provider::Static),
            Err(refused) => refused.into_next(),
        },
        Ok(Provider::Dynamic) => {
            let asked = AnyAsked::Wampcra(Asked {
                authid: authid.to_string(),
            });
            ask(hello, authid, WAMPCRA, Vec::new(), asked)
        }
    }
}

pub(super) fn answered(hello: &Hello, asked: Asked, principal: &Principal) -> Next {
    challenge_for(hello, &asked.authid, principal, Provider::Dynamic)
}

pub(super) fn authenticate(pending: Challenged, signature: &str) -> Next {
    if ct_eq_secret(pending.expected.as_bytes(), signature.as_bytes()) {
        admit(pending.admitted)
    } else {
        denied("WAMP-CRA client signature is invalid")
    }
}

fn challenge_for(hello: &Hello, authid: &str, principal: &Principal, provider: Provider) -> Next {
    let admitted = match admission(hello, authid, principal, WAMPCRA, provider) {
        Ok(a) => a,
        Err(refused) => return refused.into_next(),
    };
    let Some(secret) = principal.secret.as_deref() else {
        return denied(format!("principal \"{authid}\" has no WAMP-CRA secret"));
    };
    let salting = principal.salt.as_ref().map(|salt| Salting {
        salt: salt.clone(),
        iterations: principal.iterations.unwrap_or(DEFAULT_ITERATIONS),
        keylen: principal.keylen.unwrap_or(DEFAULT_KEYLEN),
    });
    let text = json!({
        "authid": admitted.authid,
        "authrole": admitted.authrole,
        "authmethod": WAMPCRA,
        "authprovider": admitted.authprovider,
        "nonce": Alphanumeric.sample_string(&mut rand::rng(), 64),
        "timestamp": utc_timestamp(std::time::SystemTime::now()),
        // The session id is not known yet (the core assigns it on join); clients do not check it.
        "session": random_id(),
    })
    .to_string();
    let expected = match cra::answer(secret, &text, salting.as_ref()) {
        Ok(s) => Zeroizing::new(s),
        // Names the bad parameter (iterations or keylen), never the secret.
        Err(e) => {
            return denied(format!(
                "WAMP-CRA settings of principal \"{authid}\" are unusable: {e}"
            ))
        }
    };
    let mut extra = json!({ "challenge": text });
    if let Some(s) = salting {
        extra["salt"] = Value::String(s.salt);
        extra["iterations"] = s.iterations.into();
        extra["keylen"] = s.keylen.into();
    }
    challenge(
        WAMPCRA,
        extra,
        AnyChallenged::Wampcra(Challenged { admitted, expected }),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::testing::*;
    use super::super::*;
    use crate::wamp::auth::cra;

    const SECRET: &str = "cra-71a0-secret";
    const SALTED: &str = "cra-55b3-salted-secret";

    fn config(kind: &str) -> AuthConfig {
        let principals = if kind == "static" {
            vec![
                (
                    "peter",
                    Principal {
                        secret: Some(SECRET.into()),
                        ..principal_with_role("cra-role")
                    },
                ),
                (
                    "salted",
                    Principal {
                        secret: Some(SALTED.into()),
                        salt: Some("salt-4477".into()),
                        iterations: Some(100),
                        keylen: Some(32),
                        extra: Some(json!({"a": [1]})),
                        ..principal_with_role("cra-role")
                    },
                ),
                (
                    "badkeylen",
                    Principal {
                        secret: Some(SECRET.into()),
                        salt: Some("s".into()),
                        keylen: Some(0),
                        ..principal_with_role("cra-role")
                    },
                ),
            ]
        } else {
            Vec::new()
        };
        AuthConfig {
            wampcra: Some(method(kind, principals)),
            ..AuthConfig::default()
        }
    }

    /// The client's answer, as Autobahn computes it from CHALLENGE.Extra.
    fn sign(secret: &str, extra: &Value) -> String {
        let text = extra["challenge"].as_str().unwrap();
        match extra.get("salt") {
            None => cra::sign(secret, text).unwrap(),
            Some(salt) => {
                let key = cra::derive_key(
                    secret,
                    salt.as_str().unwrap(),
                    extra["iterations"].as_u64().unwrap() as u32,
                    extra["keylen"].as_u64().unwrap() as u32,
                )
                .unwrap();
                cra::sign(&key, text).unwrap()
            }
        }
    }

    #[test]
    fn plain_secret() {
        let cfg = config("static");
        let (mut hs, step) = Handshake::start(hello(Some("peter"), &["wampcra"]), Some(&cfg));
        let extra = challenged(step, "wampcra");
        assert_eq!(extra.get("salt"), None);
        let text: Value = serde_json::from_str(extra["challenge"].as_str().unwrap()).unwrap();
        assert_eq!(text["authid"], "peter");
        assert_eq!(text["authrole"], "cra-role");
        assert_eq!(text["authmethod"], "wampcra");
        assert_eq!(text["authprovider"], "static");
        assert_eq!(text["nonce"].as_str().unwrap().len(), 64);
        let session = text["session"].as_u64().unwrap();
        assert!((1..=1u64 << 53).contains(&session));
        let ts = text["timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), "2024-01-02T03:04:05.678Z".len(), "{ts}");
        assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");

        let a = admitted(hs.authenticate(&sign(SECRET, &extra), &json!({})));
        assert_eq!(a.authid, "peter");
        assert_eq!(a.authrole, "cra-role");
        assert_eq!(a.authmethod, "wampcra");
        assert_eq!(a.authprovider, "static");
    }

    #[test]
    fn wrong_secret() {
        let cfg = config("static");
        let (mut hs, step) = Handshake::start(hello(Some("peter"), &["wampcra"]), Some(&cfg));
        let extra = challenged(step, "wampcra");
        let message = refused(
            hs.authenticate(&sign("not-the-secret", &extra), &json!({})),
            NOT_AUTHORIZED,
        );
        assert_eq!(message, "WAMP-CRA client signature is invalid");
    }

    #[test]
    fn salted_secret() {
        let cfg = config("static");
        let (mut hs, step) = Handshake::start(hello(Some("salted"), &["wampcra"]), Some(&cfg));
        let extra = challenged(step, "wampcra");
        assert_eq!(extra["salt"], "salt-4477");
        assert_eq!(extra["iterations"], 100);
        assert_eq!(extra["keylen"], 32);
        let a = admitted(hs.authenticate(&sign(SALTED, &extra), &json!({})));
        assert_eq!(a.authextra, Some(json!({"a": [1]})));

        // Signed with the secret itself instead of the derived key.
        let (mut hs, step) = Handshake::start(hello(Some("salted"), &["wampcra"]), Some(&cfg));
        let extra = challenged(step, "wampcra");
        let wrong = cra::sign(SALTED, extra["challenge"].as_str().unwrap()).unwrap();
        let message = refused(hs.authenticate(&wrong, &json!({})), NOT_AUTHORIZED);
        assert!(message.contains("signature is invalid"));
    }

    #[test]
    fn salted_defaults_and_bad_parameters() {
        let cfg = AuthConfig {
            wampcra: Some(method(
                "static",
                vec![(
                    "d",
                    Principal {
                        secret: Some(SECRET.into()),
                        salt: Some("pepper".into()),
                        ..principal_with_role("r")
                    },
                )],
            )),
            ..AuthConfig::default()
        };
        let (mut hs, step) = Handshake::start(hello(Some("d"), &["wampcra"]), Some(&cfg));
        let extra = challenged(step, "wampcra");
        assert_eq!(
            (extra["iterations"].clone(), extra["keylen"].clone()),
            (json!(1000), json!(32))
        );
        admitted(hs.authenticate(&sign(SECRET, &extra), &json!({})));

        let cfg = config("static");
        let (_, step) = Handshake::start(hello(Some("badkeylen"), &["wampcra"]), Some(&cfg));
        let message = refused(step, NOT_AUTHORIZED);
        assert!(message.contains("keylen"), "{message}");
        assert!(!message.contains(SECRET));
    }

    #[test]
    fn unknown_authid() {
        let cfg = config("static");
        let (_, step) = Handshake::start(hello(Some("nobody"), &["wampcra"]), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "no principal with authid \"nobody\" exists"
        );
    }

    #[test]
    fn dynamic_asks_first_then_challenges() {
        let cfg = config("dynamic");
        let mut h = hello(Some("peter"), &["wampcra"]);
        h.authrole = Some("wish".into());
        let (mut hs, step) = Handshake::start(h, Some(&cfg));
        let details = asked(step, "peter", "wampcra");
        assert_eq!(details, json!({"authid": "peter", "authrole": "wish"}));
        let answer = Principal {
            secret: Some(SALTED.into()),
            salt: Some("xyz".into()),
            iterations: Some(10),
            keylen: Some(16),
            ..principal_with_role("user")
        };
        let extra = challenged(hs.authenticator_answered(Ok(answer)), "wampcra");
        let text: Value = serde_json::from_str(extra["challenge"].as_str().unwrap()).unwrap();
        assert_eq!(text["authprovider"], "dynamic");
        assert_eq!(text["authrole"], "user");
        let a = admitted(hs.authenticate(&sign(SALTED, &extra), &json!({})));
        assert_eq!(a.authprovider, "dynamic");
        assert_eq!(a.authrole, "user");
    }

    #[test]
    fn dynamic_failures() {
        let cfg = config("dynamic");
        let (mut hs, _) = Handshake::start(hello(Some("peter"), &["wampcra"]), Some(&cfg));
        assert_eq!(
            refused(
                hs.authenticator_answered(Ok(principal_with_role("user"))),
                NOT_AUTHORIZED
            ),
            "principal \"peter\" has no WAMP-CRA secret"
        );
        let (mut hs, _) = Handshake::start(hello(Some("peter"), &["wampcra"]), Some(&cfg));
        let answer = Principal {
            secret: Some(SECRET.into()),
            ..Principal::default()
        };
        let message = refused(hs.authenticator_answered(Ok(answer)), NOT_AUTHORIZED);
        assert!(message.contains("without a role"));
        let (mut hs, _) = Handshake::start(hello(Some("peter"), &["wampcra"]), Some(&cfg));
        assert_eq!(
            refused(
                hs.authenticator_answered(Err("no such user".into())),
                NOT_AUTHORIZED
            ),
            "no such user"
        );
        // A wrong signature after a dynamic challenge.
        let (mut hs, _) = Handshake::start(hello(Some("peter"), &["wampcra"]), Some(&cfg));
        let answer = Principal {
            secret: Some(SECRET.into()),
            ..principal_with_role("user")
        };
        let extra = challenged(hs.authenticator_answered(Ok(answer)), "wampcra");
        refused(
            hs.authenticate(&sign("nope", &extra), &json!({})),
            NOT_AUTHORIZED,
        );
    }

    #[test]
    fn each_challenge_is_fresh() {
        let cfg = config("static");
        let (_, a) = Handshake::start(hello(Some("peter"), &["wampcra"]), Some(&cfg));
        let (mut hs, b) = Handshake::start(hello(Some("peter"), &["wampcra"]), Some(&cfg));
        let (a, b) = (challenged(a, "wampcra"), challenged(b, "wampcra"));
        assert_ne!(a["challenge"], b["challenge"]);
        // An answer to another challenge does not count.
        refused(
            hs.authenticate(&sign(SECRET, &a), &json!({})),
            NOT_AUTHORIZED,
        );
    }
}
