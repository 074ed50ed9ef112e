'use strict';
// `autobahn.log`, as in Autobahn|JS: `debug` prints its first argument as indented JSON when
// AUTOBAHN_DEBUG is set (a global or an environment variable) and appends it to the file named by
// AUTOBAHN_TRACE when that is set; otherwise it does nothing. `warn` is console.warn.

const fs = require('node:fs');

function debugEnabled() {
  return !!(globalThis.AUTOBAHN_DEBUG || process.env.AUTOBAHN_DEBUG);
}

let debug = function debug() {};
if (debugEnabled()) {
  debug = function debug(...args) {
    console.log(JSON.stringify(args[0], null, '  '));
  };
}
if (process.env.AUTOBAHN_TRACE) {
  const traceFile = process.env.AUTOBAHN_TRACE;
  debug = function debug(...args) {
    fs.appendFileSync(traceFile, JSON.stringify(args[0], null, '  ') + '\n\n');
  };
}

const warn = console.warn.bind(console);

module.exports = { debug, warn };
