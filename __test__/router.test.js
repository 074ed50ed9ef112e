// Tests for the test-router helper (__test__/helpers/router.js) with the router named by ROUTER
// (embedded by default, or crossbar). Node built-ins only: this must run before the native
// client exists.
//
//   node --test __test__/router.test.js
//   ROUTER=crossbar node --test __test__/router.test.js   # the first run installs .venv/
'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const { ensureRouter } = require('../scripts/install-router');
const { startRouter, freePort, probeWamp, groupMembers, processAlive, routerKind } = require('./helpers/router');

const HELPER = path.join(__dirname, 'helpers', 'router.js');
// Crossbar runs a controller and a router worker in its process group; the embedded router is one process.
const GROUP_SIZE = routerKind === 'crossbar' ? 2 : 1;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- small raw-protocol utilities (independent of the helper's own probe) ---

// Raw HTTP upgrade on /ws; resolves { status, statusLine, headers, key }.
function wsUpgrade(port, protocol = 'wamp.2.json') {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('upgrade timed out')));
    sock.on('error', reject);
    sock.on('connect', () =>
      sock.write(
        'GET /ws HTTP/1.1\r\n' +
          `Host: 127.0.0.1:${port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
      ),
    );
    sock.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = buf.slice(0, end).split('\r\n');
      const headers = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      sock.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), statusLine, headers, key });
    });
  });
}

// WAMP-over-RawSocket handshake: 0x7F, (max length exp << 4 | serializer), 0, 0.
function rawSocketHandshake(port, serializer) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    sock.setTimeout(5000, () => sock.destroy(new Error('rawsocket handshake timed out')));
    sock.on('error', reject);
    sock.on('connect', () => sock.write(Buffer.from([0x7f, 0xf0 | serializer, 0, 0])));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      sock.destroy();
      resolve(buf.subarray(0, 4));
    });
  });
}

// Resolves 'refused' | 'open' for a TCP connect to 127.0.0.1:port.
function tcpState(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.on('connect', () => {
      sock.destroy();
      resolve('open');
    });
    sock.on('error', (err) => (err.code === 'ECONNREFUSED' ? resolve('refused') : reject(err)));
  });
}

async function waitUntil(what, cond, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------

before(() => {
  // May install .venv (about a minute on a fresh machine); later calls are instant.
  if (routerKind === 'crossbar') ensureRouter();
});

describe('startRouter()', () => {
  let router;

  before(async () => {
    const t0 = Date.now();
    router = await startRouter();
    // visible in the test output: how long a router takes to become ready
    console.log(`router ready in ${Date.now() - t0} ms (${router.url}, pid ${router.pid})`);
  });

  after(async () => {
    if (router) await router.stop();
  });

  it('describes a router on a loopback port', () => {
    assert.match(router.url, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    assert.equal(router.url, `ws://127.0.0.1:${router.port}/ws`);
    assert.equal(router.realm, 'realm1');
    assert.ok(Number.isInteger(router.pid) && router.pid > 0);
    assert.ok(processAlive(router.pid));
    const config = JSON.parse(fs.readFileSync(path.join(router.cbdir, 'config.json'), 'utf8'));
    assert.equal(config.workers[0].transports[0].endpoint.port, router.port);
    assert.ok(fs.existsSync(router.logFile));
  });

  it('accepts the WebSocket upgrade on /ws with wamp.2.json (101, subprotocol echoed)', async () => {
    const res = await wsUpgrade(router.port, 'wamp.2.json');
    assert.equal(res.status, 101, res.statusLine);
    assert.equal(res.headers['sec-websocket-protocol'], 'wamp.2.json');
    const accept = crypto
      .createHash('sha1')
      .update(res.key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    assert.equal(res.headers['sec-websocket-accept'], accept);
  });

  it('negotiates the msgpack and cbor subprotocols too', async () => {
    for (const proto of ['wamp.2.msgpack', 'wamp.2.cbor']) {
      const res = await wsUpgrade(router.port, proto);
      assert.equal(res.status, 101, res.statusLine);
      assert.equal(res.headers['sec-websocket-protocol'], proto);
    }
  });

  it('lets an anonymous session join realm1 (HELLO -> WELCOME)', async () => {
    const { sessionId } = await probeWamp(router.port);
    assert.ok(Number.isInteger(sessionId) && sessionId > 0);
  });

  it('speaks WAMP-over-RawSocket on the same port (json, msgpack, cbor)', async () => {
    for (const serializer of [1, 2, 3]) {
      const reply = await rawSocketHandshake(router.port, serializer);
      assert.equal(reply[0], 0x7f);
      assert.equal(reply[1] & 0x0f, serializer, `serializer ${serializer} accepted`);
    }
  });

  it('kill() drops the router at once; restart() brings it back on the same port', async () => {
    const { port, url, cbdir } = router;
    const oldPid = router.pid;
    const t0 = Date.now();
    await router.kill();
    const killMs = Date.now() - t0;
    assert.equal(await tcpState(port), 'refused');
    assert.equal(processAlive(oldPid), false);
    assert.deepEqual(groupMembers(oldPid), []);
    assert.equal(router.pid, null);
    assert.ok(fs.existsSync(cbdir), 'kill() keeps the cbdir');

    const t1 = Date.now();
    await router.restart();
    console.log(`kill() took ${killMs} ms, restart() ${Date.now() - t1} ms`);
    assert.equal(router.port, port);
    assert.equal(router.url, url);
    assert.equal(router.cbdir, cbdir);
    assert.notEqual(router.pid, oldPid);
    assert.ok(processAlive(router.pid));
    const res = await wsUpgrade(port);
    assert.equal(res.status, 101);
    assert.equal(res.headers['sec-websocket-protocol'], 'wamp.2.json');
    await probeWamp(port);
  });

  it('restart() of a running router also works', async () => {
    const oldPid = router.pid;
    await router.restart();
    assert.notEqual(router.pid, oldPid);
    assert.equal(processAlive(oldPid), false);
    await probeWamp(router.port);
  });

  it('stop() ends the whole process group, frees the port and removes the cbdir', async () => {
    const { pid, port, cbdir } = router;
    const members = groupMembers(pid);
    assert.ok(members.length >= GROUP_SIZE, `the router's processes in group ${pid}: ${members}`);
    const t0 = Date.now();
    await router.stop();
    console.log(`stop() took ${Date.now() - t0} ms`);
    assert.equal(await tcpState(port), 'refused');
    assert.equal(processAlive(pid), false, 'controller pid gone');
    for (const member of members) assert.equal(processAlive(member), false, `pid ${member} gone`);
    assert.equal(fs.existsSync(cbdir), false, 'cbdir removed');
    await router.stop(); // idempotent
    router = null;
  });
});

