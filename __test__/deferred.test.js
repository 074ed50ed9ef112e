'use strict';
// The deferred flavour of a Connection: when.js by default, native promises with
// use_es6_promises, a user factory with use_deferred. connection.defer / session.defer expose it.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useRouter, autobahn, uniqueUri, collector, withTimeout } = require('./helpers/session');

const T = { timeout: 20000 };
const ctx = useRouter();
const when = autobahn.when;

function isWhenPromise(p) {
  return p instanceof when.Promise && !(p instanceof Promise) && typeof p.otherwise === 'function' && typeof p.tap === 'function';
}

// Runs every promise-returning Session operation (`session` registers and subscribes, `other`
// calls and publishes) and returns { ops: name -> the promise it returned, failed: the rejection
// reason of a call that fails }. checkOutcomes(ops) then checks what each settled to.
async function everyOperation(session, other) {
  const proc = uniqueUri('flavour.proc');
  const topic = uniqueUri('flavour.topic');
  const events = collector();
  const out = {};
  out.register = session.register(proc, (args) => args[0] + 1);
  const reg = await out.register;
  out.subscribe = session.subscribe(topic, (args) => events.push(args[0]));
  const sub = await out.subscribe;
  out.call = other.call(proc, [41]);
  out.failingCall = other.call(uniqueUri('flavour.missing'));
  // Handle the rejection at once, with the flavour's own then().
  const failed = out.failingCall.then(
    () => assert.fail('the call should fail'),
    (e) => e
  );
  out.publish = other.publish(topic, ['e'], {}, { acknowledge: true });
  await events.waitFor(1);
  out.on_unsubscribe = sub.on_unsubscribe;
  out.on_unregister = reg.on_unregister;
  out.unsubscribe = session.unsubscribe(sub);
  out.unregister = session.unregister(reg);
  return { ops: out, failed };
}

async function checkOutcomes(ops) {
  assert.ok((await ops.register) instanceof autobahn.Registration);
  assert.ok((await ops.subscribe) instanceof autobahn.Subscription);
  assert.equal(await ops.call, 42);
  await assert.rejects(Promise.resolve(ops.failingCall), (e) => e instanceof autobahn.Error && e.error === 'wamp.error.no_such_procedure');
  assert.ok((await ops.publish) instanceof autobahn.Publication);
  assert.equal(await ops.unsubscribe, true);
  assert.equal(await ops.unregister, undefined);
  await withTimeout(Promise.resolve(ops.on_unsubscribe), 5000, 'on_unsubscribe');
  await withTimeout(Promise.resolve(ops.on_unregister), 5000, 'on_unregister');
}

describe('when.js (default)', () => {
  it('every operation returns a when.js promise (otherwise/tap/...), not a native Promise', T, async () => {
    const { connection, session } = await ctx.open();
    const other = (await ctx.open()).session;
    assert.equal(connection.defer, when.defer, 'connection.defer is when.defer');
    assert.equal(session.defer, when.defer, 'session.defer is when.defer');
    const { ops, failed } = await everyOperation(session, other);
    const viaOtherwise = ops.failingCall.otherwise((e) => e);
    for (const [name, p] of Object.entries(ops)) {
      assert.ok(isWhenPromise(p), `${name} returns a when.js promise`);
    }
    assert.ok(when.isPromiseLike(ops.call));
    assert.equal(typeof ops.call.cancel, 'function', 'call() promises have cancel()');
    const e = await viaOtherwise;
    assert.ok(e instanceof autobahn.Error, '.otherwise() receives the autobahn.Error');
    assert.equal(e.error, 'wamp.error.no_such_procedure');
    assert.equal(await failed, e);
    await checkOutcomes(ops);
  });

  it('when.js helpers work on call results (tap, when.all)', T, async () => {
    const { session } = await ctx.open();
    const proc = uniqueUri('when.helpers');
    await session.register(proc, (args) => args[0] * 2);
    const tapped = [];
    const v = await session.call(proc, [4]).tap((x) => tapped.push(x));
    assert.equal(v, 8);
    assert.deepEqual(tapped, [8]);
    const all = await when.all([session.call(proc, [1]), session.call(proc, [2])]);
    assert.deepEqual(all, [2, 4]);
  });
});

