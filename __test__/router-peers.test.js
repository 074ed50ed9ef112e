'use strict';
// Clients that this package did not write, through the router: Autobahn|Python (asyncio Component
// API, from the project .venv) and Autobahn|JS 26.3.1 (the `autobahn-reference` dev dependency),
// each in its own process (helpers/peers.js), together with this package's client:
//
//   - RPC both ways between them: values, kwargs, the disclosed caller, application errors, a
//     missing procedure, 100 concurrent calls each way
//   - PubSub: a publish from each kind reaches the subscribers of the other kinds, publisher
//     disclosed, publication order kept
//   - progressive call results from an Autobahn|JS, an Autobahn|Python and our callee
//   - WAMP-over-RawSocket with both clients; a session leaving (GOODBYE) or killed mid-call
//   - authentication of the real clients: ticket, WAMP-CRA (plain and salted), WAMP-Cryptosign
//     (both clients), WAMP-SCRAM argon2id-13 (Autobahn|Python, which checks the router's server
//     signature; Autobahn|JS 26.3.1 has no SCRAM), refusals, the client's method order, and the
//     authenticated identities disclosed to the other peers
//   - an Autobahn|Python session and a JS session on different serializers (json, msgpack, cbor)
//     exchanging binary values and integers by calls and events, nothing lost on either side;
//     a 1 MiB binary value
//
// Runs against the router named by ROUTER (embedded or crossbar): one router for the file, with
// the template's /ws path (realm1, anonymous) and a second path /auth for the realm 'peersauth'.
// Autobahn|JS has no JSON binary convention (a Buffer becomes {type: 'Buffer', data}), so binary
// values with Autobahn|JS use msgpack or cbor. On Node 20 the Autobahn|JS process runs with
// --experimental-websocket (it needs a global WebSocket).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const autobahn = require('..');
const { startRouter, routerKind } = require('./helpers/router');
const { openSession, closeConnection, uniqueUri, collector } = require('./helpers/session');
const { PythonPeer, AutobahnJsPeer, stopAllPeers } = require('./helpers/peers');
const { typesOf } = require('./helpers/value-types');

const T = { timeout: 45000 };

const AUTH_REALM = 'peersauth';
const TICKET = 'peers-ticket-7c1d';
const CRA_SECRET = 'peers-cra-secret-2b9e';
const CRA_SALTED = { secret: 'peers-cra-salted-4f60', salt: 'peers-salt-91', iterations: 100, keylen: 32 };
const BOTH = { ticket: 'peers-both-ticket', secret: 'peers-both-secret' }; // a principal of ticket and wampcra
const SCRAM_PASSWORD = 'peers-scräm-pässword';
// wamp-reference cryptosign test vectors: a key the router knows, and one it does not.
const CS_SEED = 'd511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd';
const CS_PUB = '6ed32739ff04a6074044ff0b0e3bfc7c856bc9d5f1d25efc57363bda0af3a8b0';
const CS_OTHER_SEED = '6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b';

const ALLOW_ALL = [
  {
    uri: '',
    match: 'prefix',
    allow: { call: true, register: true, publish: true, subscribe: true },
    disclose: { caller: true, publisher: true },
    cache: true,
  },
];

let router;
let authUrl;
const connections = []; // our client's connections, closed after each test

before(async () => {
  const scram = {
    argon: await autobahn.auth_scram.derive_credential(SCRAM_PASSWORD, {
      kdf: 'argon2id-13',
      iterations: 8,
      memory: 512,
    }),
  };
  router = await startRouter({
    editConfig(config) {
      const worker = config.workers[0];
      worker.realms.push({
        name: AUTH_REALM,
        roles: ['ticket-role', 'cra-role', 'cs-role', 'scram-role'].map((name) => ({ name, permissions: ALLOW_ALL })),
      });
      worker.transports[0].websocket.auth = {
        type: 'websocket',
        serializers: ['json', 'msgpack', 'cbor'],
        auth: {
          ticket: {
            type: 'static',
            principals: {
              'ticket-user': { ticket: TICKET, role: 'ticket-role' },
              'both-user': { ticket: BOTH.ticket, role: 'ticket-role' },
            },
          },
          wampcra: {
            type: 'static',
            users: {
              'cra-user': { secret: CRA_SECRET, role: 'cra-role' },
              'cra-salted': { ...CRA_SALTED, role: 'cra-role' },
              'both-user': { secret: BOTH.secret, role: 'cra-role' },
            },
          },
          cryptosign: {
            type: 'static',
            principals: { 'cs-user': { authorized_keys: [CS_PUB], role: 'cs-role', realm: AUTH_REALM } },
          },
          scram: {
            type: 'static',
            principals: {
              'scram-argon': { ...scram.argon, role: 'scram-role' },
            },
          },
        },
      };
    },
  });
  authUrl = router.url.replace(/\/ws$/, '/auth');
});

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => closeConnection(c).catch(() => {})));
  await stopAllPeers();
});

after(async () => {
  await stopAllPeers();
  if (router) await router.stop();
});

// -------------------------------------------------------------------------------------------
// The three kinds of client

const SERIALIZERS = {
  json: () => new autobahn.serializer.JSONSerializer(),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer(),
};

/** Our client on realm1 (or `opts.url`/`opts.realm`), remembered for afterEach. */
async function ours(serializer = 'json', opts = {}) {
  const res = await openSession(opts.url || router.url, {
    realm: router.realm,
    use_es6_promises: true,
    serializers: [SERIALIZERS[serializer]()],
    ...opts,
  });
  connections.push(res.connection);
  return res;
}

function python(serializer = 'json', extra = {}) {
  return PythonPeer.start({ url: router.url, realm: router.realm, serializer, ...extra });
}

function autobahnJs(serializer = 'json', extra = {}) {
  return AutobahnJsPeer.start({ url: router.url, realm: router.realm, serializer, ...extra });
}

