'use strict';
// Small helpers shared by the modules of lib/.

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

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? `an object (${(v.constructor && v.constructor.name) || 'Object'})` : typeof v;
}

// Calls a user handler; a throw, or a rejection of the promise it returns, goes to
// on_user_error with `message` (Autobahn|JS's text for that handler). Returns what the handler
// returned.
function invokeUser(owner, message, fn, thisArg, ...args) {
  let ret;
  try {
    ret = fn.apply(thisArg, args);
  } catch (e) {
    owner._onUserError(e, message);
    return undefined;
  }
  if (isThenable(ret)) {
    ret.then(undefined, (e) => owner._onUserError(e, message));
  }
  return ret;
}

// What Autobahn|JS's util.handle_error does without a handler.
function reportUnhandled(err, msg) {
  console.error(msg || 'Unhandled exception raised: ', err);
}

// The texts on_user_error receives, as Autobahn|JS passes them (code compares them).
const USER_ERROR = Object.freeze({
  onopen: 'Exception raised from app code while firing Connection.onopen()',
  onclose: 'Exception raised from app code while firing Connection.onclose()',
  event: 'Exception raised in event handler:',
  invocation: 'Exception raised in invocation handler:',
  onchallenge: 'onchallenge() raised: ',
  // Not handlers Autobahn|JS calls on the user's behalf; worded the same way.
  onjoin: 'Exception raised from app code while firing Session.onjoin()',
  onleave: 'Exception raised from app code while firing Session.onleave()',
  progress: 'Exception raised in progress handler:',
});

module.exports = {
  es6Defer,
  promiseOf,
  isPlainObject,
  isObject,
  isThenable,
  describe,
  invokeUser,
  reportUnhandled,
  USER_ERROR,
};
