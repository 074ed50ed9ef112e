// What every suite of this project does against a router: a callee/subscriber session and a
// caller/publisher session; one call, one acknowledged publish; both connections closed (and
// their onclose awaited) so that nothing stays open. Resolves with { sum, event }.
'use strict';

function open(autobahn, url) {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({ url, realm: 'realm1', max_retries: 0, use_es6_promises: true });
    const closed = new Promise((onClosed) => {
      connection.onclose = (reason, details) => {
        onClosed(reason);
        reject(new Error(`connection closed before joining: ${reason} ${details.reason || ''}`));
      };
    });
    connection.onopen = (session) => resolve({ connection, session, closed });
    connection.open();
  });
}

async function roundTrip(autobahn, url) {
  const callee = await open(autobahn, url);
  const caller = await open(autobahn, url);
  try {
    await callee.session.register('com.example.add2', (args) => args[0] + args[1]);
    let onEvent;
    const received = new Promise((resolve) => (onEvent = resolve));
    await callee.session.subscribe('com.example.hello', (args) => onEvent(args));
    const sum = await caller.session.call('com.example.add2', [2, 3]);
    await caller.session.publish('com.example.hello', ['hi'], {}, { acknowledge: true });
    return { sum, event: await received };
  } finally {
    callee.connection.close();
    caller.connection.close();
    await Promise.all([callee.closed, caller.closed]);
  }
}

// The same with a router of its own, stopped afterwards.
async function withRouter(autobahn, fn = (url) => roundTrip(autobahn, url)) {
  const router = new autobahn.Router({ log: false });
  await router.start();
  try {
    return await fn(router.url);
  } finally {
    await router.stop();
  }
}

module.exports = { roundTrip, withRouter };
