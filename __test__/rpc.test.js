'use strict';
// RPC through a real Crossbar.io router: register/call between sessions on separate connections,
// Autobahn|JS result mapping, endpoint return values, details, payload fidelity, concurrency,
// registration lifecycle, and progressive results (basics).

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { useRouter, assertRejectsWith, autobahn, uniqueUri, deferred, withTimeout } = require('./helpers/session');


const T = { timeout: 20000 };
const ctx = useRouter();

const pair = (opts) => ctx.pair(opts);

function echo(args, kwargs) {
  return new autobahn.Result(args, kwargs);
}


describe('calls between two sessions', () => {
  it('works both ways: each session calls the procedure the other one registered', T, async () => {
    const { callee: a, caller: b } = await pair();
    const add = uniqueUri('add');
    const mul = uniqueUri('mul');
    await a.register(add, (args) => args[0] + args[1]);
    await b.register(mul, (args) => args[0] * args[1]);
    assert.equal(await b.call(add, [2, 3]), 5);
    assert.equal(await a.call(mul, [4, 5]), 20);
    // and from the registering session itself
    assert.equal(await a.call(add, [10, 1]), 11);
  });

  it('maps results as Autobahn|JS: one arg -> the value, several args or kwargs -> Result, nothing -> null', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('echo');
    await callee.register(proc, echo);

    assert.equal(await caller.call(proc, [42]), 42);
    assert.equal(await caller.call(proc, ['text']), 'text');
    assert.deepEqual(await caller.call(proc, [{ a: [1, 2] }]), { a: [1, 2] });
    assert.deepEqual(await caller.call(proc, [[1, 2, 3]]), [1, 2, 3], 'a single array arg is the value, not a Result');

    const several = await caller.call(proc, ['a', 'b']);
    assert.ok(several instanceof autobahn.Result, 'several args give an autobahn.Result');
    assert.deepEqual(several.args, ['a', 'b']);
    assert.deepEqual(several.kwargs, {});

    const kwOnly = await caller.call(proc, [], { k: 1 });
    assert.ok(kwOnly instanceof autobahn.Result, 'kwargs give an autobahn.Result');
    assert.deepEqual(kwOnly.args, []);
    assert.deepEqual(kwOnly.kwargs, { k: 1 });

    const oneAndKw = await caller.call(proc, ['x'], { k: 2 });
    assert.ok(oneAndKw instanceof autobahn.Result, 'one arg plus kwargs is a Result');
    assert.deepEqual(oneAndKw.args, ['x']);
    assert.deepEqual(oneAndKw.kwargs, { k: 2 });

    assert.equal(await caller.call(proc), null, 'no payload gives null');
    assert.equal(await caller.call(proc, [], {}), null, 'empty args and kwargs give null');
  });

  it('sends what the endpoint returns: a Result, a plain value, undefined as null', T, async () => {
    const { callee, caller, calleeErrors } = await pair();
    const returns = {
      result: () => new autobahn.Result(['a', 'b'], { c: 1 }),
      resultOneArg: () => new autobahn.Result(['only']),
      resultKwOnly: () => new autobahn.Result([], { k: 'v' }),
      resultEmpty: () => new autobahn.Result(),
      number: () => 42,
      zero: () => 0,
      falseValue: () => false,
      emptyString: () => '',
      object: () => ({ x: { y: [1, null, true] } }),
      array: () => [1, 2, 3],
      undefinedValue: () => undefined,
      nullValue: () => null,
    };
    const uris = {};
    for (const [name, fn] of Object.entries(returns)) {
      uris[name] = uniqueUri(`ret.${name}`);
      await callee.register(uris[name], fn);
    }

    const r = await caller.call(uris.result);
    assert.ok(r instanceof autobahn.Result);
    assert.deepEqual([r.args, r.kwargs], [['a', 'b'], { c: 1 }]);
    assert.equal(await caller.call(uris.resultOneArg), 'only', 'Result with one arg and no kwargs arrives as the value');
    const kw = await caller.call(uris.resultKwOnly);
    assert.ok(kw instanceof autobahn.Result);
    assert.deepEqual([kw.args, kw.kwargs], [[], { k: 'v' }]);
    assert.equal(await caller.call(uris.resultEmpty), null, 'an empty Result arrives as null');
    assert.equal(await caller.call(uris.number), 42);
    assert.equal(await caller.call(uris.zero), 0);
    assert.equal(await caller.call(uris.falseValue), false);
    assert.equal(await caller.call(uris.emptyString), '');
    assert.deepEqual(await caller.call(uris.object), { x: { y: [1, null, true] } });
    assert.deepEqual(await caller.call(uris.array), [1, 2, 3]);
    assert.equal(await caller.call(uris.undefinedValue), null, 'undefined arrives as null');
    assert.equal(await caller.call(uris.nullValue), null);
    assert.deepEqual(calleeErrors, [], 'no value is reported to on_user_error');
  });

  it('resolves the call with the value of a promise returned by the endpoint (when.js and native)', T, async () => {
    const { callee, caller } = await pair();
    const when = autobahn.when;
    const uris = {
      whenResolved: uniqueUri('p.when.resolved'),
      whenLater: uniqueUri('p.when.later'),
      whenResult: uniqueUri('p.when.result'),
      nativeLater: uniqueUri('p.native.later'),
      asyncFn: uniqueUri('p.async'),
      nativeUndefined: uniqueUri('p.native.undef'),
    };
    await callee.register(uris.whenResolved, () => when.resolve(7));
    await callee.register(uris.whenLater, () => when.promise((resolve) => setTimeout(() => resolve('late'), 20)));
    await callee.register(uris.whenResult, () => when.resolve(new autobahn.Result([1, 2], { w: true })));
    await callee.register(uris.nativeLater, (args) => new Promise((resolve) => setTimeout(() => resolve(args[0] * 3), 20)));
    await callee.register(uris.asyncFn, async (args, kwargs) => new autobahn.Result([args[0]], kwargs));
    await callee.register(uris.nativeUndefined, () => Promise.resolve(undefined));

    assert.equal(await caller.call(uris.whenResolved), 7);
    assert.equal(await caller.call(uris.whenLater), 'late');
    const wr = await caller.call(uris.whenResult);
    assert.ok(wr instanceof autobahn.Result);
    assert.deepEqual([wr.args, wr.kwargs], [[1, 2], { w: true }]);
    assert.equal(await caller.call(uris.nativeLater, [5]), 15);
    const ar = await caller.call(uris.asyncFn, ['a'], { z: 26 });
    assert.ok(ar instanceof autobahn.Result);
    assert.deepEqual([ar.args, ar.kwargs], [['a'], { z: 26 }]);
    assert.equal(await caller.call(uris.nativeUndefined), null);
  });

  it('gives the endpoint args, kwargs and details (procedure, caller when disclosed)', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('details');
    const seen = [];
    await callee.register(proc, (args, kwargs, details) => {
      seen.push({ args, kwargs, details });
      return null;
    });

    await caller.call(proc, [1, 'two'], { three: 3 }, { disclose_me: true });
    await caller.call(proc);
    await caller.call(proc, null, { only: 'kw' });

    assert.equal(seen.length, 3);
    const [first, bare, kwOnly] = seen;
    assert.deepEqual(first.args, [1, 'two']);
    assert.deepEqual(first.kwargs, { three: 3 });
    assert.ok(first.details instanceof autobahn.Invocation, 'details is an autobahn.Invocation');
    assert.equal(first.details.procedure, proc);
    assert.equal(first.details.caller, caller.id, 'details.caller is the calling session id (disclose_me: true)');
    assert.equal(first.details.caller_authrole, 'anonymous');
    assert.equal(typeof first.details.caller_authid, 'string');
    assert.equal(first.details.progress, null, 'no progress function unless the caller asked for progress');

    assert.deepEqual(bare.args, [], 'no args -> []');
    assert.deepEqual(bare.kwargs, {}, 'no kwargs -> {}');
    assert.deepEqual(kwOnly.args, [], 'kwargs only -> args []');
    assert.deepEqual(kwOnly.kwargs, { only: 'kw' });
  });

  it('tells a prefix-registered endpoint which procedure was called (details.procedure)', T, async () => {
    const { callee, caller } = await pair();
    const prefix = uniqueUri('prefix');
    await callee.register(prefix, (args, kwargs, details) => details.procedure, { match: 'prefix' });
    assert.equal(await caller.call(`${prefix}.one`), `${prefix}.one`);
    assert.equal(await caller.call(`${prefix}.two.three`), `${prefix}.two.three`);
  });
});