describe('startRouter() options and errors', () => {
  it('freePort() returns a bindable loopback port', async () => {
    const port = await freePort();
    assert.ok(port > 0 && port < 65536);
    assert.equal(await tcpState(port), 'refused');
  });

  it('rejects with the log tail when the requested port is taken', async () => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address();
    try {
      await assert.rejects(startRouter({ port, timeout: 30000 }), (err) => {
        assert.match(err.message, new RegExp(`port ${port} is already in use`));
        assert.match(err.message, /router\.log \(tail\)/);
        return true;
      });
    } finally {
      blocker.close();
    }
  });
});

// A child Node.js process starts a router, reports it, then ends in some way;
// the router must not survive it.
describe('routers do not outlive the process that started them', { concurrency: true }, () => {
  const CHILD = `
    const { startRouter } = require(${JSON.stringify(HELPER)});
    const mode = process.argv[1];
    startRouter().then((r) => {
      process.stdout.write(JSON.stringify({ pid: r.pid, port: r.port, cbdir: r.cbdir }) + '\\n');
      if (mode !== 'throw' && mode !== 'return') setInterval(() => {}, 1e9);
      // The parent checks the router first, then closes our stdin: only then end as told.
      process.stdin.on('data', () => {}).on('end', () => {
        if (mode === 'throw') throw new Error('boom (expected)');
        // 'return': forgot stop(), and nothing keeps the loop alive.
      });
    }, (err) => { console.error(err); process.exit(3); });
  `;

  async function runChild(mode, signal) {
    const child = spawn(process.execPath, ['-e', CHILD, mode], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
    const info = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
      });
      exited.then((e) => reject(new Error(`child exited early ${JSON.stringify(e)}: ${stderr}`)));
    });
    assert.ok(groupMembers(info.pid).length >= GROUP_SIZE, 'router is running');
    child.stdin.end();
    if (signal) child.kill(signal);
    const exit = await exited;
    await waitUntil(`router group ${info.pid} is gone`, () => groupMembers(info.pid).length === 0);
    assert.equal(await tcpState(info.port), 'refused');
    return { info, exit, stderr };
  }

  it('on a normal exit without stop()', async () => {
    const { info, exit } = await runChild('return');
    assert.equal(exit.code, 0);
    assert.equal(fs.existsSync(info.cbdir), false);
  });

  it('on an uncaught exception', async () => {
    const { info, exit, stderr } = await runChild('throw');
    assert.equal(exit.code, 1);
    assert.match(stderr, /boom \(expected\)/);
    assert.equal(fs.existsSync(info.cbdir), false);
  });

  it('on SIGTERM (the signal is re-raised)', async () => {
    const { info, exit } = await runChild('wait', 'SIGTERM');
    assert.equal(exit.signal, 'SIGTERM');
    assert.equal(fs.existsSync(info.cbdir), false);
  });

  it('on SIGINT (the signal is re-raised)', async () => {
    const { info, exit } = await runChild('wait', 'SIGINT');
    assert.equal(exit.signal, 'SIGINT');
    assert.equal(fs.existsSync(info.cbdir), false);
  });

  it('on SIGKILL of the Node.js process (Linux: parent-death signal)', { skip: process.platform !== 'linux' }, async () => {
    const { info, exit } = await runChild('wait', 'SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    fs.rmSync(info.cbdir, { recursive: true, force: true }); // nobody was left to remove it
  });
});
