'use strict';
// `autobahn.transports`: Autobahn|JS's registry of transport factories. Here the transports are
// part of the native engine: the registry lists the built-in types (websocket, rawsocket) for code
// that inspects it, and refuses a factory of the user's own, since the engine could not use it.

const BUILT_IN = ['websocket', 'rawsocket'];

/** Stands for a transport type the engine implements; Connection.open() creates the transport. */
class NativeTransportFactory {
  constructor(options) {
    this._options = options || {};
  }

  create() {
    throw new Error(
      `autobahn: the '${this.type}' transport is created by Connection.open() in the native engine; ` +
        `pass {type: '${this.type}', ...} in the Connection's transports option`
    );
  }
}

function factoryFor(type) {
  const Factory = class extends NativeTransportFactory {};
  Object.defineProperty(Factory, 'name', { value: `${type[0].toUpperCase()}${type.slice(1)}TransportFactory` });
  Factory.prototype.type = type;
  return Factory;
}

class Transports {
  constructor() {
    this._repository = Object.create(null);
    for (const type of BUILT_IN) this._repository[type] = factoryFor(type);
  }

  /** Only a built-in type's own factory can be (re-)registered. */
  register(name, factory) {
    if (typeof name === 'string' && this._repository[name] !== undefined && this._repository[name] === factory) {
      return;
    }
    throw new TypeError(
      `autobahn.transports.register(${JSON.stringify(name)}): custom transport factories are not supported; ` +
        `the native engine implements the transports ${BUILT_IN.map((t) => `'${t}'`).join(' and ')} ` +
        "(choose one with the Connection's transports option: [{type, url, ...}])"
    );
  }

  isRegistered(name) {
    return !!this._repository[name];
  }

  /** The factory of a type; throws the string `no such transport: <name>` as Autobahn|JS does. */
  get(name) {
    if (this._repository[name] !== undefined) return this._repository[name];
    throw 'no such transport: ' + name;
  }

  list() {
    return Object.keys(this._repository);
  }
}

module.exports = { transports: new Transports(), Transports, NativeTransportFactory };
