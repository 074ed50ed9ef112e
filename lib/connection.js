'use strict';

const when = require('when');
const { NativeConnection } = require('../native.js');
const { MSG, EV, WAMP_FEATURES } = require('./protocol.js');
const { describe, isPlainObject, isObject, isThenable, es6Defer, invokeUser, defaultErrorHandler } = require('./util.js');
const { checkUri } = require('./validate.js');
const { encode, decodeBatch } = require('./payload.js');
const { checkTransportOptions, normalizeTransports, orDefault, DEFAULT_CONNECT_TIMEOUT } = require('./options.js');
const { Session } = require('./session.js');

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
      events = decodeBatch(batch, attachments, this._binary);
    } catch (e) {
      this._onInternalError(e, 'could not decode events from the engine');
      return;
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

module.exports = { Connection };
