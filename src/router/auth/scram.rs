//! WAMP-SCRAM in Crossbar.io's flavour (see `crate::wamp::auth::scram`): HELLO brings the authid
//! and `authextra.nonce` (Base64); the CHALLENGE carries the combined nonce (Base64 of the
//! client's bytes and 16 of the router's), the salt (Base64), the KDF and its parameters; the
//! AUTHENTICATE signature is the Base64 ClientProof, checked against the stored key. WELCOME
//! `authextra.scram_server_signature` proves the router knows the server key.
//!
//! A principal stores `kdf` (`argon2id-13` or `pbkdf2`), `iterations`, `memory` (Argon2, KiB),
//! and `salt`, `stored-key`, `server-key` in hex as Crossbar.io and
//! `auth_scram.derive_credential` write them (Base64 is accepted too). Dynamic: the
//! authenticator is asked first and answers with the same fields.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use crate::router::config::{MethodAuth, Principal};
use crate::wamp::auth::scram::{self as scram_auth, Kdf};
use crate::wamp::auth::AuthError;

use super::{admission, admit, ask, authextra_field, challenge, denied, required_authid};
use super::{static_principal, Admitted, Asked as AnyAsked, Challenged as AnyChallenged, Hello};
use super::{Next, Provider, SCRAM};

const FAILED: &str = "SCRAM authentication failed";

pub(super) struct Asked {
    authid: String,
    client_nonce: Vec<u8>,
}

pub(super) struct Challenged {
    admitted: Admitted,
    stored_key: Zeroizing<Vec<u8>>,
    server_key: Zeroizing<Vec<u8>>,
    auth_message: String,
}

pub(super) fn start(hello: &Hello, auth: &MethodAuth) -> Next {
    let client_nonce = match authextra_field(hello, "nonce") {
        None => return denied("client must send a nonce"),
        Some(Value::String(text)) => match B64.decode(text) {
            Ok(raw) if !raw.is_empty() => raw,
            _ => return denied("client nonce must be base64"),
        },
        Some(_) => return denied("client nonce must be base64"),
    };
    let authid = match required_authid(hello) {
        Ok(a) => a,
        Err(refused) => return refused.into_next(),
    };
    match Provider::of(&auth.kind) {
        Err(refused) => refused.into_next(),
        Ok(Provider::Static) => match static_principal(auth, authid) {
            Ok(principal) => {
                challenge_for(hello, authid, &client_nonce, principal, Provider::Static)
            }
            Err(refused) => refused.into_next(),
        },
        Ok(Provider::Dynamic) => {
            let asked = AnyAsked::Scram(Asked {
                authid: authid.to_string(),
                client_nonce,
            });
            ask(hello, authid, SCRAM, Vec::new(), asked)
        }
    }
}

pub(super) fn answered(hello: &Hello, asked: Asked, principal: &Principal) -> Next {
    challenge_for(
        hello,
        &asked.authid,
        &asked.client_nonce,
        principal,
        Provider::Dynamic,
    )
}

pub(super) fn authenticate(pending: Challenged, signature: &str) -> Next {
    let Ok(proof) = B64.decode(signature) else {
        return denied(format!("{FAILED}: the client proof is not Base64"));
    };
    if !scram_auth::verify_client_proof(&pending.stored_key, &pending.auth_message, &proof) {
        return denied(FAILED);
    }
    let server_signature =
        match scram_auth::server_signature_with_key(&pending.server_key, &pending.auth_message) {
            Ok(s) => B64.encode(s),
            Err(_) => return denied(FAILED),
        };
    let mut admitted = pending.admitted;
    // WELCOME.authextra is an object: the principal's extra (if it is one) plus the signature.
    let mut extra = match admitted.authextra.take() {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    extra.insert(
        "scram_server_signature".into(),
        Value::String(server_signature),
    );
    admitted.authextra = Some(Value::Object(extra));
    admit(admitted)
}

/// What the router keeps of a principal's SCRAM credential.
struct Credential {
    kdf: Kdf,
    salt: Vec<u8>,
    stored_key: Zeroizing<Vec<u8>>,
    server_key: Zeroizing<Vec<u8>>,
}

fn credential(principal: &Principal) -> Result<Credential, AuthError> {
    let field = |what: &'static str, v: &Option<String>| {
        v.as_deref()
            .ok_or_else(|| AuthError::input(what, "missing"))
            .and_then(|text| scram_auth::decode_credential_field(what, text))
    };
    let kdf_name = principal
        .kdf
        .as_deref()
        .ok_or_else(|| AuthError::input("kdf", "missing"))?;
    let iterations = principal
        .iterations
        .ok_or_else(|| AuthError::input("iterations", "missing"))?;
    let kdf = Kdf::from_parts(
        kdf_name,
        u64::from(iterations),
        principal.memory.map(u64::from),
    )?;
    let salt = field("salt", &principal.salt)?;
    let stored_key = Zeroizing::new(field("stored-key", &principal.stored_key)?);
    let server_key = Zeroizing::new(field("server-key", &principal.server_key)?);
    if stored_key.len() != 32 {
        return Err(AuthError::input("stored-key", "must be 32 bytes"));
    }
    if server_key.len() != 32 {
        return Err(AuthError::input("server-key", "must be 32 bytes"));
    }
    Ok(Credential {
        kdf,
        salt,
        stored_key,
        server_key,
    })
}

