'use strict';
// ali-ons (the npm RocketMQ 4.x client, tests/interop's pinned copy) as a
// load generator: one Producer, i.e. one MQClientInstance and one connection
// per broker, with LANES sends in flight on it. Each lane sends its numbered
// messages one after another (the next once the last was acknowledged), as
// a thread of a Java application does with DefaultMQProducer.send().
//
//   node bench/alions-load.js NAMESRV TOPIC LANES SECONDS SIZE
//
// Prints one JSON line: sent, acked, failed, msgs/s, latency percentiles and
// "orderViolations": pairs of messages of one lane stored in one queue in
// another order than the lane sent them (each lane waits for its answer, so
// any such pair would be the broker reordering a connection's requests).
// bench/alions.sh pulls the topic afterwards to check the counts.
const path = require('node:path');

const modules = path.join(__dirname, '..', 'tests', 'interop', 'node_modules');
const { Producer, Message } = require(path.join(modules, 'ali-ons'));

const [ namesrv, topic, lanesArg, secondsArg, sizeArg ] = process.argv.slice(2);
const lanes = Number(lanesArg), seconds = Number(secondsArg), size = Number(sizeArg);
if (!namesrv || !topic || !(lanes > 0) || !(seconds > 0) || !(size >= 32)) {
  console.error('usage: alions-load.js NAMESRV TOPIC LANES SECONDS SIZE(>=32)');
  process.exit(2);
}

const quiet = { debug() {}, info() {}, warn() {}, error: (...a) => console.error(...a) };

async function main() {
  const producer = new Producer({
    httpclient: { request() { throw new Error('no address server: nameSrv is set'); } },
    nameSrv: namesrv,
    producerGroup: 'GID_bench_alions',
    logger: quiet,
  });
  producer.on('error', err => console.error('producer error:', err.message));
  await producer.ready();
  // warm-up: the route and the connection exist before the clock starts
  await producer.send(new Message(topic, 'warm', Buffer.alloc(size, 'w')));

  const latencies = [];
  let sent = 0, acked = 0, failed = 0, orderViolations = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = process.hrtime.bigint();
  async function lane(id) {
    const lastOffset = new Map(); // queueId -> offset of this lane's last message there
    for (let seq = 0; Date.now() < end; seq++) {
      const body = Buffer.alloc(size, 'x');
      body.write(`${id}:${seq}:`);
      const msg = new Message(topic, 'bench', body);
      const t = process.hrtime.bigint();
      sent++;
      try {
        const r = await producer.send(msg);
        latencies.push(Number(process.hrtime.bigint() - t) / 1000);
        if (r.sendStatus !== 'SEND_OK') { failed++; continue; }
        acked++;
        const q = r.messageQueue.queueId, off = Number(r.queueOffset);
        if (lastOffset.has(q) && off <= lastOffset.get(q)) orderViolations++;
        lastOffset.set(q, off);
      } catch (err) {
        failed++;
        console.error('send failed:', err.message);
      }
    }
  }
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = p => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({
    lanes, sent, acked, failed, orderViolations, seconds: secs,
    tps: acked / secs, p50Us: pct(0.5), p99Us: pct(0.99),
    clientCpuUsPerMsg: (cpu.user + cpu.system) / Math.max(1, acked),
  }));
  await producer.close();
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1); });
