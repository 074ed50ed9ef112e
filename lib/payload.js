'use strict';

const { MARK, ATTACH } = require('./protocol.js');
const { Result } = require('./classes.js');
const { describe, isPlainObject } = require('./util.js');

// JSON with the WAMP binary convention (a string of U+0000 + Base64) and a clear error for
// values JSON cannot carry, instead of JSON.stringify's silent `null` or omission. Under a binary
// serializer (MessagePack, CBOR) a BigInt becomes a string of U+0001 + its digits, which the
// engine writes as a 64-bit integer; JSON has no such integers, so there a BigInt is an error.
//
// The message is walked before a plain JSON.stringify (no replacer: V8's fast path, and a Buffer
// never goes through Buffer#toJSON's array of numbers). Containers are copied only where
// something inside them was replaced.
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
// Deeper (or cyclic) structures are left to JSON.stringify, which reports cycles.
const MAX_WALK_DEPTH = 200;
const hasOwn = Object.prototype.hasOwnProperty;

// Byte values and strings from these sizes on cross to the engine beside the text ("attachments":
// no Base64 or escaping in JavaScript, no copy into the JSON text); the text holds U+0000 + '#' +
// their index. The engine sends large values of incoming messages the same way.
const ATTACH_MIN_LEN = ATTACH.min_bytes;
const ATTACH_MIN_TEXT_LEN = ATTACH.min_text_bytes;

// The marks as char codes (read on every string of every payload).
const BYTES_MARK = MARK.bytes.charCodeAt(0);
const BIGINT_MARK = MARK.bigint.charCodeAt(0);
const ATTACHMENT_MARK = MARK.attachment.charCodeAt(0);
const ATTACHMENT_PREFIX = MARK.bytes + MARK.attachment;

function prepare(value, key, binary, depth, attachments) {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) {
        throw new TypeError(`cannot serialize a string with a lone UTF-16 surrogate${where(key)}`);
      }
      if (value.charCodeAt(0) === BYTES_MARK || value.charCodeAt(0) === BIGINT_MARK) {
        if (value.charCodeAt(0) === BYTES_MARK && value.charCodeAt(1) === ATTACHMENT_MARK) {
          throw new TypeError(
            `cannot serialize the string '\\u0000#...'${where(key)}: a string starting with U+0000 stands ` +
              'for bytes in Base64, and # is not Base64 (pass a Buffer for bytes)'
          );
        }
        // Marked strings stay inline, where the engine reads them as what they stand for.
        return value;
      }
      if (attachments !== null && value.length >= ATTACH_MIN_TEXT_LEN) {
        attachments.push(value);
        return ATTACHMENT_PREFIX + (attachments.length - 1);
      }
      return value;
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'function':
      throw new TypeError(`cannot serialize a function${where(key)}`);
    case 'symbol':
      throw new TypeError(`cannot serialize a symbol${where(key)}`);
    case 'bigint':
      if (binary) {
        if (value < INT64_MIN || value > UINT64_MAX) {
          throw new TypeError(`cannot serialize the BigInt ${value}${where(key)}: it does not fit 64 bits`);
        }
        return MARK.bigint + value;
      }
      throw new TypeError(
        `cannot serialize the BigInt ${value}${where(key)}: the JSON serializer carries only numbers ` +
          '(use the msgpack or cbor serializer for 64-bit integers)'
      );
    default: {
      if (value === null) return null;
      if (value instanceof Uint8Array) {
        const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        if (attachments !== null && bytes.length >= ATTACH_MIN_LEN) {
          attachments.push(bytes);
          return ATTACHMENT_PREFIX + (attachments.length - 1);
        }
        return MARK.bytes + bytes.toString('base64');
      }
      if (depth > MAX_WALK_DEPTH || typeof value.toJSON === 'function') return value;
      let copy = null;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const v = value[i];
          const p = prepare(v, i, binary, depth + 1, attachments);
          if (p !== v && copy === null) copy = value.slice();
          if (copy !== null) copy[i] = p;
        }
      } else {
        for (const k in value) {
          if (!hasOwn.call(value, k)) continue;
          const v = value[k];
          const p = prepare(v, k, binary, depth + 1, attachments);
          if (p !== v && copy === null) copy = Object.assign({}, value);
          if (copy !== null) copy[k] = p;
        }
      }
      return copy || value;
    }
  }
}

function where(key) {
  return key === '' ? '' : ` (at key '${key}')`;
}

// With `attachments` (an array), large byte values are pushed there instead of going inline.
function encode(msg, what, binary, attachments = null) {
  try {
    return JSON.stringify(prepare(msg, '', binary, 0, attachments));
  } catch (e) {
    const err = new TypeError(`${what}: payload cannot be serialized: ${e.message}`);
    err.cause = e;
    throw err;
  }
}

// The JSON text of URIs already written (see encodeCommand): the same topic or procedure goes
// out on every publish or call.
const quotedUris = new Map();
const QUOTED_URI_CACHE_SIZE = 1024;

function quotedUri(uri, binary, attachments) {
  const cached = quotedUris.get(uri);
  if (cached !== undefined) return cached;
  const prepared = prepare(uri, 3, binary, 1, attachments);
  const quoted = JSON.stringify(prepared);
  // Not one that became an attachment (its placeholder numbers only this message's).
  if (prepared === uri) {
    if (quotedUris.size >= QUOTED_URI_CACHE_SIZE) quotedUris.clear();
    quotedUris.set(uri, quoted);
  }
  return quoted;
}

