#!/usr/bin/env node
// Benchmark: this package ("ours") against Autobahn|JS 26.3.1 ("ref", npm alias
// autobahn-reference) on the same router, in the same run, alternating, each client in its own
// Node process; Crossbar.io alone, or (--router) the embedded router and Crossbar.io. See
// bench/README.md.
//
//   npm run bench -- --router both                  both clients through both routers, with the
//                                                   transport floor (1 repetition, ~8 min)
//   npm run bench -- --router both --smoke          the same with tiny counts (seconds; for CI)
//   npm run bench                                   the clients on Crossbar.io (3 repetitions)
//   npm run bench -- --quick                        smaller counts, 1 repetition
//   npm run bench -- --scenario rpc-throughput,pubsub-throughput --serializer msgpack
//   npm run bench -- --impl ours --cpu-prof         profile our client workers (bench/profiles/)
//   npm run bench -- --router both --impl ours      the embedded router against Crossbar.io
//
// Options:
//   --quick                 smaller counts, --repeat 1
//   --smoke                 tiny counts, --repeat 1, json only (unless --serializer), no waiting
//                           for a quiet machine: checks that every scenario runs and reports (its
//                           figures mean nothing)
//   --repeat N              repetitions of every measurement (the table shows medians; default 3,
//                           1 with --router and both clients)
//   --scenario a,b          rpc-latency, rpc-throughput, pubsub-throughput, large-payload,
//                           progressive (one call streaming 100,000 progressive results; callback,
//                           and for ours the async iterator too), progressive-concurrent (10 such
//                           calls at once), memory, ws-echo (the transport floor: bench/ws-echo.rs,
//                           a WebSocket echo with no WAMP), router-memory (with --router). Default:
//                           all but router-memory with --router and both clients; rpc-latency,
//                           rpc-throughput, pubsub-throughput, large-payload, memory without --router
//   --concurrent-results N  progressive results per call in progressive-concurrent (default 10,000)
//   --serializer a,b        json, msgpack (default both; cbor works too)
//   --transport T           websocket (default) or rawsocket (TCP, same router port; Autobahn|JS's
//                           RawSocket speaks JSON only)
//   --impl a,b              ours, ref (default both)
//   --max-busy X            wait before each measurement until the machine's other load is below X
//                           busy cores, sampled over 1 s (default 0.7)
//   --max-wait S            ... but at most S seconds per measurement (default 30)
//   --out FILE              JSON lines (default bench/results/bench-<timestamp>.jsonl)
//   --cpu-prof[=ours|ref|both]  V8 CPU profiles of the workers' JS thread over the measured window
//                           (bench/profiles/; node bench/profile-summary.js sums them up)
//   --crossings             count JS<->engine crossings per operation (ours; a diagnostic)
//   --no-bootstrap          do not install/build anything first (the addon must exist)
//   --router [R]            through which routers: embedded (this package's router,
//                           bin/autobahn-router.js, a process of its own), crossbar, or both (the
//                           default), alternating. With both clients (the default) every scenario
//                           and the table shows ours / Autobahn|JS per router; with --impl ours
//                           the routers are compared (embedded / Crossbar.io) on rpc-throughput,
//                           pubsub-throughput, rpc-latency and router-memory (1,000 sessions with
//                           10 subscriptions each)
'use strict';

const { fork, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const WORKER = path.join(__dirname, 'worker.js');
const MIB = 1 << 20;

// ---------------------------------------------------------------------------
// options

const SCENARIOS = [
  'rpc-latency',
  'rpc-throughput',
  'pubsub-throughput',
  'large-payload',
  'progressive',
  'progressive-concurrent',
  'memory',
  'ws-echo',
];
// without --router: the scenarios run by default (the clients on Crossbar.io, as before the others)
const DEFAULT_SCENARIOS = ['rpc-latency', 'rpc-throughput', 'pubsub-throughput', 'large-payload', 'memory'];
// --router: the routers compared, and the scenarios run by default with our client alone
const ROUTERS = ['embedded', 'crossbar'];
const ROUTER_SCENARIOS = ['rpc-throughput', 'pubsub-throughput', 'rpc-latency', 'router-memory'];
// --router with both clients (the default): every client scenario through each router, and the floor
const CLIENT_ROUTER_SCENARIOS = SCENARIOS.slice();
// scenarios that measure no WAMP client and no router: run once per repetition and serializer-free
const FLOOR = 'ws-echo';
const ROUTER_NAMES = { embedded: 'embedded', crossbar: 'Crossbar.io' };

function parseArgs(argv) {
  const o = {
    quick: false,
    smoke: false,
    repeat: null,
    concurrentResults: null,
    scenarios: DEFAULT_SCENARIOS.slice(),
    serializers: ['json', 'msgpack'],
    transport: 'websocket',
    impls: ['ours', 'ref'],
    maxBusy: 0.7,
    maxWait: 30,
    out: null,
    cpuProf: null,
    bootstrap: true,
    routers: null, // --router: ['embedded', 'crossbar'] or one of them
  };
  let scenariosGiven = false;
  let serializersGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline !== undefined ? inline : argv[++i];
      if (v === undefined) usage(`${name} needs a value`);
      return v;
    };
    const list = () =>
      value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    switch (name) {
      case '--quick':
        o.quick = true;
        break;
      case '--smoke':
        o.smoke = true;
        break;
      case '--concurrent-results':
        o.concurrentResults = Number(value());
        if (!Number.isInteger(o.concurrentResults) || o.concurrentResults < 1)
          usage('--concurrent-results must be a positive integer');
        break;
      case '--repeat':
        o.repeat = Number(value());
        if (!Number.isInteger(o.repeat) || o.repeat < 1) usage('--repeat must be a positive integer');
        break;
      case '--scenario':
      case '--scenarios':
        o.scenarios = list();
        scenariosGiven = true;
        for (const s of o.scenarios) {
          if (!SCENARIOS.includes(s) && !ROUTER_SCENARIOS.includes(s)) usage(`unknown scenario ${s}`);
        }
        break;
      case '--transport':
        o.transport = value();
        if (!['websocket', 'rawsocket'].includes(o.transport)) usage(`unknown transport ${o.transport}`);
        break;
      case '--serializer':
      case '--serializers':
        o.serializers = list();
        serializersGiven = true;
        for (const s of o.serializers) if (!['json', 'msgpack', 'cbor'].includes(s)) usage(`unknown serializer ${s}`);
        break;
      case '--impl':
        o.impls = list();
        for (const s of o.impls) if (!['ours', 'ref'].includes(s)) usage(`unknown impl ${s}`);
        break;
      case '--max-busy':
        o.maxBusy = Number(value());
        break;
      case '--max-wait':
        o.maxWait = Number(value());
        o.maxWaitGiven = true;
        break;
      case '--out':
        o.out = path.resolve(value());
        break;
      case '--cpu-prof':
        o.cpuProf = inline === undefined ? 'ours' : inline;
        if (!['ours', 'ref', 'both'].includes(o.cpuProf)) usage('--cpu-prof=ours|ref|both');
        break;
      case '--crossings':
        o.crossings = true;
        break;
      case '--no-bootstrap':
        o.bootstrap = false;
        break;
      case '--router': {
        // the value is optional: --router alone means both
        let v = inline;
        if (v === undefined && ['embedded', 'crossbar', 'both'].includes(argv[i + 1])) v = argv[++i];
        if (v === undefined) v = 'both';
        if (!['embedded', 'crossbar', 'both'].includes(v)) usage('--router embedded|crossbar|both');
        o.routers = v === 'both' ? ROUTERS.slice() : [v];
        break;
      }
      case '--help':
      case '-h':
        usage(null);
        break;
      default:
        usage(`unknown argument ${argv[i]}`);
    }
  }
  if (o.smoke) {
    // seconds, for CI: tiny counts, no waiting for a quiet machine
    o.quick = true;
    if (o.maxWaitGiven !== true) o.maxWait = 0;
    if (!serializersGiven) o.serializers = ['json'];
  }
  if (o.repeat == null) o.repeat = o.quick || (o.routers && o.impls.length > 1) ? 1 : 3;
  if (o.routers) {
    // both clients through each router (the default), or, with --impl ours alone, the routers'
    // own comparison (router-memory instead of the client's memory)
    if (!scenariosGiven) o.scenarios = o.impls.length > 1 ? CLIENT_ROUTER_SCENARIOS.slice() : ROUTER_SCENARIOS.slice();
  } else if (o.scenarios.includes('router-memory')) {
    usage('router-memory needs --router');
  }
  return o;
}

