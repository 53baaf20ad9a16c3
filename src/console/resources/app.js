// rmq console: plain JavaScript over the JSON API (/api/...). Text is always
// inserted with textContent, never as HTML. Writes are POSTs that carry the
// CSRF token from /api/session.
'use strict';

let session = null;

async function api(path, params) {
  const q = params ? '?' + new URLSearchParams(params).toString() : '';
  const r = await fetch(path + q, { credentials: 'same-origin' });
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

async function post(path, data) {
  if (!session) session = await api('/api/session');
  const r = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrfToken },
    body: JSON.stringify(data),
  });
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}

function td(text, cls) { return el('td', cls ? { class: cls } : {}, text); }
function fmt(n, digits) { return Number(n || 0).toFixed(digits === undefined ? 1 : digits); }
function when(ms) { return ms ? new Date(ms).toLocaleString() : ''; }

function status(text, kind) {
  const s = document.getElementById('status');
  s.textContent = text || '';
  s.className = 'status ' + (kind || '');
}

function fill(tableId, rows) {
  const tb = document.querySelector('#' + tableId + ' tbody');
  tb.replaceChildren(...rows);
}

function formData(form) {
  const out = {};
  for (const e of form.elements) {
    if (!e.name) continue;
    if (e.type === 'checkbox') out[e.name] = e.checked;
    else if (e.value !== '') out[e.name] = e.value;
  }
  return out;
}

// datetime-local values are local time: send milliseconds since the epoch
function toMs(v) { return v ? String(new Date(v).getTime()) : undefined; }

async function guarded(fn) {
  try { await fn(); } catch (e) { status(e.message, 'error'); }
}

// ------------------------------------------------------------------ pages

async function overview() {
  const c = await api('/api/cluster');
  document.getElementById('namesrv').textContent = c.namesrvAddr;
  fill('brokers', c.brokers.map(b => el('tr', {},
    td(b.cluster), td(b.brokerName), td(b.brokerId), td(b.role), td(b.addr), td(b.version || ''),
    td(fmt(b.putTps), 'num'), td(fmt(b.getTps), 'num'),
    td(b.up ? fmt(b.diskRatio * 100) + ' %' : '', 'num'), td(b.up ? b.putTotal : '', 'num'),
    td(b.up ? 'up' : 'down: ' + (b.error || ''), b.up ? 'up' : 'down'))));
  status(c.brokers.length + ' broker address(es)');
}

async function topicDetail(name) {
  const t = await api('/api/topic', { topic: name });
  document.getElementById('topic-detail').hidden = false;
  document.getElementById('detail-name').textContent = name;
  const route = t.route || {};
  const qd = {};
  for (const q of route.queueDatas || []) qd[q.brokerName] = q;
  fill('route', (route.brokerDatas || []).map(b => {
    const q = qd[b.brokerName] || {};
    return el('tr', {}, td(b.brokerName), td(Object.values(b.brokerAddrs || {}).join(', ')),
      td(q.readQueueNums, 'num'), td(q.writeQueueNums, 'num'), td(q.perm, 'num'));
  }));
  fill('queues', t.queues.map(q => el('tr', {}, td(q.brokerName), td(q.queueId, 'num'),
    td(q.minOffset, 'num'), td(q.maxOffset, 'num'), td(when(q.lastUpdateTimestamp)))));
  document.getElementById('topic-delete').onclick = () => guarded(async () => {
    if (!confirm('Delete topic ' + name + ' on every broker?')) return;
    await post('/api/topic/delete', { topic: name });
    document.getElementById('topic-detail').hidden = true;
    status('deleted ' + name, 'ok');
    await topicList();
  });
}

async function topicList() {
  const r = await api('/api/topics');
  const filter = document.getElementById('topic-filter').value.toLowerCase();
  const sys = document.getElementById('show-system').checked;
  const rows = r.topics.filter(t => (sys || !t.system) && t.topic.toLowerCase().includes(filter));
  fill('topics', rows.map(t => el('tr', { class: 'clickable', 'data-topic': t.topic, onclick: () => guarded(() => topicDetail(t.topic)) },
    td(t.topic), td(fmt(t.putTps), 'num'), el('td', {}, el('button', { class: 'link', type: 'button' }, 'details')))));
}

