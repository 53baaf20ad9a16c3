'use strict';
// ali-ons against rmq-namesrv alone: the client's own encoder (language JAVA,
// version 121, numeric and boolean extFields, no remark) registers a fake
// broker, then reads routes with the client's route parser (eval-based JSON).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');

const FAKE = {
  cluster: 'InteropFakeCluster',
  name: 'interop-fake-broker',
  addr: '127.0.0.1:1', // nothing listens there; no client connects to it here
  topic: 'InteropFakeTopic',
};

const api = new h.MQClientAPI(h.clientOptions({}));

after(async () => { await api.close(); });

function registerBody() {
  return Buffer.from(JSON.stringify({
    filterServerList: [],
    topicConfigSerializeWrapper: {
      dataVersion: { counter: 1, timestamp: Date.now() },
      topicConfigTable: {
        [FAKE.topic]: {
          order: false, perm: 6, readQueueNums: 3, writeQueueNums: 5,
          topicFilterType: 'SINGLE_TAG', topicName: FAKE.topic, topicSysFlag: 0,
        },
      },
    },
  }));
}

test('REGISTER_BROKER with numeric and boolean extFields is accepted', async () => {
  await api.ready();
  const req = h.RemotingCommand.createRequestCommand(103, {
    brokerName: FAKE.name, brokerAddr: FAKE.addr, clusterName: FAKE.cluster,
    haServerAddr: '127.0.0.1:2', brokerId: 0, compressed: false,
  });
  req.body = registerBody();
  // Kept on this connection: the name server drops a broker whose channel closes.
  const res = await api.invoke(h.env.namesrv, req, 5000);
  assert.equal(res.code, 0, `REGISTER_BROKER answered ${res.code} ${res.remark}`);
  assert.equal(res.isResponseType, true);
  assert.equal(res.opaque, req.opaque, 'the response carries the request opaque');
});

test('ali-ons parses the route of the registered topic', async () => {
  const route = await api.getTopicRouteInfoFromNameServer(FAKE.topic, 3000);
  assert.ok(route, 'a route');
  assert.equal(route.brokerDatas.length, 1);
  const bd = route.brokerDatas[0];
  assert.equal(bd.brokerName, FAKE.name);
  assert.equal(bd.cluster, FAKE.cluster);
  // ali-ons looks the master up as brokerAddrs[0] (MixAll.MASTER_ID).
  assert.equal(bd.brokerAddrs[0], FAKE.addr);
  assert.equal(route.queueDatas.length, 1);
  const qd = route.queueDatas[0];
  assert.deepEqual(
    { brokerName: qd.brokerName, readQueueNums: qd.readQueueNums, writeQueueNums: qd.writeQueueNums, perm: qd.perm },
    { brokerName: FAKE.name, readQueueNums: 3, writeQueueNums: 5, perm: 6 });
});

test('an unknown topic is TOPIC_NOT_EXIST (17) for ali-ons', async () => {
  await assert.rejects(api.getTopicRouteInfoFromNameServer('InteropNoSuchTopic', 3000),
    err => err.name === 'MQClientException' && err.code === 17);
});

test('UNREGISTER_BROKER removes the fake broker and its topic', async () => {
  const req = h.RemotingCommand.createRequestCommand(104, {
    brokerName: FAKE.name, brokerAddr: FAKE.addr, clusterName: FAKE.cluster, brokerId: 0,
  });
  const res = await api.invoke(h.env.namesrv, req, 5000);
  assert.equal(res.code, 0, `UNREGISTER_BROKER answered ${res.code} ${res.remark}`);
  await assert.rejects(api.getTopicRouteInfoFromNameServer(FAKE.topic, 3000),
    err => err.code === 17);
});
