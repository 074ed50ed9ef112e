'use strict';
// Serializers against Crossbar.io: negotiation, binary values and 64-bit integers under JSON,
// MessagePack and CBOR, between Node sessions on different serializers and with an
// Autobahn|Python peer on each serializer.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { spawn } = require('node:child_process');
const autobahn = require('..');
const { useRouter, uniqueUri, withTimeout, deferred } = require('./helpers/session');
const { venvPython } = require('./helpers/router');

const T = { timeout: 20000 };
const SERIALIZERS = {
  json: () => new autobahn.serializer.JSONSerializer(),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer(),
};
const PEER = path.join(__dirname, 'python', 'peer.py');

const ctx = useRouter();

function open(serializer, extra) {
  return ctx.open(Object.assign({ use_es6_promises: true, serializers: [SERIALIZERS[serializer]()] }, extra));
}

// A payload with every kind of value, binary ones in several places.
function sample() {
  return {
    args: [1, -2.5, 'héllo ☃', true, null, [1, [2, [3]]], Buffer.from([0, 1, 2, 253, 254, 255]), new Uint8Array([9, 8, 7])],
    kwargs: { nested: { bytes: Buffer.from('kw bytes'), list: [Buffer.alloc(0)] }, n: 2 ** 53 - 1 },
  };
}

function assertSample(res) {
  assert.ok(res instanceof autobahn.Result);
  const { args, kwargs } = res;
  assert.deepEqual(args.slice(0, 6), [1, -2.5, 'héllo ☃', true, null, [1, [2, [3]]]]);
  assert.ok(Buffer.isBuffer(args[6]), 'a Buffer arrives as a Buffer');
  assert.deepEqual([...args[6]], [0, 1, 2, 253, 254, 255]);
  assert.ok(Buffer.isBuffer(args[7]), 'a Uint8Array arrives as a Buffer');
  assert.deepEqual([...args[7]], [9, 8, 7]);
  assert.ok(Buffer.isBuffer(kwargs.nested.bytes));
  assert.equal(kwargs.nested.bytes.toString(), 'kw bytes');
  assert.ok(Buffer.isBuffer(kwargs.nested.list[0]) && kwargs.nested.list[0].length === 0);
  assert.equal(kwargs.n, 2 ** 53 - 1);
}

describe('negotiation', () => {
  it('offers json and msgpack by default, as Autobahn|JS; Crossbar picks the first', T, async () => {
    const { connection } = await ctx.open({ use_es6_promises: true });
    assert.equal(connection.transport.info.protocol, 'wamp.2.json');
  });

  for (const name of Object.keys(SERIALIZERS)) {
    it(`serializers: [${name}] and protocols: ['wamp.2.${name}'] select ${name}`, T, async () => {
      const a = await open(name);
      assert.equal(a.connection.transport.info.protocol, `wamp.2.${name}`);
      const b = await ctx.open({ use_es6_promises: true, protocols: [`wamp.2.${name}`] });
      assert.equal(b.connection.transport.info.protocol, `wamp.2.${name}`);
    });
  }

  it('an unknown serializer alone is unsupported', () => {
    const c = new autobahn.Connection({ url: ctx.router.url, realm: ctx.router.realm, serializers: ['ubjson'] });
    let closed;
    c.onclose = (reason, details) => {
      closed = { reason, details };
    };
    c.open();
    assert.equal(closed.reason, 'unsupported');
    assert.match(closed.details.message, /ubjson/);
  });
});

