'use strict';
// Sessions that survive a reconnect: restore_on_reconnect (subscriptions and registrations made
// again, as the same objects, before onopen), queue_while_reconnecting (requests held while the
// connection reconnects), on_restore_error, and the default (off) staying Autobahn|JS's.
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const autobahn = require('..');
const { startRouter } = require('./helpers/router');
const { deferred, withTimeout, uniqueUri, collector } = require('./helpers/session');

let router;
const connections = [];
test.before(async () => {
  router = await startRouter();
});
test.after(async () => {
  for (const c of connections) {
    try {
      c.close();
    } catch {
      // closed already
    }
  }
  if (router) await router.stop();
});

// Values in arrival order; next() resolves with the next one (or fails after ms).
function fifo() {
  const items = [];
  const takers = [];
  return {
    push(v) {
      const take = takers.shift();
      if (take) take(v);
      else items.push(v);
    },
    next(what, ms = 30000) {
      if (items.length > 0) return Promise.resolve(items.shift());
      const d = deferred();
      takers.push(d.resolve);
      return withTimeout(d.promise, ms, what);
    },
  };
}

/**
 * Opens a Connection to the test router. `opens` yields {session, details, subscriptions,
 * registrations} (the last two as the session had them when onopen ran), `closes` yields
 * {reason, details}. hold() makes the next onclose that would reconnect wait: the returned
 * deferred's value decides (false reconnects, true stops), so the test acts while disconnected.
 */
function connect(extra = {}) {
  const userErrors = [];
  const c = new autobahn.Connection(
    Object.assign(
      {
        url: router.url,
        realm: router.realm,
        use_es6_promises: true,
        initial_retry_delay: 0.05,
        max_retry_delay: 1,
        retry_delay_jitter: 0,
        max_retries: -1,
        on_user_error: (err, msg) => userErrors.push({ err, msg }),
      },
      extra
    )
  );
  const peer = { c, opens: fifo(), closes: fifo(), userErrors, gate: null, duringOnopen: null };
  c.onopen = (session, details) => {
    if (peer.duringOnopen) peer.duringOnopen(session, details);
    peer.opens.push({
      session,
      details,
      subscriptions: session.subscriptions.flat(),
      registrations: session.registrations.slice(),
    });
  };
  c.onclose = (reason, details) => {
    peer.closes.push({ reason, details });
    if (details.will_retry && peer.gate) {
      const gate = peer.gate;
      peer.gate = null;
      return gate.promise;
    }
    return undefined;
  };
  peer.hold = () => {
    peer.gate = deferred();
    return peer.gate;
  };
  connections.push(c);
  c.open();
  return peer;
}

// Drops the transport (as Autobahn|JS's connection.transport.close()) and resolves, while the
// connection waits for `gate` before it reconnects, with the onclose it reported.
async function dropAndHold(peer) {
  const gate = peer.hold();
  peer.c.transport.close();
  const lost = await peer.closes.next('onclose after the transport was dropped');
  assert.equal(lost.details.will_retry, true);
  return { gate, lost };
}