/** Our endpoints of the same kinds as the peers' (see helpers/autobahn-js-peer.js). */
const OUR_ENDPOINTS = {
  echo: (args, kwargs) =>
    args.length === 1 && Object.keys(kwargs).length === 0 ? args[0] : new autobahn.Result(args, kwargs),
  describe: (args, kwargs) => new autobahn.Result([typesOf(args)], { kwargs: typesOf(kwargs) }),
  progress: async (args, _kwargs, details) => {
    for (let i = 0; i < args[0]; i++) {
      if (details.progress) details.progress([{ step: i }]);
      await new Promise((r) => setImmediate(r));
    }
    return `done after ${args[0]}`;
  },
};

/** A result as {args, kwargs} whichever client produced it. */
function asArgs(value) {
  if (value instanceof autobahn.Result) return { args: value.args, kwargs: value.kwargs };
  if (value && value.$callresult) return value.$callresult; // Autobahn|Python CallResult
  if (value && value.result === true) return { args: value.args, kwargs: value.kwargs }; // autobahn-js-peer
  if (value && 'value' in value && Object.keys(value).length === 1) return { args: [value.value], kwargs: {} };
  return { args: [value], kwargs: {} };
}

// -------------------------------------------------------------------------------------------

describe('RPC between Autobahn|JS, Autobahn|Python and our client', () => {
  it('Autobahn|JS registers, Autobahn|Python calls: values, kwargs and the disclosed caller', T, async () => {
    const proc = uniqueUri('peers.js.echo');
    const [js, py] = await Promise.all([autobahnJs('json'), python('json')]);
    await js.ok({ cmd: 'register', procedure: proc, kind: 'echo' });

    const single = await py.request({ cmd: 'call', procedure: proc, args: ['héllo 🌍'] });
    assert.equal(single.ok, true, JSON.stringify(single));
    assert.equal(single.result, 'héllo 🌍');

    const several = await py.request({
      cmd: 'call',
      procedure: proc,
      args: [1, 'two', { three: [3] }],
      kwargs: { k: 'v', n: null },
    });
    assert.equal(several.ok, true, JSON.stringify(several));
    assert.deepEqual(asArgs(several.result), { args: [1, 'two', { three: [3] }], kwargs: { k: 'v', n: null } });

    const inv = await js.waitForCount((m) => m.type === 'invocation', 2, 'invocations');
    assert.deepEqual(inv[1].args, [1, 'two', { three: [3] }]);
    assert.deepEqual(inv[1].kwargs, { k: 'v', n: null });
    assert.equal(inv[1].details.caller, py.joined.session, 'the router discloses the Python caller');
  });

  it('Autobahn|Python registers, Autobahn|JS calls: values, kwargs and the disclosed caller', T, async () => {
    const proc = uniqueUri('peers.py.echo');
    const [js, py] = await Promise.all([autobahnJs('msgpack'), python('cbor')]);
    await py.ok({ cmd: 'register', procedure: proc, kind: 'echo' });

    assert.deepEqual(await js.ok({ cmd: 'call', procedure: proc, args: [42] }), { value: 42 });
    const several = await js.ok({
      cmd: 'call',
      procedure: proc,
      args: ['a', [true, false]],
      kwargs: { deep: { x: [1.5, 'ü'] } },
    });
    assert.deepEqual(asArgs(several), { args: ['a', [true, false]], kwargs: { deep: { x: [1.5, 'ü'] } } });

    const inv = await py.waitForCount((m) => m.type === 'invocation', 2, 'invocations');
    assert.equal(inv[0].details.caller, js.joined.session, 'the router discloses the Autobahn|JS caller');
    assert.equal(typeof inv[0].details.caller_authid, 'string');
  });

  it('our client calls both of theirs, and both of them call ours', T, async () => {
    const jsProc = uniqueUri('peers.js.echo');
    const pyProc = uniqueUri('peers.py.echo');
    const ourProc = uniqueUri('peers.ours.echo');
    const [js, py, { session }] = await Promise.all([autobahnJs('cbor'), python('msgpack'), ours('json')]);
    const seen = [];
    await Promise.all([
      js.ok({ cmd: 'register', procedure: jsProc, kind: 'echo' }),
      py.ok({ cmd: 'register', procedure: pyProc, kind: 'echo' }),
      session.register(ourProc, (args, kwargs, details) => {
        seen.push({ args, caller: details.caller });
        return OUR_ENDPOINTS.echo(args, kwargs);
      }),
    ]);

    assert.equal(await session.call(jsProc, ['to autobahn-js']), 'to autobahn-js');
    assert.equal(await session.call(pyProc, ['to python']), 'to python');
    const r = await session.call(pyProc, [1, 2], { z: 'z' });
    assert.ok(r instanceof autobahn.Result);
    assert.deepEqual([r.args, r.kwargs], [[1, 2], { z: 'z' }]);

    assert.deepEqual(await js.ok({ cmd: 'call', procedure: ourProc, args: ['from autobahn-js'] }), {
      value: 'from autobahn-js',
    });
    const fromPy = await py.request({ cmd: 'call', procedure: ourProc, args: ['from python', 2], kwargs: { k: 1 } });
    assert.equal(fromPy.ok, true, JSON.stringify(fromPy));
    assert.deepEqual(asArgs(fromPy.result), { args: ['from python', 2], kwargs: { k: 1 } });
    assert.deepEqual(
      seen.map((s) => s.caller),
      [js.joined.session, py.joined.session]
    );
  });

  it('an application error raised by one kind of callee reaches the other kinds of caller unchanged', T, async () => {
    const jsProc = uniqueUri('peers.js.fail');
    const pyProc = uniqueUri('peers.py.fail');
    const [js, py, { session }] = await Promise.all([autobahnJs('json'), python('json'), ours('json')]);
    await Promise.all([
      js.ok({ cmd: 'register', procedure: jsProc, kind: 'fail' }),
      py.ok({ cmd: 'register', procedure: pyProc, kind: 'fail' }),
    ]);

    const fromJs = await py.request({ cmd: 'call', procedure: jsProc, args: ['x'] });
    assert.equal(fromJs.ok, false);
    assert.equal(fromJs.error, 'com.peers.error.failed');
    assert.deepEqual([fromJs.args, fromJs.kwargs], [['it failed', 'x'], { code: 7 }]);

    const fromPy = await js.request({ cmd: 'call', procedure: pyProc, args: ['y'] });
    assert.equal(fromPy.ok, false);
    assert.deepEqual(fromPy.error, { error: 'com.peers.error.failed', args: ['it failed', 'y'], kwargs: { code: 7 } });

    await assert.rejects(session.call(pyProc, ['z']), (e) => {
      assert.ok(e instanceof autobahn.Error, `an autobahn.Error, got ${e}`);
      assert.deepEqual([e.error, e.args, e.kwargs], ['com.peers.error.failed', ['it failed', 'z'], { code: 7 }]);
      return true;
    });
  });

  it('100 concurrent calls each way between Autobahn|JS and Autobahn|Python each get their own result', T, async () => {
    const jsProc = uniqueUri('peers.js.echo');
    const pyProc = uniqueUri('peers.py.echo');
    const [js, py] = await Promise.all([autobahnJs('msgpack'), python('json')]);
    await Promise.all([
      js.ok({ cmd: 'register', procedure: jsProc, kind: 'echo' }),
      py.ok({ cmd: 'register', procedure: pyProc, kind: 'echo' }),
    ]);
    const N = 100;
    const [toJs, toPy] = await Promise.all([
      Promise.all(
        Array.from({ length: N }, (_, i) => py.ok({ cmd: 'call', procedure: jsProc, args: [`py-${i}`] }, 20000))
      ),
      Promise.all(
        Array.from({ length: N }, (_, i) => js.ok({ cmd: 'call', procedure: pyProc, args: [`js-${i}`] }, 20000))
      ),
    ]);
    assert.deepEqual(
      toJs,
      Array.from({ length: N }, (_, i) => `py-${i}`)
    );
    assert.deepEqual(
      toPy.map((r) => r.value),
      Array.from({ length: N }, (_, i) => `js-${i}`)
    );
  });

  it('calling a procedure no one registered fails with wamp.error.no_such_procedure for each client', T, async () => {
    const missing = uniqueUri('peers.missing');
    const [js, py, { session }] = await Promise.all([autobahnJs('msgpack'), python('cbor'), ours('json')]);
    const fromPy = await py.request({ cmd: 'call', procedure: missing, args: [] });
    assert.equal(fromPy.ok, false);
    assert.equal(fromPy.error, 'wamp.error.no_such_procedure');
    const fromJs = await js.request({ cmd: 'call', procedure: missing });
    assert.equal(fromJs.ok, false);
    assert.equal(fromJs.error.error, 'wamp.error.no_such_procedure');
    await assert.rejects(session.call(missing), (e) => e.error === 'wamp.error.no_such_procedure');
  });
});

