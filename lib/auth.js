'use strict';
// Authentication helpers exported as autobahn.auth_cra, autobahn.auth_cryptosign and
// autobahn.auth_scram. The crypto runs in Rust (src/wamp/auth); this file gives it the
// Autobahn|JS shapes. Error messages name the bad argument, never its value: secrets, keys and
// tickets must not end up in logs.

const crypto = require('node:crypto');
const native = require('../native.js');

function kind(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

function requireString(v, what, fn) {
  if (typeof v !== 'string') {
    throw new TypeError(`${fn}: ${what} must be a string, got ${kind(v)}`);
  }
}

// Native errors carry a safe message and a stable `code`. A bad argument (ERR_WAMP_AUTH_INPUT,
// or napi's own argument checks, whose codes do not start with ERR_WAMP_) is a TypeError, as the
// checks in this file throw; a bad or unsupported challenge from the router
// (ERR_WAMP_AUTH_CHALLENGE, ERR_WAMP_AUTH_UNSUPPORTED) is an Error. Either way the helper's name
// comes first and the code stays.
function nativeError(fn, e) {
  if (e instanceof Error && e.message.startsWith(`${fn}: `)) return e;
  const code = e && typeof e.code === 'string' ? e.code : undefined;
  const badArgument = code === undefined || code === 'ERR_WAMP_AUTH_INPUT' || !code.startsWith('ERR_WAMP_');
  const err = new (badArgument ? TypeError : Error)(`${fn}: ${e && e.message ? e.message : e}`);
  if (code !== undefined) err.code = code;
  return err;
}

function callNative(fn, call) {
  try {
    return call();
  } catch (e) {
    throw nativeError(fn, e);
  }
}

// ---------------------------------------------------------------------------------------------
// WAMP-CRA (Autobahn|JS auth_cra): byte-identical results.

/**
 * The key for a salted WAMP-CRA secret: Base64 text of PBKDF2-HMAC-SHA256(secret, salt,
 * iterations, keylen). Like Autobahn|JS, a missing (or 0) iterations/keylen means 1000 / 32.
 * Pass the result to `sign` as the key.
 */
function derive_key(secret, salt, iterations, keylen) {
  const fn = 'auth_cra.derive_key';
  requireString(secret, 'secret', fn);
  requireString(salt, 'salt', fn);
  iterations = iterations || 1000;
  keylen = keylen || 32;
  for (const [name, v] of [
    ['iterations', iterations],
    ['keylen', keylen],
  ]) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffffffff) {
      throw new TypeError(`${fn}: ${name} must be a positive integer, got ${typeof v === 'number' ? v : kind(v)}`);
    }
  }
  return callNative(fn, () => native.craDeriveKey(secret, salt, iterations, keylen));
}

/**
 * The WAMP-CRA signature: Base64(HMAC-SHA256(key, challenge)), the key being the secret (or
 * `derive_key`'s text for a salted secret) and the challenge `extra.challenge` as received.
 */
function sign(key, challenge) {
  const fn = 'auth_cra.sign';
  requireString(key, 'key', fn);
  requireString(challenge, 'challenge', fn);
  return callNative(fn, () => native.craSign(key, challenge));
}

const auth_cra = { derive_key, sign };

// ---------------------------------------------------------------------------------------------
// WAMP-Cryptosign (Autobahn|JS auth_cryptosign). Key pairs have tweetnacl's shape
// ({publicKey, secretKey = seed ‖ publicKey}), so a `nacl.sign.keyPair.fromSeed(seed)` works too.

const HEX64 = /^[0-9a-fA-F]{64}$/;

function toSeed(seed, fn) {
  if (typeof seed === 'string') {
    if (!HEX64.test(seed)) {
      throw new TypeError(`${fn}: a seed given as text must be 64 hex characters (32 bytes)`);
    }
    return Buffer.from(seed, 'hex');
  }
  if (seed instanceof Uint8Array) {
    if (seed.length !== 32) {
      throw new TypeError(`${fn}: the seed must be 32 bytes, got ${seed.length} bytes`);
    }
    return seed;
  }
  throw new TypeError(
    `${fn}: the seed must be a Buffer/Uint8Array of 32 bytes or 64 hex characters, got ${kind(seed)}`
  );
}

