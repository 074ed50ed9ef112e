#!/usr/bin/env node
// `npm run demo`: builds what is needed, starts the embedded router (autobahn.Router) in this
// process on a free loopback port, runs the examples in examples/ against it (RPC, PubSub,
// progressive results, errors), and stops everything again.
//
//   node scripts/demo.js              the embedded router (no Python needed)
//   node scripts/demo.js --crossbar   a Crossbar.io router from the project-local .venv instead
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { bootstrap, root } = require('./bootstrap');

const args = process.argv.slice(2);
// Crossbar.io with --crossbar, or until the addon has the native router.
const useCrossbar = args.includes('--crossbar') || !require('./router-kind').embeddedRouterBuilt();
if (args.some((a) => a !== '--crossbar')) {
  console.error('usage: node scripts/demo.js [--crossbar]');
  process.exit(2);
}
bootstrap({ router: false });

// Resolves { url, realm, name, stop() } for the router the examples use.
async function startDemoRouter() {
  if (useCrossbar) {
    require('./install-router').ensureRouter();
    const router = await require('./crossbar').startCrossbar();
    return { url: router.url, realm: router.realm, name: 'Crossbar.io router', stop: () => router.stop() };
  }
  const { Router } = require('..');
  const router = new Router(); // realm1, anonymous may do everything, ws://127.0.0.1:<free port>/ws
  try {
    await router.start();
  } catch (err) {
    if (err.code === 'ROUTER_UNAVAILABLE') err.message += '; `npm run demo -- --crossbar` uses Crossbar.io instead';
    throw err;
  }
  return { url: router.url, realm: 'realm1', name: 'embedded router', stop: () => router.stop() };
}

function runExample(file, env, { waitFor } = {}) {
  const child = spawn(process.execPath, [path.join(root, 'examples', file)], {
    env: Object.assign({}, process.env, env),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        console.log(`  [${file}] ${line}`);
        if (waitFor && line.includes(waitFor)) resolve();
      }
    });
    child.on('exit', () => (waitFor ? reject(new Error(`${file} exited before printing "${waitFor}"`)) : resolve()));
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  exited.then(() => clearTimeout(timer));
  return { child, ready, exited };
}

async function pair(title, serverFile, waitFor, clientFile, env, { serverExits = false } = {}) {
  console.log(`\n${title}`);
  const server = runExample(serverFile, env, { waitFor });
  await server.ready;
  const client = runExample(clientFile, env);
  const res = await client.exited;
  if (res.code !== 0) throw new Error(`${clientFile} failed with ${res.code ?? res.signal}`);
  if (!serverExits) server.child.kill('SIGTERM');
  await server.exited;
}

async function main() {
  const router = await startDemoRouter();
  console.log(`${router.name} running at ${router.url} (realm ${router.realm})`);
  const env = { WAMP_URL: router.url, WAMP_REALM: router.realm };
  try {
    await pair('RPC: register and call', 'rpc/callee.js', 'registered', 'rpc/caller.js', env);
    await pair('PubSub: publish three events', 'pubsub/subscriber.js', 'subscribed', 'pubsub/publisher.js', env, {
      serverExits: true,
    });
    await pair('Progressive call results: longop', 'progress/callee.js', 'registered', 'progress/caller.js', env);
    console.log('\nErrors');
    const errors = runExample('errors/errors.js', env);
    await errors.exited;
  } finally {
    await router.stop();
    console.log('\nrouter stopped');
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e.message}`);
  process.exit(1);
});
