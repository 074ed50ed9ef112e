// One router for the run: its URL reaches the test files (and jest's workers) as WAMP_URL.
'use strict';
const { Router } = require('autobahn');

module.exports = async function globalSetup() {
  const router = new Router({ log: false });
  await router.start();
  process.env.WAMP_URL = router.url;
  process.env.JEST_MAIN_PID = String(process.pid);
  globalThis.__WAMP_ROUTER__ = router;
};
