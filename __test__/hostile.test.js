// A hostile or broken router (the scriptable fake in helpers/fake-router.js): malformed frames,
// wrong types, ids out of range, duplicate or missing replies, oversized and deeply nested
// messages, stalls and disconnects. Whatever it sends, the process survives, a session that has
// to end reaches `onclose` with a reason, and every pending call, subscribe and register is
// settled within 1 s of the offending message.
//
// No real router is involved: scripts/test.js runs this file in one leg only.
'use strict';

const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const autobahn = require('..');
const { fakeRouter } = require('./helpers/fake-router');
const { deferred, withTimeout } = require('./helpers/session');

const SETTLE_MS = 1000;
const PROTOCOL_VIOLATION = 'wamp.error.protocol_violation';
const ROUTER_ROLES = { roles: { broker: {}, dealer: {} } };
const MAX_ID = 2 ** 53;

const cleanups = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()();
});

/**
 * Opens a Connection to a fresh fake router. With `welcome` (the default) the fake answers
 * HELLO with WELCOME and the session opens; then the client has a call, a subscribe and a
 * register waiting for answers that the fake never gives.
 */
async function scenario({ transport = 'websocket', serializer = 'json', welcome = true, options = {} } = {}) {
  const fake = await fakeRouter({ transport, serializer });
  cleanups.push(() => fake.close());
  const opened = deferred();
  const closed = deferred();
  const internalErrors = [];
  const connection = new autobahn.Connection({
    realm: 'realm1',
    transports: [fake.entry],
    max_retries: 0,
    use_es6_promises: true,
    on_internal_error: (err, msg) => internalErrors.push(msg || String(err)),
    ...options,
  });
  connection.onopen = (session, details) => opened.resolve({ session, details });
  connection.onclose = (reason, details) => {
    if (!details.will_retry) closed.resolve({ reason, details, at: Date.now() });
  };
  cleanups.push(async () => {
    if (connection.isOpen || connection.isRetrying) connection.close();
    await withTimeout(closed.promise, 10000, 'the final onclose at cleanup').catch(() => {});
  });
  connection.open();
  const peer = await withTimeout(fake.nextPeer(), 5000, 'the client to connect');
  const hello = await withTimeout(peer.receive(), 5000, 'HELLO');
  assert.equal(hello[0], 1, 'the first message is HELLO');
  const ctx = { fake, connection, peer, opened: opened.promise, closed: closed.promise, internalErrors };
  if (!welcome) return ctx;
  peer.send([2, 4242, ROUTER_ROLES]);
  const { session } = await withTimeout(opened.promise, 5000, 'onopen');
  ctx.session = session;
  const pending = {
    call: session.call('com.hostile.proc'),
    subscribe: session.subscribe('com.hostile.topic', () => {}),
    register: session.register('com.hostile.endpoint', () => {}),
  };
  ctx.pending = pending;
  ctx.outcomes = Object.fromEntries(
    Object.entries(pending).map(([name, p]) => [
      name,
      p.then(
        (value) => ({ status: 'fulfilled', value }),
        (error) => ({ status: 'rejected', error })
      ),
    ])
  );
  ctx.requests = {};
  for (const type of [48, 32, 64]) {
    const msg = await withTimeout(peer.receiveType(type), 5000, `message type ${type}`);
    ctx.requests[type] = msg[1];
  }
  return ctx;
}

/**
 * After the hostile message went out at `sentAt`: onclose comes with the expected reason (and a
 * message naming `mentions`), and each pending request was rejected, all within 1 s.
 */
async function assertEnded(ctx, sentAt, { reason, mentions, closeReason } = {}) {
  const closed = await withTimeout(ctx.closed, SETTLE_MS, 'onclose within 1 s of the violation');
  assert.ok(closed.at - sentAt <= SETTLE_MS, `onclose after ${closed.at - sentAt} ms`);
  if (closeReason) assert.equal(closed.reason, closeReason);
  if (reason) assert.equal(closed.details.reason, reason);
  if (mentions) {
    assert.match(String(closed.details.message), mentions, 'onclose details.message says what was wrong');
  } else {
    assert.equal(typeof closed.details.message, 'string', 'onclose details.message explains the close');
  }
  if (ctx.outcomes) {
    const names = Object.keys(ctx.outcomes);
    const outcomes = await withTimeout(
      Promise.all(Object.values(ctx.outcomes)),
      Math.max(1, sentAt + SETTLE_MS - Date.now()),
      'every pending request to settle within 1 s'
    );
    outcomes.forEach((o, i) => {
      assert.equal(o.status, 'rejected', `${names[i]} is rejected`);
      assert.ok(o.error instanceof autobahn.Error, `${names[i]} rejects with autobahn.Error`);
      if (reason) assert.equal(o.error.error, reason, `${names[i]} rejects with the close reason`);
    });
  }
  return closed;
}

