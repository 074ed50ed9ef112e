#!/usr/bin/env node
// `npm test`: builds what is needed, installs the test router, runs `cargo test` and then the
// Node suites in __test__/ against a real Crossbar.io router. The last lines printed are the
// node:test summary.
'use strict';
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
  if (filter.length === 0) {
    console.log('\n== cargo test ==');
    const cargo = spawnSync('cargo', ['test', '--quiet'], { cwd: root, stdio: 'inherit' });
    if (cargo.status !== 0) failed = true;
  }
  const files = filter.length > 0 ? filter : testFiles(path.join(root, '__test__'));
  console.log(`\n== node --test (${files.length} files, real Crossbar.io router) ==`);
  const node = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
    cwd: root,
    stdio: 'inherit',
  });
  if (node.status !== 0) failed = true;
  process.exit(failed ? 1 : 0);
}

main();
