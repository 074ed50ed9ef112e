#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `npm run bench -- --cpu-prof`): self time per function,
// summed over the given files, as a share of the sampled non-idle time.
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

const self = new Map(); // key -> microseconds
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
  }
}
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(
  `${files.length} profile(s); busy ${(total / 1e3).toFixed(0)} ms, idle ${(idle / 1e3).toFixed(0)} ms (main thread only)`
);
for (const [k, us] of rows)
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(6)} ms  ${k}`);
