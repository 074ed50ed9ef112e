// Test helpers for Session-level tests against a real router (see ./router.js).
//
//   const { useRouter, openSession, closeConnection } = require('./helpers/session');
//   const ctx = useRouter();   // before/after: one router per file; afterEach closes ctx.open() connections
//   const { connection, session, userErrors } = await openSession(router.url, { use_es6_promises: true });
//   ...
//   const { reason, details } = await closeConnection(connection);
//
// openSession(url, opts) builds an autobahn.Connection with `opts` (realm defaults to the test
// router's realm, max_retries to 0 so a failed open ends instead of retrying) and resolves on
// onopen with { connection, session, details, userErrors }. `userErrors` collects every
// on_user_error(err, msg) call as { err, msg } unless opts.on_user_error is given. It rejects if
// the connection closes before it opens, or after opts.openTimeout ms (default 10000; this option
// is not passed to the Connection).
//
// Also: deferred(), withTimeout(promise, ms, what), uniqueUri(name), collector() (see below).
// Note for tests using the default when.js flavour: when.js reports a rejection that has no
// handler yet via process.emit('unhandledRejection'), which node:test counts as a failure, so
// attach the rejection handler when the call is made, not after awaiting something else.
//
// closeConnection(connection) resolves { reason, details } on the final onclose (will_retry false),
// calling connection.close() if the connection is still active. Any onclose handler set before is
// still called.
'use strict';

const assert = require('node:assert/strict');
const { before, after, afterEach } = require('node:test');
const autobahn = require('../..');
const { REALM, startRouter } = require('./router');

const DEFAULT_OPEN_TIMEOUT_MS = 10000;

/** A native deferred: { promise, resolve, reject }. */
function deferred() {
  const d = {};
  d.promise = new Promise((resolve, reject) => {
    d.resolve = resolve;
    d.reject = reject;
  });
  return d;
}

/** Races `promise` against a timer so a missing event fails with a clear message, not a hang. */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

let uriCounter = 0;
/** A URI no other test uses: com.test.<name>.<pid>.<n>. */
function uniqueUri(name) {
  uriCounter += 1;
  return `com.test.${name}.p${process.pid}.n${uriCounter}`;
}

/**
 * Collects values pushed from handlers and resolves `waitFor(n)` once `n` have arrived.
 *   const got = collector(); subscribe(topic, (args) => got.push(args[0])); await got.waitFor(3);
 */
function collector() {
  const items = [];
  let waiters = [];
  return {
    items,
    push(v) {
      items.push(v);
      const still = [];
      for (const w of waiters) {
        if (items.length >= w.n) w.resolve(items.slice(0, w.n));
        else still.push(w);
      }
      waiters = still;
    },
    waitFor(n, ms = 10000) {
      if (items.length >= n) return Promise.resolve(items.slice(0, n));
      const d = deferred();
      waiters.push({ n, resolve: d.resolve });
      return withTimeout(d.promise, ms, `${n} item(s) (got ${items.length})`);
    },
  };
}

function openSession(url, opts = {}) {
  const { openTimeout, ...connectionOptions } = opts;
  const userErrors = [];
  const options = Object.assign(
    {
      url,
      realm: REALM,
      max_retries: 0,
      on_user_error: (err, msg) => userErrors.push({ err, msg }),
    },
    connectionOptions
  );
  const connection = new autobahn.Connection(options);
  const opened = new Promise((resolve, reject) => {
    connection.onopen = (session, details) => resolve({ connection, session, details, userErrors });
    connection.onclose = (reason, details) => {
      reject(new Error(`connection closed before it opened: ${reason} ${JSON.stringify(details)}`));
    };
  });
  connection.open();
  return withTimeout(opened, openTimeout || DEFAULT_OPEN_TIMEOUT_MS, `onopen of ${url}`).catch((e) => {
    try {
      connection.close(); // do not leave a connection retrying behind a failed test
    } catch {
      // already closed
    }
    throw e;
  });
}

function closeConnection(connection, ms = 10000) {
  const done = deferred();
  const previous = connection.onclose;
  connection.onclose = (reason, details) => {
    let ret;
    if (typeof previous === 'function') ret = previous.call(connection, reason, details);
    if (!details || !details.will_retry) done.resolve({ reason, details });
    return ret;
  };
  try {
    connection.close();
  } catch (e) {
    // Not active any more (closed already, or never opened): no onclose will come.
    connection.onclose = previous;
    if (e !== 'connection already closed') throw e;
    return Promise.resolve({ reason: null, details: null });
  }
  return withTimeout(done.promise, ms, 'the final onclose');
}

/** Closes every connection in `list` (ignoring ones already closed); for `after`/`afterEach`. */
async function closeAll(list) {
  const conns = list.splice(0, list.length);
  await Promise.all(conns.map((c) => closeConnection(c).catch(() => {})));
}

/**
 * One router per test file, fresh connections per test. Call at the top level of a test file:
 *   const ctx = useRouter();
 *   test('...', async () => { const { session } = await ctx.open({ use_es6_promises: true }); });
 * ctx.open(opts) is openSession(router.url, opts) and remembers the connection; every
 * connection opened this way is closed after each test, and the router is stopped at the end.
 */
function useRouter(routerOptions) {
  const ctx = {
    router: null,
    connections: [],
    async open(opts) {
      const res = await openSession(ctx.router.url, Object.assign({ realm: ctx.router.realm }, opts));
      ctx.connections.push(res.connection);
      return res;
    },
    // A callee session and a caller session, each on its own connection.
    async pair(opts) {
      const callee = await ctx.open(opts);
      const caller = await ctx.open(opts);
      return {
        callee: callee.session,
        caller: caller.session,
        calleeErrors: callee.userErrors,
        callerErrors: caller.userErrors,
      };
    },
  };
  before(
    async () => {
      ctx.router = await startRouter(routerOptions);
    },
    { timeout: 90000 }
  );
  afterEach(() => closeAll(ctx.connections), { timeout: 20000 });
  after(
    async () => {
      await closeAll(ctx.connections);
      if (ctx.router) await ctx.router.stop();
    },
    { timeout: 30000 }
  );
  return ctx;
}

/** Asserts that `promise` rejects with an autobahn.Error whose URI is `uri`. */
async function assertRejectsWith(promise, uri) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof autobahn.Error, `expected an autobahn.Error, got ${e}`);
    assert.equal(e.error, uri);
    return true;
  });
}

module.exports = {
  useRouter,
  assertRejectsWith,
  autobahn,
  openSession,
  closeConnection,
  closeAll,
  deferred,
  withTimeout,
  uniqueUri,
  collector,
};
