'use strict';
// Process lifetime, in child processes: an open or retrying Connection keeps Node alive like a
// socket does; after close() or a final onclose nothing of ours holds the event loop.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startRouter, freePort } = require('./helpers/router');

const CHILD = path.join(__dirname, 'fixtures', 'lifetime-child.js');

let router;
test.before(async () => {
  router = await startRouter();
});
test.after(async () => {
  if (router) await router.stop();
});

// Runs the child; resolves with its lines and exit code. `until(lines)` may return true to
// declare the child "still alive when it should be", after which it is killed.
function runChild(scenario, url, { stillAliveAfter } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, scenario, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = [];
    let buf = '';
    let killedByTest = false;
    let aliveTimer = null;
    const hardLimit = setTimeout(() => {
      killedByTest = true;
      child.kill('SIGKILL');
    }, 20000);
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (stillAliveAfter && !aliveTimer && stillAliveAfter.line(lines)) {
          // The child reached the state under test; it must still be running a while later.
          aliveTimer = setTimeout(() => {
            killedByTest = true;
            child.kill('SIGKILL');
          }, stillAliveAfter.ms);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(hardLimit);
      if (aliveTimer) clearTimeout(aliveTimer);
      resolve({ lines, code, signal, killedByTest });
    });
  });
}

test('the process exits by itself after close()', { timeout: 30000 }, async () => {
  const res = await runChild('close-on-open', router.url);
  assert.equal(res.killedByTest, false, `child had to be killed; it printed ${res.lines}`);
  assert.deepEqual(res.lines, ['open', 'close closed will_retry=false', 'exit 0']);
});

test('the process exits after close() with a live subscription', { timeout: 30000 }, async () => {
  const res = await runChild('subscribed-then-close', router.url);
  assert.equal(res.killedByTest, false);
  assert.deepEqual(res.lines, ['open', 'subscribed', 'close closed will_retry=false', 'exit 0']);
});

test('an open connection keeps the process alive', { timeout: 30000 }, async () => {
  const res = await runChild('stay-open', router.url, {
    stillAliveAfter: { line: (lines) => lines.includes('open'), ms: 1500 },
  });
  assert.equal(res.killedByTest, true, `child exited on its own: ${res.lines}`);
  assert.deepEqual(res.lines, ['open']);
});

test('a retrying connection keeps the process alive', { timeout: 30000 }, async () => {
  const port = await freePort();
  const res = await runChild('retry-forever', `ws://127.0.0.1:${port}/ws`, {
    stillAliveAfter: { line: (lines) => lines.length >= 3, ms: 500 },
  });
  assert.equal(res.killedByTest, true, `child exited on its own: ${res.lines}`);
  assert.ok(res.lines.length >= 3);
  for (const l of res.lines) assert.equal(l, 'close unreachable will_retry=true');
});

test('the process exits after the final onclose (retries exhausted)', { timeout: 30000 }, async () => {
  const port = await freePort();
  const res = await runChild('retry-limited', `ws://127.0.0.1:${port}/ws`);
  assert.equal(res.killedByTest, false);
  assert.deepEqual(res.lines, [
    'close unreachable will_retry=true',
    'close unreachable will_retry=true',
    'close unreachable will_retry=false',
    'exit 0',
  ]);
});

test('the process exits when onclose returns true', { timeout: 30000 }, async () => {
  const port = await freePort();
  const res = await runChild('stop-from-onclose', `ws://127.0.0.1:${port}/ws`);
  assert.equal(res.killedByTest, false);
  assert.deepEqual(res.lines, ['close unreachable will_retry=true', 'exit 0']);
});

test('terminating worker threads with open sessions does not crash the process', { timeout: 30000 }, async () => {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'worker-child.js'), router.url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? signal)));
  assert.equal(code, 0, out);
  assert.deepEqual(out.trim().split('\n'), ['terminated 0', 'terminated 1', 'terminated 2', 'survived']);
});
