'use strict';
// Drop-in fidelity with Autobahn|JS 26.3.1 (autobahn-reference) for code ported from it: the texts
// on_user_error receives, the other exports (util, log, transports, msgpack/cbor/nacl,
// auth_persona), the own enumerable keys of the objects handed to application code, and the
// private members session._socket and session._send_wamp. Where both clients can run the same
// scenario against the same router, they do (helpers/fidelity-scenario.js) and their views are
// compared.

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const reference = require('autobahn-reference');
const { useRouter, autobahn, uniqueUri, collector, deferred, withTimeout } = require('./helpers/session');

const T = { timeout: 30000 };
const ROOT = path.join(__dirname, '..');
const SCENARIO = path.join(__dirname, 'helpers', 'fidelity-scenario.js');
const ctx = useRouter();

// Runs a Node script in a child process; resolves {code, stdout, stderr}.
function runNode(args, env = {}) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: Object.assign({}, process.env, env), timeout: 25000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr })
    );
  });
}

// The scenario's JSON line (Autobahn|JS may log other lines to stdout).
async function scenario(which) {
  const major = Number(process.versions.node.split('.')[0]);
  const flags = major < 22 ? ['--experimental-websocket', '--disable-warning=ExperimentalWarning'] : [];
  const { stdout, stderr } = await runNode([...flags, SCENARIO, which, ctx.router.url, ctx.router.realm]);
  const line = stdout.split('\n').find((l) => l.startsWith('{"'));
  assert.ok(line, `${which}: the scenario printed no result (stderr: ${stderr.slice(-2000)})`);
  const res = JSON.parse(line);
  assert.equal(res.failed, undefined, `${which}: ${res.failed}`);
  return res;
}

// [kind, request id] of the requests among traced messages (answers to invocations carry the
// router's invocation ids, which differ between two sessions; GOODBYE is the engine's own).
const REQUEST_KINDS = new Set([16, 32, 34, 48, 49, 64, 66]);
const requests = (msgs) => msgs.filter(([kind]) => REQUEST_KINDS.has(kind));

describe('the same scenario with this package and with Autobahn|JS', () => {
  let ours;
  let theirs;
  before(async () => {
    [ours, theirs] = await Promise.all([scenario('autobahn'), scenario('reference')]);
  }, T);

  it("on_user_error gets Autobahn|JS's texts for onopen, onclose, event handler and endpoint exceptions", () => {
    const expected = [
      'Exception raised from app code while firing Connection.onopen()',
      'Exception raised in event handler:',
      'Exception raised in invocation handler:',
      'Exception raised from app code while firing Connection.onclose()',
    ];
    assert.deepEqual(theirs.userErrors, expected, 'Autobahn|JS (the reference)');
    assert.deepEqual(ours.userErrors, expected);
  });

  it('a throw in onopen does not close the connection', () => {
    assert.equal(theirs.openAfterThrow, true);
    assert.equal(ours.openAfterThrow, true, 'the session worked through the whole scenario after onopen threw');
  });

  it('the objects handed to application code have the own enumerable keys of Autobahn|JS', () => {
    for (const what of Object.keys(theirs.keys)) {
      assert.deepEqual(ours.keys[what], theirs.keys[what], `Object.keys of the ${what}`);
    }
    assert.equal(Object.keys(theirs.keys).length, 8, 'every object was seen');
    assert.deepEqual(ours.keys.invocation, ['procedure', 'progress', 'caller', 'caller_authid', 'caller_authrole']);
    assert.deepEqual(
      ours.hidden.invocation,
      { signal: true, forward_for: true },
      'details.signal and details.forward_for are still there'
    );
  });

  it('session._socket shows the transport info and the serializer id', () => {
    assert.deepEqual(ours.socket, theirs.socket);
    assert.deepEqual(ours.socket.info, { type: 'websocket', url: ctx.router.url, protocol: 'wamp.2.json' });
    assert.equal(ours.socket.serializer, 'json');
  });

  it('a wrapped session._send_wamp sees the messages and request ids Autobahn|JS passes it', () => {
    assert.ok(ours.sent.length >= 11, `messages traced: ${JSON.stringify(ours.sent)}`);
    assert.deepEqual(
      ours.sent.map(([kind]) => kind),
      theirs.sent.map(([kind]) => kind).filter((kind) => kind !== 6),
      'the same message kinds in the same order'
    );
    assert.deepEqual(requests(ours.sent), requests(theirs.sent), 'the same request ids');
  });

  it('the request ids _send_wamp sees are the ones the engine puts on the wire', () => {
    assert.deepEqual(requests(ours.sent), requests(ours.wire));
  });
});

