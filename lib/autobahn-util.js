'use strict';
// `autobahn.util`: Autobahn|JS's helper functions, with its semantics, for code that uses them.
// The HTTP helpers use Node's fetch where Autobahn|JS uses XMLHttpRequest.

const fs = require('node:fs');
const when = require('when');
const { es6Defer } = require('./util.js');
const log = require('./log.js');

/** Base64 text -> Uint8Array (null for an empty or missing input). */
function atob(s) {
  if (!s) return null;
  const bin = globalThis.atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** Bytes -> Base64 text (null for an empty or missing input). */
function btoa(b) {
  if (!b) return null;
  let bin = '';
  // In slices: String.fromCharCode.apply on a whole large array overflows the stack.
  for (let i = 0; i < b.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, Array.prototype.slice.call(b, i, i + 0x8000));
  }
  return globalThis.btoa(bin);
}

/** Bytes -> lowercase hex text (null for an empty or missing input). */
function btoh(bytes) {
  if (!bytes) return null;
  let res = '';
  for (let i = 0; i < bytes.length; ++i) res += ('0' + (bytes[i] & 0xff).toString(16)).slice(-2);
  return res;
}

/** Hex text -> Uint8Array (null for an empty or missing input). */
function htob(hex) {
  if (!hex) return null;
  if (typeof hex !== 'string') throw new TypeError('Expected input to be a string');
  if (hex.length % 2 !== 0) throw new RangeError('Expected string to be an even number of characters');
  const view = new Uint8Array(hex.length / 2);
  for (let i = 0; i < hex.length; i += 2) view[i / 2] = parseInt(hex.substring(i, i + 2), 16);
  return view;
}

/** A normally distributed random number (Marsaglia polar method); mean 0 and sd 1 by default. */
function rand_normal(mean, sd) {
  let x1;
  let x2;
  let rad;
  do {
    x1 = 2 * Math.random() - 1;
    x2 = 2 * Math.random() - 1;
    rad = x1 * x1 + x2 * x2;
  } while (rad >= 1 || rad === 0);
  const c = Math.sqrt((-2 * Math.log(rad)) / rad);
  return (mean || 0) + x1 * c * (sd || 1);
}

/** True for anything object-like that is not an array (as Autobahn|JS: functions too). */
function is_object(variable) {
  return !Array.isArray(variable) && (variable instanceof Object || typeof variable === 'object');
}

/** Throws `Error(text || 'Assertion failed!')` unless `cond` is truthy. */
function assert(cond, text) {
  if (cond) return;
  throw new Error(text || 'Assertion failed!');
}
// Autobahn|JS stops in the debugger when this is set; kept so code that sets it still works.
assert.useDebugger = false;

/**
 * Adds to `base` the keys of each following object that `base` lacks; a last argument `true`
 * merges nested objects too. Mutates and returns `base`.
 */
function defaults(...objects) {
  if (objects.length === 0) return {};
  const base = objects[0];
  let len = objects.length;
  let recursive = false;
  if (typeof objects[len - 1] === 'boolean') {
    recursive = objects[len - 1];
    len -= 1;
  }
  for (let i = 1; i < len; i++) {
    const obj = objects[i];
    if (!obj) continue;
    if (typeof obj !== 'object') throw new Error('Expected argument at index ' + i + ' to be an object');
    for (const key of Object.keys(obj)) {
      const val = obj[key];
      if (!(key in base)) base[key] = val;
      else if (recursive && typeof val === 'object' && typeof base[key] === 'object') defaults(base[key], val);
    }
  }
  return base;
}

/** Calls `handler(error, error_message)`, or logs to the console when there is no handler. */
function handle_error(handler, error, error_message) {
  if (typeof handler === 'function') handler(error, error_message);
  else console.error(error_message || 'Unhandled exception raised: ', error);
}

/** A random WAMP global-scope id in [1, 2^53]. */
function new_global_id() {
  return Math.floor(Math.random() * 9007199254740992) + 1;
}

/** A deferred factory: ES6 with `use_es6_promises`, `use_deferred` if given, else when.js. */
function deferred_factory(options) {
  if (options) {
    if (options.use_es6_promises) return es6Defer;
    if (options.use_deferred) return options.use_deferred;
  }
  return when.defer;
}

/** The promise of a deferred (when.js and ES6 deferreds hold it in `promise`). */
function promise(d) {
  return d.promise.then ? d.promise : d;
}

async function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `func(...args)` as a promise: a throw becomes a rejection. */
function as_promise(func, ...args) {
  return new Promise((resolve, reject) => {
    try {
      resolve(func.call(this, ...args));
    } catch (e) {
      reject(e);
    }
  });
}

/** The contents of a file (a Buffer). Autobahn|JS has it only where a global `fs` exists. */
async function read_file(path) {
  return fs.promises.readFile(path);
}

// One HTTP request: resolves with what `onOk` makes of a 200 response, with nothing on 204, and
// rejects with {code, text} otherwise ({code: 501, text: 'request timeout'} on a timeout).
function httpRequest(method, url, body, timeout, onOk) {
  const d = deferred_factory()();
  const signal = timeout > 0 ? AbortSignal.timeout(timeout) : undefined;
  const init = { method, headers: { 'Content-type': 'application/json; charset=utf-8' }, signal };
  if (body) init.body = body;
  fetch(url, init)
    .then(async (res) => {
      if (res.status === 200) {
        const text = await res.text();
        let value;
        try {
          value = onOk(text);
        } catch (e) {
          d.reject(e);
          return;
        }
        d.resolve(value);
      } else if (res.status === 204) d.resolve();
      else d.reject({ code: res.status, text: res.statusText });
    })
    .catch((e) => {
      if (signal && signal.aborted) d.reject({ code: 501, text: 'request timeout' });
      // XMLHttpRequest reports a network failure as status 0.
      else d.reject({ code: 0, text: e && e.cause && e.cause.message ? e.cause.message : String(e) });
    });
  return promise(d);
}

/** HTTP POST of `data` (JSON text): resolves with the response text (200) or nothing (204). */
function http_post(url, data, timeout) {
  log.debug('new http_post request', url, data, timeout);
  return httpRequest('POST', url, data, timeout, (text) => text);
}

/** HTTP GET: resolves with the parsed JSON of the response (200) or nothing (204). */
function http_get_json(url, timeout) {
  return httpRequest('GET', url, undefined, timeout, (text) => JSON.parse(text));
}

module.exports = {
  read_file,
  handle_error,
  rand_normal,
  is_object,
  assert,
  http_post,
  http_get_json,
  defaults,
  new_global_id,
  deferred_factory,
  promise,
  sleep,
  as_promise,
  atob,
  btoa,
  btoh,
  htob,
};
