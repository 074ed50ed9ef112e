//! WAMP-CRA (wamp-reference §6.3).
//!
//! The router's challenge is a JSON text; the client answers with
//! `Base64(HMAC-SHA256(key, challenge))`. With a plain secret the key is the secret itself; with
//! a salted secret it is [`derive_key`]'s **Base64 text** (its ASCII bytes are the HMAC key),
//! which is what Autobahn|JS, Autobahn|Python and Crossbar.io all do.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::AuthError;

/// Largest derived key accepted (bytes); WAMP-CRA uses 32.
pub const MAX_KEYLEN: u32 = 1024;

/// Autobahn|JS's defaults for `derive_key`.
pub const DEFAULT_ITERATIONS: u32 = 1000;
pub const DEFAULT_KEYLEN: u32 = 32;

/// `Base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen))`, the key for a salted secret.
pub fn derive_key(
    secret: &str,
    salt: &str,
    iterations: u32,
    keylen: u32,
) -> Result<String, AuthError> {
    if iterations == 0 {
        return Err(AuthError::input("iterations", "must be at least 1"));
    }
    if keylen == 0 || keylen > MAX_KEYLEN {
        return Err(AuthError::input(
            "keylen",
            format!("must be between 1 and {MAX_KEYLEN} bytes, got {keylen}"),
        ));
    }
    let mut key = zeroize::Zeroizing::new(vec![0u8; keylen as usize]);
    pbkdf2::pbkdf2_hmac::<Sha256>(secret.as_bytes(), salt.as_bytes(), iterations, &mut key);
    Ok(B64.encode(&*key))
}

/// `Base64(HMAC-SHA256(key, challenge))`: the AUTHENTICATE signature. `key` is the secret, or
/// [`derive_key`]'s text for a salted secret; `challenge` is signed exactly as received.
pub fn sign(key: &str, challenge: &str) -> Result<String, AuthError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map_err(|_| AuthError::input("key", "not usable as an HMAC key"))?;
    mac.update(challenge.as_bytes());
    Ok(B64.encode(mac.finalize().into_bytes()))
}

/// The parameters of a salted secret, as a `wampcra` CHALLENGE.Extra carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Salting {
    pub salt: String,
    pub iterations: u32,
    pub keylen: u32,
}

/// Answers a `wampcra` challenge from its Extra (`challenge`, and for a salted secret `salt`,
/// `iterations`, `keylen`, with Autobahn's defaults 1000 and 32 when those two are absent).
pub fn answer(
    secret: &str,
    challenge: &str,
    salting: Option<&Salting>,
) -> Result<String, AuthError> {
    match salting {
        None => sign(secret, challenge),
        Some(s) => {
            let key = zeroize::Zeroizing::new(derive_key(secret, &s.salt, s.iterations, s.keylen)?);
            sign(&key, challenge)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // wamp-reference §6.3 (apy test_wamp_auth.py).
    #[test]
    fn derive_key_vector() {
        assert_eq!(
            derive_key("L3L1YUE8Txlw", "salt123", 1000, 32).unwrap(),
            "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y="
        );
    }

    #[test]
    fn sign_vector() {
        assert_eq!(
            sign("L3L1YUE8Txlw", "[1, 2, 3]").unwrap(),
            "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0="
        );
    }

    #[test]
    fn salted_answer_uses_the_base64_text_as_key() {
        let salting = Salting {
            salt: "salt123".into(),
            iterations: 1000,
            keylen: 32,
        };
        let expected = sign("qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=", "[1, 2, 3]").unwrap();
        assert_eq!(
            answer("L3L1YUE8Txlw", "[1, 2, 3]", Some(&salting)).unwrap(),
            expected
        );
        assert_eq!(
            answer("L3L1YUE8Txlw", "[1, 2, 3]", None).unwrap(),
            "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0="
        );
    }

    // RFC 6070 PBKDF2-HMAC-SHA1 vectors (wamp-reference §6.3): the pbkdf2 crate wiring.
    #[test]
    fn pbkdf2_sha1_rfc6070() {
        let mut out = [0u8; 20];
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(b"password", b"salt", 1, &mut out);
        assert_eq!(hex::encode(out), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(b"password", b"salt", 2, &mut out);
        assert_eq!(hex::encode(out), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
    }

    #[test]
    fn keylen_other_than_32_truncates() {
        let k16 = derive_key("L3L1YUE8Txlw", "salt123", 1000, 16).unwrap();
        let k32 = B64
            .decode(derive_key("L3L1YUE8Txlw", "salt123", 1000, 32).unwrap())
            .unwrap();
        assert_eq!(B64.decode(k16).unwrap(), k32[..16]);
    }

    #[test]
    fn bad_parameters_are_errors_without_the_secret() {
        let e = derive_key("topsecret", "salt", 0, 32).unwrap_err();
        assert_eq!(e.to_string(), "invalid iterations: must be at least 1");
        let e = derive_key("topsecret", "salt", 1, 0).unwrap_err();
        assert!(!e.to_string().contains("topsecret"));
        assert!(derive_key("topsecret", "salt", 1, MAX_KEYLEN + 1).is_err());
    }

    #[test]
    fn empty_inputs_are_fine() {
        // HMAC accepts any key length, including 0.
        assert_eq!(sign("", "").unwrap().len(), 44);
    }
}
