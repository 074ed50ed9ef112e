// Runs a real Crossbar.io router (from the project-local .venv) on a free
// loopback port, one per call. Used by scripts/router.js, the demo, the
// benchmark and (through __test__/helpers/router.js) the test suites.
//
//   const { startCrossbar } = require('./scripts/crossbar');
//   const router = await startCrossbar();      // installs .venv on first use
//   // router.url   -> 'ws://127.0.0.1:PORT/ws' (WebSocket; serializers json, msgpack, cbor)
//   // router.port  -> the same port also speaks WAMP-over-RawSocket (json, msgpack, cbor)
//   // router.realm -> 'realm1' (anonymous may call/register/publish/subscribe anything)
//   await router.kill();      // SIGKILL (simulated crash), keeps port and cbdir
//   await router.restart();   // same port, fresh node state, resolves when ready
//   await router.stop();      // SIGTERM (SIGKILL after 10 s), removes the cbdir
//
// Options: { port, timeout = 60000 (ms, per start), loglevel = 'warn',
//            editConfig(config) -> config | undefined (mutate the parsed template) }
// Environment: ROUTER_DEBUG=1 copies the router output to stderr;
//              ROUTER_LOGLEVEL=info|debug|... overrides the log level;
//              ROUTER_KEEP=1 keeps the cbdir (config.json, router.log) after stop().
//
// Every router started by this process is SIGKILLed (whole process group) when
// the process exits, including on uncaught errors and on SIGINT/SIGTERM/SIGHUP
// (when nothing else listens for the signal, the helper kills the routers and
// re-raises it; otherwise the other listener decides and the exit hook cleans up).
// On Linux the router also gets PR_SET_PDEATHSIG=SIGKILL, so it dies with the
// Node.js thread that started it even if Node itself is SIGKILLed (start routers
// from the main thread, not from a worker_thread that may end earlier).
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { ensureRouter } = require('./install-router');

const REALM = 'realm1';
const HOST = '127.0.0.1';
const WS_PATH = '/ws';
const TEMPLATE = path.join(__dirname, 'crossbar-config.json');
const LOG_NAME = 'router.log';
const STOP_GRACE_MS = 10000;
const DEFAULT_TIMEOUT_MS = 60000;
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Finds a free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
function freePort(host = HOST) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

// ---------------------------------------------------------------------------
// process-group bookkeeping

// State letter of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat file, and
// the fields after it ("pid (comm) state ppid pgrp ...": comm may contain
// spaces and parens).
function readStat(file) {
  try {
    const stat = fs.readFileSync(file, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // gone meanwhile
  }
}

// A zombie thread-group leader may still have live threads that hold the
// process's files (e.g. its listening socket): only when every thread is a
// zombie is the process really dead.
function processDead(pid, state) {
  if (state !== 'Z' && state !== 'X') return false;
  let tids;
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return tids.every((tid) => {
    const f = readStat(`/proc/${pid}/task/${tid}/stat`);
    return !f || f[0] === 'Z' || f[0] === 'X';
  });
}

// Live pids whose process group is `pgid`. Linux: via /proc. Elsewhere:
// [pgid] while kill(-pgid, 0) succeeds.
function groupMembers(pgid) {
  if (process.platform !== 'linux') {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const pids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = readStat(`/proc/${name}/stat`);
    if (f && Number(f[2]) === pgid && !processDead(name, f[0])) pids.push(Number(name));
  }
  return pids;
}

// Is `pid` a live process? (Not a zombie whose threads have all exited: orphaned
// zombies may be reaped late, and a zombie leader may still hold sockets.)
function processAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code === 'ESRCH') return false;
    throw err;
  }
  if (process.platform !== 'linux') return true;
  const f = readStat(`/proc/${pid}/stat`);
  return !!f && !processDead(pid, f[0]);
}

// Linux: is some socket still listening on 127.0.0.1:port? (/proc/net/tcp,
// state 0A = LISTEN). Elsewhere: assume not.
function portListening(port) {
  if (process.platform !== 'linux') return false;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  try {
    return fs
      .readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .some((line) => {
        const f = line.trim().split(/\s+/);
        return f[3] === '0A' && (f[1] === `0100007F:${hexPort}` || f[1] === `00000000:${hexPort}`);
      });
  } catch {
    return false;
  }
}

function signalGroup(pgid, leaderAlive, signal) {
  if (leaderAlive) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // already gone
    }
    return;
  }
  // The leader is dead and reaped, so the group id may be reused one day:
  // signal the surviving members one by one instead of the whole group.
  for (const pid of groupMembers(pgid)) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const liveRouters = new Set();
