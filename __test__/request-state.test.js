'use strict';
// Per-request state kept as lightly as possible (the request deferred behind calls and
// acknowledged publishes, the invocation details): many requests in flight at once must each
// keep their own outcome, interrupt and details.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useRouter, autobahn, uniqueUri, deferred, withTimeout } = require('./helpers/session');

const T = { timeout: 20000 };
const ctx = useRouter();
const when = autobahn.when;

describe('requests in flight at once', () => {
  it(
    '500 concurrent calls (when.js): each settles with its own result or error, progress reaches its own handler',
    T,
    async () => {
      const { callee, caller } = await ctx.pair();
      const proc = uniqueUri('state.echo');
      await callee.register(proc, (args, kwargs, details) => {
        if (args[0] % 7 === 3) throw new autobahn.Error('com.example.odd', [args[0]]);
        if (details.progress) details.progress([args[0] * 10]);
        return args[0];
      });
      const progress = new Map();
      const outcomes = [];
      for (let i = 0; i < 500; i++) {
        const withProgress = i % 5 === 0;
        const p = caller.call(proc, [i], {}, withProgress ? { receive_progress: true } : {});
        assert.ok(p instanceof when.Promise, 'a when.js promise');
        assert.equal(typeof p.cancel, 'function');
        outcomes.push(
          p.then(
            (v) => ['ok', v],
            (e) => ['error', e.error, e.args[0]],
            (update) => progress.set(i, update)
          )
        );
      }
      const settled = await withTimeout(Promise.all(outcomes.map((o) => Promise.resolve(o))), 15000, 'all calls');
      for (let i = 0; i < 500; i++) {
        if (i % 7 === 3) assert.deepEqual(settled[i], ['error', 'com.example.odd', i], `call ${i}`);
        else assert.deepEqual(settled[i], ['ok', i], `call ${i}`);
        if (i % 5 === 0 && i % 7 !== 3) assert.equal(progress.get(i), i * 10, `progress of call ${i}`);
        else assert.equal(progress.has(i), false, `no progress for call ${i}`);
      }
    }
  );

  it('acknowledged publishes in flight at once each resolve to their own Publication', T, async () => {
    const { callee: subscriber, caller: publisher } = await ctx.pair();
    const topic = uniqueUri('state.topic');
    const got = [];
    const all = deferred();
    await subscriber.subscribe(topic, (args) => {
      got.push(args[0]);
      if (got.length === 100) all.resolve();
    });
    const acks = [];
    for (let i = 0; i < 100; i++) acks.push(publisher.publish(topic, [i], {}, { acknowledge: true }));
    const publications = await Promise.all(acks.map((a) => Promise.resolve(a)));
    assert.ok(publications.every((p) => p instanceof autobahn.Publication && typeof p.id === 'number'));
    assert.equal(new Set(publications.map((p) => p.id)).size, 100, 'one publication id per publish');
    await withTimeout(all.promise, 5000, 'events');
    assert.deepEqual(
      got,
      Array.from({ length: 100 }, (_, i) => i)
    );
  });

  it(
    'of two running invocations that asked for their signal, cancelling one call aborts only that one',
    T,
    async () => {
      const { callee, caller } = await ctx.pair({ use_es6_promises: true });
      const proc = uniqueUri('state.interruptible');
      const running = new Map(); // argument -> { details, aborted }
      const bothRunning = deferred();
      await callee.register(proc, (args, kwargs, details) => {
        const aborted = deferred();
        running.set(args[0], { details, aborted });
        if (running.size === 2) bothRunning.resolve();
        return new Promise((_resolve, reject) => {
          details.signal.addEventListener('abort', () => {
            aborted.resolve(details.signal.reason);
            reject(details.signal.reason);
          });
        });
      });
      const first = caller.call(proc, ['first']);
      const firstOutcome = first.then(
        () => 'resolved',
        (e) => e.error
      );
      const second = caller.call(proc, ['second']);
      await withTimeout(bothRunning.promise, 5000, 'both invocations');
      first.cancel({ mode: 'kill' });
      const reason = await withTimeout(running.get('first').aborted.promise, 5000, 'the first interrupt');
      assert.equal(reason.error, 'wamp.error.canceled');
      assert.equal(await withTimeout(firstOutcome, 5000, 'the first outcome'), 'wamp.error.canceled');
      assert.equal(running.get('second').details.signal.aborted, false, 'the second invocation runs on');
      // Ending the callee's session aborts the one still running.
      second.then(
        () => {},
        () => {}
      );
      await callee.leave();
      const secondReason = await withTimeout(running.get('second').aborted.promise, 5000, 'the second abort');
      assert.ok(secondReason, 'the second invocation was aborted by the session ending');
    }
  );

  it('details.forward_for: readable and writable by the endpoint, not among the own enumerable keys', T, async () => {
    const { callee, caller } = await ctx.pair();
    const proc = uniqueUri('state.details');
    await callee.register(proc, (args, kwargs, details) => {
      const before = details.forward_for;
      details.forward_for = [{ session: 1, authid: 'a', authrole: 'r' }];
      return new autobahn.Result([before === undefined ? null : before, details.forward_for, Object.keys(details)], {
        has: 'forward_for' in details,
      });
    });
    const r = await caller.call(proc);
    assert.equal(r.args[0], null, 'no forward_for from a direct caller');
    assert.deepEqual(r.args[1], [{ session: 1, authid: 'a', authrole: 'r' }], 'the assigned value is read back');
    assert.deepEqual(r.args[2], ['procedure', 'progress', 'caller', 'caller_authid', 'caller_authrole']);
    assert.equal(r.kwargs.has, true);
  });
});
