// Preloaded (`node --require`) into a router process started by ./router.js: fd 3 is a pipe
// from the test process; when that process dies, however abruptly, the pipe closes and this
// process kills itself, so no router outlives the test run.
'use strict';
const net = require('node:net');

let pipe = null;
try {
  pipe = new net.Socket({ fd: 3, readable: true, writable: false });
} catch {
  // started without the pipe (by hand): nothing to watch
}
if (pipe) {
  const die = () => process.kill(process.pid, 'SIGKILL');
  pipe.on('end', die);
  pipe.on('close', die);
  pipe.on('error', die);
  pipe.resume();
  pipe.unref();
}
