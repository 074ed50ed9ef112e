// Which router the tests run against by default: the embedded one once the addon has it
// (NativeRouter), Crossbar.io until then. ROUTER=embedded|crossbar overrides.
'use strict';

function embeddedRouterBuilt() {
  try {
    return typeof require('../native.js').NativeRouter === 'function';
  } catch {
    return false;
  }
}

module.exports = { embeddedRouterBuilt };
