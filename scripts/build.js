#!/usr/bin/env node
// Builds the native addon (release mode) with the napi-rs CLI, unless it is already up to date.
// Runs on `npm install`; `npm run build` forces a rebuild.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const force = process.argv.includes('--force');

function newestMtime(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

function builtAddon() {
  return fs.readdirSync(root).find((f) => f.startsWith('autobahn.') && f.endsWith('.node'));
}

function upToDate() {
  const addon = builtAddon();
  if (!addon || !fs.existsSync(path.join(root, 'native.js'))) return false;
  const built = fs.statSync(path.join(root, addon)).mtimeMs;
  const sources = ['src', 'Cargo.toml', 'Cargo.lock', 'build.rs'].map((p) => path.join(root, p));
  return sources.every((p) => !fs.existsSync(p) || newestMtime(p) <= built);
}

function main() {
  if (!force && upToDate()) {
    console.log(`autobahn: native addon ${builtAddon()} is up to date`);
    return;
  }
  const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
  if (cargo.error || cargo.status !== 0) {
    console.error(
      'autobahn: building the native addon needs the Rust toolchain, but `cargo` was not found.\n' +
        'Install Rust from https://rustup.rs (or your package manager) and run `npm install` again.'
    );
    process.exit(1);
  }
  const cli = require.resolve('@napi-rs/cli/package.json', { paths: [root] });
  const napiBin = path.join(path.dirname(cli), require(cli).bin.napi);
  console.log('autobahn: building the native addon (release) ...');
  const res = spawnSync(
    process.execPath,
    [napiBin, 'build', '--platform', '--release', '--js', 'native.js', '--dts', 'native.d.ts'],
    { cwd: root, stdio: 'inherit' }
  );
  if (res.status !== 0) {
    console.error('autobahn: building the native addon failed (see the cargo output above).');
    process.exit(res.status || 1);
  }
}

main();
