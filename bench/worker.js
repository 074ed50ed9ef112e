// One benchmark client in its own Node process, driven by bench/run.js over the fork IPC
// channel, so that process.cpuUsage() (all threads: JS, the engine's I/O thread, GC) is this
// client's own.
//
//   parent -> {cmd: 'init', impl: 'ours'|'ref', serializer, url, realm, scenario, role, params}
//   worker -> {type: 'ready'}                      connected, registered/subscribed, warmed up
//   parent -> {cmd: 'start'}                       start of the measured window
//   worker -> {type: 'started'}                    (passive roles) / {type: 'done', ...} (active)
//   parent -> {cmd: 'stop'}                        (passive roles) end of the window
//   worker -> {type: 'stopped', cpu, count, ...}
//   parent -> {cmd: 'exit'}
//
// Role 'sessions' (router-memory, bench/run.js --router): init opens params.sessions sessions and
// answers {type: 'ready'}; start subscribes each of them to params.subscriptions_per_session
// topics of its own and answers {type: 'done'}; exit closes them all.
//
// impl 'ours' loads this repository's package; 'ref' loads Autobahn|JS 26.3.1 (npm alias
// autobahn-reference), which needs a global WebSocket (Node 22+, or Node 20 with
// --experimental-websocket; bench/run.js passes the flag).
'use strict';

const path = require('node:path');
const { performance } = require('node:perf_hooks');

const TOPIC = 'bench.pubsub';
const ECHO = 'bench.echo';
const STREAM = 'bench.progressive';

let autobahn = null;
let connection = null;
let session = null;
let cfg = null;

// passive-side counters
let count = 0;
let expected = 0;
let cpu0 = null;
let t0 = 0;

function send(msg) {
  process.send(msg);
}

function fail(err) {
  send({ type: 'error', message: String((err && err.stack) || err) });
  setTimeout(() => process.exit(1), 100);
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

function load(impl) {
  if (impl === 'ours') return require(path.join(__dirname, '..'));
  if (impl === 'ref') {
    if (typeof globalThis.WebSocket !== 'function') {
      throw new Error('Autobahn|JS needs a global WebSocket: run Node 22+ or Node 20 with --experimental-websocket');
    }
    return require('autobahn-reference');
  }
  throw new Error(`unknown impl ${impl}`);
}

function serializers(name) {
  const S = autobahn.serializer;
  if (name === 'json') return [new S.JSONSerializer()];
  if (name === 'msgpack') {
    if (!S.MsgpackSerializer) throw new Error('MsgpackSerializer not available');
    return [new S.MsgpackSerializer()];
  }
  if (name === 'cbor') return [new S.CBORSerializer()];
  throw new Error(`unknown serializer ${name}`);
}

// Opens one connection; resolves { connection, session } once the session has joined.
function openSession() {
  return new Promise((resolve, reject) => {
    const transport =
      cfg.transport === 'rawsocket'
        ? { type: 'rawsocket', host: '127.0.0.1', port: cfg.port, serializers: serializers(cfg.serializer) }
        : { type: 'websocket', url: cfg.url, serializers: serializers(cfg.serializer) };
    const c = new autobahn.Connection({
      url: cfg.url,
      realm: cfg.realm,
      transports: [transport],
      serializers: serializers(cfg.serializer),
      max_retries: 0,
    });
    let joined = false;
    c.onopen = (s) => {
      joined = true;
      resolve({ connection: c, session: s });
    };
    c.onclose = (reason, details) => {
      if (!joined) reject(new Error(`connection failed: ${reason} ${JSON.stringify(details)}`));
      return true;
    };
    c.open();
  });
}

async function connect() {
  const opened = await openSession();
  connection = opened.connection;
  return opened.session;
}

// --crossings (ours only): count the crossings between JavaScript and the engine: native
// send() calls (commands out) and _onBatch() calls (event batches in).
const crossings = { sends: 0, send_chars: 0, batches: 0, batch_chars: 0 };
function countCrossings() {
  const native = connection._native;
  const send = native.send;
  native.send = function (serial, text) {
    crossings.sends++;
    crossings.send_chars += text.length;
    return send.call(this, serial, text);
  };
  const onBatch = connection._onBatch;
  connection._onBatch = function (batch) {
    crossings.batches++;
    crossings.batch_chars += batch.length;
    return onBatch.call(this, batch);
  };
}
function takeCrossings() {
  const c = { ...crossings };
  crossings.sends = crossings.send_chars = crossings.batches = crossings.batch_chars = 0;
  return c;
}

function protocol() {
  const info = connection.transport && connection.transport.info;
  return info ? info.protocol : null;
}

// CPU seconds per thread name (/proc/self/task/*/stat): the JS main thread ("node"), the
// engine's I/O thread ("autobahn-io"), V8/libuv helpers. Linux only; a diagnostic.
const fs = require('node:fs');
function threadCpu() {
  const m = {};
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const s = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')).replace(/[0-9]+$/, '#');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      m[comm] = (m[comm] || 0) + Number(f[11]) + Number(f[12]);
    }
  } catch {
    // not Linux
  }
  return m;
}
function threadCpuSince(a) {
  const b = threadCpu();
  const out = {};
  for (const k of Object.keys(b)) {
    const d = b[k] - (a[k] || 0);
    if (d > 0) out[k] = d * 10000; // clock ticks (100/s) -> µs
  }
  return out;
}
let threads0 = {};

