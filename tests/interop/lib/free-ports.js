'use strict';
// Prints "NAMESRV BROKER HA BROKER2 HA2": loopback ports that are free right
// now. A broker also listens on its VIP channel (BROKER - 2), so that one
// must be free too. Used by daemons.sh; racy by nature, but the daemons bind at once.
// The ports come from below the kernel's ephemeral range: a port in it that is
// free now may become the local port of any outgoing connection (npm's, a
// probe's) before the daemon binds it, which once made a broker fail with
// "Address already in use".
const fs = require('node:fs');
const net = require('node:net');

// [lowest, highest) port to pick from: 10000 up to the ephemeral range's start.
function span() {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch (e) { /* not Linux: the usual start */ }
  return low > 11000 ? [ 10000, low ] : [ 1024, 10000 ];
}
const [ LOW, HIGH ] = span();

function tryListen(port) {
  return new Promise(resolve => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function pick(taken, span) {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = LOW + 2 + Math.floor(Math.random() * (HIGH - LOW - 2));
    const need = span ? [ port, port - 2 ] : [ port ];
    if (need.some(p => taken.has(p))) continue;
    let ok = true;
    for (const p of need) ok = ok && await tryListen(p);
    if (ok) {
      need.forEach(p => taken.add(p));
      return port;
    }
  }
  throw new Error('no free loopback port found');
}

(async () => {
  const taken = new Set();
  const ns = await pick(taken, false);
  const broker = await pick(taken, true);
  const ha = await pick(taken, false);
  const broker2 = await pick(taken, true);
  const ha2 = await pick(taken, false);
  process.stdout.write(`${ns} ${broker} ${ha} ${broker2} ${ha2}\n`);
})().catch(err => {
  process.stderr.write(`free-ports: ${err.message}\n`);
  process.exit(1);
});
