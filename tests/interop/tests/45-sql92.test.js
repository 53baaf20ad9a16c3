'use strict';
// SQL92 property filters (MessageSelector.bySql; the interop broker runs with
// enablePropertyFilter = true). ali-ons subscribes with an object
// {expressionType: 'SQL92', subString}: it reports the expression in its
// heartbeat and sends it with expressionType SQL92 on every pull. The group
// must get exactly the messages whose user properties match, and the broker
// must not return the others at all (ali-ons does not filter SQL92 itself).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const TOPIC = 'InteropSql92';
const GROUP = 'GID_interop_sql92';
const PREFIX = `sql92-${process.pid}`;
const COUNT = 200;
const QUEUES = 4;
const EXPR = "(n BETWEEN 20 AND 119 AND color = 'red') OR region IN ('eu') AND n < 10";
const matches = i => (i >= 20 && i <= 119 && i % 2 === 0) || (i % 5 === 0 && i < 10);

after(h.closeAll);

test(`a group subscribed with SQL92 "${EXPR}" gets exactly the matching messages`, async t => {
  if (h.skipUnlessBroker(t)) return;
  if (process.env.RMQ_INTEROP_MOCK_BROKER === '1') {
    t.skip('the mock broker filters by tag only');
    return;
  }
  await h.createTopic(TOPIC, QUEUES);
  const producer = await h.newProducer('PID_interop_sql92');
  const msgs = [];
  for (let i = 0; i < COUNT; i++) {
    const msg = h.numbered(TOPIC, PREFIX, i);
    msg.properties.n = String(i);
    msg.properties.color = i % 2 === 0 ? 'red' : 'blue';
    if (i % 5 === 0) msg.properties.region = 'eu';
    msgs.push(msg);
  }
  const results = await h.sendAll(producer, msgs);
  results.forEach((r, i) => assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`));

  const expected = [];
  for (let i = 0; i < COUNT; i++) if (matches(i)) expected.push(i);
  const got = new Map();
  const problems = [];
  const consumer = h.newConsumer(GROUP);
  const pulls = h.observePulls(consumer);
  consumer.subscribe(TOPIC, { expressionType: 'SQL92', subString: EXPR }, async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix !== PREFIX) { problems.push(`foreign message ${msg.body}`); return; }
    if (got.has(b.i)) problems.push(`message ${b.i} delivered twice`);
    got.set(b.i, msg);
  });
  await consumer.ready();
  await h.waitFor(`${expected.length} matching messages`, () =>
    got.size >= expected.length || h.notYet(`${got.size} received`), 30000);

  assert.deepEqual(problems, []);
  assert.deepEqual([ ...got.keys() ].sort((a, b) => a - b), expected);
  for (const [ i, msg ] of got) assert.equal(msg.properties.n, String(i), `message ${i}: property n`);
  const sqlPulls = pulls.filter(p => p.header.topic === TOPIC);
  assert.ok(sqlPulls.length > 0, 'pulled the topic');
  assert.ok(sqlPulls.every(p => p.header.expressionType === 'SQL92'), 'every pull says SQL92');
  const pulledOther = sqlPulls.flatMap(p => p.msgs).filter(m => !matches(Number(m.properties.n)));
  assert.equal(pulledOther.length, 0,
    `the broker returned ${pulledOther.length} messages outside the expression`);
  // (ali-ons also reports its retry topic's route as missing until the
  // first heartbeat creates it: not about filters)
  const refusals = consumer.errors.map(e => e.message).filter(m => /SQL92|filter|subscription/.test(m));
  assert.deepEqual(refusals, []);
});
