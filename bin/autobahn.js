#!/usr/bin/env node
// autobahn: call, publish, subscribe and register from the command line.
//
//   npx autobahn call URI [ARG...]       npx autobahn subscribe TOPIC
//   npx autobahn publish TOPIC [ARG...]  npx autobahn register URI
//
// stdout: JSON lines only (one per result, progress update, publication, event or invocation);
// stderr: diagnostics. Exit codes are listed in USAGE below.
'use strict';

const fs = require('node:fs');
const { parseArgs } = require('node:util');
const autobahn = require('..');
const { checkUri } = require('../lib/validate.js');

const EXIT = {
  OK: 0,
  // 1: an unexpected failure (Node's own code for an uncaught exception)
  USAGE: 2,
  WAMP_ERROR: 3,
  CONNECTION: 4,
};

const DEFAULT_URL = 'ws://127.0.0.1:8080/ws';
const DEFAULT_REALM = 'realm1';

const USAGE = `usage: autobahn <command> [options] [--] ...

commands:
  call URI [ARG...]        call a procedure, print its result (and progress updates)
  publish TOPIC [ARG...]   publish an event (acknowledged), print the publication id
  subscribe TOPIC          print each event until SIGINT (Ctrl-C) or SIGTERM
  register URI             an echo procedure: returns its arguments, prints each invocation,
                           until SIGINT (Ctrl-C) or SIGTERM

ARG is parsed as JSON when it parses (42, true, null, "text", [1,2], {"a":1}), else it is the
string as given. Put -- before arguments that start with '-'.

options:
  -u, --url URL            router: ws://, wss://, rs://host:port, rss://host:port, rs+unix://PATH
                           (default $AUTOBAHN_URL or ${DEFAULT_URL})
  -r, --realm NAME         realm (default $AUTOBAHN_REALM or ${DEFAULT_REALM})
  -s, --serializer NAME    json, msgpack or cbor (default: json, then msgpack)
  -k, --kwargs JSON        keyword arguments (a JSON object) for call and publish
      --match MODE         prefix or wildcard, for subscribe and register
      --authid ID          authentication ID (user name)
      --authrole ROLE      role to ask for
      --ticket TICKET      ticket authentication           (or $AUTOBAHN_TICKET)
      --secret SECRET      WAMP-CRA, salted or not         (or $AUTOBAHN_SECRET)
      --password PASSWORD  WAMP-SCRAM                      (or $AUTOBAHN_PASSWORD)
      --private-key KEY    WAMP-Cryptosign: a seed as 64 hex characters, or a file holding one
                           (hex, 32 raw bytes, or a Crossbar.io key.priv) (or $AUTOBAHN_PRIVATE_KEY)
  -h, --help               this text

output (stdout, one JSON object per line):
  call       {"args":[...],"kwargs":{...}}  (updates first, with "progress":true)
  publish    {"publication":ID}
  subscribe  {"topic":URI,"args":[...],"kwargs":{...}}
  register   {"procedure":URI,"args":[...],"kwargs":{...}}

exit codes:
  0  success (subscribe/register: stopped by SIGINT/SIGTERM)
  2  usage error (bad flags or arguments)
  3  the router answered with a WAMP error (its URI, args and kwargs go to stderr as JSON)
  4  connection or authentication failure, or the connection was lost
`;

const COMMANDS = {
  call: { min: 1, max: Infinity, what: 'URI [ARG...]' },
  publish: { min: 1, max: Infinity, what: 'TOPIC [ARG...]' },
  subscribe: { min: 1, max: 1, what: 'TOPIC' },
  register: { min: 1, max: 1, what: 'URI' },
};

class UsageError extends Error {}

