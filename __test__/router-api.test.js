// autobahn.Router's JavaScript side: option normalisation and validation, the translation of a
// Crossbar.io node config, the answers to dynamic authentication requests, and the
// autobahn-router CLI's argument handling. The tests at the end need the native router and are
// skipped while the addon has none.
'use strict';

const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { describe, test } = require('node:test');

const autobahn = require('..');
const { Router, WARNING_CODE } = require('../lib/router.js');
const { openSession, closeConnection, withTimeout } = require('./helpers/session');
const { openRawWebSocket } = require('./helpers/raw');

const native = { skip: !require('../native.js').NativeRouter && 'native router not built' };
const CLI = path.join(__dirname, '..', 'bin', 'autobahn-router.js');
const TEMPLATE = path.join(__dirname, '..', 'scripts', 'crossbar-config.json');
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIIBfake\n-----END PRIVATE KEY-----\n';
const EVERYTHING = {
  uri: '',
  match: 'prefix',
  allow: { call: true, register: true, publish: true, subscribe: true },
  disclose: { caller: true, publisher: true },
};

// Stands in for the addon's NativeRouter: records what the Router hands it and lets a test
// send it events.
class FakeNativeRouter {
  constructor(onEvent) {
    FakeNativeRouter.last = this;
    this.onEvent = onEvent;
    this.decisions = [];
    this.stopped = false;
  }
  start(configJson) {
    this.config = JSON.parse(configJson);
    // The native answer: {listening: [{type, url}]}, or {error, code} when it cannot start.
    return Promise.resolve(
      JSON.stringify({
        listening: this.config.transports.map((t, i) => ({
          type: t.type,
          url: t.type === 'rawsocket' ? `rs://127.0.0.1:${40000 + i}` : `ws://127.0.0.1:${40000 + i}${t.path}`,
        })),
      })
    );
  }
  stop() {
    this.stopped = true;
    return Promise.resolve();
  }
  authDecision(id, principalJson, denial) {
    this.decisions.push({ id, principal: principalJson === null ? null : JSON.parse(principalJson), denial });
    if (this.onDecision) this.onDecision();
  }
  sessionCount() {
    return 0;
  }
}

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-router-api-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function templateWithPort(port) {
  return JSON.parse(fs.readFileSync(TEMPLATE, 'utf8').replace('"%%PORT%%"', JSON.stringify(String(port))));
}

// fromCrossbarConfig with process.emitWarning recorded instead of printed.
function fromCrossbar(t, config, extra) {
  const warn = t.mock.method(process, 'emitWarning', () => {});
  const router = Router.fromCrossbarConfig(config, extra);
  const calls = warn.mock.calls.map((c) => ({ message: c.arguments[0], options: c.arguments[1] }));
  warn.mock.restore();
  return { router, warnings: calls };
}

