'use strict';
// ESLint (flat config): the recommended rules with Node's globals, for CommonJS code.
const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  {
    ignores: ['node_modules/', 'target/', 'native.js', 'native.d.ts', '.venv/', '__test__/python/'],
  },
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'commonjs',
      globals: { ...globals.node },
    },
    rules: {
      // `_name` marks a parameter kept for its position (a reviver's key, say).
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // jest suites in the testing examples use jest's globals.
    files: ['examples/testing/*.jest.test.js'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    // ES modules: the package's ES entry and the packaging test's ES suites.
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  {
    // The jest suites of the packaging test's project (__test__/package/).
    files: ['__test__/package/project/jest/*.test.js'],
    languageOptions: { globals: { ...globals.jest } },
  },
];
