// ava: the router starts in test.before and stops in test.after.always (also after a failure).
//   npx ava examples/testing/rpc.ava.test.js
// (ava is not a dependency of autobahn; install it in your project. ava runs each test file in
// its own worker, so each file starts its own router on a free port.)
'use strict';
const test = require('ava');
const { Router } = require('autobahn');
const { openSession } = require('./session');

test.before(async (t) => {
  t.context.router = new Router({ log: false });
  await t.context.router.start();
  process.env.WAMP_URL = t.context.router.url;
});

test.after.always(async (t) => {
  if (t.context.router) await t.context.router.stop();
});

test('a call reaches the callee', async (t) => {
  const callee = await openSession();
  const caller = await openSession();
  await callee.session.register('com.example.add2', (args) => args[0] + args[1]);
  t.is(await caller.session.call('com.example.add2', [2, 3]), 5);
  callee.connection.close();
  caller.connection.close();
});