function usage(err) {
  const text0 = fs.readFileSync(__filename, 'utf8');
  const text = text0
    .split('\n')
    .slice(1, text0.split('\n').indexOf("'use strict';"))
    .map((l) => l.replace(/^\/\/ ?/, ''))
    .join('\n');
  if (err) process.stderr.write(`bench: ${err}\n\n`);
  (err ? process.stderr : process.stdout).write(text + '\n');
  process.exit(err ? 2 : 0);
}

// Counts per scenario: full, --quick, --smoke (a few seconds in all, for CI: it checks that every
// scenario runs and reports, its figures mean nothing).
function params(scenario, opts) {
  const pick = (full, quick, smoke) => (opts.smoke ? smoke : opts.quick ? quick : full);
  switch (scenario) {
    case 'rpc-latency':
      return { calls: pick(5000, 1000, 100), warmup: pick(500, 200, 20) };
    case 'rpc-throughput':
      return { calls: pick(50000, 10000, 1000), outstanding: 100, warmup: pick(2000, 500, 50) };
    case 'pubsub-throughput':
      return { events: pick(100000, 20000, 2000), burst: 1000, warmup: pick(50, 50, 5) };
    case 'large-payload':
      return {
        echoes: pick(50, 10, 2),
        size: MIB,
        warmup: pick(3, 3, 1),
        max_s: pick(10, 4, 2),
        min_echoes: pick(5, 5, 2),
      };
    case 'progressive':
      // one call, 100,000 progressive results of a small row, then the final result
      return {
        results: pick(100000, 20000, 1000),
        streams: 1,
        chunk: 1000,
        warmup: 3,
        warmup_results: pick(1000, 1000, 100),
      };
    case 'progressive-concurrent':
      // 10 such calls at once, 10,000 results each by default (--concurrent-results): 10 x 100,000
      // would take 1-2 min per measurement through Crossbar.io (~10,000 results/s)
      return {
        results: opts.concurrentResults || pick(10000, 2000, 100),
        streams: 10,
        chunk: 1000,
        warmup: 3,
        warmup_results: pick(1000, 1000, 100),
      };
    case 'ws-echo':
      // the transport floor (bench/ws-echo.rs), in the shapes of the WAMP scenarios: 40-byte text
      // messages echoed with 100 outstanding (rpc-throughput), a one-way stream of 40-byte text
      // messages with an echo every 1,000th (pubsub-throughput), 1 MiB binary echoes (large-payload)
      return {
        rpc: { size: 40, count: pick(50000, 10000, 1000), window: 100, burst: 1, kind: 'text' },
        pubsub: { size: 40, count: pick(100000, 20000, 2000), window: 1, burst: 1000, kind: 'text' },
        large: { size: MIB, count: pick(50, 10, 2), window: 1, burst: 1, kind: 'binary' },
      };
    case 'memory':
      return { subscriptions: pick(10000, 10000, 1000) };
    case 'router-memory':
      // 1,000 sessions over 4 client processes, 10 subscriptions (topics of their own) each
      return {
        sessions: pick(1000, 1000, 40),
        processes: pick(4, 4, 2),
        subscriptions_per_session: 10,
        concurrency: 50,
        settle_ms: pick(1500, 1500, 300),
      };
    default:
      throw new Error(scenario);
  }
}

// ---------------------------------------------------------------------------
// machine state

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number((r.stdout || '').trim());
  return n > 0 ? n : 100;
})();

function readStatFields(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' '); // fields from "state" on
  } catch {
    return null;
  }
}

// All live descendants of pid (including pid): crossbar's controller and its router worker.
function processTree(root) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = readStatFields(name);
    if (!f) continue;
    const ppid = Number(f[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    for (const c of children.get(p) || []) stack.push(c);
  }
  return out;
}

// CPU seconds (user+system) used so far by each process of the tree, by pid.
function treeCpu(pids) {
  const m = new Map();
  for (const pid of pids) {
    const f = readStatFields(pid);
    if (f) m.set(pid, (Number(f[11]) + Number(f[12])) / CLK_TCK); // utime, stime
  }
  return m;
}

// The same, precise: nanoseconds on CPU (sum_exec_runtime, /proc/<pid>/task/<tid>/schedstat) of
// every thread of the tree, by thread. /proc/<pid>/stat counts in clock ticks (10 ms), which is
// coarse for the embedded router: it routes 50,000 calls in ~250 ms of CPU. Threads that end
// within the window are missed (the routers' threads live as long as the router).
function treeExec(pids) {
  const m = new Map();
  for (const pid of pids) {
    let tids;
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        if (Number.isFinite(ns)) m.set(`${pid}/${tid}`, ns / 1e9);
      } catch {
        // gone, or no schedstat
      }
    }
  }
  return m;
}

function cpuDelta(a, b) {
  let sum = 0;
  for (const [pid, v] of b) sum += v - (a.get(pid) || 0);
  return sum;
}

// Resident memory (VmRSS) of each process of the tree, in bytes: { total, largest }.
function treeRss(pids) {
  let total = 0;
  let largest = 0;
  for (const pid of pids) {
    let kib = 0;
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib = m ? Number(m[1]) : 0;
    } catch {
      // gone
    }
    total += kib * 1024;
    largest = Math.max(largest, kib * 1024);
  }
  return { total, largest };
}

function procStatTotals() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] || 0);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle, total };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function busyCores(ms = 1000) {
  const a = procStatTotals();
  await sleep(ms);
  const b = procStatTotals();
  const dt = b.total - a.total;
  return dt > 0 ? ((dt - (b.idle - a.idle)) / dt) * os.cpus().length : 0;
}

function loadavg() {
  return fs.readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).map(Number);
}

// Waits (at most maxWait s) until the machine is quiet: fewer than maxBusy cores busy over a
// 1 s sample, taken while none of our clients run and the router idles. The 1-minute load
// average is recorded too, but not waited on: our own previous measurement keeps it near 2 for
// a minute or more.
async function waitQuiet(opts) {
  const t0 = Date.now();
  // --smoke: a short sample, recorded only
  let busy = await busyCores(opts.smoke ? 100 : 1000);
  let announced = false;
  while (busy > opts.maxBusy && Date.now() - t0 < opts.maxWait * 1000) {
    if (!announced) {
      process.stdout.write(`    (machine busy: ${busy.toFixed(2)} cores, load ${loadavg().join(' ')}; waiting)\n`);
      announced = true;
    }
    await sleep(1000);
    busy = await busyCores();
  }
  return {
    busy_cores: round(busy, 2),
    loadavg: loadavg(),
    waited_s: round((Date.now() - t0) / 1000, 1),
    quiet: busy <= opts.maxBusy,
  };
}

// ---------------------------------------------------------------------------
// workers

