'use strict';

// The Connection's options: validation, Autobahn|JS defaults, and the normalised settings the
// engine receives (src/client/config.rs reads them).

const { SERIALIZERS, ENGINE_DEFAULTS, WAMP_FEATURES } = require('./protocol.js');
const { describe, isObject, isPlainObject } = require('./util.js');

const SUPPORTED_SERIALIZER_PROTOCOLS = SERIALIZERS.map((s) => s.protocol);
const SUPPORTED_SERIALIZER_IDS = SERIALIZERS.map((s) => s.id).join(', ');
// What Autobahn|JS offers when no serializers are given. RawSocket asks for one serializer per
// handshake: the first, then the next if the router refuses it.
const DEFAULT_PROTOCOLS = ['wamp.2.json', 'wamp.2.msgpack'];
const SUPPORTED_TRANSPORT_TYPES = ['websocket', 'rawsocket'];
const DEFAULT_CONNECT_TIMEOUT = ENGINE_DEFAULTS.connect_timeout; // seconds, per transport entry
// We accept RawSocket messages up to 2^exp bytes.
const RAWSOCKET_MAX_LEN_EXP = ENGINE_DEFAULTS.rawsocket_max_len_exp;
const RETRY_DEFAULTS = ENGINE_DEFAULTS.retry;

function isBytes(v) {
  return Buffer.isBuffer(v) || v instanceof Uint8Array;
}

// Synchronous checks of the transport options of the top level or of one `transports` entry
// (`where` names it in the error). Throws TypeError.
function checkTransportOptions(o, where) {
  const fail = (k, what) => {
    throw new TypeError(
      `Connection: ${where}${k} must be ${what}, got ${describe(o[k])}${typeof o[k] === 'number' ? ` (${o[k]})` : ''}`
    );
  };
  const has = (k) => o[k] !== undefined && o[k] !== null;
  if (has('type') && typeof o.type !== 'string') fail('type', 'a string');
  if (has('url') && typeof o.url !== 'string') fail('url', 'a string');
  if (has('host') && (typeof o.host !== 'string' || o.host === '')) fail('host', 'a non-empty string');
  if (has('port') && !(Number.isInteger(o.port) && o.port > 0 && o.port < 65536)) fail('port', 'an integer 1-65535');
  if (has('path') && (typeof o.path !== 'string' || o.path === ''))
    fail('path', 'a non-empty string (a Unix socket path)');
  if (has('tls') && typeof o.tls !== 'boolean') fail('tls', 'a boolean');
  if (has('tls_insecure_skip_verify') && typeof o.tls_insecure_skip_verify !== 'boolean') {
    fail('tls_insecure_skip_verify', 'a boolean');
  }
  if (has('rawsocket_max_len_exp')) {
    const v = o.rawsocket_max_len_exp;
    const { min, max } = RAWSOCKET_MAX_LEN_EXP;
    if (!(Number.isInteger(v) && v >= min && v <= max))
      fail('rawsocket_max_len_exp', `an integer ${min}-${max} (messages up to 2^n bytes)`);
  }
  if (has('max_message_size') && !(Number.isInteger(o.max_message_size) && o.max_message_size > 0)) {
    fail('max_message_size', 'a positive integer (bytes)');
  }
  for (const k of ['autoping_interval', 'autoping_timeout']) {
    if (has(k) && !(typeof o[k] === 'number' && Number.isFinite(o[k]) && o[k] >= 0))
      fail(k, 'a non-negative number of seconds');
  }
  if (has('autoping_size') && !(Number.isInteger(o.autoping_size) && o.autoping_size >= 0 && o.autoping_size <= 125)) {
    fail('autoping_size', 'an integer 0-125 (bytes)');
  }
  if (has('headers')) {
    if (!isObject(o.headers)) fail('headers', 'an object of header names to string values');
    for (const [k, v] of Object.entries(o.headers)) {
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new TypeError(`Connection: ${where}headers[${JSON.stringify(k)}] must be a string, got ${describe(v)}`);
      }
    }
  }
  if (has('tlsConfiguration')) {
    const tc = o.tlsConfiguration;
    if (!isObject(tc)) fail('tlsConfiguration', 'an object {ca, cert, key}');
    for (const k of ['ca', 'cert', 'key']) {
      const v = tc[k];
      if (v === undefined || v === null) continue;
      const ok = (x) => typeof x === 'string' || isBytes(x);
      if (!(ok(v) || (k !== 'key' && Array.isArray(v) && v.every(ok)))) {
        throw new TypeError(
          `Connection: ${where}tlsConfiguration.${k} must be PEM text (a string or Buffer${k !== 'key' ? ', or an array of them' : ''}), got ${describe(v)}`
        );
      }
    }
    if ((tc.cert == null) !== (tc.key == null)) {
      throw new TypeError(
        `Connection: ${where}tlsConfiguration.cert and .key must be given together (client certificate)`
      );
    }
  }
}

