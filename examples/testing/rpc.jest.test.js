// A jest suite that runs against the embedded router of jest.global-setup.js:
//   npx jest --config examples/testing/jest.config.js
// (jest is not a dependency of autobahn; install it in your project.)
'use strict';
const { openSession } = require('./session');

let callee;
let caller;

beforeAll(async () => {
  callee = await openSession();
  caller = await openSession();
  await callee.session.register('com.example.add2', (args) => args[0] + args[1]);
});

afterAll(() => {
  callee.connection.close();
  caller.connection.close();
});

test('a call reaches the callee', async () => {
  await expect(caller.session.call('com.example.add2', [2, 3])).resolves.toBe(5);
});

test('an event reaches the subscriber', async () => {
  let onEvent;
  const received = new Promise((resolve) => (onEvent = resolve));
  await callee.session.subscribe('com.example.hello', (args) => onEvent(args));
  await caller.session.publish('com.example.hello', ['hi'], {}, { acknowledge: true });
  await expect(received).resolves.toEqual(['hi']);
});
