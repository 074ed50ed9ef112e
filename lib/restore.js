'use strict';
// Sessions that survive a reconnect (opt-in Connection options):
//
//   restore_on_reconnect: true      the subscriptions and registrations active when the session
//                                   was lost are made again on the next session, as the same
//                                   Subscription/Registration objects, before onopen runs.
//   queue_while_reconnecting: n     requests issued on a lost session while the connection
//                                   reconnects wait (at most n) and go out after the restore, in
//                                   order; without it they are rejected at once.
//   on_restore_error(err, object)   told when one object could not be restored (default:
//                                   on_user_error).
//
// With either of the first two options, a session lost to a reconnect keeps answering: while
// reconnecting its requests are queued or rejected with `autobahn.error.reconnecting`, and once
// the next session is open (and restored) they are forwarded to it. With neither, nothing here
// runs and a lost session throws 'session not open' as in Autobahn|JS.

const { MSG } = require('./protocol.js');
const { AutobahnError, Subscription, Registration } = require('./classes.js');
const { describe, promiseOf, invokeUser } = require('./util.js');
const { checkUri, checkArgs } = require('./validate.js');

const ERR_RECONNECTING = 'autobahn.error.reconnecting';
const ERR_QUEUE_FULL = 'autobahn.error.reconnect_queue_full';

// The requests that can wait for the next session, and where their URI and options are.
const QUEUEABLE = new Set(['call', 'publish', 'subscribe', 'register']);

function checkRestoreOptions(options) {
  const r = options.restore_on_reconnect;
  if (r !== undefined && r !== null && typeof r !== 'boolean') {
    throw new TypeError(`Connection: options.restore_on_reconnect must be a boolean, got ${describe(r)}`);
  }
  const q = options.queue_while_reconnecting;
  if (q !== undefined && q !== null && !(Number.isInteger(q) && q >= 0)) {
    throw new TypeError(
      `Connection: options.queue_while_reconnecting must be a non-negative integer (the most requests held), got ${describe(q)}${typeof q === 'number' ? ` (${q})` : ''}`
    );
  }
  const h = options.on_restore_error;
  if (h !== undefined && h !== null && typeof h !== 'function') {
    throw new TypeError(`Connection: options.on_restore_error must be a function, got ${describe(h)}`);
  }
}

// A deferred whose callbacks run synchronously when the session settles the request, so the
// restored object takes the new id within the same batch of events (before any EVENT for it).
function syncDeferred(onResolve, onReject) {
  return { resolve: onResolve, reject: onReject };
}

class Restorer {
  /** The restorer of `connection`, or null when neither option asks for one. */
  static forConnection(connection, options) {
    checkRestoreOptions(options);
    const restore = options.restore_on_reconnect === true;
    const queueMax = options.queue_while_reconnecting || 0;
    if (!restore && queueMax === 0) return null;
    return new Restorer(connection, restore, queueMax, options.on_restore_error || null);
  }

  constructor(connection, restore, queueMax, onRestoreError) {
    this._connection = connection;
    this._restore = restore;
    this._queueMax = queueMax;
    this._onRestoreError = onRestoreError;
    // Subscriptions and registrations that belong to no open session and are to be made again.
    this._wanted = new Set();
    // Requests waiting for the next session: {method, args, d}.
    this._queue = [];
    // A session of this connection was lost and the connection is reconnecting.
    this._reconnecting = false;
    // Sessions lost to a reconnect in this run of the connection: they forward, hold or reject.
    this._lost = new WeakSet();
    // The last onclose details, for the URI of what is given up.
    this._lastClose = null;
  }

  // --- hooks of Connection ---

  /** Every onclose; `session` (or null) is the session that ends, before it settles its requests. */
  onClose(session, reason, details) {
    this._lastClose = { reason, details };
    if (!details.will_retry) return;
    if (session && session.isOpen) {
      this._reconnecting = true;
      this._lost.add(session);
    }
    if (!session || !this._restore) return;
    // Taken out of the session before it ends, so that they stay active.
    for (const subs of session._subscriptions.values()) {
      for (const sub of subs) if (sub.active) this._wanted.add(sub);
    }
    session._subscriptions.clear();
    for (const reg of session._registrations.values()) {
      if (reg.active) this._wanted.add(reg);
    }
    session._registrations.clear();
  }

