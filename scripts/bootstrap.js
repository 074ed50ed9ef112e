// Makes a fresh clone ready to run: npm packages, the native addon, and the test router.
// Used by `npm test`, `npm run demo` and `npm run bench`, so each works as the first command.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function run(cmd, args, what) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `exit code ${res.status}`;
    console.error(`autobahn: ${what} failed (${why})`);
    process.exit(res.status || 1);
  }
}

function ensureNodeModules() {
  // Every package the project names (a pull may have added one to an existing node_modules).
  const pkg = require(path.join(root, 'package.json'));
  const needed = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  if (needed.every((m) => fs.existsSync(path.join(root, 'node_modules', m, 'package.json')))) return;
  console.log('autobahn: installing npm packages ...');
  // `npm install` with the committed lock file (versions are pinned there). Not `npm ci`: npm 11
  // leaves other platforms' optional packages out of the lock and `npm ci` then refuses it.
  // --ignore-scripts: the addon is built below, once.
  run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], 'npm install');
}

function ensureAddon() {
  run(process.execPath, [path.join(__dirname, 'build.js')], 'building the native addon');
}

function bootstrap({ router = true } = {}) {
  ensureNodeModules();
  ensureAddon();
  if (router) require('./install-router').ensureRouter();
}

module.exports = { bootstrap, root };

if (require.main === module) bootstrap();
