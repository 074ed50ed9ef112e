//! WAMP-Cryptosign: the client announces its Ed25519 key in HELLO `authextra.pubkey`; the
//! router sends 32 random bytes and checks the signature over them.
//!
//! * Static: the principal is the HELLO authid's, whose `authorized_keys` must hold the key, or
//!   without an authid the one principal that lists the key.
//! * Dynamic: the HELLO authid is required (a principal has no authid of its own to report),
//!   and the authenticator's principal must list the client's key in `authorized_keys`: a
//!   principal without keys is refused, so that an authenticator that only looks at the authid
//!   does not let any key in.
//! * No channel binding (the router has no TLS channel id to bind to): a HELLO asking for one is
//!   refused. A client challenge for router authentication (`authextra.challenge`) is ignored.

use rand::RngCore;
use serde_json::{json, Value};

use crate::router::config::{MethodAuth, Principal};
use crate::wamp::auth::cryptosign::{PublicKey, CHALLENGE_LEN};

use super::{admission, admit, ask, authextra_field, challenge, denied, required_authid};
use super::{static_principal, Admitted, Asked as AnyAsked, Challenged as AnyChallenged, Hello};
use super::{Next, Provider, Refusal, CRYPTOSIGN};

pub(super) struct Asked {
    authid: String,
    pubkey: PublicKey,
}

pub(super) struct Challenged {
    admitted: Admitted,
    pubkey: PublicKey,
    challenge: [u8; CHALLENGE_LEN],
}

pub(super) fn start(hello: &Hello, auth: &MethodAuth) -> Next {
    if let Some(binding) = authextra_field(hello, "channel_binding") {
        return denied(format!(
            "channel binding ({binding}) is not supported by this router"
        ));
    }
    let pubkey = match authextra_field(hello, "pubkey") {
        None => {
            return denied(
                "cannot identify client: no extra.pubkey provided (WAMP-Cryptosign needs the \
                 client's Ed25519 public key as 64 hex characters in authextra.pubkey)",
            )
        }
        Some(Value::String(text)) => match PublicKey::from_hex(text) {
            Ok(k) => k,
            Err(e) => return denied(format!("extra.pubkey is unusable: {e}")),
        },
        Some(_) => return denied("extra.pubkey must be a string of 64 hex characters"),
    };
    match Provider::of(&auth.kind) {
        Err(refused) => refused.into_next(),
        Ok(Provider::Static) => {
            let (authid, principal) = match find_static(hello, auth, &pubkey) {
                Ok(found) => found,
                Err(refused) => return refused.into_next(),
            };
            challenge_for(hello, authid, principal, Provider::Static, pubkey)
        }
        Ok(Provider::Dynamic) => {
            let authid = match required_authid(hello) {
                Ok(a) => a,
                Err(refused) => return refused.into_next(),
            };
            let asked = AnyAsked::Cryptosign(Asked {
                authid: authid.to_string(),
                pubkey,
            });
            ask(hello, authid, CRYPTOSIGN, Vec::new(), asked)
        }
    }
}

/// The static principal for the HELLO: by authid (whose keys must include `pubkey`), or by
/// `pubkey` alone.
fn find_static<'a>(
    hello: &'a Hello,
    auth: &'a MethodAuth,
    pubkey: &PublicKey,
) -> Result<(&'a str, &'a Principal), Refusal> {
    if let Some(authid) = hello.authid.as_deref().filter(|a| !a.is_empty()) {
        let principal = static_principal(auth, authid)?;
        if !lists(principal, pubkey) {
            return Err(Refusal::denied(
                "extra.pubkey provided does not match any one of authorized_keys for the principal",
            ));
        }
        return Ok((authid, principal));
    }
    let mut found = auth.principals.iter().filter(|(_, p)| lists(p, pubkey));
    match (found.next(), found.next()) {
        (Some((authid, principal)), None) => Ok((authid.as_str(), principal)),
        (None, _) => Err(Refusal::denied(
            "cannot identify client: no authid requested and no principal found for provided \
             extra.pubkey",
        )),
        (Some(_), Some(_)) => Err(Refusal::denied(
            "cannot infer client identity from pubkey: multiple authids in principal database \
             have this pubkey",
        )),
    }
}

