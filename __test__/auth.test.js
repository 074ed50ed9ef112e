'use strict';
// Authentication against a real Crossbar.io router: anonymous, ticket, WAMP-CRA (plain and
// salted), WAMP-Cryptosign and WAMP-SCRAM (argon2id-13 and pbkdf2) with static principals,
// success and failure for each, onchallenge errors, the client's authmethods order; and the
// auth_cra / auth_cryptosign / auth_scram helpers against the spec's test vectors.
//
// One router: the test template's /ws transport stays as it is (the helper probes it); a second
// WebSocket path /auth on the same port offers every method for the realm 'authrealm'.
const test = require('node:test');
const { describe, before, after } = test;
const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');
const autobahn = require('..');
const { startRouter, venvPython } = require('./helpers/router');

const { auth_cra, auth_cryptosign, auth_scram } = autobahn;

const REALM = 'authrealm';
const TICKET = 'tk-9f2e-secret-ticket';
const CRA_SECRET = 'cra-71a0-secret';
const CRA_SALTED = { secret: 'cra-55b3-salted-secret', salt: 'salt-4477', iterations: 100, keylen: 32 };
const MULTI = { ticket: 'tk-multi-secret', secret: 'cra-multi-secret' };
const SCRAM_PASSWORD = 'scräm-p4ssw0rd-secret';
// wamp-reference §6.4 row 2; row 3 is a key the router does not know.
const CS_SEED = 'd511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd';
const CS_PUB = '6ed32739ff04a6074044ff0b0e3bfc7c856bc9d5f1d25efc57363bda0af3a8b0';
const CS_OTHER_SEED = '6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b';
const SECRETS = [TICKET, CRA_SECRET, CRA_SALTED.secret, MULTI.ticket, MULTI.secret, SCRAM_PASSWORD, CS_SEED];

const ALLOW_ALL = [
  { uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true }, disclose: { caller: true, publisher: true }, cache: true },
];

let router;
let authUrl;
let scramCredentials;

// Crossbar static principals for SCRAM, derived with our helper (cheap parameters).
async function deriveScramPrincipals() {
  const argon = await auth_scram.derive_credential(SCRAM_PASSWORD, { kdf: 'argon2id-13', iterations: 8, memory: 512 });
  const pbkdf2 = await auth_scram.derive_credential(SCRAM_PASSWORD, { kdf: 'pbkdf2', iterations: 1000 });
  return { argon, pbkdf2 };
}

function authConfig(creds) {
  return {
    anonymous: { type: 'static', role: 'guest' },
    ticket: {
      type: 'static',
      principals: {
        'ticket-user': { ticket: TICKET, role: 'ticket-role' },
        multi: { ticket: MULTI.ticket, role: 'ticket-role' },
      },
    },
    wampcra: {
      type: 'static',
      users: {
        'cra-user': { secret: CRA_SECRET, role: 'cra-role' },
        'cra-salted': { ...CRA_SALTED, role: 'cra-role' },
        multi: { secret: MULTI.secret, role: 'cra-role' },
      },
    },
    cryptosign: {
      type: 'static',
      principals: { 'cs-user': { authorized_keys: [CS_PUB], role: 'cs-role', realm: REALM } },
    },
    scram: {
      type: 'static',
      principals: {
        'scram-argon': { ...creds.argon, role: 'scram-role' },
        'scram-pbkdf2': { ...creds.pbkdf2, role: 'scram-role' },
      },
    },
  };
}

before(async () => {
  scramCredentials = await deriveScramPrincipals();
  router = await startRouter({
    editConfig(config) {
      const worker = config.workers[0];
      worker.realms.push({
        name: REALM,
        roles: ['guest', 'ticket-role', 'cra-role', 'cs-role', 'scram-role'].map((name) => ({ name, permissions: ALLOW_ALL })),
      });
      const ws = worker.transports[0].websocket;
      ws.auth = { type: 'websocket', serializers: ['json'], auth: authConfig(scramCredentials) };
    },
  });
  authUrl = router.url.replace(/\/ws$/, '/auth');
});

after(async () => {
  if (router) await router.stop();
});

