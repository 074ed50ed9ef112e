'use strict';
// The vocabulary shared with the engine, from the engine itself (src/binding/constants.rs): WAMP
// message kinds, the engine's own event kinds (src/client/events.rs), the marked strings of the
// JSON form, attachment thresholds, serializers and the defaults the engine also applies.

const native = require('../native.js');

function readVocabulary() {
  if (typeof native.protocolConstants !== 'function') {
    throw new Error('autobahn: the native addon is older than the JavaScript code: rebuild it with `npm run build`');
  }
  return deepFreeze(JSON.parse(native.protocolConstants()));
}

function deepFreeze(v) {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze(v[k]);
    Object.freeze(v);
  }
  return v;
}

const VOCABULARY = readVocabulary();

/** WAMP message kinds by name (`MSG.CALL === 48`). */
const MSG = VOCABULARY.message;
/** The engine's own events, numbered from 1000 (see src/client/events.rs). */
const EV = VOCABULARY.event;
/**
 * The first characters of marked strings in the JSON form: `bytes` + Base64 for bytes, `bigint`
 * + digits for 64-bit integers (binary serializers only), `bytes` + `attachment` + an index for
 * a value that travels beside the text.
 */
const MARK = VOCABULARY.marks;
/** Values from these sizes on travel beside the text (`min_bytes` for bytes, `min_text_bytes` for strings). */
const ATTACH = VOCABULARY.attachments;
/** The serializers the engine speaks: [{id: 'json', protocol: 'wamp.2.json', binary: false}, ...]. */
const SERIALIZERS = VOCABULARY.serializers;
/** Defaults of settings the engine applies too: connect_timeout, rawsocket_max_len_exp, retry. */
const ENGINE_DEFAULTS = {
  connect_timeout: VOCABULARY.connect_timeout,
  rawsocket_max_len_exp: VOCABULARY.rawsocket_max_len_exp,
  retry: VOCABULARY.retry,
};

const binaryProtocols = new Set(SERIALIZERS.filter((s) => s.binary).map((s) => s.protocol));

/** Whether a transport's protocol (`wamp.2.msgpack`, ...) is a binary serializer. */
function isBinaryProtocol(protocol) {
  return binaryProtocols.has(protocol);
}

// The roles and features announced in HELLO, as Autobahn|JS announces them.
const WAMP_FEATURES = {
  caller: {
    features: {
      caller_identification: true,
      progressive_call_results: true,
      call_canceling: true,
      progressive_call_invocations: true,
    },
  },
  callee: {
    features: {
      caller_identification: true,
      pattern_based_registration: true,
      shared_registration: true,
      progressive_call_results: true,
      registration_revocation: true,
      // Beyond Autobahn|JS: INTERRUPT reaches the endpoint as details.signal, and streamed
      // inputs as details.input.
      call_canceling: true,
      progressive_call_invocations: true,
    },
  },
  publisher: {
    features: {
      publisher_identification: true,
      subscriber_blackwhite_listing: true,
      publisher_exclusion: true,
    },
  },
  subscriber: {
    features: {
      publisher_identification: true,
      pattern_based_subscription: true,
      subscription_revocation: true,
    },
  },
};
const PEER_ROLE = { caller: 'dealer', callee: 'dealer', publisher: 'broker', subscriber: 'broker' };

module.exports = { MSG, EV, MARK, ATTACH, SERIALIZERS, ENGINE_DEFAULTS, isBinaryProtocol, WAMP_FEATURES, PEER_ROLE };
