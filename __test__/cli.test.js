'use strict';
// The `autobahn` command (bin/autobahn.js) as a child process against a real router: call,
// publish/subscribe, register, progress updates, serializers and RawSocket, each credential
// flag, and the exit codes scripts rely on (0 ok, 2 usage, 3 WAMP error, 4 connection/auth).
const test = require('node:test');
const { describe, before, after } = test;
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autobahn = require('..');
const { startRouter } = require('./helpers/router');
const { freePort } = require('../scripts/crossbar');

const CLI = path.join(__dirname, '..', 'bin', 'autobahn.js');
const AUTH_REALM = 'authrealm';
const TICKET = 'tk-cli-4e1d-ticket';
const CRA_SECRET = 'cra-cli-2b9f-secret';
const SCRAM_PASSWORD = 'scram-cli-77c0-password';
const CS_SEED = '4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510';
const ALLOW_ALL = [
  { uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true }, disclose: { caller: true, publisher: true }, cache: true },
];

let router;
let authUrl;
let session;
let connection;
let tmpDir;
// The CLI's environment: nothing inherited that could change its defaults or credentials.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AUTOBAHN_')));

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-cli-'));
  const scram = await autobahn.auth_scram.derive_credential(SCRAM_PASSWORD, { kdf: 'pbkdf2', iterations: 1000 });
  router = await startRouter({
    editConfig(config) {
      const worker = config.workers[0];
      worker.realms.push({ name: AUTH_REALM, roles: [{ name: 'user', permissions: ALLOW_ALL }] });
      worker.transports[0].websocket.auth = {
        type: 'websocket',
        serializers: ['json'],
        auth: {
          ticket: { type: 'static', principals: { 'ticket-user': { ticket: TICKET, role: 'user' } } },
          wampcra: { type: 'static', users: { 'cra-user': { secret: CRA_SECRET, role: 'user' } } },
          scram: { type: 'static', principals: { 'scram-user': { ...scram, role: 'user' } } },
          cryptosign: {
            type: 'static',
            principals: { 'cs-user': { authorized_keys: [autobahn.auth_cryptosign.public_key(CS_SEED)], role: 'user', realm: AUTH_REALM } },
          },
        },
      };
    },
  });
  authUrl = router.url.replace(/\/ws$/, '/auth');
  // MessagePack, so that the session can send 64-bit integers
  connection = new autobahn.Connection({ url: router.url, realm: router.realm, serializers: ['msgpack'], max_retries: 0, use_es6_promises: true });
  session = await new Promise((resolve, reject) => {
    connection.onopen = resolve;
    connection.onclose = (reason, details) => reject(new Error(`test session closed: ${reason} ${details.message}`));
    connection.open();
  });
});

after(async () => {
  if (connection && connection.isOpen) {
    await new Promise((resolve) => {
      connection.onclose = () => resolve();
      connection.close();
    });
  }
  if (router) await router.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

function lines(text) {
  return text.split('\n').filter((l) => l !== '');
}

// Starts the CLI; `exited` resolves to { code, signal, stdout, stderr }.
function startCli(args, env = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (t) => (out.stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t) => (out.stderr += t));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ...out })));
  // Resolves when `stream` ('stdout' | 'stderr') has printed a line matching `pattern`.
  const waitFor = (stream, pattern) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const line = lines(out[stream]).find((l) => pattern.test(l));
        if (line === undefined) return false;
        child[stream].off('data', onData);
        resolve(line);
        return true;
      };
      const onData = () => setImmediate(check);
      if (check()) return;
      child[stream].on('data', onData);
      exited.then((r) => reject(new Error(`the CLI exited (${r.code}) before printing ${pattern}: ${r.stderr}`)));
    });
  return { child, exited, out, waitFor };
}

function runCli(args, env) {
  return startCli(args, env).exited;
}

const onRouter = () => ['--url', router.url, '--realm', router.realm];
let uriCounter = 0;
const uniqueUri = (name) => `cli.test.${name}.${process.pid}.${++uriCounter}`;

