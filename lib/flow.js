'use strict';
// Outgoing flow control (README "Flow control"). What a session sends waits first in its
// outbox (until the end of the current synchronous run), then in the engine until the writer
// has handed it to the socket. The engine counts its part in an atomic counter that `send`
// returns and `bufferedBytes()` reads; this file adds the outbox and refuses new requests while
// the sum is at or over the high-water mark. Reading the engine's counter is needed only near
// the mark: between crossings the last value read is an upper bound (the writer only lowers it).

const { AutobahnError } = require('./classes.js');
const { describe, promiseOf } = require('./util.js');

/** The error URI of a request refused because too much waits to be written. */
const BUFFER_FULL = 'wamp.error.buffer_full';

const MiB = 1024 * 1024;
const FLOW_DEFAULTS = Object.freeze({
  outgoing_high_water_mark: 16 * MiB,
  // outgoing_low_water_mark: a quarter of the high-water mark
  incoming_high_water_mark: 1 * MiB,
});

function checkBytes(options, key, min) {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new TypeError(
      `Connection: options.${key} must be an integer number of bytes${min > 0 ? ` >= ${min}` : ' >= 0'}, got ${
        typeof v === 'number' ? v : describe(v)
      }`
    );
  }
  return v;
}

/** The flow-control options with their defaults; throws TypeError on a bad value. */
function flowSettings(options) {
  const high = checkBytes(options, 'outgoing_high_water_mark', 1);
  const low = checkBytes(options, 'outgoing_low_water_mark', 0);
  const incoming = checkBytes(options, 'incoming_high_water_mark', 1);
  const outgoingHigh = high !== undefined ? high : FLOW_DEFAULTS.outgoing_high_water_mark;
  const outgoingLow = low !== undefined ? low : Math.floor(outgoingHigh / 4);
  if (outgoingLow >= outgoingHigh) {
    throw new TypeError(
      `Connection: options.outgoing_low_water_mark (${outgoingLow}) must be below outgoing_high_water_mark (${outgoingHigh})`
    );
  }
  return {
    outgoingHigh,
    outgoingLow,
    incomingHigh: incoming !== undefined ? incoming : FLOW_DEFAULTS.incoming_high_water_mark,
  };
}

function attachmentBytes(a) {
  return typeof a === 'string' ? Buffer.byteLength(a) : a.byteLength;
}

class OutboundFlow {
  constructor(native, settings) {
    this._native = native;
    this.high = settings.outgoingHigh;
    this.low = settings.outgoingLow;
    // The engine's count when last read: at least what it holds now.
    this._engineBytes = 0;
    // What waits in the session's outbox (text and attachments).
    this._outboxBytes = 0;
    this._outboxMessages = 0;
    this._attachmentsCounted = 0;
    this._waiters = [];
  }

  /** The session's outbox got `text`; `attachments` is the outbox's list, new ones at its end. */
  queued(text, attachments) {
    let bytes = text.length;
    for (let i = this._attachmentsCounted; i < attachments.length; i++) bytes += attachmentBytes(attachments[i]);
    this._attachmentsCounted = attachments.length;
    this._outboxBytes += bytes;
    this._outboxMessages += 1;
  }

  /** The outbox crossed to the engine, which now holds `engineBytes`. */
  flushed(engineBytes) {
    this._engineBytes = engineBytes;
    this._outboxBytes = 0;
    this._outboxMessages = 0;
    this._attachmentsCounted = 0;
  }

  get bufferedAmount() {
    this._engineBytes = this._native.bufferedBytes();
    return this._engineBytes + this._outboxBytes;
  }

  get bufferedMessages() {
    return this._native.bufferedMessages() + this._outboxMessages;
  }

  /** Null, or the error that refuses a new request (`what`, e.g. 'publish()'). */
  refusal(what) {
    if (this._engineBytes + this._outboxBytes < this.high) return null;
    const buffered = this.bufferedAmount;
    if (buffered < this.high) return null;
    return new AutobahnError(
      BUFFER_FULL,
      [
        `${what} refused: ${buffered} bytes wait to be written to the router, at or over ` +
          `outgoing_high_water_mark (${this.high}); wait for session.drained() and try again`,
      ],
      { buffered_amount: buffered, high_water_mark: this.high }
    );
  }

  /** A promise (of `defer`'s flavour) that resolves once the buffered bytes are at or under the low-water mark. */
  drained(defer) {
    const d = defer();
    if (this._native.wantDrain(this.low) + this._outboxBytes <= this.low) d.resolve();
    else this._waiters.push(d);
    return promiseOf(d);
  }

  /** The engine's `drained` event. */
  onDrained() {
    if (this._waiters.length === 0) return;
    // The event may be older than what was sent since: ask again, and resolve only if the
    // count is still at or under the mark (else the next event will tell).
    if (this._native.wantDrain(this.low) + this._outboxBytes > this.low) return;
    const waiters = this._waiters;
    this._waiters = [];
    for (const d of waiters) d.resolve();
  }

  /** The session ended: its outbox is gone, and so is what the engine held for it. */
  sessionEnded(error) {
    this._outboxBytes = 0;
    this._outboxMessages = 0;
    this._attachmentsCounted = 0;
    const waiters = this._waiters;
    this._waiters = [];
    for (const d of waiters) d.reject(error);
  }
}

module.exports = { OutboundFlow, flowSettings, BUFFER_FULL, FLOW_DEFAULTS };
