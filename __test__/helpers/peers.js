// Test helpers: WAMP clients that this package did not write, each in its own process, driven
// by commands and observed through the messages they print.
//
//   const { PythonPeer, AutobahnJsPeer, stopAllPeers } = require('./helpers/peers');
//   const py = await PythonPeer.start({ url, realm, serializer: 'msgpack', authentication });
//   py.joined            -> {session, authid, authrole, authmethod, authprovider, serializer}
//   await py.request({ cmd: 'call', procedure, args, kwargs })   -> the reply ({ok, result | error})
//   const js = await AutobahnJsPeer.start({ url, realm, serializer: 'cbor', authmethods, ... });
//   js.joined            -> {session, details}   (Autobahn|JS onopen)
//   await peer.waitFor((m) => m.type === 'event', 'an event')
//   await stopAllPeers();
//
// PythonPeer runs __test__/python/component_peer.py (Autobahn|Python, asyncio Component API) in
// the project .venv; AutobahnJsPeer runs ./autobahn-js-peer.js (Autobahn|JS 26.3.1, the
// `autobahn-reference` dev dependency) under Node with a global WebSocket. See those files for
// the commands. Replies and printed messages keep their order in `peer.messages`. Binary values
// arrive as Buffers from both.
'use strict';

const { spawn, fork } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { deferred, withTimeout } = require('./session');
const { venvPython } = require('./router');

const ROOT = path.join(__dirname, '..', '..');
const PY_SCRIPT = path.join(__dirname, '..', 'python', 'component_peer.py');
const JS_SCRIPT = path.join(__dirname, 'autobahn-js-peer.js');
const START_MS = 30000;
const STOP_GRACE_MS = 5000;

const live = new Set();

