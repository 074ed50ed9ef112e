// Publish three events, each acknowledged by the router.
const autobahn = require('../..');

const connection = new autobahn.Connection({
  url: process.env.WAMP_URL || 'ws://127.0.0.1:8080/ws',
  realm: process.env.WAMP_REALM || 'realm1',
});

connection.onopen = function (session) {
  var published = [];
  for (var i = 1; i <= 3; i++) {
    published.push(
      session.publish('com.myapp.hello', ['Hello, world! #' + i], { from: 'publisher.js' }, { acknowledge: true })
    );
  }
  autobahn.when.all(published).then(function (pubs) {
    console.log(
      'publisher: published',
      pubs.map(function (p) {
        return p.id;
      })
    );
    connection.close();
  });
};

connection.open();
