'use strict';
// Interoperability with Autobahn|Python (asyncio flavour, from the project .venv) as the peer on
// the other side of a real Crossbar.io router: RPC both ways (values, kwargs, unicode, nested
// objects, application errors, progressive results), PubSub both ways (eligible/exclude
// black/white-listing, publisher disclosure) and binary payloads (JSON "\u0000" + base64).
//
// One long-lived Python process (__test__/python/peer.py) serves all procedures and the Python
// subscription; tests drive it with JSON-line commands on its stdin and read its JSON-line
// answers/events on stdout (see the header of peer.py).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');
const readline = require('node:readline');
const { useRouter, autobahn, deferred, withTimeout, uniqueUri } = require('./helpers/session');
const { venvPython } = require('./helpers/router');
const { Peer } = require('./helpers/peers');

const T = { timeout: 15000 };
const ROOT = path.join(__dirname, '..');
const PEER_SCRIPT = path.join(__dirname, 'python', 'peer.py');
const PEER_READY_MS = 30000;
const STOP_GRACE_MS = 5000;

const ctx = useRouter();

// -------------------------------------------------------------------------------------------
// The Python peer process

/** A running peer.py: JSON lines in (commands), JSON lines out (ready, replies, progress, events). */
class PythonPeer extends Peer {
  constructor(url, realm) {
    super('peer.py');
    this._track(
      spawn(venvPython(), ['-u', PEER_SCRIPT, url, realm], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      })
    );
    this.proc.stdin.on('error', () => {}); // EPIPE if it died: reported via `exited`
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => this._onLine(line));
  }

  _onLine(line) {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      msg = { type: 'raw', line };
    }
    this._onMessage(msg);
  }

  /** Sends a command; resolves with its reply message ({ ok, result } or { ok: false, error, ... }). */
  request(cmd, ms = 10000) {
    this._nextId += 1;
    const id = this._nextId;
    this.proc.stdin.write(JSON.stringify({ id, ...cmd }) + '\n');
    return this.waitFor((m) => m.id === id && m.type === 'reply', `the reply to ${cmd.cmd} #${id}`, ms).then(
      (reply) => {
        reply.progress = this.messages.filter((m) => m.id === id && m.type === 'progress');
        return reply;
      }
    );
  }

  /** Closes stdin (the peer leaves and exits); SIGKILLs this pid if it is still there after a grace time. */
  stop() {
    return this._stopWith(() => this.proc.stdin.end());
  }
}

