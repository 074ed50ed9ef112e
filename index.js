'use strict';
// Autobahn|JS API on top of the native engine. This file owns the Autobahn semantics: class
// shapes, option defaults and validation, handler maps, calling user code, turning thrown
// values into WAMP errors, and the deferred flavour. The engine (Rust) owns the wire, request
// ids, protocol rules, timers and reconnects.

const when = require('when');
const pkg = require('./package.json');
const { NativeConnection } = require('./native.js');

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

// ---------------------------------------------------------------------------------------------
// Value classes (field names as in Autobahn|JS)

/** A WAMP error: `error` is the error URI. Unlike Autobahn|JS it is a real `Error` (stack, message). */
class AutobahnError extends Error {
  constructor(error, args, kwargs) {
    const a = args || [];
    const detail = typeof a[0] === 'string' ? `: ${a[0]}` : '';
    super(`${error}${detail}`);
    this.error = error;
    this.args = a;
    this.kwargs = kwargs || {};
  }
}
Object.defineProperty(AutobahnError.prototype, 'name', { value: 'AutobahnError' });

class Result {
  constructor(args, kwargs) {
    this.args = args || [];
    this.kwargs = kwargs || {};
  }
}

class Publication {
  constructor(id) {
    this.id = id;
  }
}

class Event {
  constructor(publication, topic, publisher, publisher_authid, publisher_authrole, retained, forward_for) {
    this.publication = publication;
    this.topic = topic;
    this.publisher = publisher;
    this.publisher_authid = publisher_authid;
    this.publisher_authrole = publisher_authrole;
    this.retained = retained;
    this.forward_for = forward_for;
  }
}

class Invocation {
  #controller = null;
  #onSignal = null;

  constructor(procedure, progress, caller, caller_authid, caller_authrole, forward_for) {
    this.procedure = procedure;
    this.progress = progress;
    this.caller = caller;
    this.caller_authid = caller_authid;
    this.caller_authrole = caller_authrole;
    this.forward_for = forward_for;
  }

  /** Aborted when the caller cancels (INTERRUPT) or the session ends. Created on first use. */
  get signal() {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#onSignal) this.#onSignal(this);
    }
    return this.#controller.signal;
  }

  _watch(onSignal) {
    this.#onSignal = onSignal;
  }

  _abort(reason) {
    if (this.#controller && !this.#controller.signal.aborted) this.#controller.abort(reason);
  }
}

class Subscription {
  constructor(topic, handler, options, session, id) {
    this.topic = topic;
    this.handler = handler;
    this.options = options || {};
    this.session = session;
    this.id = id;
    this.active = true;
    this._on_unsubscribe = session._defer();
    this.on_unsubscribe = promiseOf(this._on_unsubscribe);
  }

  unsubscribe() {
    return this.session.unsubscribe(this);
  }
}

class Registration {
  constructor(procedure, endpoint, options, session, id) {
    this.procedure = procedure;
    this.endpoint = endpoint;
    this.options = options || {};
    this.session = session;
    this.id = id;
    this.active = true;
    this._on_unregister = session._defer();
    this.on_unregister = promiseOf(this._on_unregister);
  }

