'use strict';
// Message content as ali-ons writes it: bodies of 4 KiB and more go out
// zlib-compressed with sysFlag bit 0 (the broker stores the flag, the client
// inflates on the way back), UTF-8 in keys, tags, user properties and body
// (the record's property length counts bytes, not characters).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../lib/harness');

const TOPIC = 'InteropContent';
const GROUP = 'GID_interop_content';

after(h.closeAll);

test('compressed bodies, UTF-8 keys, tags and user properties come back intact', async t => {
  if (h.skipUnlessBroker(t)) return;
  await h.createTopic(TOPIC, 4);
  const producer = await h.newProducer('PID_interop_content');

  // Random bytes do not compress, text does: both must round-trip.
  const cases = [
    { name: 'small', body: Buffer.from('plain body, well under the 4 KiB compression threshold') },
    { name: 'text-8k', body: Buffer.from('interop '.repeat(1024)) },
    { name: 'random-64k', body: crypto.randomBytes(64 * 1024) },
    { name: 'random-1500k', body: crypto.randomBytes(1500 * 1024) },
    { name: 'text-300k', body: Buffer.from('0123456789abcdef'.repeat(300 * 64)) },
    { name: 'utf8', body: Buffer.from('Grüße, 世界, привет — ✓'), tag: 'Tag-ü', keys: [ 'ключ', '鍵-1' ], user: { 'prop-é': 'värde ✓' } },
  ];
  const sent = new Map();
  for (const c of cases) {
    const msg = new h.Message(TOPIC, c.tag || 'TagContent', Buffer.from(c.body));
    msg.keys = c.keys || [ `content-${c.name}` ];
    msg.properties.caseName = c.name;
    for (const [ k, v ] of Object.entries(c.user || {})) msg.properties[k] = v;
    const compressed = c.body.length >= 4096;
    const r = await producer.send(msg);
    assert.equal(r.sendStatus, 'SEND_OK', c.name);
    // ali-ons replaced the body by its deflated form and flagged it.
    if (compressed) assert.notDeepEqual(msg.body, c.body, `${c.name}: sent compressed`);
    sent.set(c.name, { c, r });
  }

  const got = new Map();
  const consumer = h.newConsumer(GROUP);
  const pulls = h.observePulls(consumer);
  consumer.subscribe(TOPIC, '*', async msg => { got.set(msg.properties.caseName, msg); });
  await consumer.ready();
  await h.waitFor(`${cases.length} messages`, () =>
    got.size === cases.length || h.notYet(`${[ ...got.keys() ]}`), 30000);

  const raw = new Map(pulls.flatMap(p => p.msgs).map(m => [ m.properties.caseName, m ]));
  for (const c of cases) {
    const m = got.get(c.name);
    assert.ok(m, `${c.name}: received (got ${JSON.stringify([ ...got.keys() ])})`);
    assert.ok(m.body.equals(c.body), `${c.name}: body (${m.body.length} bytes, sent ${c.body.length})`);
    assert.equal(m.tags, c.tag || 'TagContent', `${c.name}: tag`);
    assert.equal(m.keys, (c.keys || [ `content-${c.name}` ]).join(' '), `${c.name}: keys`);
    for (const [ k, v ] of Object.entries(c.user || {})) assert.equal(m.properties[k], v, `${c.name}: property ${k}`);
    assert.equal(m.msgId, sent.get(c.name).r.msgId, `${c.name}: msg id`);
    const compressedFlag = (raw.get(c.name).sysFlag & 1) === 1;
    assert.equal(compressedFlag, c.body.length >= 4096, `${c.name}: sysFlag compressed bit as sent`);
  }
});

// The broker filters on the tag's Java String.hashCode (UTF-16 code units,
// docs/protocol.md §6.7), which ali-ons computes the same way for the subscription's codeSet:
// a non-ASCII tag must still select exactly its messages.
test('a subscription to a non-ASCII tag gets exactly the messages with that tag', async t => {
  if (h.skipUnlessBroker(t)) return;
  const got = [];
  const consumer = h.newConsumer(`${GROUP}_utf8tag`);
  const pulls = h.observePulls(consumer);
  consumer.subscribe(TOPIC, 'Tag-ü || Tag-ß', async msg => { got.push(msg.properties.caseName); });
  await consumer.ready();
  await h.waitFor('the message tagged Tag-ü', () => got.length >= 1 || h.notYet('none'), 20000);
  // Every queue has been pulled up to its end before the check below.
  await h.waitFor('the consumer to reach the end of all 4 queues', () => {
    const ends = new Map();
    for (const p of pulls) {
      if (p.header.topic !== TOPIC) continue;
      if (p.status === 'NO_NEW_MSG' || p.status === 'NO_MATCHED_MSG') ends.set(p.header.queueId, true);
    }
    return ends.size === 4 || h.notYet(`${ends.size} queues at their end`);
  }, 30000);
  assert.deepEqual(got, [ 'utf8' ]);
  const other = pulls.flatMap(p => p.msgs).filter(m => m.tags !== 'Tag-ü').map(m => m.properties.caseName);
  assert.deepEqual(other, [], 'the broker returned no message of another tag');
});

// maxMessageSize (4 MiB by default) bounds the stored body: the broker must
// refuse a bigger one with MESSAGE_ILLEGAL (13) and keep serving the client.
test('a body over maxMessageSize is refused with MESSAGE_ILLEGAL', async t => {
  if (h.skipUnlessBroker(t)) return;
  const producer = await h.newProducer('PID_interop_content_big');
  const big = new h.Message(TOPIC, 'TagBig', crypto.randomBytes(4 * 1024 * 1024 + 4096));
  await assert.rejects(producer.send(big), err => {
    assert.equal(err.code, 13, `answer ${err.code} ${err.message}`);
    return true;
  });
  const ok = await producer.send(new h.Message(TOPIC, 'TagBig', 'small again'));
  assert.equal(ok.sendStatus, 'SEND_OK', 'the same producer still sends');
});
