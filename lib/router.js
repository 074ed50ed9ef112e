// The embedded WAMP router: option normalisation and validation, the translation of a
// Crossbar.io node config, and the JavaScript side of the native router (start/stop, the
// event-loop handle, log events, dynamic authentication). Routing itself happens in Rust; the
// only JavaScript that runs per join is an optional dynamic authenticator.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const TRANSPORT_TYPES = ['websocket', 'rawsocket', 'universal'];
const SERIALIZERS = ['json', 'msgpack', 'cbor'];
const MATCH_POLICIES = ['exact', 'prefix', 'wildcard'];
const ALLOW_KEYS = ['call', 'register', 'publish', 'subscribe'];
const DISCLOSE_KEYS = ['caller', 'publisher'];
const AUTH_METHODS = ['anonymous', 'ticket', 'wampcra', 'cryptosign', 'scram'];
// What each method's principals may carry (besides role, realm and extra), as the native side
// reads them (src/router/config.rs, Principal).
const PRINCIPAL_KEYS = {
  ticket: ['ticket'],
  wampcra: ['secret', 'salt', 'iterations', 'keylen'],
  cryptosign: ['authorized_keys'],
  scram: ['kdf', 'iterations', 'memory', 'salt', 'stored-key', 'server-key'],
};
const COMMON_PRINCIPAL_KEYS = ['role', 'realm', 'extra'];
const ALL_PRINCIPAL_KEYS = [...new Set([...COMMON_PRINCIPAL_KEYS, ...Object.values(PRINCIPAL_KEYS).flat()])];
const OPTION_KEYS = [
  'realms',
  'transports',
  'auto_create_realms',
  'auto_realm_roles',
  'max_queued_messages',
  'join_timeout',
  'authenticator',
  'log',
];
const TRANSPORT_KEYS = [
  'type',
  'host',
  'port',
  'unix',
  'path',
  'serializers',
  'tls',
  'max_message_size',
  'auth',
  'paths',
];
const PATH_KEYS = ['path', 'serializers', 'max_message_size', 'auth'];
const DEFAULT_REALM = 'realm1';
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_WS_PATH = '/ws';
const WARNING_CODE = 'AUTOBAHN_ROUTER_CROSSBAR_CONFIG';

// ---------------------------------------------------------------------------------------------
// small validators: each names the option key it checks

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function fail(Kind, key, what, value) {
  return new Kind(`Router: ${key} must be ${what}, got ${describe(value)}`);
}

function checkObject(v, key) {
  if (!isPlainObject(v)) throw fail(TypeError, key, 'an object', v);
  return v;
}

function checkArray(v, key) {
  if (!Array.isArray(v)) throw fail(TypeError, key, 'an array', v);
  return v;
}

function checkKeys(obj, allowed, key) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new TypeError(`Router: unknown option ${key}.${k} (known: ${allowed.join(', ')})`);
    }
  }
}

function checkString(v, key, { empty = false } = {}) {
  if (typeof v !== 'string') throw fail(TypeError, key, 'a string', v);
  if (!empty && v === '') throw fail(RangeError, key, 'a non-empty string', v);
  return v;
}

function checkBoolean(v, key) {
  if (typeof v !== 'boolean') throw fail(TypeError, key, 'true or false', v);
  return v;
}

function checkInteger(v, key, min, max) {
  if (typeof v !== 'number') throw fail(TypeError, key, 'a number', v);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw fail(RangeError, key, `an integer from ${min} to ${max}`, v);
  }
  return v;
}

function checkOneOf(v, allowed, key) {
  if (typeof v !== 'string') throw fail(TypeError, key, `one of ${allowed.join(', ')}`, v);
  if (!allowed.includes(v)) throw fail(RangeError, key, `one of ${allowed.join(', ')}`, v);
  return v;
}