function pemText(v) {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === 'string' ? x : Buffer.from(x).toString('utf8'))).join('\n');
}

// RawSocket URLs: rs://host:port, rss://host:port (TLS), rs+unix://<path>.
function parseRawSocketUrl(url) {
  let m = /^rs\+unix:\/\/(.+)$/.exec(url);
  if (m) return { path: m[1] };
  m = /^(rss?):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(url);
  if (m) return { host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]), tls: m[1] === 'rss' };
  return null;
}

// Turns Autobahn|JS transport options into the engine's list, in order (the engine tries them
// in turn: failover). Entries that cannot work are skipped with a note in `problems`.
function normalizeTransports(options) {
  const entries = Array.isArray(options.transports) ? options.transports : [{ type: 'websocket' }];
  const usable = [];
  const problems = [];
  const pick = (t, k) => (t[k] !== undefined && t[k] !== null ? t[k] : options[k]);
  for (const t of entries) {
    if (!isObject(t)) {
      problems.push(`transport entry must be an object, got ${describe(t)}`);
      continue;
    }
    // Missing fields inherit the top-level options, as in Autobahn|JS.
    const type = t.type || 'websocket';
    const serializers = t.serializers || options.serializers;
    const requested = t.protocols || options.protocols;
    if (type === 'longpoll') {
      problems.push("transport type 'longpoll' (HTTP long-poll) is not supported: use 'websocket' or 'rawsocket'");
      continue;
    }
    if (!SUPPORTED_TRANSPORT_TYPES.includes(type)) {
      problems.push(`transport type '${type}' is not supported (only 'websocket' and 'rawsocket')`);
      continue;
    }
    const entry = { type };
    let label;
    if (type === 'websocket') {
      const url = t.url || options.url;
      if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) {
        problems.push(`websocket URL ${JSON.stringify(url)} must start with ws:// or wss://`);
        continue;
      }
      entry.url = url;
      label = url;
      const headers = pick(t, 'headers');
      if (headers) entry.headers = Object.entries(headers).map(([k, v]) => [k, String(v)]);
      // Heartbeat (seconds, as in Autobahn|JS): ping after this much silence, give up after the timeout.
      for (const k of ['autoping_interval', 'autoping_timeout', 'autoping_size']) {
        const v = pick(t, k);
        if (v != null) entry[k] = v;
      }
    } else {
      // rawsocket: {path} (Unix socket) or {host, port} as in Autobahn|JS, or a rs:// url.
      let where = { path: t.path, host: t.host, port: t.port, tls: t.tls };
      if (where.path == null && where.port == null && typeof t.url === 'string') {
        const parsed = parseRawSocketUrl(t.url);
        if (!parsed) {
          problems.push(
            `rawsocket URL ${JSON.stringify(t.url)} must look like rs://host:port, rss://host:port or rs+unix://<path>`
          );
          continue;
        }
        where = Object.assign(parsed, t.tls != null ? { tls: t.tls } : {});
      }
      if (where.path != null) {
        entry.path = where.path;
        entry.url = `rs+unix://${where.path}`;
      } else if (where.port != null) {
        entry.host = where.host || 'localhost';
        entry.port = where.port;
        entry.tls = !!where.tls;
        const host = entry.host.includes(':') ? `[${entry.host}]` : entry.host;
        entry.url = `${entry.tls ? 'rss' : 'rs'}://${host}:${entry.port}`;
      } else {
        problems.push('a rawsocket transport needs `path` (Unix socket) or `port` (and `host`, default localhost)');
        continue;
      }
      label = entry.url;
      const exp = pick(t, 'rawsocket_max_len_exp');
      entry.max_len_exp = exp != null ? exp : RAWSOCKET_MAX_LEN_EXP.default;
    }
    let protocols;
    if (requested !== undefined) {
      if (!Array.isArray(requested) || !requested.every((p) => typeof p === 'string')) {
        problems.push(`${label}: protocols must be an array of strings, got ${describe(requested)}`);
        continue;
      }
      protocols = requested;
    } else if (serializers !== undefined) {
      if (!Array.isArray(serializers)) {
        problems.push(`${label}: serializers must be an array, got ${describe(serializers)}`);
        continue;
      }
      protocols = serializers.map((s) => {
        const id = typeof s === 'string' ? s : s && s.SERIALIZER_ID;
        return String(id).startsWith('wamp.2.') ? String(id) : `wamp.2.${id}`;
      });
    } else {
      protocols = DEFAULT_PROTOCOLS;
    }
    const offered = protocols.filter((p) => SUPPORTED_SERIALIZER_PROTOCOLS.includes(p));
    if (offered.length === 0) {
      problems.push(
        `${label}: none of the requested serializers (${protocols.join(', ')}) is supported (${SUPPORTED_SERIALIZER_IDS})`
      );
      continue;
    }
    entry.protocols = offered;
    const tc = pick(t, 'tlsConfiguration') || {};
    const insecure = pick(t, 'tls_insecure_skip_verify');
    entry.tls_options = {
      ca: pemText(tc.ca),
      cert: pemText(tc.cert),
      key: pemText(tc.key),
      // Node's (and so Autobahn|JS's) `rejectUnauthorized: false` means the same.
      insecure_skip_verify: insecure === true || tc.rejectUnauthorized === false,
    };
    const maxSize = pick(t, 'max_message_size');
    if (maxSize != null) entry.max_message_size = maxSize;
    usable.push(entry);
  }
  return { usable, problems };
}