describe('call', () => {
  test('prints the result of a procedure registered by a session: args parsed as JSON, else strings', async () => {
    const uri = uniqueUri('add');
    const seen = [];
    const reg = await session.register(uri, (args, kwargs) => {
      seen.push({ args, kwargs });
      return new autobahn.Result([args[0] + args[1], args[2]], { echoed: kwargs });
    });
    try {
      const r = await runCli(['call', uri, ...onRouter(), '--kwargs', '{"name":"x","n":[1,2]}', '--', '2', '40', 'plain text']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(seen, [{ args: [2, 40, 'plain text'], kwargs: { name: 'x', n: [1, 2] } }]);
      assert.deepEqual(lines(r.stdout).map((l) => JSON.parse(l)), [{ args: [42, 'plain text'], kwargs: { echoed: { name: 'x', n: [1, 2] } } }]);
    } finally {
      await session.unregister(reg);
    }
  });

  test('each serializer, over WebSocket and RawSocket', async () => {
    const uri = uniqueUri('bytes');
    const reg = await session.register(uri, (args) => [args[0], 'ok']);
    const rawsocketUrl = `rs://127.0.0.1:${router.port}`;
    try {
      for (const url of [router.url, rawsocketUrl]) {
        for (const serializer of ['json', 'msgpack', 'cbor']) {
          const r = await runCli(['call', uri, '{"big":[1.5,null,true]}', '--url', url, '--realm', router.realm, '--serializer', serializer]);
          assert.equal(r.code, 0, `${url} ${serializer}: ${r.stderr}`);
          assert.deepEqual(JSON.parse(r.stdout), { args: [[{ big: [1.5, null, true] }, 'ok']], kwargs: {} }, `${url} ${serializer}`);
        }
      }
    } finally {
      await session.unregister(reg);
    }
  });

  test('64-bit integers are printed exactly (msgpack, cbor)', async () => {
    const uri = uniqueUri('big');
    const reg = await session.register(uri, () => [2n ** 63n - 1n, -(2n ** 62n) - 3n]);
    try {
      for (const serializer of ['msgpack', 'cbor']) {
        const r = await runCli(['call', uri, ...onRouter(), '--serializer', serializer]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '{"args":[[9223372036854775807,-4611686018427387907]],"kwargs":{}}\n', serializer);
      }
    } finally {
      await session.unregister(reg);
    }
  });

  test('progress updates come first, one line each, marked "progress"', async () => {
    const uri = uniqueUri('progress');
    const reg = await session.register(uri, (args, kwargs, details) => {
      for (let i = 1; i <= 2; i++) details.progress([i]);
      return 'done';
    });
    try {
      const r = await runCli(['call', uri, ...onRouter()]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout).map((l) => JSON.parse(l)), [
        { progress: true, args: [1], kwargs: {} },
        { progress: true, args: [2], kwargs: {} },
        { args: ['done'], kwargs: {} },
      ]);
    } finally {
      await session.unregister(reg);
    }
  });

  test('a WAMP error reply: exit 3, its URI, args and kwargs on stderr as JSON', async () => {
    const uri = uniqueUri('fails');
    const reg = await session.register(uri, () => {
      throw new autobahn.Error('com.example.failed', ['no stock'], { item: 7 });
    });
    try {
      const r = await runCli(['call', uri, ...onRouter()]);
      assert.equal(r.code, 3);
      assert.equal(r.stdout, '');
      assert.deepEqual(JSON.parse(lines(r.stderr)[0]), { error: 'com.example.failed', args: ['no stock'], kwargs: { item: 7 } });
    } finally {
      await session.unregister(reg);
    }
    const missing = await runCli(['call', uniqueUri('nobody'), ...onRouter()]);
    assert.equal(missing.code, 3);
    assert.equal(JSON.parse(lines(missing.stderr)[0]).error, 'wamp.error.no_such_procedure');
  });
});

