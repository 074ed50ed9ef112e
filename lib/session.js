'use strict';

const { MSG, WAMP_FEATURES, PEER_ROLE, isBinaryProtocol } = require('./protocol.js');
const { AutobahnError, Result, Publication, Event, Invocation, Subscription, Registration } = require('./classes.js');
const { describe, isPlainObject, isThenable, promiseOf, invokeUser, USER_ERROR } = require('./util.js');
const { checkUri, checkArgs } = require('./validate.js');
const { encode, encodeCommand, pushResultPayload, pushPayload, callResultValue } = require('./payload.js');
const { ProgressStream } = require('./progress.js');
const { requestDeferred } = require('./deferred.js');
const { sendWamp, prepareTraced, passTraced, nextRequestId, socketOf } = require('./send-wamp.js');

const hasOwn = Object.prototype.hasOwnProperty;

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

class Session {
  constructor(connection, serial) {
    this._connection = connection;
    this._serial = serial;
    this._defer = connection._defer;
    this._id = null;
    this._realm = connection._options.realm;
    const info = connection._transportInfo;
    this._transportInfo = info;
    this._binary = !!info && isBinaryProtocol(info.protocol);
    this._requestId = 0; // the WAMP request id the engine gave the last request (see send-wamp.js)
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
    // A replaced _send_wamp sees the message as an array (see send-wamp.js); else straight to text.
    if (this._send_wamp !== sendWamp) return prepareTraced(this, msg, what);
    return encode(msg, what, this._binary, this._attachments);
  }

  // `[kind, id, opts(, uri)(, args(, kwargs))]`, as _enc(pushPayload([...], args, kwargs)) would
  // encode it, with the envelope written directly (see encodeCommand).
  _encCommand(kind, id, opts, uri, args, kwargs, what) {
    if (this._send_wamp !== sendWamp) {
      const head = uri === undefined ? [kind, id, opts] : [kind, id, opts, uri];
      return prepareTraced(this, pushPayload(head, args, kwargs), what);
    }
    return encodeCommand(kind, id, opts, uri, args, kwargs, what, this._binary, this._attachments);
  }

  /** Autobahn|JS's transport object: `info`, `serializer.SERIALIZER_ID`, `send()`, `close()`. */
  get _socket() {
    return socketOf(this);
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
    // On a session lost to a reconnect, lib/restore.js (when enabled) forwards, holds or rejects.
    if (!this.isOpen && this._connection._restore)
      return this._connection._restore.request(this, 'call', [procedure, args, kwargs, options]);
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
    // Refused over the outgoing high-water mark: nothing is encoded, the promise rejects.
    const full = this._connection._flow.refusal('call()');
    const text = full ? null : this._encCommand(MSG.CALL, handle, opts, procedure, args, kwargs, 'call()');
    const d = requestDeferred(this._defer);
    const p = promiseOf(d);
    const req = {
      kind: MSG.CALL,
      d,
      receiveProgress: !!opts.receive_progress,
      progress,
      cleanup: null,
      stream: null,
      requestId: 0,
    };
    if (signal && signal.aborted) {
      d.reject(abortError(signal));
      return { promise: this._decorateCall(p, handle, req), handle };
    }
    if (full) {
      d.reject(full);
      return { promise: this._decorateCall(p, handle, req), handle };
    }
    this._pending.set(handle, req);
    this._send(text, req);
    this._armCall(handle, req, signal, opts.timeout);
    return { promise: this._decorateCall(p, handle, req), handle };
  }

