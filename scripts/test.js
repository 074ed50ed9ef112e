#!/usr/bin/env node
// `npm test`: builds what is needed, installs the test router, runs `cargo test` and then the
// Node suites in __test__/ against a real Crossbar.io router. The last lines printed are the
// node:test summary.
'use strict';

// Lint first (scripts/lint.js: eslint, prettier, tsc, cargo fmt, cargo clippy); a failure fails the run.
require('./lint').lintBeforeTests();

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { bootstrap, root } = require('./bootstrap');

function testFiles(dir) {
  const out = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(path.relative(root, p));
  }
  return out;
}

function main() {
  bootstrap();
  const filter = process.argv.slice(2);
  let failed = false;
  const totals = { passed: 0, failed: 0, skipped: 0 };
  if (filter.length === 0) {
    console.log('\n== cargo test ==');
    const cargo = spawnSync('cargo', ['test', '--quiet', '--color', 'never'], { cwd: root, encoding: 'utf8' });
    process.stdout.write(cargo.stdout || '');
    process.stderr.write(cargo.stderr || '');
    if (cargo.status !== 0) failed = true;
    for (const m of (cargo.stdout || '').matchAll(/test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/g)) {
      totals.passed += Number(m[1]);
      totals.failed += Number(m[2]);
      totals.skipped += Number(m[3]);
    }
  }
  const files = filter.length > 0 ? filter : testFiles(path.join(root, '__test__'));
  console.log(`\n== node --test (${files.length} files, real Crossbar.io router) ==`);
  // Human-readable spec output on the terminal, TAP in a file for the totals.
  const tap = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'autobahn-test-')), 'node.tap');
  const node = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
    { cwd: root, stdio: 'inherit' }
  );
  if (node.status !== 0) failed = true;
  const summary = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  const count = (name) => {
    const m = summary.match(new RegExp(`^# ${name} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  totals.passed += count('pass');
  totals.failed += count('fail') + count('cancelled');
  totals.skipped += count('skipped') + count('todo');
  if (!summary) failed = true;
  fs.rmSync(path.dirname(tap), { recursive: true, force: true });
  if (failed && totals.failed === 0) totals.failed = 1; // a runner that crashed counts as a failure
  console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(failed ? 1 : 0);
}

main();