describe('payload fidelity', () => {
  it('round trips Unicode, escapes, control characters and line separators in args, kwargs and keys', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('unicode');
    await callee.register(proc, echo);
    const strings = [
      'plain',
      'ü ß é ñ',
      '中文 日本語 한국어',
      'emoji 😀👍🏽 👨‍👩‍👧',
      'combining e\u0301',
      'rtl עברית العربية',
      'line\nfeed',
      'cr\r\nlf',
      'tab\tend',
      'ls\u2028ps\u2029nel\u0085',
      'quote " and backslash \\',
      'literal \\u0000 is not binary',
      'nul in the \u0000 middle',
      '\u007f\u0001\u001f',
      '',
    ];
    const kwargs = { 'schlüssel': 'wert', '键': '值', '😀': ['🎉'], 'a\nb': 'newline key', '': 'empty key' };
    // Several calls in one synchronous run cross to the engine as one batch: the strings with
    // newlines and separators must not split it.
    const results = await Promise.all([
      caller.call(proc, strings, kwargs),
      caller.call(proc, ['second\ncall'], { k: '\u2028' }),
      caller.call(proc, ['third']),
    ]);
    assert.deepEqual(results[0].args, strings);
    assert.deepEqual(results[0].kwargs, kwargs);
    assert.deepEqual([results[1].args, results[1].kwargs], [['second\ncall'], { k: '\u2028' }]);
    assert.equal(results[2], 'third');
  });

  it('round trips nested objects, arrays, booleans, null and numbers', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('nested');
    await callee.register(proc, echo);
    const nested = {
      level1: { level2: { level3: { level4: { level5: [1, [2, [3, [4, [5, { deep: true }]]]]] } } } },
      list: [{ a: 1 }, { b: [null, false, true] }, [], {}],
      numbers: [0, -1, 1.5, 0.1, -273.15, 1e300, -1e-300, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 1e21],
    };
    let deep = { bottom: 'here' };
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const r = await caller.call(proc, [nested, deep], { nested });
    assert.deepEqual(r.args, [nested, deep]);
    assert.deepEqual(r.kwargs, { nested });
  });

  it('round trips a 1 MB ASCII string and 2 MB of multi-byte UTF-8', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('large');
    let calls = 0;
    await callee.register(proc, (args) => {
      calls++;
      return args[0];
    });
    const ascii = crypto.randomBytes(768 * 1024).toString('base64'); // 1 MiB of text
    assert.equal(ascii.length, 1024 * 1024);
    const wide = 'é中😀'.repeat(256 * 1024); // 1 MiB of code units, ~2.25 MB as UTF-8
    const [a, w] = await Promise.all([caller.call(proc, [ascii]), caller.call(proc, [wide])]);
    assert.equal(a.length, ascii.length);
    assert.ok(a === ascii, '1 MB string differs after the round trip');
    assert.ok(w === wide, 'multi-byte string differs after the round trip');
    assert.equal(calls, 2);
  });

  it('round trips Buffers (and Uint8Arrays) in args, kwargs and results as Buffers', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('binary');
    const received = [];
    await callee.register(proc, (args, kwargs) => {
      received.push({ args, kwargs });
      return new autobahn.Result([Buffer.concat([args[0], Buffer.from([0xff])])], kwargs);
    });
    const bytes = Buffer.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]);
    const big = crypto.randomBytes(100 * 1024);
    const u8 = new Uint8Array([9, 8, 7]);
    const r = await caller.call(proc, [bytes], { nested: { big, u8, empty: Buffer.alloc(0) } });

    const inEndpoint = received[0];
    assert.ok(Buffer.isBuffer(inEndpoint.args[0]), 'the endpoint gets a Buffer');
    assert.ok(inEndpoint.args[0].equals(bytes));

    assert.ok(Buffer.isBuffer(r.args[0]), 'the result arrives as a Buffer');
    assert.ok(r.args[0].equals(Buffer.concat([bytes, Buffer.from([0xff])])));
    assert.ok(Buffer.isBuffer(r.kwargs.nested.big) && r.kwargs.nested.big.equals(big), '100 KiB random Buffer intact');
    assert.ok(Buffer.isBuffer(r.kwargs.nested.u8), 'a Uint8Array arrives as a Buffer');
    assert.deepEqual([...r.kwargs.nested.u8], [9, 8, 7]);
    assert.ok(Buffer.isBuffer(r.kwargs.nested.empty) && r.kwargs.nested.empty.length === 0, 'an empty Buffer stays an empty Buffer');
  });

  it('settles 500 concurrent calls, answered out of order, each with its own result or error', T, async () => {
    const { callee, caller } = await pair();
    const callee2 = (await ctx.open()).session;
    const slowDouble = uniqueUri('double');
    const fails = uniqueUri('fails');
    // Random delays make the answers come back in a different order than the calls went out.
    const later = (fn) => new Promise((resolve, reject) => setTimeout(() => {
      try {
        resolve(fn());
      } catch (e) {
        reject(e);
      }
    }, Math.floor(Math.random() * 20)));
    await callee.register(slowDouble, (args, kwargs) => later(() => new autobahn.Result([args[0] * 2], { i: kwargs.i })));
    await callee2.register(fails, (args) => later(() => {
      throw new autobahn.Error('com.example.failed', [args[0]]);
    }));

    const N = 500;
    const calls = [];
    for (let i = 0; i < N; i++) {
      if (i % 5 === 4) calls.push(caller.call(fails, [i]).then(() => assert.fail(`call ${i} should fail`), (e) => ({ error: e })));
      else calls.push(caller.call(slowDouble, [i], { i }));
    }
    const results = await withTimeout(Promise.all(calls), 15000, `${N} calls`);
    for (let i = 0; i < N; i++) {
      const r = results[i];
      if (i % 5 === 4) {
        assert.equal(r.error.error, 'com.example.failed', `call ${i}`);
        assert.deepEqual(r.error.args, [i], `error of call ${i} belongs to call ${i}`);
      } else {
        assert.ok(r instanceof autobahn.Result, `call ${i}`);
        assert.deepEqual(r.args, [i * 2], `result of call ${i}`);
        assert.deepEqual(r.kwargs, { i }, `kwargs of call ${i}`);
      }
    }
  });
});