describe('PubSub between Autobahn|JS, Autobahn|Python and our client', () => {
  it(
    'a publish from each kind reaches the subscribers of the other kinds, with the publisher disclosed',
    T,
    async () => {
      const topic = uniqueUri('peers.topic');
      const [js, py, { session }] = await Promise.all([autobahnJs('msgpack'), python('json'), ours('cbor')]);
      const ourEvents = collector();
      await Promise.all([
        js.ok({ cmd: 'subscribe', topic }),
        py.ok({ cmd: 'subscribe', topic }),
        session.subscribe(topic, (args, kwargs, details) =>
          ourEvents.push({ args, kwargs, publisher: details.publisher })
        ),
      ]);

      await js.ok({ cmd: 'publish', topic, args: ['from autobahn-js', 1], kwargs: { who: 'js' } });
      await py.ok({ cmd: 'publish', topic, args: ['from python', 2], kwargs: { who: 'py' } });
      await session.publish(topic, ['from ours', 3], { who: 'ours' }, { acknowledge: true });

      const jsGot = await js.waitForCount((m) => m.type === 'event', 2, 'events');
      const pyGot = await py.waitForCount((m) => m.type === 'event', 2, 'events');
      const ourGot = await ourEvents.waitFor(2);

      const sorted = (list) => [...list].sort((a, b) => String(a.args[0]).localeCompare(String(b.args[0])));
      assert.deepEqual(
        sorted(jsGot).map((e) => [e.args, e.kwargs, e.details.publisher]),
        [
          [['from ours', 3], { who: 'ours' }, session.id],
          [['from python', 2], { who: 'py' }, py.joined.session],
        ]
      );
      assert.deepEqual(
        sorted(pyGot).map((e) => [e.args, e.kwargs, e.publisher]),
        [
          [['from autobahn-js', 1], { who: 'js' }, js.joined.session],
          [['from ours', 3], { who: 'ours' }, session.id],
        ]
      );
      assert.deepEqual(
        sorted(ourGot).map((e) => [e.args, e.kwargs, e.publisher]),
        [
          [['from autobahn-js', 1], { who: 'js' }, js.joined.session],
          [['from python', 2], { who: 'py' }, py.joined.session],
        ]
      );
      // By default a publisher does not receive its own event.
      assert.ok(js.messages.filter((m) => m.type === 'event').every((e) => e.details.publisher !== js.joined.session));
      assert.ok(py.messages.filter((m) => m.type === 'event').every((e) => e.publisher !== py.joined.session));
      assert.ok(ourEvents.items.every((e) => e.publisher !== session.id));
    }
  );

  it('events from one publisher arrive at the other kinds in publication order', T, async () => {
    const topic = uniqueUri('peers.ordered');
    const [js, py] = await Promise.all([autobahnJs('cbor'), python('msgpack')]);
    await Promise.all([js.ok({ cmd: 'subscribe', topic }), py.ok({ cmd: 'subscribe', topic })]);
    const { session } = await ours('json');
    const N = 50;
    const acks = [];
    for (let i = 0; i < N; i++) acks.push(session.publish(topic, [i], {}, { acknowledge: true }));
    await Promise.all(acks);
    const jsGot = await js.waitForCount((m) => m.type === 'event', N, 'events');
    const pyGot = await py.waitForCount((m) => m.type === 'event', N, 'events');
    const seq = Array.from({ length: N }, (_, i) => i);
    assert.deepEqual(
      jsGot.map((e) => e.args[0]),
      seq
    );
    assert.deepEqual(
      pyGot.map((e) => e.args[0]),
      seq
    );
  });
});