fn challenge_for(
    hello: &Hello,
    authid: &str,
    client_nonce_raw: &[u8],
    principal: &Principal,
    provider: Provider,
) -> Next {
    let admitted = match admission(hello, authid, principal, SCRAM, provider) {
        Ok(a) => a,
        Err(refused) => return refused.into_next(),
    };
    let cred = match credential(principal) {
        Ok(c) => c,
        // Names the field and what is wrong with it, never its value.
        Err(e) => {
            return denied(format!(
                "SCRAM credential of principal \"{authid}\" is unusable: {e}"
            ))
        }
    };
    // Crossbar re-encodes the decoded nonce; for canonical Base64 that is the text sent.
    let client_nonce = B64.encode(client_nonce_raw);
    let server_nonce = scram_auth::server_nonce(client_nonce_raw);
    let salt = B64.encode(&cred.salt);
    let iterations = cred.kdf.iterations();
    let Ok(auth_message) =
        scram_auth::auth_message(authid, &client_nonce, &server_nonce, &salt, iterations)
    else {
        return denied(format!(
            "{FAILED}: the authid contains characters SASLprep prohibits"
        ));
    };
    let mut extra = json!({
        "nonce": server_nonce,
        "salt": salt,
        "kdf": cred.kdf.name(),
        "iterations": iterations,
    });
    if let Kdf::Argon2id13 { memory, .. } = cred.kdf {
        extra["memory"] = memory.into();
    }
    challenge(
        SCRAM,
        extra,
        AnyChallenged::Scram(Challenged {
            admitted,
            stored_key: cred.stored_key,
            server_key: cred.server_key,
            auth_message,
        }),
    )
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine as _;
    use serde_json::{json, Value};

    use super::super::testing::*;
    use super::super::*;
    use crate::wamp::auth::scram::{self, Challenge, Kdf};

    const PASSWORD: &str = "scräm-p4ssw0rd-secret";
    const ARGON: Kdf = Kdf::Argon2id13 {
        iterations: 1,
        memory: 8,
    };
    const PBKDF2: Kdf = Kdf::Pbkdf2 { iterations: 10 };

    /// A principal as Crossbar.io stores it (hex fields, from `derive_credential`).
    fn principal(kdf: Kdf, role: &str) -> Principal {
        let c = scram::derive_credential(PASSWORD, &scram::random_salt(), kdf).unwrap();
        Principal {
            kdf: Some(kdf.name().into()),
            iterations: Some(kdf.iterations()),
            memory: match kdf {
                Kdf::Argon2id13 { memory, .. } => Some(memory),
                Kdf::Pbkdf2 { .. } => None,
            },
            salt: Some(c.salt_hex),
            stored_key: Some(c.stored_key_hex),
            server_key: Some(c.server_key_hex),
            ..principal_with_role(role)
        }
    }

    fn config(kind: &str) -> AuthConfig {
        let principals = if kind == "static" {
            vec![
                ("scram-argon", principal(ARGON, "scram-role")),
                (
                    "scram-pbkdf2",
                    Principal {
                        extra: Some(json!({"tier": "gold"})),
                        ..principal(PBKDF2, "scram-role")
                    },
                ),
            ]
        } else {
            Vec::new()
        };
        AuthConfig {
            scram: Some(method(kind, principals)),
            ..AuthConfig::default()
        }
    }

    fn scram_hello(authid: Option<&str>, nonce: &str) -> Hello {
        let mut h = hello(authid, &["scram"]);
        h.authextra = Some(json!({ "nonce": nonce }));
        h
    }

    /// The client's answer (as Autobahn|Python computes it) to CHALLENGE.Extra.
    fn answer(password: &str, authid: &str, nonce: &str, extra: &Value) -> scram::Answer {
        let challenge = Challenge::from_extra(extra).unwrap();
        scram::answer(password, authid, nonce, &challenge).unwrap()
    }

    #[test]
    fn both_kdfs() {
        let cfg = config("static");
        for (authid, kdf) in [("scram-argon", ARGON), ("scram-pbkdf2", PBKDF2)] {
            let nonce = scram::client_nonce();
            let (mut hs, step) = Handshake::start(scram_hello(Some(authid), &nonce), Some(&cfg));
            let extra = challenged(step, "scram");
            assert_eq!(extra["kdf"], kdf.name());
            assert_eq!(extra["iterations"], kdf.iterations());
            match kdf {
                Kdf::Argon2id13 { memory, .. } => assert_eq!(extra["memory"], memory),
                Kdf::Pbkdf2 { .. } => assert_eq!(extra.get("memory"), None),
            }
            let combined = B64.decode(extra["nonce"].as_str().unwrap()).unwrap();
            assert_eq!(combined.len(), 32);
            assert!(combined.starts_with(&B64.decode(&nonce).unwrap()));
            assert_eq!(
                B64.decode(extra["salt"].as_str().unwrap()).unwrap().len(),
                16
            );

            let ans = answer(PASSWORD, authid, &nonce, &extra);
            let a = admitted(hs.authenticate(&ans.signature, &json!({})));
            assert_eq!(a.authid, authid);
            assert_eq!(a.authrole, "scram-role");
            assert_eq!(a.authmethod, "scram");
            assert_eq!(a.authprovider, "static");
            let extra = a.authextra.unwrap();
            assert_eq!(extra["scram_server_signature"], ans.server_signature);
            if authid == "scram-pbkdf2" {
                assert_eq!(extra["tier"], "gold");
            }
        }
    }

    #[test]
    fn wrong_password() {
        let cfg = config("static");
        let nonce = scram::client_nonce();
        let (mut hs, step) =
            Handshake::start(scram_hello(Some("scram-pbkdf2"), &nonce), Some(&cfg));
        let extra = challenged(step, "scram");
        let ans = answer("wrong password", "scram-pbkdf2", &nonce, &extra);
        let message = refused(hs.authenticate(&ans.signature, &json!({})), NOT_AUTHORIZED);
        assert_eq!(message, "SCRAM authentication failed");

        for bad in ["not base64!", "", "AAAA"] {
            let (mut hs, _) =
                Handshake::start(scram_hello(Some("scram-pbkdf2"), &nonce), Some(&cfg));
            let message = refused(hs.authenticate(bad, &json!({})), NOT_AUTHORIZED);
            assert!(
                message.starts_with("SCRAM authentication failed"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_proof_for_another_challenge_fails() {
        let cfg = config("static");
        let nonce = scram::client_nonce();
        let (_, first) = Handshake::start(scram_hello(Some("scram-pbkdf2"), &nonce), Some(&cfg));
        let (mut hs, _) = Handshake::start(scram_hello(Some("scram-pbkdf2"), &nonce), Some(&cfg));
        let stale = answer(
            PASSWORD,
            "scram-pbkdf2",
            &nonce,
            &challenged(first, "scram"),
        );
        refused(
            hs.authenticate(&stale.signature, &json!({})),
            NOT_AUTHORIZED,
        );
    }

    #[test]
    fn bad_hellos() {
        let cfg = config("static");
        let nonce = scram::client_nonce();
        let (_, step) = Handshake::start(scram_hello(Some("nobody"), &nonce), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "no principal with authid \"nobody\" exists"
        );
        let (_, step) = Handshake::start(scram_hello(None, &nonce), Some(&cfg));
        assert_eq!(
            refused(step, NOT_AUTHORIZED),
            "cannot identify client: no authid requested"
        );
        let (_, step) = Handshake::start(hello(Some("scram-argon"), &["scram"]), Some(&cfg));
        assert_eq!(refused(step, NOT_AUTHORIZED), "client must send a nonce");
        for bad in [json!("%%%"), json!(""), json!(7)] {
            let mut h = hello(Some("scram-argon"), &["scram"]);
            h.authextra = Some(json!({ "nonce": bad }));
            let (_, step) = Handshake::start(h, Some(&cfg));
            assert_eq!(refused(step, NOT_AUTHORIZED), "client nonce must be base64");
        }
    }

    #[test]
    fn unusable_credentials_name_the_field_not_the_value() {
        let good = principal(PBKDF2, "r");
        let cases: Vec<(Principal, &str)> = vec![
            (
                Principal {
                    kdf: None,
                    ..good.clone()
                },
                "invalid kdf: missing",
            ),
            (
                Principal {
                    kdf: Some("scrypt".into()),
                    ..good.clone()
                },
                "unknown KDF 'scrypt'",
            ),
            (
                Principal {
                    kdf: Some("argon2id-13".into()),
                    ..good.clone()
                },
                "memory",
            ),
            (
                Principal {
                    iterations: None,
                    ..good.clone()
                },
                "invalid iterations: missing",
            ),
            (
                Principal {
                    salt: Some("??".into()),
                    ..good.clone()
                },
                "invalid salt: neither hex nor Base64",
            ),
            (
                Principal {
                    stored_key: Some("abcd".into()),
                    ..good.clone()
                },
                "stored-key: must be 32 bytes",
            ),
            (
                Principal {
                    server_key: None,
                    ..good.clone()
                },
                "invalid server-key: missing",
            ),
        ];
        for (p, text) in cases {
            let stored = p.stored_key.clone().unwrap_or_default();
            let cfg = AuthConfig {
                scram: Some(method("static", vec![("u", p)])),
                ..AuthConfig::default()
            };
            let (_, step) =
                Handshake::start(scram_hello(Some("u"), &scram::client_nonce()), Some(&cfg));
            let message = refused(step, NOT_AUTHORIZED);
            assert!(message.contains(text), "{message} vs {text}");
            assert!(message.starts_with("SCRAM credential of principal \"u\" is unusable"));
            if stored.len() > 8 {
                assert!(!message.contains(&stored));
            }
        }
    }

    #[test]
    fn base64_credentials_work_too() {
        let p = principal(PBKDF2, "r");
        let b64 = |hex_text: &Option<String>| {
            Some(B64.encode(hex::decode(hex_text.as_deref().unwrap()).unwrap()))
        };
        let p = Principal {
            salt: b64(&p.salt),
            stored_key: b64(&p.stored_key),
            server_key: b64(&p.server_key),
            ..p
        };
        let cfg = AuthConfig {
            scram: Some(method("static", vec![("u", p)])),
            ..AuthConfig::default()
        };
        let nonce = scram::client_nonce();
        let (mut hs, step) = Handshake::start(scram_hello(Some("u"), &nonce), Some(&cfg));
        let ans = answer(PASSWORD, "u", &nonce, &challenged(step, "scram"));
        admitted(hs.authenticate(&ans.signature, &json!({})));
    }

    #[test]
    fn dynamic() {
        let cfg = config("dynamic");
        let nonce = scram::client_nonce();
        let (mut hs, step) = Handshake::start(scram_hello(Some("joe"), &nonce), Some(&cfg));
        let details = asked(step, "joe", "scram");
        assert_eq!(
            details,
            json!({"authid": "joe", "authextra": {"nonce": nonce}})
        );
        let extra = challenged(
            hs.authenticator_answered(Ok(principal(ARGON, "user"))),
            "scram",
        );
        let ans = answer(PASSWORD, "joe", &nonce, &extra);
        let a = admitted(hs.authenticate(&ans.signature, &json!({})));
        assert_eq!(a.authprovider, "dynamic");
        assert_eq!(a.authrole, "user");
        assert_eq!(
            a.authextra,
            Some(json!({"scram_server_signature": ans.server_signature}))
        );
    }

    #[test]
    fn dynamic_failures() {
        let cfg = config("dynamic");
        let nonce = scram::client_nonce();
        let (mut hs, _) = Handshake::start(scram_hello(Some("joe"), &nonce), Some(&cfg));
        let message = refused(
            hs.authenticator_answered(Ok(principal_with_role("user"))),
            NOT_AUTHORIZED,
        );
        assert!(message.contains("unusable"), "{message}");
        let (mut hs, _) = Handshake::start(scram_hello(Some("joe"), &nonce), Some(&cfg));
        let message = refused(
            hs.authenticator_answered(Err("unknown user joe".into())),
            NOT_AUTHORIZED,
        );
        assert_eq!(message, "unknown user joe");
        let (mut hs, _) = Handshake::start(scram_hello(Some("joe"), &nonce), Some(&cfg));
        let extra = challenged(
            hs.authenticator_answered(Ok(principal(PBKDF2, "user"))),
            "scram",
        );
        let ans = answer("wrong", "joe", &nonce, &extra);
        refused(hs.authenticate(&ans.signature, &json!({})), NOT_AUTHORIZED);
    }

    #[test]
    fn a_non_object_extra_is_replaced() {
        let p = Principal {
            extra: Some(json!("just text")),
            ..principal(PBKDF2, "r")
        };
        let cfg = AuthConfig {
            scram: Some(method("static", vec![("u", p)])),
            ..AuthConfig::default()
        };
        let nonce = scram::client_nonce();
        let (mut hs, step) = Handshake::start(scram_hello(Some("u"), &nonce), Some(&cfg));
        let ans = answer(PASSWORD, "u", &nonce, &challenged(step, "scram"));
        let a = admitted(hs.authenticate(&ans.signature, &json!({})));
        assert_eq!(
            a.authextra,
            Some(json!({"scram_server_signature": ans.server_signature}))
        );
    }
}
