'use strict';
module.exports = async function globalTeardown() {
  await globalThis.__WAMP_ROUTER__.stop();
};