let cleanupInstalled = false;

function killAllSync() {
  for (const router of liveRouters) router._killSync();
  liveRouters.clear();
}

function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  // 'exit' also runs after an uncaught exception or unhandled rejection
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const handler = () => {
      // If someone else handles the signal, they decide whether the process
      // ends (and the 'exit' hook then kills the routers). Otherwise kill the
      // routers and die of the signal, as the process would without us.
      if (process.listenerCount(sig) > 1) return;
      killAllSync();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

// ---------------------------------------------------------------------------
// readiness probe: WebSocket upgrade + WAMP HELLO/WELCOME over raw `net`

function wsFrame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = 0x80 | len;
  else if (len < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

// Parses one unmasked server frame from buf; returns { opcode, payload, rest } or null.
function parseFrame(buf) {
  if (buf.length < 2) return null;
  const opcode = buf[0] & 0x0f;
  let len = buf[1] & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  if (buf[1] & 0x80) off += 4; // servers do not mask, but be lenient
  if (buf.length < off + len) return null;
  return { opcode, payload: buf.subarray(off, off + len), rest: buf.subarray(off + len) };
}

/**
 * Checks that a WAMP router accepts sessions at ws://host:port/ws: does the
 * WebSocket upgrade with subprotocol wamp.2.json (expects 101 and the echoed
 * subprotocol), sends HELLO for `realm`, expects WELCOME, then says GOODBYE
 * and closes. Resolves { sessionId, headers } or rejects with the reason.
 */
function probeWamp(port, { host = HOST, realm = REALM, timeout = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let headers = null;
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        sock.destroy();
        reject(err);
        return;
      }
      // polite teardown: GOODBYE, then WebSocket close 1000, then FIN
      try {
        sock.write(wsFrame(0x1, JSON.stringify([6, {}, 'wamp.close.close_realm'])));
        sock.end(wsFrame(0x8, Buffer.from([0x03, 0xe8])));
      } catch {
        // ignore
      }
      setTimeout(() => sock.destroy(), 200).unref();
      resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`no WAMP WELCOME within ${timeout} ms`)), timeout);
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error('connection closed by the router before WELCOME')));
    sock.on('connect', () => {
      sock.write(
        `GET ${WS_PATH} HTTP/1.1\r\n` +
          `Host: ${host}:${port}\r\n` +
          'Upgrade: websocket\r\n' +
          'Connection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${key}\r\n` +
          'Sec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Protocol: wamp.2.json\r\n\r\n'
      );
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!headers) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        buf = buf.subarray(end + 4);
        const status = lines[0];
        if (!/^HTTP\/1\.1 101\b/.test(status)) return finish(new Error(`upgrade refused: ${status}`));
        headers = {};
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const accept = crypto
          .createHash('sha1')
          .update(key + WS_GUID)
          .digest('base64');
        if (headers['sec-websocket-accept'] !== accept) return finish(new Error('bad Sec-WebSocket-Accept'));
        if (headers['sec-websocket-protocol'] !== 'wamp.2.json') {
          return finish(new Error(`subprotocol not echoed: ${headers['sec-websocket-protocol']}`));
        }
        const roles = { caller: {}, callee: {}, publisher: {}, subscriber: {} };
        sock.write(wsFrame(0x1, JSON.stringify([1, realm, { roles }])));
      }
      const frame = parseFrame(buf);
      if (!frame) return;
      buf = frame.rest;
      if (frame.opcode !== 0x1) return finish(new Error(`unexpected WebSocket opcode ${frame.opcode}`));
      let msg;
      try {
        msg = JSON.parse(frame.payload.toString('utf8'));
      } catch (err) {
        return finish(new Error(`bad WAMP message: ${err.message}`));
      }
      if (msg[0] === 2) return finish(null, { sessionId: msg[1], headers });
      return finish(new Error(`expected WELCOME, got ${JSON.stringify(msg).slice(0, 300)}`));
    });
  });
}

// ---------------------------------------------------------------------------

function tailFile(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
  } catch {
    return '(no log)';
  }
}

// Runs crossbar with PR_SET_PDEATHSIG=SIGKILL (Linux), then execs it in place
// (same pid). argv: parent-pid, crossbar-executable, crossbar-args...
const PDEATHSIG_WRAPPER = [
  'import ctypes, os, signal, sys',
  'try:',
  '    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))',
  'except Exception:',
  '    pass',
  'if os.getppid() != int(sys.argv[1]):',
  '    sys.exit("parent died before the router started")',
  'os.execv(sys.argv[2], sys.argv[2:])',
].join('\n');

