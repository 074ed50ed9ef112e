// node:test, ES module: the default export is the CommonJS module, and every one of its
// properties is also a named export.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import autobahn, { Connection, Router } from 'autobahn';
import * as namespace from 'autobahn';
import roundtrip from '../roundtrip.js';

const required = createRequire(import.meta.url)('autobahn');
let router;

before(async () => {
  router = new Router({ log: false });
  await router.start();
});
after(() => router.stop());

test('import and require give the same module', () => {
  assert.equal(autobahn, required);
  assert.equal(Connection, required.Connection);
  const named = Object.keys(namespace).filter((k) => k !== 'default');
  assert.deepEqual(named.sort(), Object.keys(required).sort());
  for (const key of named) assert.equal(namespace[key], required[key], key);
});

test('a call and a publish', async () => {
  assert.deepEqual(await roundtrip.roundTrip(autobahn, router.url), { sum: 5, event: ['hi'] });
});
