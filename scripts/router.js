#!/usr/bin/env node
// Starts a local WAMP router for demos and manual testing and keeps it running until Ctrl-C (or
// SIGTERM), then stops it.
//
//   node scripts/router.js [--port N] [--host H] [--realm R] [--config F]   the embedded router
//                                                       (bin/autobahn-router.js; default port 8080)
//   node scripts/router.js --crossbar [--port N] [--loglevel warn|info|debug]   Crossbar.io
//   npm run router
//
// With --crossbar, the first run installs the router into .venv/ (about a minute), and
// ROUTER_DEBUG=1 also prints the router's own log to stderr.
'use strict';

require('./bootstrap').bootstrap({ router: false });
// Crossbar.io with --crossbar, or until the addon has the native router.
if (!process.argv.includes('--crossbar') && require('./router-kind').embeddedRouterBuilt()) {
  require('../bin/autobahn-router.js');
  return;
}
process.argv = process.argv.filter((a) => a !== '--crossbar');

const { startCrossbar: startRouter } = require('./crossbar');

function usage(code) {
  process.stderr.write(
    'usage: node scripts/router.js --crossbar [--port N] [--loglevel none|error|warn|info|debug|trace]\n'
  );
  process.exit(code);
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.split('=', 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (name === '--port' || name === '-p') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 1 || port > 65535) usage(2);
      opts.port = port;
    } else if (name === '--loglevel') {
      opts.loglevel = value();
      if (!opts.loglevel) usage(2);
    } else if (name === '--help' || name === '-h') {
      usage(0);
    } else {
      process.stderr.write(`unknown argument: ${arg}\n`);
      usage(2);
    }
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // Handle the signals ourselves so the router gets a graceful stop(); the
  // helper's own handlers stand back when another listener exists.
  let router = null;
  let stopping = false;
  const onSignal = (sig) => {
    if (stopping) {
      process.exit(130); // second Ctrl-C: the exit hook SIGKILLs the router
    }
    stopping = true;
    if (!router) process.exit(130); // still starting: the exit hook cleans up
    process.stderr.write(`\n${sig}: stopping the router ...\n`);
    router.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      }
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  router = await startRouter(opts);
  console.log(router.url);
  process.stderr.write(
    `Crossbar.io router ready in ${(router.startupMs / 1000).toFixed(1)}s: ${router.url} ` +
      `(realm "${router.realm}"; WAMP-over-RawSocket on port ${router.port} too), ` +
      `pid ${router.pid}, log ${router.logFile}\nPress Ctrl-C to stop.\n`
  );
  // The helper unrefs the router process; keep this one alive until a signal.
  setInterval(() => {}, 1 << 30);
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