describe('registrations', () => {
  it('register resolves to an active Registration listed in session.registrations', T, async () => {
    const { callee } = await pair();
    const proc = uniqueUri('reg');
    const endpoint = () => 1;
    const before = callee.registrations.length;
    const reg = await callee.register(proc, endpoint, { invoke: 'single' });
    assert.ok(reg instanceof autobahn.Registration);
    assert.equal(reg.procedure, proc);
    assert.equal(reg.endpoint, endpoint);
    assert.equal(reg.options.invoke, 'single');
    assert.equal(reg.session, callee);
    assert.ok(Number.isSafeInteger(reg.id) && reg.id > 0, `registration id ${reg.id}`);
    assert.equal(reg.active, true);
    assert.equal(callee.registrations.length, before + 1);
    assert.ok(callee.registrations.includes(reg));
  });

  it('unregister resolves, deactivates the registration, resolves on_unregister, and later calls fail with no_such_procedure', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('unreg');
    let invocations = 0;
    const reg = await callee.register(proc, () => ++invocations);
    assert.equal(await caller.call(proc), 1);

    let onUnregister = false;
    reg.on_unregister.then(() => {
      onUnregister = true;
    });
    const res = await reg.unregister();
    assert.equal(res, undefined);
    assert.equal(reg.active, false);
    assert.ok(!callee.registrations.includes(reg), 'removed from session.registrations');
    await withTimeout(reg.on_unregister, 5000, 'on_unregister');
    assert.ok(onUnregister);

    await assertRejectsWith(caller.call(proc), 'wamp.error.no_such_procedure');
    await assertRejectsWith(callee.call(proc), 'wamp.error.no_such_procedure');
    assert.equal(invocations, 1, 'the endpoint is not invoked after unregister');

    // The procedure is free again, for another session.
    await caller.register(proc, () => 'new owner');
    assert.equal(await callee.call(proc), 'new owner');
  });

  it('session.unregister(registration) works like registration.unregister()', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('unreg2');
    const reg = await callee.register(proc, () => 1);
    await callee.unregister(reg);
    assert.equal(reg.active, false);
    await assertRejectsWith(caller.call(proc), 'wamp.error.no_such_procedure');
  });

  it('registering a procedure twice rejects with wamp.error.procedure_already_exists', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('twice');
    await callee.register(proc, () => 'first');
    for (const session of [caller, callee]) {
      await assert.rejects(session.register(proc, () => 'second'), (e) => {
        assert.ok(e instanceof autobahn.Error, 'an autobahn.Error');
        assert.ok(e instanceof Error, 'also an Error');
        assert.equal(e.error, 'wamp.error.procedure_already_exists');
        return true;
      });
    }
    assert.equal(await caller.call(proc), 'first', 'the first registration still answers');
    assert.equal(callee.registrations.filter((r) => r.procedure === proc).length, 1);
    assert.equal(caller.registrations.filter((r) => r.procedure === proc).length, 0);
  });
});

