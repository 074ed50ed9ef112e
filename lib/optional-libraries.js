'use strict';
// Autobahn|JS exports the libraries it bundles as `autobahn.msgpack` (msgpack5), `autobahn.cbor`
// (cbor) and `autobahn.nacl` (tweetnacl). The engine does not need them, so they are not
// dependencies of this package: each is loaded on first use when the application has it
// installed, and otherwise stands in as a stub whose every use throws an error that names the npm
// package to install. A stub (rather than a getter that throws) keeps `{...autobahn}`, `import *`
// and console.log(autobahn) working without them.

const LIBRARIES = { msgpack: 'msgpack5', cbor: 'cbor', nacl: 'tweetnacl' };

function missingError(exportName, pkg, cause) {
  const err = new Error(
    `autobahn.${exportName} is the npm package '${pkg}', which is not installed: run \`npm install ${pkg}\` ` +
      `(this package does not depend on it; Autobahn|JS bundled it)`
  );
  err.code = 'AUTOBAHN_OPTIONAL_LIBRARY_MISSING';
  err.cause = cause;
  return err;
}

// A function-shaped stub: calling it, constructing it, or reading any string-named property
// throws. Symbols and `then` read as undefined, so inspection and `await` do not throw.
function stub(exportName, pkg, cause) {
  const fail = () => {
    throw missingError(exportName, pkg, cause);
  };
  const target = function unavailable() {};
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === 'symbol' || key === 'then') return undefined;
      return fail();
    },
    apply: fail,
    construct: fail,
    has: () => false,
    set: fail,
  });
}

// `require` here resolves from this package; an application's own install is found there too,
// since npm places it in (or above) the node_modules that holds this package.
function load(exportName) {
  const pkg = LIBRARIES[exportName];
  try {
    return require(pkg);
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${pkg}'`)) {
      return stub(exportName, pkg, e);
    }
    throw e;
  }
}

/** Defines the lazy getters `msgpack`, `cbor`, `nacl` on `target` (enumerable, as exports). */
function defineOptionalLibraries(target) {
  for (const exportName of Object.keys(LIBRARIES)) {
    let value;
    let loaded = false;
    Object.defineProperty(target, exportName, {
      enumerable: true,
      configurable: true,
      get() {
        if (!loaded) {
          value = load(exportName);
          loaded = true;
        }
        return value;
      },
    });
  }
}

/** Autobahn|JS's `auth_persona`: Mozilla Persona was shut down in 2016. */
function auth_persona() {
  throw new Error(
    'autobahn.auth_persona: Mozilla Persona authentication is obsolete (the service was shut down in 2016) ' +
      'and not supported; use ticket, WAMP-CRA (autobahn.auth_cra), WAMP-SCRAM or WAMP-Cryptosign ' +
      '(autobahn.auth_cryptosign)'
  );
}

module.exports = { defineOptionalLibraries, auth_persona, LIBRARIES };