let peer = null;
let peerSession = null;
// Last resort if the file dies without running `after`: never leave our python behind.
process.on('exit', () => {
  if (peer && peer.exitCode === undefined && !peer.exitSignal) {
    try {
      process.kill(peer.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

const open = () => ctx.open({ use_es6_promises: true });

// -------------------------------------------------------------------------------------------

// Node 20 runs file-level before hooks per top-level suite and not after useRouter's hook has
// finished, so the peer's hooks live in one enclosing suite.
describe('interop with Autobahn|Python', () => {
  before(
    async () => {
      peer = new PythonPeer(ctx.router.url, ctx.router.realm);
      const ready = await peer.waitFor((m) => m.type === 'ready', 'READY', PEER_READY_MS);
      peerSession = ready.session;
    },
    { timeout: PEER_READY_MS + 5000 }
  );

  after(
    async () => {
      if (!peer) return;
      const { code, signal } = await peer.stop();
      // A clean exit shows the peer handled stdin EOF (leave + disconnect) rather than being killed.
      assert.equal(signal, null, `peer.py had to be killed (${signal})\n${peer.stderrTail()}`);
      assert.equal(code, 0, `peer.py exit code ${code}\n${peer.stderrTail()}`);
    },
    { timeout: STOP_GRACE_MS + 5000 }
  );

  describe('Node caller -> Autobahn|Python callee', () => {
    it('returns plain values; kwargs and several results arrive as autobahn.Result', T, async () => {
      const { session } = await open();
      assert.equal(await session.call('com.interop.py.add2', [2, 3]), 5);
      assert.equal(await session.call('com.interop.py.add2', ['foo', 'bar']), 'foobar');
      assert.equal(
        await session.call('com.interop.py.add2', [], { a: 40, b: 2 }),
        42,
        'kwargs map to Python keyword args'
      );
      assert.equal(await session.call('com.interop.py.add2', [0.5, 0.25]), 0.75);

      assert.equal(await session.call('com.interop.py.echo', [42]), 42);
      assert.equal(await session.call('com.interop.py.echo', [null]), null);
      assert.deepEqual(await session.call('com.interop.py.echo', [[1, 2, 3]]), [1, 2, 3]);

      const several = await session.call('com.interop.py.echo', ['a', 1, true]);
      assert.ok(several instanceof autobahn.Result, `several results give an autobahn.Result, got ${several}`);
      assert.deepEqual(several.args, ['a', 1, true]);
      assert.deepEqual(several.kwargs, {});

      const withKw = await session.call('com.interop.py.echo', [1], { x: 'y', n: [1, { deep: true }] });
      assert.ok(withKw instanceof autobahn.Result, 'kwargs give an autobahn.Result');
      assert.deepEqual(withKw.args, [1]);
      assert.deepEqual(withKw.kwargs, { x: 'y', n: [1, { deep: true }] });

      const onlyKw = await session.call('com.interop.py.echo', [], { k: 'v' });
      assert.ok(onlyKw instanceof autobahn.Result);
      assert.deepEqual(onlyKw.args, []);
      assert.deepEqual(onlyKw.kwargs, { k: 'v' });
    });

    it('carries unicode and nested objects unchanged both ways', T, async () => {
      const { session } = await open();
      const text = 'héllo wörld — 日本語 — emoji 🎉👩‍💻 — "quotes" \\ \n\t — \u0001';
      assert.equal(await session.call('com.interop.py.echo', [text]), text);
      assert.equal(await session.call('com.interop.py.add2', ['Grüße, ', '世界 🌍']), 'Grüße, 世界 🌍');
      assert.equal(await session.call('com.interop.py.typeof', [text]), 'str');

      const nested = {
        ünïcødé_kéy: { '🔑': ['v', 1, 2.5, -3, true, false, null, { deeper: [[[]], {}] }] },
        list: [{ a: 1 }, [{ b: [2, { c: 'ç' }] }]],
        big: 2 ** 53 - 1,
        neg: -1e-9,
        empty: '',
      };
      assert.deepEqual(await session.call('com.interop.py.echo', [nested]), nested);
      const res = await session.call('com.interop.py.echo', [nested, [nested]], { nested, ключ: 'значение' });
      assert.ok(res instanceof autobahn.Result);
      assert.deepEqual(res.args, [nested, [nested]]);
      assert.deepEqual(res.kwargs, { nested, ключ: 'значение' });

      // JSON numbers: integers arrive as Python int, fractions as float
      assert.equal(await session.call('com.interop.py.typeof', [7]), 'int');
      assert.equal(await session.call('com.interop.py.typeof', [7.5]), 'float');
      assert.equal(await session.call('com.interop.py.typeof', [{ a: 1 }]), 'dict');
      assert.equal(await session.call('com.interop.py.typeof', [[1]]), 'list');
    });

    it("rejects with the Python ApplicationError's URI, args and kwargs", T, async () => {
      const { session } = await open();
      await assert.rejects(session.call('com.interop.py.fail', [1]), (e) => {
        assert.ok(e instanceof autobahn.Error, `expected an autobahn.Error, got ${e}`);
        assert.equal(e.error, 'com.interop.error');
        assert.deepEqual(e.args, ['x']);
        assert.deepEqual(e.kwargs, { code: 3 });
        return true;
      });
      // a Python exception that is not an ApplicationError (here a TypeError for a missing
      // argument) arrives as wamp.error.runtime_error with the message as the first arg
      await assert.rejects(session.call('com.interop.py.add2', [1]), (e) => {
        assert.ok(e instanceof autobahn.Error, `expected an autobahn.Error, got ${e}`);
        assert.equal(e.error, 'wamp.error.runtime_error');
        assert.match(String(e.args[0]), /missing 1 required positional argument: 'b'/);
        return true;
      });
      // the session is still usable afterwards
      assert.equal(await session.call('com.interop.py.add2', [1, 1]), 2);
    });

    it(
      'receives progressive results from a Python callee (details.progress) in order, then the final result',
      T,
      async () => {
        const { session } = await open();
        const progress = [];
        const result = await session.call(
          'com.interop.py.progress',
          [],
          {},
          {
            receive_progress: true,
            progress: (v) => progress.push(v),
          }
        );
        assert.equal(result, 3);
        assert.deepEqual(progress, [0, 1, 2]);

        // more of them, and two calls interleaved on one session keep their streams apart
        const p5 = [];
        const p2 = [];
        const [r5, r2] = await Promise.all([
          session.call('com.interop.py.progress', [5], {}, { receive_progress: true, progress: (v) => p5.push(v) }),
          session.call('com.interop.py.progress', [2], {}, { receive_progress: true, progress: (v) => p2.push(v) }),
        ]);
        assert.equal(r5, 5);
        assert.equal(r2, 2);
        assert.deepEqual(p5, [0, 1, 2, 3, 4]);
        assert.deepEqual(p2, [0, 1]);

        // without asking for progress, the Python callee gets details.progress = None: only the final result
        assert.equal(await session.call('com.interop.py.progress', [4]), 4);
      }
    );
  });

  describe('Autobahn|Python caller -> Node callee', () => {
    it('gets progressive results from details.progress([i]) via CallOptions(on_progress=...)', T, async () => {
      const { session } = await open();
      const proc = uniqueUri('interop.node.progress');
      const seen = [];
      await session.register(proc, (args, kwargs, details) => {
        seen.push({ args, kwargs, progressIsFunction: typeof details.progress === 'function', caller: details.caller });
        if (typeof details.progress === 'function') for (let i = 0; i < 3; i++) details.progress([i]);
        return 3;
      });

      const reply = await peer.request({ cmd: 'call', procedure: proc, args: ['go'], progress: true });
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assert.deepEqual(
        reply.progress.map((m) => m.args),
        [[0], [1], [2]],
        'the Python on_progress callback saw each progressive result once, in order'
      );
      assert.deepEqual(
        reply.progress.map((m) => m.kwargs),
        [{}, {}, {}]
      );
      assert.equal(reply.result, 3);
      assert.deepEqual(
        seen.map((s) => [s.args, s.kwargs, s.progressIsFunction]),
        [[['go'], {}, true]]
      );

      // a plain call (no on_progress): details.progress is not offered, the final result still arrives
      const plain = await peer.request({ cmd: 'call', procedure: proc, args: [] });
      assert.equal(plain.ok, true, JSON.stringify(plain));
      assert.equal(plain.result, 3);
      assert.deepEqual(plain.progress, []);
      assert.equal(seen[1].progressIsFunction, false);
    });

    it(
      'gets Node results (autobahn.Result with kwargs) and Node errors (autobahn.Error) as Python sees them',
      T,
      async () => {
        const { session } = await open();
        const ok = uniqueUri('interop.node.result');
        const bad = uniqueUri('interop.node.error');
        await session.register(ok, (args, kwargs) => new autobahn.Result([args.length, 'ü'], { echoed: kwargs }));
        await session.register(bad, () => {
          throw new autobahn.Error('com.interop.node.error', ['nope', 2], { why: 'ünïcode' });
        });

        const r = await peer.request({ cmd: 'call', procedure: ok, args: [1, 2], kwargs: { k: ['v'] } });
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.deepEqual(r.result, { $callresult: { args: [2, 'ü'], kwargs: { echoed: { k: ['v'] } } } });

        const e = await peer.request({ cmd: 'call', procedure: bad, args: [] });
        assert.equal(e.ok, false);
        assert.equal(e.error, 'com.interop.node.error');
        assert.deepEqual(e.args, ['nope', 2]);
        assert.deepEqual(e.kwargs, { why: 'ünïcode' });
      }
    );
  });

  // -------------------------------------------------------------------------------------------

  /** Subscribes `session` to `topic`; `events` collects args[0] of each event; `fence` resolves on 'fence'. */
  async function fencedSubscriber(session, topic) {
    const events = [];
    const full = [];
    const fence = deferred();
    await session.subscribe(topic, (args, kwargs, details) => {
      events.push(args[0]);
      full.push({ args, kwargs, publisher: details.publisher });
      if (args[0] === 'fence') fence.resolve();
    });
    return { events, full, fence: withTimeout(fence.promise, 10000, `the fence event on ${topic}`) };
  }

  describe('PubSub with Autobahn|Python', () => {
    it('a Python publisher with eligible / exclude reaches exactly the right Node subscribers', T, async () => {
      const { session: s1 } = await open();
      const { session: s2 } = await open();
      const { session: s3 } = await open();
      const topic = 'com.interop.topic';
      const sub1 = await fencedSubscriber(s1, topic);
      const sub2 = await fencedSubscriber(s2, topic);
      const sub3 = await fencedSubscriber(s3, topic);
      const [id1, id2] = [s1.id, s2.id];
      assert.equal(typeof id1, 'number');
      assert.notEqual(id1, id2);

      const publish = async (args, kwargs, options) => {
        const reply = await peer.request({ cmd: 'publish', topic, args, kwargs, options });
        assert.equal(reply.ok, true, JSON.stringify(reply));
        assert.equal(typeof reply.result, 'number', 'acknowledged publication id');
      };
      await publish(['only-1', 'ünï'], { n: 1 }, { eligible: [id1] });
      await publish(['not-1'], {}, { exclude: [id1] });
      await publish(['1-and-2'], {}, { eligible: [id1, id2] });
      await publish(['fence'], {}, {});
      await Promise.all([sub1.fence, sub2.fence, sub3.fence]);

      assert.deepEqual(sub1.events, ['only-1', '1-and-2', 'fence']);
      assert.deepEqual(sub2.events, ['not-1', '1-and-2', 'fence']);
      assert.deepEqual(sub3.events, ['not-1', 'fence']);
      assert.deepEqual(sub1.full[0].args, ['only-1', 'ünï']);
      assert.deepEqual(sub1.full[0].kwargs, { n: 1 });

      // the test router's realm discloses publishers: every event names the Python session
      for (const ev of [...sub1.full, ...sub2.full, ...sub3.full]) assert.equal(ev.publisher, peerSession);
    });

    it('a Node publisher reaches the Python subscriber with args, kwargs, unicode and in order', T, async () => {
      const { session } = await open();
      const topic = 'com.interop.py.topic';
      const marker = crypto.randomUUID();
      const nested = { ü: [1, 2.5, null, true, { deep: ['日本'] }] };
      await session.publish(topic, [marker, 1, 'héllo 🎉', nested], { k: 'v', ключ: nested }, { acknowledge: true });
      for (let i = 0; i < 5; i++) await session.publish(topic, [marker, 'seq', i], {}, { acknowledge: true });
      await session.publish(topic, [marker, 'disclosed'], {}, { acknowledge: true, disclose_me: true });
      await session.publish(topic, [marker, 'fence'], {}, { acknowledge: true });

      await peer.waitFor((m) => m.type === 'event' && m.args[0] === marker && m.args[1] === 'fence', 'the fence event');
      const got = peer.messages.filter((m) => m.type === 'event' && m.args[0] === marker);
      assert.equal(got.length, 8, JSON.stringify(got));
      assert.ok(got.every((m) => m.topic === topic));
      assert.deepEqual(got[0].args, [marker, 1, 'héllo 🎉', nested]);
      assert.deepEqual(got[0].kwargs, { k: 'v', ключ: nested });
      assert.deepEqual(
        got.slice(1, 6).map((m) => m.args[2]),
        [0, 1, 2, 3, 4],
        'in publication order'
      );
      assert.deepEqual(got[6].args, [marker, 'disclosed']);
      // the test router's realm discloses publishers: the Python subscriber sees the Node session id
      for (const m of got) assert.equal(m.publisher, session.id);
    });
  });

  // -------------------------------------------------------------------------------------------

  describe('binary payloads with Autobahn|Python (JSON: "\\u0000" + base64)', () => {
    it('Buffers arrive in Python as bytes and bytes come back as Buffers', T, async () => {
      const { session } = await open();
      const data = crypto.randomBytes(4096);
      data[0] = 0; // leading NUL byte, and the rest random (includes 0x00 and 0xff somewhere)
      data[1] = 0xff;

      assert.equal(await session.call('com.interop.py.typeof', [data]), 'bytes');
      assert.equal(
        await session.call('com.interop.py.typeof', [new Uint8Array([1, 2, 3])]),
        'bytes',
        'a Uint8Array too'
      );

      const reversed = await session.call('com.interop.py.bytes.reverse', [data]);
      assert.ok(Buffer.isBuffer(reversed), `reverse() result is a Buffer, got ${typeof reversed}`);
      assert.ok(reversed.equals(Buffer.from(data).reverse()), 'reversed bytes');

      const digest = await session.call('com.interop.py.bytes.sha256', [data]);
      assert.ok(Buffer.isBuffer(digest));
      assert.equal(digest.length, 32);
      assert.ok(digest.equals(crypto.createHash('sha256').update(data).digest()), 'sha256 digest');

      const a = Buffer.from('hello, ', 'utf8');
      const b = Buffer.from([0, 1, 2, 253, 254, 255]);
      const joined = await session.call('com.interop.py.bytes.concat', [a, b]);
      assert.ok(Buffer.isBuffer(joined));
      assert.ok(joined.equals(Buffer.concat([a, b])), 'concatenation');
      // as keyword arguments too
      const joinedKw = await session.call('com.interop.py.bytes.concat', [], { a: b, b: a });
      assert.ok(Buffer.isBuffer(joinedKw));
      assert.ok(joinedKw.equals(Buffer.concat([b, a])));

      // a non-binary argument is refused by the Python callee (it really checks for bytes)
      await assert.rejects(session.call('com.interop.py.bytes.reverse', ['not bytes']), (e) => {
        assert.equal(e.error, 'com.interop.error.not_bytes');
        return true;
      });
    });

    it('handles empty bytes and bytes nested in objects and kwargs', T, async () => {
      const { session } = await open();
      const empty = await session.call('com.interop.py.bytes.reverse', [Buffer.alloc(0)]);
      assert.ok(Buffer.isBuffer(empty), `empty bytes come back as a Buffer, got ${JSON.stringify(empty)}`);
      assert.equal(empty.length, 0);

      const blob = crypto.randomBytes(100);
      const res = await session.call('com.interop.py.echo', [{ blob, list: [blob, 'text'] }], { blob });
      assert.ok(res instanceof autobahn.Result);
      assert.ok(Buffer.isBuffer(res.args[0].blob) && res.args[0].blob.equals(blob), 'nested in an object');
      assert.ok(Buffer.isBuffer(res.args[0].list[0]) && res.args[0].list[0].equals(blob), 'nested in a list');
      assert.equal(res.args[0].list[1], 'text');
      assert.ok(Buffer.isBuffer(res.kwargs.blob) && res.kwargs.blob.equals(blob), 'in kwargs');
    });

    it('bytes travel from Python callers/publishers to Node and back', T, async () => {
      const { session } = await open();
      const data = Buffer.concat([Buffer.from([0, 255, 0]), crypto.randomBytes(300), Buffer.from('ü', 'utf8')]);
      const b64 = (buf) => ({ $bytes: buf.toString('base64') });

      // Python caller -> Node callee: the Node endpoint gets Buffers, its Buffer result reaches Python as bytes
      const proc = uniqueUri('interop.node.bytes');
      const seen = [];
      await session.register(proc, (args, kwargs) => {
        seen.push({ args, kwargs });
        return crypto.createHash('sha256').update(args[0]).update(kwargs.more).digest();
      });
      const r = await peer.request({
        cmd: 'call',
        procedure: proc,
        args: [b64(data)],
        kwargs: { more: b64(Buffer.alloc(3, 7)) },
      });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.ok(Buffer.isBuffer(seen[0].args[0]) && seen[0].args[0].equals(data), 'the Node callee got a Buffer arg');
      assert.ok(
        Buffer.isBuffer(seen[0].kwargs.more) && seen[0].kwargs.more.equals(Buffer.alloc(3, 7)),
        'and a Buffer kwarg'
      );
      const expected = crypto.createHash('sha256').update(data).update(Buffer.alloc(3, 7)).digest();
      assert.deepEqual(r.result, b64(expected), 'Python received the digest as bytes');

      // Python publisher -> Node subscriber
      const topic = uniqueUri('interop.bytes');
      const got = deferred();
      await session.subscribe(topic, (args, kwargs) => got.resolve({ args, kwargs }));
      const pub = await peer.request({
        cmd: 'publish',
        topic,
        args: [b64(data)],
        kwargs: { nested: { b: b64(Buffer.alloc(0)) } },
      });
      assert.equal(pub.ok, true, JSON.stringify(pub));
      const ev = await withTimeout(got.promise, 5000, 'the binary event');
      assert.ok(Buffer.isBuffer(ev.args[0]) && ev.args[0].equals(data), 'event arg is the Buffer');
      assert.ok(
        Buffer.isBuffer(ev.kwargs.nested.b) && ev.kwargs.nested.b.length === 0,
        'nested empty bytes is an empty Buffer'
      );

      // Node publisher -> Python subscriber
      const marker = crypto.randomUUID();
      await session.publish('com.interop.py.topic', [marker, data], { blob: data }, { acknowledge: true });
      const pyEv = await peer.waitFor((m) => m.type === 'event' && m.args[0] === marker, 'the binary event in Python');
      assert.deepEqual(pyEv.args, [marker, b64(data)], 'Python subscriber got bytes');
      assert.deepEqual(pyEv.kwargs, { blob: b64(data) });
    });
  });
});
