'use strict';
// WebSocket heartbeat (autoping_*): a router that stops answering is detected and reported as
// 'lost'; a healthy one keeps the session open. The router is frozen with SIGSTOP, which keeps
// its TCP connections open but silent, like a vanished peer behind a broken network path.
const test = require('node:test');
const assert = require('node:assert/strict');
const autobahn = require('..');
const { startRouter } = require('./helpers/router');

let router;
test.before(async () => {
  router = await startRouter();
});
test.after(async () => {
  if (router) {
    try {
      process.kill(-router.pid, 'SIGCONT');
    } catch {
      // not stopped
    }
    await router.stop();
  }
});

function openWith(options) {
  const c = new autobahn.Connection(
    Object.assign({ url: router.url, realm: router.realm, max_retries: 0, use_es6_promises: true }, options)
  );
  const closed = new Promise((resolve) => {
    c.onclose = (reason, details) => resolve({ reason, details });
  });
  const opened = new Promise((resolve) => {
    c.onopen = (session) => resolve(session);
  });
  c.open();
  return { c, opened, closed };
}

test('a healthy router answers the pings and the session stays open', { timeout: 20000 }, async () => {
  const { c, opened, closed } = openWith({ autoping_interval: 0.05, autoping_timeout: 0.5 });
  const session = await opened;
  let ended = false;
  closed.then(() => (ended = true));
  // Many heartbeat periods: each idle 50 ms a ping goes out and must be answered.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(ended, false);
  assert.equal(typeof (await session.call('wamp.session.count')), 'number');
  c.close();
  assert.equal((await closed).reason, 'closed');
});

test('a router that stops answering is detected and reported as lost', { timeout: 20000 }, async () => {
  const watched = openWith({ autoping_interval: 0.2, autoping_timeout: 0.5 });
  const unwatched = openWith({});
  await watched.opened;
  await unwatched.opened;
  process.kill(-router.pid, 'SIGSTOP');
  try {
    const started = Date.now();
    const { reason, details } = await watched.closed;
    assert.equal(reason, 'lost');
    assert.match(details.message, /did not answer a WebSocket ping within 0.5/);
    const took = Date.now() - started;
    assert.ok(took >= 400 && took < 5000, `detected after ${took} ms`);
    // Without a heartbeat nothing notices (TCP keeps the dead connection open).
    assert.equal(unwatched.c.isOpen, true);
  } finally {
    process.kill(-router.pid, 'SIGCONT');
  }
  unwatched.c.close();
  assert.equal((await unwatched.closed).reason, 'closed');
});

test('autoping options are validated', () => {
  const bad = (opts) => () => new autobahn.Connection(Object.assign({ url: router.url, realm: 'realm1' }, opts));
  assert.throws(bad({ autoping_interval: -1 }), /autoping_interval/);
  assert.throws(bad({ autoping_timeout: 'soon' }), /autoping_timeout/);
  assert.throws(bad({ autoping_size: 200 }), /autoping_size/);
});