describe('Router options', () => {
  test('with no options: realm1, anonymous may do everything, one WebSocket transport on a free loopback port', () => {
    const router = new Router();
    assert.deepEqual(router.config, {
      realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [EVERYTHING] }] }],
      auto_create_realms: false,
      transports: [
        { type: 'websocket', host: '127.0.0.1', port: 0, path: '/ws', serializers: ['json', 'msgpack', 'cbor'] },
      ],
    });
    assert.deepEqual(router.warnings, []);
    assert.equal(router.url, null);
    assert.deepEqual(router.transports, []);
    assert.equal(autobahn.Router, Router);
  });

  test('given values are kept, missing ones defaulted', () => {
    const router = new Router({
      realms: [
        {
          name: 'com.example',
          roles: [{ name: 'frontend', permissions: [{ uri: 'com.example.', match: 'prefix', allow: { call: true } }] }],
        },
        { name: 'open' },
      ],
      transports: [
        { type: 'rawsocket', port: 8081, serializers: ['msgpack'], max_message_size: 1024 },
        { type: 'universal', host: '::1', path: 'wamp' },
        { unix: '/tmp/x.sock' },
      ],
      auto_create_realms: true,
      max_queued_messages: 50,
      join_timeout: 2.5,
    });
    const c = router.config;
    assert.deepEqual(c.realms[0].roles[0].permissions, [
      {
        uri: 'com.example.',
        match: 'prefix',
        allow: { call: true, register: false, publish: false, subscribe: false },
        disclose: { caller: false, publisher: false },
      },
    ]);
    assert.deepEqual(c.realms[1].roles, [{ name: 'anonymous', permissions: [EVERYTHING] }]);
    assert.deepEqual(c.auto_realm_roles, [{ name: 'anonymous', permissions: [EVERYTHING] }]);
    assert.deepEqual(c.transports[0], {
      type: 'rawsocket',
      host: '127.0.0.1',
      port: 8081,
      path: '/ws',
      serializers: ['msgpack'],
      max_message_size: 1024,
    });
    assert.equal(c.transports[1].host, '::1');
    assert.equal(c.transports[1].path, '/wamp');
    assert.deepEqual(c.transports[2], {
      type: 'websocket',
      unix: '/tmp/x.sock',
      path: '/ws',
      serializers: ['json', 'msgpack', 'cbor'],
    });
    assert.equal(c.max_queued_messages, 50);
    assert.equal(c.join_timeout, 2.5);
  });

  const invalid = [
    ['an unknown top-level key', { realm: 'x' }, TypeError, /unknown option options\.realm\b/],
    [
      'a bad transport type',
      { transports: [{ type: 'http' }] },
      RangeError,
      /options\.transports\[0\]\.type must be one of websocket, rawsocket, universal, got "http"/,
    ],
    [
      'a port out of range',
      { transports: [{ port: 70000 }] },
      RangeError,
      /options\.transports\[0\]\.port must be an integer from 0 to 65535/,
    ],
    ['a port string', { transports: [{ port: '8080' }] }, TypeError, /options\.transports\[0\]\.port must be a number/],
    [
      'an unknown serializer',
      { transports: [{ serializers: ['json', 'ubjson'] }] },
      RangeError,
      /serializers\[1\] must be one of json, msgpack, cbor/,
    ],
    ['no serializer', { transports: [{ serializers: [] }] }, RangeError, /serializers must name at least one/],
    ['no transport', { transports: [] }, RangeError, /options\.transports must list at least one/],
    [
      'unix and port',
      { transports: [{ unix: '/tmp/s', port: 1 }] },
      TypeError,
      /transports\[0\]: unix listens on a socket file/,
    ],
    [
      'a path on rawsocket',
      { transports: [{ type: 'rawsocket', path: '/ws' }] },
      TypeError,
      /transports\[0\]\.path: a rawsocket transport has no HTTP path/,
    ],
    [
      'a realm name with a space',
      { realms: [{ name: 'my realm' }] },
      RangeError,
      /options\.realms\[0\]\.name must be a WAMP URI/,
    ],
    [
      'a realm twice',
      { realms: [{ name: 'a' }, { name: 'a' }] },
      RangeError,
      /realms\[1\]\.name: realm "a" appears twice/,
    ],
    [
      'a bad match policy',
      { realms: [{ name: 'a', roles: [{ name: 'r', permissions: [{ uri: 'x', match: 'regex' }] }] }] },
      RangeError,
      /permissions\[0\]\.match must be one of exact, prefix, wildcard/,
    ],
    [
      'a non-boolean allow',
      { realms: [{ name: 'a', roles: [{ name: 'r', permissions: [{ uri: 'x', allow: { call: 'yes' } }] }] }] },
      TypeError,
      /permissions\[0\]\.allow\.call must be true or false/,
    ],
    [
      'an unknown allow key',
      { realms: [{ name: 'a', roles: [{ name: 'r', permissions: [{ uri: 'x', allow: { invoke: true } }] }] }] },
      TypeError,
      /unknown option .*allow\.invoke/,
    ],
    [
      'an empty exact URI',
      { realms: [{ name: 'a', roles: [{ name: 'r', permissions: [{ uri: '' }] }] }] },
      RangeError,
      /permissions\[0\]\.uri must be a non-empty string/,
    ],
    ['a negative join_timeout', { join_timeout: -1 }, RangeError, /options\.join_timeout must be a positive number/],
    [
      'a zero max_queued_messages',
      { max_queued_messages: 0 },
      RangeError,
      /options\.max_queued_messages must be an integer/,
    ],
    [
      'an authenticator that is not a function',
      { authenticator: 'com.example.auth' },
      TypeError,
      /options\.authenticator must be a function/,
    ],
    [
      'a log that is not a function',
      { log: true },
      TypeError,
      /options\.log must be a function \(level, message\) or false/,
    ],
    [
      'dynamic auth without an authenticator',
      { transports: [{ auth: { ticket: { type: 'dynamic' } } }] },
      TypeError,
      /auth type "dynamic" but options\.authenticator is not set/,
    ],
    [
      'static auth without principals',
      { transports: [{ auth: { ticket: { type: 'static' } } }] },
      TypeError,
      /auth\.ticket\.principals is required/,
    ],
    [
      'an unknown auth method',
      { transports: [{ auth: { tls: {} } }] },
      TypeError,
      /unknown option options\.transports\[0\]\.auth\.tls/,
    ],
    [
      'a principal key of another method',
      { transports: [{ auth: { ticket: { principals: { joe: { secret: 'x', role: 'r' } } } } }] },
      TypeError,
      /unknown option .*principals\["joe"\]\.secret/,
    ],
    [
      'a static principal without a role',
      { transports: [{ auth: { ticket: { principals: { joe: { ticket: 'x' } } } } }] },
      TypeError,
      /auth\.ticket\.principals\["joe"\]\.role must be a string/,
    ],
    [
      'a bad cryptosign key',
      { transports: [{ auth: { cryptosign: { principals: { joe: { role: 'r', authorized_keys: ['abc'] } } } } }] },
      RangeError,
      /authorized_keys\[0\] must be a hex Ed25519 public key/,
    ],
    [
      'tls without a key',
      { transports: [{ tls: { cert: CERT_PEM } }] },
      TypeError,
      /options\.transports\[0\]\.tls\.key is required/,
    ],
    [
      'tls with cert and certificate',
      { transports: [{ tls: { cert: CERT_PEM, certificate: CERT_PEM, key: KEY_PEM } }] },
      TypeError,
      /give cert or certificate, not both/,
    ],
  ];
  for (const [what, options, Kind, message] of invalid) {
    test(`refuses ${what}`, () => {
      assert.throws(
        () => new Router(options),
        (err) => err instanceof Kind && message.test(err.message),
        `expected ${Kind.name} ${message}`
      );
    });
  }

  test('auth sections: Crossbar.io wampcra users become principals; PEM text or file paths for TLS', (t) => {
    const dir = tmpDir(t);
    fs.writeFileSync(path.join(dir, 'cert.pem'), CERT_PEM);
    const key = 'A'.repeat(64);
    const router = new Router({
      transports: [
        {
          tls: { cert: path.join(dir, 'cert.pem'), key: KEY_PEM },
          auth: {
            anonymous: { type: 'static' },
            ticket: { type: 'static', principals: { joe: { ticket: 'secret!', role: 'user' } } },
            wampcra: {
              type: 'static',
              users: {
                peter: {
                  secret: 'prq7+YkJ1/KlW1X0YczMHw==',
                  role: 'user',
                  salt: 'salt123',
                  iterations: 100,
                  keylen: 16,
                },
              },
            },
            cryptosign: {
              type: 'static',
              principals: { client: { realm: 'realm1', role: 'user', authorized_keys: [key] } },
            },
          },
        },
      ],
    });
    const t0 = router.config.transports[0];
    assert.deepEqual(t0.tls, { certificate: CERT_PEM, key: KEY_PEM });
    assert.deepEqual(t0.auth, {
      anonymous: { type: 'static', role: 'anonymous' },
      ticket: { type: 'static', principals: { joe: { ticket: 'secret!', role: 'user' } } },
      wampcra: {
        type: 'static',
        principals: {
          peter: { secret: 'prq7+YkJ1/KlW1X0YczMHw==', role: 'user', salt: 'salt123', iterations: 100, keylen: 16 },
        },
      },
      cryptosign: {
        type: 'static',
        principals: { client: { realm: 'realm1', role: 'user', authorized_keys: [key.toLowerCase()] } },
      },
    });
    assert.throws(
      () => new Router({ transports: [{ tls: { cert: path.join(dir, 'missing.pem'), key: KEY_PEM } }] }),
      /options\.transports\[0\]\.tls\.cert: cannot read .*missing\.pem/
    );
  });
});

