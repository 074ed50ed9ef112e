// Translates a Crossbar.io node config (config.json, version 2) into embedded Router options.
// The router workers' realms (roles, permissions) and WAMP transports are translated; whatever
// else the config asks for (other workers, components, web resources, worker and WebSocket
// options, ...) is returned by name in `ignored`, so the caller can say so in one warning.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isEmpty = (v) => v === undefined || (isPlainObject(v) && Object.keys(v).length === 0);

// Crossbar.io serializer names -> ours; `ujson` is JSON with a faster Python library.
const SERIALIZER_NAMES = { json: 'json', ujson: 'json', msgpack: 'msgpack', cbor: 'cbor' };
const PRINCIPAL_KEYS = {
  ticket: ['role', 'realm', 'extra', 'ticket'],
  wampcra: ['role', 'realm', 'extra', 'secret', 'salt', 'iterations', 'keylen'],
  cryptosign: ['role', 'realm', 'extra', 'authorized_keys'],
  scram: ['role', 'realm', 'extra', 'kdf', 'iterations', 'memory', 'salt', 'stored-key', 'server-key'],
};

class Translation {
  constructor(baseDir) {
    this.baseDir = baseDir;
    this.ignored = [];
  }

  ignore(what) {
    this.ignored.push(what);
  }

  // Names the keys of `obj` not in `known` (`id` carries no behaviour and is accepted).
  ignoreOtherKeys(obj, known, key) {
    for (const k of Object.keys(obj)) {
      if (k !== 'id' && !known.includes(k)) this.ignore(`${key}.${k}`);
    }
  }
}

