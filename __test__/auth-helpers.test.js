'use strict';
// The one-call authentication paths against a real router: the Connection options ticket /
// secret (WAMP-CRA, plain and salted) / password (SCRAM) / private_key (cryptosign) that need no
// onchallenge, auth_scram.create_connection, and Autobahn|JS's auth_cryptosign.create_connection
// with load_private_key / delete_private_key (key files: place, permissions, name checks).
const test = require('node:test');
const { describe, before, after } = test;
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autobahn = require('..');
const reference = require('autobahn-reference');
const { startRouter } = require('./helpers/router');

const { auth_cryptosign, auth_scram } = autobahn;

const REALM = 'authrealm';
const TICKET = 'tk-3c81-helper-ticket';
const CRA_SECRET = 'cra-8d21-helper-secret';
const CRA_SALTED = { secret: 'cra-0f6e-salted-helper', salt: 'salt-9c1b', iterations: 100, keylen: 32 };
const SCRAM_PASSWORD = 'scram-5a7e-helper-pässword';
const CS_SEED = 'd511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd';
const KEY_NAME = 'device-key';

const ALLOW_ALL = [
  { uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true }, disclose: { caller: true, publisher: true }, cache: true },
];

let router;
let authUrl;
let keyDir;
let storedKeyPub;
const savedKeyDir = process.env.AUTOBAHN_KEY_DIR;

before(async () => {
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-keys-'));
  process.env.AUTOBAHN_KEY_DIR = path.join(keyDir, 'store');
  // The router knows the key the store makes on first use.
  storedKeyPub = auth_cryptosign.public_key(auth_cryptosign.load_private_key(KEY_NAME));
  const scram = await auth_scram.derive_credential(SCRAM_PASSWORD, { kdf: 'pbkdf2', iterations: 1000 });
  const scramArgon = await auth_scram.derive_credential(SCRAM_PASSWORD, { kdf: 'argon2id-13', iterations: 8, memory: 512 });
  router = await startRouter({
    editConfig(config) {
      const worker = config.workers[0];
      worker.realms.push({ name: REALM, roles: ['ticket-role', 'cra-role', 'cs-role', 'scram-role'].map((name) => ({ name, permissions: ALLOW_ALL })) });
      worker.transports[0].websocket.auth = {
        type: 'websocket',
        serializers: ['json'],
        auth: {
          ticket: { type: 'static', principals: { 'ticket-user': { ticket: TICKET, role: 'ticket-role' } } },
          wampcra: {
            type: 'static',
            users: { 'cra-user': { secret: CRA_SECRET, role: 'cra-role' }, 'cra-salted': { ...CRA_SALTED, role: 'cra-role' } },
          },
          cryptosign: {
            type: 'static',
            principals: {
              'cs-user': { authorized_keys: [auth_cryptosign.public_key(CS_SEED)], role: 'cs-role', realm: REALM },
              'device-user': { authorized_keys: [storedKeyPub], role: 'cs-role', realm: REALM },
            },
          },
          scram: {
            type: 'static',
            principals: { 'scram-user': { ...scram, role: 'scram-role' }, 'scram-argon': { ...scramArgon, role: 'scram-role' } },
          },
        },
      };
    },
  });
  authUrl = router.url.replace(/\/ws$/, '/auth');
});

after(async () => {
  if (router) await router.stop();
  if (savedKeyDir === undefined) delete process.env.AUTOBAHN_KEY_DIR;
  else process.env.AUTOBAHN_KEY_DIR = savedKeyDir;
  fs.rmSync(keyDir, { recursive: true, force: true });
});

// Opens `connection` (or a new Connection to /auth with `options`) and resolves with
// { opened, details, reason, closes, userErrors }: closed again right after onopen, or the final
// onclose when the router refuses.
function attempt(connectionOrOptions) {
  const userErrors = [];
  const connection =
    connectionOrOptions instanceof autobahn.Connection
      ? connectionOrOptions
      : new autobahn.Connection({
          url: authUrl,
          realm: REALM,
          max_retries: 0,
          on_user_error: (err, msg) => userErrors.push({ err, msg }),
          ...connectionOrOptions,
        });
  return new Promise((resolve, reject) => {
    const record = { closes: [], userErrors };
    const timer = setTimeout(() => {
      try {
        connection.close();
      } catch {
        // already closed
      }
      reject(new Error('no onopen/final onclose within 10 s'));
    }, 10000);
    connection.onopen = (session, details) => {
      Object.assign(record, { opened: true, details });
      connection.close();
    };
    connection.onclose = (reason, details) => {
      record.closes.push({ reason, details });
      if (details.will_retry) return;
      clearTimeout(timer);
      if (!record.opened) Object.assign(record, { opened: false, reason, details });
      resolve(record);
    };
    connection.open();
  });
}

function assertOpened(r, expected) {
  assert.equal(r.opened, true, `expected onopen, got onclose ${JSON.stringify(r.details)}`);
  for (const [k, v] of Object.entries(expected)) assert.equal(r.details[k], v, `details.${k}`);
  assert.deepEqual(r.userErrors, []);
}

