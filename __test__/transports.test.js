'use strict';
// Transports against a real Crossbar.io router: RawSocket over TCP and Unix sockets with every
// serializer, the RawSocket handshake limits, failover across `transports` entries,
// connect_timeout, long-poll (not supported), TLS (wss://, RawSocket over TLS, client
// certificates) and WebSocket extras (headers, max_message_size). Small fake peers (net.Server)
// play what Crossbar never sends: RawSocket error replies, PINGs, a silent listener.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const autobahn = require('..');
const crypto = require('node:crypto');
const { startRouter, freePort, routerKind } = require('./helpers/router');
const { ensureRouter } = require('../scripts/install-router');

const HOST = '127.0.0.1';
const SERIALIZERS = ['json', 'msgpack', 'cbor'];
let router; // the main router (TCP, Unix socket, a RawSocket endpoint with a 1 KiB limit, TLS)
let spare; // a second router for failover
let tmp;
let sockPath;
let smallPort; // RawSocket, cbor only, max_message_size 1024
let tlsPort; // universal over TLS: wss:// at /ws and RawSocket
let mtlsPort; // the same, but client certificates required
const pem = {};
const cleanups = [];

// CA, server certificate (127.0.0.1, localhost) and client certificate, made with the
// `cryptography` package of the router's venv (no openssl CLI needed).
function makeCertificates(dir) {
  const script = `
import datetime, ipaddress, os, sys
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
out = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def save(fname, key, cert):
    with open(os.path.join(out, fname + '.key'), 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(os.path.join(out, fname + '.crt'), 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
def build(cn, key, issuer, issuer_key, ca, san=None, usage=None):
    b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    if san: b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if usage: b = b.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    return b.sign(issuer_key, hashes.SHA256())
ca_key = ec.generate_private_key(ec.SECP256R1())
ca = build('autobahn test CA', ca_key, name('autobahn test CA'), ca_key, True)
save('ca', ca_key, ca)
srv_key = ec.generate_private_key(ec.SECP256R1())
save('server', srv_key, build('localhost', srv_key, ca.subject, ca_key, False,
     [x509.DNSName('localhost'), x509.IPAddress(ipaddress.ip_address('127.0.0.1'))], [ExtendedKeyUsageOID.SERVER_AUTH]))
cl_key = ec.generate_private_key(ec.SECP256R1())
save('client', cl_key, build('client1', cl_key, ca.subject, ca_key, False, None, [ExtendedKeyUsageOID.CLIENT_AUTH]))
`;
  const { python } = ensureRouter({ quiet: true });
  const r = spawnSync(python, ['-c', script, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`certificate generation failed: ${r.stderr}`);
  for (const n of ['ca', 'server', 'client']) {
    pem[`${n}Crt`] = fs.readFileSync(path.join(dir, `${n}.crt`), 'utf8');
    pem[`${n}Key`] = fs.readFileSync(path.join(dir, `${n}.key`));
  }
}

function universal(port, tls) {
  return {
    type: 'universal',
    endpoint: { type: 'tcp', interface: HOST, port, tls },
    rawsocket: { serializers: SERIALIZERS },
    websocket: { ws: { type: 'websocket', serializers: SERIALIZERS } },
  };
}

test.before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ab-tr-'));
  sockPath = path.join(tmp, 'router.sock');
  makeCertificates(tmp);
  [smallPort, tlsPort, mtlsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const tls = { key: path.join(tmp, 'server.key'), certificate: path.join(tmp, 'server.crt') };
  [router, spare] = await Promise.all([
    startRouter({
      editConfig(config) {
        const transports = config.workers[0].transports;
        // ws://.../small: a WebSocket path whose router-side limit is 2 KiB.
        transports[0].websocket.small = {
          type: 'websocket',
          serializers: SERIALIZERS,
          options: { max_message_size: 2048 },
        };
        transports.push({ type: 'rawsocket', endpoint: { type: 'unix', path: sockPath }, serializers: SERIALIZERS });
        transports.push({
          type: 'rawsocket',
          endpoint: { type: 'tcp', interface: HOST, port: smallPort },
          serializers: ['cbor'],
          options: { max_message_size: 1024 },
        });
        transports.push(universal(tlsPort, tls));
        transports.push(universal(mtlsPort, { ...tls, ca_certificates: [path.join(tmp, 'ca.crt')] }));
      },
    }),
    startRouter(),
  ]);
});