// The 32-byte seed of a key pair (tweetnacl-style object) or of a seed given directly.
function seedOf(keypair, fn) {
  if (keypair !== null && typeof keypair === 'object' && !(keypair instanceof Uint8Array)) {
    const sk = keypair.secretKey;
    if (sk instanceof Uint8Array && (sk.length === 64 || sk.length === 32)) return sk.subarray(0, 32);
    throw new TypeError(`${fn}: the key pair has no secretKey of 64 bytes (use auth_cryptosign.keypair_from_seed)`);
  }
  return toSeed(keypair, fn);
}

function makeKeypair(seed) {
  const publicKey = new Uint8Array(Buffer.from(native.cryptosignPublicKey(seed), 'hex'));
  const secretKey = new Uint8Array(64);
  secretKey.set(seed, 0);
  secretKey.set(publicKey, 32);
  const keypair = { publicKey };
  // Not enumerable: console.log / JSON.stringify of a key pair show only the public key.
  Object.defineProperty(keypair, 'secretKey', { value: secretKey, enumerable: false });
  return keypair;
}

/**
 * The Ed25519 key pair of a 32-byte seed (Buffer/Uint8Array, or 64 hex characters):
 * `{publicKey: Uint8Array(32), secretKey: Uint8Array(64)}` as tweetnacl's
 * `nacl.sign.keyPair.fromSeed`.
 */
function keypair_from_seed(seed) {
  return makeKeypair(toSeed(seed, 'auth_cryptosign.keypair_from_seed'));
}

/** A new random key pair; keep `keypair.secretKey.subarray(0, 32)` (the seed) safe. */
function generate_keypair() {
  return makeKeypair(crypto.randomBytes(32));
}

/** The public key as 64 hex characters, for `authextra.pubkey` and the router's config. */
function public_key(keypair) {
  const fn = 'auth_cryptosign.public_key';
  if (
    keypair &&
    typeof keypair === 'object' &&
    keypair.publicKey instanceof Uint8Array &&
    keypair.publicKey.length === 32
  ) {
    return Buffer.from(keypair.publicKey).toString('hex');
  }
  const seed = seedOf(keypair, fn);
  return callNative(fn, () => native.cryptosignPublicKey(seed));
}

/**
 * The AUTHENTICATE signature for a `cryptosign` challenge: hex of the 64-byte Ed25519 signature
 * followed by the signed 32-byte challenge (192 hex characters). `extra` is the CHALLENGE extra
 * (`{challenge: '<hex>'}`; a challenge object with `.extra`, or the hex text, also work).
 * `channel_id` (32 bytes, or 64 hex characters; an addition to Autobahn|JS) signs
 * challenge XOR channel id, for channel binding.
 */
function sign_challenge(keypair, extra, channel_id) {
  const fn = 'auth_cryptosign.sign_challenge';
  const seed = seedOf(keypair, fn);
  let ex = extra;
  if (ex && typeof ex === 'object' && ex.extra && typeof ex.extra === 'object') ex = ex.extra;
  const challenge = typeof ex === 'string' ? ex : ex && ex.challenge;
  if (typeof challenge !== 'string') {
    throw new TypeError(`${fn}: the challenge extra has no 'challenge' hex string`);
  }
  let cid;
  if (channel_id !== undefined && channel_id !== null) {
    cid = typeof channel_id === 'string' && HEX64.test(channel_id) ? Buffer.from(channel_id, 'hex') : channel_id;
    if (!(cid instanceof Uint8Array) || cid.length !== 32) {
      throw new TypeError(`${fn}: channel_id must be 32 bytes (Buffer/Uint8Array or 64 hex characters)`);
    }
  } else if (ex && typeof ex === 'object' && typeof ex.channel_binding === 'string' && ex.channel_binding) {
    throw new Error(`${fn}: the router asks for channel binding '${ex.channel_binding}'; pass the channel id`);
  }
  return callNative(fn, () => native.cryptosignSignChallenge(seed, challenge, cid));
}

const auth_cryptosign = { keypair_from_seed, generate_keypair, public_key, sign_challenge };

// ---------------------------------------------------------------------------------------------
// WAMP-SCRAM as Crossbar.io speaks it (authmethod 'scram'); not part of Autobahn|JS.

// client nonce -> Buffer of the server signature that the router must send back.
const expectedServerSignatures = new Map();
const MAX_REMEMBERED = 256;

/** A fresh client nonce (Base64 of 16 random bytes) for `authextra: {nonce}` in the HELLO. */
function client_nonce() {
  return native.scramClientNonce();
}

/**
 * Answers a `scram` challenge: resolves to the AUTHENTICATE signature (Base64 ClientProof), so
 * `onchallenge` can return it directly. `client_nonce` is the nonce sent in `authextra.nonce`.
 * The key derivation (Argon2id or PBKDF2) runs off the main thread. Remembers the signature
 * the router must prove itself with, for `verify_server_signature`.
 */
