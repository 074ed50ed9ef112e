//! WAMP-SCRAM as Crossbar.io and Autobahn|Python implement it (wamp-reference §6.5, the
//! "cb / apy flavour"): authmethod `scram`, KDF `argon2id-13` or `pbkdf2`, AUTHENTICATE Extra
//! `{}`, the router's proof in WELCOME `authextra.scram_server_signature`.
//!
//! 1. HELLO `authextra.nonce` = [`client_nonce`] (Base64 of 16 random bytes), `authid` required.
//! 2. CHALLENGE Extra `{nonce, salt, kdf, iterations, memory}`; `nonce` is Base64 of the raw
//!    client nonce followed by the router's random bytes, `salt` is Base64.
//! 3. `SaltedPassword`: for `argon2id-13` the **ASCII of the unpadded Base64** Argon2id v1.3
//!    hash (32 bytes, parallelism 1) of the UTF-8 password over the decoded salt, as
//!    Autobahn|Python's `derive_scram_credential`; for `pbkdf2` the 32 raw bytes of
//!    PBKDF2-HMAC-SHA256 over the decoded salt (the spec's definition; Autobahn|Python's client
//!    cannot do pbkdf2, so there is no other reference).
//! 4. `AuthMessage = "n=" saslprep(authid) ",r=" cnonce ",r=" snonce ",s=" salt ",i=" iterations
//!    ",c=,r=" snonce`, with the nonces and the salt as the Base64 texts sent on the wire.
//! 5. `ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)` is the AUTHENTICATE signature
//!    (Base64); `HMAC(ServerKey, AuthMessage)` is what the router must send back.
//!
//! The router's side: [`server_nonce`] for the CHALLENGE, [`verify_client_proof`] for the
//! AUTHENTICATE, [`server_signature_with_key`] for WELCOME; the stored credential
//! ([`derive_credential`], Crossbar's `stored-key`/`server-key`/`salt`) is read with
//! [`decode_credential_field`].

use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD as B64_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::AuthError;

const METHOD: &str = "scram";

/// Bytes of randomness in a client nonce (Autobahn|Python uses 16).
pub const NONCE_LEN: usize = 16;
/// Largest Argon2 memory cost accepted from a router, in KiB (1 GiB): a bigger request is more
/// likely an attack on the client than a real setting.
pub const MAX_MEMORY_KIB: u32 = 1 << 20;

/// The key derivation function named in the challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// `argon2id-13`: Argon2id version 0x13, parallelism 1, 32-byte hash.
    Argon2id13 { iterations: u32, memory: u32 },
    /// `pbkdf2`: PBKDF2-HMAC-SHA256, 32 bytes.
    Pbkdf2 { iterations: u32 },
}

impl Kdf {
    /// From the wire name and parameters (`memory` is required for Argon2).
    pub fn from_parts(name: &str, iterations: u64, memory: Option<u64>) -> Result<Kdf, AuthError> {
        let iterations = u32::try_from(iterations)
            .ok()
            .filter(|i| *i >= 1)
            .ok_or_else(|| {
                AuthError::input("iterations", format!("must be between 1 and {}", u32::MAX))
            })?;
        match name {
            "argon2id-13" => {
                let memory = memory.ok_or_else(|| {
                    AuthError::input("memory", "required for the argon2id-13 KDF")
                })?;
                let memory = u32::try_from(memory)
                    .ok()
                    .filter(|m| (8..=MAX_MEMORY_KIB).contains(m))
                    .ok_or_else(|| {
                        AuthError::input(
                            "memory",
                            format!("must be between 8 and {MAX_MEMORY_KIB} KiB, got {memory}"),
                        )
                    })?;
                Ok(Kdf::Argon2id13 { iterations, memory })
            }
            "pbkdf2" => Ok(Kdf::Pbkdf2 { iterations }),
            other => Err(AuthError::Unsupported {
                method: METHOD,
                why: format!("unknown KDF '{other}' (supported: argon2id-13, pbkdf2)"),
            }),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Kdf::Argon2id13 { .. } => "argon2id-13",
            Kdf::Pbkdf2 { .. } => "pbkdf2",
        }
    }

