#!/usr/bin/env node
// `npm install` (package.json "install"): makes sure the native addon is there.
// - In a clone (the dev dependencies are installed): scripts/build.js, which builds the addon
//   from source when it is missing or older than the sources.
// - In an installed package: nothing to build when a prebuilt addon loads (the platform package
//   autobahn-<platform>, an optional dependency, or a local autobahn.<platform>.node); without
//   one, a build from source with cargo; without cargo either, a failure that names the platform
//   and what to do.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { platformName } = require('./platform');

const root = path.resolve(__dirname, '..');
const pkg = require('../package.json');
const platform = platformName();
const addonFile = `${pkg.napi.binaryName}.${platform}.node`;
const platformPackage = `${pkg.name}-${platform}`;

function isClone() {
  return fs.existsSync(path.join(root, 'node_modules', '@napi-rs', 'cli', 'package.json'));
}

// Loads native.js in a child process: a binary that is present but cannot load here (another
// libc, a Node without its N-API version) counts as absent. Returns null or the load error.
function loadError() {
  const res = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(root, 'native.js'))})`], {
    encoding: 'utf8',
  });
  if (res.status === 0) return null;
  return (res.stderr || res.error?.message || `exit code ${res.status}`).trim();
}

function prebuiltPlatforms() {
  const prefix = `${pkg.name}-`;
  return Object.keys(pkg.optionalDependencies || {})
    .filter((name) => name.startsWith(prefix))
    .map((name) => name.slice(prefix.length));
}

// A prebuilt binary that is there but did not load (its load error is then worth showing).
function prebuiltPresent() {
  if (fs.existsSync(path.join(root, addonFile))) return true;
  try {
    require.resolve(platformPackage, { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

function hasCargo() {
  const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
  return !cargo.error && cargo.status === 0;
}

function fail(lines) {
  console.error(lines.join('\n'));
  process.exit(1);
}

// `cargo build --release` and a copy of the cdylib to autobahn.<platform>.node, the name
// native.js loads (the napi CLI, which does the same, is a dev dependency only).
function buildFromSource() {
  console.log(
    `autobahn: no prebuilt native addon for ${platform}: building it from source (release, a few minutes) ...`
  );
  const res = spawnSync('cargo', ['build', '--release', '--lib', '--message-format=json-render-diagnostics'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.error || res.status !== 0) {
    fail([
      `autobahn: building the native addon from source failed (${res.error ? res.error.message : `exit code ${res.status}`}); see the cargo output above.`,
    ]);
  }
  let library;
  for (const line of res.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line);
    if (msg.reason === 'compiler-artifact' && msg.target.kind.includes('cdylib')) {
      library = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f));
    }
  }
  if (!library) fail(['autobahn: cargo built no dynamic library for the addon (cdylib); cannot install it.']);
  fs.copyFileSync(library, path.join(root, addonFile));
  const error = loadError();
  if (error) fail([`autobahn: the addon built from source does not load:`, error]);
  console.log(`autobahn: built ${addonFile} from source`);
}

function main() {
  if (isClone()) {
    require('./build');
    return;
  }
  const error = loadError();
  if (!error) {
    const where = fs.existsSync(path.join(root, addonFile)) ? addonFile : `the package ${platformPackage}`;
    console.log(`autobahn: using the prebuilt native addon for ${platform} (${where})`);
    return;
  }
  if (hasCargo()) {
    buildFromSource();
    return;
  }
  const prebuilt = prebuiltPlatforms();
  const published = prebuilt.includes(platform);
  fail([
    `autobahn: no prebuilt native addon for this platform (${platform}) and no Rust toolchain to build one: \`cargo\` was not found.`,
    `  Prebuilt addons exist for: ${prebuilt.join(', ') || 'none'} (the optional dependencies ${prebuilt.map((p) => `${pkg.name}-${p}`).join(', ')}).`,
    published
      ? `  ${platformPackage} is not installed: install without --omit=optional / --no-optional (npm installs it then), or`
      : `  ${platform} is not among them, so`,
    '  install Rust (https://rustup.rs) and run `npm install` again: the addon is then built from source.',
    ...(prebuiltPresent() ? ['  The prebuilt addon is there but does not load:', error] : []),
  ]);
}

main();