describe('progressive call results', () => {
  it('Autobahn|JS callee, Autobahn|Python caller: each progress in order, then the final result', T, async () => {
    const proc = uniqueUri('peers.js.progress');
    const [js, py] = await Promise.all([autobahnJs('msgpack'), python('json')]);
    await js.ok({ cmd: 'register', procedure: proc, kind: 'progress' });
    const reply = await py.request({ cmd: 'call', procedure: proc, args: [4], progress: true });
    assert.equal(reply.ok, true, JSON.stringify(reply));
    assert.equal(reply.result, 'done after 4');
    assert.deepEqual(
      reply.progress.map((p) => p.args),
      [[{ step: 0 }], [{ step: 1 }], [{ step: 2 }], [{ step: 3 }]]
    );
    assert.deepEqual(reply.progressAfter, [], 'no progress after the final result');
    const [inv] = await js.waitForCount((m) => m.type === 'invocation', 1, 'invocation');
    assert.equal(inv.details.progress, true, 'the callee was told the caller wants progress');
  });

  it('Autobahn|Python callee, Autobahn|JS caller: each progress in order, then the final result', T, async () => {
    const proc = uniqueUri('peers.py.progress');
    const [js, py] = await Promise.all([autobahnJs('cbor'), python('msgpack')]);
    await py.ok({ cmd: 'register', procedure: proc, kind: 'progress' });
    const reply = await js.request({ cmd: 'call', procedure: proc, args: [5], progress: true });
    assert.equal(reply.ok, true, JSON.stringify(reply));
    assert.deepEqual(reply.result, { value: 'done after 5' });
    assert.deepEqual(
      reply.progress.map((p) => p.value),
      [0, 1, 2, 3, 4]
    );
    assert.deepEqual(reply.progressAfter, []);
  });

  it('our client as caller of both, and as callee of both', T, async () => {
    const jsProc = uniqueUri('peers.js.progress');
    const pyProc = uniqueUri('peers.py.progress');
    const ourProc = uniqueUri('peers.ours.progress');
    const [js, py, { session }] = await Promise.all([autobahnJs('json'), python('cbor'), ours('msgpack')]);
    await Promise.all([
      js.ok({ cmd: 'register', procedure: jsProc, kind: 'progress' }),
      py.ok({ cmd: 'register', procedure: pyProc, kind: 'progress' }),
      session.register(ourProc, OUR_ENDPOINTS.progress),
    ]);

    for (const [proc, expected] of [
      [jsProc, [{ step: 0 }, { step: 1 }, { step: 2 }]],
      [pyProc, [0, 1, 2]],
    ]) {
      const log = [];
      const final = await session.call(
        proc,
        [3],
        {},
        { receive_progress: true, progress: (v) => log.push(['progress', v]) }
      );
      log.push(['result', final]);
      assert.deepEqual(log, [...expected.map((v) => ['progress', v]), ['result', 'done after 3']], proc);
    }

    const toPy = await py.request({ cmd: 'call', procedure: ourProc, args: [3], progress: true });
    assert.equal(toPy.ok, true, JSON.stringify(toPy));
    assert.equal(toPy.result, 'done after 3');
    assert.deepEqual(
      toPy.progress.map((p) => p.args),
      [[{ step: 0 }], [{ step: 1 }], [{ step: 2 }]]
    );
    assert.deepEqual(toPy.progressAfter, []);

    const toJs = await js.request({ cmd: 'call', procedure: ourProc, args: [2], progress: true });
    assert.equal(toJs.ok, true, JSON.stringify(toJs));
    assert.deepEqual(toJs.result, { value: 'done after 2' });
    assert.deepEqual(
      toJs.progress.map((p) => p.value),
      [{ step: 0 }, { step: 1 }]
    );
  });

  it('a caller that did not ask for progress gets only the final result', T, async () => {
    const jsProc = uniqueUri('peers.js.progress');
    const pyProc = uniqueUri('peers.py.progress');
    const [js, py] = await Promise.all([autobahnJs('json'), python('json')]);
    await Promise.all([
      js.ok({ cmd: 'register', procedure: jsProc, kind: 'progress' }),
      py.ok({ cmd: 'register', procedure: pyProc, kind: 'progress' }),
    ]);
    const fromPy = await py.request({ cmd: 'call', procedure: jsProc, args: [3] });
    assert.equal(fromPy.result, 'done after 3');
    const [inv] = await js.waitForCount((m) => m.type === 'invocation', 1, 'invocation');
    assert.equal(inv.details.progress, false, 'no progress function for a caller that did not ask');
    const fromJs = await js.request({ cmd: 'call', procedure: pyProc, args: [3] });
    assert.deepEqual(fromJs.result, { value: 'done after 3' });
    assert.deepEqual(fromJs.progress, []);
  });
});

describe('WAMP-over-RawSocket', () => {
  it(
    'Autobahn|JS (RawSocket, JSON) and Autobahn|Python (RawSocket, msgpack) call each other and meet our WebSocket client',
    T,
    async () => {
      const jsProc = uniqueUri('peers.rs.js');
      const pyProc = uniqueUri('peers.rs.py');
      const topic = uniqueUri('peers.rs.topic');
      const [js, py, { session }] = await Promise.all([
        autobahnJs('json', { transport: 'rawsocket', host: '127.0.0.1', port: router.port }),
        python('msgpack', { transport: 'rawsocket', url: `rs://127.0.0.1:${router.port}` }),
        ours('cbor'),
      ]);
      assert.equal(js.joined.details.transport.type, 'rawsocket');
      assert.equal(py.joined.serializer, 'msgpack');
      await Promise.all([
        js.ok({ cmd: 'register', procedure: jsProc, kind: 'echo' }),
        py.ok({ cmd: 'register', procedure: pyProc, kind: 'echo' }),
        js.ok({ cmd: 'subscribe', topic }),
        py.ok({ cmd: 'subscribe', topic }),
      ]);

      const toJs = await py.request({
        cmd: 'call',
        procedure: jsProc,
        args: ['über RawSocket', 2 ** 40],
        kwargs: { n: -3 },
      });
      assert.equal(toJs.ok, true, JSON.stringify(toJs));
      assert.deepEqual(asArgs(toJs.result), { args: ['über RawSocket', 2 ** 40], kwargs: { n: -3 } });
      assert.deepEqual(await js.ok({ cmd: 'call', procedure: pyProc, args: [{ nested: ['x', 1.25] }] }), {
        value: { nested: ['x', 1.25] },
      });
      assert.equal(await session.call(pyProc, ['ours over WebSocket']), 'ours over WebSocket');
      assert.equal(await session.call(jsProc, ['ours again']), 'ours again');

      await session.publish(topic, ['to both'], {}, { acknowledge: true });
      const [jsEv] = await js.waitForCount((m) => m.type === 'event', 1, 'event');
      const [pyEv] = await py.waitForCount((m) => m.type === 'event', 1, 'event');
      assert.deepEqual([jsEv.args, jsEv.details.publisher], [['to both'], session.id]);
      assert.deepEqual([pyEv.args, pyEv.publisher], [['to both'], session.id]);
    }
  );
});

