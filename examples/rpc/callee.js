// Register procedures: a plain value, an autobahn.Result, and a promise.
const autobahn = require('../..');

const connection = new autobahn.Connection({
  url: process.env.WAMP_URL || 'ws://127.0.0.1:8080/ws',
  realm: process.env.WAMP_REALM || 'realm1',
});

connection.onopen = function (session) {
  function add2(args) {
    return args[0] + args[1];
  }
  function split_name(args) {
    var parts = args[0].split(' ');
    return new autobahn.Result(parts, { count: parts.length });
  }
  function slow_square(args) {
    var d = autobahn.when.defer();
    setTimeout(function () {
      d.resolve(args[0] * args[0]);
    }, 200);
    return d.promise;
  }
  autobahn.when
    .all([
      session.register('com.myapp.add2', add2),
      session.register('com.myapp.split_name', split_name),
      session.register('com.myapp.slow_square', slow_square),
    ])
    .then(function () {
      console.log('callee: registered com.myapp.add2, com.myapp.split_name, com.myapp.slow_square');
    });
};

connection.open();
process.on('SIGTERM', function () {
  if (connection.isOpen) connection.close();
});
