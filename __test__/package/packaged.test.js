// The package as users get it: `npm pack` tarballs (this package, and the platform package with
// the prebuilt addon) installed into a temporary project whose PATH has node and npm only (no
// cargo), and that project's suites under jest, ava, vitest and node:test, ES module imports,
// tsc and esbuild. One npm install per run (pinned runner versions, through the npm cache); each
// case reuses it. No external router: every suite starts the package's own.
//
// Runs once per `npm test` (scripts/test.js, "package" step), not once per router leg:
//   node --test __test__/package/packaged.test.js
// KEEP_PACKAGE_TMP=1 keeps the temporary directory (tarballs, project) for a look afterwards.
'use strict';

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { platformName } = require('../../scripts/platform');

const root = path.resolve(__dirname, '..', '..');
const pkg = require('../../package.json');
const platform = platformName();
const platformPackage = `${pkg.name}-${platform}`;
const platformDir = path.join(root, 'npm', platform);
const addonFile = `${pkg.napi.binaryName}.${platform}.node`;

// The tools of the temporary project, pinned (versions that support Node 20).
const TOOLS = {
  jest: '30.5.2',
  ava: '6.4.1',
  vitest: '4.1.12',
  esbuild: '0.28.2',
  typescript: '6.0.3',
  '@types/node': '20.19.43',
};
const ROUNDTRIP = JSON.stringify({ sum: 5, event: ['hi'] });
const TIMEOUT_MS = 120_000;

let tmp;
let project;
let env; // PATH: node and npm only
let install; // the output of the one npm install

function which(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && fs.existsSync(p)) return fs.realpathSync(p);
  }
  throw new Error(`${name} is not on PATH`);
}

// A PATH with node and npm only, and nothing of this run's own npm or node:test context.
function nodeOnlyEnv() {
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(which('npm'), path.join(bin, 'npm'));
  const out = { HOME: os.homedir(), PATH: bin, NO_COLOR: '1', CI: '1' };
  for (const key of ['TMPDIR', 'LANG', 'npm_config_cache']) if (process.env[key]) out[key] = process.env[key];
  return out;
}

function run(cmd, args, { cwd = project, extraEnv = {}, timeout = TIMEOUT_MS } = {}) {
  const res = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout });
  const output = `${res.stdout || ''}${res.stderr || ''}`;
  const why = res.error ? res.error.message : `exit ${res.status}`;
  return { status: res.status, output, describe: `${[cmd, ...args].join(' ')}: ${why}\n${output}` };
}

const node = (args, opts) => run(process.execPath, args, opts);
const bin = (file) => path.join(project, 'node_modules', ...file.split('/'));
// `npm --script-shell=/bin/sh`: npm would look for `sh` on PATH.
const npm = (args, opts) => run(path.join(tmp, 'bin', 'npm'), [...args, '--script-shell=/bin/sh'], opts);

function npmPack(dir) {
  const res = spawnSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: dir, encoding: 'utf8' });
  assert.equal(res.status, 0, `npm pack in ${dir}: ${res.stderr}`);
  return path.join(tmp, JSON.parse(res.stdout)[0].filename);
}

function copyDir(from, to) {
  fs.cpSync(from, to, { recursive: true });
}

const skip = fs.existsSync(platformDir) ? false : `no npm/${platform}: no prebuilt package for this platform`;

