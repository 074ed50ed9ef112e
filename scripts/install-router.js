#!/usr/bin/env node
// Installs the Crossbar.io test router (and Autobahn|Python) into the
// project-local, git-ignored virtualenv `.venv/` from the pinned
// scripts/requirements-router.txt.
//
// Idempotent: when `.venv/bin/crossbar` exists and `.venv/.requirements.sha256`
// matches the sha256 of the requirements file, it returns at once.
//
//   node scripts/install-router.js          # install or check, one line of output
//   PYTHON=/usr/bin/python3.11 node scripts/install-router.js
//   ROUTER_DEBUG=1 node scripts/install-router.js   # show venv/pip output
//
// Programmatic use: `const { ensureRouter } = require('./install-router')`;
// `ensureRouter()` is synchronous and returns { venv, python, crossbar, action }.
// Several processes may call it at once (e.g. parallel test files): the install
// is serialized with a lock directory `.router-install.lock` at the repo root.
'use strict';

const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const VENV = path.join(ROOT, '.venv');
const REQUIREMENTS = path.join(__dirname, 'requirements-router.txt');
const STAMP = path.join(VENV, '.requirements.sha256');
const LOCK = path.join(ROOT, '.router-install.lock');
const INSTALL_LOG = path.join(ROOT, '.router-install.log');
const VENV_PYTHON = path.join(VENV, 'bin', 'python');
const VENV_CROSSBAR = path.join(VENV, 'bin', 'crossbar');
const EXPECTED_PY = '3.11';
const LOCK_WAIT_MS = 20 * 60 * 1000;

const TAG = 'install-router:';

class RouterInstallError extends Error {}

