'use strict';
// Plain ACL with ali-ons's own signer (lib/channel.js: HMAC-SHA1 over the
// sorted ext field values, AccessKey and OnsChannel included, then the body).
// The second broker (broker-interop-b) is started with aclEnable and a
// plain_acl.yml written here: a producer and a consumer with accessKey and
// secretKey send and receive every message; a producer with a wrong secret
// is refused with Java's remark; an account without SUB on the topic gets
// nothing. The topic is created by rmq-call signing as the admin account.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../lib/harness');

const TOPIC = 'InteropAclTopic';
const GROUP = 'GID_interop_acl';
const PREFIX = `acl-${process.pid}`;
const COUNT = 50;
const QUEUES = 4;
const B = { addr: h.env.broker2, name: h.env.broker2Name };
const ADMIN = { accessKey: 'InteropAdmin', secretKey: 'interop-admin-secret' };
const USER = { accessKey: 'InteropUser1', secretKey: 'interop-user-secret' };
const PUB_ONLY = { accessKey: 'InteropPubOnly', secretKey: 'interop-pub-secret' };

const confPath = path.join(h.env.dir, 'broker-b.conf');
const aclPath = path.join(h.env.dir, 'plain_acl.yml');
const st = {};

after(async () => {
  await h.closeAll();
  if (st.started) await h.brokerCtl('stop-broker', 'b');
  if (st.conf !== undefined) fs.writeFileSync(confPath, st.conf);
});

function aclFile() {
  return [
    'accounts:',
    `  - accessKey: ${ADMIN.accessKey}`,
    `    secretKey: ${ADMIN.secretKey}`,
    '    admin: true',
    `  - accessKey: ${USER.accessKey}`,
    `    secretKey: ${USER.secretKey}`,
    '    defaultTopicPerm: DENY',
    '    defaultGroupPerm: SUB',
    '    topicPerms:',
    `      - ${TOPIC}=PUB|SUB`,
    `  - accessKey: ${PUB_ONLY.accessKey}`,
    `    secretKey: ${PUB_ONLY.secretKey}`,
    '    defaultTopicPerm: DENY',
    '    defaultGroupPerm: SUB',
    '    topicPerms:',
    `      - ${TOPIC}=PUB`,
    '',
  ].join('\n');
}

function brokerLog() {
  return fs.readFileSync(path.join(h.env.dir, 'broker-b.log'), 'utf8');
}

// Sends one message, resolving to the error (or null on success).
async function sendError(producer, msg) {
  try {
    await producer.send(msg);
    return null;
  } catch (err) {
    return err;
  }
}

test('ali-ons signs: produce and consume with ACL on, a wrong secret is refused', async t => {
  if (h.skipUnlessBroker(t)) return;
  if (process.env.RMQ_INTEROP_MOCK_BROKER === '1') {
    t.skip('the mock broker has no ACL');
    return;
  }
  fs.writeFileSync(aclPath, aclFile());
  st.conf = fs.readFileSync(confPath, 'utf8');
  fs.writeFileSync(confPath, `${st.conf}aclEnable = true;\nplainAclFile = "${aclPath}";\n`);
  await h.brokerCtl('start-broker', 'b');
  st.started = true;

  // rmq-call signs with the admin key from its environment
  process.env.RMQ_ACCESS_KEY = ADMIN.accessKey;
  process.env.RMQ_SECRET_KEY = ADMIN.secretKey;
  try {
    await h.createTopic(TOPIC, QUEUES, [ B ]);
  } finally {
    delete process.env.RMQ_ACCESS_KEY;
    delete process.env.RMQ_SECRET_KEY;
  }
  // unsigned, the same request is refused with Java's answer
  const refused = await h.rmqCall(B.addr, 'GET_MAX_OFFSET', { topic: TOPIC, queueId: 0 });
  assert.equal(refused.code, 1, 'SYSTEM_ERROR');
  assert.equal(refused.remark, 'org.apache.rocketmq.acl.common.AclException: No accessKey is configured');

  const got = new Map();
  const consumer = h.newConsumer(GROUP, Object.assign({ instanceName: 'acl-user' }, USER));
  consumer.subscribe(TOPIC, '*', async msg => {
    const b = h.bodyOf(msg);
    if (b.prefix === PREFIX) got.set(b.i, msg);
  });
  await consumer.ready();

  const producer = await h.newProducer('PID_interop_acl', Object.assign({ instanceName: 'acl-user-p' }, USER));
  const msgs = [];
  for (let i = 0; i < COUNT; i++) msgs.push(h.numbered(TOPIC, PREFIX, i));
  const results = await h.sendAll(producer, msgs);
  results.forEach((r, i) => {
    assert.equal(r.sendStatus, 'SEND_OK', `message ${i}`);
    assert.equal(r.messageQueue.brokerName, B.name, `message ${i} on the ACL broker`);
  });
  await h.waitFor(`${COUNT} messages consumed by the signing consumer`,
    () => (got.size === COUNT ? true : h.notYet(`${got.size} of ${COUNT}`)), 30000);
  for (let i = 0; i < COUNT; i++) assert.equal(got.get(i).tags, h.TAGS[i % h.TAGS.length], `message ${i} tag`);

  // a wrong secret: the broker answers SYSTEM_ERROR with Java's remark
  const bad = await h.newProducer('PID_interop_acl_bad', {
    instanceName: 'acl-bad', accessKey: USER.accessKey, secretKey: 'not-the-secret',
  });
  const err = await sendError(bad, h.numbered(TOPIC, `${PREFIX}-bad`, 0));
  assert.ok(err, 'the send with a wrong secret fails');
  // ali-ons reports "Send [N] times, still failed"; the refusal is in the broker's log
  await h.waitFor('the broker to log the wrong signature', () => (
    brokerLog().includes('ACL refused request code 310 from 127.0.0.1, accessKey InteropUser1: ' +
      'Check signature failed for accessKey=InteropUser1') ? true : h.notYet('not logged')), 15000);

  // PUB but not SUB on the topic: sends pass, pulls are refused
  const pub = await h.newProducer('PID_interop_acl_pub', Object.assign({ instanceName: 'acl-pub' }, PUB_ONLY));
  const ok = await pub.send(h.numbered(TOPIC, `${PREFIX}-pub`, 0));
  assert.equal(ok.sendStatus, 'SEND_OK');
  const pulls = h.newConsumer('GID_interop_acl_pub', Object.assign({ instanceName: 'acl-pub-c' }, PUB_ONLY));
  let pulled = 0;
  pulls.subscribe(TOPIC, '*', async () => { pulled++; });
  await pulls.ready().catch(() => {});
  const logged = await h.waitFor('the broker to log the refused pull or heartbeat', () => {
    const log = brokerLog();
    return /accessKey InteropPubOnly: No default permission for topic:InteropAclTopic/.test(log)
      ? true : h.notYet('no refusal logged');
  }, 15000);
  assert.ok(logged);
  assert.equal(pulled, 0, 'nothing delivered without SUB');
});