/// Whether the principal's `authorized_keys` hold `pubkey` (hex in either case).
fn lists(principal: &Principal, pubkey: &PublicKey) -> bool {
    let hex = pubkey.to_hex();
    principal
        .authorized_keys
        .iter()
        .any(|k| k.trim().eq_ignore_ascii_case(&hex))
}

pub(super) fn answered(hello: &Hello, asked: Asked, principal: &Principal) -> Next {
    if principal.authorized_keys.is_empty() {
        return denied(format!(
            "the dynamic authenticator's principal for \"{}\" lists no authorized_keys",
            asked.authid
        ));
    }
    if !lists(principal, &asked.pubkey) {
        return denied(
            "extra.pubkey provided does not match any one of authorized_keys for the principal",
        );
    }
    challenge_for(
        hello,
        &asked.authid,
        principal,
        Provider::Dynamic,
        asked.pubkey,
    )
}

pub(super) fn authenticate(pending: Challenged, signature: &str) -> Next {
    match pending
        .pubkey
        .verify_challenge(&pending.challenge, signature)
    {
        Ok(()) => admit(pending.admitted),
        Err(e) => denied(e.to_string()),
    }
}

fn challenge_for(
    hello: &Hello,
    authid: &str,
    principal: &Principal,
    provider: Provider,
    pubkey: PublicKey,
) -> Next {
    let admitted = match admission(hello, authid, principal, CRYPTOSIGN, provider) {
        Ok(a) => a,
        Err(refused) => return refused.into_next(),
    };
    let mut bytes = [0u8; CHALLENGE_LEN];
    rand::rng().fill_bytes(&mut bytes);
    let extra = json!({ "challenge": hex::encode(bytes), "channel_binding": null });
    challenge(
        CRYPTOSIGN,
        extra,
        AnyChallenged::Cryptosign(Challenged {
            admitted,
            pubkey,
            challenge: bytes,
        }),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::testing::*;
    use super::super::*;
    use crate::wamp::auth::cryptosign::Keypair;

    // wamp-reference §6.4 rows 2 and 3.
    const SEED: &str = "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd";
    const PUB: &str = "6ed32739ff04a6074044ff0b0e3bfc7c856bc9d5f1d25efc57363bda0af3a8b0";
    const OTHER_SEED: &str = "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b";
    const OTHER_PUB: &str = "28e11f427b82b9a625ee7ac89a7d29326b505f2dc11dd88c1245f83b6da79a85";

    fn config(kind: &str) -> AuthConfig {
        let principals = if kind == "static" {
            vec![
                (
                    "cs-user",
                    Principal {
                        authorized_keys: vec![PUB.to_uppercase()],
                        realm: Some(REALM.into()),
                        extra: Some(json!({"k": true})),
                        ..principal_with_role("cs-role")
                    },
                ),
                (
                    "elsewhere",
                    Principal {
                        authorized_keys: vec![OTHER_PUB.into()],
                        realm: Some("other".into()),
                        ..principal_with_role("cs-role")
                    },
                ),
            ]
        } else {
            Vec::new()
        };
        AuthConfig {
            cryptosign: Some(method(kind, principals)),
            ..AuthConfig::default()
        }
    }

    fn cs_hello(authid: Option<&str>, pubkey: &str) -> Hello {
        let mut h = hello(authid, &["cryptosign"]);
        h.authextra = Some(json!({ "pubkey": pubkey }));
        h
    }

    fn sign(seed: &str, extra: &Value) -> String {
        let challenge = extra["challenge"].as_str().unwrap();
        Keypair::from_seed_hex(seed)
            .unwrap()
            .sign_challenge(challenge, None)
            .unwrap()
    }

    #[test]
    fn with_authid() {
        let cfg = config("static");
        let (mut hs, step) = Handshake::start(cs_hello(Some("cs-user"), PUB), Some(&cfg));
        let extra = challenged(step, "cryptosign");
        assert_eq!(extra["channel_binding"], Value::Null);
        let challenge = extra["challenge"].as_str().unwrap();
        assert_eq!(challenge.len(), 64);
        assert!(challenge.bytes().all(|b| b.is_ascii_hexdigit()));
        let a = admitted(hs.authenticate(&sign(SEED, &extra), &json!({})));
        assert_eq!(
            a,
            Admitted {
                authid: "cs-user".into(),
                authrole: "cs-role".into(),
                authmethod: "cryptosign".into(),
                authprovider: "static".into(),
                authextra: Some(json!({"k": true})),
            }
        );
    }

    #[test]
    fn without_authid_the_key_finds_the_principal() {
        let cfg = config("static");
        let (mut hs, step) = Handshake::start(cs_hello(None, &PUB.to_uppercase()), Some(&cfg));
        let extra = challenged(step, "cryptosign");
        // The bare 64-byte signature is accepted too.
        let signature = sign(SEED, &extra);
        let a = admitted(hs.authenticate(&signature[..128], &json!({})));
        assert_eq!(a.authid, "cs-user");
    }

    #[test]
    fn unknown_key() {
        let cfg = AuthConfig {
            cryptosign: Some(method(
                "static",
                vec![(
                    "cs-user",
                    Principal {
                        authorized_keys: vec![PUB.into()],
                        ..principal_with_role("r")
                    },
                )],
            )),
            ..AuthConfig::default()
        };
        let (_, step) = Handshake::start(cs_hello(None, OTHER_PUB), Some(&cfg));
        let message = refused(step, NOT_AUTHORIZED);
        assert!(message.contains("no principal found for provided extra.pubkey"));
        // With an authid whose keys do not include it.
        let (_, step) = Handshake::start(cs_hello(Some("cs-user"), OTHER_PUB), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "extra.pubkey provided does not match any one of authorized_keys for the principal"
        );
        let (_, step) = Handshake::start(cs_hello(Some("nobody"), PUB), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "no principal with authid \"nobody\" exists"
        );
    }

    #[test]
    fn a_key_listed_twice_does_not_identify() {
        let both = |role: &str| Principal {
            authorized_keys: vec![PUB.into()],
            ..principal_with_role(role)
        };
        let cfg = AuthConfig {
            cryptosign: Some(method("static", vec![("a", both("r")), ("b", both("r"))])),
            ..AuthConfig::default()
        };
        let (_, step) = Handshake::start(cs_hello(None, PUB), Some(&cfg));
        assert!(refused(step, NOT_AUTHORIZED).contains("multiple authids"));
        // Naming the authid resolves it.
        let (_, step) = Handshake::start(cs_hello(Some("b"), PUB), Some(&cfg));
        challenged(step, "cryptosign");
    }

    #[test]
    fn principal_realm_must_match() {
        let cfg = config("static");
        let (_, step) = Handshake::start(cs_hello(None, OTHER_PUB), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "principal \"elsewhere\" is not allowed to join realm \"realm1\""
        );
    }

    #[test]
    fn signature_by_another_key_or_for_another_challenge() {
        let cfg = config("static");
        let (mut hs, step) = Handshake::start(cs_hello(Some("cs-user"), PUB), Some(&cfg));
        let extra = challenged(step, "cryptosign");
        let message = refused(
            hs.authenticate(&sign(OTHER_SEED, &extra), &json!({})),
            NOT_AUTHORIZED,
        );
        assert_eq!(message, "WAMP-Cryptosign signature is invalid");

        let (mut hs, _) = Handshake::start(cs_hello(Some("cs-user"), PUB), Some(&cfg));
        let stale = sign(SEED, &extra);
        let message = refused(hs.authenticate(&stale, &json!({})), NOT_AUTHORIZED);
        assert!(message.contains("signed message is not the challenge"));

        for (bad, text) in [("zz", "not hex"), ("abcd", "invalid length (2 bytes")] {
            let (mut hs, _) = Handshake::start(cs_hello(Some("cs-user"), PUB), Some(&cfg));
            let message = refused(hs.authenticate(bad, &json!({})), NOT_AUTHORIZED);
            assert!(
                message.contains("signature") && message.contains(text),
                "{message}"
            );
        }
    }

    #[test]
    fn bad_hellos() {
        let cfg = config("static");
        let (_, step) = Handshake::start(hello(Some("cs-user"), &["cryptosign"]), Some(&cfg));
        assert!(refused(step, NOT_AUTHORIZED).contains("no extra.pubkey provided"));
        for (pubkey, text) in [
            (json!(PUB[..62]), "must be 32 bytes"),
            (json!("xyzw"), "not hex"),
            (json!(42), "must be a string"),
        ] {
            let mut h = hello(Some("cs-user"), &["cryptosign"]);
            h.authextra = Some(json!({ "pubkey": pubkey }));
            let (_, step) = Handshake::start(h, Some(&cfg));
            let message = refused(step, NOT_AUTHORIZED);
            assert!(message.contains(text), "{message}");
        }
        let mut h = cs_hello(Some("cs-user"), PUB);
        h.authextra = Some(json!({"pubkey": PUB, "channel_binding": "tls-unique"}));
        let (_, step) = Handshake::start(h, Some(&cfg));
        assert!(refused(step, NOT_AUTHORIZED).contains("channel binding"));
        // null channel_binding is fine
        let mut h = cs_hello(Some("cs-user"), PUB);
        h.authextra = Some(json!({"pubkey": PUB, "channel_binding": null}));
        let (_, step) = Handshake::start(h, Some(&cfg));
        challenged(step, "cryptosign");
    }

    #[test]
    fn dynamic() {
        let cfg = config("dynamic");
        let (mut hs, step) = Handshake::start(cs_hello(Some("joe"), PUB), Some(&cfg));
        let details = asked(step, "joe", "cryptosign");
        assert_eq!(
            details,
            json!({"authid": "joe", "authextra": {"pubkey": PUB}})
        );
        let answer = Principal {
            authorized_keys: vec![OTHER_PUB.into(), PUB.into()],
            ..principal_with_role("user")
        };
        let extra = challenged(hs.authenticator_answered(Ok(answer)), "cryptosign");
        let a = admitted(hs.authenticate(&sign(SEED, &extra), &json!({})));
        assert_eq!(
            (a.authid.as_str(), a.authprovider.as_str()),
            ("joe", "dynamic")
        );
    }

    #[test]
    fn dynamic_failures() {
        let cfg = config("dynamic");
        let (_, step) = Handshake::start(cs_hello(None, PUB), Some(&cfg));
        assert!(refused(step, NOT_AUTHORIZED).contains("no authid requested"));

        let (mut hs, _) = Handshake::start(cs_hello(Some("joe"), PUB), Some(&cfg));
        let message = refused(
            hs.authenticator_answered(Ok(principal_with_role("user"))),
            NOT_AUTHORIZED,
        );
        assert!(message.contains("lists no authorized_keys"), "{message}");

        let (mut hs, _) = Handshake::start(cs_hello(Some("joe"), PUB), Some(&cfg));
        let answer = Principal {
            authorized_keys: vec![OTHER_PUB.into()],
            ..principal_with_role("user")
        };
        let message = refused(hs.authenticator_answered(Ok(answer)), NOT_AUTHORIZED);
        assert!(message.contains("does not match any one of authorized_keys"));

        let (mut hs, _) = Handshake::start(cs_hello(Some("joe"), PUB), Some(&cfg));
        let answer = Principal {
            authorized_keys: vec![PUB.into()],
            ..principal_with_role("user")
        };
        let extra = challenged(hs.authenticator_answered(Ok(answer)), "cryptosign");
        refused(
            hs.authenticate(&sign(OTHER_SEED, &extra), &json!({})),
            NOT_AUTHORIZED,
        );
    }
}