describe('session._send_wamp', () => {
  // A session whose engine logs the messages it sends (AUTOBAHN_DEBUG, read at open()): `wire`
  // collects them, with the request ids the router sees.
  let restoreLog = null;
  async function openWithWireLog() {
    const wire = [];
    const log = console.log;
    console.log = (...args) => {
      const line = typeof args[0] === 'string' ? args[0] : '';
      if (!line.startsWith('AUTOBAHN_DEBUG: ')) return log(...args);
      const m = /^AUTOBAHN_DEBUG: WAMP sent (.*)$/s.exec(line);
      if (m) wire.push(JSON.parse(m[1]));
      return undefined;
    };
    restoreLog = () => {
      console.log = log;
    };
    globalThis.AUTOBAHN_DEBUG = true;
    try {
      const opened = await ctx.open({ use_es6_promises: true });
      // HELLO is the engine's own.
      wire.length = 0;
      return Object.assign({ wire }, opened);
    } finally {
      delete globalThis.AUTOBAHN_DEBUG;
    }
  }
  afterEach(() => {
    if (restoreLog) restoreLog();
    restoreLog = null;
  });

  // Wraps _send_wamp the way tracing code does; `decide(msg)` false drops the message.
  function wrap(session, decide = () => true) {
    const seen = [];
    const orig = session._send_wamp.bind(session);
    session._send_wamp = (msg) => {
      seen.push(msg);
      if (decide(msg)) orig(msg);
    };
    return seen;
  }

  it('the wrapping pattern sends each message exactly once', T, async () => {
    const { session: publisher } = await ctx.open({ use_es6_promises: true });
    const { session: subscriber } = await ctx.open({ use_es6_promises: true });
    const topic = uniqueUri('fidelity.once');
    const got = collector();
    await subscriber.subscribe(topic, (args) => got.push(args[0]));
    const seen = wrap(publisher);
    publisher.publish(topic, ['a']);
    publisher.publish(topic, ['b']);
    // The acknowledged publish comes back after the router has handled the two before it.
    await publisher.publish(topic, ['end'], {}, { acknowledge: true });
    assert.deepEqual(await got.waitFor(3), ['a', 'b', 'end']);
    assert.deepEqual(
      seen.map((m) => [m[0], m[3], m[4]]),
      [
        [16, topic, ['a']],
        [16, topic, ['b']],
        [16, topic, ['end']],
      ]
    );
    assert.deepEqual(got.items, ['a', 'b', 'end'], 'no message went out twice');
  });

  it(
    'a replacement that does not pass a message on drops it; later request ids stay those on the wire',
    T,
    async () => {
      const { session: publisher, wire } = await openWithWireLog();
      const { session: subscriber } = await ctx.open({ use_es6_promises: true });
      const topic = uniqueUri('fidelity.drop');
      const got = collector();
      await subscriber.subscribe(topic, (args) => got.push(args[0]));
      const seen = wrap(publisher, (msg) => !(Array.isArray(msg[4]) && msg[4][0] === 'dropped'));
      publisher.publish(topic, ['dropped']);
      await publisher.publish(topic, ['kept'], {}, { acknowledge: true });
      await publisher.call('wamp.session.count');
      assert.deepEqual(await got.waitFor(1), ['kept']);
      const ids = (msgs) => msgs.filter((m) => m[0] === 16 || m[0] === 48).map((m) => [m[0], m[1]]);
      assert.deepEqual(ids(seen).slice(1), ids(wire), 'the ids after the dropped PUBLISH are those on the wire');
      assert.equal(wire.length, 2, 'the dropped PUBLISH was not sent');
      // Back to the prototype's _send_wamp: requests still work.
      delete publisher._send_wamp;
      await publisher.publish(topic, ['after'], {}, { acknowledge: true });
      assert.deepEqual(await got.waitFor(2), ['kept', 'after']);
    }
  );

  it('a CANCEL carries the request id of its call; an endpoint answer carries the invocation id', T, async () => {
    const { session: callee } = await ctx.open({ use_es6_promises: true });
    const { session: caller } = await ctx.open({ use_es6_promises: true });
    const proc = uniqueUri('fidelity.cancel');
    const invoked = deferred();
    await callee.register(proc, (args, kwargs, details) => {
      invoked.resolve();
      return new Promise((resolve) => details.signal.addEventListener('abort', () => resolve('stopped')));
    });
    const calleeSeen = wrap(callee);
    const callerSeen = wrap(caller);
    const p = caller.call(proc, [1]);
    const rejected = p.then(
      () => null,
      (e) => e
    );
    await withTimeout(invoked.promise, 10000, 'the invocation');
    p.cancel({ mode: 'killnowait' });
    const err = await rejected;
    assert.equal(err.error, 'wamp.error.canceled');
    const call = callerSeen.find((m) => m[0] === 48);
    const cancel = callerSeen.find((m) => m[0] === 49);
    assert.ok(Number.isInteger(call[1]) && call[1] > 0, `the CALL has a request id: ${call[1]}`);
    assert.deepEqual(cancel, [49, call[1], { mode: 'killnowait' }]);
    // Autobahn|JS's session ignores INTERRUPT; ours answers through the abort signal (if the
    // router forwards the cancel to the callee at all).
    for (const m of calleeSeen) {
      assert.ok(m[0] === 70 || m[0] === 8, `the callee only answers: ${JSON.stringify(m)}`);
    }
  });

  it('bad input still throws synchronously; a request it did not build is refused', T, async () => {
    const { session } = await ctx.open({ use_es6_promises: true });
    const seen = wrap(session);
    assert.throws(() => session.call(uniqueUri('fidelity.bad'), [() => 1]), /cannot serialize a function/);
    assert.equal(seen.length, 0, 'nothing reached _send_wamp');
    assert.throws(
      () => Object.getPrototypeOf(session)._send_wamp.call(session, [48, 1, {}, 'com.example.x', []]),
      /can only be sent as the session built it/
    );
    assert.throws(() => session._socket.send('not a message'), /expected a WAMP message \(an array\)/);
  });
});