const cpuNow = () => {
  threads0 = threadCpu();
  return process.cpuUsage();
};
const cpuSince = (c) => {
  const d = process.cpuUsage(c);
  return { user: d.user, system: d.system, total: d.user + d.system, threads: threadCpuSince(threads0) };
};

// --cpu-prof (bench/run.js): a V8 CPU profile of this process's JS thread over the measured
// window only, written to cfg.profile.file
let profiler = null;
async function profileStart() {
  if (!cfg.profile) return;
  const inspector = require('node:inspector/promises');
  profiler = new inspector.Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: cfg.profile.interval_us });
  await profiler.post('Profiler.start');
}
async function profileStop() {
  if (!profiler) return;
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = null;
  fs.writeFileSync(cfg.profile.file, JSON.stringify(profile));
}

function makeString(n) {
  // printable ASCII, not one repeated character
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const chunk = Array.from({ length: 4096 }, (_, i) => alphabet[(i * 7919 + 13) % alphabet.length]).join('');
  return chunk.repeat(Math.ceil(n / chunk.length)).slice(0, n);
}

function makeBinary(n) {
  const b = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

// Length of an echoed large value: a string, a Buffer/Uint8Array, or (Autobahn|JS under JSON)
// the {type: 'Buffer', data: [...]} object JSON.stringify made of a Buffer.
function echoedLength(v) {
  if (typeof v === 'string') return v.length;
  if (v && typeof v.length === 'number') return v.length;
  if (v && v.byteLength !== undefined) return v.byteLength;
  if (v && Array.isArray(v.data)) return v.data.length;
  return -1;
}

// ---------------------------------------------------------------------------
// passive roles: callee, subscriber

async function setupPassive() {
  const { scenario, params } = cfg;
  if (scenario === 'pubsub-throughput') {
    expected = params.events;
    await session.subscribe(TOPIC, () => {
      count++;
      if (count === expected) {
        send({ type: 'done', wallAt: performance.timeOrigin + performance.now(), count });
      }
    });
  } else if (scenario === 'progressive' || scenario === 'progressive-concurrent') {
    await session.register(STREAM, streamResults);
  } else {
    await session.register(ECHO, (args) => {
      count++;
      return args[0];
    });
  }
}

// progressive: the callee streams args[0] progressive results of a small row, then the final
// result. It yields to the event loop every `chunk` results, so that the results go out while it
// produces them instead of all at the end (neither client has backpressure on progress).
async function streamResults(args, kwargs, details) {
  const n = args[0];
  const chunk = cfg.params.chunk;
  if (!details.progress) throw new Error('progressive: the caller did not ask for progressive results');
  for (let i = 0; i < n; i++) {
    details.progress([i, 'name-' + i]);
    count++;
    if ((i + 1) % chunk === 0) await new Promise(setImmediate);
  }
  return n;
}

// ---------------------------------------------------------------------------
// active roles: caller, publisher

async function warmup() {
  const { scenario, params } = cfg;
  if (scenario === 'rpc-latency' || scenario === 'rpc-throughput') {
    for (let i = 0; i < params.warmup; i++) await session.call(ECHO, [i]);
  } else if (scenario === 'large-payload') {
    const v = params.variant === 'binary' ? makeBinary(params.size) : makeString(params.size);
    cfg.payload = v;
    for (let i = 0; i < params.warmup; i++) cfg.lastEcho = await session.call(ECHO, [v]);
  } else if (scenario === 'progressive' || scenario === 'progressive-concurrent') {
    for (let i = 0; i < params.warmup; i++) await progressiveCall(params.warmup_results, 'callback');
  } else if (scenario === 'pubsub-throughput') {
    // no warm-up events: the subscriber counts exactly params.events; a few acknowledged
    // publishes on another topic warm the publish path
    for (let i = 0; i < params.warmup; i++) await session.publish('bench.warmup', [i], {}, { acknowledge: true });
  }
}

async function runRpcLatency() {
  const n = cfg.params.calls;
  const lat = new Float64Array(n);
  const c0 = cpuNow();
  const w0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    const r = await session.call(ECHO, [i]);
    lat[i] = Number(process.hrtime.bigint() - s) / 1000;
    if (r !== i) throw new Error(`rpc-latency: bad result ${r} for ${i}`);
  }
  const wall = performance.now() - w0;
  const cpu = cpuSince(c0);
  lat.sort();
  const q = (p) => lat[Math.min(n - 1, Math.floor(p * n))];
  return {
    ops: n,
    wallMs: wall,
    cpu,
    p50_us: q(0.5),
    p90_us: q(0.9),
    p99_us: q(0.99),
    mean_us: lat.reduce((a, b) => a + b, 0) / n,
  };
}

