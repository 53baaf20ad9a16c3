'use strict';
// Shared helpers of the interop tests: the run's addresses (exported by
// run.sh), the rmq-call probe, polling with a deadline, and ali-ons clients
// configured for a plain name server (no ONS address server, no access keys).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { execFile } = require('node:child_process');
const { Producer, Consumer, Message } = require('ali-ons');
const MQProducer = require('ali-ons/lib/producer/mq_producer');
const MQClientAPI = require('ali-ons/lib/mq_client_api');
const RemotingCommand = require('ali-ons/lib/protocol/command/remoting_command');
const MessageDecoder = require('ali-ons/lib/message/message_decoder');

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through tests/interop/run.sh`);
  return v;
}

const env = {
  dir: required('RMQ_INTEROP_DIR'),
  namesrv: required('RMQ_INTEROP_NAMESRV'),
  broker: required('RMQ_INTEROP_BROKER'),
  brokerName: required('RMQ_INTEROP_BROKER_NAME'),
  broker2: required('RMQ_INTEROP_BROKER2'), // started only by the cluster test
  broker2Name: required('RMQ_INTEROP_BROKER2_NAME'),
  cluster: required('RMQ_INTEROP_CLUSTER'),
  rmqCall: required('RMQ_INTEROP_RMQ_CALL'),
  ctl: required('RMQ_INTEROP_CTL'),
  haveBroker: process.env.RMQ_INTEROP_HAVE_BROKER === '1',
  delayLevelsMs: required('RMQ_INTEROP_DELAY_LEVELS').split(/\s+/).map(parseDuration),
};

function parseDuration(text) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`bad delay level ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2]];
}

// One log file per test file: the client's own log plus our notes.
const logName = path.basename(require.main ? require.main.filename : 'client', '.test.js');
const logFile = path.join(env.dir, `client-${logName}.log`);
function log(level, args) {
  const line = `${new Date().toISOString()} ${level} ${util.format(...args)}\n`;
  fs.appendFileSync(logFile, line);
}
const logger = {
  debug() {},
  info: (...a) => log('INFO', a),
  warn: (...a) => log('WARN', a),
  error: (...a) => log('ERROR', a),
};

// RMQ_INTEROP_TRACE=1: every command ali-ons sends and every answer, in
// this file's client log (what the client sent, what the daemon answered).
if (process.env.RMQ_INTEROP_TRACE === '1') {
  const Channel = require('ali-ons/lib/channel');
  const bodyText = b => (b ? `${b.length} bytes ${JSON.stringify(b.subarray(0, 300).toString('latin1'))}` : 'no body');
  const show = (cmd, addr) => {
    const head = JSON.parse(cmd.buildHeader().toString());
    return `${addr} ${JSON.stringify(head)} ${bodyText(cmd.body)}`;
  };
  const origInvoke = Channel.prototype.invoke;
  Channel.prototype.invoke = function(command, timeout) {
    log('TRACE', [ '-> %s', show(command, `${this.options.host}:${this.options.port}`) ]);
    return origInvoke.call(this, command, timeout).catch(err => {
      log('TRACE', [ '<- opaque %d: %s', command.opaque, err.message ]);
      throw err;
    });
  };
  // Answers and server requests as they came off the wire (raw header JSON).
  const origDecode = Channel.prototype.decode;
  Channel.prototype.decode = function(body, header) {
    const frame = Buffer.concat([ header, body ]);
    const hlen = frame.readInt32BE(4) & 0xffffff;
    const rest = frame.subarray(8 + hlen);
    log('TRACE', [ '<- %s:%s %s %s', this.options.host, this.options.port,
      frame.subarray(8, 8 + hlen).toString(), bodyText(rest.length ? rest : null) ]);
    return origDecode.call(this, body, header);
  };
  const origOneway = Channel.prototype.invokeOneway;
  Channel.prototype.invokeOneway = function(command) {
    log('TRACE', [ '-> (one-way) %s', show(command, `${this.options.host}:${this.options.port}`) ]);
    return origOneway.call(this, command);
  };
}

// ali-ons insists on an HTTP client for the ONS address server; with nameSrv
// set it never calls it.
const noHttpClient = {
  request() { throw new Error('interop: no address server, nameSrv is set'); },
};

