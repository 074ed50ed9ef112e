// ava, ES module: default and named imports.
import test from 'ava';
import { isMainThread } from 'node:worker_threads';
import autobahn, { Router } from 'autobahn';
import roundtrip from '../roundtrip.js';

test('a call and a publish through named imports', async (t) => {
  t.is(isMainThread, process.env.EXPECT_THREADS !== '1');
  t.is(Router, autobahn.Router);
  t.deepEqual(await roundtrip.withRouter(autobahn), { sum: 5, event: ['hi'] });
});