describe('Router.fromCrossbarConfig', () => {
  test('the test router config: same realm, role and universal transport; the port string becomes a number', (t) => {
    const { router, warnings } = fromCrossbar(t, templateWithPort(8080));
    assert.deepEqual(router.config, {
      realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [EVERYTHING] }] }],
      auto_create_realms: false,
      transports: [
        { type: 'universal', host: '127.0.0.1', port: 8080, path: '/ws', serializers: ['json', 'msgpack', 'cbor'] },
      ],
    });
    assert.deepEqual(router.warnings, []);
    assert.deepEqual(warnings, [], 'a config that translates completely warns about nothing');
  });

  test('reads a path to config.json or to the directory holding it', (t) => {
    const dir = tmpDir(t);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(templateWithPort(9000)));
    for (const arg of [dir, path.join(dir, 'config.json')]) {
      const { router } = fromCrossbar(t, arg);
      assert.equal(router.config.transports[0].port, 9000);
    }
    assert.throws(() => Router.fromCrossbarConfig(path.join(dir, 'nope.json')), /cannot read .*nope\.json/);
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'version: 2\n');
    assert.throws(() => Router.fromCrossbarConfig(path.join(dir, 'config.yaml')), /is not JSON/);
  });

  test('a port that is not a number is refused by name', () => {
    assert.throws(
      () => Router.fromCrossbarConfig(JSON.parse(fs.readFileSync(TEMPLATE, 'utf8'))),
      (err) =>
        err instanceof RangeError &&
        /workers\[0\]\.transports\[0\]\.endpoint\.port must be a port number .*"%%PORT%%"/.test(err.message)
    );
  });

  test('a config without a router worker or without a usable transport is refused', () => {
    assert.throws(
      () => Router.fromCrossbarConfig({ version: 2, workers: [{ type: 'container' }] }),
      /no router worker/
    );
    assert.throws(() => Router.fromCrossbarConfig({ version: 1, workers: [] }), /only config version 2/);
    assert.throws(
      () =>
        Router.fromCrossbarConfig({
          version: 2,
          workers: [
            { type: 'router', realms: [], transports: [{ type: 'mqtt', endpoint: { type: 'tcp', port: 1883 } }] },
          ],
        }),
      /no transport the embedded router can serve/
    );
  });

  test('auth sections, TLS files relative to the config, unix endpoints, and one warning naming every ignored part', (t) => {
    const dir = tmpDir(t);
    fs.writeFileSync(path.join(dir, 'server.crt'), CERT_PEM);
    fs.writeFileSync(path.join(dir, 'server.key'), KEY_PEM);
    const chain = CERT_PEM.replace('fake', 'chain');
    fs.writeFileSync(path.join(dir, 'chain.crt'), chain);
    const pubkey = 'b'.repeat(64);
    const config = {
      version: 2,
      controller: { id: 'node1', options: { title: 'x' } },
      workers: [
        {
          type: 'router',
          options: { pythonpath: ['..'] },
          realms: [
            {
              name: 'realm1',
              store: { type: 'memory' },
              roles: [
                { name: 'user', permissions: [{ uri: 'com.example.*', allow: { call: true, subscribe: true } }] },
                { name: 'backend', authorizer: 'com.example.authorize' },
              ],
            },
          ],
          transports: [
            {
              type: 'universal',
              endpoint: {
                type: 'tcp',
                port: '8443',
                backlog: 1024,
                tls: {
                  certificate: 'server.crt',
                  key: 'server.key',
                  chain_certificates: ['chain.crt'],
                  ciphers: 'ECDHE',
                },
              },
              rawsocket: { serializers: ['cbor', 'msgpack', 'ujson', 'json'] },
              websocket: {
                ws: {
                  type: 'websocket',
                  serializers: ['cbor', 'msgpack', 'ujson', 'json'],
                  options: { max_message_size: 1048576, auto_ping_interval: 10000 },
                  auth: {
                    ticket: { type: 'static', principals: { joe: { ticket: 'secret', role: 'user' } } },
                    wampcra: { type: 'static', users: { peter: { secret: 'pw', role: 'user' } } },
                    cryptosign: {
                      type: 'static',
                      principals: { client: { realm: 'realm1', role: 'user', authorized_keys: [pubkey] } },
                    },
                    cookie: {},
                  },
                },
              },
              web: { paths: { '/': { type: 'static', directory: '../web' }, info: { type: 'nodeinfo' } } },
            },
            {
              type: 'websocket',
              endpoint: { type: 'tcp', port: 8080, interface: '127.0.0.1' },
              serializers: ['json', 'ubjson'],
              auth: { anonymous: { type: 'static', role: 'user' } },
            },
            { type: 'rawsocket', endpoint: { type: 'unix', path: 'router.sock' }, serializers: ['msgpack'] },
          ],
          components: [{ type: 'class', classname: 'backend.Backend', realm: 'realm1' }],
        },
        { type: 'container', components: [] },
        { type: 'guest', executable: 'node', arguments: ['backend.js'] },
        { type: 'proxy' },
      ],
    };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const { router, warnings } = fromCrossbar(t, path.join(dir, 'config.json'));
    const c = router.config;
    assert.deepEqual(c.realms, [
      {
        name: 'realm1',
        roles: [
          {
            name: 'user',
            permissions: [
              {
                uri: 'com.example.',
                match: 'prefix',
                allow: { call: true, register: false, publish: false, subscribe: true },
                disclose: { caller: false, publisher: false },
              },
            ],
          },
          { name: 'backend', permissions: [] },
        ],
      },
    ]);
    assert.deepEqual(c.transports[0], {
      type: 'universal',
      host: '0.0.0.0',
      port: 8443,
      path: '/ws',
      serializers: ['cbor', 'msgpack', 'json'],
      tls: { certificate: CERT_PEM + chain, key: KEY_PEM },
      max_message_size: 1048576,
      auth: {
        ticket: { type: 'static', principals: { joe: { ticket: 'secret', role: 'user' } } },
        wampcra: { type: 'static', principals: { peter: { secret: 'pw', role: 'user' } } },
        cryptosign: {
          type: 'static',
          principals: { client: { realm: 'realm1', role: 'user', authorized_keys: [pubkey] } },
        },
      },
    });
    assert.deepEqual(c.transports[1], {
      type: 'websocket',
      host: '127.0.0.1',
      port: 8080,
      path: '/ws',
      serializers: ['json'],
      auth: { anonymous: { type: 'static', role: 'user' } },
    });
    assert.deepEqual(c.transports[2], {
      type: 'rawsocket',
      unix: path.join(dir, 'router.sock'),
      path: '/ws',
      serializers: ['msgpack'],
    });

    assert.equal(warnings.length, 1, 'exactly one process warning');
    assert.equal(warnings[0].options.code, WARNING_CODE);
    const expected = [
      'controller',
      'workers[0].options',
      'workers[0].realms[0].store',
      'workers[0].realms[0].roles[1].authorizer',
      'workers[0].transports[0].endpoint.backlog',
      'workers[0].transports[0].endpoint.tls.ciphers',
      'workers[0].transports[0].websocket["ws"].options.auto_ping_interval',
      'workers[0].transports[0].websocket["ws"].auth.cookie',
      'workers[0].transports[0].web.paths["/"]',
      'workers[0].transports[0].web.paths["info"]',
      'workers[0].transports[0]: RawSocket without an auth section',
      'workers[0].transports[1].serializers: serializer "ubjson"',
      'workers[0].components[0] (component class backend.Backend)',
      'workers[1] (container worker)',
      'workers[2] (guest worker)',
      'workers[3] (proxy worker)',
    ];
    for (const what of expected) {
      assert.ok(
        router.warnings.some((w) => w.startsWith(what)),
        `router.warnings names ${what}: ${JSON.stringify(router.warnings, null, 1)}`
      );
      assert.ok(warnings[0].message.includes(what), `the process warning names ${what}`);
    }
    assert.equal(router.warnings.length, expected.length, JSON.stringify(router.warnings, null, 1));
  });

  test('a dynamic method needs an authenticator function; the procedure URI is named as not called', (t) => {
    const config = templateWithPort(0);
    config.workers[0].transports[0].websocket.ws.auth = {
      ticket: { type: 'dynamic', authenticator: 'com.example.authenticate' },
    };
    assert.throws(
      () => Router.fromCrossbarConfig(config),
      /options\.authenticator is not set \(with Router\.fromCrossbarConfig, pass it as the second argument/
    );
    const { router, warnings } = fromCrossbar(t, config, { authenticator: () => 'user' });
    assert.deepEqual(router.config.transports[0].auth, { ticket: { type: 'dynamic', principals: {} } });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].message, /auth\.ticket\.authenticator \(WAMP procedure "com\.example\.authenticate"/);
  });
});

