'use strict';
// PubSub through a real Crossbar.io router: fan-out, publisher exclusion, acknowledgements, the
// event handler signature and payload shapes, local subscriptions sharing one WAMP subscription,
// unsubscribe semantics, ordering, and binary payloads.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { useRouter, autobahn, uniqueUri, collector, withTimeout } = require('./helpers/session');

const T = { timeout: 20000 };
const ctx = useRouter();

async function sessions(n, opts) {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await ctx.open(opts)).session);
  return out;
}

// Publishes with acknowledge and waits for the router's PUBLISHED.
function publishAck(session, topic, args, kwargs, options) {
  return session.publish(topic, args, kwargs, Object.assign({ acknowledge: true }, options));
}

describe('delivery', () => {
  it('fans out one publication to subscribers on separate connections', T, async () => {
    const [publisher, ...subscribers] = await sessions(4);
    const topic = uniqueUri('fanout');
    const got = subscribers.map(() => collector());
    for (let i = 0; i < subscribers.length; i++) {
      await subscribers[i].subscribe(topic, (args, kwargs) => got[i].push({ args, kwargs }));
    }
    publisher.publish(topic, ['hello', 1], { to: 'all' });
    for (let i = 0; i < subscribers.length; i++) {
      const [ev] = await got[i].waitFor(1);
      assert.deepEqual(ev, { args: ['hello', 1], kwargs: { to: 'all' } }, `subscriber ${i}`);
    }
  });

  it('delivers what was published in the same tick as leave() or close(): it goes out before the GOODBYE', T, async () => {
    const [leaving, subscriber] = await sessions(2);
    const { connection, session: closing } = await ctx.open();
    const topic = uniqueUri('lastwords');
    const got = collector();
    await subscriber.subscribe(topic, (args) => got.push(args[0]));
    leaving.publish(topic, ['before leave()']);
    leaving.leave();
    closing.publish(topic, ['before close()']);
    connection.close();
    assert.deepEqual((await got.waitFor(2)).sort(), ['before close()', 'before leave()']);
  });

  it('does not deliver to the publisher by default, does with exclude_me: false', T, async () => {
    const [publisher, other] = await sessions(2);
    const topic = uniqueUri('excludeme');
    const mine = collector();
    const theirs = collector();
    await publisher.subscribe(topic, (args) => mine.push(args[0]));
    await other.subscribe(topic, (args) => theirs.push(args[0]));

    publisher.publish(topic, ['default']);
    publisher.publish(topic, ['exclude_me false'], {}, { exclude_me: false });

    assert.deepEqual(await theirs.waitFor(2), ['default', 'exclude_me false']);
    // Events from one publisher on one topic arrive in order, so once the second one is here
    // the first one would have been, had it been delivered.
    await mine.waitFor(1);
    assert.deepEqual(mine.items, ['exclude_me false'], 'the publisher got only the exclude_me: false event');
  });

  it('acknowledge: true resolves to an autobahn.Publication; without it publish returns undefined', T, async () => {
    const [publisher, subscriber] = await sessions(2);
    const topic = uniqueUri('ack');
    const got = collector();
    await subscriber.subscribe(topic, (args, kwargs, details) => got.push({ args, details }));

    const ret = publisher.publish(topic, ['no ack']);
    assert.equal(ret, undefined, 'publish without acknowledge returns undefined');

    const pub = await publishAck(publisher, topic, ['ack']);
    assert.ok(pub instanceof autobahn.Publication, 'resolves to an autobahn.Publication');
    assert.equal(typeof pub.id, 'number');
    assert.ok(Number.isSafeInteger(pub.id) && pub.id > 0, `publication id ${pub.id}`);

    const events = await got.waitFor(2);
    assert.deepEqual(events.map((e) => e.args[0]), ['no ack', 'ack']);
    assert.equal(events[1].details.publication, pub.id, 'the subscriber sees the same publication id');
    assert.notEqual(events[0].details.publication, pub.id);
  });

  it('calls handlers with (args, kwargs, details, subscription) and details.publication/topic/publisher', T, async () => {
    const [publisher, subscriber] = await sessions(2);
    const topic = uniqueUri('signature');
    const got = collector();
    const sub = await subscriber.subscribe(topic, function handler(...params) {
      got.push(params);
      return 'ignored';
    });
    const pub = await publishAck(publisher, topic, ['a'], { b: 2 }, { disclose_me: true });
    const [[args, kwargs, details, subscription, ...rest]] = await got.waitFor(1);
    assert.equal(rest.length, 0, 'exactly four handler arguments');
    assert.deepEqual(args, ['a']);
    assert.deepEqual(kwargs, { b: 2 });
    assert.ok(details instanceof autobahn.Event, 'details is an autobahn.Event');
    assert.equal(details.publication, pub.id);
    assert.equal(details.topic, topic);
    assert.equal(details.publisher, publisher.id, 'details.publisher is the publishing session (disclosed)');
    assert.equal(details.publisher_authrole, 'anonymous');
    assert.equal(subscription, sub, 'the fourth argument is the Subscription that subscribe() resolved to');
  });

  it('gives a prefix subscription the concrete topic in details.topic', T, async () => {
    const [publisher, subscriber] = await sessions(2);
    const prefix = uniqueUri('prefixsub');
    const got = collector();
    await subscriber.subscribe(prefix, (args, kwargs, details) => got.push(details.topic), { match: 'prefix' });
    publisher.publish(`${prefix}.x`);
    publisher.publish(`${prefix}.y.z`);
    assert.deepEqual(await got.waitFor(2), [`${prefix}.x`, `${prefix}.y.z`]);
  });

  it('lets a wildcard subscription (empty URI components) match concrete topics', T, async () => {
    const [publisher, subscriber] = await sessions(2);
    const base = uniqueUri('wild');
    const got = collector();
    await subscriber.subscribe(`${base}..end`, (args, kwargs, details) => got.push(details.topic), { match: 'wildcard' });
    publisher.publish(`${base}.a.end`);
    publisher.publish(`${base}.b.other`); // does not match
    publisher.publish(`${base}.c.end`);
    assert.deepEqual(await got.waitFor(2), [`${base}.a.end`, `${base}.c.end`]);
  });

  it('delivers args only, kwargs only (args = []), and no payload (args = [], kwargs = {})', T, async () => {
    const [publisher, subscriber] = await sessions(2);
    const topic = uniqueUri('shapes');
    const got = collector();
    await subscriber.subscribe(topic, (args, kwargs) => got.push({ args, kwargs }));
    publisher.publish(topic, ['only', 'args']);
    publisher.publish(topic, null, { only: 'kwargs' });
    publisher.publish(topic);
    publisher.publish(topic, [], {});
    publisher.publish(topic, [null]);
    const events = await got.waitFor(5);
    assert.deepEqual(events, [
      { args: ['only', 'args'], kwargs: {} },
      { args: [], kwargs: { only: 'kwargs' } },
      { args: [], kwargs: {} },
      { args: [], kwargs: {} },
      { args: [null], kwargs: {} },
    ]);
  });

  it('preserves the order of 1000 rapid publishes', T, async () => {
    const [publisher, subscriber] = await sessions(2);
    const topic = uniqueUri('order');
    const got = collector();
    await subscriber.subscribe(topic, (args) => got.push(args[0]));
    const N = 1000;
    for (let i = 0; i < N; i++) publisher.publish(topic, [i]);
    const events = await got.waitFor(N, 15000);
    const expected = Array.from({ length: N }, (_, i) => i);
    assert.deepEqual(events, expected);
  });

  it('delivers a Buffer payload as a Buffer with the same bytes', T, async () => {
    const [publisher, subscriber] = await sessions(2);
    const topic = uniqueUri('binary');
    const got = collector();
    await subscriber.subscribe(topic, (args, kwargs) => got.push({ args, kwargs }));
    const small = Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xff]);
    const random = crypto.randomBytes(64 * 1024);
    publisher.publish(topic, [small, 'text', random], { bin: Buffer.from('key\u0000bytes'), list: [Buffer.alloc(0)] });
    const [{ args, kwargs }] = await got.waitFor(1);
    assert.ok(Buffer.isBuffer(args[0]), 'args[0] is a Buffer');
    assert.ok(args[0].equals(small), `bytes differ: ${args[0].toString('hex')}`);
    assert.equal(args[1], 'text');
    assert.ok(Buffer.isBuffer(args[2]) && args[2].equals(random), '64 KiB random Buffer intact');
    assert.ok(Buffer.isBuffer(kwargs.bin) && kwargs.bin.equals(Buffer.from('key\u0000bytes')));
    assert.ok(Buffer.isBuffer(kwargs.list[0]) && kwargs.list[0].length === 0);
  });
});

