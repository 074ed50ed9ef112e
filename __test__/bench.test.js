// `npm run bench -- --smoke`: the benchmark's progressive-results scenario and its transport
// floor run through the router of this leg, with both clients, and report what they measured.
// Counts are tiny; only that every measurement completes, counts right and reaches the table is
// checked, not any figure.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { routerKind } = require('./helpers/router');

const ROOT = path.resolve(__dirname, '..');
const ROUTER_TITLE = { embedded: 'embedded', crossbar: 'Crossbar.io' };

function runBench(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'run.js'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const cells = (line) =>
  line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());

test('bench --smoke: progressive results with both clients and the WebSocket floor', { timeout: 600000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-bench-test-'));
  const out = path.join(dir, 'bench.jsonl');
  try {
    const res = await runBench([
      '--smoke',
      '--no-bootstrap',
      '--router',
      routerKind,
      '--scenario',
      'progressive,progressive-concurrent,ws-echo',
      '--out',
      out,
    ]);
    assert.equal(res.code, 0, `bench failed:\n${res.stdout}\n${res.stderr}`);

    const records = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.type === 'result');
    const progressive = records.filter((r) => r.scenario.startsWith('progressive'));
    // ours: callback and async iterator; Autobahn|JS: callback; plus 10 concurrent calls each
    assert.deepEqual(progressive.map((r) => `${r.scenario}/${r.variant || '-'}/${r.impl}`).sort(), [
      'progressive-concurrent/-/ours',
      'progressive-concurrent/-/ref',
      'progressive/callback/ours',
      'progressive/callback/ref',
      'progressive/iterator/ours',
    ]);
    for (const r of progressive) {
      const label = `${r.scenario}/${r.variant || '-'}/${r.impl}`;
      assert.equal(r.error, undefined, `${label}: ${r.error}`);
      assert.equal(r.router, routerKind);
      // every progressive result the callee sent reached the caller, and only those
      assert.equal(r.ops, r.params.results * r.params.streams, label);
      assert.equal(r.passive_count, r.ops, label);
      assert.ok(r.ops_per_s > 0 && r.caller_rss > 0 && r.active_cpu_us_per_op > 0, label);
    }
    const [floor] = records.filter((r) => r.scenario === 'ws-echo');
    assert.equal(floor.error, undefined, floor.error);
    for (const shape of ['rpc', 'pubsub', 'large']) assert.ok(floor[`${shape}_msgs_per_s`] > 0, shape);

    // the table: ours and Autobahn|JS side by side for the router, then the floor's own rows
    const lines = res.stdout.split('\n');
    const title = ROUTER_TITLE[routerKind];
    const header = lines.find((l) => l.startsWith('| scenario |'));
    assert.deepEqual(cells(header).slice(3), [`${title}: ours`, `${title}: AB\\|JS`, 'ours / AB\\|JS']);
    const row = (prefix) => {
      const line = lines.find((l) => l.startsWith(prefix));
      assert.ok(line, `no table row ${prefix}`);
      return cells(line);
    };
    const callback = row('| progressive (callback) | json | results/s |');
    assert.match(callback[3], /^[\d.]+k?$/);
    assert.match(callback[4], /^[\d.]+k?$/);
    const iterator = row('| progressive (iterator) | json | caller RSS at the end (MiB) |');
    assert.match(iterator[3], /^[\d.]+$/);
    assert.equal(iterator[4], '–');
    assert.match(row('| progressive-concurrent | json | results/s, 10 streams |')[5], /^\d+\.\d\d$/);
    assert.match(row('| 40-byte text echoes, 100 outstanding: echoes/s |')[1], /^[\d.]+k?$/);
    assert.match(row('| 1 MiB binary echoes: MiB/s |')[1], /^[\d.]+$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