/** Sends `frame` (a message, or with `raw` a frame payload as given) and asserts the session ends. */
async function hostile(options, send, expect) {
  const ctx = await scenario(options);
  const sentAt = Date.now();
  await send(ctx);
  return assertEnded(ctx, sentAt, expect);
}

const VIOLATION = (mentions) => ({ reason: PROTOCOL_VIOLATION, mentions });

// --- Malformed frames ---------------------------------------------------------------------------

test('invalid JSON text ends the session with a protocol violation', () =>
  hostile({}, ({ peer }) => peer.sendFrame('[36, 1, 2, {'), VIOLATION(/JSON/)));

test('a JSON message that is not an array, or has no integer type, is a violation', async () => {
  for (const frame of ['{"a":1}', '[]', '["x", 1]', '42']) {
    await hostile({}, ({ peer }) => peer.sendFrame(frame), VIOLATION(/message/));
  }
});

test('invalid MessagePack (a reserved byte) is a violation', () =>
  hostile(
    { serializer: 'msgpack' },
    ({ peer }) => peer.sendFrame(Buffer.from([0x93, 0x24, 0xc1, 0x01])),
    VIOLATION(/msgpack/)
  ));

test('truncated MessagePack is a violation', () =>
  hostile(
    { serializer: 'msgpack', transport: 'rawsocket' },
    ({ peer }) => peer.sendFrame(Buffer.from([0x95, 0x32, 0x01, 0x80, 0x92])),
    VIOLATION(/msgpack/)
  ));

test('invalid CBOR (a lone break byte) is a violation', () =>
  hostile({ serializer: 'cbor' }, ({ peer }) => peer.sendFrame(Buffer.from([0xff])), VIOLATION(/cbor/)));

test('a text frame on the MessagePack serializer is a violation', () =>
  hostile({ serializer: 'msgpack' }, ({ peer }) => peer.sendFrame('[36,1,2,{}]'), VIOLATION(/text frame/)));

test('a RawSocket frame of an unknown type ends the connection', () =>
  hostile({ transport: 'rawsocket' }, ({ peer }) => peer.writeRaw(Buffer.from([0x05, 0, 0, 2, 0x5b, 0x5d])), {
    mentions: /frame type/,
  }));

test('a RawSocket frame longer than our rawsocket_max_len_exp ends the connection', () =>
  hostile(
    { transport: 'rawsocket', options: { rawsocket_max_len_exp: 16 } },
    ({ peer }) => peer.writeRaw(Buffer.from([0x00, 0x02, 0x00, 0x00])),
    { mentions: /over our limit/ }
  ));

// --- Wrong types in message positions -----------------------------------------------------------

test('RESULT whose Arguments is not a list is a violation', () =>
  hostile(
    {},
    (ctx) => ctx.peer.send([50, ctx.requests[48], {}, { a: 1 }]),
    VIOLATION(/RESULT Arguments must be a list/)
  ));

test('EVENT with a string subscription id is a violation', () =>
  hostile(
    {},
    (ctx) => ctx.peer.send([36, String(ctx.requests[32]), 1, {}]),
    VIOLATION(/EVENT has an invalid subscription id/)
  ));

test('ERROR whose error URI is not a string is a violation', () =>
  hostile({}, (ctx) => ctx.peer.send([8, 48, ctx.requests[48], {}, 17]), VIOLATION(/ERROR Error must be a string/)));

test('SUBSCRIBED with a fractional subscription id is a violation', () =>
  hostile(
    {},
    (ctx) => ctx.peer.send([33, ctx.requests[32], 1.5]),
    VIOLATION(/SUBSCRIBED has an invalid subscription id/)
  ));

test('INVOCATION whose Details is a list is a violation', async () => {
  const ctx = await scenario();
  ctx.peer.send([65, ctx.requests[64], 7]);
  await ctx.pending.register;
  // The register settled; the call and subscribe are still pending.
  ctx.outcomes = { call: ctx.outcomes.call, subscribe: ctx.outcomes.subscribe };
  const sentAt = Date.now();
  ctx.peer.send([68, 1, 7, []]);
  await assertEnded(ctx, sentAt, VIOLATION(/INVOCATION Details must be a dict/));
});