test.after(async () => {
  for (const fn of cleanups) fn();
  await Promise.all([router && router.stop(), spare && spare.stop()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// Opens a Connection; resolves {c, session} on onopen or {c, reason, details} on the first
// onclose. `max_retries: 0` unless given.
function openOnce(options, timeoutMs = 15000) {
  const c = new autobahn.Connection({ realm: router.realm, max_retries: 0, use_es6_promises: true, ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no onopen/onclose in time')), timeoutMs);
    c.onopen = (session, details) => {
      clearTimeout(timer);
      resolve({ c, session, details });
    };
    c.onclose = (reason, details) => {
      clearTimeout(timer);
      resolve({ c, reason, details });
    };
    c.open();
  });
}

// Closes an open connection and waits for its final onclose.
function closeConn(c) {
  return new Promise((resolve) => {
    c.onclose = (reason, details) => {
      if (!details.will_retry) resolve({ reason, details });
    };
    if (c.isOpen || c.isRetrying || c.isConnected) c.close();
    else resolve(null);
  });
}

async function opened(options) {
  const r = await openOnce(options);
  assert.ok(r.session, `expected onopen, got onclose(${r.reason}, ${JSON.stringify(r.details)})`);
  return r;
}

// Round trip through the router: register + call with binary and large payloads.
async function roundTrip(session, tag) {
  const uri = `com.test.transports.${tag}.${process.pid}`;
  await session.register(uri, (args) => [args[0], args[1].length]);
  const bin = Buffer.from([0, 1, 2, 254, 255]);
  const big = 'x'.repeat(200000); // several TCP reads per frame
  const res = await session.call(uri, [bin, big]);
  assert.deepEqual(res, [bin, 200000]);
}

// A fake peer: `onSocket(sock)` runs for each accepted socket.
async function fakeServer(onSocket) {
  const srv = net.createServer(onSocket);
  await new Promise((resolve) => srv.listen(0, HOST, resolve));
  const sockets = new Set();
  srv.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  const close = () => {
    for (const s of sockets) s.destroy();
    srv.close();
  };
  cleanups.push(close);
  return { port: srv.address().port, close };
}

// ---------------------------------------------------------------------------------------------
// RawSocket

for (const ser of SERIALIZERS) {
  test(`rawsocket over TCP with ${ser}: transport.info and a round trip`, async () => {
    const { c, session } = await opened({
      transports: [{ type: 'rawsocket', host: HOST, port: router.port, serializers: [ser] }],
    });
    assert.deepEqual(c.transport.info, {
      type: 'rawsocket',
      url: `rs://${HOST}:${router.port}`,
      protocol: `wamp.2.${ser}`,
    });
    await roundTrip(session, `tcp.${ser}`);
    const { reason } = await closeConn(c);
    assert.equal(reason, 'closed');
  });

  test(`rawsocket over a Unix socket with ${ser}`, async () => {
    const { c, session } = await opened({
      transports: [{ type: 'rawsocket', path: sockPath, protocols: [`wamp.2.${ser}`] }],
    });
    assert.deepEqual(c.transport.info, { type: 'rawsocket', url: `rs+unix://${sockPath}`, protocol: `wamp.2.${ser}` });
    await roundTrip(session, `unix.${ser}`);
    await closeConn(c);
  });
}

test('rawsocket accepts an rs:// url and defaults to JSON', async () => {
  const { c, session } = await opened({ transports: [{ type: 'rawsocket', url: `rs://${HOST}:${router.port}` }] });
  assert.equal(c.transport.info.protocol, 'wamp.2.json');
  assert.equal(c.transport.info.url, `rs://${HOST}:${router.port}`);
  assert.equal(typeof session.id, 'number');
  await closeConn(c);
});

test('rawsocket tries the next serializer when Crossbar drops the handshake; honours its 1 KiB limit', async () => {
  // This endpoint speaks only CBOR (Crossbar just closes the socket for JSON) and told us its
  // limit of 2^10 bytes in the handshake.
  const { c, session } = await opened({
    transports: [{ type: 'rawsocket', host: HOST, port: smallPort, serializers: ['json', 'cbor'] }],
    max_retries: 0,
  });
  assert.equal(c.transport.info.protocol, 'wamp.2.cbor');
  const uri = `com.test.transports.small.${process.pid}`;
  await session.register(uri, (args) => args[0].length);
  assert.equal(await session.call(uri, ['y'.repeat(500)]), 500);
  // Too large for the router: that call fails, nothing is sent, the session goes on.
  const e = await session.call(uri, ['z'.repeat(2000)]).then(
    () => 'resolved',
    (err) => err
  );
  assert.ok(e instanceof autobahn.Error, `expected an error, got ${e}`);
  assert.equal(e.error, 'wamp.error.payload_size_exceeded');
  assert.match(e.args[0], /too large to send \(\d+ bytes, but the router accepts at most 1024 bytes/);
  assert.equal(await session.call(uri, ['y'.repeat(10)]), 10);
  // A callee whose result is too large: the caller gets the same error, the callee stays.
  const big = `com.test.transports.bigresult.${process.pid}`;
  await session.register(big, () => 'r'.repeat(3000));
  const e2 = await session.call(big).then(
    () => 'resolved',
    (err) => err
  );
  assert.equal(e2.error, 'wamp.error.payload_size_exceeded');
  assert.equal(c.isOpen, true);
  c.close();
});

test('rawsocket: only unsupported serializers, or the wrong endpoint -> clear errors', async () => {
  const r = await openOnce({
    transports: [{ type: 'rawsocket', host: HOST, port: smallPort, serializers: ['json', 'msgpack'] }],
  });
  assert.equal(r.reason, 'unreachable');
  // Crossbar.io closes the connection; the embedded router answers error 1 as the spec says.
  const refused =
    routerKind === 'crossbar'
      ? /RawSocket handshake with rs:\/\/127\.0\.0\.1:\d+ failed: the router closed the connection during the handshake for wamp\.2\.json.*; the router closed the connection during the handshake for wamp\.2\.msgpack/
      : /RawSocket handshake with rs:\/\/127\.0\.0\.1:\d+ failed: wamp\.2\.json: the router does not support the requested serializer \(error 1\); wamp\.2\.msgpack: the router does not support the requested serializer \(error 1\)/;
  assert.match(r.details.message, refused);
});

test('rawsocket handshake: hello bytes, router error codes 1-4, EOF and a non-RawSocket peer', async () => {
  const hellos = [];
  let answer;
  const srv = await fakeServer((sock) => {
    sock.once('data', (d) => {
      hellos.push([...d.subarray(0, 4)]);
      if (answer === 'eof') sock.end();
      else if (answer === 'http') sock.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      else sock.write(Buffer.from([0x7f, answer << 4, 0, 0]));
    });
  });
  const expected = {
    1: /does not support the requested serializer \(error 1\)/,
    2: /does not accept our maximum message length \(error 2/,
    3: /reserved bits \(error 3\)/,
    4: /connection limit \(error 4\)/,
    eof: /closed the connection during the handshake/,
    http: /not a WAMP RawSocket router \(its first byte is 0x48/,
  };
  for (const [key, re] of Object.entries(expected)) {
    answer = key === 'eof' || key === 'http' ? key : Number(key);
    const r = await openOnce({
      transports: [
        { type: 'rawsocket', host: HOST, port: srv.port, serializers: ['msgpack'], rawsocket_max_len_exp: 10 },
      ],
    });
    assert.equal(r.reason, 'unreachable', key);
    assert.match(r.details.message, re, key);
    assert.match(r.details.message, new RegExp(`rs://127\\.0\\.0\\.1:${srv.port}`));
  }
  // 7F, LLLL SSSS (L = 10 - 9, S = 2 msgpack), 0, 0
  assert.deepEqual(hellos[0], [0x7f, 0x12, 0, 0]);
  // The default limit is 2^24 (L = 15); JSON is serializer 1.
  answer = 4;
  await openOnce({ transports: [{ type: 'rawsocket', host: HOST, port: srv.port }] });
  assert.deepEqual(hellos.at(-1), [0x7f, 0xf1, 0, 0]);
  srv.close();
});

test('rawsocket: PINGs from the router are answered with PONGs; the client never pings', async () => {
  const frames = [];
  let gotPong;
  const pong = new Promise((resolve) => (gotPong = resolve));
  const srv = await fakeServer((sock) => {
    let buf = Buffer.alloc(0);
    let shook = false;
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!shook) {
        if (buf.length < 4) return;
        buf = buf.subarray(4);
        shook = true;
        sock.write(Buffer.from([0x7f, 0xf1, 0, 0]));
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0) & 0xffffff;
        if (buf.length < 4 + len) return;
        const frame = { type: buf[0], payload: buf.subarray(4, 4 + len).toString() };
        buf = buf.subarray(4 + len);
        frames.push(frame);
        if (frame.type === 0 && frame.payload.startsWith('[1,')) {
          // HELLO -> PING "abc", using the spec's 24-bit header
          sock.write(Buffer.from([0x01, 0, 0, 3, 0x61, 0x62, 0x63]));
        }
        if (frame.type === 2) gotPong(frame);
      }
    });
  });
  const c = new autobahn.Connection({
    realm: 'realm1',
    transports: [{ type: 'rawsocket', host: HOST, port: srv.port }],
    max_retries: 0,
  });
  c.onclose = () => {};
  c.open();
  const p = await pong;
  assert.deepEqual(p, { type: 2, payload: 'abc' });
  assert.ok(
    frames.every((f) => f.type === 0 || f.type === 2),
    JSON.stringify(frames)
  );
  await closeConn(c);
  srv.close();
});

// ---------------------------------------------------------------------------------------------
// Failover, connect timeout, long-poll

test('failover: a dead first entry, then a live one -> opens on the second in the same attempt', async () => {
  const dead = await freePort();
  const { c, session } = await opened({
    transports: [
      { type: 'websocket', url: `ws://${HOST}:${dead}/ws` },
      { type: 'rawsocket', host: HOST, port: router.port, serializers: ['msgpack'] },
    ],
  });
  assert.equal(c.transport.info.type, 'rawsocket');
  assert.equal(c.transport.info.protocol, 'wamp.2.msgpack');
  assert.equal(typeof session.id, 'number');
  await closeConn(c);
});

test('failover: all entries failing counts as one failed attempt; the message lists each', async () => {
  const [d1, d2] = [await freePort(), await freePort()];
  const c = new autobahn.Connection({
    realm: 'realm1',
    transports: [
      { type: 'websocket', url: `ws://${HOST}:${d1}/ws` },
      { type: 'rawsocket', host: HOST, port: d2 },
    ],
    max_retries: 1,
    initial_retry_delay: 0.05,
    retry_delay_jitter: 0,
  });
  const closes = [];
  await new Promise((resolve) => {
    c.onclose = (reason, details) => {
      closes.push({ reason, details });
      if (!details.will_retry) resolve();
    };
    c.open();
  });
  assert.equal(closes.length, 2);
  assert.deepEqual(
    closes.map((x) => [x.reason, x.details.retry_count, x.details.will_retry]),
    [
      ['unreachable', 1, true],
      ['unreachable', null, false],
    ]
  );
  const msg = closes[0].details.message;
  assert.match(
    msg,
    /^all 2 transports failed: \(1\) could not connect to ws:\/\/127\.0\.0\.1:\d+\/ws: .*; \(2\) could not connect to rs:\/\/127\.0\.0\.1:\d+: /
  );
});

test('failover: the router dies -> lost, then reconnects to the next entry', { timeout: 30000 }, async () => {
  const c = new autobahn.Connection({
    realm: 'realm1',
    transports: [
      { type: 'rawsocket', host: HOST, port: spare.port },
      { type: 'websocket', url: router.url },
    ],
    initial_retry_delay: 0.1,
    retry_delay_jitter: 0,
    use_es6_promises: true,
  });
  const events = [];
  let notify = () => {};
  const next = () => new Promise((resolve) => (notify = resolve));
  c.onopen = () => {
    events.push(['open', c.transport.info.url]);
    notify();
  };
  c.onclose = (reason, details) => {
    events.push(['close', reason, details.will_retry]);
  };
  let wait = next();
  c.open();
  await wait;
  assert.deepEqual(events, [['open', `rs://${HOST}:${spare.port}`]]);
  wait = next();
  await spare.kill();
  await wait;
  assert.deepEqual(events.slice(1), [
    ['close', 'lost', true],
    ['open', router.url],
  ]);
  await closeConn(c);
});

test('connect_timeout: a listener that never answers the handshake -> clear onclose message', async () => {
  const silent = await fakeServer(() => {});
  const t0 = Date.now();
  const r = await openOnce({
    transports: [
      { type: 'rawsocket', host: HOST, port: silent.port },
      { type: 'websocket', url: `ws://${HOST}:${silent.port}/ws` },
    ],
    connect_timeout: 0.4,
  });
  const ms = Date.now() - t0;
  assert.equal(r.reason, 'unreachable');
  assert.match(
    r.details.message,
    /\(1\) could not connect to rs:\/\/127\.0\.0\.1:\d+: no answer within 0\.4 s \(connect_timeout\)/
  );
  assert.match(r.details.message, /\(2\) could not connect to ws:\/\/127\.0\.0\.1:\d+\/ws: no answer within 0\.4 s/);
  assert.ok(ms >= 700 && ms < 5000, `took ${ms} ms`);
  // ... and a silent first entry fails over to a live one.
  const { c } = await opened({
    transports: [
      { type: 'rawsocket', host: HOST, port: silent.port },
      { type: 'websocket', url: router.url },
    ],
    connect_timeout: 0.3,
  });
  assert.equal(c.transport.info.url, router.url);
  await closeConn(c);
  silent.close();
});

test('long-poll: alone -> unsupported with a clear message; before a websocket entry -> skipped', async () => {
  const r = await openOnce({ transports: [{ type: 'longpoll', url: `http://${HOST}:${router.port}/lp` }] });
  assert.equal(r.reason, 'unsupported');
  assert.match(r.details.message, /'longpoll' \(HTTP long-poll\) is not supported/);
  const { c } = await opened({
    transports: [
      { type: 'longpoll', url: `http://${HOST}:${router.port}/lp` },
      { type: 'websocket', url: router.url },
    ],
  });
  assert.equal(c.transport.info.type, 'websocket');
  await closeConn(c);
});

test('transport options are validated synchronously', () => {
  const make = (extra) => () => new autobahn.Connection({ realm: 'realm1', url: 'ws://127.0.0.1:1/ws', ...extra });
  assert.throws(make({ connect_timeout: 0 }), /options\.connect_timeout must be a positive number/);
  assert.throws(make({ connect_timeout: '5' }), /connect_timeout/);
  assert.throws(
    make({ transports: [{ type: 'rawsocket', port: 'x' }] }),
    /options\.transports\[0\]\.port must be an integer 1-65535/
  );
  assert.throws(
    make({ transports: [{ type: 'rawsocket', port: 1, rawsocket_max_len_exp: 25 }] }),
    /rawsocket_max_len_exp must be an integer 9-24/
  );
  assert.throws(make({ tlsConfiguration: { cert: 'x' } }), /cert and \.key must be given together/);
  assert.throws(make({ tlsConfiguration: { ca: 5 } }), /tlsConfiguration\.ca must be PEM text/);
  assert.throws(make({ tls_insecure_skip_verify: 'yes' }), /tls_insecure_skip_verify must be a boolean/);
  assert.throws(make({ headers: { 'X-A': {} } }), /headers\["X-A"\] must be a string/);
  assert.throws(make({ max_message_size: -1 }), /max_message_size must be a positive integer/);
  make({ connect_timeout: 2.5, rawsocket_max_len_exp: 16, headers: { 'X-A': 'b' }, max_message_size: 1000 })();
});

test('a rawsocket entry without port or path is skipped with a clear message', async () => {
  const r = await openOnce({ transports: [{ type: 'rawsocket', host: HOST }] });
  assert.equal(r.reason, 'unsupported');
  assert.match(r.details.message, /rawsocket transport needs `path` \(Unix socket\) or `port`/);
});

// ---------------------------------------------------------------------------------------------
// TLS

test('wss:// and RawSocket over TLS with a custom CA (tlsConfiguration.ca)', async () => {
  for (const [entry, url] of [
    [{ type: 'websocket', url: `wss://localhost:${tlsPort}/ws` }, `wss://localhost:${tlsPort}/ws`],
    [{ type: 'rawsocket', host: HOST, port: tlsPort, tls: true, serializers: ['cbor'] }, `rss://${HOST}:${tlsPort}`],
    [{ type: 'rawsocket', url: `rss://localhost:${tlsPort}` }, `rss://localhost:${tlsPort}`],
  ]) {
    const { c, session } = await opened({ transports: [entry], tlsConfiguration: { ca: pem.caCrt } });
    assert.equal(c.transport.info.url, url);
    await roundTrip(session, `tls.${c.transport.info.type}.${url.length}`);
    await closeConn(c);
  }
});

test('TLS: the server certificate is verified by default; tls_insecure_skip_verify turns that off', async () => {
  const r = await openOnce({ url: `wss://${HOST}:${tlsPort}/ws` });
  assert.equal(r.reason, 'unreachable');
  assert.match(r.details.message, /TLS handshake failed: .*(UnknownIssuer|certificate)/i);
  const r2 = await openOnce({ transports: [{ type: 'rawsocket', host: HOST, port: tlsPort, tls: true }] });
  assert.match(r2.details.message, /TLS handshake failed/);
  const { c } = await opened({ url: `wss://${HOST}:${tlsPort}/ws`, tls_insecure_skip_verify: true });
  assert.equal(c.transport.info.url, `wss://${HOST}:${tlsPort}/ws`);
  await closeConn(c);
  const bad = await openOnce({ url: `wss://${HOST}:${tlsPort}/ws`, tlsConfiguration: { ca: 'garbage' } });
  assert.equal(bad.reason, 'unreachable');
  assert.equal(bad.details.will_retry, false);
  assert.match(bad.details.message, /tlsConfiguration\.ca: no PEM certificate/);
});

test('TLS client certificates (tlsConfiguration.cert/key, PEM strings or Buffers)', async () => {
  const noCert = await openOnce({
    url: `wss://localhost:${mtlsPort}/ws`,
    tlsConfiguration: { ca: Buffer.from(pem.caCrt) },
  });
  assert.equal(noCert.reason, 'unreachable');
  const { c } = await opened({
    transports: [{ type: 'rawsocket', host: 'localhost', port: mtlsPort, tls: true }],
    tlsConfiguration: { ca: [pem.caCrt], cert: pem.clientCrt, key: pem.clientKey },
  });
  assert.equal(c.transport.info.url, `rss://localhost:${mtlsPort}`);
  await closeConn(c);
  const { c: c2 } = await opened({
    url: `wss://localhost:${mtlsPort}/ws`,
    tlsConfiguration: { ca: pem.caCrt, cert: Buffer.from(pem.clientCrt), key: pem.clientKey },
  });
  assert.equal(c2.transport.info.type, 'websocket');
  await closeConn(c2);
});

// ---------------------------------------------------------------------------------------------
// WebSocket extras

test('websocket: extra handshake headers', async () => {
  let head = '';
  const srv = await fakeServer((sock) => {
    sock.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) sock.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
    });
  });
  const r = await openOnce({ url: `ws://${HOST}:${srv.port}/ws`, headers: { 'X-Api-Key': 'k1', Cookie: 'a=b' } });
  assert.equal(r.reason, 'unreachable');
  assert.match(head, /^x-api-key: k1\r$/im);
  assert.match(head, /^cookie: a=b\r$/im);
  assert.match(head, /^sec-websocket-protocol: wamp\.2\.json, wamp\.2\.msgpack\r$/im);
  srv.close();
});