// A WAMP URI as a realm name: dot-separated non-empty components without spaces or '#'.
function checkRealmName(v, key) {
  checkString(v, key);
  if (!/^([^\s.#]+\.)*[^\s.#]+$/.test(v)) throw fail(RangeError, key, 'a WAMP URI (e.g. "realm1")', v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// realms, roles, permissions

function allowEverything() {
  return [
    {
      uri: '',
      match: 'prefix',
      allow: { call: true, register: true, publish: true, subscribe: true },
      disclose: { caller: true, publisher: true },
    },
  ];
}

function defaultRoles() {
  return [{ name: 'anonymous', permissions: allowEverything() }];
}

function normalizePermission(p, key) {
  checkObject(p, key);
  checkKeys(p, ['uri', 'match', 'allow', 'disclose'], key);
  const match = p.match === undefined ? 'exact' : checkOneOf(p.match, MATCH_POLICIES, `${key}.match`);
  const uri = checkString(p.uri, `${key}.uri`, { empty: match === 'prefix' });
  const flags = (obj, names, k) => {
    const out = {};
    if (obj === undefined) obj = {};
    checkObject(obj, k);
    checkKeys(obj, names, k);
    for (const n of names) out[n] = obj[n] === undefined ? false : checkBoolean(obj[n], `${k}.${n}`);
    return out;
  };
  return {
    uri,
    match,
    allow: flags(p.allow, ALLOW_KEYS, `${key}.allow`),
    disclose: flags(p.disclose, DISCLOSE_KEYS, `${key}.disclose`),
  };
}

function normalizeRoles(roles, key) {
  checkArray(roles, key);
  const seen = new Set();
  return roles.map((role, i) => {
    const k = `${key}[${i}]`;
    checkObject(role, k);
    checkKeys(role, ['name', 'permissions'], k);
    const name = checkString(role.name, `${k}.name`);
    if (seen.has(name)) throw new RangeError(`Router: ${k}.name: role "${name}" appears twice`);
    seen.add(name);
    const permissions = role.permissions === undefined ? [] : checkArray(role.permissions, `${k}.permissions`);
    return { name, permissions: permissions.map((p, j) => normalizePermission(p, `${k}.permissions[${j}]`)) };
  });
}

function normalizeRealms(realms) {
  if (realms === undefined) return [{ name: DEFAULT_REALM, roles: defaultRoles() }];
  checkArray(realms, 'options.realms');
  const seen = new Set();
  return realms.map((realm, i) => {
    const k = `options.realms[${i}]`;
    checkObject(realm, k);
    checkKeys(realm, ['name', 'roles'], k);
    const name = checkRealmName(realm.name, `${k}.name`);
    if (seen.has(name)) throw new RangeError(`Router: ${k}.name: realm "${name}" appears twice`);
    seen.add(name);
    return { name, roles: realm.roles === undefined ? defaultRoles() : normalizeRoles(realm.roles, `${k}.roles`) };
  });
}

// ---------------------------------------------------------------------------------------------
// transports

function readPem(value, key, baseDir) {
  checkString(value, key);
  if (value.includes('-----BEGIN')) return value;
  const file = path.resolve(baseDir, value);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Router: ${key}: cannot read ${file}: ${err.message}`, { cause: err });
  }
}

function normalizeTls(tls, key, baseDir) {
  checkObject(tls, key);
  checkKeys(tls, ['cert', 'certificate', 'key', 'ca'], key);
  if (tls.cert !== undefined && tls.certificate !== undefined) {
    throw new TypeError(`Router: ${key}: give cert or certificate, not both`);
  }
  const certKey = tls.cert !== undefined ? 'cert' : 'certificate';
  if (tls[certKey] === undefined) throw new TypeError(`Router: ${key}.certificate (or .cert) is required`);
  if (tls.key === undefined) throw new TypeError(`Router: ${key}.key is required`);
  const out = {
    certificate: readPem(tls[certKey], `${key}.${certKey}`, baseDir),
    key: readPem(tls.key, `${key}.key`, baseDir),
  };
  // Clients must present a certificate signed by one of these CAs.
  if (tls.ca !== undefined) out.ca = readPem(tls.ca, `${key}.ca`, baseDir);
  return out;
}

function normalizePrincipal(p, method, key) {
  checkObject(p, key);
  const allowed = [...COMMON_PRINCIPAL_KEYS, ...PRINCIPAL_KEYS[method]];
  checkKeys(p, allowed, key);
  const out = {};
  // Static principals need a role; without one the principal could never join.
  out.role = checkString(p.role, `${key}.role`);
  if (p.realm !== undefined) out.realm = checkRealmName(p.realm, `${key}.realm`);
  if (p.extra !== undefined) out.extra = p.extra;
  switch (method) {
    case 'ticket':
      out.ticket = checkString(p.ticket, `${key}.ticket`, { empty: true });
      break;
    case 'wampcra':
      out.secret = checkString(p.secret, `${key}.secret`, { empty: true });
      if (p.salt !== undefined) out.salt = checkString(p.salt, `${key}.salt`, { empty: true });
      if (p.iterations !== undefined) out.iterations = checkInteger(p.iterations, `${key}.iterations`, 1, 0xffffffff);
      if (p.keylen !== undefined) out.keylen = checkInteger(p.keylen, `${key}.keylen`, 1, 0xffffffff);
      break;
    case 'cryptosign': {
      const keys = checkArray(p.authorized_keys, `${key}.authorized_keys`);
      out.authorized_keys = keys.map((k, i) => {
        checkString(k, `${key}.authorized_keys[${i}]`);
        if (!/^[0-9a-fA-F]{64}$/.test(k)) {
          throw fail(RangeError, `${key}.authorized_keys[${i}]`, 'a hex Ed25519 public key (64 hex digits)', k);
        }
        return k.toLowerCase();
      });
      break;
    }
    case 'scram':
      for (const k of ['kdf', 'salt', 'stored-key', 'server-key']) out[k] = checkString(p[k], `${key}.${k}`);
      checkOneOf(out.kdf, ['argon2id-13', 'pbkdf2'], `${key}.kdf`);
      out.iterations = checkInteger(p.iterations, `${key}.iterations`, 1, 0xffffffff);
      // pbkdf2 credentials carry memory 0 (Autobahn|Python and derive_credential write it).
      if (p.memory !== undefined) out.memory = checkInteger(p.memory, `${key}.memory`, 0, 0xffffffff);
      break;
    default:
      break;
  }
  return out;
}

// A transport's `auth` section, in Crossbar.io's shapes. Returns [normalised, usesDynamic].
function normalizeAuth(auth, key) {
  checkObject(auth, key);
  checkKeys(auth, AUTH_METHODS, key);
  const out = {};
  let dynamic = false;
  for (const method of AUTH_METHODS) {
    const m = auth[method];
    if (m === undefined) continue;
    const k = `${key}.${method}`;
    checkObject(m, k);
    const type = m.type === undefined ? 'static' : checkOneOf(m.type, ['static', 'dynamic'], `${k}.type`);
    if (type === 'dynamic') dynamic = true;
    if (method === 'anonymous') {
      checkKeys(m, ['type', 'role'], k);
      out.anonymous = { type, role: m.role === undefined ? 'anonymous' : checkString(m.role, `${k}.role`) };
      continue;
    }
    // Crossbar.io calls wampcra's principals `users`.
    checkKeys(m, method === 'wampcra' ? ['type', 'principals', 'users'] : ['type', 'principals'], k);
    if (m.principals !== undefined && m.users !== undefined) {
      throw new TypeError(`Router: ${k}: give principals or users, not both`);
    }
    const listKey = m.users !== undefined ? 'users' : 'principals';
    const list = m[listKey];
    if (type === 'dynamic' && list !== undefined) {
      throw new TypeError(
        `Router: ${k}.${listKey}: a dynamic method takes no principals (the authenticator supplies them)`
      );
    }
    if (type === 'static' && list === undefined)
      throw new TypeError(`Router: ${k}.principals is required for type static`);
    const principals = {};
    if (list !== undefined) {
      checkObject(list, `${k}.${listKey}`);
      for (const [authid, p] of Object.entries(list)) {
        principals[authid] = normalizePrincipal(p, method, `${k}.${listKey}[${JSON.stringify(authid)}]`);
      }
    }
    out[method] = { type, principals };
  }
  if (Object.keys(out).length === 0) throw new RangeError(`Router: ${key} enables no authentication method`);
  return [out, dynamic];
}

function normalizeTransport(t, key, baseDir) {
  checkObject(t, key);
  checkKeys(t, TRANSPORT_KEYS, key);
  const type = checkOneOf(t.type === undefined ? 'websocket' : t.type, TRANSPORT_TYPES, `${key}.type`);
  const out = { type };
  if (t.unix !== undefined) {
    out.unix = checkString(t.unix, `${key}.unix`);
    if (t.host !== undefined || t.port !== undefined) {
      throw new TypeError(`Router: ${key}: unix listens on a socket file; host and port do not apply`);
    }
  } else {
    out.host = t.host === undefined ? DEFAULT_HOST : checkString(t.host, `${key}.host`);
    out.port = t.port === undefined ? 0 : checkInteger(t.port, `${key}.port`, 0, 65535);
  }
  if (t.path !== undefined) {
    if (type === 'rawsocket') throw new TypeError(`Router: ${key}.path: a rawsocket transport has no HTTP path`);
    const p = checkString(t.path, `${key}.path`);
    out.path = p.startsWith('/') ? p : `/${p}`;
  } else {
    out.path = DEFAULT_WS_PATH;
  }
  const serializers = t.serializers === undefined ? SERIALIZERS : checkArray(t.serializers, `${key}.serializers`);
  if (serializers.length === 0) throw new RangeError(`Router: ${key}.serializers must name at least one serializer`);
  out.serializers = serializers.map((s, i) => checkOneOf(s, SERIALIZERS, `${key}.serializers[${i}]`));
  if (t.tls !== undefined) out.tls = normalizeTls(t.tls, `${key}.tls`, baseDir);
  if (t.max_message_size !== undefined) {
    out.max_message_size = checkInteger(t.max_message_size, `${key}.max_message_size`, 1, Number.MAX_SAFE_INTEGER);
  }
  let dynamic = false;
  if (t.auth !== undefined) [out.auth, dynamic] = normalizeAuth(t.auth, `${key}.auth`);
  if (t.paths !== undefined) {
    if (type === 'rawsocket') throw new TypeError(`Router: ${key}.paths: a rawsocket transport has no HTTP paths`);
    const seen = new Set([out.path]);
    out.paths = checkArray(t.paths, `${key}.paths`).map((p, i) => {
      const [path, pathDynamic] = normalizePath(p, `${key}.paths[${i}]`);
      if (seen.has(path.path)) throw new RangeError(`Router: ${key}.paths[${i}].path ${path.path} is served already`);
      seen.add(path.path);
      dynamic = dynamic || pathDynamic;
      return path;
    });
  }
  return [out, dynamic];
}

// One more WebSocket path on a listener, with its own serializers, size limit and auth.
function normalizePath(p, key) {
  checkObject(p, key);
  checkKeys(p, PATH_KEYS, key);
  const name = checkString(p.path, `${key}.path`);
  const out = { path: name.startsWith('/') ? name : `/${name}` };
  const serializers = p.serializers === undefined ? SERIALIZERS : checkArray(p.serializers, `${key}.serializers`);
  if (serializers.length === 0) throw new RangeError(`Router: ${key}.serializers must name at least one serializer`);
  out.serializers = serializers.map((s, i) => checkOneOf(s, SERIALIZERS, `${key}.serializers[${i}]`));
  if (p.max_message_size !== undefined) {
    out.max_message_size = checkInteger(p.max_message_size, `${key}.max_message_size`, 1, Number.MAX_SAFE_INTEGER);
  }
  let dynamic = false;
  if (p.auth !== undefined) [out.auth, dynamic] = normalizeAuth(p.auth, `${key}.auth`);
  return [out, dynamic];
}

function defaultTransport() {
  return { type: 'websocket', host: DEFAULT_HOST, port: 0, path: DEFAULT_WS_PATH, serializers: [...SERIALIZERS] };
}

/**
 * Checks user options and turns them into the JSON shapes the native router reads
 * (src/router/config.rs). Throws TypeError/RangeError naming the offending key.
 * Returns { config, authenticator, log }.
 */
function normalizeOptions(options, { baseDir = process.cwd() } = {}) {
  if (options === undefined || options === null) options = {};
  checkObject(options, 'options');
  checkKeys(options, OPTION_KEYS, 'options');
  const config = { realms: normalizeRealms(options.realms) };
  config.auto_create_realms =
    options.auto_create_realms === undefined
      ? false
      : checkBoolean(options.auto_create_realms, 'options.auto_create_realms');
  if (options.auto_realm_roles !== undefined) {
    config.auto_realm_roles = normalizeRoles(options.auto_realm_roles, 'options.auto_realm_roles');
  } else if (config.auto_create_realms) {
    config.auto_realm_roles = defaultRoles();
  }
  let anyDynamic = false;
  if (options.transports === undefined) {
    config.transports = [defaultTransport()];
  } else {
    checkArray(options.transports, 'options.transports');
    if (options.transports.length === 0)
      throw new RangeError('Router: options.transports must list at least one transport');
    config.transports = options.transports.map((t, i) => {
      const [out, dynamic] = normalizeTransport(t, `options.transports[${i}]`, baseDir);
      anyDynamic = anyDynamic || dynamic;
      return out;
    });
  }
  if (options.max_queued_messages !== undefined) {
    config.max_queued_messages = checkInteger(options.max_queued_messages, 'options.max_queued_messages', 1, 2 ** 32);
  }
  if (options.join_timeout !== undefined) {
    const v = options.join_timeout;
    if (typeof v !== 'number') throw fail(TypeError, 'options.join_timeout', 'a number of seconds', v);
    if (!(v > 0) || !Number.isFinite(v))
      throw fail(RangeError, 'options.join_timeout', 'a positive number of seconds', v);
    config.join_timeout = v;
  }
  const authenticator = options.authenticator;
  if (authenticator !== undefined && typeof authenticator !== 'function') {
    throw fail(TypeError, 'options.authenticator', 'a function (realm, authid, details) => principal', authenticator);
  }
  if (anyDynamic && !authenticator) {
    throw new TypeError(
      'Router: a transport uses auth type "dynamic" but options.authenticator is not set ' +
        '(with Router.fromCrossbarConfig, pass it as the second argument: { authenticator })'
    );
  }
  const log = options.log;
  if (log !== undefined && log !== false && typeof log !== 'function') {
    throw fail(TypeError, 'options.log', 'a function (level, message) or false', log);
  }
  return { config, authenticator: authenticator || null, log: log === undefined ? defaultLog : log || null };
}

// Without a log option, warnings and errors go to stderr; the per-session info lines do not.
function defaultLog(level, message) {
  if (level === 'warn' || level === 'error') process.stderr.write(`autobahn router ${level}: ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// the dynamic authenticator's answer

function principalFromAnswer(answer) {
  if (typeof answer === 'string') return { role: answer };
  if (!isPlainObject(answer)) {
    throw new TypeError(
      `the authenticator must return a role name or a principal object, returned ${describe(answer)}`
    );
  }
  const out = {};
  for (const [k, v] of Object.entries(answer)) {
    if (!ALL_PRINCIPAL_KEYS.includes(k)) {
      throw new TypeError(
        `the authenticator returned an unknown principal key "${k}" (known: ${ALL_PRINCIPAL_KEYS.join(', ')})`
      );
    }
    if (v !== undefined) out[k] = v;
  }
  if (typeof out.role !== 'string' || out.role === '') {
    throw new TypeError(`the authenticator must return a principal with a role, returned ${JSON.stringify(answer)}`);
  }
  return out;
}

function denialMessage(err) {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  if (err && typeof err.error === 'string') return err.error; // an autobahn.Error
  return 'denied by the authenticator';
}

// ---------------------------------------------------------------------------------------------
// the router

const STATE = { idle: 'idle', starting: 'starting', running: 'running', stopping: 'stopping' };

function loadNativeRouter() {
  const { NativeRouter } = require('../native.js');
  if (typeof NativeRouter !== 'function') {
    const err = new Error(
      'Router: this build of autobahn has no embedded router (NativeRouter is missing from the addon)'
    );
    err.code = 'ROUTER_UNAVAILABLE';
    throw err;
  }
  return NativeRouter;
}

class Router {
  /**
   * @param {object} [options] see index.d.ts (RouterOptions)
   * @param {object} [internal] { NativeRouter } to substitute the native class (tests),
   *   { baseDir } for relative TLS paths, { warnings } from fromCrossbarConfig
   */
  constructor(options, internal = {}) {
    const { config, authenticator, log } = normalizeOptions(options, { baseDir: internal.baseDir });
    this._config = config;
    this._authenticator = authenticator;
    this._log = log;
    this._NativeRouter = internal.NativeRouter || null;
    this._native = null;
    this._state = STATE.idle;
    this._starting = null;
    this._stopping = null;
    this._keepAlive = null;
    this.url = null;
    this.transports = [];
    this.warnings = internal.warnings ? [...internal.warnings] : [];
  }

  /** The realms, roles and transports the router runs with (a copy). */
  get config() {
    return JSON.parse(JSON.stringify(this._config));
  }

  get isRunning() {
    return this._state === STATE.running;
  }

  /** Sessions currently joined (0 when not running). */
  get sessionCount() {
    return this._state === STATE.running && this._native ? this._native.sessionCount() : 0;
  }

  start() {
    if (this._state !== STATE.idle) {
      const err = new Error(
        `Router: start() called while the router is ${this._state === STATE.stopping ? 'stopping' : 'already started'}`
      );
      err.code = 'ROUTER_STARTED';
      return Promise.reject(err);
    }
    let NativeRouter;
    try {
      NativeRouter = this._NativeRouter || loadNativeRouter();
    } catch (err) {
      return Promise.reject(err);
    }
    this._state = STATE.starting;
    const native = new NativeRouter((kind, payload) => this._onEvent(kind, payload));
    this._native = native;
    // The native router's callbacks do not hold the event loop; this timer does, from start()
    // until stop() (or a failed start).
    this._keepAlive = setInterval(() => {}, 1 << 30);
    this._starting = Promise.resolve()
      .then(() => native.start(JSON.stringify(this._config)))
      .then((answer) => {
        // {listening: [{type, url}]}, or {error, code} when it could not start.
        const { listening, error, code } = JSON.parse(answer);
        if (error === undefined) return listening;
        const err = new Error(`Router: ${error}`);
        err.code = code;
        throw err;
      })
      .then(
        (listening) => {
          this._setListening(listening);
          if (this._state === STATE.starting) this._state = STATE.running;
          return this;
        },
        (err) => {
          // A stop() requested meanwhile releases once it sees the failure.
          if (this._state === STATE.starting) this._release();
          throw err;
        }
      );
    return this._starting;
  }

  stop() {
    if (this._stopping) return this._stopping;
    if (this._state === STATE.idle) return Promise.resolve();
    this._state = STATE.stopping;
    const native = this._native;
    this._stopping = this._starting
      .then(
        () => native.stop(),
        () => undefined // the start failed: nothing listens, nothing to stop
      )
      .finally(() => this._release());
    return this._stopping;
  }

  _release() {
    if (this._keepAlive) {
      clearInterval(this._keepAlive);
      this._keepAlive = null;
    }
    this._native = null;
    this._starting = null;
    this._stopping = null;
    this._state = STATE.idle;
    this.url = null;
    this.transports = [];
  }

  _setListening(listeners) {
    this.transports = listeners.map((l) => ({ type: l.type, url: l.url }));
    const ws = listeners.find((l) => l.type !== 'rawsocket' && /^wss?:\/\//.test(l.url));
    this.url = ws ? ws.url : null;
  }

  _onEvent(kind, payload) {
    let data;
    try {
      data = JSON.parse(payload);
    } catch (err) {
      this._emitLog('error', `bad event from the native router (${kind}): ${err.message}`);
      return;
    }
    if (kind === 'log') this._emitLog(data.level, data.message);
    else if (kind === 'auth') this._authenticate(data);
  }

  _emitLog(level, message) {
    if (!this._log) return;
    try {
      this._log(level, message);
    } catch (err) {
      process.stderr.write(`autobahn router: the log function threw: ${err && err.stack ? err.stack : err}\n`);
    }
  }

  // Every request gets exactly one answer: a principal, or a denial with the reason.
  _authenticate({ id, realm, authid, authmethod, details }) {
    const native = this._native;
    const answer = (principal, denial) => {
      try {
        if (native) native.authDecision(id, principal === null ? null : JSON.stringify(principal), denial);
      } catch (err) {
        // A principal the native side cannot use (the join is denied with the reason), or the
        // router stopped meanwhile (the session is gone with it).
        this._emitLog('warn', `authentication answer for ${authid}: ${err.message}`);
      }
    };
    const authenticator = this._authenticator;
    if (!authenticator) {
      answer(null, 'no authenticator is configured');
      return;
    }
    const info = Object.assign({ authmethod }, details);
    new Promise((resolve) => resolve(authenticator(realm, authid, info))).then(principalFromAnswer).then(
      (principal) => answer(principal, null),
      (err) => {
        if (err instanceof TypeError && /^the authenticator /.test(err.message)) this._emitLog('error', err.message);
        answer(null, denialMessage(err));
      }
    );
  }

  /**
   * Router options from a Crossbar.io node config (a path to config.json, the directory that
   * holds it, or the parsed object). `extra` adds Router options the config cannot carry
   * (authenticator, log). What the embedded router does not do is named in one process warning
   * and in `router.warnings`.
   */
  static fromCrossbarConfig(pathOrObject, extra = {}) {
    let config;
    let baseDir = process.cwd();
    if (typeof pathOrObject === 'string') {
      let file = path.resolve(pathOrObject);
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'config.json');
      let text;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`Router.fromCrossbarConfig: cannot read ${file}: ${err.message}`, { cause: err });
      }
      try {
        config = JSON.parse(text);
      } catch (err) {
        throw new Error(
          `Router.fromCrossbarConfig: ${file} is not JSON (only config.json is read, not YAML): ${err.message}`,
          { cause: err }
        );
      }
      baseDir = path.dirname(file);
    } else if (isPlainObject(pathOrObject)) {
      config = pathOrObject;
    } else {
      throw fail(TypeError, 'Router.fromCrossbarConfig argument', 'a path or a config object', pathOrObject);
    }
    checkObject(extra, 'Router.fromCrossbarConfig extra options');
    checkKeys(extra, ['authenticator', 'log'], 'extra');
    const { translateCrossbarConfig } = require('./crossbar-config.js');
    const { options, ignored } = translateCrossbarConfig(config, baseDir);
    const router = new Router(Object.assign(options, extra), { baseDir, warnings: ignored });
    if (ignored.length > 0) {
      process.emitWarning(`Crossbar.io config: not supported by the embedded router, ignored: ${ignored.join('; ')}`, {
        code: WARNING_CODE,
      });
    }
    return router;
  }
}

module.exports = { Router, normalizeOptions, WARNING_CODE };
