#!/usr/bin/env node
// `npm run lint`: ESLint, Prettier (--check), the TypeScript check of index.d.ts against
// __test__/types/usage.ts, `cargo fmt --check` and `cargo clippy --all-targets -D warnings`.
// Every check runs; the exit code is 1 if any failed. scripts/test.js runs it first.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// The path of an npm package's executable, from its package.json `bin`.
function binOf(pkg, name) {
  const manifest = require.resolve(`${pkg}/package.json`, { paths: [root] });
  const { bin } = require(manifest);
  return path.join(path.dirname(manifest), typeof bin === 'string' ? bin : bin[name]);
}

const CHECKS = [
  { name: 'eslint', node: ['eslint', 'eslint'], args: ['.'] },
  {
    name: 'prettier',
    node: ['prettier', 'prettier'],
    // Formatted so far: the package's own code. Tests, bench/ and examples/ follow later.
    args: ['--check', '--no-error-on-unmatched-pattern', 'lib/', 'index.js', 'bin/', 'scripts/*.js'],
  },
  { name: 'tsc (index.d.ts)', node: ['typescript', 'tsc'], args: ['-p', '__test__/types'] },
  { name: 'cargo fmt', cmd: 'cargo', args: ['fmt', '--check'] },
  { name: 'cargo clippy', cmd: 'cargo', args: ['clippy', '--all-targets', '--quiet', '--', '-D', 'warnings'] },
];

function runCheck(check) {
  let cmd = check.cmd;
  let args = check.args;
  if (check.node) {
    try {
      args = [binOf(...check.node), ...args];
    } catch {
      console.error(`lint: ${check.node[0]} is not installed (run \`npm install\`)`);
      return false;
    }
    cmd = process.execPath;
  }
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.error) console.error(`lint: cannot run ${check.name}: ${res.error.message}`);
  return res.status === 0;
}

/** Runs every check; returns the names of those that failed. */
function lint() {
  const failed = [];
  for (const check of CHECKS) {
    console.log(`\n== lint: ${check.name} ==`);
    if (!runCheck(check)) failed.push(check.name);
  }
  console.log(failed.length === 0 ? '\nlint: all checks passed' : `\nlint: failed: ${failed.join(', ')}`);
  return failed;
}

/**
 * For scripts/test.js: lints a full run (not one given test files). A failure fails the run
 * (exit code 1) once the tests have run too.
 */
function lintBeforeTests() {
  if (process.argv.length > 2) return;
  if (lint().length === 0) return;
  process.on('exit', (code) => {
    if (code === 0) process.exitCode = 1;
  });
}

if (require.main === module) process.exit(lint().length === 0 ? 0 : 1);

module.exports = { lint, lintBeforeTests };
