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

// The category of a sample's function, from its name and script. Native code that V8 does not
// see as a function (a napi call's C side, JSON builtins) counts for the JS function that called it:
// `_flushOutbox`'s self time is mostly the napi `send()` into the engine.
function category(name, url) {
  const file = url.replace(/^file:\/\//, '');
  const base = path.basename(file);
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
  if (file.includes(`${path.sep}when${path.sep}`) || name === 'runMicrotasks' || name === 'processTicksAndRejections')
    return 'promises (when.js, microtasks)';
  if (
    /undici|node:net|node:internal\/(net|stream|streams|socket|buffer|webstreams)|node:buffer|node:stream/.test(url) ||
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
    total += us;
    const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = where ? `${name} ${where}` : name;
    self.set(key, (self.get(key) || 0) + us);
    const cat = category(name, cf.url || '');
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
