// vitest with require(): a second file, so that two workers load the addon at once.
import { expect, test } from 'vitest';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const autobahn = require('autobahn');
const { withRouter } = require('../roundtrip.js');

test('a call and a publish', async () => {
  await expect(withRouter(autobahn)).resolves.toEqual({ sum: 5, event: ['hi'] });
});
