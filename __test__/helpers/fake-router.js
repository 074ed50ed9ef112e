// A scriptable fake WAMP router for what a real router never does: protocol violations, malformed
// frames, slow or vanishing peers. It speaks WebSocket (the `ws` package) or RawSocket (Node's
// `net`), with the JSON, MessagePack or CBOR serializer, and does nothing by itself: the test
// reads each message the client sends and decides, message by message, what goes back.
//
//   const fake = await fakeRouter({ transport: 'rawsocket', serializer: 'msgpack' });
//   const connection = new autobahn.Connection({ realm: 'realm1', transports: [fake.entry], ... });
//   connection.open();
//   const peer = await fake.nextPeer();          // the next client connection, once accepted
//   const hello = await peer.receive();          // [1, 'realm1', {...}] (decoded)
//   peer.send([2, 1, {}]);                       // one message, encoded with the serializer
//   peer.sendFrame('not json');                  // one frame, payload as given (string: text frame)
//   peer.writeRaw(Buffer.from([0x82, 0x7f]));    // bytes straight onto the TCP stream
//   peer.end();                                  // close the TCP connection
//   await fake.close();
//
// `receive()` resolves to the next decoded message or to { closed: true } once the client has
// gone; `peer.closed` resolves when the TCP connection is gone.
'use strict';

const http = require('node:http');
const net = require('node:net');
const cbor = require('cbor');
const msgpack = require('msgpack5')();
const { WebSocketServer } = require('ws');

const HOST = '127.0.0.1';
const RAWSOCKET_MAGIC = 0x7f;
const SERIALIZER_IDS = { json: 1, msgpack: 2, cbor: 3 };

const CODECS = {
  json: { encode: (msg) => JSON.stringify(msg), decode: (data) => JSON.parse(data.toString('utf8')) },
  msgpack: { encode: (msg) => msgpack.encode(msg).slice(), decode: (data) => msgpack.decode(data) },
  cbor: { encode: (msg) => cbor.encode(msg), decode: (data) => cbor.decodeFirstSync(data) },
};

/** Messages the client sent, queued until `receive()` takes them. */
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }

  push(item) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  take() {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** One client connection as the fake router sees it. */
class FakePeer {
  constructor(socket, codec, sendFrame) {
    this.socket = socket;
    this.codec = codec;
    this.inbox = new Inbox();
    this._sendFrame = sendFrame;
    this.closed = new Promise((resolve) => socket.once('close', resolve));
    this.closed.then(() => this.inbox.push({ closed: true }));
    socket.on('error', () => {});
  }

  _received(data) {
    let msg;
    try {
      msg = this.codec.decode(data);
    } catch (e) {
      msg = { undecodable: data, error: e.message };
    }
    this.inbox.push(msg);
  }

  /** The next message from the client, or { closed: true }. */
  receive() {
    return this.inbox.take();
  }

  /** Reads messages until one of type `type` (skipping others); null if the client left first. */
  async receiveType(type) {
    for (;;) {
      const msg = await this.receive();
      if (msg.closed) return null;
      if (Array.isArray(msg) && msg[0] === type) return msg;
    }
  }

  /** One WAMP message, encoded with the serializer. */
  send(msg) {
    this._sendFrame(this.codec.encode(msg));
  }

  /** One frame carrying `payload` as given: a string goes as a text frame over WebSocket. */
  sendFrame(payload) {
    this._sendFrame(payload);
  }

  /** Bytes straight onto the TCP stream, outside any framing. */
  writeRaw(bytes) {
    this.socket.write(bytes);
  }

  /** Closes the TCP connection (FIN). */
  end() {
    this.socket.end();
  }

  destroy() {
    this.socket.destroy();
  }
}

/** Starts a fake router on a free loopback port. */
async function fakeRouter({ transport = 'websocket', serializer = 'json' } = {}) {
  const codec = CODECS[serializer];
  if (!codec) throw new Error(`unknown serializer ${serializer}`);
  const peers = new Inbox();
  const sockets = new Set();
  const track = (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  let server;
  let closeExtra = () => {};
  if (transport === 'websocket') {
    const protocol = `wamp.2.${serializer}`;
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: 64 * 1024 * 1024,
      handleProtocols: (offered) => (offered.has(protocol) ? protocol : false),
    });
    server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      track(socket);
      wss.handleUpgrade(req, socket, head, (ws) => {
        const peer = new FakePeer(socket, codec, (payload) =>
          ws.send(payload, { binary: typeof payload !== 'string' })
        );
        ws.on('message', (data) => peer._received(data));
        ws.on('error', () => {});
        peers.push(peer);
      });
    });
    closeExtra = () => wss.close();
  } else if (transport === 'rawsocket') {
    server = net.createServer((socket) => {
      track(socket);
      let peer = null;
      let buf = Buffer.alloc(0);
      const frame = (payload) => {
        const body = Buffer.from(payload);
        const head = Buffer.from([0, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]);
        socket.write(Buffer.concat([head, body]));
      };
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        if (peer === null) {
          if (buf.length < 4) return;
          // Accept whatever the client offers, with our maximum length (2^24).
          socket.write(Buffer.from([RAWSOCKET_MAGIC, 0xf0 | SERIALIZER_IDS[serializer], 0, 0]));
          buf = buf.subarray(4);
          peer = new FakePeer(socket, codec, frame);
          peers.push(peer);
        }
        while (buf.length >= 4) {
          const len = (buf[1] << 16) | (buf[2] << 8) | buf[3];
          if (buf.length < 4 + len) break;
          const kind = buf[0] & 0x07;
          const payload = buf.subarray(4, 4 + len);
          buf = buf.subarray(4 + len);
          if (kind === 0) peer._received(payload);
          else if (kind === 1)
            socket.write(Buffer.concat([Buffer.from([2, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff]), payload]));
        }
      });
    });
  } else {
    throw new Error(`unknown transport ${transport}`);
  }
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address();
  const entry =
    transport === 'websocket'
      ? { type: 'websocket', url: `ws://${HOST}:${port}/ws`, serializers: [serializer] }
      : { type: 'rawsocket', host: HOST, port, serializers: [serializer] };
  return {
    port,
    entry,
    /** The next client connection (after the WebSocket upgrade or the RawSocket handshake). */
    nextPeer: () => peers.take(),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        closeExtra();
        server.close(() => resolve());
      }),
  };
}

module.exports = { fakeRouter, HOST };