// Opens a Connection to /auth with `options` and resolves with what happened: on onopen the
// connection is closed again and { opened: true, session, details } is returned; otherwise the
// final onclose's { opened: false, reason, details }. Both carry the challenges seen, the
// on_user_error / on_internal_error calls and every onclose.
function attempt(options) {
  return new Promise((resolve, reject) => {
    const record = { challenges: [], userErrors: [], internalErrors: [], closes: [] };
    const { onchallenge } = options;
    const connection = new autobahn.Connection({
      url: authUrl,
      realm: REALM,
      ...options,
      onchallenge:
        onchallenge === undefined
          ? undefined
          : (session, method, extra) => {
              record.challenges.push({ method, extra });
              return onchallenge(session, method, extra);
            },
      on_user_error: (err, msg) => record.userErrors.push({ err, msg }),
      on_internal_error: (err, msg) => record.internalErrors.push({ err, msg }),
    });
    const timer = setTimeout(() => {
      try {
        connection.close();
      } catch {
        // already closed
      }
      reject(new Error('no onopen/final onclose within 10 s'));
    }, 10000);
    connection.onopen = (session, details) => {
      Object.assign(record, {
        opened: true,
        session,
        details,
        sessionId: session.id,
        sessionAuth: {
          authid: session.authid,
          authrole: session.authrole,
          authmethod: session.authmethod,
          authprovider: session.authprovider,
          authextra: session.authextra,
        },
      });
      connection.close();
    };
    connection.onclose = (reason, details) => {
      record.closes.push({ reason, details, isRetrying: connection.isRetrying });
      if (details.will_retry) return;
      clearTimeout(timer);
      if (!record.opened) Object.assign(record, { opened: false, reason, details });
      // Let a (wrong) reconnect show up before the test looks.
      setImmediate(() => resolve(record));
    };
    connection.open();
  });
}

function assertOpened(r, expected) {
  assert.equal(r.opened, true, `expected onopen, got onclose ${JSON.stringify(r.details)}`);
  for (const [k, v] of Object.entries(expected)) assert.equal(r.details[k], v, `details.${k}`);
  assert.equal(r.details.authprovider, 'static');
  // The same on the session (while it was open).
  for (const k of ['authid', 'authrole', 'authmethod', 'authprovider']) {
    assert.equal(r.sessionAuth[k], r.details[k], `session.${k}`);
  }
  assert.deepEqual(r.sessionAuth.authextra, r.details.authextra);
  assert.equal(r.details.realm === undefined || r.details.realm === REALM, true);
  assert.equal(typeof r.sessionId, 'number');
  assert.deepEqual(r.userErrors, []);
  assert.deepEqual(r.internalErrors, []);
}

// The router's ABORT reaches onclose once, as Autobahn|JS reports it, and nothing retries.
function assertRefused(r, reason, messagePattern) {
  assert.equal(r.opened, false, 'expected the router to refuse the session');
  assert.equal(r.reason, 'closed');
  assert.equal(r.details.reason, reason, `details ${JSON.stringify(r.details)}`);
  assert.match(String(r.details.message), messagePattern);
  assert.equal(r.details.will_retry, false);
  assert.equal(r.closes.length, 1, 'onclose must be called exactly once (no reconnect loop)');
  assert.equal(r.closes[0].isRetrying, false);
  for (const s of SECRETS) assert.ok(!JSON.stringify(r.details).includes(s), 'a secret leaked into onclose details');
}

describe('anonymous', () => {
  test('authmethods ["anonymous"] joins as the configured role', async () => {
    const r = await attempt({ authmethods: ['anonymous'] });
    assertOpened(r, { authmethod: 'anonymous', authrole: 'guest' });
    assert.equal(typeof r.details.authid, 'string');
    assert.deepEqual(r.challenges, []);
  });

  test('no authmethods on a transport offering anonymous joins anonymously', async () => {
    const r = await attempt({});
    assertOpened(r, { authmethod: 'anonymous', authrole: 'guest' });
  });
});

