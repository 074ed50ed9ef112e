'use strict';
// Call canceling (both sides), AbortSignal, local call timeouts, progressive results as an async
// iterator, progressive call invocations where the router lacks them, and AUTOBAHN_DEBUG.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const autobahn = require('..');
const { useRouter, uniqueUri, deferred, withTimeout } = require('./helpers/session');
const { routerKind, GOODBYE_REPLY } = require('./helpers/router');

const T = { timeout: 20000 };

describe('canceling and timeouts', () => {
  const ctx = useRouter();

  // Internal errors (protocol violations) of every session in this suite; none are expected.
  const internalErrors = [];
  const options = () => ({ use_es6_promises: true, on_internal_error: (err, msg) => internalErrors.push(msg) });

  async function pair() {
    const callee = await ctx.open(options());
    const caller = await ctx.open(options());
    return { callee: callee.session, caller: caller.session, calleeErrors: callee.userErrors };
  }

  // Registers an endpoint that waits for its abort signal; resolves `aborted` with the reason.
  async function interruptible(callee, proc) {
    const invoked = deferred();
    const aborted = deferred();
    await callee.register(proc, (args, kwargs, details) => {
      invoked.resolve();
      return new Promise((resolve, reject) => {
        details.signal.addEventListener('abort', () => {
          aborted.resolve(details.signal.reason);
          reject(details.signal.reason);
        });
      });
    });
    return { invoked: invoked.promise, aborted: aborted.promise };
  }

  it("cancel({mode: 'kill'}): the callee's signal aborts and the caller gets wamp.error.canceled", T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('cancel.kill');
    const { invoked, aborted } = await interruptible(callee, proc);
    const call = caller.call(proc);
    const outcome = call.then(() => 'resolved', (e) => e);
    await invoked;
    assert.equal(call.cancel({ mode: 'kill' }), true);
    const reason = await withTimeout(aborted, 5000, 'callee interrupt');
    assert.ok(reason instanceof autobahn.Error);
    assert.equal(reason.error, 'wamp.error.canceled');
    assert.match(reason.args[0], /kill/);
    const e = await withTimeout(outcome, 5000, 'caller outcome');
    assert.ok(e instanceof autobahn.Error, `expected an error, got ${e}`);
    assert.equal(e.error, 'wamp.error.canceled');
    // Both sessions still work, and no reply was taken for a protocol violation.
    const after = uniqueUri('after');
    await callee.register(after, () => 1);
    assert.equal(await caller.call(after), 1);
    assert.deepEqual(internalErrors, []);
  });

  it("cancel({mode: 'killnowait'}) rejects at once; the callee is interrupted; its late answer is dropped", T, async () => {
    const { callee, caller, calleeErrors } = await pair();
    const proc = uniqueUri('cancel.killnowait');
    const { invoked, aborted } = await interruptible(callee, proc);
    const call = caller.call(proc);
    const outcome = call.then(() => 'resolved', (e) => e);
    await invoked;
    call.cancel({ mode: 'killnowait' });
    const e = await outcome;
    assert.equal(e.error, 'wamp.error.canceled');
    assert.equal((await withTimeout(aborted, 5000, 'callee interrupt')).error, 'wamp.error.canceled');
    // The endpoint rejected with the abort reason after the interrupt; nothing reached the router
    // (the callee session is still open) and nothing went to on_user_error as a failure to send.
    const echo = uniqueUri('echo');
    await callee.register(echo, (args) => args[0]);
    assert.equal(await caller.call(echo, ['still here']), 'still here');
    assert.ok(calleeErrors.every((u) => u.err && u.err.error === 'wamp.error.canceled'));
    assert.deepEqual(internalErrors, []);
  });

  it('an AbortSignal cancels the call and interrupts the callee', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('cancel.signal');
    const { invoked, aborted } = await interruptible(callee, proc);
    const controller = new AbortController();
    const outcome = caller.call(proc, [], {}, { signal: controller.signal }).then(() => 'resolved', (e) => e);
    await invoked;
    controller.abort('user pressed stop');
    const e = await outcome;
    assert.ok(e instanceof autobahn.Error);
    assert.equal(e.error, 'wamp.error.canceled');
    assert.match(e.args[0], /user pressed stop/);
    assert.equal((await withTimeout(aborted, 5000, 'callee interrupt')).error, 'wamp.error.canceled');
  });

  it('an already aborted signal rejects without calling the callee', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('cancel.preaborted');
    let invocations = 0;
    await callee.register(proc, () => {
      invocations += 1;
      return 'ran';
    });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(caller.call(proc, [], {}, { signal: controller.signal }), (e) => e.error === 'wamp.error.canceled');
    // A call issued after it is delivered before it: if the first had been sent, it would have run first.
    assert.equal(await caller.call(proc), 'ran');
    assert.equal(invocations, 1);
    assert.throws(() => caller.call(proc, [], {}, { signal: 'no' }), TypeError);
  });

  it('options.timeout rejects with wamp.error.timeout and interrupts the callee', T, async () => {
    const { callee, caller } = await pair();
    const proc = uniqueUri('timeout');
    const { aborted } = await interruptible(callee, proc);
    const started = Date.now();
    const e = await caller.call(proc, [], {}, { timeout: 300 }).then(() => 'resolved', (err) => err);
    assert.ok(e instanceof autobahn.Error, `expected an error, got ${e}`);
    assert.equal(e.error, 'wamp.error.timeout');
    assert.ok(Date.now() - started >= 250, 'not before the timeout');
    assert.equal((await withTimeout(aborted, 5000, 'callee interrupt')).error, 'wamp.error.canceled');
    // A call that answers in time is unaffected by its timeout.
    const quick = uniqueUri('quick');
    await callee.register(quick, () => 'fast');
    assert.equal(await caller.call(quick, [], {}, { timeout: 5000 }), 'fast');
    assert.throws(() => caller.call(quick, [], {}, { timeout: 'soon' }), TypeError);
  });

  it('a session that ends aborts the signals of running endpoints', T, async () => {
    const callee = await ctx.open({ use_es6_promises: true });
    const caller = await ctx.open({ use_es6_promises: true });
    const proc = uniqueUri('abort.on.close');
    const { invoked, aborted } = await interruptible(callee.session, proc);
    const outcome = caller.session.call(proc).then(() => 'resolved', (e) => e);
    await invoked;
    callee.connection.close();
    const reason = await withTimeout(aborted, 5000, 'abort on close');
    assert.equal(reason.error, GOODBYE_REPLY);
    assert.ok((await outcome) instanceof autobahn.Error);
  });
});

