#!/usr/bin/env node
// Benchmark: this package ("ours") against Autobahn|JS 26.3.1 ("ref", npm alias
// autobahn-reference) on the same Crossbar.io router, in the same run, alternating, each client
// in its own Node process. See bench/README.md.
//
//   npm run bench                                   full run (3 repetitions, ~12 min on 2 cores)
//   npm run bench -- --quick                        smaller counts, 1 repetition (~3 min)
//   npm run bench -- --scenario rpc-throughput,pubsub-throughput --serializer msgpack
//   npm run bench -- --impl ours --cpu-prof         profile our client workers (bench/profiles/)
//
// Options:
//   --quick                 smaller counts, --repeat 1
//   --repeat N              repetitions of every measurement (default 3; the table shows medians)
//   --scenario a,b          rpc-latency, rpc-throughput, pubsub-throughput, large-payload, memory
//   --serializer a,b        json, msgpack (default both; cbor works too)
//   --transport T           websocket (default) or rawsocket (TCP, same router port; Autobahn|JS's
//                           RawSocket speaks JSON only)
//   --impl a,b              ours, ref (default both)
//   --max-busy X            wait before each measurement until the machine's other load is below X
//                           busy cores, sampled over 1 s (default 0.7)
//   --max-wait S            ... but at most S seconds per measurement (default 30)
//   --out FILE              JSON lines (default bench/results/bench-<timestamp>.jsonl)
//   --cpu-prof[=ours|ref|both]  run the workers under node --cpu-prof (profiles in bench/profiles/)
//   --crossings             count JS<->engine crossings per operation (ours; a diagnostic)
//   --no-bootstrap          do not install/build anything first (the addon must exist)
'use strict';

const { fork, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const WORKER = path.join(__dirname, 'worker.js');
const MIB = 1 << 20;

// ---------------------------------------------------------------------------
// options

const SCENARIOS = ['rpc-latency', 'rpc-throughput', 'pubsub-throughput', 'large-payload', 'memory'];

function parseArgs(argv) {
  const o = {
    quick: false,
    repeat: null,
    scenarios: SCENARIOS.slice(),
    serializers: ['json', 'msgpack'],
    transport: 'websocket',
    impls: ['ours', 'ref'],
    maxBusy: 0.7,
    maxWait: 30,
    out: null,
    cpuProf: null,
    bootstrap: true,
  };
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
      case '--repeat':
        o.repeat = Number(value());
        if (!Number.isInteger(o.repeat) || o.repeat < 1) usage('--repeat must be a positive integer');
        break;
      case '--scenario':
      case '--scenarios':
        o.scenarios = list();
        for (const s of o.scenarios) if (!SCENARIOS.includes(s)) usage(`unknown scenario ${s}`);
        break;
      case '--transport':
        o.transport = value();
        if (!['websocket', 'rawsocket'].includes(o.transport)) usage(`unknown transport ${o.transport}`);
        break;
      case '--serializer':
      case '--serializers':
        o.serializers = list();
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
      case '--help':
      case '-h':
        usage(null);
        break;
      default:
        usage(`unknown argument ${argv[i]}`);
    }
  }
  if (o.repeat == null) o.repeat = o.quick ? 1 : 3;
  return o;
}

function usage(err) {
  const text = fs
    .readFileSync(__filename, 'utf8')
    .split('\n')
    .slice(1, 25)
    .map((l) => l.replace(/^\/\/ ?/, ''))
    .join('\n');
  if (err) process.stderr.write(`bench: ${err}\n\n`);
  (err ? process.stderr : process.stdout).write(text + '\n');
  process.exit(err ? 2 : 0);
}

