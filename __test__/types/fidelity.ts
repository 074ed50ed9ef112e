// Type-checks the Autobahn|JS exports and private members that ported code uses (npm run lint).
import autobahn = require('../..');

const bytes: Uint8Array | null = autobahn.util.htob('00ff');
const b64: string | null = autobahn.util.btoa(bytes ?? []);
const merged: { a: number } = autobahn.util.defaults({ a: 1 }, { b: 2 }, true);
autobahn.util.assert(merged.a === 1, 'a is 1');
const sum: Promise<number> = autobahn.util.as_promise((x: number, y: number) => x + y, 1, 2);
const json: PromiseLike<any> = autobahn.util.http_get_json('http://127.0.0.1:1/x', 1000);
const id: number = autobahn.util.new_global_id();
autobahn.log.debug({ id });
autobahn.log.warn('text');

const names: string[] = autobahn.transports.list();
const ws: boolean = autobahn.transports.isRegistered('websocket');
const Factory: autobahn.TransportFactory = autobahn.transports.get('websocket');
autobahn.transports.register('websocket', Factory);

const cbor = autobahn.cbor as { encode(value: unknown): Buffer };
const versionText: string = `${autobahn.version}`;

function trace(session: autobahn.Session): void {
  const info: autobahn.TransportInfo = session._socket.info;
  const serializerId: string | undefined = session._socket.serializer?.SERIALIZER_ID;
  const orig = session._send_wamp.bind(session);
  session._send_wamp = (msg: autobahn.WampMessage) => {
    console.log(msg[0], msg[1], info, serializerId);
    orig(msg);
  };
}

console.log(b64, sum, json, id, names, ws, cbor, versionText, trace);
