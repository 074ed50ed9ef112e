// vitest: a router per file (beforeAll/afterAll); ES module named imports.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { isMainThread } from 'node:worker_threads';
import { Connection, Router } from 'autobahn';
import autobahn from 'autobahn';
import roundtrip from '../roundtrip.js';

let router;
beforeAll(async () => {
  router = new Router({ log: false });
  await router.start();
});
afterAll(() => router.stop());

test('a call and a publish', async () => {
  expect(isMainThread).toBe(process.env.EXPECT_THREADS !== '1');
  expect(Connection).toBe(autobahn.Connection);
  await expect(roundtrip.roundTrip(autobahn, router.url)).resolves.toEqual({ sum: 5, event: ['hi'] });
});
