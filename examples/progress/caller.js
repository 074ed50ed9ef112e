// Progressive call results, caller side: the third `then` callback gets each progress update.
const autobahn = require('../..');

const connection = new autobahn.Connection({
  url: process.env.WAMP_URL || 'ws://127.0.0.1:8080/ws',
  realm: process.env.WAMP_REALM || 'realm1',
});

connection.onopen = function (session) {
  session.call('com.myapp.longop', [3], {}, { receive_progress: true }).then(
    function (res) {
      console.log('caller: Final:', res);
      connection.close();
    },
    function (err) {
      console.log('caller: Error:', err.error, err.args);
      connection.close();
    },
    function (progress) {
      console.log('caller: Progress:', progress);
    }
  );
};

connection.open();