const LIVE = new Set();

function execArgvFor(impl, opts, extra = []) {
  const args = [...extra];
  const major = Number(process.versions.node.split('.')[0]);
  if (impl === 'ref' && major < 22) args.push('--experimental-websocket', '--disable-warning=ExperimentalWarning');
  return args;
}

// --cpu-prof: the worker profiles its JS thread over the measured window only (not its start-up,
// connect and warm-up), sampling every 100 µs, into this file
function profileFor(impl, opts, role) {
  if (!opts.cpuProf || (opts.cpuProf !== 'both' && opts.cpuProf !== impl)) return undefined;
  const dir = path.join(__dirname, 'profiles');
  fs.mkdirSync(dir, { recursive: true });
  const name = `${impl}-${opts._runTag}-${role}-${process.hrtime.bigint()}.cpuprofile`;
  return { file: path.join(dir, name), interval_us: 100 };
}

class Worker {
  constructor(impl, opts, extraArgv, role) {
    this.impl = impl;
    this.profile = profileFor(impl, opts, role);
    this.proc = fork(WORKER, [], {
      cwd: ROOT,
      execArgv: execArgvFor(impl, opts, extraArgv),
      // output kept aside (Autobahn|JS logs every connection close); shown if the worker fails
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, AUTOBAHN_DEBUG: '' },
    });
    LIVE.add(this.proc);
    this.output = '';
    const keep = (chunk) => {
      this.output = (this.output + chunk).slice(-4000);
    };
    this.proc.stdout.setEncoding('utf8').on('data', keep);
    this.proc.stderr.setEncoding('utf8').on('data', keep);
    this.queue = [];
    this.waiters = [];
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        LIVE.delete(this.proc);
        this._push({ type: 'exit', code, signal });
        resolve();
      });
    });
    this.proc.on('message', (m) => this._push(m));
  }

  _push(m) {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.queue.push(m);
  }

  next(timeoutMs) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`${this.impl} worker: no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const done = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push(done);
    });
  }

  async expect(type, timeoutMs) {
    const m = await this.next(timeoutMs);
    const tail = () => (this.output.trim() ? `\n--- worker output (tail) ---\n${this.output.trim()}` : '');
    if (m.type === 'error') throw new Error(`${this.impl} worker failed: ${m.message}${tail()}`);
    if (m.type === 'exit') throw new Error(`${this.impl} worker exited (code ${m.code}, signal ${m.signal})${tail()}`);
    if (m.type !== type) throw new Error(`${this.impl} worker: expected ${type}, got ${JSON.stringify(m)}`);
    return m;
  }

  send(m) {
    if (this.proc.connected) this.proc.send(m);
  }

  async end() {
    this.send({ cmd: 'exit' });
    const t = setTimeout(() => this.kill(), 5000);
    await this.exited;
    clearTimeout(t);
  }

  kill() {
    try {
      this.proc.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

function killWorkers() {
  for (const p of LIVE) {
    try {
      p.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

// ---------------------------------------------------------------------------
// routers (--router)

const EMBEDDED_ROUTERS = new Set();

function killEmbeddedRouters() {
  for (const p of EMBEDDED_ROUTERS) {
    try {
      p.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

// Runs the embedded router as a process of its own (bin/autobahn-router.js), with the same node
// config as Crossbar.io (scripts/crossbar-config.json: realm1, anonymous may do everything,
// caller and publisher disclosed, a universal transport) on a free loopback port. Resolves
// { kind, url, port, realm, pid, logFile, stop() } once the router prints that it is ready.
// On Linux it runs under `setpriv --pdeathsig KILL`, so it ends with this process even when this
// process is killed.
async function startEmbedded() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autobahn-bench-router-'));
  const configFile = path.join(dir, 'config.json');
  const template = fs.readFileSync(path.join(ROOT, 'scripts', 'crossbar-config.json'), 'utf8');
  // The Crossbar.io node config translated into Router options, plus one setting Crossbar.io does
  // not have: a session's queue holds up to 1,000,000 messages instead of 10,000. A callee
  // streaming progressive results faster than its caller consumes them (ours with the async
  // iterator) fills the caller's queue in the router, and at 10,000 the router drops the caller;
  // Crossbar.io buffers without a limit.
  const { translateCrossbarConfig } = require(path.join(ROOT, 'lib', 'crossbar-config.js'));
  const { options } = translateCrossbarConfig(JSON.parse(template.replace(/"%%PORT%%"/g, '0')), dir);
  fs.writeFileSync(configFile, JSON.stringify({ ...options, max_queued_messages: 1000000 }, null, 2));
  const logFile = path.join(dir, 'router.log');
  const logFd = fs.openSync(logFile, 'a');
  const routerArgs = [path.join(ROOT, 'bin', 'autobahn-router.js'), '--port', '0', '--config', configFile];
  const usePdeathsig = process.platform === 'linux' && fs.existsSync('/usr/bin/setpriv');
  const [cmd, args] = usePdeathsig
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...routerArgs]]
    : [process.execPath, routerArgs];
  let proc;
  try {
    proc = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', logFd] });
  } finally {
    fs.closeSync(logFd);
  }
  EMBEDDED_ROUTERS.add(proc);
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => EMBEDDED_ROUTERS.delete(proc));
  const t0 = Date.now();
  const url = await new Promise((resolve, reject) => {
    let out = '';
    let first = null;
    const timer = setTimeout(() => reject(new Error('embedded router: not ready within 30 s')), 30000);
    proc.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        const m = /^listening (ws:\/\/\S+)$/.exec(line);
        if (m && !first) first = m[1];
        if (line === 'autobahn-router ready') {
          clearTimeout(timer);
          if (first) resolve(first);
          else reject(new Error('embedded router: ready without a ws:// listener'));
        }
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      let log = '';
      try {
        log = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-20).join('\n');
      } catch {
        // none
      }
      reject(new Error(`embedded router exited (code ${code}, signal ${signal}) before it was ready\n${log}`));
    });
  }).catch((err) => {
    proc.kill('SIGKILL');
    throw err;
  });
  return {
    kind: 'embedded',
    url,
    port: Number(new URL(url).port),
    realm: 'realm1',
    pid: proc.pid,
    logFile,
    startupMs: Date.now() - t0,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(t);
      }
      if (process.env.ROUTER_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startRouterOf(kind) {
  if (kind === 'embedded') return startEmbedded();
  const { startCrossbar } = require(path.join(ROOT, 'scripts', 'crossbar.js'));
  const router = await startCrossbar();
  router.kind = 'crossbar';
  return router;
}

// router-memory: a fresh router of `kind`, its RSS once started, with params.sessions sessions
// (spread over params.processes client processes), and after each session subscribed to
// params.subscriptions_per_session topics of its own (all distinct: sessions x subscriptions
// subscriptions in the router). RSS is that of the router's process tree (Crossbar.io: the
// controller and the router worker; `*_largest` is the largest process of the tree).
async function measureRouterMemory(kind, impl, serializer, p, opts) {
  const router = await startRouterOf(kind);
  const workers = [];
  try {
    const pids = () => processTree(router.pid);
    await sleep(p.settle_ms);
    const idle = treeRss(pids());
    const c0 = treeExec(pids());
    const base = {
      url: router.url,
      port: router.port,
      transport: opts.transport,
      realm: router.realm,
      impl,
      serializer,
    };
    const per = Math.ceil(p.sessions / p.processes);
    for (let k = 0; k < p.processes; k++) {
      const n = Math.min(per, p.sessions - k * per);
      if (n <= 0) break;
      const w = new Worker(impl, opts, [], 'sessions');
      workers.push(w);
      w.send({
        cmd: 'init',
        ...base,
        scenario: 'router-memory',
        role: 'sessions',
        index: k,
        params: { ...p, sessions: n },
      });
    }
    const ready = [];
    for (const w of workers) ready.push(await w.expect('ready', 120000));
    const joinS = Math.max(...ready.map((r) => r.join_ms)) / 1000; // the slowest client process
    const c1 = treeExec(pids());
    await sleep(p.settle_ms);
    const withSessions = treeRss(pids());
    const w0 = process.hrtime.bigint();
    for (const w of workers) w.send({ cmd: 'start' });
    const done = [];
    for (const w of workers) done.push(await w.expect('done', 120000));
    const subscribeS = Number(process.hrtime.bigint() - w0) / 1e9;
    const c2 = treeExec(pids());
    await sleep(p.settle_ms);
    const withSubs = treeRss(pids());
    const sessions = ready.reduce((a, r) => a + r.sessions, 0);
    const subscriptions = done.reduce((a, r) => a + r.subscriptions, 0);
    const out = {
      protocol: ready[0].protocol,
      router_pids: pids().length,
      sessions,
      subscriptions,
      rss_idle: idle.total,
      rss_sessions: withSessions.total,
      rss_subs: withSubs.total,
      rss_idle_largest: idle.largest,
      rss_subs_largest: withSubs.largest,
      rss_per_session: (withSubs.total - idle.total) / sessions,
      join_s: round(joinS, 3),
      subscribe_s: round(subscribeS, 3),
      router_cpu_us_per_join: round((cpuDelta(c0, c1) * 1e6) / sessions, 1),
      router_cpu_us_per_subscribe: round((cpuDelta(c1, c2) * 1e6) / subscriptions, 1),
    };
    if (sessions !== p.sessions || subscriptions !== p.sessions * p.subscriptions_per_session) {
      out.warning = `${sessions} sessions, ${subscriptions} subscriptions`;
    }
    return out;
  } finally {
    await Promise.all(workers.map((w) => w.end()));
    await router.stop();
  }
}

// One measurement: a passive client (callee/subscriber) and an active one (caller/publisher),
// both of the same implementation, each in its own process.
async function measure(router, impl, scenario, serializer, p, opts) {
  const timeout = 300000;
  const base = {
    url: router.url,
    port: router.port,
    transport: opts.transport,
    realm: router.realm,
    impl,
    serializer,
    scenario,
    params: p,
    crossings: !!opts.crossings,
  };
  const routerPids = processTree(router.pid);

  if (scenario === 'memory') {
    const w = new Worker(impl, opts, ['--expose-gc'], 'memory');
    try {
      w.send({ cmd: 'init', ...base, role: 'memory' });
      const ready = await w.expect('ready', 60000);
      w.send({ cmd: 'start' });
      const res = await w.expect('done', timeout);
      return { protocol: ready.protocol, loaded_rss: ready.loaded_rss, ...strip(res) };
    } finally {
      await w.end();
    }
  }

  const progressive = scenario === 'progressive' || scenario === 'progressive-concurrent';
  const passive = new Worker(impl, opts, [], scenario === 'pubsub-throughput' ? 'subscriber' : 'callee');
  let active = null;
  try {
    passive.send({ cmd: 'init', ...base, role: 'passive', profile: passive.profile });
    const pReady = await passive.expect('ready', 60000);
    active = new Worker(impl, opts, [], scenario === 'pubsub-throughput' ? 'publisher' : 'caller');
    active.send({ cmd: 'init', ...base, role: 'active', profile: active.profile });
    await active.expect('ready', 120000);

    passive.send({ cmd: 'start' });
    await passive.expect('started', 10000);
    const r0 = treeCpu(routerPids);
    const e0 = treeExec(routerPids);
    const w0 = process.hrtime.bigint();
    active.send({ cmd: 'start' });
    const aRes = await active.expect('done', timeout);
    if (scenario === 'pubsub-throughput') await passive.expect('done', timeout);
    const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
    const r1 = treeCpu(routerPids);
    const e1 = treeExec(routerPids);
    const routerRss = treeRss(routerPids).total;
    passive.send({ cmd: 'stop' });
    const pRes = await passive.expect('stopped', 10000);

    const ops = aRes.ops;
    const routerCpuS = cpuDelta(r0, r1);
    const out = {
      protocol: pReady.protocol,
      ops,
      wall_s: round(wallS, 4),
      active_cpu_us_per_op: round(aRes.cpu.total / ops, 2),
      passive_cpu_us_per_op: round(pRes.cpu.total / ops, 2),
      active_cpu: aRes.cpu,
      passive_cpu: pRes.cpu,
      passive_count: pRes.count,
      router_cpu_s: round(routerCpuS, 3),
      router_cpu_share: round(routerCpuS / wallS, 3), // fraction of one core
      router_cpu_us_per_op: round((routerCpuS * 1e6) / ops, 2),
      router_rss: routerRss,
    };
    if (e1.size) {
      // --router reports these (the same figures from the threads' time on CPU in ns)
      const execS = cpuDelta(e0, e1);
      out.router_exec_s = round(execS, 4);
      out.router_exec_share = round(execS / wallS, 3);
      out.router_exec_us_per_op = round((execS * 1e6) / ops, 2);
    }
    if (aRes.crossings) {
      const per = (c) => ({
        sends_per_op: round(c.sends / ops, 3),
        batches_per_op: round(c.batches / ops, 3),
        send_chars: c.send_chars,
        batch_chars: c.batch_chars,
      });
      out.crossings = { active: per(aRes.crossings), passive: per(pRes.crossings) };
    }
    if (scenario === 'rpc-latency')
      Object.assign(out, {
        p50_us: round(aRes.p50_us, 1),
        p90_us: round(aRes.p90_us, 1),
        p99_us: round(aRes.p99_us, 1),
        mean_us: round(aRes.mean_us, 1),
      });
    if (scenario === 'rpc-throughput') out.ops_per_s = round(ops / wallS, 0);
    if (scenario === 'pubsub-throughput') {
      out.ops_per_s = round(ops / wallS, 0);
      out.publish_wall_s = round(aRes.wallMs / 1000, 4);
    }
    if (scenario === 'large-payload') {
      out.mib_per_s = round(aRes.mib_per_s, 2);
      out.echoed_type = aRes.echoed_type;
    }
    if (progressive) {
      // ops: progressive results received (the final results are not counted)
      out.ops_per_s = round(ops / wallS, 0);
      out.caller_rss = aRes.caller_rss;
    }
    if (pRes.count !== ops) {
      out.warning = `passive side counted ${pRes.count}`;
    }
    return out;
  } finally {
    if (active) await active.end();
    await passive.end();
  }
}

// ---------------------------------------------------------------------------
// the transport floor (ws-echo): bench/ws-echo.rs, a tokio-tungstenite echo server and client

function floorBinary() {
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
  return path.join(targetDir, 'release', 'examples', process.platform === 'win32' ? 'ws-echo.exe' : 'ws-echo');
}

// Builds bench/ws-echo.rs (a no-op when it is up to date) and starts its server for the whole run.
// Resolves { url, pid, stop() }, or null (with a warning) when it cannot be built or started.
async function startFloor() {
  const bin = floorBinary();
  const build = spawnSync('cargo', ['build', '--release', '--quiet', '--example', 'ws-echo'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.error || build.status !== 0 || !fs.existsSync(bin)) {
    console.warn('bench: cannot build bench/ws-echo.rs (cargo build --release --example ws-echo); no ws-echo floor');
    return null;
  }
  const usePdeathsig = process.platform === 'linux' && fs.existsSync('/usr/bin/setpriv');
  const [cmd, args] = usePdeathsig
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', bin, 'server']]
    : [bin, ['server']];
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  EMBEDDED_ROUTERS.add(proc);
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  exited.then(() => EMBEDDED_ROUTERS.delete(proc));
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not listening within 10 s')), 10000);
      let out = '';
      proc.stdout.setEncoding('utf8').on('data', (chunk) => {
        out += chunk;
        const m = /^listening (ws:\/\/\S+)\n/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`exited (code ${code})`));
      });
    });
    return {
      url,
      pid: proc.pid,
      async stop() {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        await exited;
      },
    };
  } catch (err) {
    proc.kill('SIGKILL');
    console.warn(`bench: the ws-echo server did not start (${err.message}); no ws-echo floor`);
    return null;
  }
}

function runFloorClient(url, shape) {
  return new Promise((resolve, reject) => {
    const args = ['client', url, shape.size, shape.count, shape.window, shape.burst, shape.kind].map(String);
    const child = spawn(floorBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    LIVE.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      LIVE.delete(child);
      if (code !== 0) return reject(new Error(`ws-echo client: ${signal || 'exit code ' + code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`ws-echo client: unreadable output ${JSON.stringify(out)}`));
      }
    });
  });
}

