'use strict';
// Autobahn|JS's one-call helpers: auth_cryptosign.create_connection / load_private_key /
// delete_private_key, and the same shape for SCRAM (auth_scram.create_connection). Autobahn|JS
// keeps key seeds in the browser's localStorage; here each one is a file of its own:
//
//   $AUTOBAHN_KEY_DIR/<name>   or, without that variable,   ~/.autobahn/keys/<name>
//
// holding the seed as 64 hex characters, the directory created 0700 and the file 0600.

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const auth = require('./auth.js');
const { Connection } = require('./connection.js');
const { describe } = require('./util.js');

// A key name is one path component: no separators, no '.' or '..', nothing hidden.
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SEED_HEX = /^[0-9a-fA-F]{64}$/;

function keyDirectory() {
  const dir = process.env.AUTOBAHN_KEY_DIR;
  return dir ? path.resolve(dir) : path.join(os.homedir(), '.autobahn', 'keys');
}

function keyFile(name, fn) {
  if (typeof name !== 'string' || !KEY_NAME.test(name)) {
    throw new TypeError(
      `${fn}: name must be 1-128 letters, digits, '.', '_' or '-' starting with a letter or digit, got ${
        typeof name === 'string' ? JSON.stringify(name) : describe(name)
      }`
    );
  }
  return path.join(keyDirectory(), name);
}

function writeSeed(file, seed) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written beside the file and renamed over it: a reader never sees half a seed, and the
  // file never exists with wider permissions than 0600.
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.from(seed).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * The key pair stored under `name` (tweetnacl's shape, as `auth_cryptosign.keypair_from_seed`);
 * when there is none, or with `force_regenerate`, a new random seed is stored first (as
 * Autobahn|JS does with localStorage).
 */
function load_private_key(name, force_regenerate) {
  const fn = 'auth_cryptosign.load_private_key';
  const file = keyFile(name, fn);
  let text;
  if (!force_regenerate) {
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
  }
  if (text === undefined || text === '') {
    const seed = crypto.randomBytes(32);
    writeSeed(file, seed);
    return auth.auth_cryptosign.keypair_from_seed(seed);
  }
  if (!SEED_HEX.test(text)) {
    // Not ours to overwrite: the caller decides (force_regenerate, or delete_private_key).
    throw new Error(`${fn}: ${file} does not hold a key seed (64 hex characters)`);
  }
  return auth.auth_cryptosign.keypair_from_seed(text);
}

/**
 * Removes the key stored under `name` (its content overwritten with random bytes first, as
 * Autobahn|JS overwrites the localStorage entry); the next load_private_key makes a new one.
 * Nothing happens when there is none.
 */
function delete_private_key(name) {
  const file = keyFile(name, 'auth_cryptosign.delete_private_key');
  let fd;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (e) {
    if (e.code === 'ENOENT') return;
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, crypto.randomBytes(Math.max(size, 65)), 0, undefined, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(file, { force: true });
}

// The Connection options of Autobahn|JS's create_connection that are not its own; anything
// else in `config` (transports, retry and TLS options, ...) is passed on as well.
const CRYPTOSIGN_CONFIG_KEYS = new Set(['pkey', 'activation_code', 'request_new_activation_code', 'debug']);

/**
 * Autobahn|JS's auth_cryptosign.create_connection: a Connection (not opened) to `config.url` /
 * `config.realm` that authenticates with WAMP-Cryptosign only, using the key pair `config.pkey`
 * (or its seed), with HELLO authextra `{pubkey, trustroot: null, challenge: null,
 * channel_binding: null, activation_code, request_new_activation_code}`.
 */
function cryptosign_create_connection(config) {
  const fn = 'auth_cryptosign.create_connection';
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`${fn}: config must be an object, got ${describe(config)}`);
  }
  const pkey = config.pkey;
  let pubkey;
  try {
    pubkey = auth.auth_cryptosign.public_key(pkey);
  } catch (e) {
    throw new TypeError(`${fn}: config.pkey must be a key pair (load_private_key) or a 32-byte seed: ${e.message}`, {
      cause: e,
    });
  }
  if (config.debug) {
    // Autobahn|JS prints the key pair here; the seed stays out of logs.
    console.log(config.url, config.realm, config.authid, pubkey, config.serializers);
  }
  const options = {};
  for (const [k, v] of Object.entries(config)) if (!CRYPTOSIGN_CONFIG_KEYS.has(k)) options[k] = v;
  return new Connection({
    ...options,
    authmethods: ['cryptosign'],
    onchallenge(session, method, extra) {
      if (method === 'cryptosign') return auth.auth_cryptosign.sign_challenge(pkey, extra);
      throw "don't know how to authenticate using '" + method + "'";
    },
    authextra: {
      pubkey,
      trustroot: null,
      challenge: null,
      channel_binding: null,
      activation_code: config.activation_code,
      request_new_activation_code: config.request_new_activation_code,
    },
  });
}

/**
 * The same for WAMP-SCRAM (not in Autobahn|JS): a Connection (not opened) that authenticates as
 * `config.authid` with `config.password` (authmethods ['scram']). Other Connection options in
 * `config` are passed on.
 */
function scram_create_connection(config) {
  const fn = 'auth_scram.create_connection';
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`${fn}: config must be an object, got ${describe(config)}`);
  }
  for (const k of ['authid', 'password']) {
    if (typeof config[k] !== 'string' || config[k] === '') {
      throw new TypeError(`${fn}: config.${k} must be a non-empty string, got ${describe(config[k])}`);
    }
  }
  const { onchallenge, ...options } = config;
  if (onchallenge !== undefined && onchallenge !== null) {
    throw new TypeError(`${fn}: config.onchallenge is derived from config.password; use new Connection() for your own`);
  }
  return new Connection({ ...options, authmethods: ['scram'] });
}

module.exports = {
  auth_cryptosign: {
    ...auth.auth_cryptosign,
    create_connection: cryptosign_create_connection,
    load_private_key,
    delete_private_key,
  },
  auth_scram: { ...auth.auth_scram, create_connection: scram_create_connection },
};