function params(scenario, quick) {
  switch (scenario) {
    case 'rpc-latency':
      return { calls: quick ? 1000 : 5000, warmup: quick ? 200 : 500 };
    case 'rpc-throughput':
      return { calls: quick ? 10000 : 50000, outstanding: 100, warmup: quick ? 500 : 2000 };
    case 'pubsub-throughput':
      return { events: quick ? 20000 : 100000, burst: 1000, warmup: 50 };
    case 'large-payload':
      return { echoes: quick ? 10 : 50, size: MIB, warmup: 3, max_s: quick ? 4 : 10, min_echoes: 5 };
    case 'memory':
      return { subscriptions: 10000 };
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

function cpuDelta(a, b) {
  let sum = 0;
  for (const [pid, v] of b) sum += v - (a.get(pid) || 0);
  return sum;
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
  let busy = await busyCores();
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

function execArgvFor(impl, opts, extra = [], role = 'client') {
  const args = [...extra];
  const major = Number(process.versions.node.split('.')[0]);
  if (impl === 'ref' && major < 22) args.push('--experimental-websocket', '--disable-warning=ExperimentalWarning');
  if (opts.cpuProf && (opts.cpuProf === 'both' || opts.cpuProf === impl)) {
    const dir = path.join(__dirname, 'profiles');
    fs.mkdirSync(dir, { recursive: true });
    args.push(
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      '--cpu-prof-name',
      `${impl}-${opts._runTag}-${role}-${process.hrtime.bigint()}.cpuprofile`
    );
  }
  return args;
}

class Worker {
  constructor(impl, opts, extraArgv, role) {
    this.impl = impl;
    this.proc = fork(WORKER, [], {
      cwd: ROOT,
      execArgv: execArgvFor(impl, opts, extraArgv, role),
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

  const passive = new Worker(impl, opts, [], scenario === 'pubsub-throughput' ? 'subscriber' : 'callee');
  let active = null;
  try {
    passive.send({ cmd: 'init', ...base, role: 'passive' });
    const pReady = await passive.expect('ready', 60000);
    active = new Worker(impl, opts, [], scenario === 'pubsub-throughput' ? 'publisher' : 'caller');
    active.send({ cmd: 'init', ...base, role: 'active' });
    await active.expect('ready', 120000);

    passive.send({ cmd: 'start' });
    await passive.expect('started', 10000);
    const r0 = treeCpu(routerPids);
    const w0 = process.hrtime.bigint();
    active.send({ cmd: 'start' });
    const aRes = await active.expect('done', timeout);
    if (scenario === 'pubsub-throughput') await passive.expect('done', timeout);
    const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
    const r1 = treeCpu(routerPids);
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
    };
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
    if (pRes.count !== ops) {
      out.warning = `passive side counted ${pRes.count}`;
    }
    return out;
  } finally {
    if (active) await active.end();
    await passive.end();
  }
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
  memory: [
    ['RSS, module loaded', 'loaded_rss', 'MiB', 'lower'],
    ['RSS, connected idle', 'idle_rss', 'MiB', 'lower'],
    ['RSS, 10,000 subscriptions', 'subs_rss', 'MiB', 'lower'],
    ['JS heap, 10,000 subscriptions', 'subs_heap_used', 'MiB', 'lower'],
  ],
};

function fmt(v, unit) {
  if (v == null) return '–';
  if (unit === '%') return `${Math.round(v * 100)}%`;
  if (unit === 'MiB') return (v / MIB).toFixed(1);
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
  for (const r of records) {
    if (r.error) continue;
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
  }
  return rows.join('\n');
}

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
  };
  jsonl.write(JSON.stringify(header) + '\n');
  console.log(
    `bench: ${info.cpu}, ${info.nproc} cores, Node ${info.node}, Crossbar.io ${info.crossbar}, Autobahn|JS ${info.autobahn_ref}`
  );
  console.log(
    `bench: ours = ${info.commit}${info.dirty ? ' (with uncommitted changes)' : ''}; JSON lines -> ${path.relative(process.cwd(), out)}`
  );

  const router = await startRouter();
  console.log(`bench: router ${router.url} (pid ${router.pid})`);

  // the measurements, in order: every scenario/serializer for both clients, alternating, and
  // the client that goes first alternates between repetitions
  const plan = [];
  for (let rep = 1; rep <= opts.repeat; rep++) {
    for (const scenario of opts.scenarios) {
      const sers = scenario === 'memory' ? [opts.serializers[0]] : opts.serializers;
      const variants = scenario === 'large-payload' ? ['string', 'binary'] : [null];
      for (const serializer of sers) {
        for (const variant of variants) {
          const impls = rep % 2 ? opts.impls : opts.impls.slice().reverse();
          for (const impl of impls) plan.push({ rep, scenario, serializer, variant, impl });
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
      const p = params(m.scenario, opts.quick);
      if (m.variant) p.variant = m.variant;
      const label = `${m.scenario}${m.variant ? '/' + m.variant : ''} ${m.serializer} ${m.impl} #${m.rep}`;
      opts._runTag = `${m.scenario}${m.variant ? '-' + m.variant : ''}-${m.serializer}`;
      const quiet = await waitQuiet(opts);
      process.stdout.write(`[${i + 1}/${plan.length}] ${label} ... `);
      const rec = { type: 'result', ...m, variant: m.variant || undefined, params: p, load: quiet };
      try {
        Object.assign(rec, await measure(router, m.impl, m.scenario, m.serializer, p, opts));
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
    await router.stop();
  }
  const elapsed = Math.round((Date.now() - t0) / 1000);
  const md = table(records);
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

process.on('exit', killWorkers);
main().catch((err) => {
  killWorkers();
  console.error(err);
  process.exit(1);
});