describe('progressive call results (basics)', () => {
  async function progressiveCallee(opts) {
    const { callee, caller } = await pair(opts);
    const proc = uniqueUri('progress');
    const gate = deferred();
    await callee.register(proc, async (args, kwargs, details) => {
      assert.equal(typeof details.progress, 'function', 'details.progress is a function when the caller asked for progress');
      details.progress([1]);
      details.progress(['a', 'b']);
      details.progress([], { k: 'v' });
      await gate.promise;
      return 'final';
    });
    return { caller, proc, gate };
  }

  it('es6: options.progress receives each progressive result (mapped like results) before the final one', T, async () => {
    const { caller, proc, gate } = await progressiveCallee({ use_es6_promises: true });
    const events = [];
    const threeProgress = deferred();
    const p = caller.call(proc, [], {}, {
      receive_progress: true,
      progress: (v) => {
        events.push(v);
        if (events.length === 3) threeProgress.resolve();
      },
    });
    assert.ok(p instanceof Promise);
    await withTimeout(threeProgress.promise, 5000, 'three progressive results');
    gate.resolve();
    assert.equal(await p, 'final');
    assert.equal(events.length, 3);
    assert.equal(events[0], 1);
    assert.ok(events[1] instanceof autobahn.Result);
    assert.deepEqual(events[1].args, ['a', 'b']);
    assert.ok(events[2] instanceof autobahn.Result);
    assert.deepEqual([events[2].args, events[2].kwargs], [[], { k: 'v' }]);
  });

  it('when.js: the third then() callback receives progressive results, then the promise resolves', T, async () => {
    const { caller, proc, gate } = await progressiveCallee();
    const events = [];
    const threeProgress = deferred();
    const p = caller.call(proc, [], {}, { receive_progress: true });
    const done = p.then(
      (v) => events.push(['final', v]),
      (e) => events.push(['error', e]),
      (v) => {
        events.push(['progress', v]);
        if (events.length === 3) threeProgress.resolve();
      }
    );
    await withTimeout(threeProgress.promise, 5000, 'three progress notifications');
    gate.resolve();
    await done;
    assert.equal(events.length, 4);
    assert.deepEqual(events[0], ['progress', 1]);
    assert.equal(events[1][0], 'progress');
    assert.deepEqual(events[1][1].args, ['a', 'b']);
    assert.equal(events[2][0], 'progress');
    assert.deepEqual(events[2][1].kwargs, { k: 'v' });
    assert.deepEqual(events[3], ['final', 'final']);
  });

  it('without receive_progress the caller gets only the final result', T, async () => {
    const { callee, caller } = await pair({ use_es6_promises: true });
    const proc = uniqueUri('noprogress');
    let progressSeen;
    await callee.register(proc, (args, kwargs, details) => {
      progressSeen = details.progress;
      return 'only final';
    });
    assert.equal(await caller.call(proc, [], {}), 'only final');
    assert.equal(progressSeen, null);
  });

  it('an options.progress callback alone asks for progressive results', T, async () => {
    const { callee, caller } = await pair({ use_es6_promises: true });
    const proc = uniqueUri('impliedprogress');
    await callee.register(proc, (args, kwargs, details) => {
      details.progress([1]);
      return 'final';
    });
    const events = [];
    assert.equal(await caller.call(proc, [], {}, { progress: (v) => events.push(v) }), 'final');
    assert.deepEqual(events, [1]);
  });
});