describe('subscriptions', () => {
  it('shares one WAMP subscription id between local subscriptions; session.subscriptions is an array of per-id arrays', T, async () => {
    const [subscriber, publisher] = await sessions(2);
    const topic = uniqueUri('shared');
    const other = uniqueUri('shared.other');
    const a = collector();
    const b = collector();
    const s1 = await subscriber.subscribe(topic, (args) => a.push(args[0]));
    const s2 = await subscriber.subscribe(topic, (args) => b.push(args[0]));
    const s3 = await subscriber.subscribe(other, () => {});
    assert.ok(s1 instanceof autobahn.Subscription);
    assert.notEqual(s1, s2);
    assert.equal(s1.id, s2.id, 'same WAMP subscription id');
    assert.notEqual(s1.id, s3.id);
    assert.equal(s1.topic, topic);

    const subs = subscriber.subscriptions;
    assert.ok(Array.isArray(subs));
    assert.equal(subs.length, 2, 'one entry per WAMP subscription id');
    const forTopic = subs.find((list) => list.includes(s1));
    assert.ok(Array.isArray(forTopic));
    assert.deepEqual(forTopic, [s1, s2]);
    assert.deepEqual(subs.find((list) => list.includes(s3)), [s3]);

    publisher.publish(topic, ['both']);
    assert.deepEqual(await a.waitFor(1), ['both']);
    assert.deepEqual(await b.waitFor(1), ['both'], 'every local handler gets the event');
  });

  it('unsubscribe resolves false while other handlers remain and true after the last; removed handlers get no more events', T, async () => {
    const [subscriber, publisher] = await sessions(2);
    const topic = uniqueUri('unsub');
    const a = collector();
    const b = collector();
    const s1 = await subscriber.subscribe(topic, (args) => a.push(args[0]));
    const s2 = await subscriber.subscribe(topic, (args) => b.push(args[0]));

    publisher.publish(topic, [1]);
    await a.waitFor(1);
    await b.waitFor(1);

    const first = await subscriber.unsubscribe(s1);
    assert.equal(first, false, 'false while another handler uses the subscription');
    assert.equal(s1.active, false);
    assert.equal(s2.active, true);
    await withTimeout(s1.on_unsubscribe, 5000, 's1.on_unsubscribe');
    assert.deepEqual(subscriber.subscriptions, [[s2]]);

    publisher.publish(topic, [2]);
    assert.deepEqual(await b.waitFor(2), [1, 2]);
    assert.deepEqual(a.items, [1], 'the removed handler got no event (it runs in the same dispatch as the remaining one)');

    const last = await subscriber.unsubscribe(s2);
    assert.equal(last, true, 'true after the last handler, once the router confirmed');
    assert.equal(s2.active, false);
    await withTimeout(s2.on_unsubscribe, 5000, 's2.on_unsubscribe');
    assert.deepEqual(subscriber.subscriptions, []);

    // Subscribe again with a fresh handler: events published now reach it, not the old ones.
    const c = collector();
    await subscriber.subscribe(topic, (args) => c.push(args[0]));
    publisher.publish(topic, [3]);
    assert.deepEqual(await c.waitFor(1), [3]);
    assert.deepEqual(a.items, [1]);
    assert.deepEqual(b.items, [1, 2]);
  });

  it('subscription.unsubscribe() ends the subscription', T, async () => {
    const [subscriber, publisher] = await sessions(2);
    const topic = uniqueUri('subunsub');
    const sentinelTopic = uniqueUri('subunsub.sentinel');
    const got = collector();
    const sentinel = collector();
    const sub = await subscriber.subscribe(topic, (args) => got.push(args[0]));
    await subscriber.subscribe(sentinelTopic, (args) => sentinel.push(args[0]));
    let unsubscribedWith = 'not yet';
    sub.on_unsubscribe.then((v) => {
      unsubscribedWith = v;
    });

    assert.equal(await sub.unsubscribe(), true);
    assert.equal(sub.active, false);
    await withTimeout(sub.on_unsubscribe, 5000, 'on_unsubscribe');
    assert.equal(unsubscribedWith, undefined);
    assert.equal(subscriber.subscriptions.length, 1, 'only the sentinel subscription is left');

    // An acknowledged publish to the dropped topic, then one to the sentinel: the router has
    // processed the first before the second reaches the subscriber.
    await publishAck(publisher, topic, ['after']);
    publisher.publish(sentinelTopic, ['sentinel']);
    await sentinel.waitFor(1);
    assert.deepEqual(got.items, [], 'no event after unsubscribe');
  });

  it('subscribe resolves to a Subscription with topic, handler, options, session, id and active', T, async () => {
    const [subscriber] = await sessions(1);
    const topic = uniqueUri('fields');
    const handler = () => {};
    const sub = await subscriber.subscribe(topic, handler, { get_retained: false });
    assert.ok(sub instanceof autobahn.Subscription);
    assert.equal(sub.topic, topic);
    assert.equal(sub.handler, handler);
    assert.deepEqual(sub.options, { get_retained: false });
    assert.equal(sub.session, subscriber);
    assert.ok(Number.isSafeInteger(sub.id) && sub.id > 0, `subscription id ${sub.id}`);
    assert.equal(sub.active, true);
  });

  it('routes events by subscription id: two topics on one session each get only their own events', T, async () => {
    const [s1, s2] = await sessions(2);
    const t1 = uniqueUri('iso.one');
    const t2 = uniqueUri('iso.two');
    const one = collector();
    const two = collector();
    await s1.subscribe(t1, (args) => one.push(args[0]));
    await s1.subscribe(t2, (args) => two.push(args[0]));
    for (let i = 0; i < 20; i++) s2.publish(i % 2 ? t1 : t2, [i]);
    await publishAck(s2, t1, ['end']);
    await publishAck(s2, t2, ['end']);
    assert.deepEqual(await one.waitFor(11), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 'end']);
    assert.deepEqual(await two.waitFor(11), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 'end']);
  });
});
