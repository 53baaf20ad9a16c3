'use strict';
// A deliberately small in-memory stand-in for a RocketMQ 4.x broker, written
// from the protocol reference (docs/protocol.md §2, §6, §7.2, §10, §11.2).
// It is NOT part of rmq and says nothing about rmq: it exists so that the
// interop tests themselves can be checked (run.sh --mock-broker) before
// rmq-broker exists, and so that each test can be shown to fail against a
// broker with one specific fault (MOCK_FAULT=..., see FAULTS below).
//
//   node mock-broker.js --config=broker.conf [--instance=NAME]
//
// Reads the keys of the libconfig file that the interop run writes; keeps its
// state in storePathRootDir/mock-state.json across a SIGTERM restart.

const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

// Faults to prove the tests can fail (one at a time, MOCK_FAULT=name).
const FAULTS = {
  'no-tag-filter': 'PULL_MESSAGE ignores the subscription and returns every tag',
  'lose-offsets': 'consumer offsets are not kept across a restart',
  'retry-no-delay': 'CONSUMER_SEND_MSG_BACK redelivers at once (no level 3 delay)',
  'delay-ignored': 'the DELAY property is ignored',
  'one-consumer-listed': 'GET_CONSUMER_LIST_BY_GROUP lists only the first consumer',
  'no-dlq': 'CONSUMER_SEND_MSG_BACK ignores maxReconsumeTimes (never a dead letter queue)',
  'lose-delayed': 'delayed messages not yet due are lost in a restart',
  'no-crash-safety': 'state is saved only on SIGTERM (a SIGKILL loses everything)',
  'drop-some': 'every 50th send (counting from the 7th) is acknowledged but not stored',
};
const fault = process.env.MOCK_FAULT || '';
if (fault && !FAULTS[fault]) {
  console.error(`mock-broker: unknown MOCK_FAULT ${fault}`);
  process.exit(2);
}