function clientOptions(extra) {
  return Object.assign({
    httpclient: noHttpClient,
    nameSrv: env.namesrv,
    logger,
    // Short periods so rebalances, route updates and offset commits happen
    // within seconds (defaults: 30 s, 30 s, 10 s, 5 s).
    pollNameServerInteval: 2000,
    heartbeatBrokerInterval: 2000,
    rebalanceInterval: 2000,
    persistConsumerOffsetInterval: 1000,
  }, extra);
}

const opened = [];

async function newProducer(group, extra) {
  const p = new Producer(clientOptions(Object.assign({ producerGroup: group }, extra)));
  p.on('error', err => logger.warn('producer %s error: %s', group, err.message));
  opened.push(p);
  await p.ready();
  return p;
}

// Consumers start at the first offset so a fresh group sees every message
// already stored (ali-ons's default, LAST_OFFSET, would depend on timing).
function newConsumer(group, extra) {
  const c = new Consumer(clientOptions(Object.assign({
    consumerGroup: group,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  }, extra)));
  c.errors = [];
  c.on('error', err => {
    c.errors.push(err);
    logger.warn('consumer %s error: %s', group, err.message);
  });
  opened.push(c);
  return c;
}

// Records what the broker returns to every PULL_MESSAGE of this consumer,
// before ali-ons filters by tag on its side.
function observePulls(consumer) {
  const pulls = [];
  const client = consumer._mqClient;
  const orig = client.pullMessage.bind(client);
  client.pullMessage = async (addr, header, timeout) => {
    const h = Object.assign({}, header);
    const result = await orig(addr, header, timeout);
    pulls.push({ header: h, status: result.pullStatus, msgs: result.msgFoundList.slice() });
    return result;
  };
  return pulls;
}

async function closeClient(client) {
  const i = opened.indexOf(client);
  if (i >= 0) opened.splice(i, 1);
  await client.close();
}

// Closes everything this file opened, including the inner producer ali-ons
// creates behind every client, so that node can exit. ali-ons's close() stops
// half-way when a broker it knows is gone (its UNREGISTER_CLIENT fails): then
// its client is closed directly, and a last unref'd timer ends the process
// should anything still hold it.
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms); }),
  ]);
}

async function closeOne(c, what) {
  try {
    await withTimeout(c.close(), 5000, what);
  } catch (err) {
    logger.warn('close %s: %s', what, err.message);
    try { await withTimeout(c._mqClient.close(), 5000, `${what} client`); } catch (e) { logger.warn('%s', e.message); }
  }
}

async function closeAll() {
  while (opened.length) await closeOne(opened.pop(), 'client');
  if (MQProducer.defaultProducer) {
    await closeOne(MQProducer.defaultProducer, 'inner producer');
    MQProducer.defaultProducer = null;
  }
  setTimeout(() => {
    logger.warn('ali-ons left handles open after closeAll: exiting');
    process.exit();
  }, 5000).unref();
}

// Polls fn until it returns a truthy value other than notYet(detail);
// throws with `what` and the last detail when the deadline passes.
class NotYet {
  constructor(detail) { this.detail = String(detail); }
}
const notYet = detail => new NotYet(detail);

