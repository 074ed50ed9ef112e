// Call the procedures of callee.js.
const autobahn = require('../..');

const connection = new autobahn.Connection({
  url: process.env.WAMP_URL || 'ws://127.0.0.1:8080/ws',
  realm: process.env.WAMP_REALM || 'realm1',
});

connection.onopen = function (session) {
  session
    .call('com.myapp.add2', [2, 3])
    .then(function (res) {
      console.log('caller: add2(2, 3) =', res);
      return session.call('com.myapp.split_name', ['Ada Lovelace']);
    })
    .then(function (res) {
      console.log('caller: split_name ->', res.args, res.kwargs);
      return session.call('com.myapp.slow_square', [12]);
    })
    .then(function (res) {
      console.log('caller: slow_square(12) =', res);
    })
    .catch(function (err) {
      console.log('caller: call failed:', err.error, err.args);
    })
    .finally(function () {
      connection.close();
    });
};

connection.open();