function assertRefused(r, reason, messagePattern) {
  assert.equal(r.opened, false, 'expected the router to refuse the session');
  assert.equal(r.details.reason, reason, `details ${JSON.stringify(r.details)}`);
  assert.match(String(r.details.message), messagePattern);
  assert.equal(r.closes.length, 1);
}

describe('Connection options instead of an onchallenge', () => {
  test('secret: WAMP-CRA with authmethods derived from the option', async () => {
    const r = await attempt({ authid: 'cra-user', secret: CRA_SECRET });
    assertOpened(r, { authid: 'cra-user', authmethod: 'wampcra', authrole: 'cra-role' });
  });

  test('secret: a salted secret is derived with the challenge salt, iterations and keylen', async () => {
    const r = await attempt({ authmethods: ['wampcra'], authid: 'cra-salted', secret: CRA_SALTED.secret });
    assertOpened(r, { authid: 'cra-salted', authmethod: 'wampcra' });
  });

  test('a wrong secret fails with the router\'s error', async () => {
    const r = await attempt({ authmethods: ['wampcra'], authid: 'cra-user', secret: 'not-the-secret' });
    assertRefused(r, 'wamp.error.not_authorized', /WAMP-CRA client signature is invalid/);
  });

  test('password: SCRAM, pbkdf2 and argon2id-13 principals', async () => {
    for (const authid of ['scram-user', 'scram-argon']) {
      const r = await attempt({ authid, password: SCRAM_PASSWORD });
      assertOpened(r, { authid, authmethod: 'scram', authrole: 'scram-role' });
      assert.equal(typeof r.details.authextra.scram_server_signature, 'string');
    }
  });

  test('password with an authextra nonce of our own: the router\'s proof can be checked', async () => {
    const nonce = auth_scram.client_nonce();
    const r = await attempt({ authid: 'scram-user', password: SCRAM_PASSWORD, authextra: { nonce } });
    assertOpened(r, { authid: 'scram-user', authmethod: 'scram' });
    assert.equal(auth_scram.verify_server_signature(nonce, r.details), true);
  });

  test('a wrong password fails with the router\'s error', async () => {
    const r = await attempt({ authid: 'scram-user', password: 'wrong password' });
    assertRefused(r, 'wamp.error.not_authorized', /SCRAM authentication failed/);
  });

  test('ticket and private_key', async () => {
    assertOpened(await attempt({ authid: 'ticket-user', ticket: TICKET }), { authid: 'ticket-user', authmethod: 'ticket' });
    // no authid: the router finds the principal by the public key sent in authextra
    assertOpened(await attempt({ private_key: CS_SEED }), { authid: 'cs-user', authmethod: 'cryptosign' });
    assertOpened(await attempt({ private_key: auth_cryptosign.keypair_from_seed(CS_SEED) }), { authid: 'cs-user' });
  });

  test('several credentials: authmethods picks, and each challenge gets its own answer', async () => {
    const both = { authid: 'cra-user', secret: CRA_SECRET, ticket: 'irrelevant' };
    assertOpened(await attempt({ ...both, authmethods: ['wampcra', 'ticket'] }), { authmethod: 'wampcra' });
    // Without authmethods the stronger method is offered first.
    assertOpened(await attempt(both), { authmethod: 'wampcra' });
  });

  test('a user onchallenge wins over the credential options', async () => {
    const methods = [];
    const r = await attempt({
      authmethods: ['ticket'],
      authid: 'ticket-user',
      ticket: 'wrong-ticket',
      onchallenge: (session, method) => {
        methods.push(method);
        return TICKET;
      },
    });
    assertOpened(r, { authmethod: 'ticket' });
    assert.deepEqual(methods, ['ticket']);
  });

  test('a challenge for a method without a credential aborts with a message naming the options', async () => {
    const r = await attempt({ authmethods: ['ticket'], authid: 'ticket-user', secret: CRA_SECRET });
    assertRefused(r, 'wamp.error.cannot_authenticate', /asks for 'ticket' authentication, but only options\.secret/);
    assert.equal(r.userErrors.length, 1);
  });

  test('bad credential options throw a TypeError at construction, without the secret', () => {
    const make = (o) => () => new autobahn.Connection({ url: authUrl, realm: REALM, ...o });
    assert.throws(make({ secret: CRA_SECRET }), { name: 'TypeError', message: /options\.secret \(wampcra\) needs options\.authid/ });
    assert.throws(make({ password: SCRAM_PASSWORD }), { name: 'TypeError', message: /options\.password \(scram\) needs options\.authid/ });
    assert.throws(make({ authid: 'x', secret: 42 }), { name: 'TypeError', message: /options\.secret \(wampcra\) must be a non-empty string, got number/ });
    assert.throws(make({ private_key: 'd511' }), (e) => e instanceof TypeError && /options\.private_key/.test(e.message) && !e.message.includes('d511'));
  });
});