describe('ticket', () => {
  test('the right ticket opens the session', async () => {
    const r = await attempt({ authmethods: ['ticket'], authid: 'ticket-user', onchallenge: () => TICKET });
    assertOpened(r, { authid: 'ticket-user', authrole: 'ticket-role', authmethod: 'ticket' });
    assert.deepEqual(r.challenges.map((c) => c.method), ['ticket']);
  });

  test('a promise of the ticket works too', async () => {
    const r = await attempt({
      authmethods: ['ticket'],
      authid: 'ticket-user',
      onchallenge: () => new Promise((resolve) => setTimeout(() => resolve(TICKET), 10)),
    });
    assertOpened(r, { authid: 'ticket-user', authmethod: 'ticket' });
  });

  test('a wrong ticket is refused with not_authorized', async () => {
    const r = await attempt({ authmethods: ['ticket'], authid: 'ticket-user', onchallenge: () => 'wrong-ticket' });
    assertRefused(r, 'wamp.error.not_authorized', /ticket .*invalid/);
  });

  test('an unknown authid is refused before any challenge', async () => {
    const r = await attempt({ authmethods: ['ticket'], authid: 'nobody', onchallenge: () => TICKET });
    assertRefused(r, 'wamp.error.not_authorized', /no principal with authid "nobody"/);
    assert.deepEqual(r.challenges, []);
  });
});

describe('WAMP-CRA', () => {
  test('a plain secret: auth_cra.sign(secret, extra.challenge)', async () => {
    const r = await attempt({
      authmethods: ['wampcra'],
      authid: 'cra-user',
      onchallenge: (session, method, extra) => auth_cra.sign(CRA_SECRET, extra.challenge),
    });
    assertOpened(r, { authid: 'cra-user', authrole: 'cra-role', authmethod: 'wampcra' });
    const extra = r.challenges[0].extra;
    assert.equal(typeof extra.challenge, 'string');
    assert.equal(extra.salt, undefined);
  });

  test('a salted secret: derive_key with the challenge salt, iterations and keylen', async () => {
    const r = await attempt({
      authmethods: ['wampcra'],
      authid: 'cra-salted',
      onchallenge: (session, method, extra) =>
        auth_cra.sign(auth_cra.derive_key(CRA_SALTED.secret, extra.salt, extra.iterations, extra.keylen), extra.challenge),
    });
    assertOpened(r, { authid: 'cra-salted', authrole: 'cra-role', authmethod: 'wampcra' });
    const { salt, iterations, keylen } = r.challenges[0].extra;
    assert.deepEqual({ salt, iterations, keylen }, { salt: CRA_SALTED.salt, iterations: CRA_SALTED.iterations, keylen: CRA_SALTED.keylen });
  });

  test('a wrong secret is refused', async () => {
    const r = await attempt({
      authmethods: ['wampcra'],
      authid: 'cra-user',
      onchallenge: (session, method, extra) => auth_cra.sign('not-the-secret', extra.challenge),
    });
    assertRefused(r, 'wamp.error.not_authorized', /WAMP-CRA client signature is invalid/);
  });

  test('a salted secret signed without deriving the key is refused', async () => {
    const r = await attempt({
      authmethods: ['wampcra'],
      authid: 'cra-salted',
      onchallenge: (session, method, extra) => auth_cra.sign(CRA_SALTED.secret, extra.challenge),
    });
    assertRefused(r, 'wamp.error.not_authorized', /signature is invalid/);
  });

  test('an unknown authid is refused', async () => {
    const r = await attempt({ authmethods: ['wampcra'], authid: 'nobody', onchallenge: () => 'x' });
    assertRefused(r, 'wamp.error.not_authorized', /nobody/);
  });
});

