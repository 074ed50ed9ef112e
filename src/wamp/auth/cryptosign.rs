//! WAMP-Cryptosign (wamp-reference §6.4).
//!
//! The client announces its Ed25519 public key (`authextra.pubkey`, 64 hex chars); the router
//! sends 32 random bytes as hex; the client answers `hex(Ed25519_sign(seed, m) ‖ m)` where `m`
//! is the challenge, XORed with the 32-byte channel id when channel binding is in use.
//!
//! [`Keypair`] is the client's side, [`PublicKey`] the router's (check the answer).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::{decode_hex, AuthError};

pub const SEED_LEN: usize = 32;
pub const CHALLENGE_LEN: usize = 32;
pub const CHANNEL_ID_LEN: usize = 32;

/// An Ed25519 key pair made from a 32-byte seed (the private key as WAMP-Cryptosign stores it).
pub struct Keypair {
    key: SigningKey,
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the public half: a key pair must never end up in a log.
        f.debug_struct("Keypair")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

impl Keypair {
    /// From the raw 32-byte seed.
    pub fn from_seed(seed: &[u8]) -> Result<Self, AuthError> {
        let seed: &[u8; SEED_LEN] = seed.try_into().map_err(|_| {
            AuthError::input(
                "seed",
                format!("must be {SEED_LEN} bytes, got {} bytes", seed.len()),
            )
        })?;
        Ok(Keypair {
            key: SigningKey::from_bytes(seed),
        })
    }

    /// From the seed as 64 hex characters.
    pub fn from_seed_hex(seed_hex: &str) -> Result<Self, AuthError> {
        let seed = Zeroizing::new(decode_hex("seed", seed_hex.trim())?);
        Self::from_seed(&seed)
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The public key as 64 lowercase hex characters (`authextra.pubkey`).
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.public_key())
    }

    /// The 64-byte Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The AUTHENTICATE signature for a challenge given as hex: 128 hex chars of signature
    /// followed by the hex of the signed message. With `channel_id`, the message is the
    /// 32-byte challenge XOR the channel id; without, the challenge bytes as they are (any
    /// length, as Autobahn|JS).
    pub fn sign_challenge(
        &self,
        challenge_hex: &str,
        channel_id: Option<&[u8]>,
    ) -> Result<String, AuthError> {
        let mut message = decode_hex("challenge", challenge_hex).map_err(|e| match e {
            AuthError::InvalidInput { why, .. } => AuthError::BadChallenge {
                method: "cryptosign",
                why: format!("'challenge' is {why}"),
            },
            other => other,
        })?;
        if let Some(cid) = channel_id {
            if cid.len() != CHANNEL_ID_LEN {
                return Err(AuthError::input(
                    "channel_id",
                    format!("must be {CHANNEL_ID_LEN} bytes, got {} bytes", cid.len()),
                ));
            }
            if message.len() != CHALLENGE_LEN {
                return Err(AuthError::BadChallenge {
                    method: "cryptosign",
                    why: format!(
                        "'challenge' must be {CHALLENGE_LEN} bytes for channel binding, got {} bytes",
                        message.len()
                    ),
                });
            }
            for (m, c) in message.iter_mut().zip(cid) {
                *m ^= c;
            }
        }
        let signature = self.sign(&message);
        let mut out = hex::encode(signature);
        out.push_str(&hex::encode(&message));
        Ok(out)
    }
}

pub const PUBLIC_KEY_LEN: usize = 32;
pub const SIGNATURE_LEN: usize = 64;

/// Why the router does not accept an AUTHENTICATE signature. The messages never quote the
/// signature or the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("WAMP-Cryptosign signature is not hex text")]
    NotHex,
    #[error(
        "WAMP-Cryptosign signature has invalid length ({0} bytes; expected 96: the 64-byte signature and the 32-byte challenge)"
    )]
    Length(usize),
    #[error("WAMP-Cryptosign signed message is not the challenge the router sent")]
    WrongMessage,
    #[error("WAMP-Cryptosign signature is invalid")]
    Invalid,
}