  unregister() {
    return this.session.unregister(this);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function es6Defer() {
  const d = {};
  d.promise = new Promise((resolve, reject) => {
    d.resolve = resolve;
    d.reject = reject;
  });
  return d;
}

// Autobahn's util.promise: jQuery-style deferreds expose `promise()` as a function.
function promiseOf(d) {
  return d.promise && typeof d.promise.then === 'function' ? d.promise : d.promise();
}

function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
}

const URI_LOOSE = /^([^\s.#]+\.)*([^\s.#]+)$/;
const URI_LOOSE_EMPTY = /^(([^\s.#]+\.)|\.)*([^\s.#]+)?$/;

// URIs already found valid (strictly): the same topic or procedure is checked on every call.
const validUris = new Set();
const VALID_URI_CACHE_SIZE = 1024;

function checkUri(uri, what, allowEmptyComponents) {
  if (typeof uri !== 'string') {
    throw new TypeError(`${what} must be a string URI, got ${describe(uri)}`);
  }
  if (validUris.has(uri)) return;
  const re = allowEmptyComponents ? URI_LOOSE_EMPTY : URI_LOOSE;
  if (!allowEmptyComponents && URI_LOOSE.test(uri)) {
    if (validUris.size >= VALID_URI_CACHE_SIZE) validUris.clear();
    validUris.add(uri);
    return;
  }
  if (!re.test(uri) || uri.length === 0) {
    throw new AutobahnError('wamp.error.invalid_uri', [
      `invalid ${what} '${uri}': URI components are separated by '.', must not be empty` +
        (allowEmptyComponents ? '' : ' (unless match is "wildcard")') +
        ", and must not contain '#' or whitespace",
    ]);
  }
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? `an object (${(v.constructor && v.constructor.name) || 'Object'})` : typeof v;
}

function checkArgs(args, kwargs, options, what) {
  if (args !== undefined && args !== null && !Array.isArray(args)) {
    throw new TypeError(`${what}: args must be an array, got ${describe(args)}`);
  }
  // Stricter than Autobahn|JS (any object): a Map, Date or class instance would not arrive as the
  // dict the wire needs, or would lose its contents silently.
  if (kwargs !== undefined && kwargs !== null && !isPlainObject(kwargs)) {
    throw new TypeError(`${what}: kwargs must be a plain object, got ${describe(kwargs)}`);
  }
  if (options !== undefined && options !== null && !isPlainObject(options)) {
    throw new TypeError(`${what}: options must be a plain object, got ${describe(options)}`);
  }
}

// JSON with the WAMP binary convention (a string of U+0000 + Base64) and a clear error for
// values JSON cannot carry, instead of JSON.stringify's silent `null` or omission. Under a binary
// serializer (MessagePack, CBOR) a BigInt becomes a string of U+0001 + its digits, which the
// engine writes as a 64-bit integer; JSON has no such integers, so there a BigInt is an error.
//
// The message is walked before a plain JSON.stringify (no replacer: V8's fast path, and a Buffer
// never goes through Buffer#toJSON's array of numbers). Containers are copied only where
// something inside them was replaced.
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
// Deeper (or cyclic) structures are left to JSON.stringify, which reports cycles.
const MAX_WALK_DEPTH = 200;
const hasOwn = Object.prototype.hasOwnProperty;

// Byte values and strings from these sizes on cross to the engine beside the text ("attachments":
// no Base64 or escaping in JavaScript, no copy into the JSON text); the text holds U+0000 + '#' +
// their index. The engine sends large values of incoming messages the same way.
const ATTACH_MIN_LEN = 1024;
const ATTACH_MIN_TEXT_LEN = 16 * 1024;

function prepare(value, key, binary, depth, attachments) {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) {
        throw new TypeError(`cannot serialize a string with a lone UTF-16 surrogate${where(key)}`);
      }
      if (value.charCodeAt(0) <= 1) {
        if (value.charCodeAt(0) === 0 && value.charCodeAt(1) === 35) {
          throw new TypeError(
            `cannot serialize the string '\\u0000#...'${where(key)}: a string starting with U+0000 stands ` +
              'for bytes in Base64, and # is not Base64 (pass a Buffer for bytes)'
          );
        }
        // Marked strings stay inline, where the engine reads them as what they stand for.
        return value;
      }
      if (attachments !== null && value.length >= ATTACH_MIN_TEXT_LEN) {
        attachments.push(value);
        return '\u0000#' + (attachments.length - 1);
      }
      return value;
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'function':
      throw new TypeError(`cannot serialize a function${where(key)}`);
    case 'symbol':
      throw new TypeError(`cannot serialize a symbol${where(key)}`);
    case 'bigint':
      if (binary) {
        if (value < INT64_MIN || value > UINT64_MAX) {
          throw new TypeError(`cannot serialize the BigInt ${value}${where(key)}: it does not fit 64 bits`);
        }
        return `\u0001${value}`;
      }
      throw new TypeError(
        `cannot serialize the BigInt ${value}${where(key)}: the JSON serializer carries only numbers ` +
          '(use the msgpack or cbor serializer for 64-bit integers)'
      );
    default: {
      if (value === null) return null;
      if (value instanceof Uint8Array) {
        const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        if (attachments !== null && bytes.length >= ATTACH_MIN_LEN) {
          attachments.push(bytes);
          return '\u0000#' + (attachments.length - 1);
        }
        return '\u0000' + bytes.toString('base64');
      }
      if (depth > MAX_WALK_DEPTH || typeof value.toJSON === 'function') return value;
      let copy = null;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const v = value[i];
          const p = prepare(v, i, binary, depth + 1, attachments);
          if (p !== v && copy === null) copy = value.slice();
          if (copy !== null) copy[i] = p;
        }
      } else {
        for (const k in value) {
          if (!hasOwn.call(value, k)) continue;
          const v = value[k];
          const p = prepare(v, k, binary, depth + 1, attachments);
          if (p !== v && copy === null) copy = Object.assign({}, value);
          if (copy !== null) copy[k] = p;
        }
      }
      return copy || value;
    }
  }
}

function where(key) {
  return key === '' ? '' : ` (at key '${key}')`;
}

// With `attachments` (an array), large byte values are pushed there instead of going inline.
function encode(msg, what, binary, attachments = null) {
  try {
    return JSON.stringify(prepare(msg, '', binary, 0, attachments));
  } catch (e) {
    const err = new TypeError(`${what}: payload cannot be serialized: ${e.message}`);
    err.cause = e;
    throw err;
  }
}

// The attachments of the batch being parsed (see _onBatch).
let batchAttachments = null;

function bytesOf(marked) {
  if (marked.charCodeAt(1) !== 35) return Buffer.from(marked.slice(1), 'base64');
  const bytes = batchAttachments !== null ? batchAttachments[+marked.slice(2)] : undefined;
  if (bytes === undefined) throw new Error(`the engine sent no attachment ${marked.slice(2)}`);
  return bytes;
}

function jsonReviver(_key, value) {
  if (typeof value === 'string' && value.charCodeAt(0) === 0) return bytesOf(value);
  return value;
}

const BIGINT_MARKED = /^\u0001-?\d+$/;

// Under a binary serializer the engine marks integers beyond ±(2^53-1) (see src/engine/codec).
function binaryReviver(_key, value) {
  if (typeof value === 'string') {
    const c = value.charCodeAt(0);
    if (c === 0) return bytesOf(value);
    if (c === 1 && BIGINT_MARKED.test(value)) return BigInt(value.slice(1));
  }
  return value;
}

// [.., args (, kwargs)] for a Result or Error: parts are sent only when non-empty.
function pushResultPayload(msg, args, kwargs, what) {
  if (args !== undefined && args !== null && !Array.isArray(args)) {
    throw new TypeError(`${what}: args must be an array, got ${describe(args)}`);
  }
  if (kwargs !== undefined && kwargs !== null && !isPlainObject(kwargs)) {
    throw new TypeError(`${what}: kwargs must be a plain object, got ${describe(kwargs)}`);
  }
  const hasKw = !!kwargs && Object.keys(kwargs).length > 0;
  if ((args && args.length > 0) || hasKw) msg.push(args || []);
  if (hasKw) msg.push(kwargs);
  return msg;
}

function callResultValue(args, kwargs) {
  const a = args || [];
  if (a.length > 1 || (kwargs && Object.keys(kwargs).length > 0)) return new Result(a, kwargs);
  if (a.length === 1) return a[0];
  return null;
}

// Builds [..., args (, kwargs)] the way Autobahn|JS does: what the user passed is sent,
// and kwargs alone get an empty args list in front.
function pushPayload(msg, args, kwargs) {
  if (args || kwargs) msg.push(args || []);
  if (kwargs) msg.push(kwargs);
  return msg;
}

// Calls a user handler; a throw, or a rejection of the promise it returns, goes to
// on_user_error. Returns what the handler returned.
function invokeUser(owner, what, fn, thisArg, ...args) {
  let ret;
  try {
    ret = fn.apply(thisArg, args);
  } catch (e) {
    owner._onUserError(e, `${what} threw`);
    return undefined;
  }
  if (isThenable(ret)) {
    ret.then(undefined, (e) => owner._onUserError(e, `${what} rejected`));
  }
  return ret;
}

function defaultErrorHandler(kind) {
  return (err, msg) => {
    // eslint-disable-next-line no-console
    console.error(`autobahn: ${kind}${msg ? `: ${msg}` : ''}`, err);
  };
}

// How long a `kill` cancel waits for the router before the call is settled locally: a router
// may send nothing at all (Crossbar, when the callee cannot cancel).
const KILL_CANCEL_GRACE_MS = 10000;

function abortError(signal) {
  const reason = signal.reason;
  if (reason instanceof AutobahnError) return reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
  return new AutobahnError('wamp.error.canceled', [`the call was aborted by its AbortSignal: ${why}`]);
}

// Settles a pending request, releasing its timers and listeners and ending its progress stream.
function settle(req, ok, value) {
  if (req.cleanup) req.cleanup();
  if (req.stream) req.stream.end(ok ? null : value);
  if (ok) req.d.resolve(value);
  else req.d.reject(value);
}

// Progress updates of one call, consumed with `for await (const update of callPromise)`.
class ProgressStream {
  constructor() {
    this.buffer = [];
    this.waiter = null;
    this.done = false;
    this.error = null;
  }

  push(value) {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value, done: false });
    } else {
      this.buffer.push(value);
    }
  }

  end(error) {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next() {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift(), done: false });
    if (this.done) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  iterator() {
    return {
      next: () => this.next(),
      return: () => {
        this.end(null);
        this.buffer = [];
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Session

class Session {
  constructor(connection, serial) {
    this._connection = connection;
    this._serial = serial;
    this._defer = connection._defer;
    this._id = null;
    this._realm = connection._options.realm;
    const info = connection._transportInfo;
    this._binary = !!info && info.protocol !== 'wamp.2.json';
    this._features = null;
    this._details = null;
    this._created = null;
    this._pending = new Map(); // handle -> {kind, d, ...}
    this._subscriptions = new Map(); // subscription id -> [Subscription]
    this._registrations = new Map(); // registration id -> Registration
    this._interruptible = new Map(); // invocation id -> Invocation whose signal was asked for
    this._inputs = new Map(); // invocation id -> ProgressStream of a progressive call invocation
    this._outbox = [];
    this._attachments = []; // Buffers and strings the outbox's placeholders refer to
    this._flushScheduled = false;
    this._flush = () => this._flushOutbox();
    this._prefixes = {};
    this.caller_disclose_me = false;
    this.publisher_disclose_me = false;
    this.onjoin = null;
    this.onleave = null;
  }

  _enc(msg, what) {
    return encode(msg, what, this._binary, this._attachments);
  }

  get id() {
    return this._id;
  }
  get realm() {
    return this._realm;
  }
  // Authentication results from WELCOME (null before the session is open).
  get authid() {
    return this._details ? this._details.authid : null;
  }
  get authrole() {
    return this._details ? this._details.authrole : null;
  }
  get authmethod() {
    return this._details ? this._details.authmethod : null;
  }
  get authprovider() {
    return this._details ? this._details.authprovider : null;
  }
  get authextra() {
    return this._details ? this._details.authextra : null;
  }
  get isOpen() {
    return this._id !== null;
  }
  get features() {
    return this._features;
  }
  get subscriptions() {
    return Array.from(this._subscriptions.values());
  }
  get registrations() {
    return Array.from(this._registrations.values());
  }
  get defer() {
    return this._defer;
  }

  log(...args) {
    let header = 'WAMP session';
    if (this._id !== null && this._created !== null) {
      const ms = Math.round((performance.now() - this._created) * 1000) / 1000;
      header = `WAMP session ${this._id} on '${this._realm}' at ${ms} ms`;
    }
    console.group(header);
    for (const a of args) console.log(a);
    console.groupEnd();
  }

  join() {
    if (this.isOpen) throw 'session already open';
    throw new Error('autobahn: sessions are joined by Connection.open(); create a new Connection to join again');
  }

  leave(reason, message) {
    if (!this.isOpen) throw 'session not open';
    if (reason !== undefined && reason !== null) checkUri(reason, 'leave reason');
    if (message !== undefined && message !== null && typeof message !== 'string') {
      throw new TypeError(`leave message must be a string, got ${describe(message)}`);
    }
    // What was called or published before leave() goes out before the GOODBYE.
    this._flushOutbox();
    this._connection._native.close(reason || undefined, message || undefined);
  }

  prefix(prefix, uri) {
    if (uri === null || uri === undefined) {
      delete this._prefixes[prefix];
    } else {
      this._prefixes[prefix] = uri;
    }
  }

  resolve(curie) {
    if (typeof curie !== 'string') return curie;
    const i = curie.indexOf(':');
    if (i >= 0) {
      const p = curie.substring(0, i);
      if (Object.prototype.hasOwnProperty.call(this._prefixes, p)) {
        return `${this._prefixes[p]}.${curie.substring(i + 1)}`;
      }
    }
    return curie;
  }

  call(procedure, args, kwargs, options) {
    return this._call(procedure, args, kwargs, options, false).promise;
  }

  // `moreInput`: the first CALL of a progressive call invocation (Options.progress = true).
  _call(procedure, args, kwargs, options, moreInput) {
    if (!this.isOpen) throw 'session not open';
    procedure = this.resolve(procedure);
    checkUri(procedure, 'procedure');
    checkArgs(args, kwargs, options, 'call()');
    // The options minus those only meaningful locally (progress, signal), which are never sent
    // to the router. Built fresh: deleting keys would slow every later use of the object.
    const opts = {};
    let progress;
    let signal;
    if (options !== undefined && options !== null) {
      for (const k in options) {
        if (!hasOwn.call(options, k)) continue;
        if (k === 'progress') progress = options[k];
        else if (k === 'signal') signal = options[k];
        else opts[k] = options[k];
      }
    }
    if (progress !== undefined && typeof progress !== 'function') {
      throw new TypeError(`call(): options.progress must be a function, got ${describe(progress)}`);
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`call(): options.signal must be an AbortSignal, got ${describe(signal)}`);
    }
    if (opts.timeout !== undefined && (typeof opts.timeout !== 'number' || !(opts.timeout >= 0))) {
      throw new TypeError(`call(): options.timeout must be a number of milliseconds, got ${describe(opts.timeout)}`);
    }
    // A progress callback is a request for progressive results.
    if (progress && opts.receive_progress === undefined) opts.receive_progress = true;
    if (opts.disclose_me === undefined && this.caller_disclose_me) opts.disclose_me = true;
    if (moreInput) opts.progress = true;
    const handle = this._connection._nextHandle();
    const text = this._enc(pushPayload([MSG.CALL, handle, opts, procedure], args, kwargs), 'call()');
    const d = this._defer();
    const p = promiseOf(d);
    const req = { kind: MSG.CALL, d, receiveProgress: !!opts.receive_progress, progress, cleanup: null, stream: null };
    if (signal && signal.aborted) {
      d.reject(abortError(signal));
      return { promise: this._decorateCall(p, handle, req), handle };
    }
    this._pending.set(handle, req);
    this._send(text);
    this._armCall(handle, req, signal, opts.timeout);
    return { promise: this._decorateCall(p, handle, req), handle };
  }

  // Local enforcement of options.timeout and options.signal for a pending call.
  _armCall(handle, req, signal, timeout) {
    let timer = null;
    let onAbort = null;
    if (timeout > 0) {
      timer = setTimeout(() => {
        this._cancel(handle, { mode: 'killnowait' }, new AutobahnError('wamp.error.timeout', [`no result within ${timeout} ms`]));
      }, timeout);
      // The connection keeps the process alive while the call is pending; the timer need not.
      timer.unref();
    }
    if (signal) {
      onAbort = () => this._cancel(handle, { mode: 'killnowait' }, abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    }
    if (timer || onAbort) {
      req.cleanup = () => {
        if (timer) clearTimeout(timer);
        if (onAbort) signal.removeEventListener('abort', onAbort);
      };
    }
  }

  _decorateCall(p, handle, req) {
    const session = this;
    p.cancel = function cancel(cancelOptions) {
      return session._cancel(handle, cancelOptions);
    };
    if (req.receiveProgress) {
      // `for await (const update of session.call(...))` yields the progress updates and ends
      // with the final result, which the promise itself resolves to.
      req.stream = new ProgressStream();
      p[Symbol.asyncIterator] = () => {
        p.then(undefined, () => {}); // the iterator reports the failure
        return req.stream.iterator();
      };
    }
    return p;
  }

  _cancel(handle, options, reason) {
    const req = this._pending.get(handle);
    if (!req || !this.isOpen) return false;
    if (options !== undefined && options !== null && !isPlainObject(options)) {
      throw new TypeError(`cancel(): options must be a plain object, got ${describe(options)}`);
    }
    const opts = Object.assign({}, options);
    if (opts.mode !== undefined && !['skip', 'kill', 'killnowait'].includes(opts.mode)) {
      throw new TypeError(`cancel(): mode must be 'skip', 'kill' or 'killnowait', got ${describe(opts.mode)}`);
    }
    this._send(this._enc([MSG.CANCEL, handle, opts], 'cancel()'));
    const error = reason || new AutobahnError('wamp.error.canceled', ['the call was canceled by the caller']);
    if (opts.mode !== 'kill') {
      this._pending.delete(handle);
      settle(req, false, error);
    } else if (!req.killGrace) {
      // `kill` waits for the callee's answer, but a router may never send one.
      req.killGrace = setTimeout(() => {
        if (this._pending.get(handle) !== req) return;
        this._send(this._enc([MSG.CANCEL, handle, { mode: 'killnowait' }], 'cancel()'));
        this._pending.delete(handle);
        settle(req, false, error);
      }, KILL_CANCEL_GRACE_MS);
      req.killGrace.unref();
      const previous = req.cleanup;
      req.cleanup = () => {
        clearTimeout(req.killGrace);
        if (previous) previous();
      };
    }
    return true;
  }

  /**
   * Progressive call invocations: the caller streams its input. `send(args, kwargs)` sends one
   * input, `end(args, kwargs)` the last one and returns the call's promise (also `result`).
   */
  call_progressive(procedure, options) {
    if (!this.isOpen) throw 'session not open';
    procedure = this.resolve(procedure);
    checkUri(procedure, 'procedure');
    checkArgs(undefined, undefined, options, 'call_progressive()');
    if (!(this._features && this._features.caller.progressive_call_invocations)) {
      throw new AutobahnError('wamp.error.feature_not_supported', [
        "the router does not announce the dealer feature 'progressive_call_invocations'",
      ]);
    }
    const session = this;
    const first = Object.assign({}, options);
    let started = null;
    let ended = false;
    const push = (args, kwargs, more) => {
      if (ended) throw new Error('call_progressive(): the input has already ended');
      if (!started) {
        started = session._call(procedure, args, kwargs, first, more);
        return;
      }
      if (!session.isOpen) throw 'session not open';
      checkArgs(args, kwargs, undefined, 'call_progressive()');
      const opts = more ? { progress: true } : {};
      session._send(this._enc(pushPayload([MSG.CALL, started.handle, opts, procedure], args, kwargs), 'call_progressive()'));
    };
    return {
      send(args, kwargs) {
        push(args, kwargs, true);
      },
      end(args, kwargs) {
        push(args, kwargs, false);
        ended = true;
        return started.promise;
      },
      get result() {
        return started ? started.promise : null;
      },
    };
  }

  publish(topic, args, kwargs, options) {
    if (!this.isOpen) throw 'session not open';
    topic = this.resolve(topic);
    checkUri(topic, 'topic');
    checkArgs(args, kwargs, options, 'publish()');
    const opts = Object.assign({}, options);
    if (opts.disclose_me === undefined && this.publisher_disclose_me) opts.disclose_me = true;
    const ack = !!opts.acknowledge;
    const handle = ack ? this._connection._nextHandle() : 0;
    const text = this._enc(pushPayload([MSG.PUBLISH, handle, opts, topic], args, kwargs), 'publish()');
    let result;
    if (ack) {
      const d = this._defer();
      this._pending.set(handle, { kind: MSG.PUBLISH, d });
      result = promiseOf(d);
    }
    this._send(text);
    return result;
  }

  subscribe(topic, handler, options) {
    if (!this.isOpen) throw 'session not open';
    topic = this.resolve(topic);
    if (typeof handler !== 'function') {
      throw new TypeError(`subscribe(): handler must be a function, got ${describe(handler)}`);
    }
    checkArgs(undefined, undefined, options, 'subscribe()');
    const opts = Object.assign({}, options);
    checkUri(topic, 'topic', opts.match === 'wildcard' || opts.match === 'prefix');
    const handle = this._connection._nextHandle();
    const text = this._enc([MSG.SUBSCRIBE, handle, opts, topic], 'subscribe()');
    const d = this._defer();
    this._pending.set(handle, { kind: MSG.SUBSCRIBE, d, topic, handler, options: opts });
    this._send(text);
    return promiseOf(d);
  }

  register(procedure, endpoint, options) {
    if (!this.isOpen) throw 'session not open';
    procedure = this.resolve(procedure);
    if (typeof endpoint !== 'function') {
      throw new TypeError(`register(): endpoint must be a function, got ${describe(endpoint)}`);
    }
    checkArgs(undefined, undefined, options, 'register()');
    const opts = Object.assign({}, options);
    checkUri(procedure, 'procedure', opts.match === 'wildcard' || opts.match === 'prefix');
    const handle = this._connection._nextHandle();
    const text = this._enc([MSG.REGISTER, handle, opts, procedure], 'register()');
    const d = this._defer();
    this._pending.set(handle, { kind: MSG.REGISTER, d, procedure, endpoint, options: opts });
    this._send(text);
    return promiseOf(d);
  }

  unsubscribe(subscription) {
    if (!this.isOpen) throw 'session not open';
    if (!(subscription instanceof Subscription)) {
      throw new TypeError(`unsubscribe(): expected a Subscription, got ${describe(subscription)}`);
    }
    const subs = this._subscriptions.get(subscription.id);
    const i = subs ? subs.indexOf(subscription) : -1;
    if (!subscription.active || i === -1) throw 'subscription not active';
    subs.splice(i, 1);
    subscription.active = false;
    const d = this._defer();
    if (subs.length > 0) {
      // Other local handlers still use the WAMP subscription.
      subscription._on_unsubscribe.resolve();
      d.resolve(false);
    } else {
      const handle = this._connection._nextHandle();
      this._pending.set(handle, { kind: MSG.UNSUBSCRIBE, d, subscription });
      this._send(this._enc([MSG.UNSUBSCRIBE, handle, subscription.id], 'unsubscribe()'));
    }
    return promiseOf(d);
  }

  unregister(registration) {
    if (!this.isOpen) throw 'session not open';
    if (!(registration instanceof Registration)) {
      throw new TypeError(`unregister(): expected a Registration, got ${describe(registration)}`);
    }
    if (!registration.active || this._registrations.get(registration.id) !== registration) {
      throw 'registration not active';
    }
    const handle = this._connection._nextHandle();
    const d = this._defer();
    this._pending.set(handle, { kind: MSG.UNREGISTER, d, registration });
    this._send(this._enc([MSG.UNREGISTER, handle, registration.id], 'unregister()'));
    return promiseOf(d);
  }

  // --- wire ---

  _send(text) {
    this._outbox.push(text);
    if (!this._flushScheduled) {
      // Commands issued in one synchronous run (a loop of calls, say) cross to the engine once.
      this._flushScheduled = true;
      queueMicrotask(this._flush);
    }
  }

  _flushOutbox() {
    this._flushScheduled = false;
    if (this._outbox.length === 0) return;
    const text = this._outbox.length === 1 ? this._outbox[0] : this._outbox.join('\n');
    this._outbox = [];
    if (this._attachments.length === 0) {
      this._connection._native.send(this._serial, text);
    } else {
      const attachments = this._attachments;
      this._attachments = [];
      this._connection._native.send(this._serial, text, attachments);
    }
  }

  _userError(err, msg) {
    this._connection._onUserError(err, msg);
  }

  // --- events from the engine ---

  _onWelcome(id, details) {
    this._id = id;
    this._details = details;
    this._created = performance.now();
    const routerRoles = (details && details.roles) || {};
    const features = {};
    for (const role of Object.keys(WAMP_FEATURES)) {
      features[role] = {};
      const peer = routerRoles[PEER_ROLE[role]];
      const peerFeatures = (peer && peer.features) || {};
      for (const f of Object.keys(WAMP_FEATURES[role].features)) {
        features[role][f] = WAMP_FEATURES[role].features[f] && peerFeatures[f];
      }
    }
    this._features = features;
  }

  _takePending(handle) {
    const req = this._pending.get(handle);
    if (req) this._pending.delete(handle);
    return req;
  }

  _onResult(ev) {
    const handle = ev[1];
    const details = ev[2];
    if (details.progress) {
      const req = this._pending.get(handle);
      if (!req || !req.receiveProgress) return;
      const value = callResultValue(ev[3], ev[4]);
      if (req.progress) invokeUser(this._connection, 'options.progress callback of call()', req.progress, undefined, value);
      if (req.stream) req.stream.push(value);
      if (typeof req.d.notify === 'function') req.d.notify(value);
      return;
    }
    const req = this._takePending(handle);
    if (req) settle(req, true, callResultValue(ev[3], ev[4]));
  }

  _onError(ev) {
    const req = this._takePending(ev[1]);
    if (req) settle(req, false, new AutobahnError(ev[2], ev[4], ev[5]));
  }

  _onPublished(ev) {
    const req = this._takePending(ev[1]);
    if (req) settle(req, true, new Publication(ev[2]));
  }

  _onSubscribed(ev) {
    const req = this._takePending(ev[1]);
    if (!req) return;
    const id = ev[2];
    const sub = new Subscription(req.topic, req.handler, req.options, this, id);
    const list = this._subscriptions.get(id);
    if (list) list.push(sub);
    else this._subscriptions.set(id, [sub]);
    req.d.resolve(sub);
  }

  _onUnsubscribed(ev) {
    if (ev[1] === 0) {
      // Revoked by the router.
      const subs = this._subscriptions.get(ev[2]);
      if (!subs) return;
      this._subscriptions.delete(ev[2]);
      for (const sub of subs) {
        sub.active = false;
        sub._on_unsubscribe.resolve(ev[3]);
      }
      return;
    }
    const req = this._takePending(ev[1]);
    if (!req) return;
    const id = req.subscription.id;
    const remaining = this._subscriptions.get(id);
    // A subscribe that raced this unsubscribe may have added handlers under the same id; the
    // router no longer delivers to them, so they end too.
    this._subscriptions.delete(id);
    req.subscription._on_unsubscribe.resolve();
    if (remaining) {
      for (const sub of remaining) {
        sub.active = false;
        sub._on_unsubscribe.resolve();
      }
    }
    req.d.resolve(true);
  }

  _onRegistered(ev) {
    const req = this._takePending(ev[1]);
    if (!req) return;
    const reg = new Registration(req.procedure, req.endpoint, req.options, this, ev[2]);
    this._registrations.set(ev[2], reg);
    req.d.resolve(reg);
  }

  _onUnregistered(ev) {
    if (ev[1] === 0) {
      const reg = this._registrations.get(ev[2]);
      if (!reg) return;
      this._registrations.delete(ev[2]);
      reg.active = false;
      reg._on_unregister.resolve(ev[3]);
      return;
    }
    const req = this._takePending(ev[1]);
    if (!req) return;
    const reg = req.registration;
    if (this._registrations.get(reg.id) === reg) this._registrations.delete(reg.id);
    reg.active = false;
    reg._on_unregister.resolve();
    req.d.resolve();
  }

  _onEvent(ev) {
    const subs = this._subscriptions.get(ev[1]);
    // None left: the last handler was removed and UNSUBSCRIBE is on its way.
    if (!subs || subs.length === 0) return;
    const d = ev[3];
    const details = new Event(
      ev[2],
      d.topic || subs[0].topic,
      d.publisher,
      d.publisher_authid,
      d.publisher_authrole,
      d.retained || false,
      d.forward_for
    );
    const args = ev[4] || [];
    const kwargs = ev[5] || {};
    for (const sub of subs.length === 1 ? subs : subs.slice()) {
      let ret;
      try {
        ret = sub.handler(args, kwargs, details, sub);
      } catch (e) {
        this._userError(e, `event handler for topic '${sub.topic}' threw`);
        continue;
      }
      if (ret !== undefined && isThenable(ret)) {
        ret.then(undefined, (e) => this._userError(e, `event handler for topic '${sub.topic}' rejected`));
      }
    }
  }

  _onInvocation(ev) {
    const invocationId = ev[1];
    const d = ev[3];
    if (this._inputs.size > 0 && this._inputs.has(invocationId)) {
      // A further input of a progressive call invocation: it goes to the running endpoint.
      const input = this._inputs.get(invocationId);
      input.push({ args: ev[4] || [], kwargs: ev[5] || {}, progress: !!d.progress });
      if (!d.progress) {
        input.end(null);
        this._inputs.delete(invocationId);
      }
      return;
    }
    const reg = this._registrations.get(ev[2]);
    if (!reg) {
      // Unregistered locally while the invocation was on its way.
      this._send(this._enc([MSG.ERROR, MSG.INVOCATION, invocationId, {}, 'wamp.error.no_such_registration'], 'invocation'));
      return;
    }
    let progress = null;
    if (d.receive_progress) {
      // Accepts what a result may be: an args array (Autobahn|JS), a Result, or any single value
      // (Autobahn|JS silently drops non-arrays). Throws on values that cannot be sent.
      progress = (args, kwargs) => {
        if (!this.isOpen) return;
        const msg = [MSG.YIELD, invocationId, { progress: true }];
        if (args instanceof Result) pushResultPayload(msg, args.args, args.kwargs, 'details.progress()');
        else if (args === undefined || Array.isArray(args)) {
          checkArgs(args, kwargs, undefined, 'details.progress()');
          pushPayload(msg, args, kwargs);
        } else {
          checkArgs(undefined, kwargs, undefined, 'details.progress()');
          pushPayload(msg, [args], kwargs);
        }
        this._send(this._enc(msg, 'details.progress()'));
      };
    }
    const details = new Invocation(
      d.procedure || reg.procedure,
      progress,
      d.caller,
      d.caller_authid,
      d.caller_authrole,
      d.forward_for
    );
    details._watch((inv) => this._interruptible.set(invocationId, inv));
    if (d.progress) {
      // The first input of a progressive call invocation; the rest arrive on details.input.
      const input = new ProgressStream();
      this._inputs.set(invocationId, input);
      details.input = { [Symbol.asyncIterator]: () => input.iterator() };
    }
    let res;
    try {
      res = reg.endpoint(ev[4] || [], ev[5] || {}, details);
    } catch (e) {
      this._yieldError(invocationId, reg, e);
      return;
    }
    if (isThenable(res)) {
      res.then(
        (value) => this._yieldResult(invocationId, reg, value),
        (err) => this._yieldError(invocationId, reg, err)
      );
    } else {
      this._yieldResult(invocationId, reg, res);
    }
  }

  // The endpoint is done with this invocation.
  _release(invocationId) {
    if (this._interruptible.size > 0) this._interruptible.delete(invocationId);
    if (this._inputs.size > 0) this._inputs.delete(invocationId);
  }

  _onInterrupt(ev) {
    const invocationId = ev[1];
    const mode = ev[2].mode;
    const reason = new AutobahnError('wamp.error.canceled', [
      `the caller canceled the call${mode ? ` (mode '${mode}')` : ''}`,
    ]);
    const inv = this._interruptible.get(invocationId);
    if (inv) inv._abort(reason);
    const input = this._inputs.get(invocationId);
    if (input) input.end(reason);
    this._release(invocationId);
  }

  _yieldResult(invocationId, reg, value) {
    this._release(invocationId);
    if (!this.isOpen) return;
    let text;
    try {
      const msg = [MSG.YIELD, invocationId, {}];
      if (value instanceof Result) pushResultPayload(msg, value.args, value.kwargs, 'the Result returned');
      else msg.push([value === undefined ? null : value]);
      text = this._enc(msg, `result of '${reg.procedure}'`);
    } catch (e) {
      this._userError(e, `endpoint for '${reg.procedure}' returned a value that cannot be sent`);
      this._sendRuntimeError(invocationId, e);
      return;
    }
    this._send(text);
  }

  _yieldError(invocationId, reg, err) {
    this._release(invocationId);
    if (!this.isOpen) return;
    if (!(err instanceof AutobahnError)) {
      this._userError(err, `endpoint for '${reg.procedure}' failed`);
      let args;
      if (Array.isArray(err)) args = err;
      else if (err instanceof Error) args = [err.message];
      else args = [err === undefined ? null : err];
      this._sendRuntimeError(invocationId, null, args);
      return;
    }
    let text;
    try {
      checkUri(err.error, 'error URI of the autobahn.Error thrown');
      const msg = pushResultPayload(
        [MSG.ERROR, MSG.INVOCATION, invocationId, {}, err.error],
        err.args,
        err.kwargs,
        'the autobahn.Error thrown'
      );
      text = this._enc(msg, `error of '${reg.procedure}'`);
    } catch (e) {
      this._userError(e, `endpoint for '${reg.procedure}' threw an autobahn.Error that cannot be sent`);
      this._sendRuntimeError(invocationId, e);
      return;
    }
    this._send(text);
  }

  // Answers an invocation with wamp.error.runtime_error; `args` default to [e.message].
  _sendRuntimeError(invocationId, e, args) {
    const msg = [MSG.ERROR, MSG.INVOCATION, invocationId, {}, 'wamp.error.runtime_error', args || [e.message]];
    let text;
    try {
      text = this._enc(msg, 'invocation error');
    } catch (inner) {
      text = this._enc(
        [MSG.ERROR, MSG.INVOCATION, invocationId, {}, 'wamp.error.runtime_error', [`error value cannot be serialized: ${inner.message}`]],
        'invocation error'
      );
    }
    this._send(text);
  }

  _onChallenge(ev) {
    const method = ev[1];
    const extra = ev[2];
    const conn = this._connection;
    const abort = (message) => {
      this._connection._native.send(
        this._serial,
        encode([MSG.ABORT, { message }, 'wamp.error.cannot_authenticate'], 'abort', this._binary)
      );
    };
    const onchallenge = conn._options.onchallenge;
    if (typeof onchallenge !== 'function') {
      const message = `the router sent a '${method}' challenge but no onchallenge handler is configured`;
      conn._onInternalError(new Error(message), message);
      abort(`sorry, I cannot authenticate (${message})`);
      return;
    }
    const answer = (res) => {
      let signature = res;
      let authExtra = {};
      if (Array.isArray(res)) {
        signature = res[0];
        authExtra = res[1] || {};
      }
      if (typeof signature !== 'string' || !isPlainObject(authExtra)) {
        const e = new TypeError(
          `onchallenge must return a string or [string, object], got ${describe(res)}`
        );
        fail(e);
        return;
      }
      this._connection._native.send(
        this._serial,
        encode([MSG.AUTHENTICATE, signature, authExtra], 'authenticate', this._binary)
      );
    };
    const fail = (e) => {
      conn._onUserError(e, 'onchallenge failed');
      abort(`sorry, I cannot authenticate (onchallenge handler raised an exception: ${e && e.message ? e.message : e})`);
    };
    let res;
    try {
      res = onchallenge(this, method, extra);
    } catch (e) {
      fail(e);
      return;
    }
    if (isThenable(res)) res.then(answer, fail);
    else answer(res);
  }

  // The session is over: settle everything that still waits on it.
  _onClosed(reason, details) {
    const wasOpen = this.isOpen;
    this._id = null;
    this._features = null;
    this._outbox = [];
    this._attachments = [];
    const uri = details.reason || 'wamp.close.transport_lost';
    const why = details.reason
      ? `the session was closed (${details.reason}${details.message ? `: ${details.message}` : ''})`
      : 'the connection to the router was lost';
    const pending = this._pending;
    this._pending = new Map();
    for (const req of pending.values()) {
      settle(
        req,
        false,
        new AutobahnError(uri, [`${why} before the router answered; the request may or may not have been carried out`], {
          reason,
          message: details.message,
        })
      );
    }
    // Endpoints still running cannot answer any more.
    if (this._interruptible.size > 0) {
      const abort = new AutobahnError(uri, [`${why}; the caller cannot receive a result`]);
      for (const inv of this._interruptible.values()) inv._abort(abort);
      this._interruptible.clear();
    }
    this._inputs.clear();
    for (const subs of this._subscriptions.values()) {
      for (const sub of subs) {
        sub.active = false;
        sub._on_unsubscribe.resolve(uri);
      }
    }
    this._subscriptions.clear();
    for (const reg of this._registrations.values()) {
      reg.active = false;
      reg._on_unregister.resolve(uri);
    }
    this._registrations.clear();
    if (wasOpen && typeof this.onleave === 'function') {
      invokeUser(this._connection, 'session.onleave', this.onleave, this, uri, details);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Connection

const SUPPORTED_SERIALIZER_PROTOCOLS = ['wamp.2.json', 'wamp.2.msgpack', 'wamp.2.cbor'];
// What Autobahn|JS offers when no serializers are given. RawSocket asks for one serializer per
// handshake: the first, then the next if the router refuses it.
const DEFAULT_PROTOCOLS = ['wamp.2.json', 'wamp.2.msgpack'];
const SUPPORTED_TRANSPORT_TYPES = ['websocket', 'rawsocket'];
const DEFAULT_CONNECT_TIMEOUT = 10; // seconds, per transport entry
const DEFAULT_RAWSOCKET_MAX_LEN_EXP = 24; // we accept RawSocket messages up to 2^24 bytes

function isBytes(v) {
  return Buffer.isBuffer(v) || v instanceof Uint8Array;
}

// Synchronous checks of the transport options of the top level or of one `transports` entry
// (`where` names it in the error). Throws TypeError.
function checkTransportOptions(o, where) {
  const fail = (k, what) => {
    throw new TypeError(`Connection: ${where}${k} must be ${what}, got ${describe(o[k])}${typeof o[k] === 'number' ? ` (${o[k]})` : ''}`);
  };
  const has = (k) => o[k] !== undefined && o[k] !== null;
  if (has('type') && typeof o.type !== 'string') fail('type', 'a string');
  if (has('url') && typeof o.url !== 'string') fail('url', 'a string');
  if (has('host') && (typeof o.host !== 'string' || o.host === '')) fail('host', 'a non-empty string');
  if (has('port') && !(Number.isInteger(o.port) && o.port > 0 && o.port < 65536)) fail('port', 'an integer 1-65535');
  if (has('path') && (typeof o.path !== 'string' || o.path === '')) fail('path', 'a non-empty string (a Unix socket path)');
  if (has('tls') && typeof o.tls !== 'boolean') fail('tls', 'a boolean');
  if (has('tls_insecure_skip_verify') && typeof o.tls_insecure_skip_verify !== 'boolean') {
    fail('tls_insecure_skip_verify', 'a boolean');
  }
  if (has('rawsocket_max_len_exp')) {
    const v = o.rawsocket_max_len_exp;
    if (!(Number.isInteger(v) && v >= 9 && v <= 24)) fail('rawsocket_max_len_exp', 'an integer 9-24 (messages up to 2^n bytes)');
  }
  if (has('max_message_size') && !(Number.isInteger(o.max_message_size) && o.max_message_size > 0)) {
    fail('max_message_size', 'a positive integer (bytes)');
  }
  for (const k of ['autoping_interval', 'autoping_timeout']) {
    if (has(k) && !(typeof o[k] === 'number' && Number.isFinite(o[k]) && o[k] >= 0)) fail(k, 'a non-negative number of seconds');
  }
  if (has('autoping_size') && !(Number.isInteger(o.autoping_size) && o.autoping_size >= 0 && o.autoping_size <= 125)) {
    fail('autoping_size', 'an integer 0-125 (bytes)');
  }
  if (has('headers')) {
    if (!isObject(o.headers)) fail('headers', 'an object of header names to string values');
    for (const [k, v] of Object.entries(o.headers)) {
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new TypeError(`Connection: ${where}headers[${JSON.stringify(k)}] must be a string, got ${describe(v)}`);
      }
    }
  }
  if (has('tlsConfiguration')) {
    const tc = o.tlsConfiguration;
    if (!isObject(tc)) fail('tlsConfiguration', 'an object {ca, cert, key}');
    for (const k of ['ca', 'cert', 'key']) {
      const v = tc[k];
      if (v === undefined || v === null) continue;
      const ok = (x) => typeof x === 'string' || isBytes(x);
      if (!(ok(v) || (k !== 'key' && Array.isArray(v) && v.every(ok)))) {
        throw new TypeError(`Connection: ${where}tlsConfiguration.${k} must be PEM text (a string or Buffer${k !== 'key' ? ', or an array of them' : ''}), got ${describe(v)}`);
      }
    }
    if ((tc.cert == null) !== (tc.key == null)) {
      throw new TypeError(`Connection: ${where}tlsConfiguration.cert and .key must be given together (client certificate)`);
    }
  }
}

function pemText(v) {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === 'string' ? x : Buffer.from(x).toString('utf8'))).join('\n');
}

// RawSocket URLs: rs://host:port, rss://host:port (TLS), rs+unix://<path>.
function parseRawSocketUrl(url) {
  let m = /^rs\+unix:\/\/(.+)$/.exec(url);
  if (m) return { path: m[1] };
  m = /^(rss?):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(url);
  if (m) return { host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]), tls: m[1] === 'rss' };
  return null;
}

// Turns Autobahn|JS transport options into the engine's list, in order (the engine tries them
// in turn: failover). Entries that cannot work are skipped with a note in `problems`.
function normalizeTransports(options) {
  const entries = Array.isArray(options.transports) ? options.transports : [{ type: 'websocket' }];
  const usable = [];
  const problems = [];
  const pick = (t, k) => (t[k] !== undefined && t[k] !== null ? t[k] : options[k]);
  for (const t of entries) {
    if (!isObject(t)) {
      problems.push(`transport entry must be an object, got ${describe(t)}`);
      continue;
    }
    // Missing fields inherit the top-level options, as in Autobahn|JS.
    const type = t.type || 'websocket';
    const serializers = t.serializers || options.serializers;
    const requested = t.protocols || options.protocols;
    if (type === 'longpoll') {
      problems.push("transport type 'longpoll' (HTTP long-poll) is not supported: use 'websocket' or 'rawsocket'");
      continue;
    }
    if (!SUPPORTED_TRANSPORT_TYPES.includes(type)) {
      problems.push(`transport type '${type}' is not supported (only 'websocket' and 'rawsocket')`);
      continue;
    }
    const entry = { type };
    let label;
    if (type === 'websocket') {
      const url = t.url || options.url;
      if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) {
        problems.push(`websocket URL ${JSON.stringify(url)} must start with ws:// or wss://`);
        continue;
      }
      entry.url = url;
      label = url;
      const headers = pick(t, 'headers');
      if (headers) entry.headers = Object.entries(headers).map(([k, v]) => [k, String(v)]);
      // Heartbeat (seconds, as in Autobahn|JS): ping after this much silence, give up after the timeout.
      for (const k of ['autoping_interval', 'autoping_timeout', 'autoping_size']) {
        const v = pick(t, k);
        if (v != null) entry[k] = v;
      }
    } else {
      // rawsocket: {path} (Unix socket) or {host, port} as in Autobahn|JS, or a rs:// url.
      let where = { path: t.path, host: t.host, port: t.port, tls: t.tls };
      if (where.path == null && where.port == null && typeof t.url === 'string') {
        const parsed = parseRawSocketUrl(t.url);
        if (!parsed) {
          problems.push(`rawsocket URL ${JSON.stringify(t.url)} must look like rs://host:port, rss://host:port or rs+unix://<path>`);
          continue;
        }
        where = Object.assign(parsed, t.tls != null ? { tls: t.tls } : {});
      }
      if (where.path != null) {
        entry.path = where.path;
        entry.url = `rs+unix://${where.path}`;
      } else if (where.port != null) {
        entry.host = where.host || 'localhost';
        entry.port = where.port;
        entry.tls = !!where.tls;
        const host = entry.host.includes(':') ? `[${entry.host}]` : entry.host;
        entry.url = `${entry.tls ? 'rss' : 'rs'}://${host}:${entry.port}`;
      } else {
        problems.push('a rawsocket transport needs `path` (Unix socket) or `port` (and `host`, default localhost)');
        continue;
      }
      label = entry.url;
      const exp = pick(t, 'rawsocket_max_len_exp');
      entry.max_len_exp = exp != null ? exp : DEFAULT_RAWSOCKET_MAX_LEN_EXP;
    }
    let protocols;
    if (requested !== undefined) {
      if (!Array.isArray(requested) || !requested.every((p) => typeof p === 'string')) {
        problems.push(`${label}: protocols must be an array of strings, got ${describe(requested)}`);
        continue;
      }
      protocols = requested;
    } else if (serializers !== undefined) {
      if (!Array.isArray(serializers)) {
        problems.push(`${label}: serializers must be an array, got ${describe(serializers)}`);
        continue;
      }
      protocols = serializers.map((s) => {
        const id = typeof s === 'string' ? s : s && s.SERIALIZER_ID;
        return String(id).startsWith('wamp.2.') ? String(id) : `wamp.2.${id}`;
      });
    } else {
      protocols = DEFAULT_PROTOCOLS;
    }
    const offered = protocols.filter((p) => SUPPORTED_SERIALIZER_PROTOCOLS.includes(p));
    if (offered.length === 0) {
      problems.push(`${label}: none of the requested serializers (${protocols.join(', ')}) is supported (json, msgpack, cbor)`);
      continue;
    }
    entry.protocols = offered;
    const tc = pick(t, 'tlsConfiguration') || {};
    const insecure = pick(t, 'tls_insecure_skip_verify');
    entry.tls_options = {
      ca: pemText(tc.ca),
      cert: pemText(tc.cert),
      key: pemText(tc.key),
      // Node's (and so Autobahn|JS's) `rejectUnauthorized: false` means the same.
      insecure_skip_verify: insecure === true || tc.rejectUnauthorized === false,
    };
    const maxSize = pick(t, 'max_message_size');
    if (maxSize != null) entry.max_message_size = maxSize;
    usable.push(entry);
  }
  return { usable, problems };
}