// One floor measurement: each shape of params('ws-echo') in turn against the running server.
// Per shape: messages/s (client to server), echoes/s, MiB/s, and CPU per message of the client
// (its own reading) and of the server (its threads' time on CPU over the client's run).
async function measureFloor(floor, p) {
  const out = {};
  for (const [shape, cfg] of Object.entries(p)) {
    const e0 = treeExec([floor.pid]);
    const res = await runFloorClient(floor.url, cfg);
    const e1 = treeExec([floor.pid]);
    if (res.messages !== cfg.count)
      throw new Error(`ws-echo ${shape}: ${res.messages} messages sent, expected ${cfg.count}`);
    out[`${shape}_msgs_per_s`] = round(res.messages / res.wall_s, 0);
    out[`${shape}_echoes_per_s`] = round(res.echoes / res.wall_s, 0);
    out[`${shape}_mib_per_s`] = round((res.echoes * cfg.size) / MIB / res.wall_s, 2);
    out[`${shape}_client_cpu_us_per_msg`] = round((res.cpu_s * 1e6) / res.messages, 3);
    out[`${shape}_server_cpu_us_per_msg`] = round((cpuDelta(e0, e1) * 1e6) / res.messages, 3);
    out[`${shape}_wall_s`] = round(res.wall_s, 4);
  }
  return out;
}