describe('WAMP-Cryptosign', () => {
  const keypair = auth_cryptosign.keypair_from_seed(CS_SEED);

  test('sign_challenge(keypair, extra) with the authid', async () => {
    const r = await attempt({
      authmethods: ['cryptosign'],
      authid: 'cs-user',
      authextra: { pubkey: auth_cryptosign.public_key(keypair) },
      onchallenge: (session, method, extra) => auth_cryptosign.sign_challenge(keypair, extra),
    });
    assertOpened(r, { authid: 'cs-user', authrole: 'cs-role', authmethod: 'cryptosign' });
    assert.match(r.challenges[0].extra.challenge, /^[0-9a-f]{64}$/);
  });

  test('without an authid the router finds the principal by its public key', async () => {
    const r = await attempt({
      authmethods: ['cryptosign'],
      authextra: { pubkey: CS_PUB },
      onchallenge: (session, method, extra) => auth_cryptosign.sign_challenge(keypair, extra),
    });
    assertOpened(r, { authid: 'cs-user', authrole: 'cs-role', authmethod: 'cryptosign' });
  });

  test('an unknown public key is refused', async () => {
    const other = auth_cryptosign.keypair_from_seed(CS_OTHER_SEED);
    const r = await attempt({
      authmethods: ['cryptosign'],
      authextra: { pubkey: auth_cryptosign.public_key(other) },
      onchallenge: (session, method, extra) => auth_cryptosign.sign_challenge(other, extra),
    });
    assertRefused(r, 'wamp.error.not_authorized', /no principal found for provided extra.pubkey/);
  });

  test('a signature by another key is refused', async () => {
    const other = auth_cryptosign.keypair_from_seed(CS_OTHER_SEED);
    const r = await attempt({
      authmethods: ['cryptosign'],
      authid: 'cs-user',
      authextra: { pubkey: CS_PUB },
      onchallenge: (session, method, extra) => auth_cryptosign.sign_challenge(other, extra),
    });
    assertRefused(r, 'wamp.error.not_authorized', /signature/);
  });
});

describe('WAMP-SCRAM (Crossbar flavour)', () => {
  for (const [authid, kdf] of [
    ['scram-argon', 'argon2id-13'],
    ['scram-pbkdf2', 'pbkdf2'],
  ]) {
    test(`${kdf}: sign() answers, verify_server_signature() checks the router`, async () => {
      const nonce = auth_scram.client_nonce();
      const r = await attempt({
        authmethods: ['scram'],
        authid,
        authextra: { nonce },
        onchallenge: (session, method, extra) => auth_scram.sign(SCRAM_PASSWORD, authid, nonce, extra),
      });
      assertOpened(r, { authid, authrole: 'scram-role', authmethod: 'scram' });
      const extra = r.challenges[0].extra;
      assert.equal(extra.kdf, kdf);
      assert.equal(auth_scram.verify_server_signature(nonce, r.details), true);
      assert.equal(auth_scram.verify_server_signature(nonce, r.details.authextra), true);
      const forged = Buffer.from(r.details.authextra.scram_server_signature, 'base64');
      forged[0] ^= 1;
      assert.equal(auth_scram.verify_server_signature(nonce, forged.toString('base64')), false);
      assert.equal(auth_scram.verify_server_signature(nonce, {}), false);
    });
  }

  test('a wrong password is refused', async () => {
    const nonce = auth_scram.client_nonce();
    const r = await attempt({
      authmethods: ['scram'],
      authid: 'scram-pbkdf2',
      authextra: { nonce },
      onchallenge: (session, method, extra) => auth_scram.sign('wrong password', 'scram-pbkdf2', nonce, extra),
    });
    assertRefused(r, 'wamp.error.not_authorized', /SCRAM authentication failed/);
  });

  test('an unknown authid is refused', async () => {
    const r = await attempt({ authmethods: ['scram'], authid: 'nobody', authextra: { nonce: auth_scram.client_nonce() }, onchallenge: () => 'x' });
    assertRefused(r, 'wamp.error.not_authorized', /no principal with authid "nobody"/);
  });

  test('a challenge not made for our nonce is refused by sign() (the client aborts)', async () => {
    const r = await attempt({
      authmethods: ['scram'],
      authid: 'scram-pbkdf2',
      authextra: { nonce: auth_scram.client_nonce() },
      // answers with a different client nonce than the one announced
      onchallenge: (session, method, extra) => auth_scram.sign(SCRAM_PASSWORD, 'scram-pbkdf2', auth_scram.client_nonce(), extra),
    });
    assertRefused(r, 'wamp.error.cannot_authenticate', /does not start with the client nonce/);
    assert.equal(r.userErrors.length, 1);
  });

  test('derive_credential matches Autobahn|Python derive_scram_credential', async () => {
    const salt = '00112233445566778899aabbccddeeff';
    const python = venvPython();
    const script =
      'import json,sys; from autobahn.wamp.auth import derive_scram_credential as d; ' +
      'print(json.dumps(d("x", sys.argv[1], bytes.fromhex(sys.argv[2]))))';
    const [ours, theirs] = await Promise.all([
      auth_scram.derive_credential(SCRAM_PASSWORD, { salt }),
      new Promise((resolve, reject) =>
        execFile(python, ['-c', script, SCRAM_PASSWORD, salt], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))))
      ),
    ]);
    assert.deepEqual(ours, theirs);
  });
});