function runRpcThroughput() {
  const { calls: n, outstanding } = cfg.params;
  return new Promise((resolve, reject) => {
    let issued = 0;
    let completed = 0;
    const c0 = cpuNow();
    const w0 = performance.now();
    const one = () => {
      const i = issued++;
      session.call(ECHO, [i]).then((r) => {
        if (r !== i) return reject(new Error(`rpc-throughput: bad result ${r} for ${i}`));
        completed++;
        if (issued < n) one();
        else if (completed === n) {
          const wall = performance.now() - w0;
          resolve({ ops: n, wallMs: wall, cpu: cpuSince(c0) });
        }
      }, reject);
    };
    for (let k = 0; k < Math.min(outstanding, n); k++) one();
  });
}

async function runPubsub() {
  const { events: n, burst } = cfg.params;
  const c0 = cpuNow();
  const w0 = performance.now();
  for (let i = 0; i < n; i++) {
    // every `burst`-th publish is acknowledged and awaited: it paces the publisher to what the
    // router takes without changing the number of events the subscriber gets
    if ((i + 1) % burst === 0 || i === n - 1) await session.publish(TOPIC, [i], {}, { acknowledge: true });
    else session.publish(TOPIC, [i]);
  }
  const wall = performance.now() - w0;
  return { ops: n, wallMs: wall, cpu: cpuSince(c0) };
}

async function runLarge() {
  // at most `echoes`, but stop after `max_s` seconds (with at least `min_echoes`): Autobahn|JS
  // under JSON turns a 1 MiB Buffer into ~3.6 MB of {"type":"Buffer","data":[...]} and manages
  // well under 1 MiB/s
  const { echoes, size, variant, max_s: maxS, min_echoes: minN } = cfg.params;
  const v = cfg.payload;
  const c0 = cpuNow();
  const w0 = performance.now();
  let n = 0;
  while (n < echoes && (n < minN || performance.now() - w0 < maxS * 1000)) {
    const r = await session.call(ECHO, [v]);
    const len = echoedLength(r);
    if (len !== size) throw new Error(`large-payload/${variant}: echoed length ${len}, expected ${size}`);
    n++;
  }
  const wall = performance.now() - w0;
  return {
    ops: n,
    wallMs: wall,
    cpu: cpuSince(c0),
    mib_per_s: (n * size) / (1 << 20) / (wall / 1000),
    echoed_type: describe(cfg.lastEcho),
  };
}

function describe(v) {
  if (v === undefined) return undefined;
  if (Buffer.isBuffer(v)) return 'Buffer';
  if (v instanceof Uint8Array) return 'Uint8Array';
  if (typeof v === 'string') return 'string';
  return v && v.constructor ? v.constructor.name : typeof v;
}

// One progressive call of n results, consumed through the when.js progress callback
// (`then(ok, err, progress)`) or, for ours, the async iterator of the call. Resolves the number of
// progressive results received; rejects if that is not n or the final result is not n.
async function progressiveCall(n, consume) {
  let received = 0;
  let final;
  if (consume === 'iterator') {
    const call = session.call(STREAM, [n], {}, { receive_progress: true });
    // eslint-disable-next-line no-unused-vars
    for await (const update of call) received++;
    final = await call;
  } else {
    final = await new Promise((resolve, reject) => {
      session.call(STREAM, [n], {}, { receive_progress: true }).then(resolve, reject, () => received++);
    });
  }
  if (received !== n || final !== n) {
    throw new Error(`progressive: ${received} progressive results and final ${final}, expected ${n}`);
  }
  return received;
}

async function runProgressive() {
  const { results: n, streams, variant } = cfg.params;
  const c0 = cpuNow();
  const w0 = performance.now();
  const counts = await Promise.all(Array.from({ length: streams }, () => progressiveCall(n, variant)));
  const wall = performance.now() - w0;
  const cpu = cpuSince(c0);
  return {
    ops: counts.reduce((a, b) => a + b, 0),
    wallMs: wall,
    cpu,
    caller_rss: process.memoryUsage().rss,
  };
}