async function waitFor(what, fn, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await fn();
    if (last && !(last instanceof NotYet)) return last;
    if (Date.now() >= deadline) {
      const detail = last instanceof NotYet ? `: ${last.detail}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

// rmq-call: one request, the response parsed from its text output.
function rmqCall(addr, code, fields = {}, body) {
  const args = [];
  if (body !== undefined) args.push('--body', body);
  args.push(addr, code);
  for (const [ k, v ] of Object.entries(fields)) args.push(`${k}=${v}`);
  return new Promise((resolve, reject) => {
    execFile(env.rmqCall, args, { timeout: 10000 }, (err, stdout, stderr) => {
      if (err && err.code !== 1) {
        reject(new Error(`rmq-call ${args.join(' ')}: ${stderr || err.message}`));
        return;
      }
      const res = { ext: {}, body: null };
      const bodyAt = stdout.indexOf('\nbody: ');
      const head = bodyAt >= 0 ? stdout.slice(0, bodyAt) : stdout;
      if (bodyAt >= 0) res.body = stdout.slice(bodyAt + 7).replace(/\n$/, '');
      for (const line of head.split('\n')) {
        const m = /^([^:]+): (.*)$/.exec(line);
        if (!m) continue;
        if (m[1] === 'code') res.code = Number(m[2].split(' ')[0]);
        else if (m[1] === 'remark') res.remark = m[2];
        else res.ext[m[1]] = m[2];
      }
      resolve(res);
    });
  });
}

// Route JSON as a Java name server writes it may have unquoted numeric keys.
function parseLenientJson(text) {
  return JSON.parse(text.replace(/([{,])\s*(-?\d+)\s*:/g, '$1"$2":'));
}

async function routeOf(topic) {
  const r = await rmqCall(env.namesrv, 'GET_ROUTEINFO_BY_TOPIC', { topic });
  if (r.code !== 0 || !r.body) return null;
  return parseLenientJson(r.body);
}

// Creates a topic on the broker(s) (ali-ons does not fall back to TBW102)
// and waits until the name server routes it with all its queues on each.
async function createTopic(topic, queues = 8, brokers = [ { addr: env.broker, name: env.brokerName } ]) {
  for (const b of brokers) {
    const r = await rmqCall(b.addr, 'UPDATE_AND_CREATE_TOPIC', {
      topic, defaultTopic: 'TBW102', readQueueNums: queues, writeQueueNums: queues,
      perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: 'false',
    });
    assert.equal(r.code, 0, `UPDATE_AND_CREATE_TOPIC ${topic} on ${b.name}: code ${r.code} ${r.remark || ''}`);
  }
  return await waitFor(`the name server to route ${topic}`, async () => {
    const route = await routeOf(topic);
    if (!route) return notYet('no route');
    const ok = brokers.every(b => {
      const q = (route.queueDatas || []).find(d => d.brokerName === b.name);
      return q && q.readQueueNums === queues && q.writeQueueNums === queues;
    });
    return ok ? route : notYet(`route ${JSON.stringify(route)}`);
  }, 15000);
}

// The offset the broker holds for (group, topic, queue), or null when it
// answers anything but SUCCESS.
async function committedOffset(group, topic, queueId) {
  const r = await rmqCall(env.broker, 'QUERY_CONSUMER_OFFSET', { consumerGroup: group, topic, queueId });
  return r.code === 0 ? Number(r.ext.offset) : null;
}

async function committedOffsets(group, topic, queues = 8) {
  const out = [];
  for (let q = 0; q < queues; q++) out.push(await committedOffset(group, topic, q));
  return out;
}

// daemons.sh start-broker|stop-broker|kill-broker for this run; which = 'b'
// for the second broker.
function brokerCtl(cmd, which) {
  const args = [ cmd, env.dir ];
  if (which) args.push(which);
  return new Promise((resolve, reject) => {
    execFile(env.ctl, args, { timeout: 60000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`daemons.sh ${args.join(' ')}: ${stderr || err.message}`));
      else resolve();
    });
  });
}

// Sends with a small number of sends in flight; returns results in order.
async function sendAll(producer, msgs, inFlight = 8) {
  const results = new Array(msgs.length);
  let next = 0;
  async function worker() {
    while (next < msgs.length) {
      const i = next++;
      results[i] = await producer.send(msgs[i]);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  return results;
}

const TAGS = [ 'TagA', 'TagB', 'TagC', 'TagD' ];

// Message i of a numbered batch: tag TAGS[i % 4], keys "<prefix>-k<i>" and
// "<prefix>-all", body the JSON {"prefix","i"}.
function numbered(topic, prefix, i) {
  const msg = new Message(topic, TAGS[i % TAGS.length], JSON.stringify({ prefix, i }));
  msg.keys = [ `${prefix}-k${i}`, `${prefix}-all` ];
  return msg;
}

function bodyOf(msg) {
  return JSON.parse(msg.body.toString());
}

function skipUnlessBroker(t) {
  if (!env.haveBroker) {
    t.skip('rmq-broker is not built yet');
    return true;
  }
  return false;
}

module.exports = {
  env, logger, clientOptions, newProducer, newConsumer, observePulls, closeClient, closeAll,
  waitFor, notYet, rmqCall, parseLenientJson, routeOf, createTopic, committedOffset,
  committedOffsets, brokerCtl, sendAll, numbered, bodyOf, TAGS, skipUnlessBroker,
  Message, Consumer, MQClientAPI, RemotingCommand, MessageDecoder,
};
