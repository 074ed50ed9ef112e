// Minimal raw WAMP peers for protocol-level tests, on Node's `net` only: a WebSocket client
// (hand-written frame writer/reader, JSON subprotocol) and a RawSocket client. They send exactly
// what a test tells them, including what no real client would send.
//
//   const ws = await rawWebSocket(port);               // upgrade with wamp.2.json
//   ws.send([1, 'realm1', { roles: { caller: {} } }]); // a WAMP message (JSON-encoded)
//   ws.sendText('not json'); ws.sendFrame(0x9, Buffer.from('ping'));
//   const msg = await ws.next();                       // next WAMP message (parsed), or
//                                                      // { closed: true, code } once closed
//   const welcome = await ws.hello('realm1');          // HELLO with all four roles, the reply
//
//   const rs = await rawSocket(port, { serializer: 1 }); // handshake; rs.reply = the 4 bytes
//   rs.send([1, ...]); rs.ping(payload); await rs.next() -> message | { pong } | { closed }
'use strict';

const crypto = require('node:crypto');
const net = require('node:net');

const HOST = '127.0.0.1';
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const ALL_ROLES = { caller: {}, callee: {}, publisher: {}, subscriber: {} };
const DEFAULT_WAIT_MS = 5000;

/** A client WebSocket frame (masked). `fin` false sends a fragment. */
function wsFrame(opcode, payload, { fin = true } = {}) {
  const body = Buffer.from(payload);
  const len = body.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) head[1] = 0x80 | len;
  else if (len < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = crypto.randomBytes(4);
  for (let i = 0; i < len; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

// One server frame from buf: { opcode, payload, rest } or null when incomplete.
function parseWsFrame(buf) {
  if (buf.length < 2) return null;
  const opcode = buf[0] & 0x0f;
  let len = buf[1] & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  if (buf[1] & 0x80) off += 4;
  if (buf.length < off + len) return null;
  return { opcode, payload: buf.subarray(off, off + len), rest: buf.subarray(off + len) };
}

/** A queue of received items with `next(ms)`: resolves the next item, rejects after ms. */
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
    this.ended = null;
  }

  push(item) {
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(item);
    } else this.items.push(item);
  }

  end(item) {
    if (this.ended) return;
    this.ended = item;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(item);
    }
  }

  next(ms = DEFAULT_WAIT_MS, what = 'the next message') {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve, reject) => {
      const w = { resolve, timer: null };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`nothing received within ${ms} ms (waiting for ${what})`));
      }, ms);
      this.waiters.push(w);
    });
  }
}

class RawPeer {
  constructor(sock) {
    this.sock = sock;
    this.inbox = new Inbox();
    this.closed = new Promise((resolve) => sock.on('close', resolve));
    sock.on('error', () => {}); // a reset is one way for the router to end the session
  }

  next(ms, what) {
    return this.inbox.next(ms, what);
  }

  /** Next WAMP message, skipping pongs. */
  async nextMessage(ms = DEFAULT_WAIT_MS, what) {
    for (;;) {
      const item = await this.next(ms, what);
      if (!item || !item.pong) return item;
    }
  }

  /** Reads messages until one satisfies `pred` (or the connection closes); returns it. */
  async until(pred, ms = DEFAULT_WAIT_MS, what = 'a matching message') {
    const deadline = Date.now() + ms;
    for (;;) {
      const item = await this.next(Math.max(1, deadline - Date.now()), what);
      if (item.closed || pred(item)) return item;
    }
  }

  /** HELLO for `realm` with all four roles (or `details`), resolves the router's reply. */
  async hello(realm, details = { roles: ALL_ROLES }) {
    this.send([1, realm, details]);
    const reply = await this.nextMessage(DEFAULT_WAIT_MS, 'the reply to HELLO');
    if (Array.isArray(reply) && reply[0] === 2) this.sessionId = reply[1];
    return reply;
  }

  destroy() {
    this.sock.destroy();
  }
}

class RawWebSocket extends RawPeer {
  constructor(sock, info) {
    super(sock);
    Object.assign(this, info);
    this._buf = Buffer.alloc(0);
  }

  _data(chunk) {
    this._buf = Buffer.concat([this._buf, chunk]);
    for (;;) {
      const f = parseWsFrame(this._buf);
      if (!f) return;
      this._buf = f.rest;
      if (f.opcode === 0x8) {
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
        this.closeCode = code;
        this.closeReason = f.payload.subarray(2).toString('utf8');
        this.inbox.end({ closed: true, code, reason: this.closeReason });
      } else if (f.opcode === 0x9) {
        this.sock.write(wsFrame(0xa, f.payload));
      } else if (f.opcode === 0xa) {
        this.inbox.push({ pong: Buffer.from(f.payload) });
      } else {
        let msg;
        try {
          msg = JSON.parse(f.payload.toString('utf8'));
        } catch {
          msg = { unparsable: Buffer.from(f.payload), opcode: f.opcode };
        }
        this.inbox.push(msg);
      }
    }
  }

  send(msg) {
    this.sendText(JSON.stringify(msg));
  }

  sendText(text) {
    this.sock.write(wsFrame(0x1, Buffer.from(text, 'utf8')));
  }

  sendFrame(opcode, payload, opts) {
    this.sock.write(wsFrame(opcode, payload, opts));
  }
}

/**
 * Opens a TCP connection and sends the WebSocket upgrade for `path` offering `protocols`.
 * Resolves { status, headers, protocol } plus, when the router answered 101, a RawWebSocket;
 * a refused upgrade resolves with `ws: null`.
 */
