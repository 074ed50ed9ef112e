'use strict';
// Checks of what the user passes to the session's methods.

const { AutobahnError } = require('./classes.js');
const { describe, isPlainObject } = require('./util.js');

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

module.exports = { checkUri, checkArgs };