class CrossbarRouter {
  constructor({ port, cbdir, config, loglevel, timeout, autoPort, venv }) {
    this.host = HOST;
    this.port = port;
    this.url = `ws://${HOST}:${port}${WS_PATH}`;
    this.realm = REALM;
    this.cbdir = cbdir;
    this.logFile = path.join(cbdir, LOG_NAME);
    this.startupMs = null; // duration of the last start until WAMP-ready
    this._config = config;
    this._loglevel = loglevel;
    this._timeout = timeout;
    this._autoPort = autoPort;
    this._venv = venv;
    this._proc = null; // current ChildProcess, null when not running
    this._exited = null; // promise resolved with the child's exit
    this._listening = false; // the current process was seen accepting sessions
    this._removed = false;
  }

  /** pid of the crossbar controller process (also its process-group id), or null */
  get pid() {
    return this._proc ? this._proc.pid : null;
  }

  _prepareCbdir() {
    fs.mkdirSync(this.cbdir, { recursive: true });
    // fresh node state: keep only the log; crossbar recreates keys/node.pid
    for (const name of fs.readdirSync(this.cbdir)) {
      if (name !== LOG_NAME) fs.rmSync(path.join(this.cbdir, name), { recursive: true, force: true });
    }
    const text = JSON.stringify(this._config, null, 2).replace(/"%%PORT%%"/g, String(this.port));
    fs.writeFileSync(path.join(this.cbdir, 'config.json'), text + '\n');
  }

