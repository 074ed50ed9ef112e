// One scenario, run in its own Node process with either this package or Autobahn|JS 26.3.1
// (autobahn-reference), so that __test__/fidelity.test.js can compare what application code sees
// from each against the same router:
//
//   node [--experimental-websocket] fidelity-scenario.js <autobahn|reference> <url> <realm>
//
// It writes one JSON line to stdout: {userErrors: [msg...], keys: {invocation, event, subscription,
// registration, publication, result, error}, sent: [[kind, id]...] (what a replaced
// session._send_wamp saw), wire: [[kind, id]...] (this package only: the requests the engine sent,
// from its AUTOBAHN_DEBUG log), socket: {info, serializer}, openAfterThrow, hidden: {...}}.
// Handlers throw synchronously (onopen, onclose, an event handler, an endpoint): Autobahn|JS
// reports only synchronous throws there.
'use strict';

const [which, url, realm] = process.argv.slice(2);
const autobahn = which === 'reference' ? require('autobahn-reference') : require('../..');

const out = { userErrors: [], keys: {}, sent: [], wire: [], socket: null, openAfterThrow: null, hidden: {} };

if (which !== 'reference') {
  // The engine's own log of the messages it sends (request ids as on the wire).
  globalThis.AUTOBAHN_DEBUG = true;
  const log = console.log;
  console.log = (...args) => {
    const line = typeof args[0] === 'string' ? args[0] : '';
    if (!line.startsWith('AUTOBAHN_DEBUG: ')) return log(...args);
    const m = /^AUTOBAHN_DEBUG: WAMP sent (.*)$/s.exec(line);
    if (m) {
      const msg = JSON.parse(m[1]);
      out.wire.push([msg[0], msg[1]]);
    }
    return undefined;
  };
}

function fail(e) {
  process.stdout.write(JSON.stringify({ failed: String((e && e.stack) || e) }) + '\n');
  process.exit(1);
}
setTimeout(() => fail(new Error('scenario timed out')), 20000).unref();

const connection = new autobahn.Connection({
  url,
  realm,
  max_retries: 0,
  use_es6_promises: true,
  on_user_error: (err, msg) => out.userErrors.push(msg),
});

function nextEvent(state) {
  return new Promise((resolve) => {
    state.waiter = resolve;
  });
}

async function run(session) {
  const suffix = `${which}.p${process.pid}`;
  const proc = `com.fidelity.proc.${suffix}`;
  const topic = `com.fidelity.topic.${suffix}`;
  const state = { waiter: null };

  const reg = await session.register(proc, (args, kwargs, details) => {
    out.keys.invocation = Object.keys(details);
    if (which !== 'reference') {
      out.hidden.invocation = { signal: details.signal instanceof AbortSignal, forward_for: 'forward_for' in details };
    }
    if (args[0] === 'throw') throw new Error('endpoint failed');
    return new autobahn.Result([1, 2], { a: 1 });
  });
  out.keys.registration = Object.keys(reg);
  const sub = await session.subscribe(topic, (args, kwargs, details) => {
    out.keys.event = Object.keys(details);
    const w = state.waiter;
    state.waiter = null;
    if (w) w(args[0]);
    if (args[0] === 'throw') throw new Error('event handler failed');
  });
  out.keys.subscription = Object.keys(sub);

  let event = nextEvent(state);
  const pub = await session.publish(topic, ['first'], {}, { acknowledge: true, exclude_me: false });
  out.keys.publication = Object.keys(pub);
  await event;
  event = nextEvent(state);
  session.publish(topic, ['throw'], {}, { exclude_me: false });
  await event;

  const res = await session.call(proc, ['result']);
  out.keys.result = Object.keys(res);
  const err = await session.call(proc, ['throw']).then(
    () => null,
    (e) => e
  );
  out.keys.error = Object.keys(err);
  out.keys.noSuchProcedure = Object.keys(
    await session.call(`${proc}.missing`).then(
      () => null,
      (e) => e
    )
  );
  await session.unsubscribe(sub);
  await session.unregister(reg);
  out.openAfterThrow = session.isOpen;
}

connection.onopen = (session) => {
  out.socket = {
    info: session._socket.info,
    serializer: session._socket.serializer && session._socket.serializer.SERIALIZER_ID,
  };
  // The wrapping pattern of tracing code.
  const orig = session._send_wamp.bind(session);
  session._send_wamp = (msg) => {
    out.sent.push([msg[0], msg[1]]);
    orig(msg);
  };
  run(session).then(() => connection.close(), fail);
  throw new Error('onopen failed');
};

connection.onclose = (reason, details) => {
  if (details.will_retry) return undefined;
  setImmediate(() => {
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(0);
  });
  throw new Error('onclose failed');
};

connection.open();
