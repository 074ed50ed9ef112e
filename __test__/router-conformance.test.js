'use strict';
// Router conformance, as a client sees it (checklist of the router reference, by item number),
// with raw WebSocket/RawSocket peers for what the client API cannot express. Runs against the
// router named by ROUTER; items Crossbar.io 26.10.1 does not pass are skipped there, with why.
const { describe, it, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { useRouter, assertRejectsWith, autobahn, uniqueUri, collector } = require('./helpers/session');
const { routerKind } = require('./helpers/router');
const { rawWebSocket, openRawWebSocket, rawSocket } = require('./helpers/raw');

const T = { timeout: 20000 };
const ctx = useRouter();
const onCrossbar = (why) => ({ ...T, skip: routerKind === 'crossbar' && `Crossbar.io 26.10.1: ${why}` });
const peers = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

async function raw() {
  const ws = await openRawWebSocket(ctx.router.port);
  peers.push(ws);
  return ws;
}

// An ABORT with `uri`, or (accepted too) the connection closed without one.
function assertAbort(msg, uri) {
  assert.ok(Array.isArray(msg), `expected ABORT ${uri}, got ${JSON.stringify(msg)}`);
  assert.equal(msg[0], 3, `expected ABORT, got ${JSON.stringify(msg)}`);
  assert.equal(msg[2], uri);
}

describe('session lifecycle', () => {
  it('1. HELLO to an unknown realm -> ABORT wamp.error.no_such_realm', T, async () => {
    const ws = await raw();
    assertAbort(await ws.hello('com.test.no.such.realm'), 'wamp.error.no_such_realm');
  });

  it('2. HELLO without roles -> ABORT wamp.error.protocol_violation', onCrossbar('not verified against it'), async () => {
    const ws = await raw();
    assertAbort(await ws.hello(ctx.router.realm, {}), 'wamp.error.protocol_violation');
  });

  it('3. WELCOME session ids are integers in [1, 2^53], different per session', T, async () => {
    const a = await raw();
    const b = await raw();
    const wa = await a.hello(ctx.router.realm);
    const wb = await b.hello(ctx.router.realm);
    for (const w of [wa, wb]) {
      assert.equal(w[0], 2);
      assert.ok(Number.isInteger(w[1]) && w[1] >= 1 && w[1] <= 2 ** 53, `session id ${w[1]}`);
    }
    assert.notEqual(wa[1], wb[1]);
  });

  it('5. a message other than HELLO first -> ABORT protocol_violation or the connection ends', onCrossbar('ignores it silently, the connection stays open'), async () => {
    const ws = await raw();
    ws.send([32, 1, {}, 'com.test.topic']);
    const msg = await ws.nextMessage();
    if (!msg.closed) assertAbort(msg, 'wamp.error.protocol_violation');
  });

  it('6. GOODBYE from the client -> GOODBYE wamp.close.goodbye_and_out', onCrossbar('replies wamp.close.normal'), async () => {
    const ws = await raw();
    assert.equal((await ws.hello(ctx.router.realm))[0], 2);
    ws.send([6, {}, 'wamp.close.close_realm']);
    const reply = await ws.nextMessage();
    assert.deepEqual([reply[0], reply[2]], [6, 'wamp.close.goodbye_and_out']);
  });
});

describe('transports', () => {
  it('63. RawSocket handshake with an unsupported serializer -> error nibble 1', onCrossbar('closes without an error reply'), async () => {
    const { reply } = await rawSocket(ctx.router.port, { serializer: 7 });
    assert.ok(reply, 'a handshake reply');
    assert.deepEqual([...reply], [0x7f, 0x10, 0, 0]);
  });

  it('64. RawSocket PING -> PONG with the same payload', onCrossbar('reads the frame prefix as a plain length'), async () => {
    const { peer } = await rawSocket(ctx.router.port, { serializer: 1 });
    assert.ok(peer, 'handshake accepted');
    peers.push(peer);
    const payload = Buffer.from('ping payload 123');
    peer.ping(payload);
    const got = await peer.next();
    assert.deepEqual(got.pong, payload);
  });

  it('65. WebSocket with no acceptable subprotocol -> no WAMP session', T, async () => {
    const res = await rawWebSocket(ctx.router.port, { protocols: ['wamp.2.nonsense'] });
    if (res.ws) {
      peers.push(res.ws);
      assert.equal(res.protocol, null, 'no WAMP subprotocol accepted');
    } else {
      assert.notEqual(res.status, 101);
    }
  });

  it('62. malformed JSON ends only that session; the router serves the next one', T, async () => {
    const bad = await raw();
    assert.equal((await bad.hello(ctx.router.realm))[0], 2);
    bad.sendText('[this is not json');
    const msg = await bad.nextMessage();
    if (!msg.closed) assertAbort(msg, 'wamp.error.protocol_violation');
    const good = await raw();
    assert.equal((await good.hello(ctx.router.realm))[0], 2);
  });
});

describe('dealer and broker through the client API', () => {
  const open = async () => (await ctx.open({ use_es6_promises: true })).session;

  it('21. CALL with no registration -> wamp.error.no_such_procedure', T, async () => {
    await assertRejectsWith((await open()).call(uniqueUri('nobody')), 'wamp.error.no_such_procedure');
  });

  it("34. the callee's ERROR with a custom URI, args and kwargs reaches the caller unchanged", T, async () => {
    const callee = await open();
    const caller = await open();
    const proc = uniqueUri('custom.error');
    await callee.register(proc, () => {
      throw new autobahn.Error('com.test.custom', [1, 'two', { three: 3 }], { k: [true, null] });
    });
    await assert.rejects(caller.call(proc), (e) => {
      assert.equal(e.error, 'com.test.custom');
      assert.deepEqual(e.args, [1, 'two', { three: 3 }]);
      assert.deepEqual(e.kwargs, { k: [true, null] });
      return true;
    });
  });

  it('45. acknowledge: true -> PUBLISHED whose publication id is the EVENT publication', T, async () => {
    const pub = await open();
    const sub = await open();
    const topic = uniqueUri('ack');
    const got = collector();
    await sub.subscribe(topic, (args, kwargs, details) => got.push(details.publication));
    const publication = await pub.publish(topic, [], {}, { acknowledge: true });
    assert.deepEqual(await got.waitFor(1), [publication.id]);
  });

  it('50. 10,000 events from one publisher arrive in order', { timeout: 60000 }, async () => {
    const pub = await open();
    const sub = await open();
    const topic = uniqueUri('order');
    const got = collector();
    await sub.subscribe(topic, (args) => got.push(args[0]));
    for (let i = 0; i < 10000; i++) pub.publish(topic, [i]);
    const all = await got.waitFor(10000, 50000);
    assert.deepEqual(all, Array.from({ length: 10000 }, (_, i) => i));
  });
});