describe('payloads under each serializer', () => {
  for (const name of Object.keys(SERIALIZERS)) {
    it(`${name}: RPC and PubSub carry binary values and nesting intact`, T, async () => {
      const { session } = await open(name);
      const proc = uniqueUri(`echo.${name}`);
      await session.register(proc, (args, kwargs) => new autobahn.Result(args, kwargs));
      const { args, kwargs } = sample();
      assertSample(await session.call(proc, args, kwargs));

      const topic = uniqueUri(`topic.${name}`);
      const got = deferred();
      await session.subscribe(topic, (a, kw) => got.resolve(new autobahn.Result(a, kw)));
      session.publish(topic, args, kwargs, { exclude_me: false });
      assertSample(await withTimeout(got.promise, 5000, 'event'));
    });
  }

  for (const name of Object.keys(SERIALIZERS)) {
    it(`${name}: large binary values and long strings, many in one message and in one batch of events, arrive intact`, T, async () => {
      const { session } = await open(name);
      const proc = uniqueUri(`bigecho.${name}`);
      await session.register(proc, (args, kwargs) => new autobahn.Result(args, kwargs));
      const backing = crypto.randomBytes(3 * 1024 * 1024);
      const args = [
        crypto.randomBytes(1024), // the smallest size that travels beside the text
        'between',
        backing.subarray(12345, 12345 + 1024 * 1024), // a view into a larger buffer
        new Uint8Array(crypto.randomBytes(5000)),
        crypto.randomBytes(1023),
        // Long strings (the size from which they travel beside the text, and larger) with
        // what JSON must escape and what UTF-8 needs several bytes for.
        'x'.repeat(16 * 1024),
        'line "one"\n\ttab \\ back ☃ 😀 é\u0002'.repeat(40000),
        // A long marked string stays the bytes it stands for.
        '\u0000' + crypto.randomBytes(30000).toString('base64'),
      ];
      const kwargs = { deep: { list: [crypto.randomBytes(64 * 1024), { b: crypto.randomBytes(2048), s: '€'.repeat(20000) }] } };
      const res = await session.call(proc, args, kwargs);
      assert.equal(res.args.length, args.length);
      for (let i = 0; i < args.length; i++) {
        if (typeof args[i] !== 'string') {
          assert.ok(Buffer.isBuffer(res.args[i]) && Buffer.from(args[i]).equals(res.args[i]), `args[${i}]`);
        } else if (args[i].charCodeAt(0) === 0) {
          assert.ok(Buffer.isBuffer(res.args[i]) && res.args[i].equals(Buffer.from(args[i].slice(1), 'base64')), `args[${i}]`);
        } else {
          assert.equal(res.args[i], args[i], `args[${i}]`);
        }
      }
      assert.ok(res.kwargs.deep.list[0].equals(kwargs.deep.list[0]));
      assert.ok(res.kwargs.deep.list[1].b.equals(kwargs.deep.list[1].b));
      assert.equal(res.kwargs.deep.list[1].s, kwargs.deep.list[1].s);

      // A value that is most of its message: a Buffer of exactly its own bytes (nothing else of
      // the message is reachable through buffer.buffer), intact while later messages arrive.
      const lone = crypto.randomBytes(256 * 1024);
      const first = await session.call(proc, [lone]);
      assert.ok(Buffer.isBuffer(first) && first.equals(lone));
      assert.equal(first.buffer.byteLength, lone.length);
      const longText = 'z'.repeat(300 * 1024);
      assert.equal(await session.call(proc, [longText]), longText);
      for (let i = 0; i < 5; i++) await session.call(proc, [crypto.randomBytes(256 * 1024)]);
      assert.ok(first.equals(lone), 'still intact after later messages');

      // Events published in one synchronous run reach the subscriber in batches: every event's
      // bytes must be its own, wherever it sits in a batch.
      const topic = uniqueUri(`bigtopic.${name}`);
      const count = 40;
      const sent = Array.from({ length: count }, (_, i) => [crypto.randomBytes(1024 + i * 97), `${i} ${'ü'.repeat(20000)}`]);
      const received = [];
      const all = deferred();
      await session.subscribe(topic, (a) => {
        received.push(a);
        if (received.length === count) all.resolve();
      });
      for (const [x, y] of sent) session.publish(topic, [x, 'mid', y], {}, { exclude_me: false });
      await withTimeout(all.promise, 10000, 'events');
      for (let i = 0; i < count; i++) {
        assert.ok(received[i][0].equals(sent[i][0]) && received[i][2] === sent[i][1], `event ${i}`);
        assert.equal(received[i][1], 'mid');
      }
    });
  }

  it('a string that looks like a binary placeholder is refused, not sent as bytes', async () => {
    const { session } = await open('msgpack');
    assert.throws(
      () => session.call('com.x', ['\u0000#0']),
      (e) => e instanceof TypeError && /U\+0000/.test(e.message) && /Buffer/.test(e.message)
    );
  });

  it('sessions on different serializers talk to each other (the router converts)', T, async () => {
    const callees = {};
    for (const name of Object.keys(SERIALIZERS)) {
      const { session } = await open(name);
      callees[name] = uniqueUri(`cross.${name}`);
      await session.register(callees[name], (args, kwargs) => new autobahn.Result(args, kwargs));
    }
    for (const caller of Object.keys(SERIALIZERS)) {
      const { session } = await open(caller);
      for (const callee of Object.keys(SERIALIZERS)) {
        const { args, kwargs } = sample();
        assertSample(await session.call(callees[callee], args, kwargs));
      }
    }
  });
});