    pub fn iterations(&self) -> u32 {
        match self {
            Kdf::Argon2id13 { iterations, .. } | Kdf::Pbkdf2 { iterations } => *iterations,
        }
    }

    /// Argon2's memory in KiB; Crossbar wants the field for every principal, so pbkdf2 gets 0.
    pub fn memory(&self) -> u32 {
        match self {
            Kdf::Argon2id13 { memory, .. } => *memory,
            Kdf::Pbkdf2 { .. } => 0,
        }
    }
}

/// The parts of a `scram` CHALLENGE.Extra the client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Base64 text of the combined nonce, used verbatim in the AuthMessage.
    pub nonce: String,
    /// Base64 text of the salt, used verbatim in the AuthMessage and decoded for the KDF.
    pub salt: String,
    pub kdf: Kdf,
}

impl Challenge {
    /// From CHALLENGE.Extra (`nonce`, `salt`, `kdf`, `iterations`, `memory`,
    /// optional `channel_binding` which must be absent or null).
    pub fn from_extra(extra: &serde_json::Value) -> Result<Challenge, AuthError> {
        let bad = |why: String| AuthError::BadChallenge {
            method: METHOD,
            why,
        };
        let obj = extra
            .as_object()
            .ok_or_else(|| bad("Extra is not an object".into()))?;
        let text = |k: &str| -> Result<String, AuthError> {
            obj.get(k)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| bad(format!("'{k}' is missing or not a string")))
        };
        let nonce = text("nonce")?;
        let salt = text("salt")?;
        let kdf_name = text("kdf")?;
        let iterations = obj
            .get("iterations")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| bad("'iterations' is missing or not a positive integer".into()))?;
        let memory = match obj.get("memory") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| bad("'memory' is not a positive integer".into()))?,
            ),
        };
        match obj.get("channel_binding") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(s)) if s.is_empty() => {}
            Some(_) => {
                return Err(AuthError::Unsupported {
                    method: METHOD,
                    why: "the router asks for channel binding, which this client does not do"
                        .into(),
                })
            }
        }
        let kdf = Kdf::from_parts(&kdf_name, iterations, memory).map_err(|e| match e {
            AuthError::InvalidInput { what, why } => bad(format!("'{what}' {why}")),
            other => other,
        })?;
        Ok(Challenge { nonce, salt, kdf })
    }
}

/// A fresh client nonce: Base64 of 16 random bytes, for HELLO `authextra.nonce`.
pub fn client_nonce() -> String {
    let mut raw = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut raw);
    B64.encode(raw)
}

fn decode_b64(what: &'static str, text: &str) -> Result<Vec<u8>, AuthError> {
    B64.decode(text)
        .map_err(|_| AuthError::input(what, "not valid Base64"))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; 32], AuthError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| AuthError::input("key", "not usable as an HMAC key"))?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

/// SaltedPassword for the KDF (see the module doc for the two flavours).
pub fn salted_password(
    password: &str,
    salt: &[u8],
    kdf: Kdf,
) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    match kdf {
        Kdf::Argon2id13 { iterations, memory } => {
            let params = argon2::Params::new(memory, iterations, 1, Some(32))
                .map_err(|e| AuthError::input("argon2 parameters", e.to_string()))?;
            let argon =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let mut hash = Zeroizing::new([0u8; 32]);
            argon
                .hash_password_into(password.as_bytes(), salt, &mut *hash)
                .map_err(|e| AuthError::input("argon2 input", e.to_string()))?;
            // The PHC string's hash field: unpadded standard Base64, used as ASCII bytes.
            Ok(Zeroizing::new(B64_NO_PAD.encode(*hash).into_bytes()))
        }
        Kdf::Pbkdf2 { iterations } => {
            let mut out = Zeroizing::new(vec![0u8; 32]);
            pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
            Ok(out)
        }
    }
}