async function runActive() {
  switch (cfg.scenario) {
    case 'rpc-latency':
      return runRpcLatency();
    case 'rpc-throughput':
      return runRpcThroughput();
    case 'pubsub-throughput':
      return runPubsub();
    case 'large-payload':
      return runLarge();
    case 'progressive':
    case 'progressive-concurrent':
      return runProgressive();
    default:
      throw new Error(`unknown scenario ${cfg.scenario}`);
  }
}

// ---------------------------------------------------------------------------
// memory: RSS of an idle connected client, then after N subscriptions on the session

function gc() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
}

async function runMemory() {
  const n = cfg.params.subscriptions;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  await sleep(500);
  gc();
  await sleep(200);
  const idle = process.memoryUsage();
  const handler = () => {};
  const pending = [];
  for (let i = 0; i < n; i++) {
    pending.push(session.subscribe(`bench.mem.t${i}`, handler));
    if (pending.length >= 1000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await sleep(500);
  gc();
  await sleep(200);
  const subs = process.memoryUsage();
  return {
    idle_rss: idle.rss,
    idle_heap_used: idle.heapUsed,
    idle_external: idle.external,
    subs_rss: subs.rss,
    subs_heap_used: subs.heapUsed,
    subs_external: subs.external,
    subscriptions: n,
  };
}

// ---------------------------------------------------------------------------
// sessions (router-memory): many sessions in this process, each with subscriptions of its own,
// for the router's memory; this process's own figures are not measured

let sessions = [];

async function openSessions() {
  const { sessions: n, concurrency } = cfg.params;
  const w0 = performance.now();
  let next = 0;
  const opener = async () => {
    while (next < n) {
      next++;
      sessions.push(await openSession());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency || 50, n) }, opener));
  return performance.now() - w0;
}

async function subscribeSessions() {
  const per = cfg.params.subscriptions_per_session;
  const handler = () => {};
  const w0 = performance.now();
  let count = 0;
  for (let i = 0; i < sessions.length; i += 50) {
    const pending = [];
    for (const [k, { session: s }] of sessions.slice(i, i + 50).entries()) {
      for (let j = 0; j < per; j++) pending.push(s.subscribe(`bench.rmem.w${cfg.index}.s${i + k}.t${j}`, handler));
    }
    count += (await Promise.all(pending)).length;
  }
  return { subscriptions: count, wallMs: performance.now() - w0 };
}

// ---------------------------------------------------------------------------

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'init') {
      cfg = msg;
      autobahn = load(cfg.impl);
      const loaded0 = process.memoryUsage().rss;
      if (cfg.role === 'sessions') {
        const joinMs = await openSessions();
        connection = sessions[0].connection;
        send({ type: 'ready', protocol: protocol(), sessions: sessions.length, join_ms: joinMs });
        return;
      }
      session = await connect();
      const proto = protocol();
      if (cfg.crossings && cfg.impl === 'ours') countCrossings();
      if (cfg.role === 'memory') {
        send({ type: 'ready', protocol: proto, loaded_rss: loaded0 });
        return;
      }
      if (cfg.role === 'passive') await setupPassive();
      else await warmup();
      send({ type: 'ready', protocol: proto });
    } else if (msg.cmd === 'start') {
      if (cfg.role === 'passive') {
        await profileStart();
        count = 0;
        takeCrossings();
        cpu0 = cpuNow();
        t0 = performance.now();
        send({ type: 'started' });
      } else if (cfg.role === 'memory') {
        send({ type: 'done', ...(await runMemory()) });
      } else if (cfg.role === 'sessions') {
        send({ type: 'done', ...(await subscribeSessions()) });
      } else {
        takeCrossings();
        await profileStart();
        const res = await runActive();
        await profileStop();
        send({ type: 'done', ...res, crossings: cfg.crossings ? takeCrossings() : undefined });
      }
    } else if (msg.cmd === 'stop') {
      const stopped = {
        type: 'stopped',
        cpu: cpuSince(cpu0),
        wallMs: performance.now() - t0,
        count,
        crossings: cfg.crossings ? takeCrossings() : undefined,
      };
      await profileStop();
      send(stopped);
    } else if (msg.cmd === 'exit') {
      for (const c of sessions.length ? sessions.map((x) => x.connection) : [connection]) {
        try {
          c.close();
        } catch {
          // ignore
        }
      }
      setTimeout(() => process.exit(0), 50);
    }
  } catch (err) {
    fail(err);
  }
});

process.on('disconnect', () => process.exit(0));