describe('large values between serializers', () => {
  // Large byte values and long strings from a MessagePack or CBOR peer travel through our router
  // beside the message rather than inside it; these cover every way back to JSON and binary peers,
  // including the payloads a router keeps (retained events, testaments).
  const big = () => ({ bytes: crypto.randomBytes(200 * 1024), text: 'long ☃ "text"\n'.repeat(3000), small: crypto.randomBytes(1500) });
  const same = (got, sent, what) => {
    assert.ok(Buffer.isBuffer(got[0]) && got[0].equals(sent.bytes), `${what}: the bytes`);
    assert.equal(got[1], sent.text, `${what}: the string`);
    assert.ok(Buffer.isBuffer(got[2]) && got[2].equals(sent.small), `${what}: the small bytes`);
  };

  it('calls: every caller serializer to every callee serializer, and the results back', T, async () => {
    const callees = {};
    for (const name of Object.keys(SERIALIZERS)) {
      const { session } = await open(name);
      callees[name] = uniqueUri(`bigcross.${name}`);
      await session.register(callees[name], (args) => {
        // What the callee received, back with one more value of its own
        return new autobahn.Result([...args, Buffer.from(args[0].subarray(0, 4096))]);
      });
    }
    for (const caller of Object.keys(SERIALIZERS)) {
      const { session } = await open(caller);
      for (const callee of Object.keys(SERIALIZERS)) {
        const sent = big();
        const res = await session.call(callees[callee], [sent.bytes, sent.text, sent.small]);
        same(res.args, sent, `${caller} -> ${callee}`);
        assert.ok(res.args[3].equals(sent.bytes.subarray(0, 4096)), `${callee} -> ${caller}: the callee's own bytes`);
      }
    }
  });

  it('a retained event and a testament from a msgpack publisher reach json, msgpack and cbor subscribers', T, async () => {
    const { session: publisher } = await open('msgpack');
    const retained = uniqueUri('bigretained');
    const sent = big();
    await publisher.publish(retained, [sent.bytes, sent.text, sent.small], {}, { acknowledge: true, retain: true });
    for (const name of Object.keys(SERIALIZERS)) {
      const { session } = await open(name);
      const got = deferred();
      await session.subscribe(retained, (args, kwargs, details) => got.resolve({ args, details }), { get_retained: true });
      const ev = await withTimeout(got.promise, 5000, `retained event for ${name}`);
      assert.equal(ev.details.retained, true);
      same(ev.args, sent, `retained event to ${name}`);
    }

    const { connection, session: leaving } = await open('msgpack');
    const will = uniqueUri('bigtestament');
    const last = big();
    const got = {};
    for (const name of Object.keys(SERIALIZERS)) {
      const { session } = await open(name);
      got[name] = deferred();
      await session.subscribe(will, (args) => got[name].resolve(args));
    }
    await leaving.call('wamp.session.add_testament', [will, [last.bytes, last.text, last.small], {}]);
    connection.close();
    for (const name of Object.keys(SERIALIZERS)) {
      same(await withTimeout(got[name].promise, 5000, `testament for ${name}`), last, `testament to ${name}`);
    }
  });
});

