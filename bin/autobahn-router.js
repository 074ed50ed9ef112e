#!/usr/bin/env node
// autobahn-router: runs the embedded WAMP router until SIGINT/SIGTERM.
//
//   npx autobahn-router [--port 8080] [--host 127.0.0.1] [--realm realm1] [--config file.json]
//
// stdout: one `listening <url>` line per transport, then `autobahn-router ready`.
// stderr: the router's log (sessions joining and leaving, warnings, errors).
// Exit codes: 0 after a clean stop, 1 when the router cannot start, 2 on bad arguments.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Router } = require('../lib/router.js');

const USAGE = `usage: autobahn-router [--port N] [--host ADDRESS] [--realm NAME] [--config FILE]

  --port N        TCP port (default 8080; 0 picks a free one)
  --host ADDRESS  interface to listen on (default 127.0.0.1)
  --realm NAME    the realm (default realm1); role anonymous may do everything
  --config FILE   a Crossbar.io node config (.crossbar/config.json) or Router options (JSON);
                  --port and --host then replace those of its first TCP transport
  -h, --help      this text

Without --config: one universal transport (WebSocket at /ws and RawSocket on the same port,
serializers json, msgpack, cbor).
`;

function usageError(message) {
  process.stderr.write(`autobahn-router: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        realm: { type: 'string' },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usageError(err.message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) {
      usageError(`--port must be a port number from 0 to 65535, got ${JSON.stringify(values.port)}`);
    }
    values.port = Number(values.port);
  }
  if (values.host === '') usageError('--host must not be empty');
  if (values.realm !== undefined && values.config !== undefined) {
    usageError('--realm cannot be combined with --config (the config names its realms)');
  }
  return values;
}

function log(level, message) {
  process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
}

function buildRouter(args) {
  if (args.config === undefined) {
    const realm = args.realm === undefined ? 'realm1' : args.realm;
    return new Router({
      realms: [{ name: realm }],
      transports: [
        { type: 'universal', host: args.host || '127.0.0.1', port: args.port === undefined ? 8080 : args.port },
      ],
      log,
    });
  }
  const file = path.resolve(args.config);
  let config;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${err.message}`, { cause: err });
  }
  const router = Array.isArray(config.workers)
    ? Router.fromCrossbarConfig(file, { log })
    : new Router(Object.assign({ log }, config), { baseDir: path.dirname(file) });
  const tcp = router._config.transports.find((t) => t.unix === undefined);
  if (args.port !== undefined || args.host !== undefined) {
    if (!tcp) throw new Error(`--port/--host: ${file} has no TCP transport`);
    if (args.port !== undefined) tcp.port = args.port;
    if (args.host !== undefined) tcp.host = args.host;
  }
  return router;
}

async function main() {
  const args = parse(process.argv.slice(2));
  let router;
  try {
    router = buildRouter(args);
  } catch (err) {
    // Without --config every setting came from a flag; a config file the router cannot use is
    // a reason to not start instead.
    if (args.config === undefined) usageError(err.message);
    process.stderr.write(`autobahn-router: ${err.message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const onSignal = (signal) => {
    if (stopping) process.exit(130); // a second Ctrl-C: do not wait any longer
    stopping = true;
    log('info', `${signal}: stopping (GOODBYE wamp.close.system_shutdown to every session)`);
    router.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`autobahn-router: stop failed: ${err.message}\n`);
        process.exit(1);
      }
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await router.start();
  } catch (err) {
    process.stderr.write(`autobahn-router: cannot start: ${err.message}${err.code ? ` (${err.code})` : ''}\n`);
    process.exit(1);
  }
  if (stopping) return; // a signal arrived while starting; its stop() ends the process
  for (const t of router.transports) process.stdout.write(`listening ${t.url}\n`);
  process.stdout.write('autobahn-router ready\n');
}

main();