  /** The next session joined: restores, flushes the queue, then calls `announce` (onjoin, onopen). */
  onOpen(session, details, announce) {
    if (!this._reconnecting) {
      announce();
      return;
    }
    const restored = { subscriptions: [], registrations: [], failed: [] };
    details.restored = restored;
    const items = Array.from(this._wanted);
    let waiting = items.length;
    const done = () => {
      // Lost again before the router answered everything: the next session tries again.
      if (this._connection._session !== session || !session.isOpen) return;
      this._reconnecting = false;
      this._flushQueue(session);
      announce();
    };
    const settled = () => {
      waiting -= 1;
      if (waiting === 0) done();
    };
    for (const obj of items) {
      if (obj instanceof Subscription) this._resubscribe(session, obj, restored, settled);
      else this._reregister(session, obj, restored, settled);
    }
    if (items.length === 0) done();
  }

  /** The connection ended for good (closed, or gave up retrying). */
  onFinish() {
    const last = this._lastClose;
    const details = (last && last.details) || {};
    const uri = details.reason || 'wamp.close.transport_lost';
    const kwargs = { reason: last ? last.reason : null, message: details.message };
    this._reconnecting = false;
    this._lost = new WeakSet();
    const wanted = Array.from(this._wanted);
    this._wanted.clear();
    for (const obj of wanted) this._deactivate(obj, uri);
    const queue = this._queue;
    this._queue = [];
    for (const q of queue) {
      const e = new AutobahnError(
        uri,
        [`the connection ended while reconnecting; the ${q.method}() issued meanwhile was not sent`],
        kwargs
      );
      if (q.d) q.d.reject(e);
      else this._connection._onUserError(e, `${q.method}() held while reconnecting was not sent`);
    }
  }

  // --- hook of Session: a request on a session that is not open ---

  request(session, method, args) {
    const conn = this._connection;
    if (!conn._active || !this._lost.has(session) || (!this._reconnecting && !conn.isOpen)) {
      throw 'session not open';
    }
    if (method === 'unsubscribe' || method === 'unregister') return this._release(session, method, args[0]);
    if (!QUEUEABLE.has(method)) throw 'session not open';
    // CURIEs are resolved with the prefixes of the session they were issued on.
    const a = args.slice();
    a[0] = session.resolve(a[0]);
    const current = conn._session;
    if (!this._reconnecting && current && current !== session && current.isOpen) {
      return current[method](...a);
    }
    this._check(method, a);
    const acknowledged = method !== 'publish' || !!(a[3] && a[3].acknowledge);
    let error = null;
    if (this._queueMax === 0) {
      error = new AutobahnError(ERR_RECONNECTING, [
        `the connection is reconnecting; ${method}() was not sent (set queue_while_reconnecting to hold requests until the session is back)`,
      ]);
    } else if (this._queue.length >= this._queueMax) {
      error = new AutobahnError(ERR_QUEUE_FULL, [
        `the connection is reconnecting and ${this._queue.length} requests already wait (queue_while_reconnecting); ${method}() was not sent`,
      ]);
    }
    if (error) {
      if (!acknowledged) throw error;
      const d = conn._defer();
      d.reject(error);
      return promiseOf(d);
    }
    const d = acknowledged ? conn._defer() : null;
    const entry = { method, args: a, d, sent: null };
    this._queue.push(entry);
    if (!d) return undefined;
    const p = promiseOf(d);
    if (method === 'call') {
      p.cancel = (cancelOptions) => {
        if (entry.sent) return typeof entry.sent.cancel === 'function' ? entry.sent.cancel(cancelOptions) : false;
        const i = this._queue.indexOf(entry);
        if (i < 0) return false;
        this._queue.splice(i, 1);
        d.reject(new AutobahnError('wamp.error.canceled', ['the call was canceled by the caller before it was sent']));
        return true;
      };
    }
    return p;
  }

  // Synchronous checks, as the session makes them, for a request that is held.
  _check(method, a) {
    const [uri, second, third, options] = a;
    if (method === 'subscribe' || method === 'register') {
      if (typeof second !== 'function') {
        throw new TypeError(
          `${method}(): ${method === 'subscribe' ? 'handler' : 'endpoint'} must be a function, got ${describe(second)}`
        );
      }
      checkArgs(undefined, undefined, third, `${method}()`);
      const opts = third || {};
      checkUri(
        uri,
        method === 'subscribe' ? 'topic' : 'procedure',
        opts.match === 'wildcard' || opts.match === 'prefix'
      );
      return;
    }
    checkUri(uri, method === 'call' ? 'procedure' : 'topic');
    checkArgs(second, third, options, `${method}()`);
  }