describe('use_es6_promises', () => {
  it('every operation returns a native Promise; connection.defer() makes native deferreds', T, async () => {
    const { connection, session } = await ctx.open({ use_es6_promises: true });
    const other = (await ctx.open({ use_es6_promises: true })).session;
    assert.equal(session.defer, connection.defer);
    const d = connection.defer();
    assert.ok(d.promise instanceof Promise);
    assert.equal(typeof d.resolve, 'function');
    assert.equal(typeof d.reject, 'function');
    d.resolve('x');
    assert.equal(await d.promise, 'x');

    const { ops, failed } = await everyOperation(session, other);
    for (const [name, p] of Object.entries(ops)) {
      assert.ok(p instanceof Promise, `${name} returns a native Promise`);
      assert.ok(!(p instanceof when.Promise), `${name} is not a when.js promise`);
      assert.equal(p.otherwise, undefined, `${name} has no when.js API`);
    }
    assert.equal(typeof ops.call.cancel, 'function', 'call() promises have cancel()');
    assert.ok((await failed) instanceof autobahn.Error);
    await checkOutcomes(ops);
  });

  it('use_es6_promises wins over use_deferred (as in Autobahn|JS)', T, async () => {
    let used = 0;
    const factory = () => {
      used++;
      return when.defer();
    };
    const { connection, session } = await ctx.open({ use_es6_promises: true, use_deferred: factory });
    assert.notEqual(connection.defer, factory);
    const p = session.subscribe(uniqueUri('es6.wins'), () => {});
    assert.ok(p instanceof Promise);
    await p;
    assert.equal(used, 0);
  });
});

describe('use_deferred', () => {
  // A tiny deferred whose promise is a marked subclass of Promise, recording every deferred made.
  function customFactory() {
    class CustomPromise extends Promise {}
    const made = [];
    const factory = () => {
      const d = { resolved: false };
      d.promise = new CustomPromise((resolve, reject) => {
        d.resolve = (v) => {
          d.resolved = true;
          resolve(v);
        };
        d.reject = reject;
      });
      made.push(d);
      return d;
    };
    return { factory, made, CustomPromise };
  }

  it("the custom deferred's promise is what call/publish/subscribe/register return", T, async () => {
    const { factory, made, CustomPromise } = customFactory();
    const { connection, session } = await ctx.open({ use_deferred: factory });
    const other = (await ctx.open({ use_deferred: factory })).session;
    assert.equal(connection.defer, factory, 'connection.defer is the factory');
    assert.equal(session.defer, factory, 'session.defer is the factory');

    const before = made.length;
    const p = session.subscribe(uniqueUri('custom.sub'), () => {});
    assert.ok(p instanceof CustomPromise, 'subscribe returns the custom promise');
    // Subscription creation makes a deferred for on_unsubscribe too, so look the promise up.
    assert.ok(made.slice(before).some((d) => d.promise === p), 'it is the promise of a deferred the factory made');
    const sub = await p;
    assert.ok(sub.on_unsubscribe instanceof CustomPromise, 'on_unsubscribe comes from the factory too');

    const { ops, failed } = await everyOperation(session, other);
    for (const [name, q] of Object.entries(ops)) {
      assert.ok(q instanceof CustomPromise, `${name} returns the custom promise`);
    }
    assert.ok((await failed) instanceof autobahn.Error);
    await checkOutcomes(ops);
  });

  it('a jQuery-style deferred (promise() is a function) works too', T, async () => {
    const made = [];
    const factory = () => {
      let resolve;
      let reject;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.jquery = true;
      const d = { resolve, reject, promise: () => promise };
      made.push(d);
      return d;
    };
    const { session } = await ctx.open({ use_deferred: factory });
    const proc = uniqueUri('jquery.proc');
    const regP = session.register(proc, () => 'from jquery-style');
    assert.equal(regP.jquery, true, 'register returns d.promise()');
    await regP;
    const callP = session.call(proc);
    assert.equal(callP.jquery, true, 'call returns d.promise()');
    assert.equal(await callP, 'from jquery-style');
    assert.ok(made.length >= 2);
  });
});
