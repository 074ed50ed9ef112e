// Flow control (README "Flow control"): the outgoing high-water mark with its error and
// session.drained(), against a router that stops reading (a real one under SIGSTOP, and a fake
// that never reads); and the bounded queue of incoming events behind a slow consumer.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { fork } = require('node:child_process');
const { test, before, after } = require('node:test');
const autobahn = require('..');
const { startRouter, routerKind, REALM } = require('./helpers/router');
const { openSession, closeConnection, withTimeout, uniqueUri, deferred } = require('./helpers/session');
const { stalledRouter } = require('./helpers/stalled-router');

const MiB = 1024 * 1024;
const FLOOD_PUBLISHER = path.join(__dirname, 'helpers', 'flood-publisher.js');

let router;
before(async () => {
  // Our router drops a session once 10,000 messages wait for it (max_queued_messages); the
  // subscribers here take a burst of far more, so the limit is raised for them.
  router = await startRouter({
    editConfig: (config) =>
      routerKind === 'embedded'
        ? {
            realms: [{ name: REALM }],
            transports: [{ type: 'websocket', port: '%%PORT%%' }],
            max_queued_messages: 10000000,
          }
        : config,
  });
});
after(async () => {
  if (router) await router.stop();
});

// The router's processes (its process group) stop reading, and resume.
function pauseRouter() {
  process.kill(-router.pid, 'SIGSTOP');
}
function resumeRouter() {
  process.kill(-router.pid, 'SIGCONT');
}

function nextMessage(child, type, ms) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg.type === 'failed') {
          child.off('message', onMessage);
          reject(new Error(`the publisher failed: ${JSON.stringify(msg)}`));
        } else if (msg.type === type) {
          child.off('message', onMessage);
          resolve(msg);
        }
      };
      child.on('message', onMessage);
    }),
    ms,
    `'${type}' from the publisher`
  );
}

test('options: the water marks are checked when the Connection is made', () => {
  const base = { url: 'ws://127.0.0.1:9/ws', realm: REALM };
  for (const [key, value] of [
    ['outgoing_high_water_mark', 0],
    ['outgoing_high_water_mark', '16MB'],
    ['outgoing_low_water_mark', -1],
    ['incoming_high_water_mark', 1.5],
  ]) {
    assert.throws(
      () => new autobahn.Connection({ ...base, [key]: value }),
      (e) => e instanceof TypeError && e.message.includes(`options.${key}`),
      `${key}: ${value}`
    );
  }
  assert.throws(
    () => new autobahn.Connection({ ...base, outgoing_high_water_mark: 1000, outgoing_low_water_mark: 1000 }),
    /outgoing_low_water_mark \(1000\) must be below outgoing_high_water_mark \(1000\)/
  );
  const c = new autobahn.Connection(base);
  assert.equal(c.bufferedAmount, 0);
  assert.equal(c.bufferedMessages, 0);
});