describe('onchallenge problems end the session with wamp.error.cannot_authenticate', () => {
  test('a throwing onchallenge: on_user_error, and the router never gets a signature', async () => {
    const r = await attempt({
      authmethods: ['ticket'],
      authid: 'ticket-user',
      onchallenge: () => {
        throw new Error('no ticket here');
      },
    });
    assertRefused(r, 'wamp.error.cannot_authenticate', /no ticket here/);
    assert.equal(r.userErrors.length, 1);
    assert.equal(r.userErrors[0].err.message, 'no ticket here');
    assert.equal(r.userErrors[0].msg, 'onchallenge() raised: ', "Autobahn|JS's text");
  });

  test('a rejecting onchallenge', async () => {
    const r = await attempt({ authmethods: ['ticket'], authid: 'ticket-user', onchallenge: () => Promise.reject(new Error('later no')) });
    assertRefused(r, 'wamp.error.cannot_authenticate', /later no/);
    assert.equal(r.userErrors.length, 1);
  });

  test('no onchallenge: on_internal_error and a message naming the missing handler', async () => {
    const r = await attempt({ authmethods: ['ticket'], authid: 'ticket-user' });
    assertRefused(r, 'wamp.error.cannot_authenticate', /no onchallenge handler/);
    assert.equal(r.internalErrors.length, 1);
    assert.match(r.internalErrors[0].msg, /ticket/);
    assert.deepEqual(r.userErrors, []);
  });

  test('a helper error (bad seed) reaches on_user_error without the secret', async () => {
    const r = await attempt({
      authmethods: ['cryptosign'],
      authextra: { pubkey: CS_PUB },
      onchallenge: (session, method, extra) => auth_cryptosign.sign_challenge(CS_SEED.slice(0, 62) + 'zz', extra),
    });
    assertRefused(r, 'wamp.error.cannot_authenticate', /64 hex characters/);
    assert.ok(!r.userErrors[0].err.message.includes(CS_SEED.slice(0, 62)));
  });
});

describe('one transport, several methods: the client\'s authmethods order decides', () => {
  const onchallenge = (session, method, extra) => (method === 'ticket' ? MULTI.ticket : auth_cra.sign(MULTI.secret, extra.challenge));

  test('["ticket", "wampcra"] -> ticket', async () => {
    const r = await attempt({ authmethods: ['ticket', 'wampcra'], authid: 'multi', onchallenge });
    assertOpened(r, { authid: 'multi', authrole: 'ticket-role', authmethod: 'ticket' });
    assert.deepEqual(r.challenges.map((c) => c.method), ['ticket']);
  });

  test('["wampcra", "ticket"] -> wampcra', async () => {
    const r = await attempt({ authmethods: ['wampcra', 'ticket'], authid: 'multi', onchallenge });
    assertOpened(r, { authid: 'multi', authrole: 'cra-role', authmethod: 'wampcra' });
    assert.deepEqual(r.challenges.map((c) => c.method), ['wampcra']);
  });

  test('["cookie", "anonymous"] skips the method the transport lacks', async () => {
    const r = await attempt({ authmethods: ['cookie', 'anonymous'] });
    assertOpened(r, { authmethod: 'anonymous', authrole: 'guest' });
  });
});

// -------------------------------------------------------------------------------------------
// Helpers against the vectors of wamp-reference §6.3/§6.4 and against node:crypto.