function strip(m) {
  const { type, ...rest } = m;
  return rest;
}

function round(x, d) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x;
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------
// report

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Rows of the table: [label, field, unit, better ('lower'|'higher'), target(ratio) -> verdict]
const FIGURES = {
  'rpc-latency': [
    ['p50', 'p50_us', 'µs', 'lower', { max: 0.9 }],
    ['p99', 'p99_us', 'µs', 'lower'],
    ['caller CPU/call', 'active_cpu_us_per_op', 'µs', 'lower', { max: 0.5, stretch: 0.33 }],
    ['callee CPU/call', 'passive_cpu_us_per_op', 'µs', 'lower', { max: 0.5, stretch: 0.33 }],
    ['router CPU share', 'router_cpu_share', '%', 'info'],
  ],
  'rpc-throughput': [
    ['calls/s', 'ops_per_s', '/s', 'higher'],
    ['caller CPU/call', 'active_cpu_us_per_op', 'µs', 'lower', { max: 0.5, stretch: 0.33 }],
    ['callee CPU/call', 'passive_cpu_us_per_op', 'µs', 'lower', { max: 0.5, stretch: 0.33 }],
    ['router CPU/call', 'router_cpu_us_per_op', 'µs', 'info'],
    ['router CPU share', 'router_cpu_share', '%', 'info'],
  ],
  'pubsub-throughput': [
    ['events/s', 'ops_per_s', '/s', 'higher'],
    ['publisher CPU/event', 'active_cpu_us_per_op', 'µs', 'lower', { max: 0.5, stretch: 0.33 }],
    ['subscriber CPU/event', 'passive_cpu_us_per_op', 'µs', 'lower', { max: 0.5, stretch: 0.33 }],
    ['router CPU/event', 'router_cpu_us_per_op', 'µs', 'info'],
    ['router CPU share', 'router_cpu_share', '%', 'info'],
  ],
  'large-payload': [
    ['MiB/s', 'mib_per_s', 'MiB/s', 'higher', { min: 3 }],
    ['caller CPU/echo', 'active_cpu_us_per_op', 'µs', 'lower', { max: 0.5, stretch: 0.33 }],
    ['callee CPU/echo', 'passive_cpu_us_per_op', 'µs', 'lower', { max: 0.5, stretch: 0.33 }],
    ['router CPU share', 'router_cpu_share', '%', 'info'],
  ],
  progressive: [
    ['results/s', 'ops_per_s', '/s', 'higher'],
    ['caller CPU/result', 'active_cpu_us_per_op', 'µs', 'lower'],
    ['callee CPU/result', 'passive_cpu_us_per_op', 'µs', 'lower'],
    ['caller RSS at the end', 'caller_rss', 'MiB', 'lower'],
    ['router CPU/result', 'router_cpu_us_per_op', 'µs', 'info'],
    ['router CPU share', 'router_cpu_share', '%', 'info'],
  ],
  'progressive-concurrent': [
    ['results/s, 10 streams', 'ops_per_s', '/s', 'higher'],
    ['caller CPU/result', 'active_cpu_us_per_op', 'µs', 'lower'],
    ['callee CPU/result', 'passive_cpu_us_per_op', 'µs', 'lower'],
    ['caller RSS at the end', 'caller_rss', 'MiB', 'lower'],
    ['router CPU/result', 'router_cpu_us_per_op', 'µs', 'info'],
    ['router CPU share', 'router_cpu_share', '%', 'info'],
  ],
  memory: [
    ['RSS, module loaded', 'loaded_rss', 'MiB', 'lower'],
    ['RSS, connected idle', 'idle_rss', 'MiB', 'lower'],
    ['RSS, 10,000 subscriptions', 'subs_rss', 'MiB', 'lower'],
    ['JS heap, 10,000 subscriptions', 'subs_heap_used', 'MiB', 'lower'],
  ],
};