function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string', short: 'u' },
        realm: { type: 'string', short: 'r' },
        serializer: { type: 'string', short: 's' },
        kwargs: { type: 'string', short: 'k' },
        match: { type: 'string' },
        authid: { type: 'string' },
        authrole: { type: 'string' },
        ticket: { type: 'string' },
        secret: { type: 'string' },
        password: { type: 'string' },
        'private-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('a command is required: call, publish, subscribe or register');
  const spec = COMMANDS[command];
  if (!spec)
    throw new UsageError(`unknown command ${JSON.stringify(command)}: use call, publish, subscribe or register`);
  if (rest.length < spec.min || rest.length > spec.max) {
    throw new UsageError(`usage: autobahn ${command} ${spec.what}`);
  }
  const [uri, ...args] = rest;
  let kwargs;
  if (values.kwargs !== undefined) {
    if (command !== 'call' && command !== 'publish')
      throw new UsageError(`--kwargs is for call and publish, not ${command}`);
    try {
      kwargs = JSON.parse(values.kwargs);
    } catch (e) {
      throw new UsageError(`--kwargs must be a JSON object: ${e.message}`);
    }
    if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) {
      throw new UsageError('--kwargs must be a JSON object, e.g. \'{"name": "x"}\'');
    }
  }
  if (values.match !== undefined) {
    if (command !== 'subscribe' && command !== 'register')
      throw new UsageError(`--match is for subscribe and register, not ${command}`);
    if (values.match !== 'prefix' && values.match !== 'wildcard')
      throw new UsageError('--match must be prefix or wildcard');
  }
  try {
    checkUri(uri, command === 'call' || command === 'register' ? 'procedure' : 'topic', values.match === 'wildcard');
  } catch (e) {
    throw new UsageError(e instanceof autobahn.Error ? e.args[0] : e.message);
  }
  if (values.serializer !== undefined && !['json', 'msgpack', 'cbor'].includes(values.serializer)) {
    throw new UsageError(`--serializer must be json, msgpack or cbor, got ${JSON.stringify(values.serializer)}`);
  }
  return { command, uri, args: args.map(parseArgument), kwargs, values };
}

function parseArgument(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const KEY_PRIV_LINE = /^private-key-ed25519:\s*([0-9a-fA-F]{64})\s*$/m;
const SEED_HEX = /^[0-9a-fA-F]{64}$/;

// A cryptosign seed from --private-key: 64 hex characters, or a file holding them, 32 raw bytes,
// or a Crossbar.io key.priv.
function privateKeySeed(value) {
  if (SEED_HEX.test(value)) return value;
  let data;
  try {
    data = fs.readFileSync(value);
  } catch (e) {
    throw new UsageError(`--private-key is neither 64 hex characters nor a readable file (${e.code || e.message})`);
  }
  const text = data.toString('latin1');
  if (SEED_HEX.test(text.trim())) return text.trim();
  const line = KEY_PRIV_LINE.exec(text);
  if (line) return line[1];
  if (data.length === 32) return data;
  throw new UsageError(
    '--private-key file must hold a seed: 64 hex characters, 32 raw bytes, or a "private-key-ed25519: <hex>" line'
  );
}

function connectionOptions(values, env) {
  const url = values.url || env.AUTOBAHN_URL || DEFAULT_URL;
  const options = {
    realm: values.realm || env.AUTOBAHN_REALM || DEFAULT_REALM,
    max_retries: 0,
    retry_if_unreachable: false,
    use_es6_promises: true,
  };
  if (/^wss?:\/\//.test(url)) options.url = url;
  else if (/^(rss?|rs\+unix):\/\//.test(url)) options.transports = [{ type: 'rawsocket', url }];
  else
    throw new UsageError(
      `--url must start with ws://, wss://, rs://, rss:// or rs+unix://, got ${JSON.stringify(url)}`
    );
  if (values.serializer) options.serializers = [values.serializer];
  if (values.authid !== undefined) options.authid = values.authid;
  if (values.authrole !== undefined) options.authrole = values.authrole;
  const ticket = values.ticket !== undefined ? values.ticket : env.AUTOBAHN_TICKET;
  const secret = values.secret !== undefined ? values.secret : env.AUTOBAHN_SECRET;
  const password = values.password !== undefined ? values.password : env.AUTOBAHN_PASSWORD;
  const privateKey = values['private-key'] !== undefined ? values['private-key'] : env.AUTOBAHN_PRIVATE_KEY;
  if (ticket) options.ticket = ticket;
  if (secret) options.secret = secret;
  if (password) options.password = password;
  if (privateKey) options.private_key = privateKeySeed(privateKey);
  return options;
}

// JSON text for a line of output: 64-bit integers (BigInt) as exact JSON numbers.
const BIGINT_MARK = '\u0000bigint:';
function jsonLine(value) {
  const text = JSON.stringify(value, (key, v) => (typeof v === 'bigint' ? BIGINT_MARK + v.toString() : v));
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1') + '\n';
}

// args/kwargs of what session.call resolves with (a value, or an autobahn.Result).
function resultPayload(result) {
  if (result instanceof autobahn.Result) return { args: result.args || [], kwargs: result.kwargs || {} };
  return { args: result === undefined ? [] : [result], kwargs: {} };
}

function diagnostic(message) {
  process.stderr.write(`autobahn: ${message}\n`);
}

// A WAMP error (its URI, args, kwargs) on stderr as JSON, and exit code 3.
function wampError(err) {
  process.stderr.write(jsonLine({ error: err.error, args: err.args || [], kwargs: err.kwargs || {} }));
  process.exitCode = EXIT.WAMP_ERROR;
}

function main() {
  let cli;
  let options;
  let connection;
  try {
    cli = parseCommandLine(process.argv.slice(2));
    if (cli.help) {
      process.stdout.write(USAGE);
      return;
    }
    options = connectionOptions(cli.values, process.env);
    connection = new autobahn.Connection({
      ...options,
      on_user_error: (err, msg) => diagnostic(`${msg}: ${err && err.message ? err.message : err}`),
    });
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof TypeError)) throw e;
    diagnostic(`${e.message}\n(autobahn --help shows the usage)`);
    process.exitCode = EXIT.USAGE;
    return;
  }

  const { command, uri, args, kwargs, values } = cli;
  let opened = false;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    try {
      connection.close();
    } catch {
      // already closed
    }
  };
  const stopOnSignal = (signal) => {
    if (stopping) {
      // A second signal: do not wait for the router any longer.
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    diagnostic(`${signal}: leaving`);
    stop();
  };

  // stdout closed by its reader (e.g. `autobahn subscribe t | head -1`): leave, as on a signal.
  process.stdout.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    stop();
  });
  if (command === 'subscribe' || command === 'register') {
    process.on('SIGINT', stopOnSignal);
    process.on('SIGTERM', stopOnSignal);
  }

  connection.onopen = (session) => {
    opened = true;
    let run;
    try {
      run = runCommand(session, command, uri, args, kwargs, values);
    } catch (e) {
      // A synchronous refusal of our own (e.g. an invalid URI): nothing was sent.
      diagnostic(e instanceof autobahn.Error ? `${e.error}: ${(e.args || []).join(' ')}` : e.message);
      process.exitCode = EXIT.USAGE;
      stop();
      return;
    }
    run.then(
      (keepRunning) => {
        if (!keepRunning) stop();
      },
      (err) => {
        if (err instanceof autobahn.Error) wampError(err);
        else {
          diagnostic(err && err.message ? err.message : String(err));
          process.exitCode = 1;
        }
        stop();
      }
    );
  };

  connection.onclose = (reason, details) => {
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    if (stopping) return;
    // Not asked to leave: refused, unreachable, or lost.
    const what = opened ? 'connection lost' : 'could not join';
    process.stderr.write(
      jsonLine({ onclose: reason, error: details.reason || null, message: details.message || `${what} (${reason})` })
    );
    process.exitCode = EXIT.CONNECTION;
  };

  connection.open();
}

