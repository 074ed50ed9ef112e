// Uses the public API as a TypeScript program would; `tsc -p __test__/types` checks it against
// index.d.ts (npm run lint). Never run. The @ts-expect-error lines must stay errors: they keep
// the typings from becoming so loose that anything passes.
import autobahn = require('../..');

const version: string = autobahn.version();

const connection = new autobahn.Connection({
  url: 'ws://127.0.0.1:8080/ws',
  realm: 'realm1',
  serializers: [new autobahn.serializer.MsgpackSerializer(), 'json'],
  transports: [
    { type: 'websocket', url: 'wss://127.0.0.1:8443/ws', tlsConfiguration: { ca: Buffer.from('pem') } },
    { type: 'rawsocket', host: '127.0.0.1', port: 8081, rawsocket_max_len_exp: 20 },
    { type: 'rawsocket', path: '/tmp/router.sock' },
  ],
  connect_timeout: 5,
  max_retries: -1,
  authmethods: ['wampcra', 'cryptosign'],
  authid: 'joe',
  onchallenge: (session, method, extra) => {
    if (method === 'wampcra')
      return autobahn.auth_cra.sign(autobahn.auth_cra.derive_key('secret', 'salt'), extra.challenge);
    // index.d.ts types the CHALLENGE extra as a record, so `sign_challenge(key, extra)` needs the
    // challenge spelled out.
    const challenge = { challenge: String(extra.challenge) };
    return [autobahn.auth_cryptosign.sign_challenge(autobahn.auth_cryptosign.generate_keypair(), challenge), {}];
  },
  on_user_error: (err, msg) => console.error(msg, err),
  use_es6_promises: true,
});

// @ts-expect-error realm is required
new autobahn.Connection({ url: 'ws://127.0.0.1:8080/ws' });

connection.onopen = async (session: autobahn.Session, details: autobahn.SessionDetails) => {
  const who: string = details.authid;
  const protocol: string | null = details.transport.protocol;
  const id: number | null = session.id;

  const sum = await session.call<number>('com.example.add2', [2, 3]);
  const n: number = sum;
  const call = session.call('com.example.slow', [], {}, { receive_progress: true, timeout: 1000 });
  call.cancel({ mode: 'killnowait' });
  for await (const update of session.call('com.example.stream', [], {}, { progress: (v) => console.log(v) })) {
    console.log(update);
  }
  const controller = new AbortController();
  session.call('com.example.slow', null, null, { signal: controller.signal });

  const input = session.call_progressive<string>('com.example.upload');
  input.send([Buffer.from('chunk')]);
  const uploaded: string = await input.end();

  const publication: autobahn.Publication = await session.publish(
    'com.example.topic',
    [1],
    { a: 1 },
    { acknowledge: true }
  );
  const nothing: undefined = session.publish('com.example.topic', [1]);
  const publicationId: number = publication.id;

  const subscription = await session.subscribe(
    'com.example',
    (args, kwargs, event, sub) => {
      const topic: string = event.topic;
      const publisher: number | undefined = event.publisher;
      console.log(args.length, kwargs, topic, publisher, sub.active);
    },
    { match: 'prefix' }
  );
  const reason: string | null | undefined = await subscription.on_unsubscribe;
  const gone: boolean = await session.unsubscribe(subscription);

  const registration = await session.register(
    'com.example.add2',
    async (args, kwargs, invocation) => {
      invocation.signal.addEventListener('abort', () => undefined);
      if (invocation.progress) invocation.progress([args[0]]);
      if (invocation.input) for await (const chunk of invocation.input) console.log(chunk.args, chunk.progress);
      if (args.length === 0) throw new autobahn.Error('com.example.error.no_args', ['need two numbers'], { kwargs });
      return new autobahn.Result([args[0] + args[1]], { caller: invocation.caller });
    },
    { invoke: 'roundrobin' }
  );
  await registration.unregister();

  session.prefix('api', 'com.example.api');
  const uri: string = session.resolve('api:add2');
  session.onleave = (why, closeDetails) => console.log(why, closeDetails.will_retry);
  const features = session.features;
  if (features) console.log(features.caller.progressive_call_results);

  // @ts-expect-error the endpoint must be a function
  session.register('com.example.x', 42);
  // @ts-expect-error unknown cancel mode
  call.cancel({ mode: 'later' });

  session.leave('wamp.close.normal', 'bye');
  console.log(who, protocol, id, n, uploaded, nothing, publicationId, reason, gone, uri);
};

