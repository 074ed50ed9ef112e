'use strict';
// Connection lifecycle against a real Crossbar.io router: open/close details, the four onclose
// reasons, the retry schedule, and the Autobahn|JS bugs we fix (close() during back-off, jitter 0,
// async onclose).
const test = require('node:test');
const assert = require('node:assert/strict');
const autobahn = require('..');
const { startRouter, freePort, GOODBYE_REPLY } = require('./helpers/router');

let router;
test.before(async () => {
  router = await startRouter();
});
test.after(async () => {
  if (router) await router.stop();
});

// Records onopen/onclose calls; `next(kind)` resolves with the next one of that kind.
function watch(connection, { onclose } = {}) {
  const log = [];
  const waiters = [];
  const push = (entry) => {
    log.push(entry);
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      const idx = log.findIndex((e, n) => n >= w.from && e.kind === w.kind);
      if (idx >= 0) {
        waiters.splice(i--, 1);
        w.from = idx + 1;
        w.resolve(log[idx]);
      }
    }
  };
  let cursor = { open: 0, close: 0 };
  connection.onopen = (session, details) => push({ kind: 'open', session, details });
  connection.onclose = (reason, details) => {
    push({ kind: 'close', reason, details, isRetrying: connection.isRetrying });
    return onclose ? onclose(reason, details) : undefined;
  };
  return {
    log,
    next(kind) {
      const idx = log.findIndex((e, n) => n >= cursor[kind] && e.kind === kind);
      if (idx >= 0) {
        cursor[kind] = idx + 1;
        return Promise.resolve(log[idx]);
      }
      return new Promise((resolve) => {
        waiters.push({
          kind,
          from: cursor[kind],
          resolve: (e) => {
            cursor[kind] = log.indexOf(e) + 1;
            resolve(e);
          },
        });
      });
    },
    closes() {
      return log.filter((e) => e.kind === 'close');
    },
  };
}

function connect(extra) {
  return new autobahn.Connection(
    Object.assign({ url: router.url, realm: router.realm, use_es6_promises: true }, extra)
  );
}

test('onopen gets the session and WELCOME details with transport info', { timeout: 20000 }, async () => {
  const c = connect();
  const w = watch(c);
  assert.equal(c.isOpen, false);
  assert.equal(c.transport.info.type, 'none');
  c.open();
  const { session, details } = await w.next('open');
  assert.ok(session instanceof autobahn.Session);
  assert.equal(c.session, session);
  assert.equal(typeof session.id, 'number');
  assert.ok(session.id > 0 && session.id <= 2 ** 53);
  assert.equal(session.realm, 'realm1');
  assert.equal(session.isOpen, true);
  assert.equal(c.isOpen, true);
  assert.equal(c.isConnected, true);
  assert.equal(c.isRetrying, false);
  assert.equal(details.authrole, 'anonymous');
  assert.equal(details.authmethod, 'anonymous');
  assert.ok(details.roles.dealer && details.roles.broker, 'router roles are in the details');
  assert.deepEqual(details.transport, { type: 'websocket', url: router.url, protocol: 'wamp.2.json' });
  assert.deepEqual(c.transport.info, details.transport);
  // features = what we announce AND what the router announces.
  assert.equal(session.features.caller.progressive_call_results, true);
  assert.equal(session.features.subscriber.pattern_based_subscription, true);
  assert.throws(() => c.open(), (e) => e === 'connection already open (or opening)');

  c.close();
  const closed = await w.next('close');
  assert.equal(closed.reason, 'closed');
  assert.deepEqual(closed.details, {
    reason: GOODBYE_REPLY,
    message: '',
    retry_delay: null,
    retry_count: null,
    will_retry: false,
  });
  assert.equal(c.isOpen, false);
  assert.equal(c.isConnected, false);
  assert.equal(c.session, null);
  assert.equal(session.isOpen, false);
  assert.equal(session.id, null);
  assert.equal(c.transport.info.type, 'none');
  assert.throws(() => c.close(), (e) => e === 'connection already closed');
  assert.throws(() => session.call('com.x'), (e) => e === 'session not open');
});

test('a connection can be opened again after it closed', { timeout: 20000 }, async () => {
  const c = connect();
  const w = watch(c);
  c.open();
  const first = await w.next('open');
  c.close();
  await w.next('close');
  c.open();
  const second = await w.next('open');
  assert.notEqual(second.session, first.session);
  assert.notEqual(second.session.id, first.session.id);
  c.close();
  await w.next('close');
});

test('session.leave(reason, message) closes without reconnecting', { timeout: 20000 }, async () => {
  const c = connect({ initial_retry_delay: 0.05 });
  const w = watch(c);
  c.open();
  const { session } = await w.next('open');
  session.leave('com.myapp.going_away', 'see you');
  const closed = await w.next('close');
  assert.equal(closed.reason, 'closed');
  assert.equal(closed.details.will_retry, false);
  // Crossbar answers our GOODBYE with its own reason; we report the reply, as Autobahn|JS does.
  assert.equal(typeof closed.details.reason, 'string');
});