  _spawn() {
    const debug = process.env.ROUTER_DEBUG === '1';
    const crossbarArgs = ['start', '--cbdir', this.cbdir, '--loglevel', this._loglevel, '--color', 'false'];
    let cmd = this._venv.crossbar;
    let args = crossbarArgs;
    if (process.platform === 'linux') {
      cmd = this._venv.python;
      args = ['-S', '-c', PDEATHSIG_WRAPPER, String(process.pid), this._venv.crossbar, ...crossbarArgs];
    }
    fs.appendFileSync(this.logFile, `--- ${new Date().toISOString()} crossbar ${crossbarArgs.join(' ')}\n`);
    const logFd = fs.openSync(this.logFile, 'a');
    let proc;
    try {
      proc = spawn(cmd, args, {
        cwd: this.cbdir,
        detached: true, // own process group (and session): signal it as -pid
        stdio: debug ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      });
    } finally {
      if (!debug) fs.closeSync(logFd);
    }
    if (debug) {
      const log = fs.createWriteStream(this.logFile, { flags: 'a' });
      const prefix = `[router:${this.port}] `;
      for (const stream of [proc.stdout, proc.stderr]) {
        let partial = '';
        stream.setEncoding('utf8');
        stream.on('data', (text) => {
          log.write(text);
          const lines = (partial + text).split('\n');
          partial = lines.pop();
          for (const line of lines) if (line.trim()) process.stderr.write(prefix + line + '\n');
        });
        stream.on('end', () => partial.trim() && process.stderr.write(prefix + partial + '\n'));
        stream.unref?.();
      }
      proc.on('close', () => log.end());
    }
    proc.unref(); // a forgotten router must not keep the test process alive (exit cleanup kills it)
    this._proc = proc;
    this._exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => resolve({ code, signal }));
      proc.on('error', (err) => resolve({ code: null, signal: null, error: err }));
    });
    return proc;
  }

  // Starts crossbar and resolves once a WAMP session can join; rejects (after
  // killing it) on early exit or timeout.
  async _launch() {
    const t0 = Date.now();
    const deadline = t0 + this._timeout;
    const proc = this._spawn();
    let exitInfo = null;
    this._exited.then((info) => {
      exitInfo = info;
    });
    let lastError = null;
    while (Date.now() < deadline) {
      if (exitInfo) break;
      try {
        await probeWamp(this.port, { timeout: Math.max(1000, Math.min(5000, deadline - Date.now())) });
        this._listening = true;
        this.startupMs = Date.now() - t0;
        return;
      } catch (err) {
        lastError = err;
      }
      await sleep(50);
    }
    if (exitInfo) {
      await this._reapGroup(5000);
      const addressInUse = /Address already in use/.test(tailFile(this.logFile, 400));
      const how = exitInfo.error
        ? `could not be started: ${exitInfo.error.message}`
        : `exited early (code ${exitInfo.code}, signal ${exitInfo.signal})` +
          (addressInUse ? `: port ${this.port} is already in use` : '');
      const err = new Error(
        `Crossbar router on port ${this.port} ${how}\n--- ${this.logFile} (tail) ---\n${tailFile(this.logFile)}`
      );
      err.addressInUse = addressInUse;
      throw err;
    }
    await this._terminate('SIGKILL', 0);
    throw new Error(
      `Crossbar router on port ${this.port} (pid ${proc.pid}) not ready within ${this._timeout} ms ` +
        `(last probe: ${lastError && lastError.message})\n--- ${this.logFile} (tail) ---\n${tailFile(this.logFile)}`
    );
  }

  async _start() {
    // an auto-picked port may be grabbed by someone else before crossbar binds
    // it: pick another one; a fixed port that is taken stays taken
    const tries = this._autoPort ? 3 : 1;
    for (let attempt = 1; ; attempt++) {
      this._prepareCbdir();
      try {
        await this._launch();
        return;
      } catch (err) {
        if (!err.addressInUse || attempt >= tries) throw err;
        if (this._autoPort) {
          this.port = await freePort();
          this.url = `ws://${HOST}:${this.port}${WS_PATH}`;
        }
      }
    }
  }

  // Waits until the leader has exited, no member of its process group is
  // alive and nothing listens on the port any more.
  async _reapGroup(ms) {
    const proc = this._proc;
    const checkPort = this._listening; // only a router that was ready owned the port
    if (!proc) return true;
    const deadline = Date.now() + ms;
    let leaderGone = false;
    this._exited.then(() => {
      leaderGone = true;
    });
    for (;;) {
      await sleep(0);
      if (leaderGone && groupMembers(proc.pid).length === 0 && !(checkPort && portListening(this.port))) {
        this._proc = null;
        this._listening = false;
        return true;
      }
      if (Date.now() >= deadline) return false;
      await sleep(25);
    }
  }

  async _terminate(signal, graceMs) {
    const proc = this._proc;
    if (!proc) return;
    signalGroup(proc.pid, proc.exitCode === null && proc.signalCode === null, signal);
    if (await this._reapGroup(graceMs)) return;
    signalGroup(proc.pid, proc.exitCode === null && proc.signalCode === null, 'SIGKILL');
    if (!(await this._reapGroup(10000))) {
      throw new Error(`Crossbar router process group ${proc.pid} did not die after SIGKILL`);
    }
  }

  _killSync() {
    const proc = this._proc;
    if (proc) signalGroup(proc.pid, proc.exitCode === null && proc.signalCode === null, 'SIGKILL');
    this._removeCbdir();
  }

  _removeCbdir() {
    if (this._removed || process.env.ROUTER_KEEP === '1') return;
    this._removed = true;
    try {
      fs.rmSync(this.cbdir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }

  /** SIGTERM the router's process group, SIGKILL after 10 s; then remove the cbdir. */
  async stop() {
    await this._terminate('SIGTERM', STOP_GRACE_MS);
    this._removeCbdir();
    liveRouters.delete(this);
  }

  /** SIGKILL the router's process group at once (simulated crash); keeps port and cbdir for restart(). */
  async kill() {
    await this._terminate('SIGKILL', 0);
  }

  /** (Stop if running, then) start again on the same port with fresh node state; resolves when ready. */
  async restart() {
    await this._terminate('SIGTERM', STOP_GRACE_MS);
    this._removed = false;
    liveRouters.add(this);
    const port = this.port;
    this._autoPort = false; // same port, always
    await this._start();
    if (this.port !== port) throw new Error('internal: port changed on restart');
  }
}

/**
 * Starts a Crossbar.io router on a free loopback port and resolves when it
 * accepts WAMP sessions. See the top of this file for options.
 * @returns {Promise<CrossbarRouter>} { url, port, realm, cbdir, pid, logFile, startupMs, stop(), kill(), restart() }
 */
async function startCrossbar(opts = {}) {
  const venv = ensureRouter({ quiet: true });
  let config = JSON.parse(fs.readFileSync(TEMPLATE, 'utf8'));
  if (typeof opts.editConfig === 'function') config = opts.editConfig(config) || config;
  const autoPort = opts.port == null;
  const port = autoPort ? await freePort() : Number(opts.port);
  const cbdir = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-router-'));
  const router = new CrossbarRouter({
    port,
    cbdir,
    config,
    venv,
    autoPort,
    loglevel: opts.loglevel || process.env.ROUTER_LOGLEVEL || 'warn',
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

module.exports = {
  startCrossbar,
  CrossbarRouter,
  startRouter: startCrossbar,
  freePort,
  probeWamp,
  groupMembers,
  processAlive,
  installCleanup,
  liveRouters,
  REALM,
  TEMPLATE,
};
