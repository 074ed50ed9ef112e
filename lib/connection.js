'use strict';

const when = require('when');
const { NativeConnection } = require('../native.js');
const { isBinaryProtocol } = require('./protocol.js');
const { isThenable, es6Defer, invokeUser, reportUnhandled, USER_ERROR } = require('./util.js');
const { checkUri } = require('./validate.js');
const { encode } = require('./payload.js');
const { checkConnectionOptions, retrySettings, engineConfig, normalizeTransports } = require('./options.js');
const { dispatchBatch } = require('./dispatch.js');
const { Session } = require('./session.js');
const { Restorer } = require('./restore.js');
const { withCredentials } = require('./credentials.js');
const { AutobahnError } = require('./classes.js');
const { OutboundFlow, flowSettings } = require('./flow.js');

class Connection {
  constructor(options) {
    checkConnectionOptions(options);
    // ticket / secret / password / private_key: an onchallenge derived from the credential.
    this._options = withCredentials(options);
    if (options.use_es6_promises) this._defer = es6Defer;
    else if (options.use_deferred) this._defer = options.use_deferred;
    else this._defer = when.defer;

    this._retry = retrySettings(options);
    this._restore = Restorer.forConnection(this, options); // null unless asked for

    this._onUserErrorHandler = options.on_user_error || reportUnhandled;
    this._onInternalErrorHandler = options.on_internal_error || reportUnhandled;
    this._native = new NativeConnection((batch, attachments) => this._onBatch(batch, attachments));
    this._flowSettings = flowSettings(options);
    this._flow = new OutboundFlow(this._native, this._flowSettings);
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
  // Flow control (README "Flow control"): bytes and WAMP messages accepted but not yet written
  // to the socket.
  get bufferedAmount() {
    return this._flow.bufferedAmount;
  }
  get bufferedMessages() {
    return this._flow.bufferedMessages;
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
    const config = engineConfig(this._options, usable, this._retry);
    config.incoming_high_water_mark = this._flowSettings.incomingHigh;
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
      reportUnhandled(e, 'Exception raised in on_user_error:');
    }
  }

  _onInternalError(err, msg) {
    try {
      this._onInternalErrorHandler(err, msg);
    } catch (e) {
      reportUnhandled(e, 'Exception raised in on_internal_error:');
    }
  }

  _finish() {
    this._active = false;
    this._retrying = false;
    if (this._restore) this._restore.onFinish();
    if (this._keepAlive) {
      clearInterval(this._keepAlive);
      this._keepAlive = null;
    }
  }

  _onBatch(batch, attachments) {
    dispatchBatch(this, batch, attachments, this._binary);
  }

  _onConnecting() {
    this._retrying = false;
  }

  // The transport is up and HELLO on its way: a new session, `serial`, starts.
  _onConnected({ serial, transport }) {
    this._connected = true;
    this._retrying = false;
    this._transportInfo = transport;
    this._binary = isBinaryProtocol(transport.protocol);
    this._session = new Session(this, serial);
  }

  _onOpen({ serial, session, details }) {
    const s = this._session;
    if (!s || s._serial !== serial) return;
    s._onWelcome(session, details);
    details.transport = this._transportInfo;
    const announce = () => {
      if (typeof s.onjoin === 'function') invokeUser(this, USER_ERROR.onjoin, s.onjoin, s, details);
      if (typeof this.onopen === 'function') invokeUser(this, USER_ERROR.onopen, this.onopen, this, s, details);
    };
    if (this._restore) this._restore.onOpen(s, details, announce);
    else announce();
  }

  _callOnClose(reason, details) {
    if (typeof this.onclose !== 'function') return undefined;
    try {
      return this.onclose(reason, details);
    } catch (e) {
      this._onUserError(e, USER_ERROR.onclose);
      return undefined;
    }
  }

  _onClose(reason, details) {
    this._connected = false;
    this._transportInfo = null;
    const s = this._session;
    this._session = null;
    if (this._restore) this._restore.onClose(s, reason, details);
    if (s) s._onClosed(reason, details);
    this._flow.sessionEnded(
      new AutobahnError(details.reason || 'wamp.close.transport_lost', [
        'the session ended before what it had buffered was written to the router',
      ])
    );
    this._retrying = details.will_retry;
    const stop = this._callOnClose(reason, details);
    if (!details.will_retry) {
      this._finish();
      if (isThenable(stop)) stop.then(undefined, (e) => this._onUserError(e, USER_ERROR.onclose));
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
        this._onUserError(e, USER_ERROR.onclose);
        decide(false);
      });
    } else {
      decide(stop);
    }
  }
}

module.exports = { Connection };
