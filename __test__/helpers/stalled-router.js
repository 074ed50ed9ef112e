// A router that stops reading: it accepts a RawSocket (JSON) connection, answers HELLO with
// WELCOME, then never reads again, so what the client writes piles up in the TCP buffers and
// then in the client. A real router always reads; this one stands in for a stalled or
// overloaded one.
//
//   const stalled = await stalledRouter();   // { port, sessions (count), close() }
//   new autobahn.Connection({ transports: [{ type: 'rawsocket', host: '127.0.0.1', port: stalled.port }], realm: 'realm1' })
'use strict';

const net = require('node:net');

const HOST = '127.0.0.1';
const WELCOME_DETAILS = { roles: { broker: { features: {} }, dealer: { features: {} } }, authrole: 'anonymous' };

function frame(msg) {
  const body = Buffer.from(JSON.stringify(msg));
  const head = Buffer.alloc(4);
  head.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([head, body]);
}

async function stalledRouter() {
  const sockets = new Set();
  let sessions = 0;
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    let shookHands = false;
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!shookHands) {
        if (buf.length < 4) return;
        // Accept JSON with messages up to 2^24 bytes.
        sock.write(Buffer.from([0x7f, 0xf1, 0, 0]));
        buf = buf.subarray(4);
        shookHands = true;
      }
      if (buf.length < 4) return;
      const len = buf.readUIntBE(1, 3);
      if (buf.length < 4 + len) return;
      const hello = JSON.parse(buf.subarray(4, 4 + len).toString());
      if (hello[0] !== 1) return;
      sessions += 1;
      sock.write(frame([2, sessions, WELCOME_DETAILS]));
      // From here on nothing is read.
      sock.off('data', onData);
      sock.pause();
    };
    sock.on('data', onData);
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    host: HOST,
    port: server.address().port,
    get sessions() {
      return sessions;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { stalledRouter };