describe('Router lifecycle and dynamic authentication (JavaScript side, fake native router)', () => {
  test('start() reports the listening transports; a second start() rejects; stop() releases', async () => {
    const router = new Router(
      { transports: [{ type: 'rawsocket' }, { type: 'universal' }] },
      { NativeRouter: FakeNativeRouter }
    );
    await router.stop(); // before start: nothing to do
    assert.equal(await router.start(), router);
    assert.deepEqual(FakeNativeRouter.last.config, router.config);
    assert.equal(router.url, 'ws://127.0.0.1:40001/ws', 'the first WebSocket-capable transport');
    assert.deepEqual(router.transports, [
      { type: 'rawsocket', url: 'rs://127.0.0.1:40000' },
      { type: 'universal', url: 'ws://127.0.0.1:40001/ws' },
    ]);
    await assert.rejects(router.start(), (err) => err.code === 'ROUTER_STARTED' && /already started/.test(err.message));
    const native = FakeNativeRouter.last;
    await router.stop();
    assert.equal(native.stopped, true);
    assert.equal(router.url, null);
  });

  test('a failed start rejects with the native error and leaves the router startable; stop() during start waits for it', async () => {
    let failNext = true;
    class Flaky extends FakeNativeRouter {
      start(configJson) {
        if (!failNext) return super.start(configJson);
        failNext = false;
        return Promise.resolve(
          JSON.stringify({ error: 'cannot listen on 127.0.0.1:0: address in use', code: 'ROUTER_LISTEN' })
        );
      }
    }
    const router = new Router({}, { NativeRouter: Flaky });
    await assert.rejects(router.start(), { code: 'ROUTER_LISTEN', message: /address in use/ });
    assert.equal(router._keepAlive, null, 'a failed start holds nothing');
    const started = router.start();
    const stopped = router.stop();
    await started;
    await stopped;
    assert.equal(FakeNativeRouter.last.stopped, true);
    assert.equal(router.isRunning, false);
    assert.equal(router.url, null);
  });

  test('log events reach options.log', async () => {
    const lines = [];
    const router = new Router(
      { log: (level, message) => lines.push([level, message]) },
      { NativeRouter: FakeNativeRouter }
    );
    await router.start();
    FakeNativeRouter.last.onEvent('log', JSON.stringify({ level: 'info', message: 'session 1 joined realm1' }));
    await router.stop();
    assert.deepEqual(lines, [['info', 'session 1 joined realm1']]);
  });

  // Sends one auth request through the fake and resolves with the decision the Router gave.
  async function decide(authenticator, request = {}) {
    const router = new Router(
      { authenticator, log: false, transports: [{ auth: { ticket: { type: 'dynamic' } } }] },
      { NativeRouter: FakeNativeRouter }
    );
    await router.start();
    const native = FakeNativeRouter.last;
    const decided = new Promise((resolve) => (native.onDecision = resolve));
    native.onEvent(
      'auth',
      JSON.stringify(
        Object.assign(
          { id: 7, realm: 'realm1', authid: 'joe', authmethod: 'ticket', details: { ticket: 'pw' } },
          request
        )
      )
    );
    await withTimeout(decided, 2000, 'the auth decision');
    await router.stop();
    assert.equal(native.decisions.length, 1, 'exactly one answer');
    return native.decisions[0];
  }

  test('the authenticator gets (realm, authid, details with authmethod); its principal allows', async () => {
    let args;
    const d = await decide(async (...a) => {
      args = a;
      return { role: 'user', ticket: 'pw', extra: { x: 1 } };
    });
    assert.deepEqual(args, ['realm1', 'joe', { authmethod: 'ticket', ticket: 'pw' }]);
    assert.deepEqual(d, { id: 7, principal: { role: 'user', ticket: 'pw', extra: { x: 1 } }, denial: null });
    assert.deepEqual((await decide(() => 'user')).principal, { role: 'user' }, 'a role name is a principal');
  });

  test('a throw, a rejection or an unusable answer denies with a message', async () => {
    assert.deepEqual(
      await decide(() => {
        throw new Error('unknown user joe');
      }),
      { id: 7, principal: null, denial: 'unknown user joe' }
    );
    assert.equal((await decide(() => Promise.reject('no such user'))).denial, 'no such user');
    assert.equal(
      (await decide(() => Promise.reject(new autobahn.Error('com.example.denied')))).denial,
      'com.example.denied'
    );
    assert.match((await decide(() => undefined)).denial, /must return a role name or a principal object/);
    assert.match((await decide(() => ({ authrole: 'user' }))).denial, /unknown principal key "authrole"/);
    assert.match((await decide(() => ({ extra: {} }))).denial, /must return a principal with a role/);
  });
});