  // Local enforcement of options.timeout and options.signal for a pending call.
  _armCall(handle, req, signal, timeout) {
    let timer = null;
    let onAbort = null;
    if (timeout > 0) {
      timer = setTimeout(() => {
        this._cancel(
          handle,
          { mode: 'killnowait' },
          new AutobahnError('wamp.error.timeout', [`no result within ${timeout} ms`])
        );
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
      session._send(
        this._enc(pushPayload([MSG.CALL, started.handle, opts, procedure], args, kwargs), 'call_progressive()')
      );
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
    if (!this.isOpen && this._connection._restore)
      return this._connection._restore.request(this, 'publish', [topic, args, kwargs, options]);
    if (!this.isOpen) throw 'session not open';
    topic = this.resolve(topic);
    checkUri(topic, 'topic');
    checkArgs(args, kwargs, options, 'publish()');
    const opts = Object.assign({}, options);
    if (opts.disclose_me === undefined && this.publisher_disclose_me) opts.disclose_me = true;
    const ack = !!opts.acknowledge;
    const full = this._connection._flow.refusal('publish()');
    // Over the outgoing high-water mark: an acknowledged publish rejects; a plain one, which
    // returns nothing to reject, throws.
    if (full) {
      if (ack) return this._rejected(full);
      throw full;
    }
    const handle = ack ? this._connection._nextHandle() : 0;
    const text = this._encCommand(MSG.PUBLISH, handle, opts, topic, args, kwargs, 'publish()');
    let result;
    if (ack) {
      const d = requestDeferred(this._defer);
      this._pending.set(handle, { kind: MSG.PUBLISH, d });
      result = promiseOf(d);
    }
    this._send(text, true);
    return result;
  }

  subscribe(topic, handler, options) {
    if (!this.isOpen && this._connection._restore)
      return this._connection._restore.request(this, 'subscribe', [topic, handler, options]);
    if (!this.isOpen) throw 'session not open';
    topic = this.resolve(topic);
    if (typeof handler !== 'function') {
      throw new TypeError(`subscribe(): handler must be a function, got ${describe(handler)}`);
    }
    checkArgs(undefined, undefined, options, 'subscribe()');
    const opts = Object.assign({}, options);
    checkUri(topic, 'topic', opts.match === 'wildcard' || opts.match === 'prefix');
    const full = this._connection._flow.refusal('subscribe()');
    if (full) return this._rejected(full);
    const handle = this._connection._nextHandle();
    const text = this._enc([MSG.SUBSCRIBE, handle, opts, topic], 'subscribe()');
    const d = this._defer();
    this._pending.set(handle, { kind: MSG.SUBSCRIBE, d, topic, handler, options: opts });
    this._send(text, true);
    return promiseOf(d);
  }

  register(procedure, endpoint, options) {
    if (!this.isOpen && this._connection._restore)
      return this._connection._restore.request(this, 'register', [procedure, endpoint, options]);
    if (!this.isOpen) throw 'session not open';
    procedure = this.resolve(procedure);
    if (typeof endpoint !== 'function') {
      throw new TypeError(`register(): endpoint must be a function, got ${describe(endpoint)}`);
    }
    checkArgs(undefined, undefined, options, 'register()');
    const opts = Object.assign({}, options);
    checkUri(procedure, 'procedure', opts.match === 'wildcard' || opts.match === 'prefix');
    const full = this._connection._flow.refusal('register()');
    if (full) return this._rejected(full);
    const handle = this._connection._nextHandle();
    const text = this._enc([MSG.REGISTER, handle, opts, procedure], 'register()');
    const d = this._defer();
    this._pending.set(handle, { kind: MSG.REGISTER, d, procedure, endpoint, options: opts });
    this._send(text, true);
    return promiseOf(d);
  }

  unsubscribe(subscription) {
    if (!this.isOpen && this._connection._restore)
      return this._connection._restore.request(this, 'unsubscribe', [subscription]);
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
      this._send(this._enc([MSG.UNSUBSCRIBE, handle, subscription.id], 'unsubscribe()'), true);
    }
    return promiseOf(d);
  }

  unregister(registration) {
    if (!this.isOpen && this._connection._restore)
      return this._connection._restore.request(this, 'unregister', [registration]);
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
    this._send(this._enc([MSG.UNREGISTER, handle, registration.id], 'unregister()'), true);
    return promiseOf(d);
  }

  // --- wire ---

  // `request`: a new request (PUBLISH, SUBSCRIBE, ...), which the engine numbers; its pending
  // entry (or true) learns the id.
  _send(text, request) {
    if (typeof text !== 'string') {
      passTraced(this, text, request);
      return;
    }
    if (request) {
      this._requestId = nextRequestId(this._requestId);
      if (request !== true) request.requestId = this._requestId;
    }
    this._outbox.push(text);
    this._connection._flow.queued(text, this._attachments);
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
    const flow = this._connection._flow;
    if (this._attachments.length === 0) {
      flow.flushed(this._connection._native.send(this._serial, text));
    } else {
      const attachments = this._attachments;
      this._attachments = [];
      flow.flushed(this._connection._native.send(this._serial, text, attachments));
    }
  }

  /**
   * Flow control (README "Flow control"): resolves once the bytes waiting to be written to the
   * router are at or under the connection's outgoing_low_water_mark.
   */
  drained() {
    this._flushOutbox();
    return this._connection._flow.drained(this._defer);
  }

  // A rejected promise of this session's flavour.
  _rejected(error) {
    const d = this._defer();
    d.reject(error);
    return promiseOf(d);
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

  _onResult({ handle, details, args, kwargs }) {
    if (details.progress) {
      const req = this._pending.get(handle);
      if (!req || !req.receiveProgress) return;
      const value = callResultValue(args, kwargs);
      if (req.progress) invokeUser(this._connection, USER_ERROR.progress, req.progress, undefined, value);
      if (req.stream) req.stream.push(value);
      if (typeof req.d.notify === 'function') req.d.notify(value);
      return;
    }
    const req = this._takePending(handle);
    if (req) settle(req, true, callResultValue(args, kwargs));
  }

  _onError({ handle, error, args, kwargs }) {
    const req = this._takePending(handle);
    if (req) settle(req, false, new AutobahnError(error, args, kwargs));
  }

  _onPublished({ handle, publication }) {
    const req = this._takePending(handle);
    if (req) settle(req, true, new Publication(publication));
  }

  _onSubscribed({ handle, subscription: id }) {
    const req = this._takePending(handle);
    if (!req) return;
    const sub = new Subscription(req.topic, req.handler, req.options, this, id);
    const list = this._subscriptions.get(id);
    if (list) list.push(sub);
    else this._subscriptions.set(id, [sub]);
    req.d.resolve(sub);
  }

  _onUnsubscribed({ handle, subscription, reason }) {
    if (handle === 0) {
      // Revoked by the router.
      const subs = this._subscriptions.get(subscription);
      if (!subs) return;
      this._subscriptions.delete(subscription);
      for (const sub of subs) {
        sub.active = false;
        sub._on_unsubscribe.resolve(reason);
      }
      return;
    }
    const req = this._takePending(handle);
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

  _onRegistered({ handle, registration }) {
    const req = this._takePending(handle);
    if (!req) return;
    const reg = new Registration(req.procedure, req.endpoint, req.options, this, registration);
    this._registrations.set(registration, reg);
    req.d.resolve(reg);
  }

  _onUnregistered({ handle, registration, reason }) {
    if (handle === 0) {
      // Revoked by the router.
      const reg = this._registrations.get(registration);
      if (!reg) return;
      this._registrations.delete(registration);
      reg.active = false;
      reg._on_unregister.resolve(reason);
      return;
    }
    const req = this._takePending(handle);
    if (!req) return;
    const reg = req.registration;
    if (this._registrations.get(reg.id) === reg) this._registrations.delete(reg.id);
    reg.active = false;
    reg._on_unregister.resolve();
    req.d.resolve();
  }

  _onEvent({ subscription, publication, details: d, args: eventArgs, kwargs: eventKwargs }) {
    const subs = this._subscriptions.get(subscription);
    // None left: the last handler was removed and UNSUBSCRIBE is on its way.
    if (!subs || subs.length === 0) return;
    const details = new Event(
      publication,
      d.topic || subs[0].topic,
      d.publisher,
      d.publisher_authid,
      d.publisher_authrole,
      d.retained || false,
      d.forward_for
    );
    const args = eventArgs || [];
    const kwargs = eventKwargs || {};
    for (const sub of subs.length === 1 ? subs : subs.slice()) {
      let ret;
      try {
        ret = sub.handler(args, kwargs, details, sub);
      } catch (e) {
        this._userError(e, USER_ERROR.event);
        continue;
      }
      if (ret !== undefined && isThenable(ret)) {
        ret.then(undefined, (e) => this._userError(e, USER_ERROR.event));
      }
    }
  }

  _onInvocation({ invocation: invocationId, registration, details: d, args, kwargs }) {
    if (this._inputs.size > 0 && this._inputs.has(invocationId)) {
      // A further input of a progressive call invocation: it goes to the running endpoint.
      const input = this._inputs.get(invocationId);
      input.push({ args: args || [], kwargs: kwargs || {}, progress: !!d.progress });
      if (!d.progress) {
        input.end(null);
        this._inputs.delete(invocationId);
      }
      return;
    }
    const reg = this._registrations.get(registration);
    if (!reg) {
      // Unregistered locally while the invocation was on its way.
      this._send(
        this._enc([MSG.ERROR, MSG.INVOCATION, invocationId, {}, 'wamp.error.no_such_registration'], 'invocation')
      );
      return;
    }
    let progress = null;
    if (d.receive_progress) {
      // Accepts what a result may be: an args array (Autobahn|JS), a Result, or any single value
      // (Autobahn|JS silently drops non-arrays). Throws on values that cannot be sent.
      progress = (progressArgs, progressKwargs) => {
        if (!this.isOpen) return;
        const msg = [MSG.YIELD, invocationId, { progress: true }];
        if (progressArgs instanceof Result) {
          pushResultPayload(msg, progressArgs.args, progressArgs.kwargs, 'details.progress()');
        } else if (progressArgs === undefined || Array.isArray(progressArgs)) {
          checkArgs(progressArgs, progressKwargs, undefined, 'details.progress()');
          pushPayload(msg, progressArgs, progressKwargs);
        } else {
          checkArgs(undefined, progressKwargs, undefined, 'details.progress()');
          pushPayload(msg, [progressArgs], progressKwargs);
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
    details._watch(this._interruptible, invocationId);
    if (d.progress) {
      // The first input of a progressive call invocation; the rest arrive on details.input.
      const input = new ProgressStream();
      this._inputs.set(invocationId, input);
      details._setInput({ [Symbol.asyncIterator]: () => input.iterator() });
    }
    let res;
    try {
      res = reg.endpoint(args || [], kwargs || {}, details);
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

  _onInterrupt({ invocation: invocationId, options }) {
    const mode = options.mode;
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
      if (value instanceof Result) {
        const msg = pushResultPayload([MSG.YIELD, invocationId, {}], value.args, value.kwargs, 'the Result returned');
        text = this._enc(msg, `result of '${reg.procedure}'`);
      } else {
        const args = [value === undefined ? null : value];
        text = this._encCommand(
          MSG.YIELD,
          invocationId,
          {},
          undefined,
          args,
          undefined,
          `result of '${reg.procedure}'`
        );
      }
    } catch (e) {
      this._userError(e, USER_ERROR.invocation);
      this._sendRuntimeError(invocationId, e);
      return;
    }
    this._send(text);
  }

  _yieldError(invocationId, reg, err) {
    this._release(invocationId);
    if (!this.isOpen) return;
    if (!(err instanceof AutobahnError)) {
      this._userError(err, USER_ERROR.invocation);
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
      this._userError(e, USER_ERROR.invocation);
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
        [
          MSG.ERROR,
          MSG.INVOCATION,
          invocationId,
          {},
          'wamp.error.runtime_error',
          [`error value cannot be serialized: ${inner.message}`],
        ],
        'invocation error'
      );
    }
    this._send(text);
  }

  _onChallenge({ method, extra }) {
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
        const e = new TypeError(`onchallenge must return a string or [string, object], got ${describe(res)}`);
        fail(e);
        return;
      }
      this._connection._native.send(
        this._serial,
        encode([MSG.AUTHENTICATE, signature, authExtra], 'authenticate', this._binary)
      );
    };
    const fail = (e) => {
      conn._onUserError(e, USER_ERROR.onchallenge);
      abort(
        `sorry, I cannot authenticate (onchallenge handler raised an exception: ${e && e.message ? e.message : e})`
      );
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
        new AutobahnError(
          uri,
          [`${why} before the router answered; the request may or may not have been carried out`],
          {
            reason,
            message: details.message,
          }
        )
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
      invokeUser(this._connection, USER_ERROR.onleave, this.onleave, this, uri, details);
    }
  }
}

// Autobahn|JS's hook for every outgoing WAMP message; replace it per session to trace them.
Session.prototype._send_wamp = sendWamp;

module.exports = { Session };
