// Opens an autobahn.Connection to the router the test run started (WAMP_URL / WAMP_REALM) and
// resolves with { connection, session } once the session has joined.
'use strict';
const autobahn = require('autobahn');

function openSession() {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({
      url: process.env.WAMP_URL,
      realm: process.env.WAMP_REALM || 'realm1',
      max_retries: 0, // a test should fail at once, not wait for reconnects
      use_es6_promises: true,
    });
    connection.onopen = (session) => resolve({ connection, session });
    connection.onclose = (reason, details) => {
      reject(new Error(`could not join: ${reason} ${details.reason || ''} ${details.message || ''}`));
    };
    connection.open();
  });
}

module.exports = { openSession };
