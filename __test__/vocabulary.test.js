'use strict';
// The vocabulary JavaScript shares with the engine (message and event kinds, marked strings,
// attachment thresholds, serializers, defaults) is the engine's own (src/binding/constants.rs).
// These tests fail where lib/ and the engine disagree. No router needed.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const autobahn = require('..');
const native = require('../native.js');
const protocol = require('../lib/protocol.js');
const payload = require('../lib/payload.js');
const options = require('../lib/options.js');
const { dispatchedKinds } = require('../lib/dispatch.js');

const root = path.join(__dirname, '..');
const engine = JSON.parse(native.protocolConstants());

function libSources() {
  const dir = path.join(root, 'lib');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => ({ file: `lib/${f}`, text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

describe('vocabulary shared with the engine', () => {
  it('lib/protocol.js takes the kind tables from the engine unchanged', () => {
    assert.deepEqual(protocol.MSG, engine.message);
    assert.deepEqual(protocol.EV, engine.event);
    assert.deepEqual(protocol.MARK, engine.marks);
    assert.deepEqual(protocol.SERIALIZERS, engine.serializers);
  });

  it('lib/ names only message and event kinds the engine defines', () => {
    for (const { file, text } of libSources()) {
      for (const [, table, name] of text.matchAll(/\b(MSG|EV)\.([A-Za-z_]+)\b/g)) {
        const known = table === 'MSG' ? engine.message : engine.event;
        assert.ok(Object.hasOwn(known, name), `${file} uses ${table}.${name}, which the engine does not define`);
      }
    }
  });

  it('every event the engine documents is dispatched, and nothing else', () => {
    // src/client/events.rs lists the layout of each event it emits, one `//! [kind, ...]` per line.
    const events = fs.readFileSync(path.join(root, 'src', 'client', 'events.rs'), 'utf8');
    const documented = new Set([...events.matchAll(/^\/\/! \[(\d+),?/gm)].map((m) => Number(m[1])));
    assert.ok(documented.size > 10, 'the layouts in src/client/events.rs were not found');
    const { session, connection } = dispatchedKinds();
    const dispatched = new Set([...session, ...connection]);
    assert.deepEqual([...dispatched].sort(), [...documented].sort());
    assert.deepEqual([...connection].sort(), Object.values(engine.event).sort());
    const messageKinds = new Set(Object.values(engine.message));
    for (const kind of session) assert.ok(messageKinds.has(kind), `session event ${kind} is no WAMP message kind`);
  });

  it('the serializer classes name the serializers the engine speaks', () => {
    const classes = Object.values(autobahn.serializer).map((C) => new C());
    assert.deepEqual(
      classes.map((s) => ({ id: s.SERIALIZER_ID, protocol: `wamp.2.${s.SERIALIZER_ID}`, binary: s.BINARY })),
      engine.serializers
    );
  });

  it('values from the engine’s thresholds on travel as attachments', () => {
    const { min_bytes: minBytes, min_text_bytes: minText } = engine.attachments;
    const attached = (value) => {
      const list = [];
      payload.encode([value], 'test', true, list);
      return list.length === 1;
    };
    assert.equal(attached(Buffer.alloc(minBytes)), true);
    assert.equal(attached(Buffer.alloc(minBytes - 1)), false);
    assert.equal(attached('x'.repeat(minText)), true);
    assert.equal(attached('x'.repeat(minText - 1)), false);
    const list = [];
    const text = payload.encode([Buffer.alloc(minBytes)], 'test', true, list);
    assert.equal(JSON.parse(text)[0], `${engine.marks.bytes}${engine.marks.attachment}0`);
  });

  it('marked strings are written and read with the engine’s marks', () => {
    const { bytes, bigint } = engine.marks;
    const big = 2n ** 60n;
    assert.deepEqual(JSON.parse(payload.encode([big, Buffer.from('hi')], 'test', true)), [
      `${bigint}${big}`,
      `${bytes}${Buffer.from('hi').toString('base64')}`,
    ]);
    const batch = JSON.stringify([[`${bigint}-${big}`, `${bytes}aGk=`, `${bytes}${engine.marks.attachment}0`]]);
    const [[n, b, a]] = payload.decodeBatch(batch, [Buffer.from('zz')], true);
    assert.equal(n, -big);
    assert.deepEqual(b, Buffer.from('hi'));
    assert.deepEqual(a, Buffer.from('zz'));
  });

  it('option defaults are the engine’s', () => {
    const o = { realm: 'r', url: 'ws://127.0.0.1:1/ws' };
    const config = options.engineConfig(o, [], options.retrySettings(o));
    assert.equal(config.connect_timeout, engine.connect_timeout);
    for (const [k, v] of Object.entries(engine.retry)) assert.equal(config[k], v, k);
    const { usable } = options.normalizeTransports({ transports: [{ type: 'rawsocket', port: 1 }] });
    assert.equal(usable[0].max_len_exp, engine.rawsocket_max_len_exp.default);
  });

  it('the RawSocket length exponent is checked against the engine’s range', () => {
    const { min, max } = engine.rawsocket_max_len_exp;
    const make = (exp) => new autobahn.Connection({ realm: 'r', url: 'ws://127.0.0.1:1/ws', rawsocket_max_len_exp: exp });
    make(min);
    make(max);
    assert.throws(() => make(min - 1), new RegExp(`an integer ${min}-${max}`));
    assert.throws(() => make(max + 1), new RegExp(`an integer ${min}-${max}`));
  });
});