process.on('exit', () => {
  for (const peer of live) {
    try {
      process.kill(peer.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** JSON from peer.py lines: {"$bytes": B64} -> Buffer, {"$callresult": {args, kwargs}} stays an object. */
function reviveBytes(_key, value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$bytes' && typeof value.$bytes === 'string') {
      return Buffer.from(value.$bytes, 'base64');
    }
  }
  return value;
}

/** Buffers/Uint8Arrays -> {"$bytes": B64} for a command line to the Python peer. */
function plainBytes(_key, value) {
  if (value && typeof value === 'object' && value.type === 'Buffer' && Array.isArray(value.data)) {
    return { $bytes: Buffer.from(value.data).toString('base64') };
  }
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  return value;
}

class Peer {
  constructor(label) {
    this.label = label;
    this.messages = [];
    this.stderr = '';
    this._waiters = [];
    this._nextId = 0;
    this.exited = deferred();
  }

  _track(proc) {
    this.proc = proc;
    this.pid = proc.pid;
    live.add(this);
    if (proc.stderr) {
      proc.stderr.setEncoding('utf8');
      proc.stderr.on('data', (text) => {
        this.stderr += text;
        if (process.env.PEER_DEBUG === '1') process.stderr.write(`[${this.label}] ${text}`);
      });
    }
    proc.on('exit', (code, signal) => {
      live.delete(this);
      this.exitCode = code;
      this.exitSignal = signal;
      this.exited.resolve({ code, signal });
      for (const w of this._waiters.splice(0)) {
        w.reject(
          new Error(
            `${this.label} exited (code ${code}, signal ${signal}) while waiting for ${w.what}\n${this.stderrTail()}`
          )
        );
      }
    });
  }

  get running() {
    return this.exitCode === undefined && !this.exitSignal;
  }

  stderrTail(lines = 30) {
    const text = this.stderr.trimEnd();
    return text
      ? `${this.label} stderr:\n${text.split('\n').slice(-lines).join('\n')}`
      : `${this.label} stderr: (empty)`;
  }

  _onMessage(msg) {
    if (process.env.PEER_DEBUG === '1') process.stderr.write(`[${this.label}] <- ${JSON.stringify(msg)}\n`);
    this.messages.push(msg);
    this._waiters = this._waiters.filter((w) => {
      if (!w.match(msg)) return true;
      w.resolve(msg);
      return false;
    });
  }

  /** The first message (already received or future) with match(msg) true. */
  waitFor(match, what, ms = 10000) {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    if (!this.running) return Promise.reject(new Error(`${this.label} has exited; no ${what}\n${this.stderrTail()}`));
    const d = deferred();
    this._waiters.push({ match, what, resolve: d.resolve, reject: d.reject });
    return withTimeout(d.promise, ms, `${what} from ${this.label}`).catch((e) => {
      this._waiters = this._waiters.filter((w) => w.resolve !== d.resolve);
      if (!e.message.includes('stderr')) e.message += `\n${this.stderrTail()}`;
      throw e;
    });
  }

  /** Messages matching `match`, in arrival order, once there are `n` of them. */
  async waitForCount(match, n, what, ms = 10000) {
    let seen = 0;
    await this.waitFor(
      (m) => {
        if (match(m)) seen += 1;
        return seen >= n;
      },
      `${n} x ${what}`,
      ms
    ).catch((e) => {
      e.message = `${e.message} (got ${this.messages.filter(match).length})`;
      throw e;
    });
    return this.messages.filter(match).slice(0, n);
  }

  /** Sends a command; resolves with its reply; `reply.progress` lists the progress messages before it. */
  async request(cmd, ms = 10000) {
    this._nextId += 1;
    const id = this._nextId;
    this._write({ id, ...cmd });
    const reply = await this.waitFor((m) => m.id === id && m.type === 'reply', `the reply to ${cmd.cmd} #${id}`, ms);
    const upTo = this.messages.indexOf(reply);
    reply.progress = this.messages.slice(0, upTo).filter((m) => m.id === id && m.type === 'progress');
    reply.progressAfter = this.messages.slice(upTo + 1).filter((m) => m.id === id && m.type === 'progress');
    return reply;
  }

  /** Like request(), but throws unless the reply is ok; resolves with the result. */
  async ok(cmd, ms) {
    const reply = await this.request(cmd, ms);
    if (!reply.ok) throw new Error(`${this.label} ${cmd.cmd} failed: ${JSON.stringify(reply.error)}`);
    return reply.result;
  }

  async _stopWith(ask) {
    if (!this.running) return this.exited.promise;
    ask();
    const timer = setTimeout(() => {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }, STOP_GRACE_MS);
    try {
      return await this.exited.promise;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Autobahn|Python in the project .venv (component_peer.py). */
class PythonPeer extends Peer {
  constructor(config) {
    super(`python(${config.serializer || 'json'})`);
    const proc = spawn(venvPython(), ['-u', PY_SCRIPT, JSON.stringify(config)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    proc.stdin.on('error', () => {}); // EPIPE if it died: reported via `exited`
    this._track(proc);
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line, reviveBytes);
      } catch {
        msg = { type: 'raw', line };
      }
      this._onMessage(msg);
    });
  }

  _write(cmd) {
    this.proc.stdin.write(JSON.stringify(cmd, plainBytes) + '\n');
  }

  /**
   * Starts the peer and resolves once its session joined, or (with { expectJoin: false })
   * once it either joined or finished: then `outcome` is the 'joined' or 'left' message.
   */
  static async start(config, { expectJoin = true } = {}) {
    const peer = new PythonPeer(config);
    const outcome = await peer.waitFor(
      (m) => m.type === 'joined' || m.type === 'left' || m.type === 'done',
      'the session joining',
      START_MS
    );
    peer.outcome = outcome.type === 'done' ? peer.messages.find((m) => m.type === 'left') || outcome : outcome;
    if (outcome.type === 'joined') peer.joined = outcome;
    else if (expectJoin) {
      await peer.stop();
      throw new Error(`${peer.label} did not join: ${JSON.stringify(peer.messages)}\n${peer.stderrTail()}`);
    }
    return peer;
  }

  /** Closes stdin: the peer leaves and exits (SIGKILL after a grace time). */
  stop() {
    return this._stopWith(() => this.proc.stdin.end());
  }
}

/** Autobahn|JS 26.3.1 in a Node child process (autobahn-js-peer.js). */
class AutobahnJsPeer extends Peer {
  constructor(serializer) {
    super(`autobahn-js(${serializer || 'json'})`);
    const major = Number(process.versions.node.split('.')[0]);
    const execArgv = major < 22 ? ['--experimental-websocket', '--disable-warning=ExperimentalWarning'] : [];
    const proc = fork(JS_SCRIPT, [], {
      cwd: ROOT,
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this._track(proc);
    proc.on('message', (msg) => this._onMessage(msg));
  }

  _write(cmd) {
    if (this.proc.connected) this.proc.send(cmd);
  }

  /**
   * Starts the peer and opens its connection with `options` (see autobahn-js-peer.js `connect`).
   * Resolves once onopen ran; with { expectJoin: false } also when the connection closed before
   * that: `outcome` is then {closed: {reason, details}}.
   */
  static async start(options, { expectJoin = true } = {}) {
    const peer = new AutobahnJsPeer(options.serializer);
    await peer.waitFor((m) => m.type === 'started', 'start', START_MS);
    const reply = await peer.request({ cmd: 'connect', ...options }, START_MS);
    if (reply.ok) {
      peer.joined = reply.result;
      peer.outcome = { joined: reply.result };
    } else {
      peer.outcome = { closed: reply.error.closed, error: reply.error };
      if (expectJoin) {
        await peer.stop();
        throw new Error(`${peer.label} did not join: ${JSON.stringify(reply.error)}\n${peer.stderrTail()}`);
      }
    }
    return peer;
  }

  /** Disconnects the IPC channel: the peer closes its connection and exits. */
  stop() {
    return this._stopWith(() => this.proc.disconnect());
  }
}

/** Stops every peer still running (for `after`). */
function stopAllPeers() {
  return Promise.all([...live].map((p) => p.stop()));
}

module.exports = { Peer, PythonPeer, AutobahnJsPeer, stopAllPeers };