test('websocket: max_message_size fails locally, before sending', async () => {
  const internal = [];
  const { c, session } = await opened({
    url: router.url,
    max_message_size: 2000,
    on_internal_error: (err, msg) => internal.push(msg),
  });
  assert.equal(typeof session.id, 'number');
  const e = await session.call('com.test.transports.big', ['q'.repeat(3000)]).then(
    () => 'resolved',
    (err) => err
  );
  assert.ok(e instanceof autobahn.Error, `expected an error, got ${e}`);
  assert.equal(e.error, 'wamp.error.payload_size_exceeded');
  assert.match(e.args[0], /max_message_size is 2000 bytes/);
  // An unacknowledged publish has nobody to reject: on_internal_error says it was not sent.
  session.publish('com.test.transports.big', ['q'.repeat(3000)]);
  assert.equal(typeof (await session.call('wamp.session.count')), 'number', 'the session goes on');
  assert.equal(internal.length, 1);
  assert.match(internal[0], /PUBLISH not sent: the message is too large/);
  assert.equal(c.isOpen, true);
  c.close();
});

test('websocket: a message the router refuses as too large ends the connection with its close code', async () => {
  const { c, session } = await opened({ url: router.url.replace(/\/ws$/, '/small') });
  const closed = new Promise((resolve) => {
    c.onclose = (reason, details) => resolve({ reason, details });
  });
  const outcome = session.call('com.test.transports.small.ws', ['w'.repeat(4000)]).then(
    () => 'resolved',
    (e) => e
  );
  const { reason, details } = await closed;
  assert.ok(['closed', 'lost'].includes(reason), reason);
  assert.match(String(details.message), /code 1009/, JSON.stringify(details));
  const e = await outcome;
  assert.ok(e instanceof autobahn.Error);
  assert.match(e.error, /^wamp\.close\./);
});

test('a router that never answers HELLO: the join times out after connect_timeout', async () => {
  // A WebSocket peer that accepts the upgrade and then says nothing (neither real router does).
  const silent = await fakeServer((sock) => {
    sock.once('data', (head) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(head.toString('latin1'));
      const accept = crypto
        .createHash('sha1')
        .update(`${key ? key[1] : ''}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      sock.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n`
      );
    });
  });
  const started = Date.now();
  const r = await openOnce({ url: `ws://${HOST}:${silent.port}/ws`, connect_timeout: 1 });
  assert.equal(r.session, undefined);
  assert.equal(r.reason, 'lost');
  assert.match(r.details.message, /did not answer HELLO within 1 s \(connect_timeout\)/);
  assert.ok(Date.now() - started >= 900);
});
