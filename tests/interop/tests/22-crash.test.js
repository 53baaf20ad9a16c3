'use strict';
// The broker killed with SIGKILL (no shutdown, nothing flushed by it): every
// message it acknowledged must still be there after the restart, the topic
// too, and a group that was consuming must resume from the offsets the broker
// had flushed to disk before the crash, losing nothing.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../lib/harness');

const TOPIC = 'InteropCrash';
const GROUP = 'GID_interop_crash';
const PREFIX = `crash-${process.pid}`;
const COUNT = 500;

after(h.closeAll);

test('after a SIGKILL, acknowledged messages and the consuming group lose nothing', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, 8);
  const producer = await h.newProducer('PID_interop_crash');
  const msgs = [];
  for (let i = 0; i < COUNT; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(producer, msgs);
  results.forEach((r, i) => assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`));

  // A group consumes about half, with its offsets committed, then the crash.
  const first = new Set();
  const half = COUNT / 2;
  const c1 = h.newConsumer(GROUP, { instanceName: 'crash-1' });
  c1.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix !== PREFIX) return;
    if (first.size >= half) return new Promise(() => {}); // hold here
    first.add(b.i);
  });
  await c1.ready();
  await h.waitFor('half of the messages', () => first.size >= half || h.notYet(`${first.size}`), 30000);
  await h.closeClient(c1);
  const committed = await h.committedOffsets(GROUP, TOPIC);
  assert.ok(committed.every(o => o !== null), `committed offsets ${committed}`);
  const resumeAt = committed.map(o => Math.max(o, 0)); // ali-ons commits -1 for 0

  // Offsets reach the disk every flushConsumerOffsetInterval (1 s here), in
  // the Java layout (docs/protocol.md §7.6): wait for them there, so the crash cannot lose them.
  const file = path.join(h.env.dir, 'store', 'config', 'consumerOffset.json');
  await h.waitFor(`the offsets of ${GROUP} in ${file}`, () => {
    let table;
    try {
      table = h.parseLenientJson(fs.readFileSync(file, 'utf8')).offsetTable[`${TOPIC}@${GROUP}`];
    } catch (err) {
      return h.notYet(err.message);
    }
    const onDisk = committed.map((_, q) => (table && q in table ? Number(table[q]) : null));
    // A stored -1 (what ali-ons sends for 0) is answered as 0 (docs/protocol.md §10.5).
    return onDisk.every((o, q) => o !== null && Math.max(o, 0) === resumeAt[q]) ||
      h.notYet(`on disk ${onDisk}, committed ${committed}`);
  }, 10000, 200);

  await h.brokerCtl('kill-broker');
  await h.brokerCtl('start-broker');

  const route = await h.routeOf(TOPIC);
  assert.ok(route && route.queueDatas.some(q => q.writeQueueNums === 8), `topic ${TOPIC} still routed after the crash`);

  // Every acknowledged message, seen by a group that never consumed before.
  const fresh = new Map();
  const c2 = h.newConsumer(`${GROUP}_fresh`);
  c2.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix === PREFIX) fresh.set(b.i, msg);
  });
  // The group that was consuming: the rest of its messages.
  const second = new Set();
  const c3 = h.newConsumer(GROUP, { instanceName: 'crash-2' });
  c3.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix === PREFIX) second.add(b.i);
  });
  await Promise.all([ c2.ready(), c3.ready() ]);

  await h.waitFor(`all ${COUNT} messages for a fresh group`, () =>
    fresh.size === COUNT || h.notYet(`${fresh.size}`), 30000);
  results.forEach((r, i) => {
    const m = fresh.get(i);
    assert.equal(m.msgId, r.msgId, `message ${i}: same msg id (offset) after the crash`);
    assert.equal(m.queueOffset, r.queueOffset, `message ${i}: same queue offset`);
  });
  await h.waitFor('the consuming group to get everything it had not consumed', () => {
    let missing = 0;
    for (let i = 0; i < COUNT; i++) if (!first.has(i) && !second.has(i)) missing++;
    return missing === 0 || h.notYet(`${missing} missing`);
  }, 30000);
  const again = [ ...second ].filter(i => first.has(i)).length;
  t.diagnostic(`offsets committed before the crash ${committed}; ${again} of the ${first.size} consumed before were delivered again`);
  for (const i of second) {
    const r = results[i];
    assert.ok(r.queueOffset >= resumeAt[r.messageQueue.queueId],
      `message ${i} (queue ${r.messageQueue.queueId} offset ${r.queueOffset}) is below the flushed offset ${resumeAt[r.messageQueue.queueId]}: the group did not resume from it`);
  }
});
