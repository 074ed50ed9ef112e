// node:test: one embedded router per test file, started in before() and stopped in after().
//   node --test examples/testing/rpc.node-test.js
// (Needs only Node.js and autobahn.)
'use strict';
const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
const { Router } = require('autobahn');
const { openSession } = require('./session');

let router;

before(async () => {
  router = new Router({ log: false });
  await router.start();
  process.env.WAMP_URL = router.url; // what openSession() connects to
});

// stop() ends every session with GOODBYE wamp.close.system_shutdown; afterwards nothing the
// router holds keeps the test process alive.
after(() => router.stop());

test('a call reaches the callee', async () => {
  const callee = await openSession();
  const caller = await openSession();
  await callee.session.register('com.example.add2', (args) => args[0] + args[1]);
  assert.equal(await caller.session.call('com.example.add2', [2, 3]), 5);
  callee.connection.close();
  caller.connection.close();
});