describe('the packed package', { skip }, () => {
  let mainTarball;
  let platformTarball;

  before(() => {
    assert.ok(fs.existsSync(path.join(root, addonFile)), `${addonFile} is built (node scripts/build.js)`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-package-'));
    env = nodeOnlyEnv();
    mainTarball = npmPack(root);
    // The platform package as a release publishes it: npm/<platform> plus the built addon.
    const staged = path.join(tmp, 'platform-package');
    copyDir(platformDir, staged);
    fs.copyFileSync(path.join(root, addonFile), path.join(staged, addonFile));
    platformTarball = npmPack(staged);

    project = path.join(tmp, 'project');
    copyDir(path.join(__dirname, 'project'), project);
    const manifest = {
      name: 'autobahn-package-check',
      private: true,
      dependencies: { [pkg.name]: `file:${mainTarball}`, [platformPackage]: `file:${platformTarball}` },
      devDependencies: TOOLS,
      // npm runs a dependency's install script only when the project allows it.
      allowScripts: { [pkg.name]: true },
      ava: { files: ['ava/**/*.test.*'] },
    };
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    install = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], {
      timeout: 240_000,
    });
  });

  after(() => {
    if (tmp && !process.env.KEEP_PACKAGE_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('installs without cargo: the prebuilt addon of the platform package, nothing built', () => {
    const cargo = spawnSync('cargo', ['--version'], { env });
    assert.equal(cargo.error && cargo.error.code, 'ENOENT', 'cargo is not on the PATH of the install');
    assert.equal(install.status, 0, install.describe);
    assert.match(
      install.output,
      new RegExp(`autobahn: using the prebuilt native addon for ${platform} \\(the package ${platformPackage}\\)`)
    );
    const installed = path.join(project, 'node_modules', pkg.name);
    assert.deepEqual(
      fs.readdirSync(installed).filter((f) => f.endsWith('.node') || f === 'target'),
      [],
      'no addon built into the package'
    );
    assert.ok(fs.existsSync(path.join(project, 'node_modules', platformPackage, addonFile)));
  });

  test('a script calls and publishes through the router shipped in the package', () => {
    const res = node(['connect.js']);
    assert.equal(res.status, 0, res.describe);
    assert.equal(res.output.trim(), ROUNDTRIP);
  });

  test('without a prebuilt addon for the platform and without cargo, npm install fails and says why', () => {
    const dir = path.join(tmp, 'no-prebuilt');
    fs.mkdirSync(dir);
    const manifest = { name: 'no-prebuilt', private: true, dependencies: { [pkg.name]: `file:${mainTarball}` } };
    manifest.allowScripts = { [pkg.name]: true };
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest));
    // --omit=optional: npm leaves the platform package out, as it does on a platform it does not
    // match; --offline: `when` comes from the cache of the install above.
    const res = npm(['install', '--offline', '--omit=optional', '--no-audit', '--no-fund', '--foreground-scripts'], {
      cwd: dir,
    });
    assert.notEqual(res.status, 0, res.describe);
    assert.match(res.output, new RegExp(`no prebuilt native addon for this platform \\(${platform}\\)`));
    assert.match(res.output, /no Rust toolchain to build one: `cargo` was not found/);
    assert.match(res.output, new RegExp(`${platformPackage} is not installed: install without --omit=optional`));
    assert.match(res.output, /install Rust \(https:\/\/rustup\.rs\) and run `npm install` again/);
  });

  test('on a platform with no prebuilt package at all (riscv64, simulated) and no cargo, the install script says so', () => {
    // The install script and the loader it starts both see process.arch 'riscv64'.
    const preload = path.join(tmp, 'riscv64.js');
    fs.writeFileSync(preload, "Object.defineProperty(process, 'arch', { value: 'riscv64' });\n");
    const installed = path.join(project, 'node_modules', pkg.name);
    const res = node([path.join(installed, 'scripts', 'install.js')], {
      cwd: installed,
      extraEnv: { NODE_OPTIONS: `--require ${preload}` },
    });
    assert.notEqual(res.status, 0, res.describe);
    const foreign = platform.replace(/^linux-[^-]+-/, 'linux-riscv64-');
    assert.match(res.output, new RegExp(`no prebuilt native addon for this platform \\(${foreign}\\)`));
    assert.match(res.output, new RegExp(`Prebuilt addons exist for: ${platform} `));
    assert.match(res.output, new RegExp(`${foreign} is not among them, so`));
    assert.match(res.output, /install Rust \(https:\/\/rustup\.rs\)/);
  });

  describe('jest', () => {
    const jest = (args, extraEnv) =>
      node(
        [bin('jest/bin/jest.js'), '--ci', '--cacheDirectory', path.join(tmp, `jest-cache-${args.join('')}`), ...args],
        {
          extraEnv,
        }
      );
    const noLeftovers = (output) => {
      assert.doesNotMatch(output, /open handle/i);
      assert.doesNotMatch(output, /did not exit/);
      assert.doesNotMatch(output, /failed to exit gracefully/);
    };

    test('in worker processes (global router, suite router, isolateModules/resetModules)', () => {
      const res = jest(['--maxWorkers=2'], { EXPECT_JEST_WORKERS: '1' });
      assert.equal(res.status, 0, res.describe);
      assert.match(res.output, /Tests:\s+4 passed, 4 total/);
      noLeftovers(res.output);
    });

    test('--runInBand --detectOpenHandles: no open handles', () => {
      const res = jest(['--runInBand', '--detectOpenHandles']);
      assert.equal(res.status, 0, res.describe);
      assert.match(res.output, /Tests:\s+4 passed, 4 total/);
      noLeftovers(res.output);
    });
  });

  describe('ava', () => {
    const ava = (args, extraEnv) => node([bin('ava/entrypoints/cli.mjs'), ...args], { extraEnv });

    test('worker threads (the default)', () => {
      const res = ava([], { EXPECT_THREADS: '1' });
      assert.equal(res.status, 0, res.describe);
      assert.match(res.output, /2 tests passed/);
    });

    test('--no-worker-threads (child processes)', () => {
      const res = ava(['--no-worker-threads'], { EXPECT_THREADS: '0' });
      assert.equal(res.status, 0, res.describe);
      assert.match(res.output, /2 tests passed/);
    });
  });

  describe('vitest', () => {
    const vitest = (pool, extraEnv) => node([bin('vitest/vitest.mjs'), 'run', `--pool=${pool}`], { extraEnv });

    test('threads pool', () => {
      const res = vitest('threads', { EXPECT_THREADS: '1' });
      assert.equal(res.status, 0, res.describe);
      assert.match(res.output, /Tests\s+2 passed \(2\)/);
    });

    test('forks pool', () => {
      const res = vitest('forks', { EXPECT_THREADS: '0' });
      assert.equal(res.status, 0, res.describe);
      assert.match(res.output, /Tests\s+2 passed \(2\)/);
    });
  });

  test('node:test, ES module default and named imports', () => {
    const res = node(['--test', '--test-reporter=tap', 'node-test/']);
    assert.equal(res.status, 0, res.describe);
    assert.match(res.output, /^# pass 2$/m);
    assert.match(res.output, /^# fail 0$/m);
  });

  describe('tsc --strict --noEmit', () => {
    const tsc = (args) =>
      node([bin('typescript/bin/tsc'), '--noEmit', '--strict', '--target', 'es2022', '--types', 'node', ...args]);
    for (const mode of ['node16', 'nodenext']) {
      test(`module/moduleResolution ${mode} (import and import = require)`, () => {
        const res = tsc(['--module', mode, '--moduleResolution', mode, 'ts/usage.mts', 'ts/usage.cts']);
        assert.equal(res.status, 0, res.describe);
      });
    }
    test('moduleResolution bundler', () => {
      const res = tsc(['--module', 'preserve', '--moduleResolution', 'bundler', 'ts/usage.mts']);
      assert.equal(res.status, 0, res.describe);
    });
  });

  describe('esbuild --bundle --platform=node', () => {
    const esbuild = (args) =>
      run(bin('.bin/esbuild'), ['esbuild-app.js', '--bundle', '--platform=node', '--log-level=warning', ...args]);

    test('without a rule for the .node file the bundle fails', () => {
      const res = esbuild([`--outfile=${path.join(tmp, 'plain', 'app.js')}`]);
      assert.notEqual(res.status, 0, res.describe);
      assert.match(res.output, /No loader is configured for "\.node" files/);
    });

    test('--external:autobahn: runs beside node_modules', () => {
      const res = esbuild(['--external:autobahn', '--outfile=dist-external/app.js']);
      assert.equal(res.status, 0, res.describe);
      const ran = node(['dist-external/app.js']);
      assert.equal(ran.status, 0, ran.describe);
      assert.equal(ran.output.trim(), ROUNDTRIP);
    });

    // when.js hands `require` around (UMD), which esbuild cannot follow: it stays external.
    test('--loader:.node=copy --external:when: the bundle runs with the copied addon and when.js only', () => {
      const out = path.join(tmp, 'standalone'); // outside the project: neither autobahn nor its platform package
      const res = esbuild(['--loader:.node=copy', '--external:when', `--outdir=${out}`]);
      assert.equal(res.status, 0, res.describe);
      assert.equal(fs.readdirSync(out).filter((f) => f.endsWith('.node')).length, 1, 'the addon is copied');
      copyDir(path.join(project, 'node_modules', 'when'), path.join(out, 'node_modules', 'when'));
      const ran = node([path.join(out, 'esbuild-app.js')], { cwd: out });
      assert.equal(ran.status, 0, ran.describe);
      assert.equal(ran.output.trim(), ROUNDTRIP);
    });
  });
});
