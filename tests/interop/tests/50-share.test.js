'use strict';
// Two consumers of one group share the 8 queues of a topic: disjoint halves,
// and every message goes to exactly one of them, the owner of its queue.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropShare';
const GROUP = 'GID_interop_share';
const PREFIX = `share-${process.pid}`;
const QUEUES = 8;
const COUNT = 200;

after(h.closeAll);

const shared = {};

function queuesOf(consumer) {
  return [ ...consumer.processQueueTable.values() ]
    .filter(v => v.messageQueue.topic === TOPIC)
    .map(v => v.messageQueue.queueId).sort((a, b) => a - b);
}

test('two consumers in one group share the queues', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, QUEUES);

  const got = [ new Map(), new Map() ];
  const consumers = [ 'share-a', 'share-b' ].map((name, n) => {
    // Distinct instance names: two client ids in one process.
    const c = h.newConsumer(GROUP, { instanceName: name });
    c.subscribe(TOPIC, '*', async msg => {
      const b = h.bodyOf(msg);
      if (b.prefix !== PREFIX) return;
      if (!got[n].has(b.i)) got[n].set(b.i, []);
      got[n].get(b.i).push(msg);
    });
    return c;
  });
  await Promise.all(consumers.map(c => c.ready()));

  const list = await h.waitFor('the broker to list both consumers of the group', async () => {
    const r = await h.rmqCall(h.env.broker, 'GET_CONSUMER_LIST_BY_GROUP', { consumerGroup: GROUP });
    const ids = r.code === 0 && r.body ? JSON.parse(r.body).consumerIdList : [];
    return ids.length === 2 ? ids : h.notYet(`code ${r.code}, ids ${JSON.stringify(ids)}`);
  }, 20000);
  assert.deepEqual(list.slice().sort(), consumers.map(c => c._mqClient.clientId).sort());

  const split = await h.waitFor('the two consumers to split the queues', () => {
    const [ a, b ] = consumers.map(queuesOf);
    const all = [ ...a, ...b ].sort((x, y) => x - y);
    const ok = a.length === QUEUES / 2 && b.length === QUEUES / 2 &&
      all.every((q, k) => q === k) && all.length === QUEUES;
    return ok ? [ a, b ] : h.notYet(`a ${a}, b ${b}`);
  }, 30000);

  const producer = await h.newProducer('PID_interop_share');
  const msgs = [];
  for (let i = 0; i < COUNT; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(producer, msgs);
  const queueOf = results.map((r, i) => {
    assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`);
    return Number(r.messageQueue.queueId);
  });

  await h.waitFor(`all ${COUNT} messages`, () => {
    const n = new Set([ ...got[0].keys(), ...got[1].keys() ]).size;
    return n === COUNT || h.notYet(`${n} received`);
  }, 30000);

  // The split held while consuming (a rebalance would show up here).
  assert.deepEqual(consumers.map(queuesOf), split, 'queue ownership unchanged');
  for (let i = 0; i < COUNT; i++) {
    const owner = split[0].includes(queueOf[i]) ? 0 : 1;
    assert.equal(got[owner].get(i)?.length, 1, `message ${i} (queue ${queueOf[i]}): once to its owner`);
    assert.equal(got[1 - owner].has(i), false, `message ${i} (queue ${queueOf[i]}): not to the other consumer`);
  }
  assert.ok(got[0].size > 0 && got[1].size > 0, `both consumed (${got[0].size}, ${got[1].size})`);
  Object.assign(shared, { consumers, producer, got });
});

test('when one consumer leaves, the other takes over every queue', async t => {
  if (h.skipUnlessBroker(t)) return;
  assert.ok(shared.consumers, 'the sharing test ran');
  const [ stay, leave ] = shared.consumers;
  // close() sends UNREGISTER_CLIENT: the broker drops it from the group at once.
  await h.closeClient(leave);
  await h.waitFor('the broker to list one consumer', async () => {
    const r = await h.rmqCall(h.env.broker, 'GET_CONSUMER_LIST_BY_GROUP', { consumerGroup: GROUP });
    const ids = r.code === 0 && r.body ? JSON.parse(r.body).consumerIdList : [];
    return (ids.length === 1 && ids[0] === stay._mqClient.clientId) || h.notYet(`ids ${JSON.stringify(ids)}`);
  }, 10000);
  await h.waitFor('the remaining consumer to own all 8 queues', () =>
    queuesOf(stay).length === QUEUES || h.notYet(`owns ${queuesOf(stay)}`), 20000);

  const msgs = [];
  for (let i = COUNT; i < COUNT + 40; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(shared.producer, msgs);
  results.forEach((r, k) => assert.equal(r.sendStatus, 'SEND_OK', `message ${COUNT + k}`));
  await h.waitFor('the 40 new messages at the remaining consumer', () => {
    let n = 0;
    for (let i = COUNT; i < COUNT + 40; i++) if (shared.got[0].has(i)) n++;
    return n === 40 || h.notYet(`${n} of 40`);
  }, 30000);
});