// --router: the same scenarios with our client through each router; ratio = embedded / Crossbar.io
const ROUTER_FIGURES = {
  'rpc-throughput': [
    ['calls/s', 'ops_per_s', '/s', 'higher', { min: 8 }],
    ['router CPU/call', 'router_exec_us_per_op', 'µs', 'lower'],
    ['router CPU share', 'router_exec_share', '%', 'info'],
    ['caller CPU/call', 'active_cpu_us_per_op', 'µs', 'info'],
    ['callee CPU/call', 'passive_cpu_us_per_op', 'µs', 'info'],
  ],
  'pubsub-throughput': [
    ['events/s', 'ops_per_s', '/s', 'higher', { min: 10 }],
    ['router CPU/event', 'router_exec_us_per_op', 'µs', 'lower'],
    ['router CPU share', 'router_exec_share', '%', 'info'],
    ['publisher CPU/event', 'active_cpu_us_per_op', 'µs', 'info'],
    ['subscriber CPU/event', 'passive_cpu_us_per_op', 'µs', 'info'],
  ],
  'rpc-latency': [
    ['p50', 'p50_us', 'µs', 'lower', { max: 0.25 }],
    ['p99', 'p99_us', 'µs', 'lower'],
    ['router CPU/call', 'router_exec_us_per_op', 'µs', 'lower'],
    ['router CPU share', 'router_exec_share', '%', 'info'],
    ['caller CPU/call', 'active_cpu_us_per_op', 'µs', 'info'],
    ['callee CPU/call', 'passive_cpu_us_per_op', 'µs', 'info'],
  ],
  'large-payload': [
    ['MiB/s', 'mib_per_s', 'MiB/s', 'higher'],
    ['router CPU/echo', 'router_exec_us_per_op', 'µs', 'lower'],
    ['router CPU share', 'router_exec_share', '%', 'info'],
  ],
  'router-memory': [
    ['router RSS, started', 'rss_idle', 'MiB', 'lower'],
    ['router RSS, 1,000 sessions', 'rss_sessions', 'MiB', 'lower'],
    ['router RSS, + 10,000 subscriptions', 'rss_subs', 'MiB', 'lower'],
    ['RSS per session (10 subscriptions)', 'rss_per_session', 'KiB', 'lower'],
    ['largest router process, 10,000 subscriptions', 'rss_subs_largest', 'MiB', 'info'],
    ['router CPU/join (connect, HELLO)', 'router_cpu_us_per_join', 'µs', 'lower'],
    ['router CPU/subscribe', 'router_cpu_us_per_subscribe', 'µs', 'lower'],
  ],
};

// The scenarios read against the transport floor (ws-echo): [scenario, floor field, what the
// fraction is]; the figure of the scenario divided by the median of the floor field
const FLOOR_SHARES = {
  'rpc-throughput': ['ops_per_s', 'rpc_echoes_per_s', 'calls/s ÷ WebSocket echoes/s'],
  'pubsub-throughput': ['ops_per_s', 'pubsub_msgs_per_s', 'events/s ÷ WebSocket messages/s'],
  'large-payload': ['mib_per_s', 'large_mib_per_s', 'MiB/s ÷ WebSocket 1 MiB echo MiB/s'],
  progressive: ['ops_per_s', 'pubsub_msgs_per_s', 'results/s ÷ WebSocket messages/s'],
  'progressive-concurrent': ['ops_per_s', 'pubsub_msgs_per_s', 'results/s ÷ WebSocket messages/s'],
};

const FLOOR_FIGURES = [
  ['40-byte text echoes, 100 outstanding: echoes/s', 'rpc_echoes_per_s', '/s'],
  ['  client CPU/message', 'rpc_client_cpu_us_per_msg', 'µs'],
  ['  server CPU/message', 'rpc_server_cpu_us_per_msg', 'µs'],
  ['40-byte text stream, an echo every 1,000th: messages/s', 'pubsub_msgs_per_s', '/s'],
  ['  client CPU/message', 'pubsub_client_cpu_us_per_msg', 'µs'],
  ['  server CPU/message', 'pubsub_server_cpu_us_per_msg', 'µs'],
  ['1 MiB binary echoes: MiB/s', 'large_mib_per_s', 'MiB/s'],
  ['  client CPU/echo', 'large_client_cpu_us_per_msg', 'µs'],
  ['  server CPU/echo', 'large_server_cpu_us_per_msg', 'µs'],
];

function floorMedians(records) {
  const floors = records.filter((r) => r.scenario === FLOOR && !r.error);
  if (!floors.length) return null;
  const m = {};
  for (const [, field] of FLOOR_FIGURES) m[field] = median(floors.map((r) => r[field]));
  return m;
}

// The floor's own table: one column, medians over the repetitions.
function floorTable(records) {
  const m = floorMedians(records);
  if (!m) return '';
  const rows = [
    '',
    '',
    'Transport floor: WebSocket over loopback TCP, tokio-tungstenite on both ends, no WAMP, no router (bench/ws-echo.rs)',
    '',
    '| figure | value |',
    '|---|---:|',
  ];
  for (const [label, field, unit] of FLOOR_FIGURES) {
    const unitLabel = unit === '/s' || label.includes(unit) ? '' : ` (${unit})`;
    rows.push(`| ${label.replace(/^ {2}/, '&nbsp;&nbsp;')}${unitLabel} | ${fmt(m[field], unit)} |`);
  }
  return rows.join('\n');
}

function fmt(v, unit) {
  if (v == null) return '–';
  if (unit === '%') return `${Math.round(v * 100)}%`;
  if (unit === 'MiB') return (v / MIB).toFixed(1);
  if (unit === 'KiB') return (v / 1024).toFixed(1);
  if (unit === '/s') return v >= 10000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v));
  if (v >= 1000) return String(Math.round(v));
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function verdict(ratio, target) {
  if (!target || ratio == null) return '';
  if (target.max != null) {
    if (target.stretch != null && ratio <= target.stretch) return `≤ ${target.stretch} ✓✓`;
    return ratio <= target.max ? `≤ ${target.max} ✓` : `≤ ${target.max} ✗`;
  }
  if (target.min != null) return ratio >= target.min ? `≥ ${target.min} ✓` : `≥ ${target.min} ✗`;
  return '';
}

function table(records) {
  const rows = [];
  const groups = new Map();
  const floor = floorMedians(records);
  for (const r of records) {
    if (r.error || r.scenario === FLOOR) continue;
    const key = `${r.scenario}${r.variant ? '/' + r.variant : ''}|${r.serializer}`;
    if (!groups.has(key))
      groups.set(key, { scenario: r.scenario, variant: r.variant, serializer: r.serializer, ours: [], ref: [] });
    groups.get(key)[r.impl].push(r);
  }
  rows.push('| scenario | serializer | figure | ours | Autobahn\\|JS | ours / AB\\|JS | target |');
  rows.push('|---|---|---|---:|---:|---:|---|');
  for (const g of groups.values()) {
    const name = g.scenario + (g.variant ? ` (${g.variant})` : '');
    for (const [label, field, unit, , target] of FIGURES[g.scenario]) {
      const o = median(g.ours.map((r) => r[field]));
      const a = median(g.ref.map((r) => r[field]));
      const ratio = o != null && a != null && a !== 0 ? o / a : null;
      const unitLabel = unit === '%' || unit === '/s' || unit === label ? '' : ` (${unit})`;
      rows.push(
        `| ${name} | ${g.serializer} | ${label}${unitLabel} | ${fmt(o, unit)} | ${fmt(a, unit)} | ${ratio == null ? '–' : ratio.toFixed(2)} | ${verdict(ratio, target)} |`
      );
    }
    const share = floorShare(g.scenario, floor);
    if (share) {
      const [o, a] = [share(g.ours), share(g.ref)];
      rows.push(`| ${name} | ${g.serializer} | ${share.label} | ${fmtShare(o)} | ${fmtShare(a)} | | |`);
    }
  }
  return rows.join('\n') + floorTable(records);
}

// For a scenario read against the floor: a function of a group's records giving the median of
// its figure divided by the floor's, with the row's label; null without a floor.
function floorShare(scenario, floor) {
  const spec = FLOOR_SHARES[scenario];
  if (!spec || !floor || !floor[spec[1]]) return null;
  const fn = (recs) => {
    const v = median(recs.map((r) => r[spec[0]]));
    return v == null ? null : v / floor[spec[1]];
  };
  fn.label = `share of the transport floor (${spec[2]})`;
  return fn;
}

const fmtShare = (x) => (x == null ? '–' : x >= 0.1 ? x.toFixed(2) : x.toFixed(3));

// where the threads' time on CPU could not be read (no schedstat), the figure from /proc/<pid>/stat
const TICK_FIGURE = { router_exec_us_per_op: 'router_cpu_us_per_op', router_exec_share: 'router_cpu_share' };

