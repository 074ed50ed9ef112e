'use strict';
// Value classes (field names as in Autobahn|JS)

const { promiseOf } = require('./util.js');

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

function hidden(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false });
}

class Invocation {
  #controller = null;
  // Where the invocation is entered once its signal is asked for: a map and the key to use.
  #watchers = null;
  #watchKey = 0;
  #forwardFor;

  constructor(procedure, progress, caller, caller_authid, caller_authrole, forward_for) {
    this.procedure = procedure;
    this.progress = progress;
    this.caller = caller;
    this.caller_authid = caller_authid;
    this.caller_authrole = caller_authrole;
    this.#forwardFor = forward_for;
  }

  // Beyond Autobahn|JS's fields: reachable, but not among the own enumerable keys, so code that
  // compares or copies the details sees what Autobahn|JS passes. An accessor on the prototype
  // rather than a defined own property: Object.defineProperty per invocation was ~5% of a callee.
  get forward_for() {
    return this.#forwardFor;
  }

  set forward_for(value) {
    this.#forwardFor = value;
  }

  /** The further inputs of a progressive call invocation (an async iterable). */
  _setInput(input) {
    hidden(this, 'input', input);
  }

  /** Aborted when the caller cancels (INTERRUPT) or the session ends. Created on first use. */
  get signal() {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#watchers) this.#watchers.set(this.#watchKey, this);
    }
    return this.#controller.signal;
  }

  /** Once its signal is asked for, the invocation enters `watchers` under `key`. */
  _watch(watchers, key) {
    this.#watchers = watchers;
    this.#watchKey = key;
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

module.exports = { AutobahnError, Result, Publication, Event, Invocation, Subscription, Registration };