function orDefault(value, dflt) {
  // Autobahn|JS reads these as `value || default`.
  return value ? value : dflt;
}

class Connection {
  constructor(options) {
    if (!isPlainObject(options)) {
      throw new TypeError(`Connection: options must be an object, got ${describe(options)}`);
    }
    if (options.url === undefined && options.transports === undefined) {
      throw new TypeError('Connection: options.url or options.transports is required');
    }
    if (typeof options.realm !== 'string' || options.realm.length === 0) {
      throw new TypeError(`Connection: options.realm must be a non-empty string, got ${describe(options.realm)}`);
    }
    if (options.transports !== undefined && !Array.isArray(options.transports)) {
      throw new TypeError('Connection: options.transports must be an array');
    }
    checkTransportOptions(options, 'options.');
    if (Array.isArray(options.transports)) {
      options.transports.forEach((t, i) => {
        if (isObject(t)) checkTransportOptions(t, `options.transports[${i}].`);
      });
    }
    if (options.connect_timeout !== undefined && options.connect_timeout !== null) {
      const v = options.connect_timeout;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw new TypeError(`Connection: options.connect_timeout must be a positive number of seconds, got ${describe(v)}${typeof v === 'number' ? ` (${v})` : ''}`);
      }
    }
    for (const k of ['onchallenge', 'on_user_error', 'on_internal_error', 'use_deferred']) {
      if (options[k] !== undefined && options[k] !== null && typeof options[k] !== 'function') {
        throw new TypeError(`Connection: options.${k} must be a function, got ${describe(options[k])}`);
      }
    }
    this._options = options;
    if (options.use_es6_promises) this._defer = es6Defer;
    else if (options.use_deferred) this._defer = options.use_deferred;
    else this._defer = when.defer;

