'use strict';
// Nothing of a closed connection or a stopped Router stays behind as a live async resource:
// test runners that look for open handles (jest --detectOpenHandles) track async resources
// from init to destroy, and report whatever is not destroyed at the end of a run. A closed
// Connection and a stopped Router, and a Connection opened again after its close, release
// their native callbacks.
const test = require('node:test');
const assert = require('node:assert/strict');
const asyncHooks = require('node:async_hooks');
const { useRouter, autobahn, openSession, closeConnection, withTimeout } = require('./helpers/session');

const NATIVE_CALLBACK = 'napi_rs_threadsafe_function';

// Records the native callbacks created while `fn` runs; resolves once each of them is destroyed.
async function nativeCallbacksOf(fn) {
  const live = new Set();
  let created = 0;
  let onAllDestroyed = null;
  const hook = asyncHooks.createHook({
    init(id, type) {
      if (type !== NATIVE_CALLBACK) return;
      live.add(id);
      created += 1;
    },
    destroy(id) {
      if (live.delete(id) && live.size === 0 && onAllDestroyed) onAllDestroyed();
    },
  });
  hook.enable();
  // Node emits destroy hooks from an unreferenced immediate, on the event loop's next turn; a test
  // idling on a promise makes none, so this keeps the loop turning while we wait.
  const turning = setInterval(() => {}, 10);
  try {
    await fn();
    await withTimeout(
      live.size === 0 ? undefined : new Promise((resolve) => (onAllDestroyed = resolve)),
      5000,
      `the destroy of ${live.size} native callback(s) after the close`
    );
    return created;
  } finally {
    clearInterval(turning);
    hook.disable();
  }
}

const ctx = useRouter();

test('a closed Connection leaves no live native callback', async () => {
  const created = await nativeCallbacksOf(async () => {
    const { connection, session } = await openSession(ctx.router.url, { use_es6_promises: true });
    await session.publish('com.example.handles', ['hi'], {}, { acknowledge: true });
    const { reason } = await closeConnection(connection);
    assert.equal(reason, 'closed');
  });
  assert.equal(created, 1, 'one native callback per open');
});

test('a Connection opened again after its close leaves none either', async () => {
  const created = await nativeCallbacksOf(async () => {
    const { connection } = await openSession(ctx.router.url, { use_es6_promises: true });
    await closeConnection(connection);
    const opened = new Promise((resolve) => (connection.onopen = resolve));
    connection.open();
    await opened;
    await closeConnection(connection);
  });
  assert.equal(created, 2, 'one native callback per open');
});

test('a stopped Router leaves no live native callback', async () => {
  const created = await nativeCallbacksOf(async () => {
    const router = new autobahn.Router({ log: false });
    await router.start();
    const { connection } = await openSession(router.url, { use_es6_promises: true });
    await closeConnection(connection);
    await router.stop();
  });
  assert.equal(created, 2, 'the router and the connection each had one');
});
