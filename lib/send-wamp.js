'use strict';
// `session._send_wamp(msg)` and `session._socket`, the private members of Autobahn|JS's Session
// that applications use for tracing and tests.
//
// The session sends pre-encoded text to the engine, and the engine assigns the WAMP request ids
// (slot 1 of PUBLISH, SUBSCRIBE, UNSUBSCRIBE, CALL, REGISTER, UNREGISTER) in the order the
// requests reach it: 1, 2, 3, ... per session (src/client/session/requests.rs). The session
// counts its requests the same way, so it knows each id without asking the engine.
//
// While `_send_wamp` is the prototype's, nothing here runs. Once an application replaces it, each
// outgoing message is built as the array Autobahn|JS would pass (`[48, requestId, {}, 'com.x',
// [1]]`) and handed to the replacement; the original `_send_wamp` (which the replacement calls,
// typically bound) encodes the array and sends it. A replacement that does not call it drops the
// message, as in Autobahn|JS. The session counts a request when it reaches the engine, so a
// dropped request does not shift the ids of later ones.

const { MSG, SERIALIZERS } = require('./protocol.js');
const { encode } = require('./payload.js');
const { describe } = require('./util.js');
const { serializer } = require('./serializers.js');

// The engine's request ids wrap after 2^53, as Autobahn|JS's.
const MAX_REQUEST_ID = 2 ** 53;
const REQUEST_KINDS = new Set([MSG.PUBLISH, MSG.SUBSCRIBE, MSG.UNSUBSCRIBE, MSG.CALL, MSG.REGISTER, MSG.UNREGISTER]);
// Messages an application may also build itself: their slot 1 is the router's invocation id.
const ANSWER_KINDS = new Set([MSG.YIELD, MSG.ERROR]);

// A message handed to a replaced _send_wamp -> {handle, request}: the engine's handle for its
// slot 1 (the session's own numbering of requests, which the engine maps to the request id), and
// for a new request its pending entry (or true).
const traced = new WeakMap();

function nextRequestId(id) {
  return id >= MAX_REQUEST_ID ? 1 : id + 1;
}

/** A message for a replaced _send_wamp, checked now so that bad input throws as on the fast path. */
class TracedMessage {
  constructor(msg) {
    this.msg = msg;
  }
}

function prepareTraced(session, msg, what) {
  encode(msg, what, session._binary, null);
  return new TracedMessage(msg);
}

/**
 * Hands a traced message to the application's _send_wamp with the WAMP request id in slot 1: for
 * a new request (`request`: its pending entry or true) the id the engine gives the next request,
 * for a CANCEL or a further input of a progressive call the id of the call.
 */
function passTraced(session, tracedMessage, request) {
  const msg = tracedMessage.msg;
  const kind = msg[0];
  if (request || REQUEST_KINDS.has(kind) || kind === MSG.CANCEL) {
    const handle = msg[1];
    let id;
    if (request) {
      id = nextRequestId(session._requestId);
    } else {
      const req = session._pending.get(handle);
      id = req && req.requestId ? req.requestId : null;
    }
    traced.set(msg, { handle, request: request || null });
    msg[1] = id;
  }
  session._send_wamp(msg);
}

/** Session.prototype._send_wamp: sends one WAMP message (an array). */
function sendWamp(msg) {
  if (!Array.isArray(msg)) {
    throw new TypeError(`session._send_wamp: expected a WAMP message (an array), got ${describe(msg)}`);
  }
  let out = msg;
  const entry = traced.get(msg);
  if (entry !== undefined) {
    out = msg.slice();
    out[1] = entry.handle;
  } else if (!ANSWER_KINDS.has(msg[0])) {
    throw new TypeError(
      `session._send_wamp: message type ${describe(msg[0])} can only be sent as the session built it ` +
        '(the engine assigns request ids); messages of your own may be YIELD (70) or ERROR (8) answers'
    );
  }
  if (!this.isOpen) return;
  const text = encode(out, 'session._send_wamp()', this._binary, this._attachments);
  // The engine numbers the requests it is given: a request passed on late, or dropped, shifts
  // the ids of those after it, which the count then follows.
  this._send(text, entry !== undefined ? entry.request : undefined);
}

const SERIALIZER_CLASSES = {
  json: serializer.JSONSerializer,
  msgpack: serializer.MsgpackSerializer,
  cbor: serializer.CBORSerializer,
};

const sockets = new WeakMap();

/**
 * `session._socket`: the session's transport as Autobahn|JS shows it: `info` ({type, url,
 * protocol}), `serializer` (with `SERIALIZER_ID`), `send(msg)` and `close()`.
 */
function socketOf(session) {
  let socket = sockets.get(session);
  if (socket) return socket;
  const info = session._transportInfo || { type: 'none', url: null, protocol: null };
  const spec = SERIALIZERS.find((s) => s.protocol === info.protocol);
  const Serializer = spec ? SERIALIZER_CLASSES[spec.id] : undefined;
  socket = {
    info: { type: info.type, url: info.url, protocol: info.protocol },
    serializer: Serializer ? new Serializer() : undefined,
    send(msg) {
      sendWamp.call(session, msg);
    },
    // Drops the transport (the connection then reconnects, as after a transport failure).
    close() {
      const conn = session._connection;
      if (conn._session === session && conn._active) conn._native.dropTransport();
    },
  };
  sockets.set(session, socket);
  return socket;
}

module.exports = { sendWamp, prepareTraced, passTraced, nextRequestId, socketOf, TracedMessage };
