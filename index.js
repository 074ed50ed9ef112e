'use strict';
// Autobahn|JS API on top of the native engine. lib/ owns the Autobahn semantics: class
// shapes, option defaults and validation, handler maps, calling user code, turning thrown
// values into WAMP errors, and the deferred flavour. The engine (Rust) owns the wire, request
// ids, protocol rules, timers and reconnects.

const when = require('when');
const pkg = require('./package.json');
const { Connection } = require('./lib/connection.js');
const { Session } = require('./lib/session.js');
const classes = require('./lib/classes.js');
const { serializer } = require('./lib/serializers.js');

function version() {
  return pkg.version;
}
// Autobahn|JS's `version` is a string: where code uses it as one (`${autobahn.version}`,
// `autobahn.version == '...'`), it reads as this package's version.
version[Symbol.toPrimitive] = version;

module.exports = {
  ...require('./lib/auth.js'),
  // auth_cryptosign and auth_scram with create_connection (and the key store) added
  ...require('./lib/auth-connection.js'),
  Connection,
  Session,
  Error: classes.AutobahnError,
  Result: classes.Result,
  Publication: classes.Publication,
  Event: classes.Event,
  Invocation: classes.Invocation,
  Subscription: classes.Subscription,
  Registration: classes.Registration,
  when,
  version,
  serializer,
  Router: require('./lib/router.js').Router,
  // Autobahn|JS's other exports.
  util: require('./lib/autobahn-util.js'),
  log: require('./lib/log.js'),
  transports: require('./lib/transports.js').transports,
  auth_persona: require('./lib/optional-libraries.js').auth_persona,
};
// msgpack, cbor, nacl: the application's installed msgpack5, cbor, tweetnacl, loaded on first use.
require('./lib/optional-libraries.js').defineOptionalLibraries(module.exports);