function scram_sign(password, authid, nonce, extra) {
  const fn = 'auth_scram.sign';
  return new Promise((resolve) => {
    requireString(password, 'password', fn);
    requireString(authid, 'authid', fn);
    requireString(nonce, 'client_nonce', fn);
    if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
      throw new TypeError(`${fn}: extra must be the CHALLENGE extra object, got ${kind(extra)}`);
    }
    resolve(callNative(fn, () => native.scramAnswer(password, authid, nonce, JSON.stringify(extra))));
  }).then(
    (answer) => {
      expectedServerSignatures.delete(nonce);
      expectedServerSignatures.set(nonce, Buffer.from(answer.serverSignature, 'base64'));
      if (expectedServerSignatures.size > MAX_REMEMBERED) {
        expectedServerSignatures.delete(expectedServerSignatures.keys().next().value);
      }
      return answer.signature;
    },
    (e) => {
      throw nativeError(fn, e);
    }
  );
}

/**
 * Checks the router's proof: `true` when WELCOME `authextra.scram_server_signature` matches what
 * `sign` computed for this client nonce. `welcome` is the onopen `details`, their `authextra`,
 * or the Base64 signature itself. `false` when the router sent none or a wrong one.
 */
function verify_server_signature(nonce, welcome) {
  const fn = 'auth_scram.verify_server_signature';
  requireString(nonce, 'client_nonce', fn);
  const expected = expectedServerSignatures.get(nonce);
  if (!expected) {
    throw new Error(`${fn}: auth_scram.sign() has not answered a challenge for this client nonce`);
  }
  let got = welcome;
  if (got && typeof got === 'object' && got.authextra && typeof got.authextra === 'object') got = got.authextra;
  if (got && typeof got === 'object') got = got.scram_server_signature;
  if (typeof got !== 'string') return false;
  const received = Buffer.from(got, 'base64');
  return received.length === expected.length && crypto.timingSafeEqual(received, expected);
}

/**
 * The router-side credential for a user: resolves to the fields of a Crossbar.io static `scram`
 * principal (`kdf`, `iterations`, `memory`, `salt`, `stored-key`, `server-key`; add `role`).
 * options: `kdf` ('argon2id-13' (default) or 'pbkdf2'), `iterations` (default 4096 for Argon2,
 * as Autobahn|Python's derive_scram_credential, 100000 for PBKDF2), `memory` (KiB, default 512),
 * `salt` (Buffer/Uint8Array or hex; default 16 random bytes).
 */
function derive_credential(password, options) {
  const fn = 'auth_scram.derive_credential';
  return new Promise((resolve) => {
    requireString(password, 'password', fn);
    const o = options || {};
    const kdf = o.kdf === undefined ? 'argon2id-13' : o.kdf;
    const iterations = o.iterations === undefined ? (kdf === 'pbkdf2' ? 100000 : 4096) : o.iterations;
    const memory = kdf === 'pbkdf2' ? undefined : o.memory === undefined ? 512 : o.memory;
    let salt = o.salt;
    if (typeof salt === 'string') salt = Buffer.from(salt, 'hex');
    if (salt !== undefined && !(salt instanceof Uint8Array && salt.length > 0)) {
      throw new TypeError(`${fn}: salt must be a non-empty Buffer/Uint8Array or hex text`);
    }
    if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 1 || iterations > 0xffffffff) {
      throw new TypeError(`${fn}: iterations must be a positive integer`);
    }
    if (
      memory !== undefined &&
      (typeof memory !== 'number' || !Number.isInteger(memory) || memory < 0 || memory > 0xffffffff)
    ) {
      throw new TypeError(`${fn}: memory must be a positive integer (KiB)`);
    }
    requireString(kdf, 'kdf', fn);
    resolve(callNative(fn, () => native.scramDeriveCredential(password, kdf, iterations, memory, salt)));
  }).then(
    (c) => ({
      kdf: c.kdf,
      iterations: c.iterations,
      memory: c.memory,
      salt: c.salt,
      'stored-key': c.storedKey,
      'server-key': c.serverKey,
    }),
    (e) => {
      throw nativeError(fn, e);
    }
  );
}

const auth_scram = { client_nonce, sign: scram_sign, verify_server_signature, derive_credential };

module.exports = { auth_cra, auth_cryptosign, auth_scram };
