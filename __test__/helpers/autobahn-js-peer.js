// An Autobahn|JS 26.3.1 (npm alias autobahn-reference) peer in its own Node process, driven by
// __test__/router-peers.test.js over the fork IPC channel (serialization 'advanced', so Buffers
// and integers cross unchanged). Autobahn|JS needs a global WebSocket: Node 22+, or Node 20 with
// --experimental-websocket (the test passes the flag).
//
// Every command carries an `id`; the answer is {type: 'reply', id, ok: true, result} or
// {type: 'reply', id, ok: false, error: {error, args, kwargs} | {message}}.
//
//   {cmd: 'connect', url, realm, serializer: 'json'|'msgpack'|'cbor', authmethods, authid,
//    authextra, credentials: {ticket, secret, seed}}
//   ({transport: 'rawsocket', host, port} instead of url: WAMP-over-RawSocket, JSON)
//       -> result {session, details}  (details of onopen), or ok: false with {closed: {reason, details}}
//   {cmd: 'register', procedure, kind: 'echo'|'progress'|'describe'|'fail'}
//       echo: returns what it got (one arg as such, else an autobahn.Result)
//       fail: throws autobahn.Error('com.peers.error.failed', ['it failed', ...args], {code: 7})
//       progress: args [n]: n progressive results {step: i} (when the caller asked), then 'done after n'
//       describe: returns the type description of args/kwargs (typesOf, helpers/value-types.js)
//       every invocation is also reported: {type: 'invocation', procedure, args, kwargs, details}
//   {cmd: 'subscribe', topic} -> events {type: 'event', topic, args, kwargs, details, types}
//   {cmd: 'call', procedure, args, kwargs, options, progress: true}
//       -> {type: 'progress', id, value} per progressive result, then the reply
//       (result: {value} with an autobahn.Result as {args, kwargs, result: true})
//   {cmd: 'publish', topic, args, kwargs, options} (acknowledged)
//   {cmd: 'close'} -> result {reason, details} of the final onclose
// The process exits when the IPC channel closes.
'use strict';

if (typeof globalThis.WebSocket !== 'function') {
  throw new Error('Autobahn|JS needs a global WebSocket: run Node 22+ or Node 20 with --experimental-websocket');
}

const autobahn = require('autobahn-reference');
const { typesOf } = require('./value-types');

let connection = null;
let session = null;

function send(msg) {
  if (process.connected) process.send(msg);
}

process.on('disconnect', () => {
  try {
    if (connection) connection.close();
  } catch {
    // already closed
  }
  process.exit(0);
});

function serializers(name) {
  const S = autobahn.serializer;
  const make = { json: S.JSONSerializer, msgpack: S.MsgpackSerializer, cbor: S.CBORSerializer }[name || 'json'];
  if (!make) throw new Error(`unknown serializer ${name}`);
  return [new make()];
}

function onchallenge(credentials) {
  return (_session, method, extra) => {
    if (method === 'ticket') return credentials.ticket;
    if (method === 'wampcra') {
      let key = credentials.secret;
      if (extra.salt) key = autobahn.auth_cra.derive_key(key, extra.salt, extra.iterations, extra.keylen);
      return autobahn.auth_cra.sign(key, extra.challenge);
    }
    if (method === 'cryptosign') {
      const pkey = autobahn.nacl.sign.keyPair.fromSeed(Buffer.from(credentials.seed, 'hex'));
      return autobahn.auth_cryptosign.sign_challenge(pkey, extra);
    }
    throw new Error(`no credentials for ${method}`);
  };
}