test('unreachable: retries on the schedule, then gives up', { timeout: 20000 }, async () => {
  const port = await freePort();
  const c = new autobahn.Connection({
    url: `ws://127.0.0.1:${port}/ws`,
    realm: 'realm1',
    max_retries: 2,
    initial_retry_delay: 0.05,
    retry_delay_growth: 2,
    retry_delay_jitter: 0, // no jitter (Autobahn|JS would use 0.1 here)
  });
  const w = watch(c);
  c.open();
  const first = await w.next('close');
  assert.equal(first.reason, 'unreachable');
  assert.deepEqual(
    { delay: first.details.retry_delay, count: first.details.retry_count, will: first.details.will_retry },
    { delay: 0.05, count: 1, will: true }
  );
  assert.equal(first.isRetrying, true);
  assert.equal(first.details.reason, null);
  assert.match(first.details.message, /could not connect/);
  const second = await w.next('close');
  assert.equal(second.reason, 'unreachable');
  assert.equal(second.details.retry_delay, 0.1);
  assert.equal(second.details.retry_count, 2);
  const third = await w.next('close');
  assert.equal(third.reason, 'unreachable');
  assert.equal(third.details.will_retry, false);
  assert.equal(third.details.retry_delay, null);
  assert.equal(c.isRetrying, false);
  assert.throws(() => c.close(), (e) => e === 'connection already closed');
});

test('retry_if_unreachable: false gives up at once; max_retries 0 never retries', { timeout: 20000 }, async () => {
  const port = await freePort();
  for (const opts of [{ retry_if_unreachable: false }, { max_retries: 0 }]) {
    const c = new autobahn.Connection(Object.assign({ url: `ws://127.0.0.1:${port}/ws`, realm: 'realm1' }, opts));
    const w = watch(c);
    c.open();
    const closed = await w.next('close');
    assert.equal(closed.reason, 'unreachable');
    assert.equal(closed.details.will_retry, false, JSON.stringify(opts));
  }
});

test('default jitter varies the delay around the nominal value', { timeout: 20000 }, async () => {
  const port = await freePort();
  const c = new autobahn.Connection({
    url: `ws://127.0.0.1:${port}/ws`,
    realm: 'realm1',
    max_retries: 4,
    initial_retry_delay: 0.01,
    retry_delay_growth: 1,
  });
  const w = watch(c);
  c.open();
  const delays = [];
  for (let i = 0; i < 5; i++) delays.push((await w.next('close')).details.retry_delay);
  delays.pop(); // the last close does not retry
  assert.equal(new Set(delays).size, delays.length, `jittered delays should differ: ${delays}`);
  // Jitter compounds (as in Autobahn|JS): each delay is the one before times (1 + 0.1 * N(0, 1)),
  // so bound the first delay and each step, each at five standard deviations.
  assert.ok(delays[0] > 0.005 && delays[0] < 0.015, `first delay ${delays[0]} is far from 0.01`);
  for (let i = 1; i < delays.length; i++) {
    const step = delays[i] / delays[i - 1];
    assert.ok(step > 0.5 && step < 1.5, `delay ${delays[i]} after ${delays[i - 1]}: a step of ${step}`);
  }
});

test('close() during back-off cancels the pending attempt', { timeout: 20000 }, async () => {
  const port = await freePort();
  const c = new autobahn.Connection({
    url: `ws://127.0.0.1:${port}/ws`,
    realm: 'realm1',
    initial_retry_delay: 0.2,
    retry_delay_jitter: 0,
  });
  const w = watch(c);
  c.open();
  const first = await w.next('close');
  assert.equal(first.details.will_retry, true);
  assert.equal(c.isRetrying, true);
  c.close();
  const final = await w.next('close');
  assert.equal(final.reason, 'closed');
  assert.equal(final.details.will_retry, false);
  assert.equal(c.isRetrying, false);
  // Had the attempt not been cancelled, it would fail after 0.2 s and report 'unreachable'.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(w.closes().length, 2);
});

test('lost: a router crash reconnects, and pending calls are rejected', { timeout: 60000 }, async () => {
  const c = connect({ initial_retry_delay: 0.1, retry_delay_jitter: 0, max_retries: -1 });
  const callee = connect();
  const cw = watch(callee);
  const w = watch(c);
  c.open();
  callee.open();
  const { session } = await w.next('open');
  const { session: calleeSession } = await cw.next('open');
  await calleeSession.register('com.test.never', () => new Promise(() => {}));
  const pending = session.call('com.test.never');
  const pendingOutcome = pending.then(
    () => assert.fail('the call should not succeed'),
    (e) => e
  );
  const sub = await session.subscribe('com.test.topic', () => {});
  await router.kill();
  const lost = await w.next('close');
  assert.equal(lost.reason, 'lost');
  assert.equal(lost.details.will_retry, true);
  assert.equal(lost.details.reason, null);
  const e = await pendingOutcome;
  assert.ok(e instanceof autobahn.Error);
  assert.equal(e.error, 'wamp.close.transport_lost');
  assert.match(e.message, /lost/);
  assert.equal(sub.active, false);
  assert.equal(await sub.on_unsubscribe, 'wamp.close.transport_lost');
  // Connect failures after a first successful open are reported as 'lost'.
  const failed = await w.next('close');
  assert.equal(failed.reason, 'lost');
  await router.restart();
  const reopened = await w.next('open');
  assert.notEqual(reopened.session.id, session.id);
  assert.equal(reopened.session.subscriptions.length, 0, 'a new session starts without subscriptions');
  // The new session works.
  await reopened.session.register('com.test.echo', (args) => args[0]);
  assert.equal(await reopened.session.call('com.test.echo', ['back']), 'back');
  c.close();
  let last;
  do last = await w.next('close');
  while (last.details.will_retry);
  assert.equal(last.reason, 'closed');
  assert.equal(last.details.reason, GOODBYE_REPLY);
  callee.close(); // whatever state its reconnect loop is in
});

