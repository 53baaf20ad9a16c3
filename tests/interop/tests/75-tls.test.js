'use strict';
// TLS (docs/protocol.md §19). ali-ons 3.12 has no TLS option (its channels
// are tcp-base net.connect sockets), so it is the plain client of a
// permissive broker: the second broker (broker-interop-b) is started with
// tlsServerMode permissive and a certificate made here with openssl(1);
// ali-ons produces and consumes through it as before. On the same port,
// node's own TLS client (tls.connect, verifying against the test CA) sends
// a frame encoded by ali-ons's RemotingCommand and reads the answer.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const { execFileSync } = require('node:child_process');
const h = require('../lib/harness');

const TOPIC = 'InteropTlsTopic';
const GROUP = 'GID_interop_tls';
const PREFIX = `tls-${process.pid}`;
const COUNT = 30;
const QUEUES = 4;
const B = { addr: h.env.broker2, name: h.env.broker2Name };

const confPath = path.join(h.env.dir, 'broker-b.conf');
const tlsDir = path.join(h.env.dir, 'tls');
const st = {};

after(async () => {
  await h.closeAll();
  if (st.started) await h.brokerCtl('stop-broker', 'b');
  if (st.conf !== undefined) fs.writeFileSync(confPath, st.conf);
});

function openssl(...args) {
  execFileSync('openssl', args, { cwd: tlsDir, stdio: [ 'ignore', 'ignore', 'pipe' ] });
}

function makeCertificates() {
  fs.mkdirSync(tlsDir, { recursive: true });
  fs.writeFileSync(path.join(tlsDir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '2', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=interop-ca');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=interop-broker');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem');
}

// One request over node's TLS client; resolves to the decoded answer and
// whether the server's certificate verified.
function tlsRequest(addr, cmd) {
  const [ host, port ] = addr.split(':');
  return new Promise((resolve, reject) => {
    const chunks = [];
    const socket = tls.connect({
      host, port: Number(port), ca: fs.readFileSync(path.join(tlsDir, 'ca.pem')),
      checkServerIdentity: () => undefined, // Java's clients do not check the host either
    }, () => socket.write(cmd.encode()));
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no answer in 10 s')); }, 10000);
    socket.on('data', d => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        clearTimeout(timer);
        const authorized = socket.authorized;
        const protocol = socket.getProtocol();
        socket.end();
        resolve({ answer: h.RemotingCommand.decode(all.subarray(0, 4 + all.readInt32BE(0))), authorized, protocol });
      }
    });
    socket.on('error', err => { clearTimeout(timer); reject(err); });
  });
}

test('permissive broker: ali-ons over plain TCP, node tls.connect over TLS on the same port', async t => {
  if (h.skipUnlessBroker(t)) return;
  if (process.env.RMQ_INTEROP_MOCK_BROKER === '1') {
    t.skip('the mock broker has no TLS');
    return;
  }
  try {
    execFileSync('openssl', [ 'version' ], { stdio: 'ignore' });
  } catch (err) {
    t.skip('openssl(1) is not installed');
    return;
  }
  makeCertificates();
  st.conf = fs.readFileSync(confPath, 'utf8');
  fs.writeFileSync(confPath, `${st.conf}tlsServerMode = "permissive";\n` +
    `tlsServerCertPath = "${path.join(tlsDir, 'server.pem')}";\n` +
    `tlsServerKeyPath = "${path.join(tlsDir, 'server.key')}";\n`);
  await h.brokerCtl('start-broker', 'b');
  st.started = true;
  await h.createTopic(TOPIC, QUEUES, [ B ]);

  // ali-ons, plain
  const got = new Map();
  const consumer = h.newConsumer(GROUP, { instanceName: 'tls-c' });
  consumer.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix === PREFIX) got.set(b.i, msg);
  });
  await consumer.ready();
  const producer = await h.newProducer('PID_interop_tls', { instanceName: 'tls-p' });
  const msgs = [];
  for (let i = 0; i < COUNT; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(producer, msgs);
  results.forEach((r, i) => {
    assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`);
    assert.equal(r.messageQueue.brokerName, B.name, `message ${i} on the TLS broker`);
  });
  await h.waitFor(`${COUNT} messages consumed over plain TCP`,
    () => (got.size === COUNT ? true : h.notYet(`${got.size} of ${COUNT}`)), 30000);

  // node's TLS client, a frame encoded by ali-ons: GET_MAX_OFFSET (30)
  const cmd = h.RemotingCommand.createRequestCommand(30, { topic: TOPIC, queueId: 0 });
  const r = await tlsRequest(B.addr, cmd);
  assert.equal(r.authorized, true, 'the broker certificate verifies against the test CA');
  assert.match(r.protocol, /^TLSv1\.[23]$/);
  assert.equal(r.answer.code, 0, `GET_MAX_OFFSET over TLS: ${r.answer.remark}`);
  assert.equal(r.answer.opaque, cmd.opaque);
  const total = Number(r.answer.extFields.offset);
  assert.ok(total >= 0, 'an offset came back');
});
