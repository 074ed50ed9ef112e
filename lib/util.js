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
    console.error(`autobahn: ${kind}${msg ? `: ${msg}` : ''}`, err);
  };
}

module.exports = {
  es6Defer,
  promiseOf,
  isPlainObject,
  isObject,
  isThenable,
  describe,
  invokeUser,
  defaultErrorHandler,
};
