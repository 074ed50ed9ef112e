// Subscribe to a topic and print events; leaves after 3 events.
const autobahn = require('../..');

const connection = new autobahn.Connection({
  url: process.env.WAMP_URL || 'ws://127.0.0.1:8080/ws',
  realm: process.env.WAMP_REALM || 'realm1',
});

connection.onopen = function (session) {
  var received = 0;
  function onhello(args, kwargs, details) {
    console.log('subscriber: event', args, kwargs, 'publication', details.publication);
    received += 1;
    if (received === 3) connection.close();
  }
  session.subscribe('com.myapp.hello', onhello).then(function (sub) {
    console.log('subscriber: subscribed to ' + sub.topic + ' (subscription ' + sub.id + ')');
  });
};

connection.open();
