'use strict';
// A listener that fails: ali-ons sends the message back (CONSUMER_SEND_MSG_BACK,
// delayLevel 0 = broker decides, level 3 + reconsumeTimes), and the message
// must come back to the same group through its retry topic %RETRY%<group>.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropRetry';
const GROUP = 'GID_interop_retry';
const RETRY_TOPIC = `%RETRY%${GROUP}`;
const PREFIX = `retry-${process.pid}`;
const COUNT = 10;

after(h.closeAll);

test('a message whose listener fails comes back through the retry topic', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, 8);

  const attempts = new Map(); // i -> deliveries
  const consumer = h.newConsumer(GROUP);
  const pulls = h.observePulls(consumer);
  const sendBacks = [];
  const api = consumer._mqClient;
  const origBack = api.consumerSendMessageBack.bind(api);
  api.consumerSendMessageBack = async (addr, msg, group, delayLevel, timeout, max) => {
    try {
      await origBack(addr, msg, group, delayLevel, timeout, max);
      sendBacks.push({ msgId: msg.msgId, ok: true });
    } catch (err) {
      sendBacks.push({ msgId: msg.msgId, ok: false, error: `${err.code} ${err.message}` });
      throw err;
    }
  };
  consumer.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix !== PREFIX) return;
    if (!attempts.has(b.i)) attempts.set(b.i, []);
    const list = attempts.get(b.i);
    list.push({ at: Date.now(), msg });
    if (list.length === 1) throw new Error('interop: this listener fails once on purpose');
  });
  await consumer.ready();

  const producer = await h.newProducer('PID_interop_retry');
  const msgs = [];
  for (let i = 0; i < COUNT; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(producer, msgs);
  results.forEach((r, i) => assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`));

  await h.waitFor('every message delivered a second time', () => {
    const done = [ ...attempts.values() ].filter(l => l.length >= 2).length;
    return (attempts.size === COUNT && done === COUNT) ||
      h.notYet(`${attempts.size} delivered once, ${done} twice; send-backs ${JSON.stringify(sendBacks.filter(s => !s.ok))}`);
  }, 30000);

  // The client reported the failure to the broker and the broker took it:
  // no fall-back to the client re-sending the message itself.
  const failedBacks = sendBacks.filter(s => !s.ok);
  assert.deepEqual(failedBacks, [], 'CONSUMER_SEND_MSG_BACK answers');
  assert.equal(sendBacks.length, COUNT);

  const level3 = h.env.delayLevelsMs[2];
  for (const [ i, list ] of attempts) {
    assert.equal(list.length, 2, `message ${i}: delivered exactly twice`);
    const [ first, second ] = list;
    const m1 = first.msg;
    const m2 = second.msg;
    assert.equal(m1.reconsumeTimes, 0, `message ${i}: first delivery`);
    assert.equal(m2.reconsumeTimes, 1, `message ${i}: reconsumeTimes of the retry`);
    assert.equal(m2.body.toString(), m1.body.toString(), `message ${i}: body`);
    assert.equal(m2.tags, m1.tags, `message ${i}: tags`);
    assert.equal(m2.keys, m1.keys, `message ${i}: keys`);
    assert.equal(m2.retryTopic, TOPIC, `message ${i}: RETRY_TOPIC property`);
    assert.equal(m2.originMessageId, m1.msgId, `message ${i}: ORIGIN_MESSAGE_ID property`);
    assert.equal(m2.topic, TOPIC, `message ${i}: topic as the listener sees it`);
    assert.ok(second.at - first.at >= level3,
      `message ${i}: came back after ${second.at - first.at} ms, before delay level 3 (${level3} ms)`);
  }

  // ...and it came from the retry topic, not from the original queue again.
  const fromRetry = new Set(pulls.filter(p => p.header.topic === RETRY_TOPIC)
    .flatMap(p => p.msgs).map(m => h.bodyOf(m)).filter(b => b.prefix === PREFIX).map(b => b.i));
  assert.deepEqual([ ...fromRetry ].sort((a, b) => a - b), [ ...attempts.keys() ].sort((a, b) => a - b),
    `messages pulled from ${RETRY_TOPIC}`);
  const fromOrigin = pulls.filter(p => p.header.topic === TOPIC).flatMap(p => p.msgs)
    .map(m => h.bodyOf(m)).filter(b => b.prefix === PREFIX);
  assert.equal(fromOrigin.length, COUNT, `each message pulled once from ${TOPIC}`);
});