// ---------------------------------------------------------------------------------------------
// the CLI

function runCli(args, opts = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 10000, ...opts });
}

describe('autobahn-router CLI arguments', () => {
  for (const args of [
    ['--bogus'],
    ['--port'],
    ['--port', 'http'],
    ['--port', '70000'],
    ['extra'],
    ['--config', 'x.json', '--realm', 'r'],
    ['--realm', 'not a uri'],
  ]) {
    test(`exit 2 with the usage for ${args.join(' ')}`, () => {
      const res = runCli(args);
      assert.equal(res.status, 2, res.stderr);
      assert.match(res.stderr, /usage: autobahn-router/);
      assert.equal(res.stdout, '');
    });
  }

  test('--help prints the usage and exits 0', () => {
    const res = runCli(['--help']);
    assert.equal(res.status, 0);
    assert.match(res.stdout, /usage: autobahn-router/);
  });

  test('a config it cannot read or use: exit 1 with the reason', (t) => {
    const dir = tmpDir(t);
    let res = runCli(['--config', path.join(dir, 'missing.json')]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /cannot read .*missing\.json/);
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ transports: [{ type: 'http' }] }));
    res = runCli(['--config', path.join(dir, 'bad.json')]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /options\.transports\[0\]\.type must be one of/);
  });
});

