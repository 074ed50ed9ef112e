// Child process of memory.test.js: an embedded Router and CYCLES Connection open/close cycles
// (each with one call), sampling RSS (/proc/self/status) and the JS heap after a GC every
// SAMPLE_EVERY cycles, and counting the Connections the GC collected. Prints one JSON line.
//
//   node --expose-gc __test__/helpers/memory-cycles.js
'use strict';

const fs = require('node:fs');
const autobahn = require('../..');

const CYCLES = Number(process.env.CYCLES || 1000);
const SAMPLE_EVERY = Number(process.env.SAMPLE_EVERY || 100);

const statusKiB = (field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);

async function main() {
  if (typeof global.gc !== 'function') throw new Error('run with --expose-gc');
  const router = new autobahn.Router();
  await router.start();
  let collected = 0;
  const registry = new FinalizationRegistry(() => collected++);
  const cycle = () =>
    new Promise((resolve, reject) => {
      const connection = new autobahn.Connection({ url: router.url, realm: 'realm1', max_retries: 0 });
      registry.register(connection, null);
      connection.onopen = (session) => {
        session.call('wamp.session.count').then(
          () => connection.close(),
          (e) => reject(e)
        );
      };
      connection.onclose = (reason, details) => {
        if (!details.will_retry) resolve(reason);
      };
      connection.open();
    });
  const samples = [];
  for (let i = 1; i <= CYCLES; i++) {
    const reason = await cycle();
    if (reason !== 'closed') throw new Error(`cycle ${i} closed with ${reason}`);
    if (i % SAMPLE_EVERY === 0) {
      // Two GCs with a turn between them: finalizers run after the first.
      global.gc();
      await new Promise((r) => setImmediate(r));
      global.gc();
      samples.push({
        cycle: i,
        rss_kib: statusKiB('VmRSS'),
        heap_used_kib: Math.round(process.memoryUsage().heapUsed / 1024),
        threads: statusKiB('Threads'),
      });
    }
  }
  await router.stop();
  console.log(JSON.stringify({ cycles: CYCLES, collected, samples }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
