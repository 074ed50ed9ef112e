#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `npm run bench -- --cpu-prof`): self time per function,
// summed over the given files, as a share of the sampled non-idle time; then the same time by
// category (what a message costs on the JS thread: WAMP dispatch, promises, codec, the crossing
// into our engine, transport I/O done in JavaScript, GC). The engine's own thread is not in a V8
// profile: its CPU per operation is in the bench's JSON lines (active_cpu.threads['autobahn-io']).
//
//   node bench/profile-summary.js [--top N] bench/profiles/ours-rpc-throughput-json-caller-*.cpuprofile
'use strict';
const fs = require('node:fs');
const path = require('node:path');

let top = 25;
const files = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--top') top = Number(argv[++i]);
  else files.push(argv[i]);
}
if (!files.length) {
  console.error('usage: node bench/profile-summary.js [--top N] FILE.cpuprofile...');
  process.exit(2);
}

const OURS_LIB = path.join(path.resolve(__dirname, '..'), 'lib') + path.sep;

const PROFILER = 'the profiler itself (left out)';

// The category of a sample's function, from its name and script, or for a native function (no
// script: a napi method, which V8 names after a class of the addon, e.g. "NativeRouter") from the
// JavaScript function that called it: the napi `send()` called by `_flushOutbox` is the crossing
// into our engine. JSON builtins count for the function that called them.
function category(node, parentOf) {
  const name = node.callFrame.functionName || '(anonymous)';
  const url = node.callFrame.url || '';
  if (!url && !name.startsWith('(')) {
    const parent = parentOf.get(node.id);
    if (parent) {
      const pcat = category(parent, parentOf);
      if (pcat === PROFILER) return PROFILER;
      if (parent.callFrame.url.includes(OURS_LIB)) return 'crossing into the engine (napi send)';
      return pcat;
    }
  }
  const file = url.replace(/^file:\/\//, '');
  const base = path.basename(file);
  if (url === 'node:inspector' || url.startsWith('node:internal/inspector')) return PROFILER;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'native, outside JS functions (napi callbacks into JS, libuv)';
  if (base === 'worker.js' && file.includes(`${path.sep}bench${path.sep}`)) return 'the benchmark itself (worker.js)';
  if (file.startsWith(OURS_LIB)) {
    if (name === '_flushOutbox' || name === 'send') return 'crossing into the engine (napi send)';
    if (base === 'payload.js' || base === 'validate.js') return 'codec (JSON text, payload checks)';
    return 'WAMP dispatch (session, calls, progress)';
  }
  if (file.includes(`${path.sep}autobahn-reference${path.sep}`)) {
    if (base === 'serializer.js') return 'codec (JSON text, payload checks)';
    if (file.includes(`${path.sep}transport${path.sep}`)) return 'transport I/O in JS (WebSocket, sockets)';
    return 'WAMP dispatch (session, calls, progress)';
  }
  if (/[\\/](msgpack5|bl|cbor|buffer|base64-js|ieee754)[\\/]/.test(file)) return 'codec (JSON text, payload checks)';
  // TextDecoder: undici's UTF-8 decoding of received text frames
  if (url === 'node:internal/encoding' || name === 'decodeUTF8') return 'codec (JSON text, payload checks)';
  if (
    file.includes(`${path.sep}when${path.sep}`) ||
    url === 'node:internal/process/task_queues' ||
    name === 'runMicrotasks' ||
    name === 'enqueueMicrotask'
  )
    return 'promises (when.js, microtasks)';
  if (
    /undici|node:net|node:internal\/(net|stream|streams|socket|buffer|webstreams|event_target)|node:buffer|node:stream/.test(
      url
    ) ||
    ['writeBuffer', 'writev', 'FastBuffer', 'allocUnsafe', 'writeUtf8String', 'GenericJSToWasmWrapper'].includes(name)
  )
    return 'transport I/O in JS (WebSocket, sockets)';
  return 'other (Node internals)';
}

const self = new Map(); // key -> microseconds
const byCategory = new Map();
let total = 0;
let idle = 0;
for (const f of files) {
  const prof = JSON.parse(fs.readFileSync(f, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of prof.nodes) for (const c of n.children || []) parentOf.set(c, n);
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    const node = byId.get(prof.samples[i]);
    const us = dt[i + 1] !== undefined ? dt[i + 1] : 0;
    const cf = node.callFrame;
    const name = cf.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const cat = category(node, parentOf);
    if (cat === PROFILER) continue;
    total += us;
    const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = where ? `${name} ${where}` : name;
    self.set(key, (self.get(key) || 0) + us);
    byCategory.set(cat, (byCategory.get(cat) || 0) + us);
  }
}
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(
  `${files.length} profile(s); busy ${(total / 1e3).toFixed(0)} ms, idle ${(idle / 1e3).toFixed(0)} ms (main thread only)`
);
for (const [k, us] of rows)
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(6)} ms  ${k}`);
console.log('\nby category:');
for (const [k, us] of [...byCategory.entries()].sort((a, b) => b[1] - a[1]))
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(6)} ms  ${k}`);
