'use strict';
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/jest'],
  globalSetup: '<rootDir>/jest/global-setup.js',
  globalTeardown: '<rootDir>/jest/global-teardown.js',
};