/// The AuthMessage both sides sign (Crossbar flavour: `c=` empty, authid SASLprep'd).
pub fn auth_message(
    authid: &str,
    client_nonce: &str,
    server_nonce: &str,
    salt: &str,
    iterations: u32,
) -> Result<String, AuthError> {
    let authid = stringprep::saslprep(authid)
        .map_err(|_| AuthError::input("authid", "contains characters SASLprep prohibits"))?;
    Ok(format!(
        "n={authid},r={client_nonce},r={server_nonce},s={salt},i={iterations},c=,r={server_nonce}"
    ))
}

/// `ClientKey XOR HMAC(SHA256(ClientKey), AuthMessage)`, `ClientKey = HMAC(SP, "Client Key")`.
pub fn client_proof(salted_password: &[u8], auth_message: &str) -> Result<[u8; 32], AuthError> {
    let client_key = Zeroizing::new(hmac_sha256(salted_password, b"Client Key")?);
    let stored_key: [u8; 32] = Sha256::digest(*client_key).into();
    let client_signature = hmac_sha256(&stored_key, auth_message.as_bytes())?;
    let mut proof = [0u8; 32];
    for (i, p) in proof.iter_mut().enumerate() {
        *p = client_key[i] ^ client_signature[i];
    }
    Ok(proof)
}

/// `HMAC(HMAC(SP, "Server Key"), AuthMessage)`: what the router proves it knows.
pub fn server_signature(salted_password: &[u8], auth_message: &str) -> Result<[u8; 32], AuthError> {
    let server_key = Zeroizing::new(hmac_sha256(salted_password, b"Server Key")?);
    hmac_sha256(&*server_key, auth_message.as_bytes())
}

/// The client's answer to a challenge: the AUTHENTICATE signature and the signature the router
/// must return in WELCOME `authextra.scram_server_signature` (both Base64).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub signature: String,
    pub server_signature: String,
}

/// Answers a `scram` challenge. Checks that the router's nonce extends the client nonce (as
/// Base64 of the raw bytes, Crossbar's way, or as text, the spec's way).
pub fn answer(
    password: &str,
    authid: &str,
    client_nonce: &str,
    challenge: &Challenge,
) -> Result<Answer, AuthError> {
    let client_raw = decode_b64("client nonce", client_nonce)?;
    let server_raw = B64
        .decode(&challenge.nonce)
        .map_err(|_| AuthError::BadChallenge {
            method: METHOD,
            why: "'nonce' is not valid Base64".into(),
        })?;
    let extends = (server_raw.len() > client_raw.len() && server_raw.starts_with(&client_raw))
        || (challenge.nonce.len() > client_nonce.len()
            && challenge.nonce.starts_with(client_nonce));
    if client_raw.is_empty() || !extends {
        return Err(AuthError::BadChallenge {
            method: METHOD,
            why: "the router's nonce does not start with the client nonce".into(),
        });
    }
    let salt = B64
        .decode(&challenge.salt)
        .map_err(|_| AuthError::BadChallenge {
            method: METHOD,
            why: "'salt' is not valid Base64".into(),
        })?;
    let sp = salted_password(password, &salt, challenge.kdf)?;
    let message = auth_message(
        authid,
        client_nonce,
        &challenge.nonce,
        &challenge.salt,
        challenge.kdf.iterations(),
    )?;
    Ok(Answer {
        signature: B64.encode(client_proof(&sp, &message)?),
        server_signature: B64.encode(server_signature(&sp, &message)?),
    })
}

/// What a router stores for a SCRAM user (Crossbar's static principal fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub kdf: Kdf,
    pub salt_hex: String,
    pub stored_key_hex: String,
    pub server_key_hex: String,
}

/// Derives a router-side credential from a password (Crossbar config: `kdf`, `iterations`,
/// `memory`, `salt`, `stored-key`, `server-key`). `salt` is the raw salt (Crossbar wants 16 bytes).
pub fn derive_credential(password: &str, salt: &[u8], kdf: Kdf) -> Result<Credential, AuthError> {
    if salt.is_empty() {
        return Err(AuthError::input("salt", "must not be empty"));
    }
    let sp = salted_password(password, salt, kdf)?;
    let client_key = Zeroizing::new(hmac_sha256(&sp, b"Client Key")?);
    let stored_key: [u8; 32] = Sha256::digest(*client_key).into();
    let server_key = hmac_sha256(&sp, b"Server Key")?;
    Ok(Credential {
        kdf,
        salt_hex: hex::encode(salt),
        stored_key_hex: hex::encode(stored_key),
        server_key_hex: hex::encode(server_key),
    })
}