describe('when a peer goes away', () => {
  // The reason in the router's GOODBYE reply, which both clients pass to the application
  // (Autobahn|Python on_leave details.reason, Autobahn|JS onclose details.reason). The WAMP spec
  // says wamp.close.goodbye_and_out, which the embedded router sends; Crossbar.io 26.10.1
  // replies with a bare Goodbye(), whose default reason is wamp.close.normal.
  const GOODBYE_REPLY = routerKind === 'crossbar' ? 'wamp.close.normal' : 'wamp.close.goodbye_and_out';

  it(
    'an Autobahn|Python session that leaves is said goodbye, and its registration and subscription go with it',
    T,
    async () => {
      const proc = uniqueUri('peers.gone.py');
      const topic = uniqueUri('peers.gone.topic');
      const [js, py] = await Promise.all([autobahnJs('json'), python('json')]);
      await py.ok({ cmd: 'register', procedure: proc, kind: 'echo' });
      await py.ok({ cmd: 'subscribe', topic });
      assert.deepEqual(await js.ok({ cmd: 'call', procedure: proc, args: [1] }), { value: 1 });

      await py.ok({ cmd: 'leave' });
      const left = await py.waitFor((m) => m.type === 'left', 'on_leave');
      assert.equal(left.reason, GOODBYE_REPLY, "the reason of the router's GOODBYE reply");
      const done = await py.waitFor((m) => m.type === 'done', 'the component finishing');
      assert.equal(done.ok, true, JSON.stringify(done));

      const after = await js.request({ cmd: 'call', procedure: proc, args: [2] });
      assert.equal(after.ok, false);
      assert.equal(after.error.error, 'wamp.error.no_such_procedure');
      // Nobody is subscribed any more: an acknowledged publish still succeeds.
      assert.equal(typeof (await js.ok({ cmd: 'publish', topic, args: ['anyone?'] })), 'number');
    }
  );

  it('an Autobahn|JS session that closes: the router answers its GOODBYE and drops its registration', T, async () => {
    const proc = uniqueUri('peers.gone.js');
    const [js, py] = await Promise.all([autobahnJs('cbor'), python('cbor')]);
    await js.ok({ cmd: 'register', procedure: proc, kind: 'echo' });
    assert.equal((await py.request({ cmd: 'call', procedure: proc, args: ['x'] })).result, 'x');
    const closed = await js.ok({ cmd: 'close' });
    assert.equal(closed.reason, 'closed');
    assert.equal(closed.details.reason, GOODBYE_REPLY, JSON.stringify(closed));
    assert.equal(closed.details.will_retry, false);
    const after = await py.request({ cmd: 'call', procedure: proc, args: ['y'] });
    assert.equal(after.ok, false);
    assert.equal(after.error, 'wamp.error.no_such_procedure');
  });

  it(
    'an Autobahn|Python callee killed during a call: the Autobahn|JS caller gets an error, later calls no_such_procedure',
    T,
    async () => {
      const proc = uniqueUri('peers.gone.hang');
      const [js, py] = await Promise.all([autobahnJs('msgpack'), python('msgpack')]);
      await py.ok({ cmd: 'register', procedure: proc, kind: 'hang' });
      const pending = js.request({ cmd: 'call', procedure: proc, args: ['stuck'] });
      await py.waitFor((m) => m.type === 'invocation', 'the invocation');
      process.kill(py.pid, 'SIGKILL');
      const reply = await pending;
      assert.equal(reply.ok, false, 'the pending call must fail, not hang');
      assert.equal(reply.error.error, 'wamp.error.canceled', JSON.stringify(reply.error));
      const after = await js.request({ cmd: 'call', procedure: proc, args: ['again'] });
      assert.equal(after.ok, false);
      assert.equal(after.error.error, 'wamp.error.no_such_procedure');
    }
  );
});

// -------------------------------------------------------------------------------------------

