'use strict';
// Delayed messages (DELAY property = level): the consumer, already pulling
// when they are sent, must not get them before their level's delay, and
// must get them afterwards with topic, tags and keys restored. (A Java broker
// drops the DELAY property on the way back, so it is not checked.)
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropDelay';
const GROUP = 'GID_interop_delay';
const PREFIX = `delay-${process.pid}`;
const QUEUES = 8;

after(h.closeAll);

test('a delayed message arrives no earlier than its level', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, QUEUES);

  const arrivals = new Map();
  const consumer = h.newConsumer(GROUP);
  consumer.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix === PREFIX && !arrivals.has(b.i)) arrivals.set(b.i, { at: Date.now(), msg });
  });
  await consumer.ready();
  // Measure from a consumer that is already long-polling every queue.
  await h.waitFor('the consumer to own all 8 queues', () => {
    const mine = [ ...consumer.processQueueTable.keys() ].filter(k => k.includes(`topic="${TOPIC}"`));
    return mine.length === QUEUES || h.notYet(`${mine.length} queues`);
  }, 20000);

  const producer = await h.newProducer('PID_interop_delay');
  // i = 0 is not delayed; i = 1 and 2 use levels 2 and 4.
  const plan = [ { i: 0, level: 0 }, { i: 1, level: 2 }, { i: 2, level: 4 } ];
  const sentAt = new Map();
  for (const p of plan) {
    const msg = h.numbered(TOPIC, PREFIX, p.i);
    if (p.level) msg.delayTimeLevel = p.level;
    sentAt.set(p.i, Date.now());
    const r = await producer.send(msg);
    assert.equal(r.sendStatus, 'SEND_OK', `message ${p.i}`);
  }

  const longest = h.env.delayLevelsMs[3];
  await h.waitFor('all three messages', () =>
    arrivals.size === plan.length || h.notYet(`${[ ...arrivals.keys() ]} arrived`), longest + 20000);

  for (const p of plan) {
    const a = arrivals.get(p.i);
    const waited = a.at - sentAt.get(p.i);
    assert.equal(a.msg.topic, TOPIC, `message ${p.i}: real topic restored`);
    assert.equal(a.msg.tags, h.TAGS[p.i % 4], `message ${p.i}: tag`);
    assert.equal(a.msg.keys, `${PREFIX}-k${p.i} ${PREFIX}-all`, `message ${p.i}: keys`);
    if (p.level) {
      const min = h.env.delayLevelsMs[p.level - 1];
      assert.ok(waited >= min, `message ${p.i}: level ${p.level} (${min} ms) arrived after ${waited} ms`);
    }
  }
  // The consumer was fast for the plain message: delays are the broker's.
  assert.ok(arrivals.get(0).at < arrivals.get(1).at, 'the plain message came before the delayed ones');
  assert.ok(arrivals.get(1).at < arrivals.get(2).at, 'level 2 came before level 4');
});

test('a delayed message not yet due survives a broker restart', async t => {
  if (h.skipUnlessBroker(t)) return;
  const producer = await h.newProducer('PID_interop_delay_restart');
  const consumer = h.newConsumer(`${GROUP}_restart`);
  const arrivals = [];
  consumer.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix === `${PREFIX}-r`) arrivals.push({ at: Date.now(), i: b.i });
  });
  await consumer.ready();

  // A plain marker first: once it is consumed, the consumer's loop runs (an
  // ali-ons consumer whose start-up meets a dead broker never consumes).
  const marker = await producer.send(h.numbered(TOPIC, `${PREFIX}-r`, 6));
  assert.equal(marker.sendStatus, 'SEND_OK');
  await h.waitFor('the marker message', () => arrivals.some(a => a.i === 6) || h.notYet('not yet'), 20000);
  arrivals.length = 0;

  const level = 5;
  const min = h.env.delayLevelsMs[level - 1];
  const msg = h.numbered(TOPIC, `${PREFIX}-r`, 7);
  msg.delayTimeLevel = level;
  const sentAt = Date.now();
  const r = await producer.send(msg);
  assert.equal(r.sendStatus, 'SEND_OK');
  await h.brokerCtl('stop-broker');
  await h.brokerCtl('start-broker');
  assert.ok(Date.now() - sentAt < min, `the restart finished before the message was due (${Date.now() - sentAt} ms)`);

  await h.waitFor('the delayed message after the restart', () =>
    arrivals.length >= 1 || h.notYet('not yet'), min + 20000);
  assert.equal(arrivals[0].i, 7);
  assert.ok(arrivals[0].at - sentAt >= min, `level ${level} (${min} ms) arrived after ${arrivals[0].at - sentAt} ms`);
  // Exactly once: wait until well past the due time for a duplicate.
  const quietUntil = arrivals[0].at + 2000;
  await h.waitFor('two quiet seconds after the delivery', () => Date.now() >= quietUntil || h.notYet(''), 5000);
  assert.equal(arrivals.length, 1, 'delivered once');
});