function connect(cmd) {
  return new Promise((resolve, reject) => {
    const credentials = cmd.credentials || {};
    const options = {
      url: cmd.url,
      realm: cmd.realm,
      serializers: serializers(cmd.serializer),
      max_retries: 0,
    };
    if (cmd.transport === 'rawsocket') {
      // Autobahn|JS's RawSocket transport speaks JSON only
      options.transports = [{ type: 'rawsocket', host: cmd.host, port: cmd.port }];
    }
    if (cmd.authmethods) options.authmethods = cmd.authmethods;
    if (cmd.authid) options.authid = cmd.authid;
    if (cmd.authextra) options.authextra = { ...cmd.authextra };
    if (credentials.seed) {
      const pkey = autobahn.nacl.sign.keyPair.fromSeed(Buffer.from(credentials.seed, 'hex'));
      options.authextra = { ...options.authextra, pubkey: autobahn.auth_cryptosign.public_key(pkey) };
    }
    if (cmd.authmethods) options.onchallenge = onchallenge(credentials);
    connection = new autobahn.Connection(options);
    let opened = false;
    connection.onopen = (s, details) => {
      opened = true;
      session = s;
      resolve({ session: s.id, details });
    };
    connection.onclose = (reason, details) => {
      if (!opened) reject(Object.assign(new Error(`closed before open: ${reason}`), { closed: { reason, details } }));
      else send({ type: 'closed', reason, details });
      return true; // no retry
    };
    connection.open();
  });
}

function close() {
  return new Promise((resolve) => {
    connection.onclose = (reason, details) => {
      resolve({ reason, details });
      return true;
    };
    connection.close();
  });
}

function invocationDetails(details) {
  return {
    caller: details.caller,
    caller_authid: details.caller_authid,
    caller_authrole: details.caller_authrole,
    progress: !!details.progress,
  };
}

const ENDPOINTS = {
  echo: (args, kwargs) =>
    args.length === 1 && Object.keys(kwargs).length === 0 ? args[0] : new autobahn.Result(args, kwargs),
  describe: (args, kwargs) => new autobahn.Result([typesOf(args)], { kwargs: typesOf(kwargs) }),
  fail: (args) => {
    throw new autobahn.Error('com.peers.error.failed', ['it failed', ...args], { code: 7 });
  },
  progress: async (args, _kwargs, details) => {
    const n = args[0];
    for (let i = 0; i < n; i++) {
      if (details.progress) details.progress([{ step: i }]);
      await new Promise((r) => setImmediate(r));
    }
    return `done after ${n}`;
  },
};

function resultValue(res) {
  if (res instanceof autobahn.Result) return { result: true, args: res.args, kwargs: res.kwargs };
  return { value: res };
}

async function run(cmd) {
  switch (cmd.cmd) {
    case 'connect':
      return connect(cmd);
    case 'register': {
      const endpoint = ENDPOINTS[cmd.kind];
      if (!endpoint) throw new Error(`unknown kind ${cmd.kind}`);
      const reg = await session.register(cmd.procedure, (args, kwargs, details) => {
        send({ type: 'invocation', procedure: cmd.procedure, args, kwargs, details: invocationDetails(details) });
        return endpoint(args || [], kwargs || {}, details);
      });
      return reg.id;
    }
    case 'subscribe': {
      const sub = await session.subscribe(cmd.topic, (args, kwargs, details) => {
        send({
          type: 'event',
          topic: cmd.topic,
          args,
          kwargs,
          types: typesOf(args),
          details: {
            publisher: details.publisher,
            publisher_authid: details.publisher_authid,
            publication: details.publication,
          },
        });
      });
      return sub.id;
    }
    case 'call': {
      const options = { ...cmd.options };
      if (cmd.progress) options.receive_progress = true;
      const p = session.call(cmd.procedure, cmd.args || [], cmd.kwargs || {}, options);
      const res = await p.then(null, null, (update) => send({ type: 'progress', id: cmd.id, value: update }));
      return resultValue(res);
    }
    case 'publish': {
      const pub = await session.publish(cmd.topic, cmd.args || [], cmd.kwargs || {}, {
        acknowledge: true,
        ...cmd.options,
      });
      return pub.id;
    }
    case 'close':
      return close();
    default:
      throw new Error(`unknown command ${cmd.cmd}`);
  }
}

process.on('message', (cmd) => {
  run(cmd).then(
    (result) => send({ type: 'reply', id: cmd.id, ok: true, result }),
    (err) => {
      const error =
        err instanceof autobahn.Error
          ? { error: err.error, args: err.args, kwargs: err.kwargs }
          : { message: String((err && err.message) || err), closed: err && err.closed };
      send({ type: 'reply', id: cmd.id, ok: false, error });
    }
  );
});

send({ type: 'started', version: autobahn.version });
