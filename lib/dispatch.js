'use strict';
// Events from the engine: each batch is the JSON text of an array of events, each event an
// array whose first element is its kind (the layouts are listed in src/client/events.rs). Each
// event is decoded here, once, into a named shape and handed to the session or the connection.

const { MSG, EV } = require('./protocol.js');
const { decodeBatch } = require('./payload.js');

// Session traffic: delivered to the connection's current session, dropped when there is none.
const SESSION_EVENTS = new Map([
  [
    MSG.EVENT,
    (s, ev) => s._onEvent({ subscription: ev[1], publication: ev[2], details: ev[3], args: ev[4], kwargs: ev[5] }),
  ],
  [MSG.RESULT, (s, ev) => s._onResult({ handle: ev[1], details: ev[2], args: ev[3], kwargs: ev[4] })],
  [
    MSG.INVOCATION,
    (s, ev) => s._onInvocation({ invocation: ev[1], registration: ev[2], details: ev[3], args: ev[4], kwargs: ev[5] }),
  ],
  [MSG.ERROR, (s, ev) => s._onError({ handle: ev[1], error: ev[2], details: ev[3], args: ev[4], kwargs: ev[5] })],
  [MSG.PUBLISHED, (s, ev) => s._onPublished({ handle: ev[1], publication: ev[2] })],
  [MSG.SUBSCRIBED, (s, ev) => s._onSubscribed({ handle: ev[1], subscription: ev[2] })],
  // handle 0: the router revoked the subscription (and says why).
  [MSG.UNSUBSCRIBED, (s, ev) => s._onUnsubscribed({ handle: ev[1], subscription: ev[2], reason: ev[3] })],
  [MSG.REGISTERED, (s, ev) => s._onRegistered({ handle: ev[1], registration: ev[2] })],
  [MSG.UNREGISTERED, (s, ev) => s._onUnregistered({ handle: ev[1], registration: ev[2], reason: ev[3] })],
  [MSG.INTERRUPT, (s, ev) => s._onInterrupt({ invocation: ev[1], options: ev[2] })],
  [MSG.CHALLENGE, (s, ev) => s._onChallenge({ method: ev[1], extra: ev[2] })],
]);

// The connection's own events.
const CONNECTION_EVENTS = new Map([
  [EV.CONNECTED, (c, ev) => c._onConnected({ serial: ev[1], transport: ev[2] })],
  [EV.OPEN, (c, ev) => c._onOpen({ serial: ev[1], session: ev[2], details: ev[3] })],
  [EV.CLOSE, (c, ev) => c._onClose(ev[1], ev[2])],
  [EV.CONNECTING, (c) => c._onConnecting()],
  [EV.INTERNAL_ERROR, (c, ev) => c._onInternalError(new Error(ev[1]), ev[1])],
  [EV.DRAINED, (c) => c._flow.onDrained()],
  [
    EV.DEBUG,
    (_c, ev) => {
      console.log(`AUTOBAHN_DEBUG: WAMP ${ev[1] === 'tx' ? 'sent' : 'received'} ${ev[2]}`);
    },
  ],
]);

/** Decodes one batch from the engine and delivers its events in order. */
function dispatchBatch(connection, batch, attachments, binary) {
  let events;
  try {
    events = decodeBatch(batch, attachments, binary);
  } catch (e) {
    connection._onInternalError(e, 'could not decode events from the engine');
    return;
  }
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    const toSession = SESSION_EVENTS.get(ev[0]);
    if (toSession !== undefined) {
      // Read per event: a CLOSE or CONNECTED earlier in the batch replaces the session.
      const s = connection._session;
      if (s) toSession(s, ev);
      continue;
    }
    const toConnection = CONNECTION_EVENTS.get(ev[0]);
    if (toConnection !== undefined) toConnection(connection, ev);
    else connection._onInternalError(new Error(`unknown engine event ${ev[0]}`), 'unknown engine event');
  }
}

/** The event kinds this file delivers (for the vocabulary test). */
function dispatchedKinds() {
  return { session: [...SESSION_EVENTS.keys()], connection: [...CONNECTION_EVENTS.keys()] };
}

module.exports = { dispatchBatch, dispatchedKinds };