function fail(key, what, value) {
  return new TypeError(`Router.fromCrossbarConfig: ${key} must be ${what}, got ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------
// realms

function permission(p, key, tr) {
  if (!isPlainObject(p)) throw fail(key, 'an object', p);
  // `cache` lets Crossbar.io keep an authorization decision per URI; static permissions decide
  // the same every time, so leaving it out changes nothing.
  tr.ignoreOtherKeys(p, ['uri', 'match', 'allow', 'disclose', 'cache'], key);
  let { uri, match } = p;
  // Crossbar.io reads a permission without `match` whose URI ends in `*` as a prefix.
  if (match === undefined && typeof uri === 'string' && uri.endsWith('*')) {
    uri = uri.slice(0, -1);
    match = 'prefix';
  }
  const out = { uri, match: match === undefined ? 'exact' : match };
  if (p.allow !== undefined) out.allow = p.allow;
  if (p.disclose !== undefined) out.disclose = p.disclose;
  return out;
}

function role(r, key, tr) {
  if (!isPlainObject(r)) throw fail(key, 'an object', r);
  tr.ignoreOtherKeys(r, ['name', 'permissions', 'authorizer'], key);
  if (r.authorizer !== undefined) {
    tr.ignore(
      `${key}.authorizer (dynamic authorizer ${JSON.stringify(r.authorizer)}: only static permissions are checked)`
    );
  }
  const permissions = Array.isArray(r.permissions) ? r.permissions : [];
  if (r.permissions !== undefined && !Array.isArray(r.permissions))
    throw fail(`${key}.permissions`, 'an array', r.permissions);
  return { name: r.name, permissions: permissions.map((p, i) => permission(p, `${key}.permissions[${i}]`, tr)) };
}

function realm(r, key, tr) {
  if (!isPlainObject(r)) throw fail(key, 'an object', r);
  tr.ignoreOtherKeys(r, ['name', 'roles'], key);
  if (r.roles !== undefined && !Array.isArray(r.roles)) throw fail(`${key}.roles`, 'an array', r.roles);
  // A Crossbar.io realm without roles admits nobody; keep that instead of our default role.
  return { name: r.name, roles: (r.roles || []).map((x, i) => role(x, `${key}.roles[${i}]`, tr)) };
}

// ---------------------------------------------------------------------------------------------
// transports

function serializers(list, key, tr) {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw fail(key, 'an array', list);
  const out = [];
  for (const name of list) {
    const ours = SERIALIZER_NAMES[name];
    if (!ours) tr.ignore(`${key}: serializer ${JSON.stringify(name)}`);
    else if (!out.includes(ours)) out.push(ours);
  }
  if (out.length === 0) {
    throw new RangeError(
      `Router.fromCrossbarConfig: ${key} names no serializer the embedded router has (json, msgpack, cbor)`
    );
  }
  return out;
}

function port(value, key) {
  if (typeof value === 'string' && /^\d+$/.test(value)) value = Number(value);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(
      `Router.fromCrossbarConfig: ${key} must be a port number (0 to 65535), got ${JSON.stringify(value)}`
    );
  }
  return value;
}

// The PEM files (paths relative to the config) as one text.
function readPemFiles(files, key, tr) {
  return files
    .map((file) => {
      const full = path.resolve(tr.baseDir, file);
      try {
        return fs.readFileSync(full, 'utf8').trimEnd() + '\n';
      } catch (err) {
        throw new Error(`Router.fromCrossbarConfig: ${key}: cannot read ${full}: ${err.message}`, { cause: err });
      }
    })
    .join('');
}

function tls(t, key, tr) {
  if (!isPlainObject(t)) throw fail(key, 'an object', t);
  tr.ignoreOtherKeys(t, ['key', 'certificate', 'chain_certificates', 'ca_certificates'], key);
  if (typeof t.key !== 'string' || typeof t.certificate !== 'string') {
    throw fail(key, 'an object with key and certificate (file paths)', t);
  }
  const out = { certificate: t.certificate, key: t.key };
  if (t.chain_certificates !== undefined) {
    if (!Array.isArray(t.chain_certificates))
      throw fail(`${key}.chain_certificates`, 'an array of file paths', t.chain_certificates);
    // The listener takes one PEM chain: the certificate followed by its intermediates.
    out.certificate = readPemFiles([t.certificate, ...t.chain_certificates], key, tr);
  }
  if (t.ca_certificates !== undefined) {
    if (!Array.isArray(t.ca_certificates))
      throw fail(`${key}.ca_certificates`, 'an array of file paths', t.ca_certificates);
    // Clients must then present a certificate signed by one of these CAs.
    out.ca = readPemFiles(t.ca_certificates, key, tr);
  }
  return out;
}

// The listening address of a transport, or null when the endpoint type cannot be served.
function endpoint(e, key, tr) {
  if (!isPlainObject(e)) throw fail(key, 'an object', e);
  if (e.type === 'unix') {
    tr.ignoreOtherKeys(e, ['type', 'path'], key);
    if (typeof e.path !== 'string') throw fail(`${key}.path`, 'a file path', e.path);
    return { unix: path.resolve(tr.baseDir, e.path) };
  }
  if (e.type !== 'tcp') return null;
  tr.ignoreOtherKeys(e, ['type', 'port', 'interface', 'version', 'tls'], key);
  const out = { port: port(e.port, `${key}.port`) };
  // Crossbar.io listens on every interface when none is given.
  if (e.interface !== undefined) out.host = e.interface;
  else out.host = e.version === 6 ? '::' : '0.0.0.0';
  if (e.tls !== undefined) out.tls = tls(e.tls, `${key}.tls`, tr);
  return out;
}

function principals(list, method, key, tr) {
  if (list === undefined) return undefined;
  if (!isPlainObject(list)) throw fail(key, 'an object (authid -> principal)', list);
  const out = {};
  for (const [authid, p] of Object.entries(list)) {
    const k = `${key}[${JSON.stringify(authid)}]`;
    if (!isPlainObject(p)) throw fail(k, 'an object', p);
    tr.ignoreOtherKeys(p, PRINCIPAL_KEYS[method], k);
    out[authid] = Object.fromEntries(Object.entries(p).filter(([name]) => PRINCIPAL_KEYS[method].includes(name)));
  }
  return out;
}

function auth(a, key, tr) {
  if (!isPlainObject(a)) throw fail(key, 'an object', a);
  const out = {};
  for (const [method, m] of Object.entries(a)) {
    const k = `${key}.${method}`;
    if (!['anonymous', 'ticket', 'wampcra', 'cryptosign', 'scram'].includes(method)) {
      tr.ignore(`${k} (authentication method ${method})`);
      continue;
    }
    if (!isPlainObject(m)) throw fail(k, 'an object', m);
    const entry = {};
    if (m.type !== undefined) entry.type = m.type;
    if (m.type === 'dynamic' && m.authenticator !== undefined) {
      tr.ignore(
        `${k}.authenticator (WAMP procedure ${JSON.stringify(m.authenticator)}: the authenticator function given to fromCrossbarConfig decides instead)`
      );
    }
    const listKey = method === 'wampcra' && m.users !== undefined ? 'users' : 'principals';
    if (method === 'anonymous') {
      tr.ignoreOtherKeys(m, ['type', 'role', 'authenticator'], k);
      if (m.role !== undefined) entry.role = m.role;
    } else {
      tr.ignoreOtherKeys(m, ['type', 'authenticator', listKey], k);
      const p = principals(m[listKey], method, `${k}.${listKey}`, tr);
      if (p !== undefined) entry.principals = p;
    }
    out[method] = entry;
  }
  return out;
}

// One WAMP-over-WebSocket resource ({type: 'websocket', serializers, options, auth}).
function websocketResource(ws, key, tr) {
  if (!isPlainObject(ws)) throw fail(key, 'an object', ws);
  tr.ignoreOtherKeys(ws, ['type', 'serializers', 'options', 'auth'], key);
  const out = {};
  const s = serializers(ws.serializers, `${key}.serializers`, tr);
  if (s) out.serializers = s;
  if (ws.options !== undefined) {
    if (!isPlainObject(ws.options)) throw fail(`${key}.options`, 'an object', ws.options);
    tr.ignoreOtherKeys(ws.options, ['max_message_size'], `${key}.options`);
    if (ws.options.max_message_size !== undefined) out.max_message_size = ws.options.max_message_size;
  }
  if (ws.auth !== undefined) out.auth = auth(ws.auth, `${key}.auth`, tr);
  return out;
}

function httpPath(name) {
  return name.startsWith('/') ? name : `/${name}`;
}

// From a map of paths (a universal transport's `websocket`, a web transport's `paths`): the
// WAMP WebSocket resources with their paths (the first is the listener's own, the others go to
// `paths`); every other resource is named as ignored.
function websocketPaths(paths, key, tr, { onlyWebsocket }) {
  if (!isPlainObject(paths)) throw fail(key, 'an object (path -> resource)', paths);
  const found = [];
  for (const [name, resource] of Object.entries(paths)) {
    const k = `${key}[${JSON.stringify(name)}]`;
    const type = isPlainObject(resource) ? resource.type : undefined;
    if (type === 'websocket' || (onlyWebsocket && type === undefined)) {
      found.push({ path: httpPath(name), resource: websocketResource(resource, k, tr) });
    } else {
      tr.ignore(`${k} (web resource${type ? ` of type ${type}` : ''})`);
    }
  }
  return found;
}

// The listener's WebSocket settings from its first path, the other paths as `paths`.
function applyPaths(out, found) {
  const [first, ...more] = found;
  out.path = first.path;
  Object.assign(out, first.resource);
  if (more.length > 0) out.paths = more.map((p) => Object.assign({ path: p.path }, p.resource));
}

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function transport(t, key, tr) {
  if (!isPlainObject(t)) throw fail(key, 'an object', t);
  const base = endpoint(t.endpoint, `${key}.endpoint`, tr);
  if (base === null) {
    tr.ignore(`${key} (transport with endpoint type ${JSON.stringify(t.endpoint.type)})`);
    return null;
  }
  const out = Object.assign({ type: t.type }, base);
  switch (t.type) {
    case 'websocket': {
      tr.ignoreOtherKeys(t, ['type', 'endpoint', 'serializers', 'options', 'auth', 'url'], key);
      Object.assign(out, websocketResource({ serializers: t.serializers, options: t.options, auth: t.auth }, key, tr));
      // `url` only tells Crossbar.io its public address; a listener does not need it.
      return out;
    }
    case 'rawsocket': {
      tr.ignoreOtherKeys(t, ['type', 'endpoint', 'serializers', 'max_message_size', 'options', 'auth'], key);
      const s = serializers(t.serializers, `${key}.serializers`, tr);
      if (s) out.serializers = s;
      if (t.max_message_size !== undefined) out.max_message_size = t.max_message_size;
      if (t.options !== undefined) {
        if (!isPlainObject(t.options)) throw fail(`${key}.options`, 'an object', t.options);
        tr.ignoreOtherKeys(t.options, ['max_message_size'], `${key}.options`);
        if (t.options.max_message_size !== undefined) out.max_message_size = t.options.max_message_size;
      }
      if (t.auth !== undefined) out.auth = auth(t.auth, `${key}.auth`, tr);
      return out;
    }
    case 'web': {
      tr.ignoreOtherKeys(t, ['type', 'endpoint', 'paths'], key);
      const found = t.paths === undefined ? [] : websocketPaths(t.paths, `${key}.paths`, tr, { onlyWebsocket: false });
      if (found.length === 0) {
        tr.ignore(`${key} (web transport without a WAMP WebSocket path)`);
        return null;
      }
      out.type = 'websocket';
      applyPaths(out, found);
      return out;
    }
    case 'universal':
      return universal(t, key, out, tr);
    default:
      tr.ignore(`${key} (transport type ${JSON.stringify(t.type)})`);
      return null;
  }
}

// One port for RawSocket and WebSocket: the listener has one serializer list, size limit and
// auth section, so differing settings of the two are merged and the difference named.
function universal(t, key, out, tr) {
  tr.ignoreOtherKeys(t, ['type', 'endpoint', 'rawsocket', 'websocket', 'web'], key);
  if (t.web !== undefined) {
    const paths = isPlainObject(t.web) && t.web.paths !== undefined ? t.web.paths : {};
    if (isPlainObject(t.web)) tr.ignoreOtherKeys(t.web, ['paths'], `${key}.web`);
    for (const name of Object.keys(paths)) tr.ignore(`${key}.web.paths[${JSON.stringify(name)}] (web resource)`);
  }
  let raw = null;
  if (t.rawsocket !== undefined) {
    const r = t.rawsocket;
    if (!isPlainObject(r)) throw fail(`${key}.rawsocket`, 'an object', r);
    tr.ignoreOtherKeys(r, ['serializers', 'max_message_size', 'auth'], `${key}.rawsocket`);
    raw = {
      serializers: serializers(r.serializers, `${key}.rawsocket.serializers`, tr),
      max_message_size: r.max_message_size,
    };
    if (r.auth !== undefined) raw.auth = auth(r.auth, `${key}.rawsocket.auth`, tr);
  }
  const found =
    t.websocket === undefined ? [] : websocketPaths(t.websocket, `${key}.websocket`, tr, { onlyWebsocket: true });
  const ws = found.length > 0 ? found[0] : null;
  if (ws) {
    applyPaths(out, found);
  } else if (raw) {
    out.type = 'rawsocket';
  } else {
    tr.ignore(`${key} (universal transport with neither rawsocket nor websocket)`);
    return null;
  }
  if (raw && ws) {
    const wsSer = out.serializers || ['json', 'msgpack', 'cbor'];
    const rawSer = raw.serializers || ['json', 'msgpack', 'cbor'];
    if (!sameJson(wsSer, rawSer)) {
      out.serializers = [...new Set([...wsSer, ...rawSer])];
      tr.ignore(
        `${key}: separate serializer lists for rawsocket and websocket (both accept ${out.serializers.join(', ')})`
      );
    }
    if (raw.max_message_size !== undefined && raw.max_message_size !== out.max_message_size) {
      if (out.max_message_size === undefined) out.max_message_size = raw.max_message_size;
      else
        tr.ignore(`${key}.rawsocket.max_message_size (the WebSocket path's ${out.max_message_size} applies to both)`);
    }
    if (raw.auth !== undefined && !sameJson(raw.auth, out.auth)) {
      if (out.auth === undefined) {
        out.auth = raw.auth;
        tr.ignore(`${key}: WebSocket without an auth section (rawsocket.auth applies to both)`);
      } else {
        tr.ignore(`${key}.rawsocket.auth (the WebSocket path's auth applies to both)`);
      }
    } else if (raw.auth === undefined && out.auth !== undefined) {
      tr.ignore(`${key}: RawSocket without an auth section (the WebSocket path's auth applies to both)`);
    }
  } else if (raw) {
    if (raw.serializers) out.serializers = raw.serializers;
    if (raw.max_message_size !== undefined) out.max_message_size = raw.max_message_size;
    if (raw.auth !== undefined) out.auth = raw.auth;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function routerWorker(w, key, tr, options) {
  tr.ignoreOtherKeys(w, ['type', 'realms', 'transports', 'options', 'components'], key);
  if (!isEmpty(w.options)) tr.ignore(`${key}.options (worker options: ${Object.keys(w.options).join(', ')})`);
  for (const [i, c] of (Array.isArray(w.components) ? w.components : []).entries()) {
    const what = isPlainObject(c) ? [c.type, c.classname || c.class || c.id].filter(Boolean).join(' ') : '';
    tr.ignore(`${key}.components[${i}] (component${what ? ` ${what}` : ''})`);
  }
  if (w.realms !== undefined && !Array.isArray(w.realms)) throw fail(`${key}.realms`, 'an array', w.realms);
  if (w.transports !== undefined && !Array.isArray(w.transports))
    throw fail(`${key}.transports`, 'an array', w.transports);
  for (const [i, r] of (w.realms || []).entries()) options.realms.push(realm(r, `${key}.realms[${i}]`, tr));
  for (const [i, t] of (w.transports || []).entries()) {
    const out = transport(t, `${key}.transports[${i}]`, tr);
    if (out) options.transports.push(out);
  }
}

/**
 * @param {object} config a parsed Crossbar.io node config
 * @param {string} baseDir the node directory (relative file paths start there)
 * @returns {{options: object, ignored: string[]}}
 */
function translateCrossbarConfig(config, baseDir = process.cwd()) {
  if (!isPlainObject(config)) throw fail('the config', 'an object', config);
  if (config.version !== undefined && config.version !== 2) {
    throw new RangeError(
      `Router.fromCrossbarConfig: only config version 2 is read, got version ${JSON.stringify(config.version)}`
    );
  }
  if (!Array.isArray(config.workers)) throw fail('workers', 'an array', config.workers);
  const tr = new Translation(baseDir);
  tr.ignoreOtherKeys(config, ['version', 'controller', 'workers'], 'config');
  if (!isEmpty(config.controller)) tr.ignore(`controller (${Object.keys(config.controller).join(', ')})`);
  const options = { realms: [], transports: [] };
  let routers = 0;
  for (const [i, w] of config.workers.entries()) {
    const key = `workers[${i}]`;
    if (!isPlainObject(w)) throw fail(key, 'an object', w);
    if (w.type === 'router') {
      routers++;
      routerWorker(w, key, tr, options);
    } else {
      tr.ignore(`${key} (${w.type} worker)`);
    }
  }
  if (routers === 0) throw new RangeError('Router.fromCrossbarConfig: the config has no router worker');
  if (routers > 1) tr.ignore(`separate router processes: the ${routers} router workers share one embedded router`);
  if (options.transports.length === 0) {
    throw new RangeError(
      'Router.fromCrossbarConfig: the router workers have no transport the embedded router can serve'
    );
  }
  return { options, ignored: tr.ignored };
}

module.exports = { translateCrossbarConfig };