describe('64-bit integers', () => {
  const BIG = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 53n, -(2n ** 53n) - 1n];

  for (const name of ['msgpack', 'cbor']) {
    it(`${name}: BigInt values go out as 64-bit integers and come back as BigInt`, T, async () => {
      const { session } = await open(name);
      const proc = uniqueUri(`big.${name}`);
      let received;
      await session.register(proc, (args) => {
        received = args;
        return new autobahn.Result(args);
      });
      const res = await session.call(proc, [...BIG, 5n, 42]);
      assert.deepEqual(received, [...BIG, 5, 42], 'integers within ±(2^53-1) arrive as numbers');
      assert.deepEqual(res.args, [...BIG, 5, 42]);
      assert.equal(typeof received[0], 'bigint');
      // Beyond 64 bits: refused at once, nothing is sent, the session goes on.
      assert.throws(() => session.call(proc, [2n ** 64n]), (e) => e instanceof TypeError && /64 bits/.test(e.message));
      assert.throws(() => session.call(proc, [-(2n ** 63n) - 1n]), TypeError);
      assert.equal(await session.call(proc, [1]), 1);
    });
  }

  it('json: a BigInt is refused with a clear error; big integers from a binary peer are rounded', T, async () => {
    const { session: json } = await open('json');
    assert.throws(() => json.call('com.x', [1n]), (e) => e instanceof TypeError && /BigInt/.test(e.message) && /msgpack/.test(e.message));
    const { session: mp } = await open('msgpack');
    const proc = uniqueUri('big.to.json');
    await mp.register(proc, () => 2n ** 63n - 1n);
    const v = await json.call(proc);
    assert.equal(typeof v, 'number');
    assert.equal(v, 2 ** 63, 'JSON carries the integer, JavaScript rounds it');
  });
});

