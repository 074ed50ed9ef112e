// A publisher in a process of its own (its RSS is then its own), driven over IPC by
// flow.test.js:
//   node flood-publisher.js <url> <realm> <topic>
//   child -> {type: 'open', rss}
//   parent -> {type: 'flood', count, padding}: publishes `count` unacknowledged events
//     [n, padding] (n counts the accepted ones from 0) in runs of 10,000, letting the event
//     loop turn between runs, counting the refusals; over the mark it also tries the requests
//     that return promises. Then:
//   child -> {type: 'flooded', accepted, refused, firstRefusal, rejections, baselineRss, peakRss,
//             bufferedAmount, bufferedMessages}
//   child -> {type: 'drained', bufferedAmount} once session.drained() resolves
//   parent -> {type: 'close'}: closes and exits.
'use strict';

const autobahn = require('../..');

const [url, realm, topic] = process.argv.slice(2);
const RUN = 10000;

const connection = new autobahn.Connection({ url, realm, max_retries: 0, use_es6_promises: true });
let session = null;

function reason(promise) {
  return promise.then(
    () => 'resolved',
    (e) => (e instanceof autobahn.Error ? e.error : String(e))
  );
}

async function flood({ count, padding }) {
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let accepted = 0;
  let refused = 0;
  let firstRefusal = null;
  let rejections = null;
  for (let start = 0; start < count; start += RUN) {
    for (let i = start; i < Math.min(count, start + RUN); i++) {
      try {
        session.publish(topic, [accepted, padding]);
        accepted += 1;
      } catch (e) {
        if (!(e instanceof autobahn.Error)) throw e;
        refused += 1;
        if (firstRefusal === null) {
          firstRefusal = { error: e.error, message: e.message, at: i };
          // Made at once, while the buffer is still full.
          const [publish, call, subscribe, register] = await Promise.all([
            reason(session.publish(topic, [-1], {}, { acknowledge: true })),
            reason(session.call('com.example.nowhere')),
            reason(session.subscribe(topic, () => {})),
            reason(session.register(`${topic}.proc`, () => {})),
          ]);
          rejections = { publish, call, subscribe, register };
        }
      }
    }
    await new Promise(setImmediate);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  process.send({
    type: 'flooded',
    accepted,
    refused,
    firstRefusal,
    rejections,
    baselineRss,
    peakRss,
    bufferedAmount: connection.bufferedAmount,
    bufferedMessages: connection.bufferedMessages,
  });
  await session.drained();
  process.send({ type: 'drained', bufferedAmount: connection.bufferedAmount });
}

connection.onopen = (s) => {
  session = s;
  process.send({ type: 'open', rss: process.memoryUsage().rss });
};
connection.onclose = (why, details) => {
  if (session === null) process.send({ type: 'failed', why, details });
  process.disconnect();
};
process.on('message', (msg) => {
  if (msg.type === 'flood') {
    flood(msg).catch((e) => {
      process.send({ type: 'failed', why: String((e && e.stack) || e) });
    });
  } else if (msg.type === 'close') {
    connection.close();
  }
});
connection.open();
