'use strict';
// A message that keeps failing: with maxReconsumeTimes = 1 (sent by ali-ons
// in CONSUMER_SEND_MSG_BACK), the second failure must move it to the group's
// dead letter queue %DLQ%<group> instead of a third delivery.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropDlq';
const GROUP = 'GID_interop_dlq';
const DLQ = `%DLQ%${GROUP}`;
const PREFIX = `dlq-${process.pid}`;
const COUNT = 3;

after(h.closeAll);

async function dlqDepth() {
  const r = await h.rmqCall(h.env.broker, 'GET_MAX_OFFSET', { topic: DLQ, queueId: 0 });
  return r.code === 0 ? Number(r.ext.offset) : -1;
}

test('a message that fails past maxReconsumeTimes goes to the dead letter queue', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, 4);
  const attempts = new Map();
  const consumer = h.newConsumer(GROUP, { maxReconsumeTimes: 1 });
  consumer.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix !== PREFIX) return;
    if (!attempts.has(b.i)) attempts.set(b.i, []);
    attempts.get(b.i).push(msg.reconsumeTimes);
    throw new Error('interop: this listener always fails');
  });
  await consumer.ready();
  const producer = await h.newProducer('PID_interop_dlq');
  for (let i = 0; i < COUNT; i++) {
    const r = await producer.send(h.numbered(TOPIC, PREFIX, i));
    assert.equal(r.sendStatus, 'SEND_OK');
  }

  await h.waitFor(`${COUNT} messages in ${DLQ}`, async () => {
    const d = await dlqDepth();
    return d === COUNT || h.notYet(`depth ${d}, attempts ${JSON.stringify([ ...attempts ])}`);
  }, 40000, 250);
  for (let i = 0; i < COUNT; i++) {
    assert.deepEqual(attempts.get(i), [ 0, 1 ], `message ${i}: delivered with reconsumeTimes 0 then 1, then dead`);
  }
});