    this._retry = {
      max_retries: options.max_retries !== undefined ? options.max_retries : 15,
      initial_retry_delay: options.initial_retry_delay !== undefined ? options.initial_retry_delay : 1.5,
      max_retry_delay: orDefault(options.max_retry_delay, 300),
      retry_delay_growth: orDefault(options.retry_delay_growth, 1.5),
      // Autobahn|JS turns 0 into the default 0.1; here 0 means no jitter.
      retry_delay_jitter: options.retry_delay_jitter !== undefined ? options.retry_delay_jitter : 0.1,
      retry_if_unreachable: options.retry_if_unreachable !== undefined ? !!options.retry_if_unreachable : true,
    };
    for (const k of ['max_retries', 'initial_retry_delay', 'max_retry_delay', 'retry_delay_growth', 'retry_delay_jitter']) {
      const v = this._retry[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || (v < 0 && !(k === 'max_retries' && v === -1))) {
        throw new TypeError(`Connection: options.${k} must be a non-negative number${k === 'max_retries' ? ' or -1' : ''}, got ${v}`);
      }
    }
    this._retry.max_retries = Math.floor(this._retry.max_retries);

    this._onUserErrorHandler = options.on_user_error || defaultErrorHandler('user error');
    this._onInternalErrorHandler = options.on_internal_error || defaultErrorHandler('internal error');
    this._native = new NativeConnection((batch, attachments) => this._onBatch(batch, attachments));
    this._handleCounter = 0;
    this._active = false;
    this._connected = false;
    this._retrying = false;
    this._session = null;
    this._transportInfo = null;
    this._binary = false;
    this._keepAlive = null;
    this.onopen = null;
    this.onclose = null;
  }

  get isOpen() {
    return !!(this._session && this._session.isOpen);
  }
  get isConnected() {
    return this._connected;
  }
  get isRetrying() {
    return this._retrying;
  }
  get session() {
    return this._session;
  }
  get defer() {
    return this._defer;
  }
  get transport() {
    const info = this._transportInfo || { type: 'none', url: null, protocol: null };
    const self = this;
    return {
      info,
      // Drops the transport without leaving the session: the connection reconnects as after a
      // clean close (Autobahn|JS's way to force a reconnect).
      close() {
        if (self._active) self._native.dropTransport();
      },
    };
  }

  open() {
    if (this._active) throw 'connection already open (or opening)';
    const { usable, problems } = normalizeTransports(this._options);
    if (usable.length === 0) {
      const message = `no usable transport: ${problems.join('; ')}`;
      this._callOnClose('unsupported', {
        reason: null,
        message,
        retry_delay: null,
        retry_count: null,
        will_retry: false,
      });
      return;
    }
    const o = this._options;
    const hello = { roles: WAMP_FEATURES };
    if (o.authmethods !== undefined) hello.authmethods = o.authmethods;
    if (o.authid !== undefined) hello.authid = o.authid;
    if (o.authrole !== undefined) hello.authrole = o.authrole;
    if (o.authextra !== undefined) hello.authextra = o.authextra;
    const config = Object.assign(
      // AUTOBAHN_DEBUG (a global, as in Autobahn|JS) logs every WAMP message, secrets redacted.
      {
        realm: o.realm,
        hello_details: hello,
        // All usable entries: each connection attempt tries them in order (failover).
        transports: usable,
        connect_timeout: o.connect_timeout != null ? o.connect_timeout : DEFAULT_CONNECT_TIMEOUT,
        debug: !!globalThis.AUTOBAHN_DEBUG,
      },
      this._retry
    );
    this._native.open(encode(config, 'Connection options'));
    this._active = true;
    this._retrying = false;
    // The engine's callback does not hold the event loop; this timer does, for exactly as long
    // as the connection is open or retrying.
    this._keepAlive = setInterval(() => {}, 1 << 30);
  }

  close(reason, message) {
    if (!this._active) throw 'connection already closed';
    if (reason !== undefined && reason !== null) checkUri(reason, 'close reason');
    // What was called or published before close() goes out before the GOODBYE.
    if (this._session) this._session._flushOutbox();
    this._native.close(reason || undefined, message === undefined || message === null ? undefined : String(message));
  }

  _nextHandle() {
    this._handleCounter = this._handleCounter >= Number.MAX_SAFE_INTEGER ? 1 : this._handleCounter + 1;
    return this._handleCounter;
  }

  _onUserError(err, msg) {
    try {
      this._onUserErrorHandler(err, msg);
    } catch (e) {
      defaultErrorHandler('on_user_error threw')(e);
    }
  }

  _onInternalError(err, msg) {
    try {
      this._onInternalErrorHandler(err, msg);
    } catch (e) {
      defaultErrorHandler('on_internal_error threw')(e);
    }
  }

  _finish() {
    this._active = false;
    this._retrying = false;
    if (this._keepAlive) {
      clearInterval(this._keepAlive);
      this._keepAlive = null;
    }
  }

  _onBatch(batch, attachments) {
    let events;
    try {
      batchAttachments = attachments || null;
      if (this._binary) {
        events = batch.includes('\\u000') ? JSON.parse(batch, binaryReviver) : JSON.parse(batch);
      } else {
        events = batch.includes('\\u0000') ? JSON.parse(batch, jsonReviver) : JSON.parse(batch);
      }
    } catch (e) {
      this._onInternalError(e, 'could not decode events from the engine');
      return;
    } finally {
      batchAttachments = null;
    }
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const s = this._session;
      switch (ev[0]) {
        case MSG.EVENT:
          if (s) s._onEvent(ev);
          break;
        case MSG.RESULT:
          if (s) s._onResult(ev);
          break;
        case MSG.INVOCATION:
          if (s) s._onInvocation(ev);
          break;
        case MSG.ERROR:
          if (s) s._onError(ev);
          break;
        case MSG.PUBLISHED:
          if (s) s._onPublished(ev);
          break;
        case MSG.SUBSCRIBED:
          if (s) s._onSubscribed(ev);
          break;
        case MSG.UNSUBSCRIBED:
          if (s) s._onUnsubscribed(ev);
          break;
        case MSG.REGISTERED:
          if (s) s._onRegistered(ev);
          break;
        case MSG.UNREGISTERED:
          if (s) s._onUnregistered(ev);
          break;
        case MSG.INTERRUPT:
          if (s) s._onInterrupt(ev);
          break;
        case EV.DEBUG:
          // eslint-disable-next-line no-console
          console.log(`AUTOBAHN_DEBUG: WAMP ${ev[1] === 'tx' ? 'sent' : 'received'} ${ev[2]}`);
          break;
        case MSG.CHALLENGE:
          if (s) s._onChallenge(ev);
          break;
        case EV.CONNECTED:
          this._connected = true;
          this._retrying = false;
          this._transportInfo = ev[2];
          this._binary = ev[2].protocol !== 'wamp.2.json';
          this._session = new Session(this, ev[1]);
          break;
        case EV.OPEN:
          this._onOpen(ev);
          break;
        case EV.CLOSE:
          this._onClose(ev[1], ev[2]);
          break;
        case EV.CONNECTING:
          this._retrying = false;
          break;
        case EV.INTERNAL_ERROR:
          this._onInternalError(new Error(ev[1]), ev[1]);
          break;
        default:
          this._onInternalError(new Error(`unknown engine event ${ev[0]}`), 'unknown engine event');
      }
    }
  }

  _onOpen(ev) {
    const s = this._session;
    if (!s || s._serial !== ev[1]) return;
    const details = ev[3];
    s._onWelcome(ev[2], details);
    details.transport = this._transportInfo;
    if (typeof s.onjoin === 'function') invokeUser(this, 'session.onjoin', s.onjoin, s, details);
    if (typeof this.onopen === 'function') invokeUser(this, 'onopen', this.onopen, this, s, details);
  }

  _callOnClose(reason, details) {
    if (typeof this.onclose !== 'function') return undefined;
    try {
      return this.onclose(reason, details);
    } catch (e) {
      this._onUserError(e, 'onclose threw');
      return undefined;
    }
  }

  _onClose(reason, details) {
    this._connected = false;
    this._transportInfo = null;
    const s = this._session;
    this._session = null;
    if (s) s._onClosed(reason, details);
    this._retrying = details.will_retry;
    const stop = this._callOnClose(reason, details);
    if (!details.will_retry) {
      this._finish();
      if (isThenable(stop)) stop.then(undefined, (e) => this._onUserError(e, 'onclose rejected'));
      return;
    }
    const decide = (value) => {
      const stopRetrying = !!value;
      this._native.retryDecision(stopRetrying);
      if (stopRetrying) this._finish();
    };
    if (isThenable(stop)) {
      // An async onclose: its resolved value decides (Autobahn|JS treats the promise as truthy).
      stop.then(decide, (e) => {
        this._onUserError(e, 'onclose rejected');
        decide(false);
      });
    } else {
      decide(stop);
    }
  }
}

// Serializer choices, as in Autobahn|JS (`serializers: [new autobahn.serializer.MsgpackSerializer()]`).
// The engine does the (de)serializing; these objects only name the format.
class JSONSerializer {
  constructor() {
    this.SERIALIZER_ID = 'json';
    this.BINARY = false;
  }
}
class MsgpackSerializer {
  constructor() {
    this.SERIALIZER_ID = 'msgpack';
    this.BINARY = true;
  }
}
class CBORSerializer {
  constructor() {
    this.SERIALIZER_ID = 'cbor';
    this.BINARY = true;
  }
}
const serializer = { JSONSerializer, MsgpackSerializer, CBORSerializer };

function version() {
  return pkg.version;
}

module.exports = {
  ...require('./auth.js'),
  Connection,
  Session,
  Error: AutobahnError,
  Result,
  Publication,
  Event,
  Invocation,
  Subscription,
  Registration,
  when,
  version,
  serializer,
  Router: require('./lib/router.js').Router,
};
