'use strict';
// Message and event kinds shared with src/engine/events.rs.
const MSG = {
  CHALLENGE: 4,
  AUTHENTICATE: 5,
  ABORT: 3,
  ERROR: 8,
  PUBLISH: 16,
  PUBLISHED: 17,
  SUBSCRIBE: 32,
  SUBSCRIBED: 33,
  UNSUBSCRIBE: 34,
  UNSUBSCRIBED: 35,
  EVENT: 36,
  CALL: 48,
  CANCEL: 49,
  RESULT: 50,
  REGISTER: 64,
  REGISTERED: 65,
  UNREGISTER: 66,
  UNREGISTERED: 67,
  INVOCATION: 68,
  INTERRUPT: 69,
  YIELD: 70,
};
const EV = { OPEN: 1000, CLOSE: 1001, INTERNAL_ERROR: 1002, CONNECTING: 1003, CONNECTED: 1004, DEBUG: 1005 };

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

module.exports = { MSG, EV, WAMP_FEATURES, PEER_ROLE };
