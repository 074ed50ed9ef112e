'use strict';
// Errors against a real Crossbar.io router: endpoint outcomes mapped to WAMP errors (and to
// on_user_error), event handler and onopen exceptions, router errors, bad user input (synchronous,
// nothing sent), calls on closed sessions, and pending requests settled when a session ends.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const {
  useRouter,
  autobahn,
  closeConnection,
  uniqueUri,
  collector,
  deferred,
  withTimeout,
} = require('./helpers/session');
const { routerKind } = require('./helpers/router');

const T = { timeout: 20000 };
const ctx = useRouter();

const pair = (opts) => ctx.pair(opts);

// Resolves to the rejection reason of `promise`; fails if it fulfils.
async function rejectionOf(promise) {
  try {
    const v = await promise;
    assert.fail(`expected a rejection, got ${JSON.stringify(v)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return e;
  }
}

function assertWampError(e, uri, args, kwargs) {
  assert.ok(e instanceof autobahn.Error, `expected an autobahn.Error, got ${e && e.stack ? e.stack : e}`);
  assert.ok(e instanceof Error, 'an autobahn.Error is also an Error');
  assert.equal(e.error, uri);
  if (args !== undefined) assert.deepEqual(e.args, args);
  if (kwargs !== undefined) assert.deepEqual(e.kwargs, kwargs);
}

describe('endpoint errors reach the caller', () => {
  it('an autobahn.Error thrown by the endpoint rejects the call with its URI, args and kwargs (not a user error)', T, async () => {
    const { callee, caller, calleeErrors } = await pair();
    const proc = uniqueUri('err.wamp');
    await callee.register(proc, () => {
      throw new autobahn.Error('com.example.error', ['a'], { b: 1 });
    });
    const e = await rejectionOf(caller.call(proc));
    assertWampError(e, 'com.example.error', ['a'], { b: 1 });
    assert.match(e.message, /com\.example\.error/);
    assert.equal(calleeErrors.length, 0, 'an application error is not reported to on_user_error');
  });

  it('an autobahn.Error without args or kwargs arrives with args [] and kwargs {}', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('err.bare');
    await callee.register(proc, () => {
      throw new autobahn.Error('com.example.bare');
    });
    assertWampError(await rejectionOf(caller.call(proc)), 'com.example.bare', [], {});
  });

  it('a thrown string becomes wamp.error.runtime_error with args [string] and goes to on_user_error', T, async () => {
    const { callee, caller, calleeErrors } = await pair();
    const proc = uniqueUri('err.string');
    await callee.register(proc, () => {
      throw 'oops';
    });
    assertWampError(await rejectionOf(caller.call(proc)), 'wamp.error.runtime_error', ['oops'], {});
    assert.equal(calleeErrors.length, 1);
    assert.equal(calleeErrors[0].err, 'oops');
  });

  it('a thrown array becomes wamp.error.runtime_error with that array as args', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('err.array');
    await callee.register(proc, () => {
      throw ['x', 2, { y: true }];
    });
    assertWampError(await rejectionOf(caller.call(proc)), 'wamp.error.runtime_error', ['x', 2, { y: true }]);
  });

  it("a thrown Error('boom') becomes wamp.error.runtime_error with args ['boom'] and on_user_error gets the Error", T, async () => {
    const { callee, caller, calleeErrors, callerErrors } = await pair();
    const proc = uniqueUri('err.native');
    const boom = new Error('boom');
    await callee.register(proc, () => {
      throw boom;
    });
    assertWampError(await rejectionOf(caller.call(proc)), 'wamp.error.runtime_error', ['boom']);
    assert.equal(calleeErrors.length, 1, 'on_user_error called once on the callee side');
    assert.equal(calleeErrors[0].err, boom, 'on_user_error receives the thrown Error itself');
    assert.equal(typeof calleeErrors[0].msg, 'string');
    assert.equal(calleeErrors[0].msg, 'Exception raised in invocation handler:', "Autobahn|JS's text");
    assert.equal(callerErrors.length, 0, 'the caller side reports nothing to on_user_error');
  });

  it('a rejected promise is mapped like a throw (native Error, string, autobahn.Error via when.js)', T, async () => {
    const { callee, caller, calleeErrors } = await pair();
    const native = uniqueUri('err.reject.native');
    const str = uniqueUri('err.reject.string');
    const wamp = uniqueUri('err.reject.wamp');
    const boom = new Error('boom');
    await callee.register(native, () => Promise.reject(boom));
    await callee.register(str, async () => {
      throw 'async oops';
    });
    await callee.register(wamp, () => autobahn.when.reject(new autobahn.Error('com.example.rejected', [1], { k: 'v' })));

    assertWampError(await rejectionOf(caller.call(native)), 'wamp.error.runtime_error', ['boom']);
    assertWampError(await rejectionOf(caller.call(str)), 'wamp.error.runtime_error', ['async oops']);
    assertWampError(await rejectionOf(caller.call(wamp)), 'com.example.rejected', [1], { k: 'v' });
    assert.deepEqual(
      calleeErrors.map((u) => u.err),
      [boom, 'async oops'],
      'on_user_error got the native Error and the string, not the autobahn.Error'
    );
  });

  it('an endpoint result that cannot be serialized becomes wamp.error.runtime_error and an on_user_error', T, async () => {
    const { callee, caller, calleeErrors } = await pair();
    const proc = uniqueUri('err.unserializable');
    await callee.register(proc, () => ({ f() {} }));
    const e = await rejectionOf(caller.call(proc));
    assertWampError(e, 'wamp.error.runtime_error');
    assert.match(String(e.args[0]), /function/);
    assert.equal(calleeErrors.length, 1);
    assert.ok(calleeErrors[0].err instanceof TypeError);
    // The callee session is still fine.
    const ok = uniqueUri('err.unserializable.ok');
    await callee.register(ok, () => 'fine');
    assert.equal(await caller.call(ok), 'fine');
  });
});

describe('malformed endpoint outcomes', () => {
  // What a user may write by mistake in an endpoint. Expected: like an unserializable result,
  // the caller gets wamp.error.runtime_error, on_user_error gets a TypeError, and the callee's
  // session lives on. Observed: index.js sends the malformed YIELD/ERROR as is, crossbar treats
  // it as a protocol violation and drops the callee's whole session (the caller then gets
  // wamp.error.canceled 'callee disconnected from in-flight request').

  async function expectRuntimeErrorAndSurvival(outcome, what) {
    const { callee, caller, calleeErrors } = await pair();
    const bad = uniqueUri('malformed');
    const good = uniqueUri('malformed.good');
    await callee.register(bad, outcome);
    await callee.register(good, () => 'alive');
    const e = await rejectionOf(caller.call(bad));
    assertWampError(e, 'wamp.error.runtime_error');
    assert.equal(calleeErrors.length, 1, `${what}: on_user_error called once`);
    assert.ok(calleeErrors[0].err instanceof Error, `${what}: on_user_error gets the error`);
    assert.equal(await caller.call(good), 'alive', `${what}: the callee session still answers`);
  }

  it('an endpoint returning a Result whose args is not an array or kwargs not an object', T, async () => {
    await expectRuntimeErrorAndSurvival(() => new autobahn.Result('not an array'), 'Result args string');
    await expectRuntimeErrorAndSurvival(() => new autobahn.Result([], ['not', 'an', 'object']), 'Result kwargs array');
  });

  it('an endpoint throwing an autobahn.Error whose args is not an array', T, async () => {
    await expectRuntimeErrorAndSurvival(() => {
      throw new autobahn.Error('com.example.error', 'not an array');
    }, 'Error args string');
  });

  it('an endpoint throwing an autobahn.Error with an invalid URI', T, async () => {
    await expectRuntimeErrorAndSurvival(() => {
      throw new autobahn.Error('not a uri');
    }, 'Error URI with spaces');
  });
});

describe('user code errors outside endpoints', () => {
  it('an event handler that throws goes to on_user_error; other handlers and later events still run', T, async () => {
    const subscriberSide = await ctx.open();
    const publisher = (await ctx.open()).session;
    const subscriber = subscriberSide.session;
    const topic = uniqueUri('handler.throws');
    const thrown = [];
    const other = collector();
    await subscriber.subscribe(topic, (args) => {
      const e = new Error(`handler failed on ${args[0]}`);
      thrown.push(e);
      throw e;
    });
    await subscriber.subscribe(topic, (args) => other.push(args[0]));
    publisher.publish(topic, [1]);
    publisher.publish(topic, [2]);
    assert.deepEqual(await other.waitFor(2), [1, 2], 'the second handler got both events');
    assert.equal(thrown.length, 2, 'the throwing handler ran for both events');
    assert.deepEqual(
      subscriberSide.userErrors.map((u) => u.err),
      thrown,
      'each thrown Error reached on_user_error'
    );
    assert.equal(subscriberSide.userErrors[0].msg, 'Exception raised in event handler:', "Autobahn|JS's text");
  });

  it('an onopen that throws goes to on_user_error and the session stays usable', T, async () => {
    const userErrors = [];
    const gotError = deferred();
    const connection = new autobahn.Connection({
      url: ctx.router.url,
      realm: ctx.router.realm,
      max_retries: 0,
      on_user_error: (err, msg) => {
        userErrors.push({ err, msg });
        gotError.resolve();
      },
    });
    ctx.connections.push(connection);
    const boom = new Error('onopen failed');
    let session = null;
    connection.onopen = (s) => {
      session = s;
      throw boom;
    };
    connection.open();
    await withTimeout(gotError.promise, 10000, 'on_user_error');
    assert.equal(userErrors.length, 1);
    assert.equal(userErrors[0].err, boom);
    assert.equal(typeof userErrors[0].msg, 'string');
    assert.ok(connection.isOpen, 'the connection is still open');
    const proc = uniqueUri('after.onopen');
    await session.register(proc, () => 'still works');
    assert.equal(await session.call(proc), 'still works');
  });
});

describe('router errors', () => {
  it('calling a procedure nobody registered rejects with wamp.error.no_such_procedure (an autobahn.Error and an Error)', T, async () => {
    const { caller } = await pair();
    const proc = uniqueUri('missing');
    const e = await rejectionOf(caller.call(proc, [1]));
    assertWampError(e, 'wamp.error.no_such_procedure');
    assert.ok(Array.isArray(e.args));
    assert.equal(typeof e.kwargs, 'object');
    assert.match(e.message, /^wamp\.error\.no_such_procedure/);
    assert.equal(typeof e.stack, 'string');
  });
});

describe('bad input is rejected synchronously and nothing is sent', () => {
  // A callee counting invocations and a subscriber counting events, so that "nothing was sent"
  // is visible: after the bad calls, one good call / publish must be the only one that arrived.
  async function observed() {
    const { callee, caller } = await pair();
    const proc = uniqueUri('observed');
    const topic = uniqueUri('observed.topic');
    const invocations = [];
    await callee.register(proc, (args) => {
      invocations.push(args);
      return 'ok';
    });
    const events = collector();
    await callee.subscribe(topic, (args) => events.push(args));
    return { session: caller, proc, topic, invocations, events };
  }

  const nonStrings = [undefined, null, 42, {}, ['a.b'], Symbol('s')];

  it('a non-string procedure or topic throws TypeError', T, async () => {
    const { session, proc, topic, invocations, events } = await observed();
    const fn = () => {};
    for (const v of nonStrings) {
      const what = typeof v === 'symbol' ? 'symbol' : JSON.stringify(v);
      assert.throws(() => session.call(v), TypeError, `call(${what})`);
      assert.throws(() => session.publish(v), TypeError, `publish(${what})`);
      assert.throws(() => session.subscribe(v, fn), TypeError, `subscribe(${what})`);
      assert.throws(() => session.register(v, fn), TypeError, `register(${what})`);
    }
    assert.equal(await session.call(proc, ['good']), 'ok');
    await session.publish(topic, ['good'], {}, { acknowledge: true });
    await events.waitFor(1);
    assert.deepEqual(invocations, [['good']], 'only the good call arrived');
    assert.deepEqual(events.items, [['good']], 'only the good publish arrived');
    assert.equal(session.subscriptions.length, 0, 'no subscription was made');
    assert.equal(session.registrations.length, 0, 'no registration was made');
  });

  it("an invalid URI ('a..b', 'has space', '', 'with#hash') throws autobahn.Error wamp.error.invalid_uri", T, async () => {
    const { session, proc, invocations } = await observed();
    const fn = () => {};
    for (const uri of ['a..b', 'has space', 'tab\there', '', 'with#hash', '.leading', 'trailing.']) {
      for (const [name, f] of [
        ['call', () => session.call(uri)],
        ['publish', () => session.publish(uri)],
        ['subscribe', () => session.subscribe(uri, fn)],
        ['register', () => session.register(uri, fn)],
      ]) {
        assert.throws(
          f,
          (e) => {
            assert.ok(e instanceof autobahn.Error, `${name}('${uri}') threw ${e}`);
            assert.equal(e.error, 'wamp.error.invalid_uri');
            return true;
          },
          `${name}('${uri}')`
        );
      }
    }
    assert.equal(await session.call(proc, ['good']), 'ok');
    assert.deepEqual(invocations, [['good']]);
  });

  it('args that are not an array, kwargs that are not a plain object, options that are not an object throw TypeError', T, async () => {
    const { session, proc, topic, invocations, events } = await observed();
    const fn = () => {};
    const badArgs = ['string', 42, { 0: 'a' }, new Set([1])];
    const badKwargs = ['string', 42, [1, 2], new Date(), new Map(), new (class Custom {})()];
    const badOptions = ['string', 42, [1], new Date(), () => {}];
    for (const a of badArgs) {
      assert.throws(() => session.call(proc, a), TypeError, `call args ${String(a)}`);
      assert.throws(() => session.publish(topic, a), TypeError, `publish args ${String(a)}`);
    }
    for (const k of badKwargs) {
      assert.throws(() => session.call(proc, [], k), TypeError, `call kwargs ${String(k)}`);
      assert.throws(() => session.publish(topic, [], k), TypeError, `publish kwargs ${String(k)}`);
    }
    for (const o of badOptions) {
      assert.throws(() => session.call(proc, [], {}, o), TypeError, `call options ${String(o)}`);
      assert.throws(() => session.publish(topic, [], {}, o), TypeError, `publish options ${String(o)}`);
      assert.throws(() => session.subscribe(topic, fn, o), TypeError, `subscribe options ${String(o)}`);
      assert.throws(() => session.register(proc, fn, o), TypeError, `register options ${String(o)}`);
    }
    assert.throws(() => session.subscribe(topic, 'not a function'), TypeError, 'subscribe handler');
    assert.throws(() => session.register(proc, null), TypeError, 'register endpoint');
    assert.throws(() => session.call(proc, [], {}, { progress: 'not a function' }), TypeError, 'options.progress');
    // The error names the problem.
    assert.throws(() => session.call(proc, 'x'), /args must be an array/);
    assert.throws(() => session.call(proc, [], [1]), /kwargs must be a plain object/);
    assert.throws(() => session.call(proc, [], {}, 'o'), /options must be a plain object/);

    assert.equal(await session.call(proc, ['good']), 'ok');
    await session.publish(topic, ['good'], {}, { acknowledge: true });
    await events.waitFor(1);
    assert.deepEqual(invocations, [['good']]);
    assert.deepEqual(events.items, [['good']]);
  });

  it('a payload with a function, a symbol, a cycle or a BigInt throws TypeError with a clear message; the session still works', T, async () => {
    const { session, proc, topic, invocations, events } = await observed();
    const cyclic = { name: 'loop' };
    cyclic.self = cyclic;
    const cyclicArray = [];
    cyclicArray.push(cyclicArray);
    const cases = [
      { what: 'function in args', args: [() => 1], re: /function/ },
      { what: 'function in kwargs', args: [], kwargs: { cb() {} }, re: /function.*'cb'|'cb'.*function/ },
      { what: 'symbol in args', args: [Symbol('s')], re: /symbol/ },
      { what: 'symbol in kwargs', args: [], kwargs: { s: Symbol('s') }, re: /symbol/ },
      { what: 'cycle in kwargs', args: [], kwargs: { cyclic }, re: /circular|cycl/i },
      { what: 'cycle in args', args: [cyclicArray], re: /circular|cycl/i },
      { what: 'BigInt in args', args: [10n], re: /BigInt/ },
      { what: 'BigInt deep in kwargs', args: [], kwargs: { a: { b: [1, 2n ** 70n] } }, re: /BigInt/ },
    ];
    for (const c of cases) {
      for (const [name, f] of [
        ['call', () => session.call(proc, c.args, c.kwargs)],
        ['publish', () => session.publish(topic, c.args, c.kwargs)],
        ['publish (acknowledged)', () => session.publish(topic, c.args, c.kwargs, { acknowledge: true })],
      ]) {
        assert.throws(
          f,
          (e) => {
            assert.ok(e instanceof TypeError, `${name} with a ${c.what} threw ${e}`);
            assert.match(e.message, c.re, `${name} with a ${c.what}: message`);
            assert.match(e.message, /cannot be serialized/, `${name} with a ${c.what}: message`);
            return true;
          },
          `${name} with a ${c.what}`
        );
      }
    }
    assert.throws(() => session.call(proc, [], {}, { x: () => {} }), TypeError, 'function in options');

    // A good call and a good publish right after the throws: only these arrive.
    assert.equal(await session.call(proc, ['good']), 'ok');
    await session.publish(topic, ['good'], {}, { acknowledge: true });
    await events.waitFor(1);
    assert.deepEqual(invocations, [['good']], 'none of the bad calls reached the callee');
    assert.deepEqual(events.items, [['good']], 'none of the bad publishes reached the subscriber');
  });

  it("call/publish/subscribe/register/unsubscribe/unregister on a closed session throw 'session not open'", T, async () => {
    const { connection, session } = await ctx.open();
    const sub = await session.subscribe(uniqueUri('closed.topic'), () => {});
    const reg = await session.register(uniqueUri('closed.proc'), () => {});
    await closeConnection(connection);
    assert.equal(session.isOpen, false);
    const isNotOpen = (e) => e === 'session not open';
    assert.throws(() => session.call('com.example.proc'), isNotOpen, 'call');
    assert.throws(() => session.publish('com.example.topic'), isNotOpen, 'publish');
    assert.throws(() => session.publish('com.example.topic', [], {}, { acknowledge: true }), isNotOpen, 'publish ack');
    assert.throws(() => session.subscribe('com.example.topic', () => {}), isNotOpen, 'subscribe');
    assert.throws(() => session.register('com.example.proc', () => {}), isNotOpen, 'register');
    assert.throws(() => session.unsubscribe(sub), isNotOpen, 'unsubscribe');
    assert.throws(() => session.unregister(reg), isNotOpen, 'unregister');
  });

  it("unsubscribing an inactive subscription throws 'subscription not active'", T, async () => {
    const { session } = await ctx.open();
    const sub = await session.subscribe(uniqueUri('inactive'), () => {});
    assert.equal(await sub.unsubscribe(), true);
    assert.throws(() => session.unsubscribe(sub), (e) => e === 'subscription not active');
    assert.throws(() => sub.unsubscribe(), (e) => e === 'subscription not active');
  });

  it("unregistering twice throws 'registration not active'", T, async () => {
    const { session } = await ctx.open();
    const reg = await session.register(uniqueUri('inactive.reg'), () => {});
    await reg.unregister();
    assert.throws(() => reg.unregister(), (e) => e === 'registration not active');
    assert.throws(() => session.unregister(reg), (e) => e === 'registration not active');
  });

  it('new autobahn.Connection without url or realm throws TypeError', T, () => {
    assert.throws(() => new autobahn.Connection({}), TypeError);
    assert.throws(() => new autobahn.Connection({ realm: 'realm1' }), TypeError, 'no url');
    assert.throws(() => new autobahn.Connection({ url: ctx.router.url }), TypeError, 'no realm');
    assert.throws(() => new autobahn.Connection({ url: ctx.router.url, realm: '' }), TypeError, 'empty realm');
    assert.throws(() => new autobahn.Connection({ url: ctx.router.url, realm: 42 }), TypeError, 'realm not a string');
    assert.throws(() => new autobahn.Connection(), TypeError, 'no options');
  });
});

describe('pending requests settle when the session ends', () => {
  async function slowProcedure() {
    const calleeSide = await ctx.open();
    const callerSide = await ctx.open();
    const proc = uniqueUri('slow');
    const invoked = deferred();
    await calleeSide.session.register(proc, () => {
      invoked.resolve();
      return new Promise(() => {}); // never settles
    });
    return { calleeSide, callerSide, proc, invoked };
  }

  it("closing the caller's connection rejects a pending call with an autobahn.Error wamp.close.* saying the session was closed", T, async () => {
    const { callerSide, proc, invoked } = await slowProcedure();
    const pending = callerSide.session.call(proc);
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true)
    );
    const rejected = rejectionOf(pending);
    await withTimeout(invoked.promise, 5000, 'the invocation');
    assert.equal(settled, false);
    const closed = closeConnection(callerSide.connection);
    const e = await withTimeout(rejected, 10000, 'the pending call to settle');
    assert.ok(e instanceof autobahn.Error, `expected an autobahn.Error, got ${e}`);
    assert.ok(e instanceof Error);
    assert.match(e.error, /^wamp\.close\./, `error URI ${e.error}`);
    assert.match(e.message, /session was closed/);
    const { reason } = await closed;
    assert.equal(reason, 'closed');
  });

  it("closing the callee's connection rejects the pending call with wamp.error.canceled and a message", T, async () => {
    const { calleeSide, callerSide, proc, invoked } = await slowProcedure();
    // Handle the rejection from the start: it arrives before the callee's close completes.
    const rejected = rejectionOf(callerSide.session.call(proc));
    await withTimeout(invoked.promise, 5000, 'the invocation');
    await closeConnection(calleeSide.connection);
    const e = await withTimeout(rejected, 10000, 'the pending call to settle');
    assertWampError(e, 'wamp.error.canceled');
    assert.equal(typeof e.args[0], 'string', 'the router says why');
    if (routerKind === 'crossbar') assert.deepEqual(e.args, ['callee disconnected from in-flight request']);
    assert.ok(callerSide.connection.isOpen, "the caller's session is not affected");
  });

  it('pending subscribe/register/acknowledged publish settle too when the connection closes right after they were issued', T, async () => {
    const { connection, session } = await ctx.open();
    const proc = uniqueUri('late.reg');
    const topic = uniqueUri('late.sub');
    const requests = [
      session.register(proc, () => {}),
      session.subscribe(topic, () => {}),
      session.publish(topic, [], {}, { acknowledge: true }),
      session.call(uniqueUri('late.call')),
    ];
    connection.close();
    // Each one either completed before the GOODBYE or was rejected with a wamp.close.* error;
    // none hangs.
    const outcomes = await withTimeout(Promise.allSettled(requests), 10000, 'all requests to settle');
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        assert.ok(o.reason instanceof autobahn.Error, `rejection ${o.reason}`);
        assert.match(o.reason.error, /^wamp\.(close|error)\./);
      }
    }
  });
});