/// Router side: the CHALLENGE `nonce` for a client nonce (its raw bytes), as Crossbar.io makes
/// it: Base64 of the client's bytes followed by [`NONCE_LEN`] random bytes. [`answer`] accepts it.
pub fn server_nonce(client_nonce_raw: &[u8]) -> String {
    let mut raw = Vec::with_capacity(client_nonce_raw.len() + NONCE_LEN);
    raw.extend_from_slice(client_nonce_raw);
    let mut fresh = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut fresh);
    raw.extend_from_slice(&fresh);
    B64.encode(raw)
}

/// Router side: whether `proof` (the decoded AUTHENTICATE signature) proves knowledge of the
/// password behind `stored_key`: `ClientKey = proof XOR HMAC(StoredKey, AuthMessage)` must hash
/// to `StoredKey` (compared in constant time).
pub fn verify_client_proof(stored_key: &[u8], auth_message: &str, proof: &[u8]) -> bool {
    let Ok(client_signature) = hmac_sha256(stored_key, auth_message.as_bytes()) else {
        return false;
    };
    if proof.len() != client_signature.len() {
        return false;
    }
    let mut client_key = Zeroizing::new([0u8; 32]);
    for (i, k) in client_key.iter_mut().enumerate() {
        *k = proof[i] ^ client_signature[i];
    }
    let recovered: [u8; 32] = Sha256::digest(*client_key).into();
    super::ct_eq(&recovered, stored_key)
}

/// Router side: `HMAC(ServerKey, AuthMessage)`, WELCOME `authextra.scram_server_signature`
/// (Base64) from the stored `ServerKey`.
pub fn server_signature_with_key(
    server_key: &[u8],
    auth_message: &str,
) -> Result<[u8; 32], AuthError> {
    hmac_sha256(server_key, auth_message.as_bytes())
}

/// A field of a stored credential (`salt`, `stored-key`, `server-key`): hex, as Crossbar.io,
/// Autobahn|Python's `derive_scram_credential` and [`derive_credential`] write them; Base64 is
/// accepted too (a 16- or 32-byte value in Base64 has padding, so it is never valid hex).
pub fn decode_credential_field(what: &'static str, text: &str) -> Result<Vec<u8>, AuthError> {
    if let Ok(raw) = hex::decode(text) {
        return Ok(raw);
    }
    B64.decode(text)
        .map_err(|_| AuthError::input(what, "neither hex nor Base64"))
}