function hasOwnKeys(obj) {
  for (const k in obj) if (hasOwn.call(obj, k)) return true;
  return false;
}

/**
 * The text of `[kind, id, opts(, uri)(, args(, kwargs))]` (no uri when it is undefined), the
 * same as encode(pushPayload([kind, id, opts, uri], args, kwargs), ...) writes: the envelope
 * is written here and only the options (when not empty) and the payload go through prepare()
 * and JSON.stringify. This is what every call, publish and yield sends; stringify's walk of
 * the envelope (a `toJSON` lookup per container) was about a third of encoding one.
 */
function encodeCommand(kind, id, opts, uri, args, kwargs, what, binary, attachments = null) {
  try {
    let text =
      '[' +
      kind +
      ',' +
      id +
      ',' +
      (hasOwnKeys(opts) ? JSON.stringify(prepare(opts, 2, binary, 1, attachments)) : '{}');
    let at = 3;
    if (uri !== undefined) {
      text += ',' + quotedUri(uri, binary, attachments);
      at = 4;
    }
    if (args || kwargs) {
      text += ',' + JSON.stringify(prepare(args || [], at, binary, 1, attachments));
      if (kwargs) text += ',' + JSON.stringify(prepare(kwargs, at + 1, binary, 1, attachments));
    }
    return text + ']';
  } catch (e) {
    const err = new TypeError(`${what}: payload cannot be serialized: ${e.message}`);
    err.cause = e;
    throw err;
  }
}

// The attachments of the batch being parsed (see decodeBatch).
let batchAttachments = null;

function bytesOf(marked) {
  if (marked.charCodeAt(1) !== ATTACHMENT_MARK) return Buffer.from(marked.slice(1), 'base64');
  const bytes = batchAttachments !== null ? batchAttachments[+marked.slice(2)] : undefined;
  if (bytes === undefined) throw new Error(`the engine sent no attachment ${marked.slice(2)}`);
  return bytes;
}

function jsonReviver(_key, value) {
  if (typeof value === 'string' && value.charCodeAt(0) === BYTES_MARK) return bytesOf(value);
  return value;
}

// JSON's escape of a mark, as the engine writes it (`\u0000`).
function escaped(mark) {
  return '\\u' + mark.charCodeAt(0).toString(16).padStart(4, '0');
}
const BIGINT_MARKED = new RegExp(`^${escaped(MARK.bigint)}-?\\d+$`);
const BYTES_ESCAPED = escaped(MARK.bytes);
const BIGINT_ESCAPED = escaped(MARK.bigint);

// Under a binary serializer the engine marks integers beyond ±(2^53-1) (see src/wamp/codec).
function binaryReviver(_key, value) {
  if (typeof value === 'string') {
    const c = value.charCodeAt(0);
    if (c === BYTES_MARK) return bytesOf(value);
    if (c === BIGINT_MARK && BIGINT_MARKED.test(value)) return BigInt(value.slice(1));
  }
  return value;
}

// [.., args (, kwargs)] for a Result or Error: parts are sent only when non-empty.
function pushResultPayload(msg, args, kwargs, what) {
  if (args !== undefined && args !== null && !Array.isArray(args)) {
    throw new TypeError(`${what}: args must be an array, got ${describe(args)}`);
  }
  if (kwargs !== undefined && kwargs !== null && !isPlainObject(kwargs)) {
    throw new TypeError(`${what}: kwargs must be a plain object, got ${describe(kwargs)}`);
  }
  const hasKw = !!kwargs && Object.keys(kwargs).length > 0;
  if ((args && args.length > 0) || hasKw) msg.push(args || []);
  if (hasKw) msg.push(kwargs);
  return msg;
}

function callResultValue(args, kwargs) {
  const a = args || [];
  if (a.length > 1 || (kwargs && Object.keys(kwargs).length > 0)) return new Result(a, kwargs);
  if (a.length === 1) return a[0];
  return null;
}

// Builds [..., args (, kwargs)] the way Autobahn|JS does: what the user passed is sent,
// and kwargs alone get an empty args list in front.
function pushPayload(msg, args, kwargs) {
  if (args || kwargs) msg.push(args || []);
  if (kwargs) msg.push(kwargs);
  return msg;
}

// The events of one batch from the engine (the JSON text of an array), with their marked
// strings revived: bytes (inline Base64 or attachments) and, under a binary serializer, BigInts.
function decodeBatch(batch, attachments, binary) {
  try {
    batchAttachments = attachments || null;
    if (binary) {
      const marked = batch.includes(BYTES_ESCAPED) || batch.includes(BIGINT_ESCAPED);
      return marked ? JSON.parse(batch, binaryReviver) : JSON.parse(batch);
    }
    return batch.includes(BYTES_ESCAPED) ? JSON.parse(batch, jsonReviver) : JSON.parse(batch);
  } finally {
    batchAttachments = null;
  }
}

module.exports = {
  ATTACH_MIN_LEN,
  ATTACH_MIN_TEXT_LEN,
  encode,
  encodeCommand,
  decodeBatch,
  pushResultPayload,
  pushPayload,
  callResultValue,
};
