// The ES module entry (`import autobahn from 'autobahn'`, `import { Connection } from 'autobahn'`):
// the CommonJS module itself, and each of its properties as a named export. Node derives named
// exports of a CommonJS module from its source text and stops at `key: expression` entries, so
// they are listed here. The same module instance serves require() and import.
import autobahn from './index.js';

export default autobahn;
export const {
  auth_cra,
  auth_cryptosign,
  auth_scram,
  Connection,
  Session,
  Error,
  Result,
  Publication,
  Event,
  Invocation,
  Subscription,
  Registration,
  when,
  version,
  serializer,
  Router,
  util,
  log,
  transports,
  auth_persona,
  msgpack,
  cbor,
  nacl,
} = autobahn;
