// Started as a plain script: the package's own router, one call and one publish; prints the
// result as JSON.
'use strict';
const autobahn = require('autobahn');
const { withRouter } = require('./roundtrip');

withRouter(autobahn).then((result) => console.log(JSON.stringify(result)));