test('an unknown message code is a violation', () =>
  hostile({}, ({ peer }) => peer.send([99, 1, {}]), VIOLATION(/unexpected message type 99/)));

test('a message a router never sends (CALL) is a violation', () =>
  hostile({}, ({ peer }) => peer.send([48, 1, {}, 'com.x']), VIOLATION(/CALL/)));

// --- Replies that match nothing -----------------------------------------------------------------

test('a RESULT for a request never made is a violation', () =>
  hostile({}, ({ peer }) => peer.send([50, 987654, {}, [1]]), VIOLATION(/unknown request 987654/)));

test('a REGISTERED in reply to a CALL is a violation', () =>
  hostile(
    {},
    (ctx) => ctx.peer.send([65, ctx.requests[48], 5]),
    VIOLATION(/REGISTERED for request \d+, which is a CALL/)
  ));

test('a second WELCOME on an open session is a violation', () =>
  hostile({}, ({ peer }) => peer.send([2, 4243, {}]), VIOLATION(/WELCOME received on an established session/)));

test('an EVENT before WELCOME is a violation and the session never opens', async () => {
  const ctx = await scenario({ welcome: false });
  const sentAt = Date.now();
  ctx.peer.send([36, 1, 1, {}]);
  await assertEnded(ctx, sentAt, VIOLATION(/EVENT received before the session was established/));
  assert.equal(await Promise.race([ctx.opened.then(() => 'opened'), Promise.resolve('not opened')]), 'not opened');
});

// --- Ids out of range ---------------------------------------------------------------------------

for (const [label, id] of [
  ['0', 0],
  ['2^53 + 1', MAX_ID + 2], // 2^53 + 1 is not a double; JSON.stringify writes 9007199254740994
]) {
  test(`WELCOME with session id ${label} is a violation: the session never opens`, async () => {
    const ctx = await scenario({ welcome: false });
    const sentAt = Date.now();
    ctx.peer.send([2, id, ROUTER_ROLES]);
    const abort = await withTimeout(ctx.peer.receive(), SETTLE_MS, 'the ABORT');
    assert.equal(abort[0], 3, 'the client answers with ABORT');
    assert.equal(abort[2], PROTOCOL_VIOLATION);
    await assertEnded(ctx, sentAt, VIOLATION(/WELCOME has an invalid session id.*\[1, 2\^53\]/));
    assert.equal(await Promise.race([ctx.opened.then(() => 'opened'), Promise.resolve('not opened')]), 'not opened');
  });

  test(`SUBSCRIBED with subscription id ${label} is a violation`, () =>
    hostile(
      {},
      (ctx) => ctx.peer.send([33, ctx.requests[32], id]),
      VIOLATION(/SUBSCRIBED has an invalid subscription id/)
    ));
}

test('WELCOME with session id 2^53 + 1 as an exact integer (MessagePack) is a violation', async () => {
  const ctx = await scenario({ serializer: 'msgpack', welcome: false });
  const sentAt = Date.now();
  // fixarray(3), 2, uint64 2^53 + 1, fixmap(0)
  const id = Buffer.alloc(9);
  id[0] = 0xcf;
  id.writeBigUInt64BE(2n ** 53n + 1n, 1);
  ctx.peer.sendFrame(Buffer.concat([Buffer.from([0x93, 0x02]), id, Buffer.from([0x80])]));
  await assertEnded(ctx, sentAt, VIOLATION(/session id/));
});

test('a RESULT for request id 0 is a violation', () =>
  hostile({}, ({ peer }) => peer.send([50, 0, {}]), VIOLATION(/RESULT has an invalid request id: 0/)));

// --- Size and depth -----------------------------------------------------------------------------

test('a 20 MiB frame ends the connection without crashing', () =>
  hostile({}, ({ peer }) => peer.sendFrame(`[36,1,2,{},["${'x'.repeat(20 * 1024 * 1024)}"]]`), { mentions: /./ }));

function deepJson(depth) {
  return '['.repeat(depth) + ']'.repeat(depth);
}

test('100k-deep nesting in JSON is a violation, as in MessagePack and CBOR', async () => {
  const ctx = await scenario();
  ctx.peer.send([33, ctx.requests[32], 5]);
  await ctx.pending.subscribe;
  ctx.outcomes = { call: ctx.outcomes.call, register: ctx.outcomes.register };
  const sentAt = Date.now();
  ctx.peer.sendFrame(`[36,5,1,{},[${deepJson(100000)}]]`);
  await assertEnded(ctx, sentAt, VIOLATION(/nest/));
});