describe('authentication of Autobahn|Python and Autobahn|JS', () => {
  const pyAuth = (authentication, serializer = 'json') =>
    PythonPeer.start({ url: authUrl, realm: AUTH_REALM, serializer, authentication }, { expectJoin: false });
  const jsAuth = (options) =>
    AutobahnJsPeer.start({ url: authUrl, realm: AUTH_REALM, ...options }, { expectJoin: false });

  function assertPyJoined(peer, expected) {
    assert.equal(peer.outcome.type, 'joined', `Autobahn|Python did not join: ${JSON.stringify(peer.messages)}`);
    const { authid, authrole, authmethod, authprovider } = peer.joined;
    assert.deepEqual({ authid, authrole, authmethod, authprovider }, { authprovider: 'static', ...expected });
  }
  function assertPyRefused(peer, reason = 'wamp.error.not_authorized') {
    assert.notEqual(peer.outcome.type, 'joined', 'Autobahn|Python joined with wrong credentials');
    assert.equal(peer.outcome.reason, reason, JSON.stringify(peer.messages));
  }
  function assertJsJoined(peer, expected) {
    assert.ok(peer.joined, `Autobahn|JS did not join: ${JSON.stringify(peer.outcome)}`);
    const { authid, authrole, authmethod, authprovider } = peer.joined.details;
    assert.deepEqual({ authid, authrole, authmethod, authprovider }, { authprovider: 'static', ...expected });
  }
  function assertJsRefused(peer, reason = 'wamp.error.not_authorized') {
    assert.ok(!peer.joined, 'Autobahn|JS joined with wrong credentials');
    assert.ok(peer.outcome.closed, `no onclose: ${JSON.stringify(peer.outcome)}`);
    assert.equal(peer.outcome.closed.details.reason, reason, JSON.stringify(peer.outcome));
  }

  describe('Autobahn|Python', () => {
    it('ticket: the right ticket joins, a wrong one is refused', T, async () => {
      const [good, bad] = await Promise.all([
        pyAuth({ ticket: { authid: 'ticket-user', ticket: TICKET } }),
        pyAuth({ ticket: { authid: 'ticket-user', ticket: 'not-the-ticket' } }),
      ]);
      assertPyJoined(good, { authid: 'ticket-user', authrole: 'ticket-role', authmethod: 'ticket' });
      assertPyRefused(bad);
    });

    it('wampcra: a plain and a salted secret join, a wrong secret is refused', T, async () => {
      const [plain, salted, bad] = await Promise.all([
        pyAuth({ wampcra: { authid: 'cra-user', secret: CRA_SECRET } }, 'msgpack'),
        pyAuth({ wampcra: { authid: 'cra-salted', secret: CRA_SALTED.secret } }, 'cbor'),
        pyAuth({ wampcra: { authid: 'cra-user', secret: 'not-the-secret' } }),
      ]);
      assertPyJoined(plain, { authid: 'cra-user', authrole: 'cra-role', authmethod: 'wampcra' });
      assertPyJoined(salted, { authid: 'cra-salted', authrole: 'cra-role', authmethod: 'wampcra' });
      assertPyRefused(bad);
    });

    it('cryptosign: the authorized key joins (with or without authid), another key is refused', T, async () => {
      const [withId, byKey, other] = await Promise.all([
        pyAuth({ cryptosign: { authid: 'cs-user', privkey: CS_SEED } }),
        pyAuth({ cryptosign: { privkey: CS_SEED } }, 'msgpack'),
        pyAuth({ cryptosign: { authid: 'cs-user', privkey: CS_OTHER_SEED } }),
      ]);
      assertPyJoined(withId, { authid: 'cs-user', authrole: 'cs-role', authmethod: 'cryptosign' });
      assertPyJoined(byKey, { authid: 'cs-user', authrole: 'cs-role', authmethod: 'cryptosign' });
      assertPyRefused(other);
    });

    // Autobahn|Python 26.10.2 answers only argon2id-13 SCRAM challenges: for pbkdf2 its AuthScram
    // passes the Base64 salt as a str to its own pbkdf2(), which raises "Invalid argument types"
    // (the client aborts with wamp.error.cannot_authenticate, whatever the router). Our client's
    // pbkdf2 SCRAM is covered in auth.test.js.
    it(
      'scram (argon2id-13): joins on each serializer, Autobahn|Python verifies the router signature; a wrong password is refused',
      T,
      async () => {
        const [json, msgpack, cbor, bad] = await Promise.all([
          pyAuth({ scram: { authid: 'scram-argon', password: SCRAM_PASSWORD } }, 'json'),
          pyAuth({ scram: { authid: 'scram-argon', password: SCRAM_PASSWORD } }, 'msgpack'),
          pyAuth({ scram: { authid: 'scram-argon', password: SCRAM_PASSWORD } }, 'cbor'),
          pyAuth({ scram: { authid: 'scram-argon', password: 'wrong password' } }),
        ]);
        // A session that joined has passed AuthScram.on_welcome, the check of scram_server_signature.
        for (const peer of [json, msgpack, cbor]) {
          assertPyJoined(peer, { authid: 'scram-argon', authrole: 'scram-role', authmethod: 'scram' });
        }
        assertPyRefused(bad);
      }
    );

    it("several offered methods: the router challenges with the first one, in the client's order", T, async () => {
      const [craFirst, ticketFirst] = await Promise.all([
        pyAuth({
          wampcra: { authid: 'both-user', secret: BOTH.secret },
          ticket: { authid: 'both-user', ticket: BOTH.ticket },
        }),
        pyAuth({
          ticket: { authid: 'both-user', ticket: BOTH.ticket },
          wampcra: { authid: 'both-user', secret: BOTH.secret },
        }),
      ]);
      assertPyJoined(craFirst, { authid: 'both-user', authrole: 'cra-role', authmethod: 'wampcra' });
      assertPyJoined(ticketFirst, { authid: 'both-user', authrole: 'ticket-role', authmethod: 'ticket' });
    });

    it('an unknown authid is refused', T, async () => {
      const [ticket, scram] = await Promise.all([
        pyAuth({ ticket: { authid: 'nobody', ticket: TICKET } }),
        pyAuth({ scram: { authid: 'nobody', password: SCRAM_PASSWORD } }),
      ]);
      assertPyRefused(ticket);
      assertPyRefused(scram);
    });
  });

  describe('Autobahn|JS (ticket, wampcra and cryptosign; 26.3.1 has no SCRAM)', () => {
    it('ticket: the right ticket joins, a wrong one is refused', T, async () => {
      const [good, bad] = await Promise.all([
        jsAuth({ authmethods: ['ticket'], authid: 'ticket-user', credentials: { ticket: TICKET } }),
        jsAuth({ authmethods: ['ticket'], authid: 'ticket-user', credentials: { ticket: 'not-the-ticket' } }),
      ]);
      assertJsJoined(good, { authid: 'ticket-user', authrole: 'ticket-role', authmethod: 'ticket' });
      assertJsRefused(bad);
    });

    it('wampcra: a plain and a salted secret (auth_cra.derive_key) join, a wrong secret is refused', T, async () => {
      const [plain, salted, bad] = await Promise.all([
        jsAuth({
          authmethods: ['wampcra'],
          authid: 'cra-user',
          credentials: { secret: CRA_SECRET },
          serializer: 'msgpack',
        }),
        jsAuth({
          authmethods: ['wampcra'],
          authid: 'cra-salted',
          credentials: { secret: CRA_SALTED.secret },
          serializer: 'cbor',
        }),
        jsAuth({ authmethods: ['wampcra'], authid: 'cra-user', credentials: { secret: 'not-the-secret' } }),
      ]);
      assertJsJoined(plain, { authid: 'cra-user', authrole: 'cra-role', authmethod: 'wampcra' });
      assertJsJoined(salted, { authid: 'cra-salted', authrole: 'cra-role', authmethod: 'wampcra' });
      assertJsRefused(bad);
    });

    it(
      'cryptosign: auth_cryptosign.sign_challenge with the authorized key joins, another key is refused',
      T,
      async () => {
        const [withId, byKey, other] = await Promise.all([
          jsAuth({ authmethods: ['cryptosign'], authid: 'cs-user', credentials: { seed: CS_SEED } }),
          jsAuth({ authmethods: ['cryptosign'], credentials: { seed: CS_SEED } }),
          jsAuth({ authmethods: ['cryptosign'], authid: 'cs-user', credentials: { seed: CS_OTHER_SEED } }),
        ]);
        assertJsJoined(withId, { authid: 'cs-user', authrole: 'cs-role', authmethod: 'cryptosign' });
        assertJsJoined(byKey, { authid: 'cs-user', authrole: 'cs-role', authmethod: 'cryptosign' });
        assertJsRefused(other);
      }
    );

    it("several offered methods: the router challenges with the first one, in the client's order", T, async () => {
      const credentials = { ticket: BOTH.ticket, secret: BOTH.secret };
      const [craFirst, ticketFirst] = await Promise.all([
        jsAuth({ authmethods: ['wampcra', 'ticket'], authid: 'both-user', credentials }),
        jsAuth({ authmethods: ['ticket', 'wampcra'], authid: 'both-user', credentials }),
      ]);
      assertJsJoined(craFirst, { authid: 'both-user', authrole: 'cra-role', authmethod: 'wampcra' });
      assertJsJoined(ticketFirst, { authid: 'both-user', authrole: 'ticket-role', authmethod: 'ticket' });
    });
  });

  it('authenticated Autobahn|JS, Autobahn|Python and our client see each other’s authid and authrole', T, async () => {
    const proc = uniqueUri('peers.auth.echo');
    const topic = uniqueUri('peers.auth.topic');
    const keypair = autobahn.auth_cryptosign.keypair_from_seed(CS_SEED);
    const [js, py, { session }] = await Promise.all([
      jsAuth({
        authmethods: ['wampcra'],
        authid: 'cra-salted',
        credentials: { secret: CRA_SALTED.secret },
        serializer: 'msgpack',
      }),
      pyAuth({ scram: { authid: 'scram-argon', password: SCRAM_PASSWORD } }, 'cbor'),
      ours('json', {
        url: authUrl,
        realm: AUTH_REALM,
        authmethods: ['cryptosign'],
        authid: 'cs-user',
        authextra: { pubkey: autobahn.auth_cryptosign.public_key(keypair) },
        onchallenge: (_s, _method, extra) => autobahn.auth_cryptosign.sign_challenge(keypair, extra),
      }),
    ]);
    assertJsJoined(js, { authid: 'cra-salted', authrole: 'cra-role', authmethod: 'wampcra' });
    assertPyJoined(py, { authid: 'scram-argon', authrole: 'scram-role', authmethod: 'scram' });
    assert.equal(session.authid, 'cs-user');

    await Promise.all([js.ok({ cmd: 'register', procedure: proc, kind: 'echo' }), py.ok({ cmd: 'subscribe', topic })]);
    const ourEvents = collector();
    await session.subscribe(topic, (args, _kw, details) => ourEvents.push({ args, details }));

    assert.equal((await py.request({ cmd: 'call', procedure: proc, args: ['from scram'] })).result, 'from scram');
    assert.deepEqual(await session.call(proc, ['from cryptosign']), 'from cryptosign');
    const inv = await js.waitForCount((m) => m.type === 'invocation', 2, 'invocations');
    assert.deepEqual(
      inv.map((i) => [i.details.caller, i.details.caller_authid, i.details.caller_authrole]),
      [
        [py.joined.session, 'scram-argon', 'scram-role'],
        [session.id, 'cs-user', 'cs-role'],
      ]
    );

    await js.ok({ cmd: 'publish', topic, args: ['from cra'] });
    const [pyEvent] = await py.waitForCount((m) => m.type === 'event', 1, 'event');
    assert.deepEqual(
      [pyEvent.args, pyEvent.publisher, pyEvent.publisher_authid],
      [['from cra'], js.joined.session, 'cra-salted']
    );
    const [ourEvent] = await ourEvents.waitFor(1);
    assert.deepEqual(
      [
        ourEvent.args,
        ourEvent.details.publisher,
        ourEvent.details.publisher_authid,
        ourEvent.details.publisher_authrole,
      ],
      [['from cra'], js.joined.session, 'cra-salted', 'cra-role']
    );
  });
});

