// Memory over time: 1,000 Connection open/close cycles in one process (a child, with the
// embedded Router) leave RSS flat after the first 100, and the closed Connections are collected.
// The figures are printed as test diagnostics.
//
// No external router is involved: scripts/test.js runs this file in one leg only.
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const CYCLES = 1000;
const WARMUP = 100;
const RSS_BOUND = 0.05;

test(
  `${CYCLES} open/close cycles: RSS stays within 5% of cycle ${WARMUP}, Connections are collected`,
  { timeout: 180000 },
  (t) => {
    const child = spawnSync(
      process.execPath,
      // V8's young generation grows its semi-spaces under allocation pressure in steps of
      // megabytes; capped at 1 MiB, RSS shows what the engine and the library keep.
      ['--expose-gc', '--max-semi-space-size=1', path.join(__dirname, 'helpers', 'memory-cycles.js')],
      {
        encoding: 'utf8',
        env: { ...process.env, CYCLES: String(CYCLES), SAMPLE_EVERY: String(WARMUP) },
        timeout: 170000,
      }
    );
    assert.equal(child.status, 0, `the child failed: ${child.stderr}`);
    const report = JSON.parse(child.stdout.trim().split('\n').pop());
    const mib = (kib) => (kib / 1024).toFixed(1);
    for (const s of report.samples) {
      t.diagnostic(
        `cycle ${s.cycle}: RSS ${mib(s.rss_kib)} MiB, JS heap ${mib(s.heap_used_kib)} MiB, ${s.threads} threads`
      );
    }
    const base = report.samples[0];
    const peak = report.samples.reduce((a, s) => (s.rss_kib > a.rss_kib ? s : a), base);
    const growth = (peak.rss_kib - base.rss_kib) / base.rss_kib;
    t.diagnostic(
      `RSS ${mib(base.rss_kib)} MiB at cycle ${base.cycle}, at most ${mib(peak.rss_kib)} MiB (cycle ${peak.cycle}): ` +
        `${(growth * 100).toFixed(1)}%; ${report.collected} of ${report.cycles} Connections collected`
    );
    assert.ok(growth <= RSS_BOUND, `RSS grew ${(growth * 100).toFixed(1)}% after cycle ${base.cycle} (bound 5%)`);
    // All but the few a GC has not reached yet: a closed Connection nobody refers to is freed.
    assert.ok(
      report.collected >= report.cycles - WARMUP,
      `${report.collected} of ${report.cycles} Connections collected`
    );
    const last = report.samples[report.samples.length - 1];
    assert.equal(last.threads, base.threads, 'no thread is left behind per connection');
  }
);