function rawWebSocket(port, { path = '/ws', protocols = ['wamp.2.json'], host = HOST } = {}) {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => {
      sock.destroy();
      if (!done) reject(new Error(`no upgrade answer within ${DEFAULT_WAIT_MS} ms`));
    }, DEFAULT_WAIT_MS);
    const finishRefused = (statusLine) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({
        status: Number((/^HTTP\/1\.1 (\d+)/.exec(statusLine || '') || [])[1]) || null,
        statusLine,
        headers: {},
        protocol: null,
        ws: null,
      });
    };
    sock.on('error', (err) => {
      if (!done && buf.length === 0) finishRefused(null);
      else if (!done) reject(err);
    });
    sock.on('close', () => finishRefused(buf.toString('latin1').split('\r\n')[0] || null));
    sock.on('connect', () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          (protocols.length ? `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n` : '') +
          '\r\n'
      );
    });
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const rest = buf.subarray(end + 4);
      const headers = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const status = Number((/^HTTP\/1\.1 (\d+)/.exec(lines[0]) || [])[1]) || null;
      done = true;
      clearTimeout(timer);
      sock.removeListener('data', onData);
      sock.removeAllListeners('close');
      sock.removeAllListeners('error');
      const info = { status, statusLine: lines[0], headers, protocol: headers['sec-websocket-protocol'] || null };
      if (status !== 101) {
        sock.destroy();
        resolve({ ...info, ws: null });
        return;
      }
      const accept = crypto
        .createHash('sha1')
        .update(key + WS_GUID)
        .digest('base64');
      if (headers['sec-websocket-accept'] !== accept) {
        sock.destroy();
        reject(new Error('bad Sec-WebSocket-Accept'));
        return;
      }
      const ws = new RawWebSocket(sock, info);
      sock.on('data', (d) => ws._data(d));
      sock.on('close', () => ws.inbox.end({ closed: true, code: ws.closeCode ?? null }));
      if (rest.length) ws._data(rest);
      resolve({ ...info, ws });
    };
    sock.on('data', onData);
  });
}

/** rawWebSocket() that must succeed; resolves the RawWebSocket. */
async function openRawWebSocket(port, opts) {
  const res = await rawWebSocket(port, opts);
  if (!res.ws) throw new Error(`upgrade refused: ${res.statusLine}`);
  return res.ws;
}

class RawSocketPeer extends RawPeer {
  constructor(sock) {
    super(sock);
    this._buf = Buffer.alloc(0);
  }

  _data(chunk) {
    this._buf = Buffer.concat([this._buf, chunk]);
    while (this._buf.length >= 4) {
      const type = this._buf[0];
      const len = this._buf.readUIntBE(1, 3);
      if (this._buf.length < 4 + len) return;
      const payload = Buffer.from(this._buf.subarray(4, 4 + len));
      this._buf = this._buf.subarray(4 + len);
      if (type === 0) {
        let msg;
        try {
          msg = JSON.parse(payload.toString('utf8'));
        } catch {
          msg = { unparsable: payload };
        }
        this.inbox.push(msg);
      } else if (type === 1) {
        this.sock.write(Buffer.concat([rawSocketHeader(2, payload.length), payload]));
      } else if (type === 2) {
        this.inbox.push({ pong: payload });
      } else {
        this.inbox.push({ unknownFrameType: type, payload });
      }
    }
  }

  send(msg) {
    const payload = Buffer.from(JSON.stringify(msg), 'utf8');
    this.sock.write(Buffer.concat([rawSocketHeader(0, payload.length), payload]));
  }

  ping(payload) {
    this.sock.write(Buffer.concat([rawSocketHeader(1, payload.length), payload]));
  }
}

function rawSocketHeader(type, len) {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUIntBE(len, 1, 3);
  return head;
}

/**
 * Connects and sends the RawSocket handshake [0x7F, (lengthExp << 4) | serializer, b2, b3].
 * Resolves { reply: the router's 4 bytes or null if it closed first, peer: a RawSocketPeer when
 * the reply accepted the serializer }.
 */
function rawSocket(port, { serializer = 1, lengthExp = 15, reserved = [0, 0], host = HOST, handshake } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (reply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.removeAllListeners('data');
      if (!reply || (reply[1] & 0x0f) === 0) {
        // an error reply (or none): the router closes; wait for that briefly
        const closedAfterReply = new Promise((r) => {
          if (sock.destroyed) r(true);
          else sock.once('close', () => r(true));
        });
        resolve({ reply, peer: null, closedAfterReply });
        setTimeout(() => sock.destroy(), DEFAULT_WAIT_MS).unref();
        return;
      }
      const peer = new RawSocketPeer(sock);
      sock.on('data', (d) => peer._data(d));
      sock.on('close', () => peer.inbox.end({ closed: true }));
      if (buf.length > 4) peer._data(buf.subarray(4));
      resolve({ reply, peer });
    };
    const timer = setTimeout(() => {
      sock.destroy();
      if (!done) reject(new Error(`no RawSocket handshake reply within ${DEFAULT_WAIT_MS} ms`));
    }, DEFAULT_WAIT_MS);
    sock.on('error', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('connect', () => {
      sock.write(handshake || Buffer.from([0x7f, (lengthExp << 4) | serializer, reserved[0], reserved[1]]));
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 4) finish(Buffer.from(buf.subarray(0, 4)));
    });
  });
}

module.exports = { rawWebSocket, openRawWebSocket, rawSocket, wsFrame, parseWsFrame, ALL_ROLES };
