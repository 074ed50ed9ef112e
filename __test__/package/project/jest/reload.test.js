// The package loaded again in one process: jest.isolateModules and jest.resetModules give fresh
// module registries, so lib/ and native.js run again; each copy must work.
'use strict';
const { roundTrip } = require('../roundtrip');

test('two isolated copies of the package both work', async () => {
  let first;
  let second;
  jest.isolateModules(() => (first = require('autobahn')));
  jest.isolateModules(() => (second = require('autobahn')));
  expect(first).not.toBe(second);
  expect(first.Connection).not.toBe(second.Connection);
  await expect(roundTrip(first, process.env.WAMP_URL)).resolves.toEqual({ sum: 5, event: ['hi'] });
  await expect(roundTrip(second, process.env.WAMP_URL)).resolves.toEqual({ sum: 5, event: ['hi'] });
});

test('the package works again after jest.resetModules()', async () => {
  const before = require('autobahn');
  jest.resetModules();
  const after = require('autobahn');
  expect(after).not.toBe(before);
  const router = new after.Router({ log: false });
  await router.start();
  try {
    await expect(roundTrip(after, router.url)).resolves.toEqual({ sum: 5, event: ['hi'] });
  } finally {
    await router.stop();
  }
});
