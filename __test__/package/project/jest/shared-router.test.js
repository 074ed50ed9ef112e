// On the router of the global setup.
'use strict';
const autobahn = require('autobahn');
const { roundTrip } = require('../roundtrip');

test('a call and a publish on the global router', async () => {
  if (process.env.EXPECT_JEST_WORKERS) expect(process.pid).not.toBe(Number(process.env.JEST_MAIN_PID));
  await expect(roundTrip(autobahn, process.env.WAMP_URL)).resolves.toEqual({ sum: 5, event: ['hi'] });
});