async function topics() {
  document.getElementById('topic-filter').addEventListener('input', () => guarded(topicList));
  document.getElementById('show-system').addEventListener('change', () => guarded(topicList));
  document.getElementById('topic-form').addEventListener('submit', ev => {
    ev.preventDefault();
    guarded(async () => {
      const d = formData(ev.target);
      const r = await post('/api/topic', d);
      status('saved ' + r.topic + ' on ' + r.brokers.join(', '), 'ok');
      await topicList();
      await topicDetail(r.topic);
    });
  });
  await topicList();
}

async function groupDetail(name) {
  const g = await api('/api/group', { group: name });
  document.getElementById('group-detail').hidden = false;
  document.getElementById('detail-name').textContent = name;
  const conns = (g.connection && g.connection.connections) || [];
  document.getElementById('members').replaceChildren(...(conns.length
    ? conns.map(c => el('li', {}, (c.clientId || '') + ' ' + (c.clientAddr || '') + ' ' + (c.language || '')))
    : [el('li', { class: 'muted' }, 'no member online')]));
  fill('lag', g.progress.queues.map(q => el('tr', {}, td(q.topic), td(q.brokerName), td(q.queueId, 'num'),
    td(q.brokerOffset, 'num'), td(q.consumerOffset, 'num'), td(q.diff, 'num'))));
  const form = document.getElementById('reset-form');
  form.onsubmit = ev => {
    ev.preventDefault();
    guarded(async () => {
      const d = formData(form);
      const r = await post('/api/group/reset', { group: name, topic: d.topic, timestamp: toMs(d.timestamp) });
      status('reset ' + r.queues.length + ' queue(s)', 'ok');
      await groupDetail(name);
    });
  };
  document.getElementById('group-delete').onclick = () => guarded(async () => {
    if (!confirm('Delete group ' + name + ' and its offsets?')) return;
    await post('/api/group/delete', { group: name });
    document.getElementById('group-detail').hidden = true;
    status('deleted ' + name, 'ok');
    await groupList();
  });
}

async function groupList() {
  const r = await api('/api/groups');
  const sys = document.getElementById('show-system').checked;
  fill('groups', r.groups.filter(g => sys || !g.system).map(g =>
    el('tr', { class: 'clickable', onclick: () => guarded(() => groupDetail(g.group)) },
      td(g.group), td(g.members, 'num'), td(g.diffTotal == null ? '' : g.diffTotal, 'num'),
      td(fmt(g.consumeTps), 'num'), el('td', {}, el('button', { class: 'link', type: 'button' }, 'details')))));
}

async function groups() {
  document.getElementById('show-system').addEventListener('change', () => guarded(groupList));
  await groupList();
}

function showMessage(m) {
  document.getElementById('message-detail').hidden = false;
  document.getElementById('detail-id').textContent = m.msgId;
  const fields = ['topic', 'msgId', 'offsetMsgId', 'tags', 'keys', 'queueId', 'queueOffset',
    'bornHost', 'storeHost', 'reconsumeTimes', 'bodyLength'];
  const dl = document.getElementById('message-fields');
  dl.replaceChildren();
  for (const f of fields) dl.append(el('dt', {}, f), el('dd', {}, m[f]));
  dl.append(el('dt', {}, 'stored'), el('dd', {}, when(m.storeTimestamp)));
  dl.append(el('dt', {}, 'born'), el('dd', {}, when(m.bornTimestamp)));
  fill('properties', Object.entries(m.properties || {}).map(([k, v]) => el('tr', {}, td(k), td(v))));
  const body = m.body !== undefined && m.body !== null ? m.body : '(binary, base64) ' + (m.bodyBase64 || '');
  document.getElementById('message-body').textContent = body.length > 4096 ? body.slice(0, 4096) + ' …' : body;
  const form = document.getElementById('resend-form');
  form.onsubmit = ev => {
    ev.preventDefault();
    guarded(async () => {
      const d = formData(form);
      await post('/api/message/resend', { id: m.offsetMsgId || m.msgId, topic: m.topic, group: d.group });
      status('resent to ' + d.group, 'ok');
    });
  };
}