test('onclose returning true stops retrying; async onclose uses its resolved value', { timeout: 30000 }, async () => {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}/ws`;
  // Sync true.
  let c = new autobahn.Connection({ url, realm: 'realm1', initial_retry_delay: 0.05, retry_delay_jitter: 0 });
  let w = watch(c, { onclose: () => true });
  c.open();
  await w.next('close');
  assert.equal(c.isRetrying, false);
  assert.throws(() => c.close(), (e) => e === 'connection already closed');

  // Async false: keeps retrying (Autobahn|JS would stop, the promise being truthy).
  c = new autobahn.Connection({ url, realm: 'realm1', initial_retry_delay: 0.05, retry_delay_jitter: 0 });
  w = watch(c, { onclose: async () => false });
  c.open();
  await w.next('close');
  const again = await w.next('close');
  assert.equal(again.details.retry_count, 2);

  // Async true from the second close on: stops.
  let n = 0;
  c.onclose = async () => {
    n += 1;
    return true;
  };
  const stopped = await new Promise((resolve) => {
    const t = setInterval(() => {
      if (n > 0 && !c.isRetrying) {
        clearInterval(t);
        resolve(true);
      }
    }, 20);
  });
  assert.ok(stopped);
  const countAtStop = n;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(n, countAtStop, 'no further attempts after an async onclose resolved true');
});

test('a realm that does not exist: ABORT reason in onclose, no retry', { timeout: 20000 }, async () => {
  const c = new autobahn.Connection({ url: router.url, realm: 'no.such.realm', initial_retry_delay: 0.05 });
  const w = watch(c);
  c.open();
  const closed = await w.next('close');
  assert.equal(closed.reason, 'closed');
  assert.equal(closed.details.reason, 'wamp.error.no_such_realm');
  assert.equal(typeof closed.details.message, 'string');
  assert.equal(closed.details.will_retry, false);
  assert.equal(w.log.filter((e) => e.kind === 'open').length, 0);
});

test('kicked by the router (wamp.session.kill): reason reported, no reconnect', { timeout: 20000 }, async () => {
  const victim = connect({ initial_retry_delay: 0.05 });
  const admin = connect();
  const vw = watch(victim);
  const aw = watch(admin);
  victim.open();
  admin.open();
  const { session } = await vw.next('open');
  const { session: adminSession } = await aw.next('open');
  await adminSession.call('wamp.session.kill', [session.id], { reason: 'com.myapp.kicked', message: 'bye now' });
  const closed = await vw.next('close');
  assert.equal(closed.reason, 'closed');
  assert.equal(closed.details.reason, 'com.myapp.kicked');
  assert.equal(closed.details.message, 'bye now');
  assert.equal(closed.details.will_retry, false);
  admin.close();
  await aw.next('close');
});

test('unsupported: no transport can be created', () => {
  const c = new autobahn.Connection({
    realm: 'realm1',
    transports: [{ type: 'longpoll', url: 'http://127.0.0.1:1/lp' }],
  });
  const calls = [];
  c.onclose = (reason, details) => {
    calls.push([reason, details]);
  };
  c.open();
  assert.equal(calls.length, 1, 'onclose is called synchronously, as in Autobahn|JS');
  assert.equal(calls[0][0], 'unsupported');
  assert.equal(calls[0][1].will_retry, false);
  assert.match(calls[0][1].message, /longpoll/);
});

test('bad Connection options throw at once', () => {
  assert.throws(() => new autobahn.Connection(), TypeError);
  assert.throws(() => new autobahn.Connection({ realm: 'realm1' }), /url or options.transports/);
  assert.throws(() => new autobahn.Connection({ url: 'ws://127.0.0.1:1/ws' }), /realm/);
  assert.throws(
    () => new autobahn.Connection({ url: 'ws://127.0.0.1:1/ws', realm: 'r', max_retries: 'many' }),
    /max_retries/
  );
  assert.throws(
    () => new autobahn.Connection({ url: 'ws://127.0.0.1:1/ws', realm: 'r', onchallenge: 'nope' }),
    /onchallenge/
  );
});