describe('progressive results as an async iterator', () => {
  const ctx = useRouter();

  it('for await yields each progress update, the promise the final result', T, async () => {
    for (const flavour of [{ use_es6_promises: true }, {}]) {
      const { session: callee } = await ctx.open(flavour);
      const { session: caller } = await ctx.open(flavour);
      const proc = uniqueUri('iter');
      await callee.register(proc, (args, kwargs, details) => {
        for (let i = 0; i < args[0]; i++) details.progress([i], i === 1 ? { odd: true } : undefined);
        return new Promise((resolve) => setTimeout(() => resolve('done'), 20));
      });
      const call = caller.call(proc, [3], {}, { receive_progress: true });
      const seen = [];
      for await (const update of call) seen.push(update);
      assert.deepEqual(seen[0], 0);
      assert.ok(seen[1] instanceof autobahn.Result);
      assert.deepEqual(seen[1].kwargs, { odd: true });
      assert.deepEqual(seen[2], 2);
      assert.equal(seen.length, 3);
      assert.equal(await call, 'done');
    }
  });

  it('a consumer that falls thousands of updates behind still gets every one, in order', T, async () => {
    const { session: callee } = await ctx.open({ use_es6_promises: true });
    const { session: caller } = await ctx.open({ use_es6_promises: true });
    const proc = uniqueUri('iter.backlog');
    const count = 5000;
    await callee.register(proc, (args, kwargs, details) => {
      for (let i = 0; i < count; i++) details.progress([i]);
      return 'done';
    });
    const call = caller.call(proc, [], {}, { receive_progress: true });
    const updates = call[Symbol.asyncIterator]();
    // Nothing is taken until the final result is in: the whole stream waits in the backlog.
    assert.equal(await call, 'done');
    const seen = [];
    const first = await updates.next();
    seen.push(first.value);
    for await (const update of updates) seen.push(update);
    assert.equal(seen.length, count);
    assert.ok(seen.every((v, i) => v === i), 'updates out of order or lost');
  });

  it('the iterator throws the call error', T, async () => {
    const { session: callee } = await ctx.open({ use_es6_promises: true });
    const { session: caller } = await ctx.open({ use_es6_promises: true });
    const proc = uniqueUri('iter.fail');
    await callee.register(proc, (args, kwargs, details) => {
      details.progress(['first']);
      return new Promise((resolve, reject) => setTimeout(() => reject(new autobahn.Error('com.test.failed', ['late'])), 20));
    });
    const seen = [];
    await assert.rejects(async () => {
      for await (const update of caller.call(proc, [], {}, { receive_progress: true })) seen.push(update);
    }, (e) => e instanceof autobahn.Error && e.error === 'com.test.failed');
    assert.deepEqual(seen, ['first']);
  });
});

describe('progressive call invocations', () => {
  const ctx = useRouter();

  const crossbarOnly = { ...T, skip: routerKind !== 'crossbar' && 'the embedded router has progressive call invocations' };
  const embeddedOnly = { ...T, skip: routerKind === 'crossbar' && 'Crossbar.io 26.10.1 lacks progressive call invocations' };

  it('a router without progressive_call_invocations gets a clear error, nothing is sent', crossbarOnly, async () => {
    const { session } = await ctx.open({ use_es6_promises: true });
    assert.equal(session.features.caller.progressive_call_invocations, undefined);
    assert.throws(
      () => session.call_progressive('com.test.upload'),
      (e) => e instanceof autobahn.Error && e.error === 'wamp.error.feature_not_supported' && /progressive_call_invocations/.test(e.message)
    );
    assert.equal(await session.call('wamp.session.count') > 0, true);
  });

  it('call_progressive(): every input reaches the running endpoint in order, end() returns the result', embeddedOnly, async () => {
    const callee = (await ctx.open({ use_es6_promises: true })).session;
    const caller = (await ctx.open({ use_es6_promises: true })).session;
    assert.equal(caller.features.caller.progressive_call_invocations, true);
    const proc = uniqueUri('upload');
    await callee.register(proc, async (args, kwargs, details) => {
      const parts = [args[0]];
      for await (const input of details.input) parts.push(input.args[0]);
      return parts.join('+');
    });
    const call = caller.call_progressive(proc);
    call.send(['a']);
    call.send(['b']);
    call.send(['c']);
    assert.equal(await withTimeout(call.end(['d']), 5000, 'the result'), 'a+b+c+d');
  });
});

