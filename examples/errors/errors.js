// Errors in both directions: an endpoint raising autobahn.Error, a plain Error, and a call
// to a procedure nobody registered.
const autobahn = require('../..');

const connection = new autobahn.Connection({
  url: process.env.WAMP_URL || 'ws://127.0.0.1:8080/ws',
  realm: process.env.WAMP_REALM || 'realm1',
  on_user_error: function (err, msg) {
    console.log('on_user_error:', msg, '-', err.message);
  },
});

connection.onopen = function (session) {
  function sqrt(args) {
    var x = args[0];
    if (x === 0) throw new Error("don't ask foolish questions ;)");
    if (x < 0) throw new autobahn.Error('com.myapp.error.negative', [x], { hint: 'use a non-negative number' });
    return Math.sqrt(x);
  }
  session
    .register('com.myapp.sqrt', sqrt)
    .then(function () {
      return autobahn.when.settle([
        session.call('com.myapp.sqrt', [16]),
        session.call('com.myapp.sqrt', [0]),
        session.call('com.myapp.sqrt', [-1]),
        session.call('com.myapp.nosuchproc'),
      ]);
    })
    .then(function (outcomes) {
      outcomes.forEach(function (o) {
        if (o.state === 'fulfilled') console.log('result:', o.value);
        else console.log('error:', o.reason.error, o.reason.args, o.reason.kwargs);
      });
      connection.close();
    });
};

connection.open();