describe('publish and subscribe', () => {
  test('a subscriber prints what a publisher sends, then leaves on SIGTERM with exit 0', async () => {
    const topic = uniqueUri('topic');
    const sub = startCli(['subscribe', topic, ...onRouter()]);
    await sub.waitFor('stderr', /subscribed to/);
    const pub = await runCli(['publish', topic, ...onRouter(), '-k', '{"when":"now"}', '--', '1', 'two', '-3']);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(typeof JSON.parse(pub.stdout).publication, 'number');
    // a session's event reaches it too
    await session.publish(topic, ['from a session']);
    await sub.waitFor('stdout', /from a session/);
    sub.child.kill('SIGTERM');
    const r = await sub.exited;
    assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null }, r.stderr);
    assert.deepEqual(lines(r.stdout).map((l) => JSON.parse(l)), [
      { topic, args: [1, 'two', -3], kwargs: { when: 'now' } },
      { topic, args: ['from a session'], kwargs: {} },
    ]);
  });

  test('a reader that closes stdout (| head -1) makes it leave with exit 0', async () => {
    const topic = uniqueUri('head');
    const sub = startCli(['subscribe', topic, ...onRouter()]);
    await sub.waitFor('stderr', /subscribed to/);
    await session.publish(topic, [1], {}, { acknowledge: true });
    await sub.waitFor('stdout', /"args":\[1\]/);
    sub.child.stdout.destroy();
    await session.publish(topic, [2], {}, { acknowledge: true });
    const r = await sub.exited;
    assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null }, r.stderr);
  });

  test('--match prefix prints the topic each event was published to', async () => {
    const prefix = uniqueUri('prefix');
    const sub = startCli(['subscribe', prefix, '--match', 'prefix', ...onRouter()]);
    await sub.waitFor('stderr', /subscribed to/);
    await session.publish(`${prefix}.a`, [1], {}, { acknowledge: true });
    await sub.waitFor('stdout', /"args":\[1\]/);
    sub.child.kill('SIGINT');
    const r = await sub.exited;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(lines(r.stdout)[0]), { topic: `${prefix}.a`, args: [1], kwargs: {} });
  });

  test('a publication the router refuses is a WAMP error (exit 3)', async () => {
    const r = await runCli(['publish', 'wamp.session.made_up', ...onRouter()]);
    assert.equal(r.code, 3);
    assert.match(JSON.parse(lines(r.stderr)[0]).error, /^wamp\.error\./);
  });
});

describe('register', () => {
  test('an echo procedure called by a session; SIGTERM unregisters and exits 0', async () => {
    const uri = uniqueUri('echo');
    const reg = startCli(['register', uri, ...onRouter()]);
    await reg.waitFor('stderr', /registered/);
    const result = await session.call(uri, [1, 'a', { b: null }], { k: true });
    assert.ok(result instanceof autobahn.Result);
    assert.deepEqual({ args: result.args, kwargs: result.kwargs }, { args: [1, 'a', { b: null }], kwargs: { k: true } });
    await reg.waitFor('stdout', /"procedure"/);
    reg.child.kill('SIGTERM');
    const r = await reg.exited;
    assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null }, r.stderr);
    assert.deepEqual(lines(r.stdout).map((l) => JSON.parse(l)), [{ procedure: uri, args: [1, 'a', { b: null }], kwargs: { k: true } }]);
    await assert.rejects(session.call(uri), (e) => e.error === 'wamp.error.no_such_procedure');
  });
});