// ---------------------------------------------------------------------------------------------
// with the native router

// Resolves { proc, lines } once the CLI printed `autobahn-router ready`.
function startCli(args) {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  const ready = new Promise((resolve, reject) => {
    const lines = [];
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (line === 'autobahn-router ready') resolve(lines);
      }
    });
    exited.then(({ code, signal }) => reject(new Error(`CLI exited (${code ?? signal}) before ready: ${stderr}`)));
  });
  return { proc, ready, exited };
}

describe('Router with the native router', () => {
  test(
    'start() listens on a free loopback port; a client joins; stop() ends its session with system_shutdown',
    native,
    async () => {
      const router = new Router({ log: false });
      await router.start();
      try {
        assert.match(router.url, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
        assert.notEqual(router.url, 'ws://127.0.0.1:0/ws');
        assert.deepEqual(router.transports, [{ type: 'websocket', url: router.url }]);
        const { connection, session, details } = await openSession(router.url, { realm: 'realm1' });
        assert.equal(details.authrole, 'anonymous');
        await session.register('com.example.add2', (args) => args[0] + args[1]);
        assert.equal(await session.call('com.example.add2', [2, 3]), 5);
        assert.equal(router.sessionCount, 1);
        const closed = new Promise((resolve) => (connection.onclose = (reason, details) => resolve(details)));
        await router.stop();
        assert.equal((await withTimeout(closed, 5000, 'onclose after stop()')).reason, 'wamp.close.system_shutdown');
        assert.equal(router.url, null);
      } finally {
        await router.stop();
      }
    }
  );

  test('start() twice rejects; a taken port rejects with ROUTER_LISTEN', native, async (t) => {
    const router = new Router({ log: false });
    await router.start();
    t.after(() => router.stop());
    await assert.rejects(router.start(), { code: 'ROUTER_STARTED' });
    const port = Number(new URL(router.url).port);
    const second = new Router({ log: false, transports: [{ port }] });
    t.after(() => second.stop()); // should it start after all, it must not hold the test process
    await assert.rejects(second.start(), { code: 'ROUTER_LISTEN' });
  });

  test('a started router keeps Node alive; after stop() nothing holds the event loop', native, async () => {
    const script = `
      const { Router } = require(${JSON.stringify(path.join(__dirname, '..'))});
      const router = new Router({ log: false });
      router.start().then(() => {
        // An unref'd timer fires only while something else holds the loop.
        setTimeout(() => {
          console.log('alive');
          router.stop().then(() => console.log('stopped'));
        }, 300).unref();
      });`;
    const proc = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const code = await withTimeout(
      new Promise((resolve) => proc.on('exit', resolve)),
      10000,
      'the child to exit by itself'
    );
    assert.equal(code, 0);
    assert.equal(out, 'alive\nstopped\n');
  });

  test('dynamic authenticator: a principal admits, a throw denies with its message', native, async (t) => {
    const router = new Router({
      log: false,
      transports: [{ auth: { ticket: { type: 'dynamic' } } }],
      realms: [{ name: 'realm1', roles: [{ name: 'user', permissions: [EVERYTHING] }] }],
      authenticator: async (realm, authid, details) => {
        if (authid === 'typo') return { role: 'user', ticket: 5 }; // a ticket must be a string
        if (authid !== 'joe') throw new Error(`unknown user ${authid}`);
        // The router checks the returned ticket; should it hand over the client's, check it too.
        if (details.ticket !== undefined && details.ticket !== 'secret') throw new Error('wrong ticket');
        return { role: 'user', ticket: 'secret', extra: { greeting: 'hi' } };
      },
    });
    await router.start();
    t.after(() => router.stop());
    const join = (authid) =>
      openSession(router.url, { realm: 'realm1', authmethods: ['ticket'], authid, onchallenge: () => 'secret' });
    const { connection, details } = await join('joe');
    assert.equal(details.authid, 'joe');
    assert.equal(details.authrole, 'user');
    assert.equal(details.authprovider, 'dynamic');
    assert.deepEqual(details.authextra, { greeting: 'hi' });
    await closeConnection(connection);
    // openSession's error carries the onclose reason and details (the ABORT's reason and message).
    await assert.rejects(join('mallory'), /not_authorized|authentication_failed/);
    await assert.rejects(join('mallory'), /unknown user mallory/);
    // An answer the router cannot use denies the join with the reason; nothing waits for the timeout.
    await assert.rejects(join('typo'), /principal is not usable: invalid type: integer `5`/);
  });

  test('fromCrossbarConfig(the test router config) starts and an autobahn.Connection joins', native, async (t) => {
    const { router } = fromCrossbar(t, templateWithPort(0));
    await router.start();
    t.after(() => router.stop());
    assert.equal(router.transports[0].type, 'universal');
    const { connection, session } = await openSession(router.url, { realm: 'realm1' });
    let onEvent;
    const got = new Promise((resolve) => (onEvent = resolve));
    await session.subscribe('com.example.topic', (args) => onEvent(args));
    await session.publish('com.example.topic', ['hello'], {}, { acknowledge: true, exclude_me: false });
    assert.deepEqual(await withTimeout(got, 5000, 'the event'), ['hello']);
    await closeConnection(connection);
  });

  test('permissions: a role does what its permissions allow; anything else is not_authorized', native, async (t) => {
    const router = new Router({
      log: false,
      realms: [
        {
          name: 'realm1',
          roles: [
            {
              name: 'anonymous',
              permissions: [
                { uri: 'com.example.', match: 'prefix', allow: { call: true, subscribe: true } },
                { uri: 'com.example.open', allow: { call: true, register: true, publish: true, subscribe: true } },
              ],
            },
          ],
        },
      ],
    });
    await router.start();
    t.after(() => router.stop());
    const { connection, session } = await openSession(router.url, { realm: 'realm1' });
    const denied = (p) => assert.rejects(Promise.resolve(p), (e) => e.error === 'wamp.error.not_authorized');
    await denied(session.register('com.example.closed', () => 1));
    await denied(session.publish('com.example.closed', [], {}, { acknowledge: true }));
    await denied(session.call('org.other.proc'));
    await denied(session.subscribe('org.other.topic', () => {}));
    await session.register('com.example.open', () => 'opened');
    assert.equal(await session.call('com.example.open'), 'opened');
    let onEvent;
    const got = new Promise((resolve) => (onEvent = resolve));
    await session.subscribe('com.example.open', (args) => onEvent(args));
    await session.publish('com.example.open', ['hi'], {}, { acknowledge: true, exclude_me: false });
    assert.deepEqual(await withTimeout(got, 5000, 'the allowed event'), ['hi']);
    await closeConnection(connection);
  });

  test('a Router in a worker_thread serves the main thread; terminating the worker stops it', native, async () => {
    const { Worker } = require('node:worker_threads');
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const { Router } = require(${JSON.stringify(path.join(__dirname, '..'))});
       const router = new Router({ log: false });
       router.start().then(() => parentPort.postMessage(router.url));`,
      { eval: true }
    );
    const url = await withTimeout(
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
      10000,
      "the worker's router"
    );
    const { connection, session } = await openSession(url, { realm: 'realm1' });
    await session.register('com.example.main', () => 'from the main thread');
    assert.equal(await session.call('com.example.main'), 'from the main thread');
    const closed = new Promise(
      (resolve) =>
        (connection.onclose = (reason, details) => {
          resolve(details);
          return true; // no reconnect
        })
    );
    await worker.terminate();
    const details = await withTimeout(closed, 10000, 'onclose once the worker ended');
    assert.equal(details.reason, 'wamp.close.system_shutdown');
  });

  test('a subscriber that does not read is dropped once its queue is full; the others go on', native, async (t) => {
    let onDropped;
    const dropped = new Promise((resolve) => (onDropped = resolve));
    const router = new Router({
      max_queued_messages: 50,
      log: (level, message) => {
        if (/dropped/.test(message)) onDropped([level, message]);
      },
    });
    await router.start();
    t.after(() => router.stop());
    const slow = await openRawWebSocket(Number(new URL(router.url).port));
    t.after(() => slow.destroy());
    const welcome = await slow.hello('realm1');
    slow.send([32, 1, {}, 'com.example.flood']);
    assert.equal((await slow.nextMessage())[0], 33, 'SUBSCRIBED');
    slow.sock.pause(); // reads no more: the socket buffers fill up, then the router's queue

    const { connection, session } = await openSession(router.url, { realm: 'realm1' });
    const left = [];
    await session.subscribe('wamp.session.on_leave', (args) => left.push(args[0]));
    const payload = 'x'.repeat(64 * 1024);
    let outcome = null;
    dropped.then((o) => (outcome = o));
    // Acknowledged batches until the router gives up on the reader (bounded: 4,000 events).
    for (let sent = 0; outcome === null && sent < 4000; sent += 50) {
      await Promise.all(
        Array.from({ length: 50 }, () => session.publish('com.example.flood', [payload], {}, { acknowledge: true }))
      );
    }
    const [level, message] = await withTimeout(dropped, 20000, 'the drop of the reader that does not read');
    assert.equal(level, 'warn');
    assert.match(message, new RegExp(`session ${welcome[1]} dropped: 50 messages are queued for it`));
    assert.equal(router.sessionCount, 1, 'only the reader is gone');
    assert.equal(await session.call('wamp.session.count'), 1);
    assert.deepEqual(left, [welcome[1]], 'the others see it leave');
    await closeConnection(connection);
  });

  test(
    'CLI: listening lines, then the ready line; a client joins; SIGTERM sends system_shutdown and exits 0',
    native,
    async () => {
      const cli = startCli(['--port', '0']);
      const lines = await withTimeout(cli.ready, 10000, 'autobahn-router ready');
      const listening = lines.filter((l) => l.startsWith('listening '));
      assert.ok(listening.length >= 1, lines.join('\n'));
      assert.equal(lines[lines.length - 1], 'autobahn-router ready');
      const url = listening.map((l) => l.slice('listening '.length)).find((u) => u.startsWith('ws://'));
      const { connection } = await openSession(url, { realm: 'realm1' });
      const closed = new Promise((resolve) => (connection.onclose = (reason, details) => resolve(details)));
      cli.proc.kill('SIGTERM');
      assert.equal((await withTimeout(closed, 5000, 'onclose')).reason, 'wamp.close.system_shutdown');
      const { code, stderr } = await withTimeout(cli.exited, 10000, 'the CLI to exit');
      assert.equal(code, 0, stderr);
      assert.match(stderr, /join/i, 'the session joining is logged to stderr');
    }
  );

  test('CLI: a port in use exits 1 with the reason', native, async (t) => {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const cli = startCli(['--port', String(server.address().port)]);
    cli.ready.catch(() => {});
    const { code, stderr } = await withTimeout(cli.exited, 10000, 'the CLI to exit');
    assert.equal(code, 1);
    assert.match(stderr, /cannot start: .*\(ROUTER_LISTEN\)/);
  });
});
