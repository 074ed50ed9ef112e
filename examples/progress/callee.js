// Progressive call results, callee side: the seed's `longop` (Autobahn|JS style, when.js).
const autobahn = require('../..');
const when = autobahn.when;

const connection = new autobahn.Connection({
  url: process.env.WAMP_URL || 'ws://127.0.0.1:8080/ws',
  realm: process.env.WAMP_REALM || 'realm1',
});

connection.onopen = function (session) {
  function longop(args, kwargs, details) {
    var n = args[0];
    var interval_id = null;
    if (details.progress) {
      var i = 0;
      details.progress([i]);
      i += 1;
      interval_id = setInterval(function () {
        if (i < n) {
          details.progress([i]);
          i += 1;
        } else {
          clearInterval(interval_id);
        }
      }, 100);
    }
    var d = when.defer();
    setTimeout(function () {
      d.resolve(n);
    }, 100 * n);
    return d.promise;
  }

  session.register('com.myapp.longop', longop).then(
    function (registration) {
      console.log('callee: registered com.myapp.longop (registration ' + registration.id + ')');
    },
    function (err) {
      console.log('callee: failed to register: ' + err.error);
      connection.close();
    }
  );
};

connection.onclose = function (reason) {
  console.log('callee: connection closed (' + reason + ')');
};

connection.open();
process.on('SIGTERM', function () {
  if (connection.isOpen) connection.close();
});