describe('session._socket', () => {
  for (const [serializer, Serializer] of [
    ['msgpack', autobahn.serializer.MsgpackSerializer],
    ['cbor', autobahn.serializer.CBORSerializer],
  ]) {
    it(`names the serializer in use (${serializer}, WebSocket and RawSocket)`, T, async () => {
      const ws = await ctx.open({ serializers: [new Serializer()] });
      assert.deepEqual(ws.session._socket.info, {
        type: 'websocket',
        url: ctx.router.url,
        protocol: `wamp.2.${serializer}`,
      });
      assert.equal(ws.session._socket.serializer.SERIALIZER_ID, serializer);
      const rs = await ctx.open({
        url: undefined,
        transports: [{ type: 'rawsocket', url: `rs://127.0.0.1:${ctx.router.port}`, serializers: [new Serializer()] }],
      });
      assert.equal(rs.session._socket.info.type, 'rawsocket');
      assert.equal(rs.session._socket.info.protocol, `wamp.2.${serializer}`);
      assert.equal(rs.session._socket.serializer.SERIALIZER_ID, serializer);
    });
  }
});

describe('exports', () => {
  it("has every top-level export of Autobahn|JS, and each export's members", () => {
    for (const key of Object.keys(reference)) assert.ok(key in autobahn, `autobahn.${key}`);
    for (const key of ['util', 'log', 'serializer', 'auth_cra']) {
      for (const member of Object.keys(reference[key])) {
        assert.ok(member in autobahn[key], `autobahn.${key}.${member}`);
      }
    }
    assert.equal(`${autobahn.version}`, require('../package.json').version, 'version reads as a string too');
  });

  it("autobahn.util behaves as Autobahn|JS's", async () => {
    const ours = autobahn.util;
    const theirs = reference.util;
    const bytes = new Uint8Array([0, 1, 127, 128, 255]);
    assert.deepEqual(ours.btoa(bytes), theirs.btoa(bytes));
    assert.deepEqual(ours.atob('AAF/gP8='), theirs.atob('AAF/gP8='));
    assert.deepEqual(ours.btoh(bytes), theirs.btoh(bytes));
    assert.deepEqual(ours.htob('00017f80ff'), theirs.htob('00017f80ff'));
    for (const empty of [null, undefined, '']) {
      assert.equal(ours.atob(empty), theirs.atob(empty));
      assert.equal(ours.htob(empty), theirs.htob(empty));
    }
    assert.throws(() => ours.htob('abc'), {
      name: 'RangeError',
      message: 'Expected string to be an even number of characters',
    });
    assert.throws(() => ours.htob(12), { name: 'TypeError', message: 'Expected input to be a string' });
    const big = new Uint8Array(200000).fill(7);
    assert.equal(ours.btoa(big), Buffer.from(big).toString('base64'), 'large arrays (Autobahn|JS overflows the stack)');
    for (const v of [{}, [], null, 1, 'x', () => 1, new Date()]) {
      assert.equal(ours.is_object(v), theirs.is_object(v), `is_object(${String(v)})`);
    }
    assert.throws(() => ours.assert(false), { message: 'Assertion failed!' });
    assert.throws(() => ours.assert(0, 'Session.call: <procedure> must be a string'), {
      message: 'Session.call: <procedure> must be a string',
    });
    ours.assert(true);
    const mk = () => [{ a: 1, n: { x: 1 } }, { a: 2, b: 2, n: { y: 2 } }, { c: 3 }];
    assert.deepEqual(ours.defaults(...mk()), theirs.defaults(...mk()));
    assert.deepEqual(ours.defaults(...mk(), true), theirs.defaults(...mk(), true));
    assert.throws(() => ours.defaults({}, 5), { message: 'Expected argument at index 1 to be an object' });
    const id = ours.new_global_id();
    assert.ok(Number.isInteger(id) && id >= 1 && id <= 2 ** 53);
    assert.equal(typeof ours.rand_normal(5, 1), 'number');
    const d = ours.deferred_factory()();
    assert.equal(ours.promise(d), d.promise);
    assert.equal(typeof ours.deferred_factory({ use_es6_promises: true })().promise.then, 'function');
    assert.equal(await ours.as_promise((a, b) => a + b, 1, 2), 3);
    await assert.rejects(
      ours.as_promise(() => {
        throw new Error('x');
      }),
      { message: 'x' }
    );
    const handled = [];
    ours.handle_error((e, m) => handled.push([e, m]), 'err', 'text');
    assert.deepEqual(handled, [['err', 'text']]);
    await ours.sleep(1);
    const file = path.join(os.tmpdir(), `fidelity-${process.pid}.txt`);
    fs.writeFileSync(file, 'contents');
    try {
      assert.equal(String(await ours.read_file(file)), 'contents');
    } finally {
      fs.unlinkSync(file);
    }
  });

  describe('autobahn.util HTTP helpers (on Node fetch)', () => {
    let server;
    let base;
    const posted = [];
    before(async () => {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          if (req.url === '/json') res.writeHead(200).end('{"a":[1,2]}');
          else if (req.url === '/empty') res.writeHead(204).end();
          else if (req.url === '/post') {
            posted.push({ body, type: req.headers['content-type'] });
            res.writeHead(200).end('thanks');
          } else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 2000);
          else res.writeHead(404, 'Nope').end();
        });
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${server.address().port}`;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    it('http_get_json, http_post: 200, 204, errors as {code, text}, timeouts as 501', T, async () => {
      const u = autobahn.util;
      assert.deepEqual(await u.http_get_json(`${base}/json`), { a: [1, 2] });
      assert.equal(await u.http_get_json(`${base}/empty`), undefined);
      assert.equal(await u.http_post(`${base}/post`, '{"x":1}'), 'thanks');
      assert.deepEqual(posted, [{ body: '{"x":1}', type: 'application/json; charset=utf-8' }]);
      await assert.rejects(u.http_get_json(`${base}/missing`), (e) => {
        assert.deepEqual(e, { code: 404, text: 'Nope' });
        return true;
      });
      await assert.rejects(u.http_post(`${base}/slow`, 'x', 100), (e) => {
        assert.deepEqual(e, { code: 501, text: 'request timeout' });
        return true;
      });
    });
  });

  it('autobahn.transports lists the built-in transports and refuses factories of its own', () => {
    const t = autobahn.transports;
    assert.deepEqual(t.list(), ['websocket', 'rawsocket']);
    assert.equal(t.isRegistered('websocket'), true);
    assert.equal(t.isRegistered('longpoll'), false);
    assert.equal(t.isRegistered('toString'), false);
    assert.equal(typeof t.get('rawsocket'), 'function');
    assert.equal(new (t.get('websocket'))({}).type, 'websocket');
    assert.throws(
      () => t.get('longpoll'),
      (e) => e === 'no such transport: longpoll'
    );
    t.register('websocket', t.get('websocket'));
    assert.throws(
      () => t.register('mine', function Factory() {}),
      /custom transport factories are not supported.*'websocket' and 'rawsocket'/
    );
    assert.throws(() => t.register('websocket', function Factory() {}), /not supported/);
    assert.deepEqual(t.list(), ['websocket', 'rawsocket'], 'nothing was registered');
  });

  it('autobahn.log: debug prints JSON when AUTOBAHN_DEBUG is set, else nothing; warn is console.warn', T, async () => {
    const script = "const a = require('.'); a.log.debug({ hello: [1] }); a.log.warn('warned');";
    const on = await runNode(['-e', script], { AUTOBAHN_DEBUG: '1' });
    assert.equal(on.stdout, '{\n  "hello": [\n    1\n  ]\n}\n');
    assert.match(on.stderr, /warned/);
    const off = await runNode(['-e', script], { AUTOBAHN_DEBUG: '' });
    assert.equal(off.stdout, '');
  });

  it('autobahn.msgpack, cbor, nacl are the installed libraries', () => {
    assert.equal(autobahn.msgpack, require('msgpack5'));
    assert.equal(autobahn.cbor, require('cbor'));
    assert.equal(autobahn.nacl, require('tweetnacl'));
    assert.deepEqual(autobahn.cbor.decode(autobahn.cbor.encode({ a: 1 })), { a: 1 });
  });

  it('without them installed, each use throws an error naming the package; the module still loads', T, async () => {
    // A loader hook that makes the three packages unresolvable, as on a machine without them.
    const hook = path.join(os.tmpdir(), `fidelity-hide-${process.pid}.js`);
    fs.writeFileSync(
      hook,
      `const Module = require('module');
       const resolve = Module._resolveFilename;
       Module._resolveFilename = function (request, ...rest) {
         if (['msgpack5', 'cbor', 'tweetnacl'].includes(request)) {
           const e = new Error("Cannot find module '" + request + "'");
           e.code = 'MODULE_NOT_FOUND';
           throw e;
         }
         return resolve.call(this, request, ...rest);
       };`
    );
    try {
      const script = `
        const a = require('.');
        const copy = { ...a };
        const out = { keys: Object.keys(copy).includes('cbor'), inspect: require('util').inspect(a).length > 0 };
        for (const [name, use] of [['msgpack', () => a.msgpack()], ['cbor', () => a.cbor.encode(1)], ['nacl', () => a.nacl.sign.keyPair()]]) {
          try { use(); out[name] = 'no error'; } catch (e) { out[name] = e.message; }
        }
        console.log(JSON.stringify(out));`;
      const { stdout, stderr } = await runNode(['-r', hook, '-e', script]);
      const out = JSON.parse(stdout || `{"stderr": ${JSON.stringify(stderr)}}`);
      assert.equal(out.keys, true, '{...autobahn} works');
      assert.equal(out.inspect, true, 'util.inspect(autobahn) works');
      assert.match(out.msgpack, /autobahn\.msgpack is the npm package 'msgpack5'.*npm install msgpack5/);
      assert.match(out.cbor, /autobahn\.cbor is the npm package 'cbor'.*npm install cbor/);
      assert.match(out.nacl, /autobahn\.nacl is the npm package 'tweetnacl'.*npm install tweetnacl/);
    } finally {
      fs.unlinkSync(hook);
    }
  });

  it('autobahn.auth_persona throws a clear "obsolete" error', () => {
    assert.throws(() => autobahn.auth_persona({}, 'user'), /Mozilla Persona authentication is obsolete/);
  });
});