describe('auth_scram.create_connection', () => {
  test('joins with authid and password', async () => {
    const connection = auth_scram.create_connection({ url: authUrl, realm: REALM, authid: 'scram-user', password: SCRAM_PASSWORD, max_retries: 0 });
    assert.ok(connection instanceof autobahn.Connection);
    assertOpened(await attempt(connection), { authid: 'scram-user', authmethod: 'scram' });
  });

  test('a wrong password fails with the router\'s error', async () => {
    const connection = auth_scram.create_connection({ url: authUrl, realm: REALM, authid: 'scram-user', password: 'nope', max_retries: 0 });
    assertRefused(await attempt(connection), 'wamp.error.not_authorized', /SCRAM authentication failed/);
  });

  test('bad config', () => {
    assert.throws(() => auth_scram.create_connection({ url: authUrl, realm: REALM, authid: 'x' }), { name: 'TypeError', message: /config\.password must be a non-empty string/ });
    assert.throws(() => auth_scram.create_connection(null), { name: 'TypeError', message: /config must be an object/ });
  });
});

describe('auth_cryptosign.create_connection and the key store', () => {
  const storeDir = () => process.env.AUTOBAHN_KEY_DIR;

  test('load_private_key keeps the key it made in a 0600 file of a 0700 directory', { skip: process.platform === 'win32' && 'POSIX modes' }, () => {
    const file = path.join(storeDir(), KEY_NAME);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(storeDir()).mode & 0o777, 0o700);
    const again = auth_cryptosign.load_private_key(KEY_NAME);
    assert.equal(auth_cryptosign.public_key(again), storedKeyPub);
    assert.equal(fs.readFileSync(file, 'utf8').trim(), Buffer.from(again.secretKey.subarray(0, 32)).toString('hex'));
  });

  test('create_connection(config) joins with the stored key, with Autobahn|JS\'s HELLO', async () => {
    const pkey = auth_cryptosign.load_private_key(KEY_NAME);
    const config = { url: authUrl, realm: REALM, authid: 'device-user', pkey, activation_code: 'A1B2', serializers: undefined };
    const connection = auth_cryptosign.create_connection({ ...config, max_retries: 0 });
    const theirs = reference.auth_cryptosign.create_connection(config);
    for (const k of ['url', 'realm', 'authid', 'authmethods', 'authextra']) {
      assert.deepEqual(connection._options[k], theirs._options[k], k);
    }
    assertOpened(await attempt(connection), { authid: 'device-user', authmethod: 'cryptosign' });
  });

  test('a challenge of another method is refused, as Autobahn|JS does', async () => {
    const r = await attempt({
      authmethods: ['ticket'],
      authid: 'ticket-user',
      onchallenge: auth_cryptosign.create_connection({ url: authUrl, realm: REALM, pkey: CS_SEED })._options.onchallenge,
    });
    assertRefused(r, 'wamp.error.cannot_authenticate', /don't know how to authenticate using 'ticket'/);
  });

  test('delete_private_key removes the key: the next load makes another one, which the router does not know', async () => {
    const file = path.join(storeDir(), 'to-delete');
    const first = auth_cryptosign.public_key(auth_cryptosign.load_private_key('to-delete'));
    assert.ok(fs.existsSync(file));
    auth_cryptosign.delete_private_key('to-delete');
    assert.equal(fs.existsSync(file), false);
    auth_cryptosign.delete_private_key('to-delete'); // nothing there: no error
    const second = auth_cryptosign.load_private_key('to-delete');
    assert.notEqual(auth_cryptosign.public_key(second), first);
    const r = await attempt(auth_cryptosign.create_connection({ url: authUrl, realm: REALM, pkey: second, max_retries: 0 }));
    assertRefused(r, 'wamp.error.not_authorized', /no principal found for provided extra\.pubkey/);
  });

  test('force_regenerate replaces the stored key', () => {
    const before = auth_cryptosign.public_key(auth_cryptosign.load_private_key('regen'));
    const regenerated = auth_cryptosign.public_key(auth_cryptosign.load_private_key('regen', true));
    assert.notEqual(regenerated, before);
    assert.equal(auth_cryptosign.public_key(auth_cryptosign.load_private_key('regen')), regenerated);
  });

  test('a file that is not a seed is reported, not overwritten', () => {
    const file = path.join(storeDir(), 'not-a-key');
    fs.writeFileSync(file, 'hello\n');
    assert.throws(() => auth_cryptosign.load_private_key('not-a-key'), /not-a-key does not hold a key seed/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello\n');
  });

  test('names that could leave the key directory are refused', () => {
    const outside = path.join(keyDir, 'escaped');
    for (const name of ['../escaped', '..', '.', '', 'a/b', 'a\\b', '.hidden', '/tmp/x', 'x'.repeat(129), 'n\u0000ul', 42, null, undefined]) {
      for (const call of [() => auth_cryptosign.load_private_key(name), () => auth_cryptosign.delete_private_key(name)]) {
        assert.throws(call, { name: 'TypeError', message: /name must be 1-128 letters, digits/ }, `name ${String(name)}`);
      }
    }
    assert.equal(fs.existsSync(outside), false);
    assert.deepEqual(fs.readdirSync(keyDir), ['store']);
  });
});