/// A random salt for [`derive_credential`].
pub fn random_salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    salt
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // wamp-reference §6.5 (apy test_wamp_auth.py).
    #[test]
    fn pbkdf2_sha256_vector() {
        let sp = salted_password(
            "p4ssw0rd",
            b"1234567890abcdef",
            Kdf::Pbkdf2 { iterations: 8 },
        )
        .unwrap();
        assert_eq!(
            hex::encode(&*sp),
            "f6991a28c75f43751e0d75499fd7b8649f659118ddc1d61cee5883af547d15f5"
        );
    }

    #[test]
    fn argon2id_vector() {
        let sp = salted_password(
            "p4ssw0rd",
            b"1234567890abcdef",
            Kdf::Argon2id13 {
                iterations: 32,
                memory: 512,
            },
        )
        .unwrap();
        // SaltedPassword is the unpadded Base64 text of the raw hash.
        let raw = B64_NO_PAD.decode(&*sp).unwrap();
        assert_eq!(
            hex::encode(raw),
            "ee4a8acf9d5958354fb79a95ae20692d05e42591ba49fae85eb6700e8b0ed293"
        );
    }

    // The apy client exchange (strings used as given; the salt string is Base64-decoded).
    #[test]
    fn client_proof_vector() {
        let challenge = Challenge::from_extra(&json!({
            "nonce": "1234567890abcdeffedcba0987654321",
            "kdf": "argon2id-13",
            "salt": "31323334353637383930616263646566",
            "iterations": 32,
            "memory": 512,
        }))
        .unwrap();
        let salt = B64.decode(&challenge.salt).unwrap();
        let sp = salted_password("p4ssw0rd", &salt, challenge.kdf).unwrap();
        let message = auth_message(
            "username",
            "31323334353637383930616263646566",
            &challenge.nonce,
            &challenge.salt,
            32,
        )
        .unwrap();
        assert_eq!(
            message,
            "n=username,r=31323334353637383930616263646566,r=1234567890abcdeffedcba0987654321,\
             s=31323334353637383930616263646566,i=32,c=,r=1234567890abcdeffedcba0987654321"
        );
        assert_eq!(
            B64.encode(client_proof(&sp, &message).unwrap()),
            "f5r3loERzGVSuimE+lvO0bWna2zyswBo0HrZkaaEy38="
        );
        // That vector's nonce does not extend the client nonce: `answer` refuses it.
        let e = answer(
            "p4ssw0rd",
            "username",
            "31323334353637383930616263646566",
            &challenge,
        )
        .unwrap_err();
        assert!(e
            .to_string()
            .contains("does not start with the client nonce"));
    }

    // A full Crossbar-style exchange: the router's check (recover StoredKey from the proof)
    // passes with the credential from `derive_credential`, and the server signature matches.
    fn crossbar_round_trip(kdf: Kdf) {
        let password = "s3cr3t pässword";
        let salt = random_salt();
        let cred = derive_credential(password, &salt, kdf).unwrap();
        let cnonce = client_nonce();
        let mut snonce_raw = B64.decode(&cnonce).unwrap();
        snonce_raw.extend_from_slice(&random_salt());
        let extra = json!({
            "nonce": B64.encode(&snonce_raw),
            "kdf": kdf.name(),
            "salt": B64.encode(salt),
            "iterations": kdf.iterations(),
            "memory": kdf.memory(),
        });
        let challenge = Challenge::from_extra(&extra).unwrap();
        let ans = answer(password, "alice", &cnonce, &challenge).unwrap();

        let message = auth_message(
            "alice",
            &cnonce,
            &challenge.nonce,
            &challenge.salt,
            kdf.iterations(),
        )
        .unwrap();
        let stored_key = hex::decode(&cred.stored_key_hex).unwrap();
        let client_signature = hmac_sha256(&stored_key, message.as_bytes()).unwrap();
        let proof = B64.decode(&ans.signature).unwrap();
        let recovered: Vec<u8> = proof
            .iter()
            .zip(client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        assert_eq!(Sha256::digest(&recovered).to_vec(), stored_key);
        let server_key = hex::decode(&cred.server_key_hex).unwrap();
        assert_eq!(
            B64.encode(hmac_sha256(&server_key, message.as_bytes()).unwrap()),
            ans.server_signature
        );
        // A wrong password gives a proof the router rejects.
        let wrong = answer("wrong", "alice", &cnonce, &challenge).unwrap();
        assert_ne!(wrong.signature, ans.signature);
    }

    #[test]
    fn round_trip_argon2() {
        crossbar_round_trip(Kdf::Argon2id13 {
            iterations: 4,
            memory: 64,
        });
    }

    #[test]
    fn round_trip_pbkdf2() {
        crossbar_round_trip(Kdf::Pbkdf2 { iterations: 100 });
    }

    #[test]
    fn client_nonce_is_16_random_bytes() {
        let a = client_nonce();
        assert_eq!(B64.decode(&a).unwrap().len(), NONCE_LEN);
        assert_ne!(a, client_nonce());
    }

    #[test]
    fn bad_challenges() {
        let ok = json!({"nonce": "AAAA", "salt": "AAAA", "kdf": "pbkdf2", "iterations": 1});
        assert!(Challenge::from_extra(&ok).is_ok());
        for (patch, text) in [
            (json!({"kdf": "scrypt"}), "unknown KDF 'scrypt'"),
            (json!({"kdf": "argon2id-13"}), "'memory' required"),
            (
                json!({"kdf": "argon2id-13", "memory": 4}),
                "'memory' must be between",
            ),
            (
                json!({"kdf": "argon2id-13", "memory": 1u64 << 31}),
                "'memory' must be between",
            ),
            (json!({"iterations": 0}), "'iterations' must be between"),
            (json!({"iterations": -1}), "'iterations' is missing"),
            (json!({"nonce": 5}), "'nonce' is missing or not a string"),
            (json!({"channel_binding": "tls-unique"}), "channel binding"),
        ] {
            let mut extra = ok.clone();
            for (k, v) in patch.as_object().unwrap() {
                extra[k] = v.clone();
            }
            let e = Challenge::from_extra(&extra).unwrap_err();
            assert!(e.to_string().contains(text), "{e} vs {text}");
        }
        assert!(Challenge::from_extra(&json!([1])).is_err());
        let e = answer(
            "pw",
            "alice",
            "not base64!",
            &Challenge::from_extra(&ok).unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "invalid client nonce: not valid Base64");
    }

    #[test]
    fn authid_is_saslprepped() {
        // U+00AD (soft hyphen) maps to nothing under SASLprep.
        assert!(auth_message("al\u{AD}ice", "c", "s", "x", 1)
            .unwrap()
            .starts_with("n=alice,"));
        assert!(auth_message("bad\u{7}", "c", "s", "x", 1).is_err());
    }

    // The router's side of an exchange with `answer`, from a credential as Crossbar stores it.
    fn router_round_trip(kdf: Kdf) {
        let password = "p4ssw0rd";
        let cred = derive_credential(password, &random_salt(), kdf).unwrap();
        let salt = decode_credential_field("salt", &cred.salt_hex).unwrap();
        let stored_key = decode_credential_field("stored-key", &cred.stored_key_hex).unwrap();
        let server_key = decode_credential_field("server-key", &cred.server_key_hex).unwrap();
        let cnonce = client_nonce();
        let snonce = server_nonce(&B64.decode(&cnonce).unwrap());
        assert_eq!(B64.decode(&snonce).unwrap().len(), 2 * NONCE_LEN);
        let challenge = Challenge {
            nonce: snonce.clone(),
            salt: B64.encode(&salt),
            kdf,
        };
        let message =
            auth_message("alice", &cnonce, &snonce, &challenge.salt, kdf.iterations()).unwrap();
        let good = answer(password, "alice", &cnonce, &challenge).unwrap();
        let proof = B64.decode(&good.signature).unwrap();
        assert!(verify_client_proof(&stored_key, &message, &proof));
        assert_eq!(
            B64.encode(server_signature_with_key(&server_key, &message).unwrap()),
            good.server_signature
        );
        let bad = answer("wrong", "alice", &cnonce, &challenge).unwrap();
        assert!(!verify_client_proof(
            &stored_key,
            &message,
            &B64.decode(&bad.signature).unwrap()
        ));
        // Another authid signs another AuthMessage.
        let other =
            auth_message("bob", &cnonce, &snonce, &challenge.salt, kdf.iterations()).unwrap();
        assert!(!verify_client_proof(&stored_key, &other, &proof));
        assert!(!verify_client_proof(&stored_key, &message, &proof[..31]));
        assert!(!verify_client_proof(&stored_key, &message, &[]));
    }

    #[test]
    fn router_side_argon2() {
        router_round_trip(Kdf::Argon2id13 {
            iterations: 2,
            memory: 64,
        });
    }

    #[test]
    fn router_side_pbkdf2() {
        router_round_trip(Kdf::Pbkdf2 { iterations: 10 });
    }

    #[test]
    fn credential_fields_hex_or_base64() {
        assert_eq!(
            decode_credential_field("salt", "00ff10").unwrap(),
            vec![0, 255, 16]
        );
        assert_eq!(
            decode_credential_field("salt", &B64.encode([7u8; 16])).unwrap(),
            vec![7u8; 16]
        );
        let e = decode_credential_field("stored-key", "not a key!").unwrap_err();
        assert_eq!(e.to_string(), "invalid stored-key: neither hex nor Base64");
    }
}