describe('authentication flags', () => {
  test('--ticket, --secret, --password, --private-key (hex, file, Crossbar key.priv) and their variables', async () => {
    const seedFile = path.join(tmpDir, 'seed.hex');
    fs.writeFileSync(seedFile, CS_SEED + '\n', { mode: 0o600 });
    const keyPriv = path.join(tmpDir, 'key.priv');
    fs.writeFileSync(keyPriv, `creator: test\nprivate-key-ed25519: ${CS_SEED}\n`, { mode: 0o600 });
    const cases = [
      [['--authid', 'ticket-user', '--ticket', TICKET]],
      [['--authid', 'ticket-user'], { AUTOBAHN_TICKET: TICKET }],
      [['--authid', 'cra-user', '--secret', CRA_SECRET]],
      [['--authid', 'scram-user', '--password', SCRAM_PASSWORD]],
      [['--authid', 'scram-user'], { AUTOBAHN_PASSWORD: SCRAM_PASSWORD }],
      [['--private-key', CS_SEED]],
      [['--private-key', seedFile]],
      [['--private-key', keyPriv]],
    ];
    for (const [flags, env] of cases) {
      const r = await runCli(['publish', 'cli.auth.topic', '--url', authUrl, '--realm', AUTH_REALM, ...flags], env);
      assert.equal(r.code, 0, `${flags.join(' ')}: ${r.stderr}`);
      assert.equal(typeof JSON.parse(r.stdout).publication, 'number');
    }
  });

  test('a wrong credential: exit 4 with the router\'s error on stderr, nothing on stdout', async () => {
    for (const flags of [
      ['--authid', 'ticket-user', '--ticket', 'wrong'],
      ['--authid', 'cra-user', '--secret', 'wrong'],
      ['--authid', 'scram-user', '--password', 'wrong'],
    ]) {
      const r = await runCli(['call', 'cli.any', '--url', authUrl, '--realm', AUTH_REALM, ...flags]);
      assert.equal(r.code, 4, `${flags.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const reported = JSON.parse(lines(r.stderr).at(-1));
      assert.equal(reported.error, 'wamp.error.not_authorized', r.stderr);
      assert.ok(!r.stderr.includes('wrong'), 'the credential is not echoed');
    }
  });

  test('no router listening: exit 4', async () => {
    const closed = await freePort();
    const r = await runCli(['call', 'cli.any', '--url', `ws://127.0.0.1:${closed}/ws`]);
    assert.equal(r.code, 4);
    assert.equal(JSON.parse(lines(r.stderr).at(-1)).onclose, 'unreachable');
  });
});

describe('usage', () => {
  test('usage errors exit 2 with a specific message and connect nowhere', async () => {
    const cases = [
      [[], /a command is required/],
      [['fetch', 'x'], /unknown command "fetch"/],
      [['call'], /usage: autobahn call URI/],
      [['subscribe', 'a.b', 'extra'], /usage: autobahn subscribe TOPIC/],
      [['call', 'a.b', '--nope'], /Unknown option '--nope'/],
      [['call', 'a.b', '--kwargs', '[1]'], /--kwargs must be a JSON object/],
      [['call', 'a.b', '--kwargs', '{oops'], /--kwargs must be a JSON object/],
      [['call', 'a.b', '--serializer', 'xml'], /--serializer must be json, msgpack or cbor/],
      [['call', 'a b'], /invalid procedure 'a b'/],
      [['call', 'a.b', '--url', 'http://x'], /--url must start with ws:\/\//],
      [['call', 'a.b', '--private-key', path.join(os.tmpdir(), 'no-such-key-file')], /--private-key is neither/],
      [['call', 'a.b', '--secret', 'x'], /options\.secret \(wampcra\) needs options\.authid/],
      [['publish', 'a.b', '--match', 'prefix'], /--match is for subscribe and register/],
    ];
    for (const [args, pattern] of cases) {
      // A URL nobody listens on: had it tried to connect, the exit code would be 4.
      const r = await runCli([...args, ...(args.includes('--url') ? [] : ['--url', 'ws://127.0.0.1:9/ws'])]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    }
  });

  test('--help prints the commands and exit codes on stdout', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /call URI \[ARG\.\.\.\]/);
    assert.match(r.stdout, /exit codes:[\s\S]*3 {2}the router answered with a WAMP error/);
  });
});