// -------------------------------------------------------------------------------------------

describe('binary values and integers between serializers', () => {
  // Every byte value (and an empty one) and the integer edges of each encoding, within the
  // range JavaScript numbers hold exactly.
  const INTS = [
    0,
    1,
    -1,
    23,
    24,
    -24,
    -25,
    127,
    128,
    255,
    256,
    -129,
    65535,
    65536,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 32 - 1,
    2 ** 32,
    -(2 ** 32) - 1,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
  ];
  const payload = () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    return {
      args: [all, Buffer.alloc(0), Buffer.from([0]), crypto.randomBytes(1000), 'text', ...INTS],
      kwargs: {
        bin: Buffer.from('deadbeef', 'hex'),
        ints: { max: 2 ** 53 - 1, min: -(2 ** 53 - 1), zero: 0 },
        mixed: [Buffer.from('\u0000AAAA'), 7, 'AAAA', { inner: Buffer.from([255]) }],
      },
    };
  };

  // [Autobahn|Python serializer, JS client, JS serializer]
  const PAIRS = [
    ['json', 'autobahn-js', 'msgpack'],
    ['json', 'autobahn-js', 'cbor'],
    ['msgpack', 'autobahn-js', 'cbor'],
    ['cbor', 'autobahn-js', 'msgpack'],
    ['msgpack', 'ours', 'json'],
    ['cbor', 'ours', 'json'],
    ['json', 'ours', 'msgpack'],
  ];

  /** The JS side of a pair as one interface: register(kind), subscribe, call, publish. */
  async function jsSide(impl, serializer) {
    if (impl === 'autobahn-js') {
      const peer = await autobahnJs(serializer);
      return {
        session: peer.joined.session,
        register: (procedure, kind) => peer.ok({ cmd: 'register', procedure, kind }),
        subscribe: async (topic) => {
          await peer.ok({ cmd: 'subscribe', topic });
          return async () => (await peer.waitForCount((m) => m.type === 'event' && m.topic === topic, 1, 'event'))[0];
        },
        call: async (procedure, args, kwargs) => asArgs(await peer.ok({ cmd: 'call', procedure, args, kwargs })),
        publish: (topic, args, kwargs) => peer.ok({ cmd: 'publish', topic, args, kwargs }),
      };
    }
    const { session } = await ours(serializer);
    return {
      session: session.id,
      register: (procedure, kind) => session.register(procedure, OUR_ENDPOINTS[kind]),
      subscribe: async (topic) => {
        const got = collector();
        await session.subscribe(topic, (args, kwargs) => got.push({ args, kwargs }));
        return async () => (await got.waitFor(1))[0];
      },
      call: async (procedure, args, kwargs) => asArgs(await session.call(procedure, args, kwargs)),
      publish: (topic, args, kwargs) => session.publish(topic, args, kwargs, { acknowledge: true }),
    };
  }

  it('a 1 MiB binary value: Autobahn|Python on json <-> Autobahn|JS on msgpack, both directions', T, async () => {
    const base = uniqueUri('peers.bin.large');
    const [py, js] = await Promise.all([python('json'), autobahnJs('msgpack')]);
    await Promise.all([
      py.ok({ cmd: 'register', procedure: `${base}.py`, kind: 'echo' }),
      js.ok({ cmd: 'register', procedure: `${base}.js`, kind: 'echo' }),
    ]);
    const big = crypto.randomBytes(1024 * 1024);
    const viaPy = await js.ok({ cmd: 'call', procedure: `${base}.py`, args: [big] }, 20000);
    assert.ok(Buffer.isBuffer(viaPy.value), 'a Buffer back at Autobahn|JS');
    assert.ok(big.equals(viaPy.value), 'the same 1 MiB back at Autobahn|JS');
    const viaJs = await py.request({ cmd: 'call', procedure: `${base}.js`, args: [big], describe: true }, 20000);
    assert.equal(viaJs.ok, true, JSON.stringify(viaJs.error));
    assert.ok(Buffer.isBuffer(viaJs.result) && big.equals(viaJs.result), 'the same 1 MiB back at Autobahn|Python');
    assert.match(viaJs.types.args[0], /^bytes:/);
  });

  for (const [pySer, impl, jsSer] of PAIRS) {
    it(
      `Autobahn|Python on ${pySer} <-> ${impl === 'ours' ? 'our client' : 'Autobahn|JS'} on ${jsSer}: calls and events`,
      T,
      async () => {
        const base = uniqueUri(`peers.bin.${pySer}.${impl}.${jsSer}`);
        const [py, js] = await Promise.all([python(pySer), jsSide(impl, jsSer)]);
        assert.equal(py.joined.serializer, pySer);
        const { args, kwargs } = payload();
        const expected = { args: typesOf(args), kwargs: typesOf(kwargs) };

        await Promise.all([
          py.ok({ cmd: 'register', procedure: `${base}.py.describe`, kind: 'describe' }),
          py.ok({ cmd: 'register', procedure: `${base}.py.echo`, kind: 'echo' }),
          py.ok({ cmd: 'subscribe', topic: `${base}.to_py` }),
          js.register(`${base}.js.describe`, 'describe'),
          js.register(`${base}.js.echo`, 'echo'),
        ]);
        const jsEvent = await js.subscribe(`${base}.to_js`);

        // JS -> Python: what Autobahn|Python received, by type
        const described = await js.call(`${base}.py.describe`, args, kwargs);
        assert.deepEqual(described.args[0], expected.args, 'call args as received by Autobahn|Python');
        assert.deepEqual(described.kwargs.kwargs, expected.kwargs, 'call kwargs as received by Autobahn|Python');

        // JS -> Python -> JS: the echo comes back identical
        const echoed = await js.call(`${base}.py.echo`, args, kwargs);
        assert.deepEqual(typesOf(echoed.args), expected.args, 'echo args back at JS');
        assert.deepEqual(typesOf(echoed.kwargs), expected.kwargs, 'echo kwargs back at JS');
        assert.ok(Buffer.isBuffer(echoed.args[0]), 'bytes arrive as a Buffer');

        // Python -> JS: what the JS client received, and the echo back at Python
        const pyDescribed = await py.request({ cmd: 'call', procedure: `${base}.js.describe`, args, kwargs });
        assert.equal(pyDescribed.ok, true, JSON.stringify(pyDescribed.error));
        assert.deepEqual(asArgs(pyDescribed.result).args[0], expected.args, 'call args as received by the JS client');
        assert.deepEqual(
          asArgs(pyDescribed.result).kwargs.kwargs,
          expected.kwargs,
          'call kwargs as received by the JS client'
        );
        const pyEchoed = await py.request({ cmd: 'call', procedure: `${base}.js.echo`, args, kwargs, describe: true });
        assert.equal(pyEchoed.ok, true, JSON.stringify(pyEchoed.error));
        assert.deepEqual(pyEchoed.types, expected, 'echo back at Autobahn|Python, by type');

        // Events both ways
        await py.ok({ cmd: 'publish', topic: `${base}.to_js`, args, kwargs });
        const ev = await jsEvent();
        assert.deepEqual(typesOf(ev.args), expected.args, 'event args at the JS client');
        assert.deepEqual(typesOf(ev.kwargs), expected.kwargs, 'event kwargs at the JS client');
        await js.publish(`${base}.to_py`, args, kwargs);
        const [pyEv] = await py.waitForCount((m) => m.type === 'event', 1, 'event');
        assert.deepEqual(pyEv.types, expected.args, 'event args as received by Autobahn|Python');
        assert.deepEqual(pyEv.kwtypes, expected.kwargs, 'event kwargs as received by Autobahn|Python');
      }
    );
  }
});
