// Test helper: starts the WAMP router the suites run against, one per call, on a free loopback
// port. Which router is chosen by the environment:
//
//   ROUTER=embedded (default)  this package's router, `node bin/autobahn-router.js --config <file>`
//   ROUTER=crossbar            Crossbar.io from the project-local .venv (scripts/crossbar.js)
//
//   const { startRouter, routerKind } = require('./helpers/router');
//   const router = await startRouter();
//   // router.url   -> 'ws://127.0.0.1:PORT/ws' (WebSocket; serializers json, msgpack, cbor)
//   // router.port  -> the same port also speaks WAMP-over-RawSocket (json, msgpack, cbor)
//   // router.realm -> 'realm1' (anonymous may call/register/publish/subscribe anything)
//   // router.kind  -> 'embedded' | 'crossbar'
//   await router.kill();      // SIGKILL (simulated crash), keeps port and config
//   await router.restart();   // same port, fresh state, resolves when ready
//   await router.stop();      // SIGTERM (SIGKILL after 10 s), removes the temp dir
//
// Options (both routers): { port, timeout = 60000 (ms, per start), loglevel (Crossbar only),
//   editConfig(config) -> config | undefined }: editConfig mutates the parsed Crossbar.io node
//   config template (scripts/crossbar-config.json); the embedded router reads the same format.
// Tests that only one router passes say so: `{ skip: routerKind === 'crossbar' && 'why' }`.
//
// Environment: ROUTER_DEBUG=1 copies the router output to stderr; ROUTER_KEEP=1 keeps the temp
// dir (config.json, router.log) after stop(). Every router started by this process is SIGKILLed
// when the process exits (see scripts/crossbar.js); the embedded router also dies with its parent
// through a pipe it watches (helpers/parent-watch.js).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const crossbar = require('../../scripts/crossbar');

const {
  CrossbarRouter,
  freePort,
  probeWamp,
  groupMembers,
  processAlive,
  installCleanup,
  liveRouters,
  REALM,
  TEMPLATE,
} = crossbar;

const ROOT = path.join(__dirname, '..', '..');
// ROUTER_CLI overrides the CLI's path (e.g. an installed copy)
const CLI = process.env.ROUTER_CLI
  ? path.resolve(process.env.ROUTER_CLI)
  : path.join(ROOT, 'bin', 'autobahn-router.js');
const PARENT_WATCH = path.join(__dirname, 'parent-watch.js');
const READY_LINE = 'autobahn-router ready';
const DEFAULT_TIMEOUT_MS = 60000;
const KINDS = ['embedded', 'crossbar'];

const { embeddedRouterBuilt } = require('../../scripts/router-kind');

const routerKind = process.env.ROUTER || (embeddedRouterBuilt() ? 'embedded' : 'crossbar');
if (!KINDS.includes(routerKind)) {
  throw new Error(`ROUTER=${routerKind}: expected one of ${KINDS.join(', ')}`);
}

function tailFile(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
  } catch {
    return '(no log)';
  }
}

/**
 * The embedded router as a child process (its own process group, like Crossbar), with the
 * Crossbar helper's bookkeeping: kill/restart/stop and the exit cleanup are inherited; only how it
 * is configured, spawned and seen ready differ.
 */
class EmbeddedRouter extends CrossbarRouter {
  constructor(opts) {
    super(opts);
    this.kind = 'embedded';
    this.configFile = path.join(this.cbdir, 'config.json');
    this.listening = []; // the `listening <url>` lines of the current process
  }

  _prepareCbdir() {
    fs.mkdirSync(this.cbdir, { recursive: true });
    const text = JSON.stringify(this._config, null, 2).replace(/"%%PORT%%"/g, String(this.port));
    fs.writeFileSync(this.configFile, text + '\n');
  }

