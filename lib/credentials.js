'use strict';
// Connection options that carry a credential instead of an onchallenge handler:
//
//   ticket       authmethod 'ticket'      (needs authid)
//   secret       authmethod 'wampcra'     (needs authid; salted secrets are derived as challenged)
//   password     authmethod 'scram'       (needs authid; Crossbar.io's WAMP-SCRAM)
//   private_key  authmethod 'cryptosign'  (a key pair or its 32-byte seed; authid optional)
//
// From them the Connection derives the HELLO authmethods (when not given), the authextra the
// method needs (cryptosign `pubkey`, scram `nonce`) and the onchallenge handler. An onchallenge
// given by the user wins: the options are then used as they are.

const { auth_cra, auth_cryptosign, auth_scram } = require('./auth.js');
const { describe, isPlainObject } = require('./util.js');

// authmethod -> the option holding its credential, in the order offered when authmethods is
// not given (the strongest first: the router picks the first one it accepts).
const CREDENTIAL_OPTIONS = [
  ['cryptosign', 'private_key'],
  ['scram', 'password'],
  ['wampcra', 'secret'],
  ['ticket', 'ticket'],
];
const NEEDS_AUTHID = new Set(['scram', 'wampcra', 'ticket']);

function hasValue(v) {
  return v !== undefined && v !== null;
}

// The options to use: `options` itself when it carries no credential or has an onchallenge,
// otherwise a copy with authmethods, authextra and onchallenge filled in and the credentials
// moved into the handler's closure. Throws TypeError for a credential of the wrong type or a
// method that needs an authid without one.
function withCredentials(options) {
  const given = CREDENTIAL_OPTIONS.filter(([, option]) => hasValue(options[option]));
  if (given.length === 0 || typeof options.onchallenge === 'function') return options;

  for (const [method, option] of given) {
    const v = options[option];
    if (option !== 'private_key' && (typeof v !== 'string' || v.length === 0)) {
      throw new TypeError(`Connection: options.${option} (${method}) must be a non-empty string, got ${describe(v)}`);
    }
  }
  const authmethods = hasValue(options.authmethods) ? options.authmethods : given.map(([method]) => method);
  if (!Array.isArray(authmethods) || !authmethods.every((m) => typeof m === 'string')) {
    throw new TypeError(`Connection: options.authmethods must be an array of strings, got ${describe(authmethods)}`);
  }
  if (hasValue(options.authextra) && !isPlainObject(options.authextra)) {
    throw new TypeError(`Connection: options.authextra must be an object, got ${describe(options.authextra)}`);
  }
  const credentials = new Map(given.map(([method, option]) => [method, options[option]]));
  const authextra = { ...(options.authextra || {}) };
  let keypair;
  let scramNonce;
  for (const method of authmethods) {
    if (!credentials.has(method)) continue;
    if (NEEDS_AUTHID.has(method) && (typeof options.authid !== 'string' || options.authid === '')) {
      const option = CREDENTIAL_OPTIONS.find(([m]) => m === method)[1];
      throw new TypeError(`Connection: options.${option} (${method}) needs options.authid (the user name)`);
    }
    if (method === 'cryptosign') {
      keypair = toKeypair(credentials.get('cryptosign'));
      if (!hasValue(authextra.pubkey)) authextra.pubkey = auth_cryptosign.public_key(keypair);
    } else if (method === 'scram') {
      // One nonce per Connection: HELLO is fixed at open(); the router's nonce half keeps each
      // exchange fresh.
      if (!hasValue(authextra.nonce)) authextra.nonce = auth_scram.client_nonce();
      scramNonce = authextra.nonce;
    }
  }
  const authid = options.authid;

  function onchallenge(session, method, extra) {
    if (!credentials.has(method)) {
      const offered = CREDENTIAL_OPTIONS.filter(([m]) => credentials.has(m)).map(([, o]) => `options.${o}`);
      throw new Error(`the router asks for '${method}' authentication, but only ${offered.join(', ')} was given`);
    }
    switch (method) {
      case 'ticket':
        return credentials.get('ticket');
      case 'wampcra': {
        const secret = credentials.get('wampcra');
        const key =
          extra && extra.salt ? auth_cra.derive_key(secret, extra.salt, extra.iterations, extra.keylen) : secret;
        return auth_cra.sign(key, extra && extra.challenge);
      }
      case 'scram':
        return auth_scram.sign(credentials.get('scram'), authid, scramNonce, extra);
      default:
        return auth_cryptosign.sign_challenge(keypair, extra);
    }
  }

  const out = { ...options, authmethods, onchallenge };
  for (const [, option] of given) delete out[option];
  if (Object.keys(authextra).length > 0) out.authextra = authextra;
  return out;
}

// A key pair from a key pair or a seed, with a TypeError naming the option.
function toKeypair(key) {
  try {
    if (key !== null && typeof key === 'object' && !(key instanceof Uint8Array)) {
      // A key pair: check it can sign (has its seed) before the router asks.
      auth_cryptosign.public_key({ secretKey: key.secretKey });
      return key;
    }
    return auth_cryptosign.keypair_from_seed(key);
  } catch (e) {
    throw new TypeError(
      `Connection: options.private_key (cryptosign) must be a key pair or a 32-byte seed (Buffer/Uint8Array or 64 hex characters): ${e.message}`,
      { cause: e }
    );
  }
}

module.exports = { withCredentials, CREDENTIAL_OPTIONS };
