// ava, CommonJS: a router per file, started in test.before.
'use strict';
const test = require('ava');
const { isMainThread } = require('node:worker_threads');
const autobahn = require('autobahn');
const { roundTrip } = require('../roundtrip');

test.before(async (t) => {
  t.context.router = new autobahn.Router({ log: false });
  await t.context.router.start();
});
test.after.always((t) => t.context.router.stop());

test('a call and a publish', async (t) => {
  t.is(isMainThread, process.env.EXPECT_THREADS !== '1', 'runs in a worker thread exactly when ava uses them');
  t.deepEqual(await roundTrip(autobahn, t.context.router.url), { sum: 5, event: ['hi'] });
});