describe('auth_cra helper', () => {
  test('reference vectors', () => {
    assert.equal(auth_cra.derive_key('L3L1YUE8Txlw', 'salt123', 1000, 32), 'qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=');
    assert.equal(auth_cra.derive_key('L3L1YUE8Txlw', 'salt123'), 'qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=');
    assert.equal(auth_cra.sign('L3L1YUE8Txlw', '[1, 2, 3]'), '1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0=');
  });

  test('agrees with node:crypto (PBKDF2 and HMAC over UTF-8, key = the Base64 text)', () => {
    for (const [secret, salt, iterations, keylen] of [
      ['pässwörd ✓', 'sält', 7, 20],
      ['', 'x', 1, 32],
      ['s', '', 1000, 64],
    ]) {
      const key = auth_cra.derive_key(secret, salt, iterations, keylen);
      assert.equal(key, crypto.pbkdf2Sync(Buffer.from(secret), Buffer.from(salt), iterations, keylen, 'sha256').toString('base64'));
      const challenge = '{"nonce": "ü", "authid": "peter"}';
      assert.equal(auth_cra.sign(key, challenge), crypto.createHmac('sha256', Buffer.from(key)).update(challenge).digest('base64'));
    }
  });

  test('bad arguments throw TypeErrors that do not contain the secret', () => {
    assert.throws(() => auth_cra.derive_key(42, 'salt'), { name: 'TypeError', message: /secret must be a string, got number/ });
    assert.throws(() => auth_cra.derive_key('topsecret', 'salt', -5), (e) => /iterations/.test(e.message) && !e.message.includes('topsecret'));
    assert.throws(() => auth_cra.derive_key('topsecret', 'salt', 1000, 4096), (e) => /keylen/.test(e.message) && !e.message.includes('topsecret'));
    assert.throws(() => auth_cra.sign('topsecret', undefined), (e) => e instanceof TypeError && !e.message.includes('topsecret'));
  });
});

describe('auth_cryptosign helper', () => {
  const CID = '62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff';
  const VECTORS = [
    [
      '4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510',
      '1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d',
      'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      'b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      '9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00',
    ],
    [
      'd511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd',
      '6ed32739ff04a6074044ff0b0e3bfc7c856bc9d5f1d25efc57363bda0af3a8b0',
      'b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d',
      'd4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d',
      '305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282',
    ],
    [
      '6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b',
      '28e11f427b82b9a625ee7ac89a7d29326b505f2dc11dd88c1245f83b6da79a85',
      'b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2',
      '7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711d3d5658fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2',
      'ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31602a6ff99eba893e0a4ad4d45892ca75e608d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a44202f2902d',
    ],
  ];

  test('public_key and sign_challenge: reference vectors, seed as hex, Buffer or Uint8Array', () => {
    for (const [seed, pub, challenge, signature] of VECTORS) {
      for (const s of [seed, Buffer.from(seed, 'hex'), new Uint8Array(Buffer.from(seed, 'hex'))]) {
        const kp = auth_cryptosign.keypair_from_seed(s);
        assert.equal(auth_cryptosign.public_key(kp), pub);
        assert.equal(auth_cryptosign.sign_challenge(kp, { challenge, channel_binding: null }), signature);
      }
      // a seed where a key pair is expected, and an Autobahn-style challenge object
      assert.equal(auth_cryptosign.public_key(seed), pub);
      assert.equal(auth_cryptosign.sign_challenge(seed, { method: 'cryptosign', extra: { challenge } }), signature);
    }
  });

  test('channel binding rows: sign challenge XOR channel id', () => {
    for (const [seed, , challenge, , signature] of VECTORS) {
      const kp = auth_cryptosign.keypair_from_seed(seed);
      assert.equal(auth_cryptosign.sign_challenge(kp, { challenge, channel_binding: 'tls-unique' }, CID), signature);
      assert.equal(auth_cryptosign.sign_challenge(kp, { challenge }, Buffer.from(CID, 'hex')), signature);
    }
    assert.throws(
      () => auth_cryptosign.sign_challenge(VECTORS[0][0], { challenge: VECTORS[0][2], channel_binding: 'tls-unique' }),
      /channel binding 'tls-unique'; pass the channel id/
    );
  });

  test('key pairs have tweetnacl\'s shape and hide the secret key from logs', () => {
    const kp = auth_cryptosign.keypair_from_seed(CS_SEED);
    assert.equal(kp.publicKey.length, 32);
    assert.equal(Buffer.from(kp.secretKey).toString('hex'), CS_SEED + CS_PUB);
    assert.ok(!require('node:util').inspect(kp).includes('secretKey'));
    assert.ok(!JSON.stringify(kp).includes('secretKey'));
    // a tweetnacl-style object made elsewhere signs the same
    const plain = { publicKey: kp.publicKey, secretKey: new Uint8Array(kp.secretKey) };
    const challenge = VECTORS[1][2];
    assert.equal(auth_cryptosign.sign_challenge(plain, { challenge }), VECTORS[1][3]);
  });

  test('generate_keypair signs what node:crypto verifies', () => {
    const kp = auth_cryptosign.generate_keypair();
    const challenge = crypto.randomBytes(32).toString('hex');
    const sig = auth_cryptosign.sign_challenge(kp, { challenge });
    assert.equal(sig.length, 192);
    assert.equal(sig.slice(128), challenge);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(kp.publicKey)]);
    const key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    assert.equal(crypto.verify(null, Buffer.from(challenge, 'hex'), key, Buffer.from(sig.slice(0, 128), 'hex')), true);
  });

  test('bad seeds and challenges throw without echoing the seed', () => {
    const leaks = (e) => e.message.includes(CS_SEED.slice(0, 20));
    assert.throws(() => auth_cryptosign.keypair_from_seed(CS_SEED.slice(0, 60)), (e) => e instanceof TypeError && !leaks(e));
    assert.throws(() => auth_cryptosign.keypair_from_seed(Buffer.alloc(31)), /32 bytes, got 31/);
    assert.throws(() => auth_cryptosign.sign_challenge(CS_SEED, {}), /no 'challenge' hex string/);
    assert.throws(() => auth_cryptosign.sign_challenge(CS_SEED, { challenge: 'xyz' }), (e) => /challenge/.test(e.message) && !leaks(e));
    assert.throws(() => auth_cryptosign.sign_challenge({}, { challenge: 'ab' }), /secretKey/);
  });
});