function orDefault(value, dflt) {
  // Autobahn|JS reads these as `value || default`.
  return value ? value : dflt;
}

// Synchronous checks of everything but the transports' contents. Throws TypeError.
function checkConnectionOptions(options) {
  if (!isPlainObject(options)) {
    throw new TypeError(`Connection: options must be an object, got ${describe(options)}`);
  }
  if (options.url === undefined && options.transports === undefined) {
    throw new TypeError('Connection: options.url or options.transports is required');
  }
  if (typeof options.realm !== 'string' || options.realm.length === 0) {
    throw new TypeError(`Connection: options.realm must be a non-empty string, got ${describe(options.realm)}`);
  }
  if (options.transports !== undefined && !Array.isArray(options.transports)) {
    throw new TypeError('Connection: options.transports must be an array');
  }
  checkTransportOptions(options, 'options.');
  if (Array.isArray(options.transports)) {
    options.transports.forEach((t, i) => {
      if (isObject(t)) checkTransportOptions(t, `options.transports[${i}].`);
    });
  }
  if (options.connect_timeout !== undefined && options.connect_timeout !== null) {
    const v = options.connect_timeout;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new TypeError(
        `Connection: options.connect_timeout must be a positive number of seconds, got ${describe(v)}${typeof v === 'number' ? ` (${v})` : ''}`
      );
    }
  }
  for (const k of ['onchallenge', 'on_user_error', 'on_internal_error', 'use_deferred']) {
    if (options[k] !== undefined && options[k] !== null && typeof options[k] !== 'function') {
      throw new TypeError(`Connection: options.${k} must be a function, got ${describe(options[k])}`);
    }
  }
}

// The reconnect settings with Autobahn|JS's defaults (the engine's, src/client/retry.rs).
function retrySettings(options) {
  const retry = {
    max_retries: options.max_retries !== undefined ? options.max_retries : RETRY_DEFAULTS.max_retries,
    initial_retry_delay:
      options.initial_retry_delay !== undefined ? options.initial_retry_delay : RETRY_DEFAULTS.initial_retry_delay,
    max_retry_delay: orDefault(options.max_retry_delay, RETRY_DEFAULTS.max_retry_delay),
    retry_delay_growth: orDefault(options.retry_delay_growth, RETRY_DEFAULTS.retry_delay_growth),
    // Autobahn|JS turns 0 into the default 0.1; here 0 means no jitter.
    retry_delay_jitter:
      options.retry_delay_jitter !== undefined ? options.retry_delay_jitter : RETRY_DEFAULTS.retry_delay_jitter,
    retry_if_unreachable:
      options.retry_if_unreachable !== undefined ? !!options.retry_if_unreachable : RETRY_DEFAULTS.retry_if_unreachable,
  };
  for (const k of [
    'max_retries',
    'initial_retry_delay',
    'max_retry_delay',
    'retry_delay_growth',
    'retry_delay_jitter',
  ]) {
    const v = retry[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || (v < 0 && !(k === 'max_retries' && v === -1))) {
      throw new TypeError(
        `Connection: options.${k} must be a non-negative number${k === 'max_retries' ? ' or -1' : ''}, got ${v}`
      );
    }
  }
  retry.max_retries = Math.floor(retry.max_retries);
  return retry;
}

// What the engine's open() receives (JSON text of src/client/config.rs ConnectionConfig).
function engineConfig(o, usable, retry) {
  const hello = { roles: WAMP_FEATURES };
  if (o.authmethods !== undefined) hello.authmethods = o.authmethods;
  if (o.authid !== undefined) hello.authid = o.authid;
  if (o.authrole !== undefined) hello.authrole = o.authrole;
  if (o.authextra !== undefined) hello.authextra = o.authextra;
  return Object.assign(
    // AUTOBAHN_DEBUG (a global, as in Autobahn|JS) logs every WAMP message, secrets redacted.
    {
      realm: o.realm,
      hello_details: hello,
      // All usable entries: each connection attempt tries them in order (failover).
      transports: usable,
      connect_timeout: o.connect_timeout != null ? o.connect_timeout : DEFAULT_CONNECT_TIMEOUT,
      debug: !!globalThis.AUTOBAHN_DEBUG,
    },
    retry
  );
}

module.exports = { checkConnectionOptions, retrySettings, engineConfig, normalizeTransports };