  _spawn() {
    const debug = process.env.ROUTER_DEBUG === '1';
    const args = ['--require', PARENT_WATCH, CLI, '--config', this.configFile];
    fs.appendFileSync(this.logFile, `--- ${new Date().toISOString()} node ${args.join(' ')}\n`);
    const logFd = fs.openSync(this.logFile, 'a');
    let proc;
    try {
      proc = spawn(process.execPath, args, {
        cwd: ROOT,
        detached: true, // own process group: signal it as -pid
        // fd 3: a pipe the child watches; when this process dies it closes and the child exits
        stdio: ['ignore', 'pipe', debug ? 'pipe' : logFd, 'pipe'],
      });
    } finally {
      fs.closeSync(logFd);
    }
    const log = fs.createWriteStream(this.logFile, { flags: 'a' });
    const prefix = `[router:${this.port}] `;
    let ready;
    this._ready = new Promise((resolve) => {
      ready = resolve;
    });
    this.listening = [];
    const streams = debug ? [proc.stdout, proc.stderr] : [proc.stdout];
    for (const stream of streams) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (text) => {
        log.write(text);
        const lines = (partial + text).split('\n');
        partial = lines.pop();
        for (const line of lines) {
          if (debug && line.trim()) process.stderr.write(prefix + line + '\n');
          if (stream !== proc.stdout) continue;
          const m = /^listening (\S+)/.exec(line);
          if (m) this.listening.push(m[1]);
          if (line.trim() === READY_LINE) ready();
        }
      });
      stream.unref?.();
    }
    proc.stdio[3].unref?.();
    proc.on('close', () => log.end());
    proc.unref();
    this._proc = proc;
    this._exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => resolve({ code, signal }));
      proc.on('error', (err) => resolve({ code: null, signal: null, error: err }));
    });
    return proc;
  }

  // Starts the CLI and resolves once it printed the ready line; rejects (after killing it) on
  // early exit or timeout.
  async _launch() {
    if (!fs.existsSync(CLI)) {
      const err = new Error(
        `the embedded router CLI ${path.relative(ROOT, CLI)} is missing (or run with ROUTER=crossbar)`
      );
      throw err;
    }
    const t0 = Date.now();
    const proc = this._spawn();
    let timer;
    const outcome = await Promise.race([
      this._ready.then(() => ({ ready: true })),
      this._exited.then((exit) => ({ exit })),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve({ timeout: true }), this._timeout);
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome.ready) {
      this._listening = true;
      this.startupMs = Date.now() - t0;
      return;
    }
    if (outcome.exit) {
      await this._reapGroup(5000);
      const log = tailFile(this.logFile, 400);
      const addressInUse = /EADDRINUSE|address already in use|address in use/i.test(log);
      const { exit } = outcome;
      const how = exit.error
        ? `could not be started: ${exit.error.message}`
        : `exited early (code ${exit.code}, signal ${exit.signal})` +
          (addressInUse ? `: port ${this.port} is already in use` : '');
      const err = new Error(
        `embedded router on port ${this.port} ${how}\n--- ${this.logFile} (tail) ---\n${tailFile(this.logFile)}`
      );
      err.addressInUse = addressInUse;
      throw err;
    }
    await this._terminate('SIGKILL', 0);
    throw new Error(
      `embedded router on port ${this.port} (pid ${proc.pid}) printed no "${READY_LINE}" within ${this._timeout} ms\n` +
        `--- ${this.logFile} (tail) ---\n${tailFile(this.logFile)}`
    );
  }
}

/**
 * Starts the embedded router (bin/autobahn-router.js) on a free loopback port with the Crossbar
 * config template (after opts.editConfig) and resolves when it is ready. Same API as
 * scripts/crossbar.js's startCrossbar.
 */
async function startEmbedded(opts = {}) {
  let config = JSON.parse(fs.readFileSync(TEMPLATE, 'utf8'));
  if (typeof opts.editConfig === 'function') config = opts.editConfig(config) || config;
  const autoPort = opts.port == null;
  const port = autoPort ? await freePort() : Number(opts.port);
  const cbdir = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-embedded-router-'));
  const router = new EmbeddedRouter({
    port,
    cbdir,
    config,
    autoPort,
    venv: null,
    loglevel: null,
    timeout: opts.timeout || Number(process.env.ROUTER_START_TIMEOUT) || DEFAULT_TIMEOUT_MS,
  });
  installCleanup();
  liveRouters.add(router);
  try {
    await router._start();
  } catch (err) {
    router._killSync();
    liveRouters.delete(router);
    throw err;
  }
  return router;
}

async function startCrossbarRouter(opts = {}) {
  const router = await crossbar.startCrossbar(opts);
  router.kind = 'crossbar';
  return router;
}

/**
 * The Python of the project .venv (Autobahn|Python, cryptography), installing it on first use:
 * Python peers and tools need it whichever router runs.
 */
function venvPython() {
  return require('../../scripts/install-router').ensureRouter({ quiet: true }).python;
}

/**
 * The router's answer to a client's GOODBYE, which the client reports in onclose details: the
 * spec's `wamp.close.goodbye_and_out`; Crossbar.io 26.10.1 answers `wamp.close.normal`.
 */
const GOODBYE_REPLY = routerKind === 'crossbar' ? 'wamp.close.normal' : 'wamp.close.goodbye_and_out';

/** Starts the router named by ROUTER (see the top of this file). */
function startRouter(opts = {}) {
  return routerKind === 'crossbar' ? startCrossbarRouter(opts) : startEmbedded(opts);
}

module.exports = {
  startRouter,
  startEmbedded,
  startCrossbar: startCrossbarRouter,
  routerKind,
  GOODBYE_REPLY,
  venvPython,
  freePort,
  probeWamp,
  groupMembers,
  processAlive,
  REALM,
  TEMPLATE,
};