// Resolves to true for the commands that run until a signal.
async function runCommand(session, command, uri, args, kwargs, values) {
  const out = (value) => process.stdout.write(jsonLine(value));
  switch (command) {
    case 'call': {
      const result = await session.call(uri, args, kwargs, {
        progress: (update) => out({ progress: true, ...resultPayload(update) }),
      });
      out(resultPayload(result));
      return false;
    }
    case 'publish': {
      const publication = await session.publish(uri, args, kwargs, { acknowledge: true });
      out({ publication: publication.id });
      return false;
    }
    case 'subscribe': {
      const subscription = await session.subscribe(
        uri,
        (eventArgs, eventKwargs, details) =>
          out({ topic: (details && details.topic) || uri, args: eventArgs || [], kwargs: eventKwargs || {} }),
        values.match ? { match: values.match } : undefined
      );
      diagnostic(`subscribed to ${uri} (subscription ${subscription.id}); SIGINT/SIGTERM to stop`);
      return true;
    }
    default: {
      const registration = await session.register(
        uri,
        (callArgs, callKwargs, details) => {
          const a = callArgs || [];
          const kw = callKwargs || {};
          out({ procedure: (details && details.procedure) || uri, args: a, kwargs: kw });
          return new autobahn.Result(a, kw);
        },
        values.match ? { match: values.match } : undefined
      );
      diagnostic(`registered ${uri} (registration ${registration.id}); SIGINT/SIGTERM to stop`);
      return true;
    }
  }
}

main();