connection.onclose = (reason: autobahn.CloseReason, details: autobahn.CloseDetails) => {
  console.log(reason, details.reason, details.retry_delay);
  return reason === 'unsupported';
};

connection.open();
const info: autobahn.TransportInfo = connection.transport.info;
const open: boolean = connection.isOpen || connection.isConnected || connection.isRetrying;

// Deferred flavours: when.js by default.
const d = autobahn.when.defer<number>();
d.resolve(1);
d.promise.then(
  (x: number) => x + 1,
  undefined,
  (update) => console.log(update)
);

// WAMP errors are real Errors.
const error = new autobahn.Error('com.example.error', ['message'], { detail: 1 });
const asError: Error = error;
const errorUri: string = error.error;

// Authentication helpers.
const keypair = autobahn.auth_cryptosign.keypair_from_seed('00'.repeat(32));
const pubkey: string = autobahn.auth_cryptosign.public_key(keypair);
const nonce: string = autobahn.auth_scram.client_nonce();
async function scram(extra: autobahn.auth_scram.ChallengeExtra): Promise<boolean> {
  const signature: string = await autobahn.auth_scram.sign('secret', 'joe', nonce, extra);
  const credential = await autobahn.auth_scram.derive_credential('secret', { kdf: 'pbkdf2', iterations: 1000 });
  console.log(signature, credential['stored-key']);
  return autobahn.auth_scram.verify_server_signature(nonce, 'c2ln');
}

// @types/autobahn names.
const options: autobahn.IConnectionOptions = { url: 'ws://127.0.0.1:8080/ws', realm: 'realm1' };

// Restoring subscriptions and registrations after a reconnect (ours).
const surviving = new autobahn.Connection({
  url: 'ws://127.0.0.1:8080/ws',
  realm: 'realm1',
  restore_on_reconnect: true,
  queue_while_reconnecting: 100,
  on_restore_error: (err: Error, lost: autobahn.Subscription | autobahn.Registration) => console.log(err, lost.id),
});
surviving.onopen = (session, details) => {
  if (details.restored) {
    const again: number = details.restored.subscriptions.length + details.restored.registrations.length;
    console.log(again, details.restored.failed.map((x) => x.active));
    return;
  }
  session.subscribe('com.example.topic', () => {});
};

console.log(version, info, open, asError, errorUri, pubkey, scram, options);

// Credentials instead of onchallenge; the one-call helpers and the key store.
new autobahn.Connection({ url: 'ws://127.0.0.1:8080/ws', realm: 'realm1', authid: 'joe', secret: 's' });
new autobahn.Connection({ url: 'ws://127.0.0.1:8080/ws', realm: 'realm1', authid: 'joe', password: 'p', ticket: 't' });
const storedKey: autobahn.auth_cryptosign.KeyPair = autobahn.auth_cryptosign.load_private_key('device', false);
new autobahn.Connection({ url: 'ws://127.0.0.1:8080/ws', realm: 'realm1', private_key: storedKey });
const csConnection: autobahn.Connection = autobahn.auth_cryptosign.create_connection({
  url: 'ws://127.0.0.1:8080/ws',
  realm: 'realm1',
  pkey: storedKey,
  max_retries: 0,
});
autobahn.auth_cryptosign.delete_private_key('device');
const scramConnection: autobahn.Connection = autobahn.auth_scram.create_connection({
  url: 'ws://127.0.0.1:8080/ws',
  realm: 'realm1',
  authid: 'joe',
  password: 'p',
});
void csConnection;
void scramConnection;
// Flow control.
const throttled = new autobahn.Connection({
  url: 'ws://127.0.0.1:8080/ws',
  realm: 'realm1',
  outgoing_high_water_mark: 4 * 1024 * 1024,
  outgoing_low_water_mark: 1024 * 1024,
  incoming_high_water_mark: 256 * 1024,
});
throttled.onopen = async (session) => {
  const waiting: number = throttled.bufferedAmount + throttled.bufferedMessages;
  if (waiting > 0) await session.drained();
};
// @ts-expect-error a number of bytes
new autobahn.Connection({ url: 'ws://127.0.0.1:8080/ws', realm: 'realm1', outgoing_high_water_mark: '4MB' });
