'use strict';
// A group consumes about half of a topic, stops; the broker is stopped and
// started again on the same store; the group comes back and must resume from
// its committed offsets: nothing lost, nothing below a committed offset seen
// again. The producer of the first half keeps working across the restart.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropRestart';
const GROUP = 'GID_interop_restart';
const PREFIX = `restart-${process.pid}`;
const BEFORE = 1000; // sent before the restart
const AFTER = 200; // sent after it, by the same producer object
const QUEUES = 8;
const EXPR = 'TagB || TagD';
const WANTED = new Set([ 'TagB', 'TagD' ]);

after(h.closeAll);

const state = { sent: [], first: new Map(), committed: null, producer: null };

function key(queueId, offset) { return `${queueId}:${offset}`; }

test('produce 1000 messages and consume about half of the matching ones', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, QUEUES);
  state.producer = await h.newProducer('PID_interop_restart');
  const msgs = [];
  for (let i = 0; i < BEFORE; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(state.producer, msgs);
  results.forEach((r, i) => {
    assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`);
    state.sent[i] = { queueId: Number(r.messageQueue.queueId), queueOffset: r.queueOffset, tag: msgs[i].tags };
  });
  const matching = state.sent.filter(s => WANTED.has(s.tag)).length;

  const half = Math.ceil(matching / 2);
  const c1 = h.newConsumer(GROUP, { instanceName: 'restart-1' });
  c1.subscribe(TOPIC, EXPR, async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix !== PREFIX) return;
    // ali-ons consumes one message at a time: a listener that never returns
    // holds the consumer at exactly `half` messages until it is closed.
    if (state.first.size >= half) return new Promise(() => {});
    state.first.set(b.i, msg);
  });
  await c1.ready();
  await h.waitFor('half of the matching messages', () =>
    state.first.size >= half || h.notYet(`${state.first.size} of ${matching}`), 30000);
  // close() commits the offsets (one-way UPDATE_CONSUMER_OFFSET) and then
  // unregisters on the same connection, so the broker has them afterwards.
  await h.closeClient(c1);
  assert.ok(state.first.size < matching, `stopped before the end (${state.first.size} of ${matching})`);

  state.committed = await h.committedOffsets(GROUP, TOPIC, QUEUES);
  assert.ok(state.committed.every(o => o !== null), `committed offsets ${state.committed}`);
  // ali-ons commits -1 for a queue whose in-memory offset is still 0.
  state.resumeAt = state.committed.map(o => Math.max(o, 0));
  // A committed offset must not skip anything the first consumer had not got.
  const seen = new Set([ ...state.first.values() ].map(m => key(m.queueId, m.queueOffset)));
  state.sent.forEach((s, i) => {
    if (WANTED.has(s.tag) && s.queueOffset < state.resumeAt[s.queueId]) {
      assert.ok(seen.has(key(s.queueId, s.queueOffset)), `message ${i} is below the committed offset but was never consumed`);
    }
  });
  const below = state.sent.filter(s => s.queueOffset < state.resumeAt[s.queueId]).length;
  assert.ok(below > 0, `the offsets committed before the restart cover some messages (${state.committed})`);
});

test('the broker keeps the committed offsets across a restart', async t => {
  if (h.skipUnlessBroker(t)) return;
  assert.ok(state.committed, 'the first test ran');
  await h.brokerCtl('stop-broker');
  await h.brokerCtl('start-broker');
  const again = await h.committedOffsets(GROUP, TOPIC, QUEUES);
  assert.deepEqual(again, state.committed, 'QUERY_CONSUMER_OFFSET after the restart');
});

test('the producer sends again after the restart', async t => {
  if (h.skipUnlessBroker(t)) return;
  assert.ok(state.producer, 'the first test ran');
  const msgs = [];
  for (let i = BEFORE; i < BEFORE + AFTER; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  // The first send may meet the connection the restart closed; ali-ons
  // retries on another attempt, and the result must still be SEND_OK.
  const results = await h.sendAll(state.producer, msgs, 4);
  results.forEach((r, k) => {
    assert.equal(r.sendStatus, 'SEND_OK', `message ${BEFORE + k}`);
    state.sent[BEFORE + k] = { queueId: Number(r.messageQueue.queueId), queueOffset: r.queueOffset, tag: msgs[k].tags };
  });
  // Offsets continue where the store left them: the restart lost nothing.
  const perQueue = new Map();
  for (const s of state.sent) {
    if (!perQueue.has(s.queueId)) perQueue.set(s.queueId, []);
    perQueue.get(s.queueId).push(s.queueOffset);
  }
  for (const [ q, offsets ] of perQueue) {
    offsets.sort((a, b) => a - b);
    assert.deepEqual(offsets, offsets.map((_, k) => k), `queue ${q}: offsets 0..n-1 across the restart`);
  }
});

test('the group resumes from its committed offsets and loses nothing', async t => {
  if (h.skipUnlessBroker(t)) return;
  assert.equal(state.sent.length, BEFORE + AFTER, 'the earlier tests ran');
  const expected = new Set();
  state.sent.forEach((s, i) => { if (WANTED.has(s.tag)) expected.add(i); });

  const second = new Map();
  const c2 = h.newConsumer(GROUP, { instanceName: 'restart-2' });
  c2.subscribe(TOPIC, EXPR, async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix === PREFIX) second.set(b.i, msg);
  });
  await c2.ready();
  const union = () => new Set([ ...state.first.keys(), ...second.keys() ]);
  await h.waitFor('every matching message in one of the two consumers', () => {
    const u = union();
    return [ ...expected ].every(i => u.has(i)) || h.notYet(`${u.size} of ${expected.size}`);
  }, 30000);

  const u = union();
  assert.deepEqual([ ...u ].filter(i => !expected.has(i)), [], 'nothing outside the tag expression');
  for (const [ i, msg ] of second) {
    assert.ok(msg.queueOffset >= state.resumeAt[msg.queueId],
      `message ${i} (queue ${msg.queueId} offset ${msg.queueOffset}) is below the committed offset ${state.resumeAt[msg.queueId]}: the group did not resume from it`);
  }
  const both = [ ...second.keys() ].filter(i => state.first.has(i));
  t.diagnostic(`first consumer ${state.first.size}, second ${second.size}, seen by both ${both.length}`);
});
