'use strict';
// 1,000 messages with tags and keys into a topic with 8 queues, then one
// consumer group with a tag expression: it must get exactly the matching set,
// each message intact and with the id the producer was given.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropBasic';
const GROUP = 'GID_interop_basic';
const PREFIX = `basic-${process.pid}`;
const COUNT = 1000;
const QUEUES = 8;
const EXPR = 'TagA || TagC';
const WANTED = new Set([ 'TagA', 'TagC' ]);

const sent = []; // i -> { msgId, queueId, queueOffset, tag, keys }

after(h.closeAll);

test('produce 1000 messages with tags and keys to 8 queues', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, QUEUES);
  const producer = await h.newProducer('PID_interop_basic');
  const msgs = [];
  for (let i = 0; i < COUNT; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(producer, msgs);

  const perQueue = new Map();
  const ids = new Set();
  results.forEach((r, i) => {
    assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`);
    assert.match(r.msgId, /^[0-9A-F]{32}$/, `message ${i}: offset msg id, 32 hex digits`);
    // ali-ons reports the broker's offset msg id: store host + commit log offset.
    assert.equal(h.MessageDecoder.decodeMessageId(r.msgId).address, h.env.broker, `message ${i}: store host in msg id`);
    ids.add(r.msgId);
    const q = Number(r.messageQueue.queueId);
    assert.ok(q >= 0 && q < QUEUES, `message ${i}: queue ${q}`);
    if (!perQueue.has(q)) perQueue.set(q, []);
    perQueue.get(q).push(r.queueOffset);
    sent[i] = { msgId: r.msgId, queueId: q, queueOffset: r.queueOffset, tag: msgs[i].tags, keys: msgs[i].keys };
  });
  assert.equal(ids.size, COUNT, 'every message got its own msg id');
  assert.equal(perQueue.size, QUEUES, 'ali-ons spread the messages over all 8 queues');
  for (const [ q, offsets ] of perQueue) {
    offsets.sort((a, b) => a - b);
    assert.deepEqual(offsets, offsets.map((_, k) => k), `queue ${q}: offsets 0..n-1 without gaps`);
  }
});

test(`a group subscribed with "${EXPR}" gets exactly the matching messages`, async t => {
  if (h.skipUnlessBroker(t)) return;
  assert.equal(sent.length, COUNT, 'the produce test ran');
  const expected = new Set();
  sent.forEach((s, i) => { if (WANTED.has(s.tag)) expected.add(i); });

  const got = new Map();
  const problems = [];
  const consumer = h.newConsumer(GROUP);
  const pulls = h.observePulls(consumer);
  consumer.subscribe(TOPIC, EXPR, async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix !== PREFIX) { problems.push(`foreign message ${msg.body}`); return; }
    if (got.has(b.i)) problems.push(`message ${b.i} delivered twice`);
    got.set(b.i, msg);
  });
  await consumer.ready();

  await h.waitFor(`${expected.size} matching messages`, () =>
    got.size >= expected.size || h.notYet(`${got.size} received`), 30000);

  assert.deepEqual(problems, []);
  const unexpected = [ ...got.keys() ].filter(i => !expected.has(i));
  assert.deepEqual(unexpected, [], 'no message outside the tag expression');
  assert.deepEqual([ ...got.keys() ].sort((a, b) => a - b), [ ...expected ].sort((a, b) => a - b));

  for (const [ i, msg ] of got) {
    const s = sent[i];
    assert.equal(msg.topic, TOPIC, `message ${i}: topic`);
    assert.equal(msg.tags, s.tag, `message ${i}: tag`);
    assert.equal(msg.keys, s.keys, `message ${i}: keys`);
    assert.equal(msg.msgId, s.msgId, `message ${i}: consumed msg id = the id the producer got`);
    assert.equal(msg.queueId, s.queueId, `message ${i}: queue id`);
    assert.equal(msg.queueOffset, s.queueOffset, `message ${i}: queue offset`);
    assert.equal(msg.storeHost, h.env.broker, `message ${i}: store host`);
    assert.equal(msg.reconsumeTimes, 0, `message ${i}: reconsume times`);
  }

  // The broker filters by tag hash (the consume queue keeps it): messages of
  // other tags should not even come back in PULL_MESSAGE answers.
  const pulledOther = pulls.flatMap(p => p.msgs).filter(m => !WANTED.has(m.tags));
  assert.equal(pulledOther.length, 0,
    `the broker returned ${pulledOther.length} messages with tags outside "${EXPR}" (server-side tag filter)`);
});

test('the group commits offsets up to the end of every queue', async t => {
  if (h.skipUnlessBroker(t)) return;
  const ends = new Array(QUEUES).fill(0);
  for (const s of sent) ends[s.queueId] = Math.max(ends[s.queueId], s.queueOffset + 1);
  await h.waitFor('committed offsets at the queue ends', async () => {
    const offs = await h.committedOffsets(GROUP, TOPIC, QUEUES);
    return offs.every((o, q) => o === ends[q]) || h.notYet(`committed ${offs}, ends ${ends}`);
  }, 20000, 250);
});