// ---- configuration -------------------------------------------------------
const arg = name => (process.argv.find(a => a.startsWith(`--${name}=`)) || '').split('=').slice(1).join('=');
const conf = {};
for (const line of fs.readFileSync(arg('config'), 'utf8').split('\n')) {
  const m = /^\s*([A-Za-z0-9]+)\s*=\s*(.*?);?\s*(#.*)?$/.exec(line);
  if (m) conf[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
}
const port = Number(conf.listenPort);
const ip = conf.brokerIP1 || '127.0.0.1';
const brokerAddr = `${ip}:${port}`;
const namesrvs = conf.namesrvAddr.split(';');
const delayLevels = (conf.messageDelayLevel || '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h')
  .split(/\s+/).map(t => {
    const m = /^(\d+)(s|m|h|d)$/.exec(t);
    return Number(m[1]) * { s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2]];
  });
const stateFile = path.join(conf.storePathRootDir, 'mock-state.json');
const log = (...a) => console.log(new Date().toISOString(), ...a);

// ---- state ---------------------------------------------------------------
// Messages are kept as objects; queues hold indexes into `log`.
const st = {
  commitLog: [], // { topic, queueId, queueOffset, phys, body(base64), props, sysFlag, flag, bornTs, bornHost, storeTs, reconsume }
  physNext: 0,
  topics: { TBW102: { read: 8, write: 8, perm: 7 } },
  queues: {}, // "topic:q" -> [index into commitLog]
  offsets: {}, // "group@topic:q" -> offset
  delayed: [], // { m, due } not yet in their real topic
};
if (fs.existsSync(stateFile)) {
  Object.assign(st, JSON.parse(fs.readFileSync(stateFile, 'utf8')));
  if (fault === 'lose-offsets') st.offsets = {};
  if (fault === 'lose-delayed') st.delayed = [];
  st.delayed.forEach(scheduleDelayed);
  log(`loaded ${st.commitLog.length} messages from ${stateFile}`);
}
const consumers = new Map(); // group -> Map(clientId -> socket)
const waiting = []; // long-polling pulls

// ---- framing ---------------------------------------------------------------
function encode(cmd) {
  const header = Buffer.from(JSON.stringify(cmd.header));
  const body = cmd.body || Buffer.alloc(0);
  const out = Buffer.alloc(8 + header.length + body.length);
  out.writeInt32BE(4 + header.length + body.length, 0);
  out.writeInt32BE(header.length, 4);
  header.copy(out, 8);
  body.copy(out, 8 + header.length);
  return out;
}

function framer(socket, onCommand) {
  let buf = Buffer.alloc(0);
  socket.on('data', chunk => {
    buf = Buffer.concat([ buf, chunk ]);
    while (buf.length >= 4) {
      const len = buf.readInt32BE(0);
      if (buf.length < 4 + len) break;
      const frame = buf.subarray(4, 4 + len);
      buf = buf.subarray(4 + len);
      const hlen = frame.readInt32BE(0) & 0xffffff;
      const header = JSON.parse(frame.subarray(4, 4 + hlen).toString());
      const body = frame.length > 4 + hlen ? frame.subarray(4 + hlen) : null;
      onCommand({ header, body });
    }
  });
}

function respond(socket, req, code, ext = {}, body = null, remark = null) {
  if (req.header.flag & 2) return; // one-way
  const extFields = {};
  for (const [ k, v ] of Object.entries(ext)) extFields[k] = String(v);
  socket.write(encode({
    header: { code, language: 'JAVA', version: 395, opaque: req.header.opaque, flag: 1, remark, extFields, serializeTypeCurrentRPC: 'JSON' },
    body,
  }));
}

// ---- messages --------------------------------------------------------------
const SEP1 = '\u0001';
const SEP2 = '\u0002';
function parseProps(s) {
  const out = {};
  for (const item of (s || '').split(SEP2)) {
    const i = item.indexOf(SEP1);
    if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}
const propsString = p => Object.entries(p).map(([ k, v ]) => `${k}${SEP1}${v}${SEP2}`).join('');

function hostBytes(addr) {
  const [ h, p ] = addr.split(':');
  const b = Buffer.alloc(8);
  h.split('.').forEach((x, i) => { b[i] = Number(x); });
  b.writeInt32BE(Number(p), 4);
  return b;
}

function msgId(m) {
  const b = Buffer.alloc(16);
  hostBytes(brokerAddr).copy(b, 0);
  b.writeBigInt64BE(BigInt(m.phys), 8);
  return b.toString('hex').toUpperCase();
}

function record(m) {
  const body = Buffer.from(m.body, 'base64');
  const topic = Buffer.from(m.topic);
  const props = Buffer.from(propsString(m.props));
  const size = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + body.length + 1 + topic.length + 2 + props.length;
  const b = Buffer.alloc(size);
  let o = 0;
  o = b.writeInt32BE(size, o);
  o = b.writeInt32BE(0xdaa320a7 | 0, o);
  o = b.writeInt32BE(zlib.crc32 ? zlib.crc32(body) | 0 : 0, o);
  o = b.writeInt32BE(m.queueId, o);
  o = b.writeInt32BE(m.flag, o);
  o = b.writeBigInt64BE(BigInt(m.queueOffset), o);
  o = b.writeBigInt64BE(BigInt(m.phys), o);
  o = b.writeInt32BE(m.sysFlag, o);
  o = b.writeBigInt64BE(BigInt(m.bornTs), o);
  hostBytes(m.bornHost).copy(b, o); o += 8;
  o = b.writeBigInt64BE(BigInt(m.storeTs), o);
  hostBytes(brokerAddr).copy(b, o); o += 8;
  o = b.writeInt32BE(m.reconsume, o);
  o = b.writeBigInt64BE(0n, o);
  o = b.writeInt32BE(body.length, o);
  body.copy(b, o); o += body.length;
  o = b.writeInt8(topic.length, o);
  topic.copy(b, o); o += topic.length;
  o = b.writeInt16BE(props.length, o);
  props.copy(b, o);
  return b;
}

let sendCount = 0;
function store(m) {
  const key = `${m.topic}:${m.queueId}`;
  if (!st.queues[key]) st.queues[key] = [];
  m.queueOffset = st.queues[key].length;
  m.phys = st.physNext;
  st.physNext += 100; // any increasing number: only an address for msg ids
  m.storeTs = Date.now();
  sendCount++;
  if (fault === 'drop-some' && sendCount % 50 === 7) return m; // acknowledged, lost
  st.commitLog.push(m);
  st.queues[key].push(st.commitLog.length - 1);
  wakePulls(key);
  return m;
}

// Delayed messages (levels) go back to their real topic when due; pending
// ones are part of the saved state, so they survive a restart.
function scheduleDelayed(d) {
  setTimeout(() => {
    const i = st.delayed.indexOf(d);
    if (i < 0) return;
    st.delayed.splice(i, 1);
    const real = Object.assign({}, d.m, { props: Object.assign({}, d.m.props) });
    delete real.props.DELAY;
    store(real);
  }, Math.max(0, d.due - Date.now()));
}

function storeMaybeDelayed(m, level) {
  if (!level || fault === 'delay-ignored') return store(m);
  const wait = delayLevels[Math.min(level, delayLevels.length) - 1];
  const placeholder = Object.assign({}, m, { queueOffset: -1, phys: st.physNext });
  st.physNext += 100;
  const d = { m, due: Date.now() + wait };
  st.delayed.push(d);
  scheduleDelayed(d);
  return placeholder;
}

// ---- name server link ----------------------------------------------------------
const nsSockets = new Map();
let opaque = 1;
function registerAll() {
  const table = {};
  for (const [ name, t ] of Object.entries(st.topics)) {
    table[name] = { topicName: name, readQueueNums: t.read, writeQueueNums: t.write, perm: t.perm, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
  }
  const body = Buffer.from(JSON.stringify({
    topicConfigSerializeWrapper: { topicConfigTable: table, dataVersion: { counter: Object.keys(table).length, timestamp: Date.now() } },
    filterServerList: [],
  }));
  for (const ns of namesrvs) {
    let s = nsSockets.get(ns);
    if (!s || s.destroyed) {
      const [ h, p ] = ns.split(':');
      s = net.connect(Number(p), h);
      s.on('error', err => log(`namesrv ${ns}: ${err.message}`));
      s.on('data', () => {});
      nsSockets.set(ns, s);
    }
    s.write(encode({
      header: { code: 103, language: 'JAVA', version: 395, opaque: opaque++, flag: 0, extFields: {
        brokerName: conf.brokerName, brokerAddr, clusterName: conf.brokerClusterName,
        haServerAddr: `${ip}:${conf.haListenPort}`, brokerId: '0', compressed: 'false',
      }, serializeTypeCurrentRPC: 'JSON' },
      body,
    }));
  }
}

function ensureTopic(name, queues, perm = 6) {
  if (st.topics[name]) return;
  st.topics[name] = { read: queues, write: queues, perm };
  registerAll();
}

// ---- pulls -------------------------------------------------------------------
function tagFilter(expr) {
  if (!expr || expr === '*' || fault === 'no-tag-filter') return () => true;
  const tags = new Set(expr.split('||').map(s => s.trim()).filter(Boolean));
  return m => tags.has(m.props.TAGS);
}

function tryPull(h) {
  const key = `${h.topic}:${h.queueId}`;
  const q = st.queues[key] || [];
  const max = q.length;
  const from = Number(h.queueOffset);
  const match = tagFilter(h.subscription);
  const found = [];
  let next = from;
  while (next < max && found.length < Number(h.maxMsgNums) && next - from < 800) {
    const m = st.commitLog[q[next]];
    if (match(m)) found.push(m);
    next++;
  }
  const ext = { nextBeginOffset: next, minOffset: 0, maxOffset: max, suggestWhichBrokerId: 0 };
  if (found.length) return { code: 0, ext, body: Buffer.concat(found.map(record)), remark: 'FOUND' };
  if (next > from) return { code: 20, ext, remark: 'NO_MATCHED_MESSAGE' };
  return null; // nothing new yet
}

function wakePulls(key) {
  for (let i = waiting.length - 1; i >= 0; i--) {
    const w = waiting[i];
    if (`${w.h.topic}:${w.h.queueId}` !== key) continue;
    const r = tryPull(w.h);
    if (r) {
      waiting.splice(i, 1);
      clearTimeout(w.timer);
      respond(w.socket, w.req, r.code, r.ext, r.body, r.remark);
    }
  }
}

// ---- request handlers -------------------------------------------------------
const handlers = {
  17(s, req, e) { // UPDATE_AND_CREATE_TOPIC
    st.topics[e.topic] = { read: Number(e.readQueueNums), write: Number(e.writeQueueNums), perm: Number(e.perm) };
    registerAll();
    respond(s, req, 0);
  },
  34(s, req) { // HEART_BEAT
    const hb = JSON.parse(req.body.toString());
    for (const cd of hb.consumerDataSet || []) {
      if (!consumers.has(cd.groupName)) consumers.set(cd.groupName, new Map());
      consumers.get(cd.groupName).set(hb.clientID, s);
      ensureTopic(`%RETRY%${cd.groupName}`, 1);
    }
    respond(s, req, 0);
  },
  35(s, req, e) { // UNREGISTER_CLIENT
    if (e.consumerGroup && consumers.has(e.consumerGroup)) consumers.get(e.consumerGroup).delete(e.clientID);
    respond(s, req, 0);
  },
  38(s, req, e) { // GET_CONSUMER_LIST_BY_GROUP
    let ids = [ ...(consumers.get(e.consumerGroup) || new Map()).keys() ];
    if (fault === 'one-consumer-listed') ids = ids.slice(0, 1);
    respond(s, req, 0, {}, Buffer.from(JSON.stringify({ consumerIdList: ids })));
  },
  310(s, req, e) { // SEND_MESSAGE_V2
    const props = parseProps(e.i);
    const m = {
      topic: e.b, queueId: Number(e.e), flag: Number(e.h || 0), sysFlag: Number(e.f || 0),
      bornTs: Number(e.g), bornHost: `${s.remoteAddress.replace(/^::ffff:/, '')}:${s.remotePort}`,
      reconsume: Number(e.j || 0), props, body: (req.body || Buffer.alloc(0)).toString('base64'),
    };
    if (!st.topics[m.topic]) return respond(s, req, 17, {}, null, `topic ${m.topic} not exist`);
    if ((req.body || []).length > Number(conf.maxMessageSize || 4194304)) return respond(s, req, 13, {}, null, 'message body too big');
    const stored = storeMaybeDelayed(m, Number(props.DELAY || 0));
    respond(s, req, 0, { msgId: msgId(stored), queueId: m.queueId, queueOffset: stored.queueOffset });
  },
  11(s, req, e) { // PULL_MESSAGE
    if ((Number(e.sysFlag) & 1) && Number(e.commitOffset) >= 0) {
      st.offsets[`${e.consumerGroup}@${e.topic}:${e.queueId}`] = Number(e.commitOffset);
    }
    const r = tryPull(e);
    if (r) return respond(s, req, r.code, r.ext, r.body, r.remark);
    const hold = Math.min(Number(e.suspendTimeoutMillis) || 0, 5000);
    const w = { h: e, socket: s, req };
    w.timer = setTimeout(() => {
      const i = waiting.indexOf(w);
      if (i >= 0) waiting.splice(i, 1);
      const max = (st.queues[`${e.topic}:${e.queueId}`] || []).length;
      respond(s, req, 19, { nextBeginOffset: e.queueOffset, minOffset: 0, maxOffset: max, suggestWhichBrokerId: 0 }, null, 'NO_NEW_MSG');
    }, hold);
    waiting.push(w);
  },
  14(s, req, e) { // QUERY_CONSUMER_OFFSET
    const off = st.offsets[`${e.consumerGroup}@${e.topic}:${e.queueId}`];
    if (off !== undefined) return respond(s, req, 0, { offset: off });
    respond(s, req, 0, { offset: 0 }); // fresh queue: start at 0 (docs/protocol.md §10.5)
  },
  15(s, req, e) { // UPDATE_CONSUMER_OFFSET
    st.offsets[`${e.consumerGroup}@${e.topic}:${e.queueId}`] = Number(e.commitOffset);
    respond(s, req, 0);
  },
  30(s, req, e) { // GET_MAX_OFFSET
    respond(s, req, 0, { offset: (st.queues[`${e.topic}:${e.queueId}`] || []).length });
  },
  29(s, req) { respond(s, req, 0, { offset: 0 }); }, // GET_MIN_OFFSET
  36(s, req, e) { // CONSUMER_SEND_MSG_BACK
    const orig = st.commitLog.find(m => m.phys === Number(e.offset));
    if (!orig) return respond(s, req, 1, {}, null, `no message at ${e.offset}`);
    if (fault !== 'no-dlq' && orig.reconsume >= Number(e.maxReconsumeTimes || 16)) {
      const dlq = `%DLQ%${e.group}`;
      ensureTopic(dlq, 1, 2);
      store(Object.assign({}, orig, { topic: dlq, queueId: 0, props: Object.assign({}, orig.props) }));
      return respond(s, req, 0);
    }
    const retryTopic = `%RETRY%${e.group}`;
    ensureTopic(retryTopic, 1);
    const props = Object.assign({}, orig.props);
    if (!props.RETRY_TOPIC) props.RETRY_TOPIC = orig.topic;
    if (!props.ORIGIN_MESSAGE_ID) props.ORIGIN_MESSAGE_ID = e.originMsgId || msgId(orig);
    const reconsume = orig.reconsume + 1;
    let level = Number(e.delayLevel);
    if (level === 0) level = 3 + orig.reconsume;
    const m = Object.assign({}, orig, { topic: retryTopic, queueId: 0, props, reconsume });
    storeMaybeDelayed(m, fault === 'retry-no-delay' ? 0 : level);
    respond(s, req, 0);
  },
};

const server = net.createServer(socket => {
  socket.on('error', () => {});
  socket.on('close', () => {
    for (const g of consumers.values()) {
      for (const [ id, s ] of g) if (s === socket) g.delete(id);
    }
  });
  framer(socket, req => {
    const fn = handlers[req.header.code];
    const e = req.header.extFields || {};
    if (!fn) return respond(socket, req, 3, {}, null, `mock broker: code ${req.header.code} not supported`);
    try {
      fn(socket, req, e);
    } catch (err) {
      log(`code ${req.header.code}: ${err.stack}`);
      respond(socket, req, 1, {}, null, err.message);
    }
  });
});

// Saved every 200 ms as well, so a SIGKILL loses at most that much; the
// consumer offsets also go to config/consumerOffset.json in the Java layout.
function save() {
  fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(st));
  fs.renameSync(`${stateFile}.tmp`, stateFile);
  const table = {};
  for (const [ k, off ] of Object.entries(st.offsets)) {
    const m = /^(.*)@(.*):(\d+)$/.exec(k);
    const key = `${m[2]}@${m[1]}`;
    if (!table[key]) table[key] = {};
    table[key][m[3]] = off;
  }
  const dir = path.join(conf.storePathRootDir, 'config');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'consumerOffset.json'), JSON.stringify({ offsetTable: table }));
}
if (fault !== 'no-crash-safety') setInterval(save, 200);

function shutdown() {
  save();
  log('state saved; bye');
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, conf.bindAddress || '0.0.0.0', () => {
  log(`mock broker ${conf.brokerName} on ${brokerAddr}${fault ? `, fault: ${FAULTS[fault]}` : ''}`);
  registerAll();
  setInterval(registerAll, 10000);
});