// --router: one column per router, our client (a group per client when --impl names several)
function routerTable(records, routers) {
  const rows = [];
  const groups = new Map();
  for (const r of records) {
    if (r.error || r.scenario === FLOOR) continue;
    const key = `${r.scenario}${r.variant ? '/' + r.variant : ''}|${r.serializer}|${r.impl}`;
    if (!groups.has(key)) {
      groups.set(key, {
        scenario: r.scenario,
        variant: r.variant,
        serializer: r.serializer,
        impl: r.impl,
        embedded: [],
        crossbar: [],
      });
    }
    groups.get(key)[r.router].push(r);
  }
  const impls = new Set(records.map((r) => r.impl));
  const [a, b] = routers.length === 2 ? routers : [routers[0], null];
  const head = [ROUTER_NAMES[a], b ? ROUTER_NAMES[b] : null].filter(Boolean);
  rows.push(`| scenario | serializer | figure | ${head.join(' | ')} |${b ? ` ${head.join(' / ')} | target |` : ''}`);
  rows.push(`|---|---|---|${head.map(() => '---:|').join('')}${b ? '---:|---|' : ''}`);
  for (const g of groups.values()) {
    const name = g.scenario + (g.variant ? ` (${g.variant})` : '') + (impls.size > 1 ? ` [${g.impl}]` : '');
    for (const [label, field, unit, , target] of ROUTER_FIGURES[g.scenario] || FIGURES[g.scenario]) {
      const get = (r) => (r[field] != null ? r[field] : r[TICK_FIGURE[field]]);
      const x = median(g[a].map(get));
      const y = b ? median(g[b].map(get)) : null;
      const ratio = x != null && y != null && y !== 0 ? x / y : null;
      const unitLabel = unit === '%' || unit === '/s' || unit === label ? '' : ` (${unit})`;
      const cells = [fmt(x, unit)];
      if (b) cells.push(fmt(y, unit), ratio == null ? '–' : ratio.toFixed(2), verdict(ratio, target));
      rows.push(`| ${name} | ${g.serializer} | ${label}${unitLabel} | ${cells.join(' | ')} |`);
    }
  }
  return rows.join('\n') + floorTable(records);
}

// --router with both clients: per router, ours and Autobahn|JS and their ratio; then our client
// through the embedded router against Crossbar.io. Router CPU from the threads' time on CPU (ns)
// where it could be read, else from /proc/<pid>/stat.
function clientRouterTable(records, routers) {
  const groups = new Map();
  const floor = floorMedians(records);
  for (const r of records) {
    if (r.error || r.scenario === FLOOR) continue;
    const key = `${r.scenario}${r.variant ? '/' + r.variant : ''}|${r.serializer}`;
    if (!groups.has(key)) {
      const cells = {};
      for (const router of routers) cells[router] = { ours: [], ref: [] };
      groups.set(key, { scenario: r.scenario, variant: r.variant, serializer: r.serializer, cells });
    }
    groups.get(key).cells[r.router][r.impl].push(r);
  }
  const both = routers.length === 2;
  const head = [];
  for (const router of routers)
    head.push(`${ROUTER_NAMES[router]}: ours`, `${ROUTER_NAMES[router]}: AB\\|JS`, 'ours / AB\\|JS');
  if (both) head.push(`ours: ${ROUTER_NAMES[routers[0]]} / ${ROUTER_NAMES[routers[1]]}`);
  const rows = [
    `| scenario | serializer | figure | ${head.join(' | ')} |`,
    `|---|---|---|${head.map(() => '---:|').join('')}`,
  ];
  const ratio = (x, y) => (x != null && y != null && y !== 0 ? (x / y).toFixed(2) : '–');
  for (const g of groups.values()) {
    const name = g.scenario + (g.variant ? ` (${g.variant})` : '');
    for (const [label, field0, unit] of FIGURES[g.scenario] || ROUTER_FIGURES[g.scenario]) {
      const field = EXEC_FIGURE[field0] || field0;
      const get = (r) => (r[field] != null ? r[field] : r[field0]);
      const unitLabel = unit === '%' || unit === '/s' || unit === label ? '' : ` (${unit})`;
      const cells = [];
      const ours = [];
      for (const router of routers) {
        const o = median(g.cells[router].ours.map(get));
        const a = median(g.cells[router].ref.map(get));
        ours.push(o);
        cells.push(fmt(o, unit), fmt(a, unit), ratio(o, a));
      }
      if (both) cells.push(ratio(ours[0], ours[1]));
      rows.push(`| ${name} | ${g.serializer} | ${label}${unitLabel} | ${cells.join(' | ')} |`);
    }
    const share = floorShare(g.scenario, floor);
    if (share) {
      const cells = [];
      for (const router of routers)
        cells.push(fmtShare(share(g.cells[router].ours)), fmtShare(share(g.cells[router].ref)), '');
      if (both) cells.push('');
      rows.push(`| ${name} | ${g.serializer} | ${share.label} | ${cells.join(' | ')} |`);
    }
  }
  return rows.join('\n') + floorTable(records);
}

// the same figures from the threads' time on CPU in ns, where the runner could read it
const EXEC_FIGURE = { router_cpu_us_per_op: 'router_exec_us_per_op', router_cpu_share: 'router_exec_share' };

// ---------------------------------------------------------------------------

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0].model;
  const git = (args) => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const crossbar = spawnSync(
    path.join(ROOT, '.venv', 'bin', 'python'),
    ['-c', 'import importlib.metadata as m; print(m.version("crossbar"))'],
    { encoding: 'utf8' }
  );
  return {
    nproc: os.cpus().length,
    cpu: model,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    crossbar: (crossbar.stdout || '').trim() || null,
    autobahn_ref: require(path.join(ROOT, 'node_modules', 'autobahn-reference', 'package.json')).version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: (git(['status', '--porcelain', '--untracked-files=no']) || '') !== '',
  };
}

