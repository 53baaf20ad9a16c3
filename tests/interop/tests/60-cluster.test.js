'use strict';
// Two masters in one cluster behind one name server, a topic with 8 queues
// on each: ali-ons reads the merged route, spreads sends over both brokers,
// and two consumers of a group split the 16 queues. Then one master stops:
// sends go to the other, and nothing already acknowledged is lost.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropTwoMasters';
const GROUP = 'GID_interop_cluster';
const PREFIX = `cluster-${process.pid}`;
const QUEUES = 8;
const COUNT = 400;
const MORE = 100;
const BROKERS = [
  { addr: h.env.broker, name: h.env.brokerName },
  { addr: h.env.broker2, name: h.env.broker2Name },
];

const st = {};

after(async () => {
  await h.closeAll();
  if (st.started) await h.brokerCtl('stop-broker', 'b');
});

const qkey = (brokerName, queueId) => `${brokerName}:${queueId}`;
function queuesOf(consumer) {
  return [ ...consumer.processQueueTable.values() ]
    .filter(v => v.messageQueue.topic === TOPIC)
    .map(v => qkey(v.messageQueue.brokerName, v.messageQueue.queueId)).sort();
}

test('two masters: sends spread over both, two consumers split the 16 queues', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.brokerCtl('start-broker', 'b');
  st.started = true;
  const route = await h.createTopic(TOPIC, QUEUES, BROKERS);
  for (const b of BROKERS) {
    const bd = route.brokerDatas.find(d => d.brokerName === b.name);
    assert.ok(bd, `route lists ${b.name}`);
    assert.equal(bd.brokerAddrs[0], b.addr, `${b.name} master address`);
  }

  st.got = [ new Map(), new Map() ];
  st.consumers = [ 'cluster-a', 'cluster-b' ].map((name, n) => {
    const c = h.newConsumer(GROUP, { instanceName: name });
    c.subscribe(TOPIC, '*', async msg => {
      const b = h.bodyOf(msg);
      if (b.prefix !== PREFIX) return;
      if (!st.got[n].has(b.i)) st.got[n].set(b.i, []);
      st.got[n].get(b.i).push(msg);
    });
    return c;
  });
  await Promise.all(st.consumers.map(c => c.ready()));
  st.split = await h.waitFor('the two consumers to split the 16 queues', () => {
    const [ a, b ] = st.consumers.map(queuesOf);
    const all = new Set([ ...a, ...b ]);
    const ok = a.length === QUEUES && b.length === QUEUES && all.size === 2 * QUEUES;
    return ok ? [ a, b ] : h.notYet(`a ${a}, b ${b}`);
  }, 30000);

  st.producer = await h.newProducer('PID_interop_cluster');
  const msgs = [];
  for (let i = 0; i < COUNT; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(st.producer, msgs);
  st.where = [];
  const perQueue = new Map();
  results.forEach((r, i) => {
    assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`);
    const b = BROKERS.find(x => x.name === r.messageQueue.brokerName);
    assert.ok(b, `message ${i}: broker ${r.messageQueue.brokerName}`);
    assert.equal(h.MessageDecoder.decodeMessageId(r.msgId).address, b.addr, `message ${i}: msg id names the broker that stored it`);
    const k = qkey(b.name, Number(r.messageQueue.queueId));
    st.where[i] = k;
    if (!perQueue.has(k)) perQueue.set(k, []);
    perQueue.get(k).push(r.queueOffset);
  });
  assert.equal(perQueue.size, 2 * QUEUES, 'all 16 queues of the two brokers used');
  for (const [ k, offsets ] of perQueue) {
    offsets.sort((a, b) => a - b);
    assert.deepEqual(offsets, offsets.map((_, n) => n), `${k}: offsets 0..n-1`);
  }

  await h.waitFor(`all ${COUNT} messages`, () => {
    const n = new Set([ ...st.got[0].keys(), ...st.got[1].keys() ]).size;
    return n === COUNT || h.notYet(`${n} received`);
  }, 30000);
  for (let i = 0; i < COUNT; i++) {
    const owner = st.split[0].includes(st.where[i]) ? 0 : 1;
    assert.equal(st.got[owner].get(i)?.length, 1, `message ${i} (${st.where[i]}): once to its owner`);
    assert.equal(st.got[1 - owner].has(i), false, `message ${i} (${st.where[i]}): not to the other consumer`);
  }
});

test('when one master stops, sends go to the other and nothing is lost', async t => {
  if (h.skipUnlessBroker(t)) return;
  assert.ok(st.producer, 'the first test ran');
  await h.brokerCtl('stop-broker', 'b');
  st.started = false;
  // The name server forgets broker-b with its connection; clients poll routes.
  await h.waitFor(`the route of ${TOPIC} without ${h.env.broker2Name}`, async () => {
    const route = await h.routeOf(TOPIC);
    const names = route ? route.queueDatas.map(q => q.brokerName) : [];
    return (names.length === 1 && names[0] === h.env.brokerName) || h.notYet(`brokers ${names}`);
  }, 15000);

  const msgs = [];
  for (let i = COUNT; i < COUNT + MORE; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(st.producer, msgs, 2);
  results.forEach((r, k) => {
    assert.equal(r.sendStatus, 'SEND_OK', `message ${COUNT + k}`);
    assert.equal(r.messageQueue.brokerName, h.env.brokerName, `message ${COUNT + k} went to the live master`);
  });
  await h.waitFor(`the ${MORE} messages sent after the stop`, () => {
    let n = 0;
    for (let i = COUNT; i < COUNT + MORE; i++) if (st.got[0].has(i) || st.got[1].has(i)) n++;
    return n === MORE || h.notYet(`${n} of ${MORE}`);
  }, 30000);
});