async function messages() {
  document.getElementById('search-form').addEventListener('submit', ev => {
    ev.preventDefault();
    guarded(async () => {
      const d = formData(ev.target);
      status('searching…');
      let list;
      if (d.id) {
        list = [await api('/api/message', { id: d.id, topic: d.topic })];
      } else {
        const p = { topic: d.topic };
        if (d.key) p.key = d.key;
        if (d.begin) p.begin = toMs(d.begin);
        if (d.end) p.end = toMs(d.end);
        list = (await api('/api/messages', p)).messages;
      }
      fill('messages', list.map(m => el('tr', { class: 'clickable', onclick: () => showMessage(m) },
        td(m.msgId), td(m.tags), td(m.keys), td(when(m.storeTimestamp)), td(m.queueId, 'num'), td(m.bodyLength, 'num'))));
      status(list.length + ' message(s)', 'ok');
      if (list.length === 1) showMessage(list[0]);
    });
  });
}

const COLORS = ['#1f5fbf', '#d9480f', '#2b8a3e', '#862e9c', '#e67700', '#0b7285', '#c2255c', '#5c940d'];

function chart(canvasId, legendId, points, seriesOf) {
  const names = new Set();
  for (const p of points) for (const k of Object.keys(seriesOf(p))) names.add(k);
  const list = [...names].sort();
  const cv = document.getElementById(canvasId);
  const g = cv.getContext('2d');
  const W = cv.width, H = cv.height, pad = 40;
  g.clearRect(0, 0, W, H);
  let max = 1;
  for (const p of points) for (const v of Object.values(seriesOf(p))) max = Math.max(max, v);
  g.strokeStyle = '#d9dee7'; g.fillStyle = '#667085'; g.font = '12px sans-serif';
  for (let i = 0; i <= 4; i++) {
    const y = H - pad / 2 - (H - pad) * i / 4;
    g.beginPath(); g.moveTo(pad, y); g.lineTo(W - 5, y); g.stroke();
    g.fillText((max * i / 4).toFixed(max < 10 ? 1 : 0), 2, y + 4);
  }
  const n = Math.max(points.length - 1, 1);
  list.forEach((name, i) => {
    g.strokeStyle = COLORS[i % COLORS.length]; g.lineWidth = 2; g.beginPath();
    points.forEach((p, j) => {
      const v = seriesOf(p)[name] || 0;
      const x = pad + (W - pad - 5) * j / n, y = H - pad / 2 - (H - pad) * v / max;
      if (j === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  });
  document.getElementById(legendId).replaceChildren(...list.map((name, i) => {
    const last = points.length ? (seriesOf(points[points.length - 1])[name] || 0) : 0;
    const sw = el('span', {}); sw.style.background = COLORS[i % COLORS.length];
    return el('li', {}, sw, name + ' ' + fmt(last));
  }));
}

async function tps() {
  const draw = async () => {
    const r = await api('/api/tps');
    document.getElementById('interval').textContent = (r.intervalMs / 1000).toString();
    const brokerPut = p => Object.fromEntries(Object.entries(p.brokers).map(([k, v]) => [k, v.put]));
    chart('broker-chart', 'broker-legend', r.points, brokerPut);
    chart('topic-chart', 'topic-legend', r.points, p => p.topics);
    status(r.points.length + ' sample(s)');
    setTimeout(() => guarded(draw), r.intervalMs);
  };
  await draw();
}

const PAGES = { overview, topics, groups, messages, tps };

document.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  const link = document.querySelector('nav a[data-nav="' + page + '"]');
  if (link) link.classList.add('active');
  guarded(PAGES[page]);
});
