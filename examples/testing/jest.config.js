// jest configuration for the example suite in this directory (jest is not a dependency of
// autobahn; install it in your project).
'use strict';

module.exports = {
  testEnvironment: 'node',
  globalSetup: './jest.global-setup.js',
  globalTeardown: './jest.global-teardown.js',
  testMatch: ['**/rpc.jest.test.js'],
};