test('1,000,000 events at a stopped router: bounded memory, buffer_full, then all accepted events arrive', async () => {
  const topic = uniqueUri('flood');
  const sub = await openSession(router.url, { use_es6_promises: true });
  let received = 0;
  let outOfOrder = null;
  const allReceived = deferred();
  let expected = Infinity;
  await sub.session.subscribe(topic, (args) => {
    if (args[0] !== received && outOfOrder === null) outOfOrder = { got: args[0], expected: received };
    received += 1;
    if (received >= expected) allReceived.resolve();
  });

  const child = fork(FLOOD_PUBLISHER, [router.url, REALM, topic], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let paused = false;
  try {
    await nextMessage(child, 'open', 10000);
    pauseRouter();
    paused = true;
    child.send({ type: 'flood', count: 1000000, padding: 'x'.repeat(150) });
    const flooded = await nextMessage(child, 'flooded', 120000);
    const growth = flooded.peakRss - flooded.baselineRss;
    console.log(
      `# flood: ${flooded.accepted} accepted, ${flooded.refused} refused, RSS +${(growth / MiB).toFixed(1)} MiB, ` +
        `${flooded.bufferedAmount} bytes / ${flooded.bufferedMessages} messages buffered`
    );
    assert.ok(flooded.refused > 0, 'some publishes are refused');
    assert.equal(flooded.accepted + flooded.refused, 1000000);
    assert.equal(flooded.firstRefusal.error, 'wamp.error.buffer_full');
    assert.match(flooded.firstRefusal.message, /outgoing_high_water_mark \(16777216\).*session\.drained\(\)/);
    assert.deepEqual(flooded.rejections, {
      publish: 'wamp.error.buffer_full',
      call: 'wamp.error.buffer_full',
      subscribe: 'wamp.error.buffer_full',
      register: 'wamp.error.buffer_full',
    });
    // The default high-water mark is 16 MiB: what waits stays about that (the rest of the
    // accepted events sits in the TCP buffers), and the process grows by well under the
    // ~170 MB the refused events would have taken.
    assert.ok(flooded.bufferedAmount >= 16 * MiB, `buffered ${flooded.bufferedAmount}`);
    assert.ok(flooded.bufferedAmount < 17 * MiB, `buffered ${flooded.bufferedAmount}`);
    assert.ok(flooded.bufferedMessages > 0);
    assert.ok(growth < 96 * MiB, `RSS grew by ${growth} bytes`);

    expected = flooded.accepted;
    const drained = nextMessage(child, 'drained', 120000);
    resumeRouter();
    paused = false;
    const { bufferedAmount } = await drained;
    assert.ok(bufferedAmount <= 4 * MiB, `drained() resolved at ${bufferedAmount} bytes (low-water mark 4 MiB)`);
    await withTimeout(allReceived.promise, 120000, `${expected} events (got ${received})`);
    assert.equal(outOfOrder, null, `events in order: ${JSON.stringify(outOfOrder)}`);
    assert.equal(received, flooded.accepted);
  } finally {
    if (paused) resumeRouter();
    if (child.connected) child.send({ type: 'close' });
    await withTimeout(exited, 20000, 'the publisher to exit');
    await closeConnection(sub.connection);
  }
});

test('a router that never reads: requests fail fast, close() still ends the connection, drained() rejects', async () => {
  const stalled = await stalledRouter();
  const high = 1 * MiB;
  const connection = new autobahn.Connection({
    transports: [{ type: 'rawsocket', host: stalled.host, port: stalled.port, serializers: ['json'] }],
    realm: REALM,
    max_retries: 0,
    use_es6_promises: true,
    outgoing_high_water_mark: high,
  });
  const opened = deferred();
  const closed = deferred();
  connection.onopen = (session) => opened.resolve(session);
  connection.onclose = (reason, details) => {
    opened.reject(new Error(`closed before open: ${reason}`));
    closed.resolve({ reason, details });
  };
  connection.open();
  try {
    const session = await withTimeout(opened.promise, 10000, 'onopen');
    // Publish until the TCP buffers are full and what waits reaches the mark: refused, and
    // not lowered by the writer across 20 turns of the event loop.
    let refusal = null;
    let unchanged = 0;
    for (let run = 0; unchanged < 20; run++) {
      assert.ok(run < 1000, 'the buffers never filled (100 MB published)');
      for (let i = 0; i < 100; i++) {
        try {
          session.publish('com.example.stalled', ['y'.repeat(1000)]);
        } catch (e) {
          refusal = e;
        }
      }
      const before = connection.bufferedAmount;
      await new Promise(setImmediate);
      const stuck = refusal !== null && before >= high && connection.bufferedAmount === before;
      unchanged = stuck ? unchanged + 1 : 0;
    }
    assert.ok(refusal instanceof autobahn.Error, `an autobahn.Error, got ${refusal}`);
    assert.equal(refusal.error, 'wamp.error.buffer_full');
    assert.ok(refusal.kwargs.buffered_amount >= high);
    assert.equal(refusal.kwargs.high_water_mark, high);
    // What waits is the mark plus at most one message.
    assert.ok(connection.bufferedAmount < high + 1100, `${connection.bufferedAmount} bytes wait`);
    assert.ok(connection.bufferedMessages > 0);
    assert.throws(() => session.publish('com.example.stalled', []), { error: 'wamp.error.buffer_full' });
    const refused = [
      session.call('com.example.proc'),
      session.publish('com.example.t', [], {}, { acknowledge: true }),
      session.subscribe('com.example.t', () => {}),
      session.register('com.example.p', () => {}),
    ];
    for (const p of refused) {
      await assert.rejects(p, (e) => e instanceof autobahn.Error && e.error === 'wamp.error.buffer_full');
    }

    const drained = session.drained();
    let settled = false;
    drained.then(
      () => (settled = true),
      () => (settled = true)
    );
    await new Promise(setImmediate);
    assert.equal(settled, false, 'nothing drains while the router does not read');
    // The writer is stuck on the socket; close() must still end the connection.
    connection.close();
    // The stuck write is given up after 5 s without progress (as long as a GOODBYE may wait
    // for its answer).
    const { reason, details } = await withTimeout(closed.promise, 20000, 'onclose after close()');
    assert.match(details.message, /dropped while a write waited for the router to read/);
    assert.equal(reason, 'closed');
    await assert.rejects(withTimeout(drained, 10000, 'drained() to settle'), (e) => e instanceof autobahn.Error);
    await withTimeout(
      (async () => {
        while (connection.bufferedAmount !== 0) await new Promise(setImmediate);
      })(),
      10000,
      'the buffers to be released'
    );
    assert.equal(connection.bufferedMessages, 0);
  } finally {
    try {
      connection.close();
    } catch {
      // already closed
    }
    await stalled.close();
  }
});

test('a subscriber slower than its events: the engine queues a bounded amount, and all arrive in order', async () => {
  const topic = uniqueUri('slow');
  const limit = 64 * 1024;
  const count = 30000;
  const sub = await openSession(router.url, { use_es6_promises: true, incoming_high_water_mark: limit });
  const pub = await openSession(router.url, { use_es6_promises: true });
  let received = 0;
  let outOfOrder = null;
  const allReceived = deferred();
  let largest = 0;
  await sub.session.subscribe(topic, (args) => {
    if (args[0] !== received && outOfOrder === null) outOfOrder = { got: args[0], expected: received };
    received += 1;
    if (received === 1) {
      // Block the event loop while the burst arrives (a slow handler).
      const until = Date.now() + 1500;
      while (Date.now() < until);
    }
    if (received === count) allReceived.resolve();
  });
  try {
    for (let i = 0; i < count; i++) {
      const payload = [i, 'z'.repeat(60)];
      largest = Math.max(largest, JSON.stringify(payload).length);
      pub.session.publish(topic, payload);
    }
    await withTimeout(allReceived.promise, 120000, `${count} events (got ${received})`);
    assert.equal(outOfOrder, null, `events in order: ${JSON.stringify(outOfOrder)}`);
    const stats = sub.connection._native.flowStats();
    console.log(`# slow subscriber: at most ${stats.incomingPeakBytes} bytes of events waited (limit ${limit})`);
    // The burst is ~4 MB; the engine stops reading at the limit, so at most the limit plus
    // one read's events waited.
    assert.ok(stats.incomingPeakBytes >= limit, `the limit was reached: ${stats.incomingPeakBytes}`);
    assert.ok(stats.incomingPeakBytes < limit + 64 * largest, `peak ${stats.incomingPeakBytes}`);
  } finally {
    await closeConnection(pub.connection);
    await closeConnection(sub.connection);
  }
});