function isError(uri, pattern) {
  return (e) => {
    assert.ok(e instanceof autobahn.Error, `expected an autobahn.Error, got ${e}`);
    assert.equal(e.error, uri);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

test(
  'router restart: the same Subscription and Registration objects are made again before onopen and keep working; off by default',
  { timeout: 120000 },
  async () => {
    const topic = uniqueUri('restart.topic');
    const proc = uniqueUri('restart.proc');
    const a = connect({ restore_on_reconnect: true });
    const plain = connect(); // Autobahn|JS behaviour: nothing survives
    const { session: s1 } = await a.opens.next('first onopen');
    const { session: p1 } = await plain.opens.next('first onopen (plain)');
    const events = collector();
    const sub = await s1.subscribe(topic, (args, kwargs, details, subscription) =>
      events.push({ value: args[0], subscription })
    );
    const reg = await s1.register(proc, (args) => `echo ${args[0]}`);
    const plainSub = await p1.subscribe(topic, () => {});

    await router.kill();
    let whileAway;
    try {
      await a.closes.next('onclose after the crash');
      await plain.closes.next('onclose after the crash (plain)');
      whileAway = { sub: sub.active, reg: reg.active, plainSub: plainSub.active };
    } finally {
      await router.restart(); // the other tests need it, whatever happened here
    }
    assert.deepEqual(whileAway, { sub: true, reg: true, plainSub: false }, 'kept active while reconnecting');

    const reopened = await a.opens.next('onopen after the restart');
    const s2 = reopened.session;
    assert.notEqual(s2, s1, 'a new Session per connection, as in Autobahn|JS');
    // Restored before onopen ran: the new session already held the user's own objects.
    assert.equal(reopened.subscriptions.length, 1);
    assert.equal(reopened.subscriptions[0], sub);
    assert.deepEqual(reopened.registrations, [reg]);
    assert.deepEqual(reopened.details.restored.subscriptions, [sub]);
    assert.deepEqual(reopened.details.restored.registrations, [reg]);
    assert.deepEqual(reopened.details.restored.failed, []);
    assert.equal(sub.session, s2);
    assert.equal(reg.session, s2);
    assert.equal(sub.active, true);
    assert.equal(reg.active, true);
    // The router knows them under the ids the objects now carry.
    assert.equal(await s2.call('wamp.subscription.lookup', [topic]), sub.id);
    assert.equal(await s2.call('wamp.registration.lookup', [proc]), reg.id);
    // The session held from the first onopen forwards to the new one.
    assert.equal(await s1.call('wamp.registration.lookup', [proc]), reg.id);

    const { session: p2 } = await plain.opens.next('onopen after the restart (plain)');
    assert.equal(p2.subscriptions.length, 0, 'off by default: a new session starts empty');
    assert.equal(await plainSub.on_unsubscribe, 'wamp.close.transport_lost');

    // Events and calls reach the original handler and endpoint.
    await p2.publish(topic, ['after the restart'], {}, { acknowledge: true });
    const [got] = await events.waitFor(1);
    assert.equal(got.value, 'after the restart');
    assert.equal(got.subscription, sub);
    assert.equal(await p2.call(proc, ['x']), 'echo x');
    // And they end as usual, on the new session.
    await reg.unregister();
    assert.equal(reg.active, false);
    assert.equal(await s2.call('wamp.registration.lookup', [proc]), null);
    a.c.close();
    plain.c.close();
  }
);

test(
  'forced reconnect: new ids; unsubscribe() while disconnected drops it from the restore; requests are rejected with autobahn.error.reconnecting',
  { timeout: 60000 },
  async () => {
    const kept = uniqueUri('kept');
    const dropped = uniqueUri('dropped');
    const proc = uniqueUri('proc');
    const a = connect({ restore_on_reconnect: true });
    const { session: s1 } = await a.opens.next('first onopen');
    const keep = await s1.subscribe(kept, () => {});
    const drop = await s1.subscribe(dropped, () => {});
    const reg = await s1.register(proc, () => 'ok');
    const before = { keep: keep.id, reg: reg.id };

    const { gate } = await dropAndHold(a);
    assert.equal(drop.active, true);
    assert.equal(await drop.unsubscribe(), true);
    assert.equal(drop.active, false);
    assert.equal(await drop.on_unsubscribe, undefined);
    // Without queue_while_reconnecting nothing waits: a specific error at once.
    await assert.rejects(s1.call(proc), isError('autobahn.error.reconnecting', /reconnecting/));
    await assert.rejects(
      s1.subscribe(uniqueUri('late'), () => {}),
      isError('autobahn.error.reconnecting')
    );
    assert.throws(() => s1.publish(kept, ['x']), isError('autobahn.error.reconnecting'));
    // Bad input still fails synchronously.
    assert.throws(() => s1.call('not..valid'), isError('wamp.error.invalid_uri'));
    gate.resolve(false);

    const reopened = await a.opens.next('onopen after the reconnect');
    const s2 = reopened.session;
    assert.deepEqual(reopened.subscriptions, [keep]);
    assert.deepEqual(reopened.registrations, [reg]);
    assert.notEqual(keep.id, before.keep, 'the new session has its own subscription id');
    assert.notEqual(reg.id, before.reg, 'the new session has its own registration id');
    assert.equal(await s2.call('wamp.subscription.lookup', [kept]), keep.id);
    assert.equal(await s2.call('wamp.subscription.lookup', [dropped]), null, 'not restored');
    assert.equal(await s2.call(proc), 'ok');
    // unsubscribe() of a restored object goes to the session it now belongs to.
    assert.equal(await keep.unsubscribe(), true);
    assert.equal(await s2.call('wamp.subscription.lookup', [kept]), null);
    assert.deepEqual(a.userErrors, []);
    a.c.close();
  }
);

// `a` loses its transport; while it waits to reconnect, `bs` registers `proc` (once the router
// has seen `a` leave). Resolves with `a`'s next onopen.
async function takenWhileAway(a, bs, proc) {
  const aId = a.c.session.id;
  const left = deferred();
  const watcher = await bs.subscribe('wamp.session.on_leave', (args) => {
    if (args[0] === aId) left.resolve();
  });
  const { gate } = await dropAndHold(a);
  await withTimeout(left.promise, 10000, 'wamp.session.on_leave of the dropped session');
  await watcher.unsubscribe();
  await bs.register(proc, () => 'the other callee');
  gate.resolve(false);
  return a.opens.next('onopen after the reconnect');
}

test(
  'a restore the router refuses (procedure taken meanwhile) marks that object inactive and goes to on_user_error',
  { timeout: 60000 },
  async () => {
    const taken = uniqueUri('taken');
    const free = uniqueUri('free');
    const a = connect({ restore_on_reconnect: true });
    const b = connect();
    const { session: s1 } = await a.opens.next('first onopen');
    const { session: bs } = await b.opens.next('first onopen (b)');
    const lost = await s1.register(taken, () => 'first callee');
    const kept = await s1.register(free, () => 'still here');

    const reopened = await takenWhileAway(a, bs, taken);
    // Reported before onopen, and only this object is given up.
    assert.deepEqual(reopened.details.restored.failed, [lost]);
    assert.deepEqual(reopened.registrations, [kept]);
    assert.equal(lost.active, false);
    assert.equal(await lost.on_unregister, 'wamp.error.procedure_already_exists');
    assert.equal(a.userErrors.length, 1);
    const { err, msg } = a.userErrors[0];
    assert.ok(err instanceof autobahn.Error);
    assert.equal(err.error, 'wamp.error.procedure_already_exists');
    assert.match(msg, new RegExp(`could not restore the registration of '${taken.replace(/\./g, '\\.')}'`));
    assert.equal(await bs.call(taken), 'the other callee');
    assert.equal(await bs.call(free), 'still here');
    a.c.close();
    b.c.close();
  }
);

test('on_restore_error receives the refused object instead of on_user_error', { timeout: 60000 }, async () => {
  const taken = uniqueUri('taken2');
  const reported = [];
  const a = connect({ restore_on_reconnect: true, on_restore_error: (err, obj) => reported.push({ err, obj }) });
  const b = connect();
  const { session: s1 } = await a.opens.next('first onopen');
  const { session: bs } = await b.opens.next('first onopen (b)');
  const reg = await s1.register(taken, () => 'first callee');
  await takenWhileAway(a, bs, taken);
  assert.equal(reported.length, 1);
  assert.equal(reported[0].obj, reg);
  assert.equal(reported[0].err.error, 'wamp.error.procedure_already_exists');
  assert.deepEqual(a.userErrors, []);
  a.c.close();
  b.c.close();
});

test(
  'queue_while_reconnecting: requests wait, go out after the restore in order, and a full queue rejects',
  { timeout: 60000 },
  async () => {
    const own = uniqueUri('own');
    const remote = uniqueUri('remote');
    const topic = uniqueUri('topic');
    const lateTopic = uniqueUri('late');
    const a = connect({ restore_on_reconnect: true, queue_while_reconnecting: 5 });
    const b = connect();
    const { session: s1 } = await a.opens.next('first onopen');
    const { session: bs } = await b.opens.next('first onopen (b)');
    await s1.register(own, (args) => `own ${args[0]}`);
    const calls = collector();
    const published = collector();
    await bs.register(remote, (args) => {
      calls.push(args[0]);
      return args[0];
    });
    await bs.subscribe(topic, (args) => published.push(args[0]));

    const { gate } = await dropAndHold(a);
    // Answerable only once the registration is restored: proof that the queue waits for it.
    const c1 = s1.call(own, ['first']);
    const c2 = s1.call(remote, ['second']);
    assert.equal(s1.publish(topic, ['third']), undefined);
    const lateEvents = collector();
    const late = s1.subscribe(lateTopic, (args) => lateEvents.push(args[0]));
    const canceled = s1.call(remote, ['canceled']);
    await assert.rejects(s1.call(remote, ['overflow']), isError('autobahn.error.reconnect_queue_full', /5 requests/));
    assert.equal(canceled.cancel(), true);
    await assert.rejects(canceled, isError('wamp.error.canceled'));
    let fromOnopen = null;
    a.duringOnopen = (session) => {
      fromOnopen = session.call(remote, ['from onopen']);
    };
    gate.resolve(false);

    const { session: s2 } = await a.opens.next('onopen after the reconnect');
    assert.equal(await c1, 'own first');
    assert.equal(await c2, 'second');
    assert.equal(await fromOnopen, 'from onopen');
    assert.deepEqual(await published.waitFor(1), ['third']);
    const lateSub = await late;
    assert.ok(lateSub instanceof autobahn.Subscription);
    assert.equal(lateSub.session, s2);
    await bs.publish(lateTopic, ['hello'], {}, { acknowledge: true });
    assert.deepEqual(await lateEvents.waitFor(1), ['hello']);
    // The canceled and the overflowing call never reached the callee.
    assert.equal(await s2.call(remote, ['last']), 'last');
    // Held requests went out before anything onopen sent.
    assert.deepEqual(calls.items, ['second', 'from onopen', 'last']);
    a.c.close();
    b.c.close();
  }
);

test(
  'nothing is left pending: when the connection stops retrying, held requests reject and kept objects end',
  { timeout: 60000 },
  async () => {
    const topic = uniqueUri('topic');
    const a = connect({ restore_on_reconnect: true, queue_while_reconnecting: 10 });
    const { session: s1 } = await a.opens.next('first onopen');
    const sub = await s1.subscribe(topic, () => {});
    const { gate } = await dropAndHold(a);
    const held = s1.call(uniqueUri('never'));
    const heldSub = s1.subscribe(uniqueUri('never.topic'), () => {});
    s1.publish(topic, ['never sent']);
    gate.resolve(true); // stop retrying
    await assert.rejects(held, isError('wamp.close.transport_lost', /not sent/));
    await assert.rejects(heldSub, isError('wamp.close.transport_lost'));
    assert.equal(await sub.on_unsubscribe, 'wamp.close.transport_lost');
    assert.equal(sub.active, false);
    // The unacknowledged publish has no promise: on_user_error hears of it.
    assert.equal(a.userErrors.length, 1);
    assert.match(a.userErrors[0].msg, /publish\(\) held while reconnecting was not sent/);
    // The connection is over: Autobahn|JS's answer again.
    assert.throws(
      () => s1.call(topic),
      (e) => e === 'session not open'
    );
    assert.equal(a.c.isRetrying, false);
  }
);

test('close() while reconnecting rejects held requests with wamp.close.normal', { timeout: 60000 }, async () => {
  const topic = uniqueUri('topic');
  const a = connect({ restore_on_reconnect: true, queue_while_reconnecting: 10 });
  const { session: s1 } = await a.opens.next('first onopen');
  const sub = await s1.subscribe(topic, () => {});
  const { gate } = await dropAndHold(a);
  const held = s1.publish(topic, ['never sent'], {}, { acknowledge: true });
  a.c.close();
  gate.resolve(false);
  await assert.rejects(held, isError('wamp.close.normal', /not sent/));
  assert.equal(await sub.on_unsubscribe, 'wamp.close.normal');
  let last;
  do last = await a.closes.next('the final onclose');
  while (last.details.will_retry);
  assert.equal(a.c.isOpen, false);
});

// A scripted RawSocket (JSON) router, for a router that vanishes at a chosen moment. Each accepted
// connection runs `script(peer, n)` (n = 1, 2, ...); peer.next() yields the client's messages,
// peer.send(msg) answers, peer.drop() cuts the connection.
async function vanishingRouter(script) {
  let count = 0;
  const failures = [];
  const sockets = new Set();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    const inbox = fifo();
    let buf = Buffer.alloc(0);
    let handshaken = false;
    sock.on('error', () => {});
    sock.on('close', () => {
      sockets.delete(sock);
      inbox.push({ closed: true });
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!handshaken) {
        if (buf.length < 4) return;
        sock.write(Buffer.from([0x7f, (buf[1] & 0xf0) | 1, 0, 0])); // JSON, the client's limit
        buf = buf.subarray(4);
        handshaken = true;
      }
      while (buf.length >= 4 && buf.length >= 4 + buf.readUIntBE(1, 3)) {
        const len = buf.readUIntBE(1, 3);
        if (buf[0] === 0) inbox.push(JSON.parse(buf.subarray(4, 4 + len).toString('utf8')));
        buf = buf.subarray(4 + len);
      }
    });
    const send = (msg) => {
      const payload = Buffer.from(JSON.stringify(msg), 'utf8');
      const head = Buffer.alloc(4);
      head.writeUIntBE(payload.length, 1, 3);
      sock.write(Buffer.concat([head, payload]));
    };
    count += 1;
    script({ next: (what) => inbox.next(what), send, drop: () => sock.destroy() }, count).catch((e) => {
      failures.push(e);
      sock.destroy();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    failures,
    close() {
      for (const sock of sockets) sock.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const WELCOME_ROLES = { roles: { broker: { features: {} }, dealer: { features: {} } } };

test(
  'lost again while restoring: the next session restores everything, and onopen runs only for it',
  { timeout: 30000 },
  async () => {
    const joined = deferred();
    const invocations = fifo();
    const fake = await vanishingRouter(async (peer, n) => {
      const hello = await peer.next('HELLO');
      assert.equal(hello[0], 1);
      peer.send([2, 100 + n, WELCOME_ROLES]);
      const answered = [];
      for (;;) {
        const msg = await peer.next(`a request on connection ${n}`);
        if (msg.closed) return;
        if (msg[0] === 6) {
          peer.send([6, {}, 'wamp.close.goodbye_and_out']);
          continue;
        }
        if (msg[0] === 70) {
          invocations.push(msg);
          continue;
        }
        const kind = msg[0] === 32 ? 'subscribe' : msg[0] === 64 ? 'register' : `message ${msg[0]}`;
        answered.push(kind);
        // Connection 2 vanishes after answering the SUBSCRIBE, with the REGISTER unanswered.
        if (n === 2 && kind === 'register') {
          peer.drop();
          return;
        }
        if (kind === 'subscribe') peer.send([33, msg[1], 1000 + n]);
        else if (kind === 'register') peer.send([65, msg[1], 2000 + n]);
        if (n === 1 && answered.length === 2) joined.resolve();
        if (n === 3 && answered.length === 2) {
          peer.send([36, 1003, 555, {}, ['after the restore']]);
          peer.send([68, 777, 2003, {}, [20, 22]]);
        }
      }
    });
    const events = collector();
    const a = connect({
      transports: [{ type: 'rawsocket', host: '127.0.0.1', port: fake.port }],
      url: undefined,
      restore_on_reconnect: true,
    });
    try {
      const first = await a.opens.next('first onopen');
      assert.equal(first.session.id, 101);
      const sub = await first.session.subscribe('com.example.topic', (args, kwargs, details, s) =>
        events.push({ value: args[0], s })
      );
      const reg = await first.session.register('com.example.add', (args) => args[0] + args[1]);
      await joined.promise;
      // Connection 1 is cut by the test, connection 2 by the router during the restore.
      a.c.transport.close();
      const reopened = await a.opens.next('onopen after the restore');
      assert.equal(reopened.session.id, 103, 'no onopen for the session lost while restoring');
      assert.deepEqual(reopened.subscriptions, [sub]);
      assert.deepEqual(reopened.registrations, [reg]);
      assert.deepEqual([sub.id, reg.id, sub.active, reg.active], [1003, 2003, true, true]);
      assert.deepEqual(reopened.details.restored.failed, []);
      const [got] = await events.waitFor(1);
      assert.equal(got.value, 'after the restore');
      assert.equal(got.s, sub);
      assert.deepEqual(await invocations.next('YIELD'), [70, 777, {}, [42]]);
      assert.deepEqual(a.userErrors, [], 'the unanswered REGISTER is no failure to report');
      assert.deepEqual(fake.failures, []);
    } finally {
      try {
        a.c.close();
      } catch {
        // closed already
      }
      await fake.close();
    }
  }
);

test('the options are checked', () => {
  const base = { url: 'ws://127.0.0.1:1/ws', realm: 'realm1' };
  for (const [k, v] of [
    ['restore_on_reconnect', 'yes'],
    ['queue_while_reconnecting', -1],
    ['queue_while_reconnecting', 1.5],
    ['queue_while_reconnecting', true],
    ['on_restore_error', 3],
  ]) {
    assert.throws(
      () => new autobahn.Connection({ ...base, [k]: v }),
      (e) => e instanceof TypeError && e.message.includes(`options.${k}`),
      `${k}: ${v}`
    );
  }
});