  // unsubscribe()/unregister() of an object that waits to be restored: it is simply not restored.
  _release(session, method, obj) {
    const conn = this._connection;
    if (this._wanted.has(obj)) {
      this._wanted.delete(obj);
      obj.active = false;
      if (obj instanceof Subscription) obj._on_unsubscribe.resolve();
      else obj._on_unregister.resolve();
      const d = conn._defer();
      d.resolve(method === 'unsubscribe' ? true : undefined);
      return promiseOf(d);
    }
    // Restored meanwhile: the object now belongs to the open session.
    if (obj && obj.session && obj.session !== session && obj.session.isOpen) return obj.session[method](obj);
    throw 'session not open';
  }

  _resubscribe(session, sub, restored, settled) {
    const handle = this._connection._nextHandle();
    const d = syncDeferred(
      (made) => {
        if (this._wanted.has(sub)) {
          this._wanted.delete(sub);
          // The session filed the object it made; the user's object takes its place.
          const list = session._subscriptions.get(made.id);
          const i = list ? list.indexOf(made) : -1;
          if (i >= 0) list[i] = sub;
          sub.id = made.id;
          sub.session = session;
          restored.subscriptions.push(sub);
        } else if (session.isOpen) {
          // Unsubscribed while the router was answering.
          const p = session.unsubscribe(made);
          if (p && typeof p.then === 'function') p.then(undefined, () => {});
        }
        settled();
      },
      (e) => this._failed(session, sub, e, restored, settled)
    );
    session._pending.set(handle, {
      kind: MSG.SUBSCRIBE,
      d,
      topic: sub.topic,
      handler: sub.handler,
      options: sub.options,
    });
    session._send(session._enc([MSG.SUBSCRIBE, handle, sub.options, sub.topic], 'subscribe()'), true);
  }

  _reregister(session, reg, restored, settled) {
    const handle = this._connection._nextHandle();
    const d = syncDeferred(
      (made) => {
        if (this._wanted.has(reg)) {
          this._wanted.delete(reg);
          session._registrations.set(made.id, reg);
          reg.id = made.id;
          reg.session = session;
          restored.registrations.push(reg);
        } else if (session.isOpen) {
          // Unregistered while the router was answering.
          const p = session.unregister(made);
          if (p && typeof p.then === 'function') p.then(undefined, () => {});
        }
        settled();
      },
      (e) => this._failed(session, reg, e, restored, settled)
    );
    session._pending.set(handle, {
      kind: MSG.REGISTER,
      d,
      procedure: reg.procedure,
      endpoint: reg.endpoint,
      options: reg.options,
    });
    session._send(session._enc([MSG.REGISTER, handle, reg.options, reg.procedure], 'register()'), true);
  }

  _failed(session, obj, error, restored, settled) {
    // The session ended before the router answered: the object stays wanted for the next one.
    if (!session.isOpen) return;
    if (this._wanted.has(obj)) {
      this._wanted.delete(obj);
      this._deactivate(obj, error.error);
      restored.failed.push(obj);
      this._report(error, obj);
    }
    settled();
  }

  _deactivate(obj, uri) {
    obj.active = false;
    if (obj instanceof Subscription) obj._on_unsubscribe.resolve(uri);
    else if (obj instanceof Registration) obj._on_unregister.resolve(uri);
  }

  _report(error, obj) {
    const conn = this._connection;
    const what =
      obj instanceof Subscription ? `the subscription to '${obj.topic}'` : `the registration of '${obj.procedure}'`;
    if (this._onRestoreError) {
      invokeUser(conn, 'on_restore_error', this._onRestoreError, undefined, error, obj);
    } else {
      conn._onUserError(error, `could not restore ${what} after a reconnect`);
    }
  }

  _flushQueue(session) {
    const queue = this._queue;
    this._queue = [];
    for (const entry of queue) {
      let res;
      try {
        res = session[entry.method](...entry.args);
      } catch (e) {
        if (entry.d) entry.d.reject(e);
        else this._connection._onUserError(e, `${entry.method}() held while reconnecting could not be sent`);
        continue;
      }
      if (!entry.d) continue;
      entry.sent = res;
      const d = entry.d;
      res.then(
        (value) => d.resolve(value),
        (e) => d.reject(e)
      );
    }
  }
}

module.exports = { Restorer, ERR_RECONNECTING, ERR_QUEUE_FULL };