describe('auth_scram helper', () => {
  test('client_nonce is Base64 of 16 random bytes', () => {
    const a = auth_scram.client_nonce();
    assert.equal(Buffer.from(a, 'base64').length, 16);
    assert.notEqual(a, auth_scram.client_nonce());
  });

  test('sign rejects (never throws) on bad input, without the password', async () => {
    const nonce = auth_scram.client_nonce();
    await assert.rejects(auth_scram.sign(SCRAM_PASSWORD, 'alice', nonce, null), /extra must be the CHALLENGE extra object/);
    await assert.rejects(
      auth_scram.sign(SCRAM_PASSWORD, 'alice', nonce, { nonce, salt: 'AAAA', kdf: 'scrypt', iterations: 1 }),
      (e) => /unknown KDF 'scrypt'/.test(e.message) && !e.message.includes(SCRAM_PASSWORD)
    );
    await assert.rejects(auth_scram.sign(42, 'alice', nonce, {}), /password must be a string/);
  });

  test('verify_server_signature needs a sign() for that nonce first', () => {
    assert.throws(() => auth_scram.verify_server_signature(auth_scram.client_nonce(), 'AAAA'), /has not answered a challenge/);
  });
});

describe('AUTOBAHN_DEBUG with authentication', () => {
  test('logs the exchange but never the ticket', { timeout: 20000 }, async () => {
    const script = `
      globalThis.AUTOBAHN_DEBUG = true;
      const autobahn = require(${JSON.stringify(path.join(__dirname, '..'))});
      const c = new autobahn.Connection({
        url: process.argv[1], realm: ${JSON.stringify(REALM)}, max_retries: 0,
        authmethods: ['ticket'], authid: 'ticket-user', onchallenge: () => process.argv[2],
      });
      c.onopen = () => c.close();
      c.open();`;
    const child = spawn(process.execPath, ['-e', script, authUrl, TICKET], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /AUTOBAHN_DEBUG: WAMP received \[4,"ticket",/, 'the CHALLENGE is logged');
    assert.match(out, /AUTOBAHN_DEBUG: WAMP sent \[5,"<redacted>",\{\}\]/, 'the AUTHENTICATE is logged, redacted');
    assert.match(out, /AUTOBAHN_DEBUG: WAMP received \[2,/, 'the WELCOME is logged');
    assert.ok(!out.includes(TICKET), 'the ticket never appears');
  });
});
