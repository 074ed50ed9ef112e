// jest globalSetup: starts one embedded WAMP router for the whole test run and tells the test
// files where it is through WAMP_URL / WAMP_REALM (jest starts its workers after this, so they
// inherit the environment).
//
// jest is not a dependency of autobahn: `npm install --save-dev jest autobahn` in your project,
// and point jest at this pair (see jest.config.js):
//   globalSetup: './jest.global-setup.js', globalTeardown: './jest.global-teardown.js'
'use strict';
const { Router } = require('autobahn');

module.exports = async function globalSetup() {
  // realm1, role anonymous may do everything, ws://127.0.0.1:<free port>/ws
  const router = new Router({ log: false });
  await router.start();
  process.env.WAMP_URL = router.url;
  process.env.WAMP_REALM = 'realm1';
  // globalSetup and globalTeardown run in the same process and share globalThis.
  globalThis.__WAMP_ROUTER__ = router;
};
