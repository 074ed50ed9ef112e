// jest globalTeardown: stops the router jest.global-setup.js started (every session gets
// GOODBYE wamp.close.system_shutdown), so nothing keeps the jest process alive.
'use strict';

module.exports = async function globalTeardown() {
  const router = globalThis.__WAMP_ROUTER__;
  if (router) await router.stop();
};
