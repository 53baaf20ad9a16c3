'use strict';
// Clients that stay up while the broker restarts: the consumer's held pulls
// and the producer's connection die with the broker; both must reconnect on
// their own, and every message sent before and after must arrive.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropLive';
const GROUP = 'GID_interop_live';
const PREFIX = `live-${process.pid}`;
const PHASE = 200;

after(h.closeAll);

test('a running consumer and producer survive a broker restart without losing messages', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, 8);
  const got = new Map();
  const consumer = h.newConsumer(GROUP);
  consumer.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix === PREFIX) got.set(b.i, (got.get(b.i) || 0) + 1);
  });
  await consumer.ready();
  const producer = await h.newProducer('PID_interop_live');

  const send = async (from, to) => {
    const msgs = [];
    for (let i = from; i < to; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
    const results = await h.sendAll(producer, msgs, 4);
    results.forEach((r, k) => assert.equal(r.sendStatus, 'SEND_OK', `message ${from + k}`));
  };
  const all = n => () => {
    const missing = [];
    for (let i = 0; i < n; i++) if (!got.has(i)) missing.push(i);
    return missing.length === 0 || h.notYet(`${missing.length} missing, first ${missing.slice(0, 5)}`);
  };

  await send(0, PHASE);
  await h.waitFor('the first batch', all(PHASE), 30000);

  await h.brokerCtl('stop-broker');
  await h.brokerCtl('start-broker');

  await send(PHASE, 2 * PHASE);
  await h.waitFor('the second batch, after the restart', all(2 * PHASE), 30000);
  const dups = [ ...got.values() ].filter(n => n > 1).length;
  t.diagnostic(`${got.size} messages, ${dups} delivered more than once`);
  assert.equal(got.size, 2 * PHASE);
});