describe('Autobahn|Python peer on each serializer', () => {
  const peers = {};

  before(async () => {
    await Promise.all(
      Object.keys(SERIALIZERS).map(async (name) => {
        const prefix = `com.interop.ser.${name}`;
        const proc = spawn(venvPython(), ['-u', PEER, ctx.router.url, ctx.router.realm], {
          env: Object.assign({}, process.env, { PEER_SERIALIZER: name, PEER_PREFIX: prefix }),
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let buf = '';
        let stderr = '';
        const lines = [];
        const waiters = [];
        proc.stderr.on('data', (d) => (stderr += d));
        const ready = new Promise((resolve, reject) => {
          proc.stdout.on('data', (chunk) => {
            buf += chunk;
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const msg = JSON.parse(buf.slice(0, nl));
              buf = buf.slice(nl + 1);
              if (msg.type === 'ready') resolve();
              lines.push(msg);
              for (const w of waiters.splice(0)) w();
            }
          });
          proc.on('exit', (code) => reject(new Error(`peer.py (${name}) exited with ${code}: ${stderr}`)));
        });
        // Resolves with the first line (seen so far or later) matching `pred`.
        const next = (pred) =>
          new Promise((resolve) => {
            const check = () => {
              const i = lines.findIndex(pred);
              if (i >= 0) return resolve(lines.splice(i, 1)[0]);
              waiters.push(check);
            };
            check();
          });
        let cmdId = 0;
        const command = (cmd) => {
          const id = ++cmdId;
          proc.stdin.write(`${JSON.stringify(Object.assign({ id }, cmd))}\n`);
          return next((m) => m.id === id && m.type === 'reply');
        };
        peers[name] = { proc, prefix, next, command };
        await withTimeout(ready, 15000, `peer.py ${name} ready`);
      })
    );
  });

  after(async () => {
    await Promise.all(
      Object.values(peers).map(
        ({ proc }) =>
          new Promise((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
            proc.on('exit', () => {
              clearTimeout(t);
              resolve();
            });
            proc.stdin.end();
          })
      )
    );
  });

  for (const py of Object.keys(SERIALIZERS)) {
    for (const node of Object.keys(SERIALIZERS)) {
      it(`Node on ${node} -> Python on ${py}: bytes reversed, hashed, concatenated; values intact`, T, async () => {
        const { session } = await open(node);
        const p = peers[py].prefix;
        // Small bytes cross to the engine inline, large ones as separate buffers.
        for (const size of [1000, 200 * 1024]) {
          const data = crypto.randomBytes(size);
          const reversed = await session.call(`${p}.bytes.reverse`, [data]);
          assert.ok(Buffer.isBuffer(reversed));
          assert.deepEqual(reversed, Buffer.from(data).reverse());
          const digest = await session.call(`${p}.bytes.sha256`, [data]);
          assert.deepEqual(digest, crypto.createHash('sha256').update(data).digest());
        }
        const joined = await session.call(`${p}.bytes.concat`, [Buffer.from('ab'), Buffer.from([0, 255])]);
        assert.deepEqual(joined, Buffer.from([0x61, 0x62, 0, 255]));
        assert.equal(await session.call(`${p}.add2`, [2, 3]), 5);
        const long = 'ü "q"\n'.repeat(10000);
        const echoed = await session.call(`${p}.echo`, ['ü', 1.5, { k: [null, true] }, long], { kw: 'v', long });
        assert.deepEqual(echoed.args, ['ü', 1.5, { k: [null, true] }, long]);
        assert.deepEqual(echoed.kwargs, { kw: 'v', long });
      });
    }
  }

  // Node over every transport and serializer, Python over WebSocket with each serializer.
  const NODE_TRANSPORTS = {
    websocket: () => ({ type: 'websocket', url: ctx.router.url }),
    rawsocket: () => ({ type: 'rawsocket', host: '127.0.0.1', port: ctx.router.port }),
  };
  for (const transport of Object.keys(NODE_TRANSPORTS)) {
    for (const name of Object.keys(SERIALIZERS)) {
      it(`PubSub both ways and RPC: Node on ${transport}/${name} <-> Python on ${name}`, T, async () => {
        const peer = peers[name];
        const { session, connection } = await ctx.open({
          use_es6_promises: true,
          transports: [Object.assign(NODE_TRANSPORTS[transport](), { serializers: [name] })],
        });
        assert.equal(connection.transport.info.type, transport);
        assert.equal(connection.transport.info.protocol, `wamp.2.${name}`);
        // RPC Node -> Python.
        assert.deepEqual(await session.call(`${peer.prefix}.bytes.reverse`, [Buffer.from([1, 2, 3])]), Buffer.from([3, 2, 1]));
        // PubSub Node -> Python (the peer prints what it receives).
        const marker = `node-${transport}-${name}-${Date.now()}`;
        await session.publish(`${peer.prefix}.topic`, [marker, Buffer.from('bin')], { k: 1 }, { acknowledge: true });
        const ev = await withTimeout(peer.next((m) => m.type === 'event' && m.args[0] === marker), 5000, 'python event');
        assert.deepEqual(ev.args[1], { $bytes: Buffer.from('bin').toString('base64') });
        assert.deepEqual(ev.kwargs, { k: 1 });
        // PubSub Python -> Node.
        const topic = uniqueUri(`py.to.node.${transport}.${name}`);
        const got = deferred();
        await session.subscribe(topic, (args, kwargs) => got.resolve({ args, kwargs }));
        const reply = await peer.command({ cmd: 'publish', topic, args: ['from python', { $bytes: 'AAEC' }], kwargs: { n: 7 }, options: { acknowledge: true } });
        assert.equal(reply.ok, true, JSON.stringify(reply));
        const { args, kwargs } = await withTimeout(got.promise, 5000, 'node event');
        assert.equal(args[0], 'from python');
        assert.deepEqual(args[1], Buffer.from([0, 1, 2]));
        assert.deepEqual(kwargs, { n: 7 });
      });
    }
  }

  it('a 64-bit integer reaches a Python peer exactly under msgpack and cbor', T, async () => {
    for (const name of ['msgpack', 'cbor']) {
      const { session } = await open(name);
      const p = peers[name].prefix;
      assert.equal(await session.call(`${p}.add2`, [2n ** 62n, 2n ** 62n - 1n]), 2n ** 63n - 1n);
      assert.equal(await session.call(`${p}.typeof`, [2n ** 60n]), 'int');
    }
  });
});