/// An Ed25519 public key, as a client announces it in HELLO `authextra.pubkey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    /// From 64 hex characters (either case). Refuses text of another shape and byte strings
    /// that are not a point on the curve.
    pub fn from_hex(text: &str) -> Result<PublicKey, AuthError> {
        let raw = decode_hex("public key", text)?;
        let raw: &[u8; PUBLIC_KEY_LEN] = raw.as_slice().try_into().map_err(|_| {
            AuthError::input(
                "public key",
                format!(
                    "must be {PUBLIC_KEY_LEN} bytes ({} hex characters), got {} bytes",
                    PUBLIC_KEY_LEN * 2,
                    raw.len()
                ),
            )
        })?;
        let key = VerifyingKey::from_bytes(raw)
            .map_err(|_| AuthError::input("public key", "not a valid Ed25519 public key"))?;
        Ok(PublicKey { key })
    }

    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.key.to_bytes()
    }

    /// 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Router side: checks an AUTHENTICATE signature for `challenge` (the bytes sent in
    /// CHALLENGE, without channel binding). `signature_hex` is `hex(signature ‖ challenge)`,
    /// 96 bytes, as Autobahn and the spec send it; the bare 64-byte signature is accepted too.
    /// Uses Ed25519 `verify_strict` (no malleable or small-order signatures).
    pub fn verify_challenge(
        &self,
        challenge: &[u8; CHALLENGE_LEN],
        signature_hex: &str,
    ) -> Result<(), VerifyError> {
        let raw = hex::decode(signature_hex).map_err(|_| VerifyError::NotHex)?;
        let (signature, message) = match raw.len() {
            n if n == SIGNATURE_LEN + CHALLENGE_LEN => raw.split_at(SIGNATURE_LEN),
            SIGNATURE_LEN => (raw.as_slice(), &challenge[..]),
            n => return Err(VerifyError::Length(n)),
        };
        if message != challenge {
            return Err(VerifyError::WrongMessage);
        }
        let signature = Signature::from_slice(signature).map_err(|_| VerifyError::Invalid)?;
        self.key
            .verify_strict(challenge, &signature)
            .map_err(|_| VerifyError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID: &str = "62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff";

    // wamp-reference §6.4: (seed, pub, challenge, signature without / with channel binding)
    const VECTORS: [(&str, &str, &str, &str, &str); 3] = [
        (
            "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
            "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00",
        ),
        (
            "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
            "6ed32739ff04a6074044ff0b0e3bfc7c856bc9d5f1d25efc57363bda0af3a8b0",
            "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
            "d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
            "305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282",
        ),
        (
            "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
            "28e11f427b82b9a625ee7ac89a7d29326b505f2dc11dd88c1245f83b6da79a85",
            "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
            "7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711d3d5658fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
            "ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31602a6ff99eba893e0a4ad4d45892ca75e608d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a44202f2902d",
        ),
    ];

    #[test]
    fn public_keys() {
        for (seed, public, ..) in VECTORS {
            assert_eq!(
                Keypair::from_seed_hex(seed).unwrap().public_key_hex(),
                public
            );
        }
    }

    #[test]
    fn signatures_without_channel_binding() {
        for (seed, _, challenge, expected, _) in VECTORS {
            let kp = Keypair::from_seed_hex(seed).unwrap();
            assert_eq!(kp.sign_challenge(challenge, None).unwrap(), expected);
        }
    }

    #[test]
    fn signatures_with_channel_binding() {
        let cid = hex::decode(CID).unwrap();
        for (seed, _, challenge, _, expected) in VECTORS {
            let kp = Keypair::from_seed_hex(seed).unwrap();
            assert_eq!(kp.sign_challenge(challenge, Some(&cid)).unwrap(), expected);
        }
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        let (seed, _, challenge, expected, _) = VECTORS[1];
        let kp = Keypair::from_seed_hex(&seed.to_uppercase()).unwrap();
        // The signed message is echoed in lowercase.
        assert_eq!(
            kp.sign_challenge(&challenge.to_uppercase(), None).unwrap(),
            expected
        );
    }

    #[test]
    fn bad_inputs() {
        let e = Keypair::from_seed(&[1u8; 31]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid seed: must be 32 bytes, got 31 bytes"
        );
        let secret = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de280451x";
        let e = Keypair::from_seed_hex(secret).unwrap_err();
        assert!(!e.to_string().contains("4d57d97a"), "{e}");
        let kp = Keypair::from_seed(&[7u8; 32]).unwrap();
        assert!(format!("{kp:?}").contains(&kp.public_key_hex()));
        assert!(!format!("{kp:?}").contains("0707070707"));
        assert!(matches!(
            kp.sign_challenge("zz", None),
            Err(AuthError::BadChallenge { .. })
        ));
        assert!(kp.sign_challenge("abcd", Some(&[0u8; 32])).is_err());
        assert!(kp
            .sign_challenge(&"ab".repeat(32), Some(&[0u8; 31]))
            .is_err());
        // Without channel binding any length is signed, as Autobahn|JS does.
        assert_eq!(kp.sign_challenge("abcd", None).unwrap().len(), 128 + 4);
    }

    #[test]
    fn router_verifies_the_vectors() {
        for (_, public, challenge, signature, _) in VECTORS {
            let key = PublicKey::from_hex(public).unwrap();
            assert_eq!(key.to_hex(), public);
            let challenge: [u8; 32] = hex::decode(challenge).unwrap().try_into().unwrap();
            assert_eq!(key.verify_challenge(&challenge, signature), Ok(()));
            // Uppercase hex, and the bare 64-byte signature.
            assert_eq!(
                key.verify_challenge(&challenge, &signature.to_uppercase()),
                Ok(())
            );
            assert_eq!(key.verify_challenge(&challenge, &signature[..128]), Ok(()));
        }
    }

    #[test]
    fn router_rejects() {
        let (_, public, challenge_hex, signature, _) = VECTORS[0];
        let key = PublicKey::from_hex(public).unwrap();
        let challenge: [u8; 32] = hex::decode(challenge_hex).unwrap().try_into().unwrap();
        let other: [u8; 32] = hex::decode(VECTORS[1].2).unwrap().try_into().unwrap();
        // Signed for another challenge.
        assert_eq!(
            key.verify_challenge(&other, signature),
            Err(VerifyError::WrongMessage)
        );
        assert_eq!(
            key.verify_challenge(&other, &signature[..128]),
            Err(VerifyError::Invalid)
        );
        // Signed by another key.
        let (other_seed, ..) = VECTORS[1];
        let forged = Keypair::from_seed_hex(other_seed)
            .unwrap()
            .sign_challenge(challenge_hex, None)
            .unwrap();
        assert_eq!(
            key.verify_challenge(&challenge, &forged),
            Err(VerifyError::Invalid)
        );
        // A flipped bit in the signature.
        let mut raw = hex::decode(signature).unwrap();
        raw[3] ^= 1;
        assert_eq!(
            key.verify_challenge(&challenge, &hex::encode(&raw)),
            Err(VerifyError::Invalid)
        );
        assert_eq!(
            key.verify_challenge(&challenge, "xyz"),
            Err(VerifyError::NotHex)
        );
        assert_eq!(
            key.verify_challenge(&challenge, &signature[..100]),
            Err(VerifyError::Length(50))
        );
        assert!(VerifyError::Length(50).to_string().contains("signature"));
        // Keys of the wrong shape.
        assert!(PublicKey::from_hex(&public[..62]).is_err());
        assert!(PublicKey::from_hex("zz").is_err());
        // Not every 32-byte string is a point on the curve.
        let off_curve = (0u8..=255)
            .map(|b| hex::encode([b; 32]))
            .find(|k| PublicKey::from_hex(k).is_err())
            .unwrap();
        let e = PublicKey::from_hex(&off_curve).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid public key: not a valid Ed25519 public key"
        );
    }
}
