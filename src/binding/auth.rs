//! napi exports for the authentication helpers (`autobahn.auth_cra`, `auth_cryptosign`,
//! `auth_scram`; the JavaScript shapes live in auth.js). Thin wrappers over `wamp::auth`:
//! CRA and Cryptosign are fast and synchronous like Autobahn|JS's; the SCRAM key derivation
//! (Argon2 / PBKDF2, deliberately slow) runs on libuv's thread pool and returns a promise.
//!
//! Error messages come from `AuthError` and never contain the secret inputs; their `code`
//! (see `errors`) tells a bad argument from a bad or unsupported challenge.

// napi registers the exports only outside `cfg(test)`; the module itself is private.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::*;
use napi_derive::napi;
use zeroize::Zeroizing;

use super::errors::{rejection, Coded, CodedError, ErrorCode};
use crate::wamp::auth::{cra, cryptosign, scram, AuthError};

fn invalid(e: AuthError) -> CodedError {
    e.to_napi()
}

#[napi]
pub fn cra_derive_key(
    secret: String,
    salt: String,
    iterations: Option<u32>,
    keylen: Option<u32>,
) -> Result<String, ErrorCode> {
    let secret = Zeroizing::new(secret);
    cra::derive_key(
        &secret,
        &salt,
        iterations.unwrap_or(cra::DEFAULT_ITERATIONS),
        keylen.unwrap_or(cra::DEFAULT_KEYLEN),
    )
    .map_err(invalid)
}

#[napi]
pub fn cra_sign(key: String, challenge: String) -> Result<String, ErrorCode> {
    let key = Zeroizing::new(key);
    cra::sign(&key, &challenge).map_err(invalid)
}

/// Hex public key of the Ed25519 key pair made from a 32-byte seed.
#[napi]
pub fn cryptosign_public_key(seed: Uint8Array) -> Result<String, ErrorCode> {
    Ok(cryptosign::Keypair::from_seed(&seed)
        .map_err(invalid)?
        .public_key_hex())
}

/// `hex(signature ‖ message)` for a hex challenge, the message XORed with the 32-byte channel id
/// when one is given.
#[napi]
pub fn cryptosign_sign_challenge(
    seed: Uint8Array,
    challenge_hex: String,
    channel_id: Option<Uint8Array>,
) -> Result<String, ErrorCode> {
    let kp = cryptosign::Keypair::from_seed(&seed).map_err(invalid)?;
    kp.sign_challenge(&challenge_hex, channel_id.as_deref())
        .map_err(invalid)
}

/// The raw 64-byte Ed25519 signature of `message`.
#[napi]
pub fn cryptosign_sign(seed: Uint8Array, message: Uint8Array) -> Result<Buffer, ErrorCode> {
    let kp = cryptosign::Keypair::from_seed(&seed).map_err(invalid)?;
    Ok(kp.sign(&message).to_vec().into())
}

#[napi]
pub fn scram_client_nonce() -> String {
    scram::client_nonce()
}

#[napi(object)]
pub struct ScramAnswer {
    /// Base64 ClientProof: the AUTHENTICATE signature.
    pub signature: String,
    /// Base64 signature the router must send in WELCOME `authextra.scram_server_signature`.
    pub server_signature: String,
}

pub struct ScramAnswerTask {
    password: Zeroizing<String>,
    authid: String,
    client_nonce: String,
    challenge: scram::Challenge,
}

impl Task for ScramAnswerTask {
    /// The failure too, so that the promise is rejected with its code (in `resolve`).
    type Output = std::result::Result<scram::Answer, AuthError>;
    type JsValue = ScramAnswer;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(scram::answer(
            &self.password,
            &self.authid,
            &self.client_nonce,
            &self.challenge,
        ))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        let answer = output.map_err(|e| rejection(&env, &e))?;
        Ok(ScramAnswer {
            signature: answer.signature,
            server_signature: answer.server_signature,
        })
    }
}

/// Answers a `scram` CHALLENGE (its Extra as JSON text). The challenge is checked here,
/// synchronously; the KDF runs on the thread pool.
#[napi(ts_return_type = "Promise<ScramAnswer>")]
pub fn scram_answer(
    password: String,
    authid: String,
    client_nonce: String,
    challenge_extra_json: String,
) -> Result<AsyncTask<ScramAnswerTask>, ErrorCode> {
    let password = Zeroizing::new(password);
    let extra: serde_json::Value = serde_json::from_str(&challenge_extra_json).map_err(|_| {
        Error::new(
            ErrorCode::AuthChallenge,
            "invalid scram challenge from the router: Extra is not JSON".to_string(),
        )
    })?;
    let challenge = scram::Challenge::from_extra(&extra).map_err(invalid)?;
    Ok(AsyncTask::new(ScramAnswerTask {
        password,
        authid,
        client_nonce,
        challenge,
    }))
}

#[napi(object)]
pub struct ScramCredential {
    pub kdf: String,
    pub iterations: u32,
    pub memory: u32,
    pub salt: String,
    pub stored_key: String,
    pub server_key: String,
}

pub struct ScramCredentialTask {
    password: Zeroizing<String>,
    salt: Vec<u8>,
    kdf: scram::Kdf,
}

impl Task for ScramCredentialTask {
    /// The failure too, so that the promise is rejected with its code (in `resolve`).
    type Output = std::result::Result<scram::Credential, AuthError>;
    type JsValue = ScramCredential;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(scram::derive_credential(
            &self.password,
            &self.salt,
            self.kdf,
        ))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        let c = output.map_err(|e| rejection(&env, &e))?;
        Ok(ScramCredential {
            kdf: c.kdf.name().to_string(),
            iterations: c.kdf.iterations(),
            memory: c.kdf.memory(),
            salt: c.salt_hex,
            stored_key: c.stored_key_hex,
            server_key: c.server_key_hex,
        })
    }
}

/// The router-side credential for a password (Crossbar's static `scram` principal fields);
/// a random 16-byte salt when none is given.
#[napi(ts_return_type = "Promise<ScramCredential>")]
pub fn scram_derive_credential(
    password: String,
    kdf: String,
    iterations: u32,
    memory: Option<u32>,
    salt: Option<Uint8Array>,
) -> Result<AsyncTask<ScramCredentialTask>, ErrorCode> {
    let password = Zeroizing::new(password);
    let kdf =
        scram::Kdf::from_parts(&kdf, iterations.into(), memory.map(u64::from)).map_err(invalid)?;
    let salt = match salt {
        Some(s) => s.to_vec(),
        None => scram::random_salt().to_vec(),
    };
    Ok(AsyncTask::new(ScramCredentialTask {
        password,
        salt,
        kdf,
    }))
}
