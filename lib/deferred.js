'use strict';
// The deferred behind each request a session sends (a call, an acknowledged publish). With the
// default when.js flavour, users see only its promise, so the deferred itself need not be
// when.defer()'s object: that one builds three closures and a `resolver` object per request.
// RequestDeferred settles the same when.js promise through its handler, from prototype methods.

const when = require('when');

class RequestDeferred {
  constructor() {
    this.promise = when.Promise._defer();
  }

  resolve(value) {
    this.promise._handler.resolve(value);
  }

  reject(reason) {
    this.promise._handler.reject(reason);
  }

  notify(update) {
    this.promise._handler.notify(update);
  }
}

/**
 * A deferred for a request: a RequestDeferred when `defer` is when.js's own (the default);
 * otherwise what the user's flavour (`use_es6_promises`, `use_deferred`) makes.
 */
function requestDeferred(defer) {
  return defer === when.defer ? new RequestDeferred() : defer();
}

module.exports = { requestDeferred, RequestDeferred };