function sha256File(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function readStamp() {
  try {
    return fs.readFileSync(STAMP, 'utf8').trim();
  } catch {
    return null;
  }
}

function isUpToDate(hash) {
  return fs.existsSync(VENV_CROSSBAR) && readStamp() === hash;
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Cross-process lock: mkdir is atomic. A lock left behind by a dead process is
// taken over.
function acquireLock() {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = parseInt(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8'), 10);
    } catch {
      // the owner may not have written its pid yet
    }
    let age;
    try {
      age = Date.now() - fs.statSync(LOCK).mtimeMs;
    } catch {
      continue; // removed meanwhile: retry at once
    }
    if ((Number.isInteger(owner) && !pidAlive(owner)) || (!Number.isInteger(owner) && age > 10000)) {
      fs.rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new RouterInstallError(
        `${TAG} timed out waiting for another install (lock ${LOCK} held by pid ${owner}); ` +
          'remove the directory if no install is running'
      );
    }
    if (!announced) {
      process.stderr.write(`${TAG} waiting for another process (pid ${owner}) installing the router ...\n`);
      announced = true;
    }
    sleepSync(250);
  }
}

function releaseLock() {
  fs.rmSync(LOCK, { recursive: true, force: true });
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// Runs a command with output appended to the install log (and to stderr with
// ROUTER_DEBUG=1). Throws a RouterInstallError with the log tail on failure.
function run(cmd, args, what) {
  const debug = process.env.ROUTER_DEBUG === '1';
  fs.appendFileSync(INSTALL_LOG, `\n$ ${cmd} ${args.join(' ')}\n`);
  const fd = debug ? null : fs.openSync(INSTALL_LOG, 'a');
  let r;
  try {
    r = spawnSync(cmd, args, {
      cwd: ROOT,
      stdio: debug ? ['ignore', 2, 2] : ['ignore', fd, fd],
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' },
    });
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
  if (r.error) {
    throw new RouterInstallError(`${TAG} ${what} failed: cannot run ${cmd}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const how = r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    const log = debug ? '' : `\n--- last lines of ${INSTALL_LOG} ---\n${tail(INSTALL_LOG)}`;
    throw new RouterInstallError(`${TAG} ${what} failed (${how}): ${cmd} ${args.join(' ')}${log}`);
  }
}

function checkPython(python) {
  const r = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  });
  if (r.error) {
    const hint =
      r.error.code === 'ENOENT'
        ? `${python} not found. Install Python ${EXPECTED_PY} with venv support ` +
          `(Debian/Ubuntu: apt-get install python3 python3-venv) or set PYTHON=/path/to/python${EXPECTED_PY}`
        : `cannot run ${python}: ${r.error.message}`;
    throw new RouterInstallError(`${TAG} ${hint}`);
  }
  if (r.status !== 0) {
    throw new RouterInstallError(`${TAG} ${python} does not work (exit ${r.status}): ${r.stderr.trim()}`);
  }
  const version = r.stdout.trim();
  if (version !== EXPECTED_PY) {
    process.stderr.write(
      `${TAG} warning: ${python} is Python ${version}; ${path.relative(ROOT, REQUIREMENTS)} ` +
        `is pinned for Python ${EXPECTED_PY} (set PYTHON to use another interpreter)\n`
    );
  }
  return version;
}

function venvPythonWorks() {
  if (!fs.existsSync(VENV_PYTHON)) return false;
  const r = spawnSync(VENV_PYTHON, ['-c', 'import sys'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function install(hash) {
  const t0 = Date.now();
  const python = process.env.PYTHON || 'python3';
  fs.writeFileSync(INSTALL_LOG, `${TAG} ${new Date().toISOString()}\n`);
  fs.rmSync(STAMP, { force: true });

  let created = false;
  if (!venvPythonWorks()) {
    const version = checkPython(python);
    process.stderr.write(
      `${TAG} creating .venv with ${python} (Python ${version}) and installing Crossbar.io from PyPI (about a minute) ...\n`
    );
    fs.rmSync(VENV, { recursive: true, force: true });
    try {
      run(python, ['-m', 'venv', VENV], 'creating the virtualenv');
    } catch (e) {
      e.message +=
        `\n${TAG} hint: on Debian/Ubuntu "python3 -m venv" needs the python3-venv package ` +
        '(apt-get install python3-venv)';
      throw e;
    }
    created = true;
  } else {
    process.stderr.write(`${TAG} requirements changed, updating .venv from PyPI ...\n`);
  }
  run(VENV_PYTHON, ['-m', 'pip', 'install', '--upgrade', 'pip'], 'upgrading pip');
  run(VENV_PYTHON, ['-m', 'pip', 'install', '-r', REQUIREMENTS], 'pip install -r requirements-router.txt');
  if (!fs.existsSync(VENV_CROSSBAR)) {
    throw new RouterInstallError(`${TAG} pip succeeded but ${VENV_CROSSBAR} is missing`);
  }
  fs.writeFileSync(STAMP, hash + '\n');
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  return `${created ? 'created .venv and installed' : 'updated .venv with'} the pinned Crossbar.io in ${secs}s (log: ${path.relative(ROOT, INSTALL_LOG)})`;
}

/**
 * Makes sure `.venv/bin/crossbar` is installed from the pinned requirements.
 * Synchronous. Prints one line to stderr when it installs (plus one line
 * before starting a long install); with `{ quiet: false }` also prints a line
 * when there is nothing to do.
 * @param {{quiet?: boolean}} [opts]
 * @returns {{venv: string, python: string, crossbar: string, action: 'none'|'installed'}}
 */
function ensureRouter(opts = {}) {
  const quiet = opts.quiet !== false;
  const result = (action) => ({ venv: VENV, python: VENV_PYTHON, crossbar: VENV_CROSSBAR, action });
  const hash = sha256File(REQUIREMENTS);
  if (isUpToDate(hash)) {
    if (!quiet) process.stderr.write(`${TAG} .venv is up to date (${path.relative(ROOT, VENV_CROSSBAR)})\n`);
    return result('none');
  }
  acquireLock();
  try {
    if (isUpToDate(hash)) {
      // another process finished the install while we waited for the lock
      if (!quiet) process.stderr.write(`${TAG} .venv is up to date (installed by another process)\n`);
      return result('none');
    }
    const msg = install(hash);
    process.stderr.write(`${TAG} ${msg}\n`);
    return result('installed');
  } finally {
    releaseLock();
  }
}

module.exports = { ensureRouter, RouterInstallError, VENV, VENV_CROSSBAR, VENV_PYTHON, REQUIREMENTS };

if (require.main === module) {
  try {
    ensureRouter({ quiet: false });
  } catch (e) {
    process.stderr.write((e instanceof RouterInstallError ? e.message : e.stack) + '\n');
    process.exit(1);
  }
}
