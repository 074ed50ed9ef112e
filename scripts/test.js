#!/usr/bin/env node
// `npm test`: builds what is needed, runs `cargo test`, then the Node suites in __test__/ twice:
// against the embedded router (bin/autobahn-router.js) and against Crossbar.io (the interop leg;
// its .venv is installed for that leg only). The last line adds up both legs:
// `tests: N passed, N failed, N skipped`.
//
//   npm test                                   # everything
//   node scripts/test.js __test__/rpc.test.js  # some files, both legs, no cargo test
//   ROUTER=crossbar node scripts/test.js ...   # one leg only (ROUTER=embedded likewise)
//
// The packaging test (__test__/package/: npm pack, an install without cargo, jest/ava/vitest/
// node:test/tsc/esbuild in a temporary project) needs no external router and runs once, in its
// own step after the legs: in a full run (no file arguments, no ROUTER), or when named:
//   node scripts/test.js __test__/package/packaged.test.js
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { bootstrap, root } = require('./bootstrap');

const LEGS = [
  { router: 'embedded', title: 'embedded router' },
  { router: 'crossbar', title: 'Crossbar.io router (interop)' },
];

// Files that need no router (a fake one, or the addon's Router in a child process): they run in
// the first leg only.
const ROUTER_FREE = new Set(['__test__/hostile.test.js', '__test__/memory.test.js']);
const isRouterFree = (file) => ROUTER_FREE.has(path.relative(root, path.resolve(root, file)));
// Run once, not per leg; its project/ holds other runners' suites.
const PACKAGE_DIR = path.join('__test__', 'package');
const PACKAGE_TESTS = [path.join(PACKAGE_DIR, 'packaged.test.js')];
const isPackageTest = (f) => path.normalize(f).startsWith(PACKAGE_DIR + path.sep);

function testFiles(dir) {
  const out = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (path.relative(root, p) === PACKAGE_DIR) continue;
    if (fs.statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(path.relative(root, p));
  }
  return out;
}

function cargoTest(totals) {
  console.log('\n== cargo test ==');
  const cargo = spawnSync('cargo', ['test', '--quiet', '--color', 'never'], { cwd: root, encoding: 'utf8' });
  process.stdout.write(cargo.stdout || '');
  process.stderr.write(cargo.stderr || '');
  for (const m of (cargo.stdout || '').matchAll(/test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/g)) {
    totals.passed += Number(m[1]);
    totals.failed += Number(m[2]);
    totals.skipped += Number(m[3]);
  }
  return cargo.status === 0;
}

// Runs the files under node:test with ROUTER=leg.router: spec output on the terminal, TAP in a
// file for the counts. Returns { ok, passed, failed, skipped }.
function nodeLeg(leg, files) {
  console.log(`\n== node --test (${files.length} files, ${leg.title}) ==`);
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-test-'));
  const tap = path.join(dir, 'node.tap');
  const node = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, ROUTER: leg.router } }
  );
  const summary = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  fs.rmSync(dir, { recursive: true, force: true });
  const count = (name) => {
    const m = summary.match(new RegExp(`^# ${name} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  const res = {
    ok: node.status === 0 && summary !== '',
    passed: count('pass'),
    failed: count('fail') + count('cancelled'),
    skipped: count('skipped') + count('todo'),
  };
  if (!res.ok && res.failed === 0) res.failed = 1; // a runner that crashed counts as a failure
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(
    `\n${leg.name || `${leg.router} leg`}: ${res.passed} passed, ${res.failed} failed, ${res.skipped} skipped (${secs} s)`
  );
  return res;
}

function main() {
  // The npm packages (the linters among them) and the addon first, so that a fresh clone lints too.
  bootstrap({ router: false });
  // Lint (scripts/lint.js: eslint, prettier, tsc, cargo fmt, cargo clippy); a failure fails the run.
  require('./lint').lintBeforeTests();
  const filter = process.argv.slice(2);
  const only = process.env.ROUTER;
  // The embedded leg runs once the addon has the native router (scripts/router-kind.js).
  const available = require('./router-kind').embeddedRouterBuilt() ? LEGS : LEGS.filter((l) => l.router === 'crossbar');
  const legs = only ? LEGS.filter((l) => l.router === only) : available;
  if (!only && available.length < LEGS.length)
    console.log('autobahn: the addon has no native router yet: Crossbar.io leg only');
  if (legs.length === 0) {
    console.error(`ROUTER=${only}: expected one of ${LEGS.map((l) => l.router).join(', ')}`);
    process.exit(2);
  }
  let ok = true;
  const totals = { passed: 0, failed: 0, skipped: 0 };
  if (filter.length === 0 && !cargoTest(totals)) ok = false;
  const files = filter.length > 0 ? filter.filter((f) => !isPackageTest(f)) : testFiles(path.join(root, '__test__'));
  const packageFiles = filter.length > 0 ? filter.filter(isPackageTest) : only ? [] : PACKAGE_TESTS;
  for (const [i, leg] of (files.length > 0 ? legs : []).entries()) {
    const legFiles = i === 0 ? files : files.filter((f) => !isRouterFree(f));
    if (legFiles.length === 0) continue;
    if (leg.router === 'crossbar') require('./install-router').ensureRouter();
    const res = nodeLeg(leg, legFiles);
    if (!res.ok) ok = false;
    totals.passed += res.passed;
    totals.failed += res.failed;
    totals.skipped += res.skipped;
  }
  if (packageFiles.length > 0) {
    const res = nodeLeg({ router: 'embedded', title: 'packed package, once', name: 'package' }, packageFiles);
    if (!res.ok) ok = false;
    totals.passed += res.passed;
    totals.failed += res.failed;
    totals.skipped += res.skipped;
  }
  if (!ok && totals.failed === 0) totals.failed = 1;
  console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(ok ? 0 : 1);
}

main();
