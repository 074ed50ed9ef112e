// CommonJS syntax under node16/nodenext.
import autobahn = require('autobahn');

const connection: autobahn.Connection = new autobahn.Connection({ url: 'ws://127.0.0.1:8080/ws', realm: 'realm1' });
connection.onopen = (session: autobahn.Session) => {
  session.publish('com.example.hello', ['hi']);
};
export const router: autobahn.Router = new autobahn.Router();
