// Bundled by esbuild (platform node), then run: the package's router, one call and one publish.
'use strict';
const autobahn = require('autobahn');
const { withRouter } = require('./roundtrip');

withRouter(autobahn).then((result) => console.log(JSON.stringify(result)));