test('100k-deep nesting in MessagePack is a violation', () =>
  hostile(
    { serializer: 'msgpack', transport: 'rawsocket' },
    ({ peer }) =>
      peer.sendFrame(
        Buffer.concat([Buffer.from([0x95, 0x24, 0x05, 0x01, 0x80]), Buffer.alloc(100000, 0x91), Buffer.from([0xc0])])
      ),
    VIOLATION(/nest deeper/)
  ));

test('100k-deep nesting in CBOR is a violation', () =>
  hostile(
    { serializer: 'cbor' },
    ({ peer }) =>
      peer.sendFrame(
        Buffer.concat([
          Buffer.from([0x85, 0x18, 0x24, 0x05, 0x01, 0xa0]),
          Buffer.alloc(100000, 0x81),
          Buffer.from([0xf6]),
        ])
      ),
    VIOLATION(/nest deeper/)
  ));

test('MessagePack maps keyed by maps, 60 deep, are a violation at once (not 2^60 bytes of quoting)', () =>
  hostile(
    { serializer: 'msgpack' },
    ({ peer }) =>
      peer.sendFrame(
        Buffer.concat([Buffer.from([0x95, 0x24, 0x05, 0x01]), Buffer.alloc(60, 0x81), Buffer.from([0xc0])])
      ),
    VIOLATION(/a map key is a list or map/)
  ));

// --- Silence, stalls and disconnects ------------------------------------------------------------

test('a router that never answers HELLO: onclose after connect_timeout', async () => {
  const ctx = await scenario({ welcome: false, options: { connect_timeout: 0.3 } });
  const closed = await withTimeout(ctx.closed, 0.3 * 1000 + SETTLE_MS, 'onclose after connect_timeout');
  assert.match(closed.details.message, /did not answer HELLO within 0.3 s/);
});

test('a RawSocket router that stalls mid-frame before WELCOME: onclose after connect_timeout', async () => {
  const ctx = await scenario({ transport: 'rawsocket', welcome: false, options: { connect_timeout: 0.3 } });
  // A header announcing 100 bytes, then 10 of them, then nothing.
  ctx.peer.writeRaw(Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.from('[2,1,{},  ')]));
  const closed = await withTimeout(ctx.closed, 0.3 * 1000 + SETTLE_MS, 'onclose after connect_timeout');
  assert.match(closed.details.message, /did not answer HELLO/);
});

test('a WebSocket router that stalls mid-frame on an open session: the heartbeat ends it', async () => {
  const ctx = await scenario({ options: { autoping_interval: 0.1, autoping_timeout: 0.2 } });
  const sentAt = Date.now();
  // A binary frame header announcing 1 MiB, then a few bytes: every later frame (pongs included)
  // is swallowed as its payload.
  const head = Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 0]);
  ctx.peer.writeRaw(Buffer.concat([head, Buffer.from('[36,1')]));
  // The heartbeat notices within interval + timeout; allow that on top of the 1 s.
  ctx.closed = withTimeout(ctx.closed, 300 + SETTLE_MS, 'onclose from the heartbeat');
  await assertEnded(ctx, sentAt + 300, { closeReason: 'lost', mentions: /./ });
});

test('the router closes the TCP connection mid-handshake (after HELLO)', async () => {
  const ctx = await scenario({ welcome: false });
  const sentAt = Date.now();
  ctx.peer.destroy();
  const closed = await assertEnded(ctx, sentAt, {});
  assert.equal(closed.reason, 'lost');
});

test('the router closes the TCP connection with requests pending: all are settled', async () => {
  const ctx = await scenario({ transport: 'rawsocket' });
  const sentAt = Date.now();
  ctx.peer.end();
  await assertEnded(ctx, sentAt, { reason: undefined });
  for (const o of await Promise.all(Object.values(ctx.outcomes))) {
    assert.equal(o.error.error, 'wamp.close.transport_lost');
  }
});

test('after all that, this process still opens a normal session on the fake router', async () => {
  const ctx = await scenario({ serializer: 'cbor', transport: 'rawsocket' });
  ctx.peer.send([50, ctx.requests[48], {}, ['fine']]);
  assert.equal(await ctx.pending.call, 'fine');
  ctx.connection.close();
  const goodbye = await withTimeout(ctx.peer.receiveType(6), 5000, 'GOODBYE');
  ctx.peer.send([6, {}, 'wamp.close.goodbye_and_out']);
  assert.equal(goodbye[2], 'wamp.close.normal', 'the client leaves with a GOODBYE');
  const closed = await withTimeout(ctx.closed, 5000, 'onclose');
  assert.equal(closed.reason, 'closed');
});