describe('AUTOBAHN_DEBUG', () => {
  const ctx = useRouter();

  it('logs every WAMP message sent and received', T, async () => {
    const script = `
      globalThis.AUTOBAHN_DEBUG = true;
      const autobahn = require(${JSON.stringify(path.join(__dirname, '..'))});
      const c = new autobahn.Connection({ url: process.argv[1], realm: 'realm1', max_retries: 0 });
      c.onopen = (s) => s.call('wamp.session.count').then(() => c.close());
      c.open();`;
    const child = spawn(process.execPath, ['-e', script, ctx.router.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    const lines = out.split('\n').filter((l) => l.startsWith('AUTOBAHN_DEBUG: WAMP'));
    assert.match(lines[0], /^AUTOBAHN_DEBUG: WAMP sent \[1,"realm1",\{"roles"/);
    assert.ok(lines.some((l) => /^AUTOBAHN_DEBUG: WAMP received \[2,\d+,/.test(l)), 'WELCOME is logged');
    assert.ok(lines.some((l) => /sent \[48,1,\{\},"wamp.session.count"\]/.test(l)), 'the CALL is logged with its request id');
    assert.ok(lines.some((l) => /received \[50,1,/.test(l)), 'the RESULT is logged');
    assert.ok(lines.some((l) => /sent \[6,\{\},"wamp.close.normal"\]/.test(l)), 'GOODBYE is logged');
  });
});

describe('AUTOBAHN_DEBUG with large values', () => {
  const ctx = useRouter();

  for (const serializer of ['json', 'msgpack']) {
    it(`${serializer}: values that travel beside the message text are logged by size, not as placeholders`, T, async () => {
      const script = `
        globalThis.AUTOBAHN_DEBUG = true;
        const autobahn = require(${JSON.stringify(path.join(__dirname, '..'))});
        const serializers = process.argv[2] === 'json' ? undefined : [new autobahn.serializer.MsgpackSerializer()];
        const c = new autobahn.Connection({ url: process.argv[1], realm: 'realm1', max_retries: 0, serializers });
        c.onopen = async (s) => {
          await s.register('debug.echo', (args) => new autobahn.Result(args));
          await s.call('debug.echo', [Buffer.alloc(2048, 1), 'é'.repeat(17000)]);
          c.close();
        };
        c.open();`;
      const child = spawn(process.execPath, ['-e', script, ctx.router.url, serializer], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      assert.equal(code, 0);
      const lines = out.split('\n').filter((l) => l.startsWith('AUTOBAHN_DEBUG: WAMP'));
      const values = /\["<attached: 2048 bytes>","<attached: string of 34000 bytes>"\]/;
      assert.ok(lines.some((l) => /^AUTOBAHN_DEBUG: WAMP sent \[48,/.test(l) && values.test(l)), 'the CALL');
      assert.ok(lines.some((l) => /^AUTOBAHN_DEBUG: WAMP sent \[70,/.test(l) && values.test(l)), 'the YIELD');
      // Received: always under MessagePack; under JSON in messages of 16 KiB or more (so the
      // 2 KiB of bytes, Base64 on the wire, come as an attachment too).
      assert.ok(lines.some((l) => /^AUTOBAHN_DEBUG: WAMP received \[68,/.test(l) && values.test(l)), 'the INVOCATION');
      assert.ok(lines.some((l) => /^AUTOBAHN_DEBUG: WAMP received \[50,/.test(l) && values.test(l)), 'the RESULT');
      assert.ok(!out.includes('\\u0000#'), 'no placeholder is shown');
    });
  }
});

describe('session.log', () => {
  const ctx = useRouter();

  it('prints its arguments under a header naming the session, realm and age', T, async () => {
    const { session } = await ctx.open({ use_es6_promises: true });
    const printed = [];
    const saved = { group: console.group, log: console.log, groupEnd: console.groupEnd };
    console.group = (h) => printed.push(['group', h]);
    console.log = (v) => printed.push(['log', v]);
    console.groupEnd = () => printed.push(['end']);
    try {
      session.log('hello', { a: 1 });
    } finally {
      Object.assign(console, saved);
    }
    assert.match(printed[0][1], new RegExp(`^WAMP session ${session.id} on 'realm1' at \\d+(\\.\\d+)? ms$`));
    assert.deepEqual(printed.slice(1), [['log', 'hello'], ['log', { a: 1 }], ['end']]);
  });
});