function ensureReference() {
  if (fs.existsSync(path.join(ROOT, 'node_modules', 'autobahn-reference', 'package.json'))) return;
  console.log('bench: installing Autobahn|JS 26.3.1 (autobahn-reference) ...');
  const r = spawnSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error('bench: npm install failed');
    process.exit(1);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux') console.warn('bench: router CPU is read from /proc; it reads 0 on this platform');
  if (opts.bootstrap) require(path.join(ROOT, 'scripts', 'bootstrap.js')).bootstrap();
  ensureReference();

  const { startCrossbar: startRouter } = require(path.join(ROOT, 'scripts', 'crossbar.js'));
  const info = machine();
  const stamp = new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d\d\dZ$/, 'Z');
  const out = opts.out || path.join(__dirname, 'results', `bench-${stamp}.jsonl`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const jsonl = fs.createWriteStream(out);
  const command = `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
  const header = {
    type: 'run',
    date: new Date().toISOString(),
    command,
    ...info,
    repeat: opts.repeat,
    quick: opts.quick,
    routers: opts.routers || undefined,
  };
  jsonl.write(JSON.stringify(header) + '\n');
  console.log(
    `bench: ${info.cpu}, ${info.nproc} cores, Node ${info.node}, Crossbar.io ${info.crossbar}, Autobahn|JS ${info.autobahn_ref}`
  );
  console.log(
    `bench: ours = ${info.commit}${info.dirty ? ' (with uncommitted changes)' : ''}; JSON lines -> ${path.relative(process.cwd(), out)}`
  );

  // the routers: Crossbar.io alone, or with --router each router compared, as a process of its
  // own, all started now and running to the end (router-memory starts fresh ones of its own)
  const routers = {};
  let floor = null;
  try {
    if (opts.scenarios.includes(FLOOR)) {
      floor = await startFloor();
      if (floor) console.log(`bench: WebSocket echo (no WAMP) ${floor.url} (pid ${floor.pid})`);
      else opts.scenarios = opts.scenarios.filter((s) => s !== FLOOR);
    }
    if (!opts.routers) {
      routers.crossbar = await startRouter();
      console.log(`bench: router ${routers.crossbar.url} (pid ${routers.crossbar.pid})`);
    } else if (opts.scenarios.some((s) => s !== 'router-memory' && s !== FLOOR)) {
      for (const kind of opts.routers) {
        routers[kind] = await startRouterOf(kind);
        console.log(`bench: ${ROUTER_NAMES[kind]} router ${routers[kind].url} (pid ${routers[kind].pid})`);
      }
    }
  } catch (err) {
    for (const r of Object.values(routers)) await r.stop();
    if (floor) await floor.stop();
    throw err;
  }

  // the measurements, in order: every scenario/serializer for both clients (or, with --router,
  // through both routers), alternating, and the one that goes first alternates between repetitions
  const plan = [];
  const alternate = (xs, rep) => (rep % 2 ? xs : xs.slice().reverse());
  for (let rep = 1; rep <= opts.repeat; rep++) {
    for (const scenario of opts.scenarios) {
      if (scenario === FLOOR) {
        plan.push({ rep, scenario, serializer: 'none', variant: null, impl: 'floor' });
        continue;
      }
      const sers = scenario === 'memory' || scenario === 'router-memory' ? [opts.serializers[0]] : opts.serializers;
      const variants =
        scenario === 'large-payload'
          ? ['string', 'binary']
          : scenario === 'progressive'
            ? ['callback', 'iterator']
            : [null];
      for (const serializer of sers) {
        for (const variant of variants) {
          for (const impl of alternate(opts.impls, rep)) {
            // the async iterator of a call is ours only; Autobahn|JS has the progress callback
            if (variant === 'iterator' && impl !== 'ours') continue;
            if (!opts.routers) plan.push({ rep, scenario, serializer, variant, impl });
            else
              for (const router of alternate(opts.routers, rep))
                plan.push({ rep, scenario, serializer, variant, impl, router });
          }
        }
      }
    }
  }

  const records = [];
  let failures = 0;
  const t0 = Date.now();
  try {
    for (let i = 0; i < plan.length; i++) {
      const m = plan[i];
      const p = params(m.scenario, opts);
      if (m.variant) p.variant = m.variant;
      const via = m.router ? ` via ${m.router}` : '';
      const label =
        m.scenario === FLOOR
          ? `${m.scenario} (no WAMP) #${m.rep}`
          : `${m.scenario}${m.variant ? '/' + m.variant : ''} ${m.serializer} ${m.impl}${via} #${m.rep}`;
      opts._runTag = `${m.scenario}${m.variant ? '-' + m.variant : ''}-${m.serializer}`;
      const quiet = await waitQuiet(opts);
      process.stdout.write(`[${i + 1}/${plan.length}] ${label} ... `);
      const rec = { type: 'result', ...m, variant: m.variant || undefined, params: p, load: quiet };
      try {
        if (m.scenario === 'router-memory') {
          Object.assign(rec, await measureRouterMemory(m.router, m.impl, m.serializer, p, opts));
        } else if (m.scenario === FLOOR) {
          Object.assign(rec, await measureFloor(floor, p));
        } else {
          const router = routers[m.router || 'crossbar'];
          Object.assign(rec, await measure(router, m.impl, m.scenario, m.serializer, p, opts));
        }
        process.stdout.write(summary(rec) + '\n');
      } catch (err) {
        failures++;
        rec.error = err.message;
        process.stdout.write(`FAILED: ${err.message}\n`);
      }
      records.push(rec);
      jsonl.write(JSON.stringify(rec) + '\n');
    }
  } finally {
    killWorkers();
    for (const r of Object.values(routers)) await r.stop();
    if (floor) await floor.stop();
  }
  const elapsed = Math.round((Date.now() - t0) / 1000);
  const md =
    opts.routers && opts.impls.length > 1
      ? clientRouterTable(records, opts.routers)
      : opts.routers
        ? routerTable(records, opts.routers)
        : table(records);
  jsonl.write(JSON.stringify({ type: 'summary', elapsed_s: elapsed, failures, table: md }) + '\n');
  await new Promise((r) => jsonl.end(r));
  console.log(
    `\n${header.date.slice(0, 10)}, ${info.cpu} (${info.nproc} cores), Node ${info.node}, Crossbar.io ${info.crossbar}; medians of ${opts.repeat}; ${elapsed} s\n`
  );
  console.log(md);
  console.log(`\nJSON lines: ${path.relative(process.cwd(), out)}`);
  if (failures) {
    console.error(`bench: ${failures} measurement(s) failed`);
    process.exitCode = 1;
  }
}

function summary(r) {
  const s = [];
  if (r.p50_us != null) s.push(`p50 ${r.p50_us} µs, p99 ${r.p99_us} µs`);
  if (r.ops_per_s != null) s.push(`${r.ops_per_s}/s`);
  if (r.mib_per_s != null) s.push(`${r.mib_per_s} MiB/s`);
  if (r.active_cpu_us_per_op != null)
    s.push(
      `cpu/op ${r.active_cpu_us_per_op} + ${r.passive_cpu_us_per_op} µs, router ${Math.round(r.router_cpu_share * 100)}%`
    );
  if (r.rss_subs != null) {
    s.push(
      `router rss started ${(r.rss_idle / MIB).toFixed(1)} MiB, ${r.sessions} sessions ${(r.rss_sessions / MIB).toFixed(1)} MiB, ` +
        `${r.subscriptions} subs ${(r.rss_subs / MIB).toFixed(1)} MiB; join ${r.join_s} s, router CPU/join ${r.router_cpu_us_per_join} µs, /subscribe ${r.router_cpu_us_per_subscribe} µs`
    );
  }
  if (r.router && r.router_rss != null) s.push(`router rss ${(r.router_rss / MIB).toFixed(1)} MiB`);
  if (r.caller_rss != null) s.push(`caller rss ${(r.caller_rss / MIB).toFixed(1)} MiB`);
  if (r.rpc_echoes_per_s != null)
    s.push(`echoes ${r.rpc_echoes_per_s}/s, stream ${r.pubsub_msgs_per_s}/s, 1 MiB ${r.large_mib_per_s} MiB/s`);
  if (r.idle_rss != null)
    s.push(
      `rss idle ${(r.idle_rss / MIB).toFixed(1)} MiB, ${r.subscriptions} subs ${(r.subs_rss / MIB).toFixed(1)} MiB`
    );
  if (r.crossings) {
    const t = (c) =>
      Object.entries(c.threads || {})
        .map(([k, v]) => `${k} ${round(v / r.ops, 1)}`)
        .join(', ');
    s.push(`µs/op by thread: active [${t(r.active_cpu)}] passive [${t(r.passive_cpu)}]`);
  }
  if (r.crossings)
    s.push(
      `crossings/op: active ${r.crossings.active.sends_per_op} sends + ${r.crossings.active.batches_per_op} batches, passive ${r.crossings.passive.sends_per_op} + ${r.crossings.passive.batches_per_op}`
    );
  if (r.warning) s.push(`WARNING ${r.warning}`);
  s.push(`(busy ${r.load.busy_cores}, load ${r.load.loadavg[0]})`);
  return s.join('; ');
}

process.on('exit', () => {
  killWorkers();
  killEmbeddedRouters();
});
main().catch((err) => {
  killWorkers();
  killEmbeddedRouters();
  console.error(err);
  process.exit(1);
});
