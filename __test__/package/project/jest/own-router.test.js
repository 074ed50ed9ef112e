// A router started by the suite itself.
'use strict';
const autobahn = require('autobahn');
const { roundTrip } = require('../roundtrip');

let router;
beforeAll(async () => {
  router = new autobahn.Router({ log: false });
  await router.start();
});
afterAll(() => router.stop());

test('a call and a publish on the suite router', async () => {
  if (process.env.EXPECT_JEST_WORKERS) expect(process.pid).not.toBe(Number(process.env.JEST_MAIN_PID));
  await expect(roundTrip(autobahn, router.url)).resolves.toEqual({ sum: 5, event: ['hi'] });
});
