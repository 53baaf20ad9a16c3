// rmq console: plain JavaScript over the JSON API (/api/...). Text is always
// inserted with textContent, never as HTML. Writes are POSTs that carry the
// CSRF token from /api/session. Every string shown comes from the language
// tables /i18n/<lang>.json (t(key, vars)); the pages name keys only
// (data-i18n, data-i18n-placeholder, data-i18n-aria-label).
'use strict';

const LANGS = ['en', 'zh-CN'];
const LANG_KEY = 'rmq-console-lang';
let session = null;
let LANG = 'en';
let STR = {};

class ApiError extends Error {
  constructor(body, status) {
    super(body.error || String(status));
    this.status = status;
    this.field = body.field;
  }
}

async function api(path, params) {
  const q = params ? '?' + new URLSearchParams(params).toString() : '';
  const r = await fetch(path + q, { credentials: 'same-origin' });
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new ApiError(body, r.status);
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
  if (!r.ok) throw new ApiError(body, r.status);
  return body;
}

// The string @key of the page's language with {name} replaced from @vars. A
// key missing from the table is an error the browser tests catch.
function t(key, vars) {
  let s = STR[key];
  if (typeof s !== 'string') {
    console.error('missing string ' + key + ' in ' + LANG);
    s = key;
  }
  return s.replace(/\{(\w+)\}/g, (m, k) => (vars && k in vars ? String(vars[k]) : m));
}

function translatePage() {
  document.documentElement.lang = LANG;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const a of ['placeholder', 'aria-label', 'title'])
    for (const e of document.querySelectorAll('[data-i18n-' + a + ']'))
      e.setAttribute(a, t(e.getAttribute('data-i18n-' + a)));
  const sel = document.getElementById('lang');
  if (sel) {
    sel.value = LANG;
    sel.addEventListener('change', () => {
      try { localStorage.setItem(LANG_KEY, sel.value); } catch (e) { /* private mode: this page only */ }
      location.reload();
    });
  }
}

// The choice made with the switch (localStorage), else the server's pick from
// the browser's Accept-Language (/api/session), else English.
async function loadLanguage() {
  session = await api('/api/session');
  let want = null;
  try { want = localStorage.getItem(LANG_KEY); } catch (e) { want = null; }
  LANG = LANGS.includes(want) ? want : LANGS.includes(session.lang) ? session.lang : 'en';
  STR = await api('/i18n/' + LANG + '.json');
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
function when(ms) { return ms ? new Date(ms).toLocaleString(LANG) : ''; }

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
  try { await fn(); } catch (e) { status(reason(e.message), 'error'); }
}

function clearFieldErrors(form) {
  for (const e of form.querySelectorAll('.field-error')) e.remove();
  for (const e of form.querySelectorAll('[aria-invalid]')) {
    e.removeAttribute('aria-invalid');
    e.removeAttribute('aria-describedby');
  }
}

// The server names the parameter it refused (400 {field}): the message goes
// next to that field of @form.
function fieldError(form, field, text) {
  const input = field && form.elements[field];
  if (!input || !input.closest) return false;
  const id = 'err-' + form.id + '-' + field;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', id);
  (input.closest('label') || input.parentNode).append(el('span', { class: 'field-error', id }, text));
  return true;
}

// The API's reasons are English; the common refusals of a parameter are
// said again in the page's language (the pattern of api.c's helpers).
const REASONS = [
  [/^(\w+) is required$/, m => t('err.required', { field: m[1] })],
  [/^(\w+) must be an integer from (-?\d+) to (-?\d+)$/, m => t('err.range', { field: m[1], lo: m[2], hi: m[3] })],
  [/^(\w+): only letters, digits and _ - % \| are allowed, 1 to (\d+) characters$/, m => t('err.name', { field: m[1], max: m[2] })],
  [/^(\w+) must be true or false$/, m => t('err.bool', { field: m[1] })],
  [/^(\w+) must be milliseconds since the epoch or an ISO 8601 time$/, m => t('err.time', { field: m[1] })],
  [/^this account is a viewer: it may only read$/, () => t('err.viewer')],
];
function reason(text) {
  for (const [re, f] of REASONS) {
    const m = re.exec(text);
    if (m) return f(m);
  }
  return text;
}

// A form's submit handler: field messages for a 400 that names a field.
function onSubmit(form, fn) {
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    clearFieldErrors(form);
    fn(formData(form)).catch(e => {
      const text = e.status === 400 ? t('common.invalid', { reason: reason(e.message) }) : reason(e.message);
      fieldError(form, e.field, text);
      status(text, 'error');
    });
  });
}

// A topic or group that does not exist: say so instead of an empty table.
function notFound(text) {
  document.getElementById('not-found-text').textContent = text;
  document.getElementById('not-found').hidden = false;
}
function foundAgain() { document.getElementById('not-found').hidden = true; }

function param(name) { return new URLSearchParams(location.search).get(name); }

// ------------------------------------------------------------------ pages

function kvRows(tableId, obj, filter) {
  const f = (filter || '').toLowerCase();
  fill(tableId, Object.keys(obj).sort()
    .filter(k => !f || k.toLowerCase().includes(f) || String(obj[k]).toLowerCase().includes(f))
    .map(k => el('tr', {}, td(k), td(obj[k]))));
}

async function brokerDetail(b) {
  const d = await api('/api/broker', { addr: b.addr });
  document.getElementById('broker-detail').hidden = false;
  document.getElementById('detail-title').textContent = t('cluster.detail', { name: b.brokerName + '/' + b.brokerId + ' ' + b.addr });
  kvRows('runtime', d.runtime);
  const filter = document.getElementById('config-filter');
  filter.value = '';
  filter.oninput = () => kvRows('config', d.config, filter.value);
  kvRows('config', d.config);
}

async function overview() {
  const c = await api('/api/cluster');
  document.getElementById('namesrv').textContent = c.namesrvAddr;
  fill('brokers', c.brokers.map(b => el('tr', { class: 'clickable', 'data-addr': b.addr, onclick: () => guarded(() => brokerDetail(b)) },
    td(b.cluster), td(b.brokerName), td(b.brokerId), td(b.role), td(b.addr), td(b.version || ''),
    td(fmt(b.putTps), 'num'), td(fmt(b.getTps), 'num'),
    td(b.up ? fmt(b.diskRatio * 100) + ' %' : '', 'num'), td(b.up ? b.putTotal : '', 'num'),
    td(b.slaveLag === undefined ? '' : b.slaveLag, 'num lag'),
    td(b.up ? t('cluster.up') : t('cluster.down', { error: b.error || '' }), b.up ? 'up' : 'down'),
    detailsButton())));
  status(t('cluster.count', { n: c.brokers.length }));
}

async function topicDetail(name) {
  let d;
  try {
    d = await api('/api/topic', { topic: name });
  } catch (e) {
    if (e.status !== 404) throw e;
    document.getElementById('topic-detail').hidden = true;
    notFound(t('topics.notFound', { name }));
    return;
  }
  foundAgain();
  document.getElementById('topic-detail').hidden = false;
  document.getElementById('detail-title').textContent = t('topics.detail', { name });
  const route = d.route || {};
  const qd = {};
  for (const q of route.queueDatas || []) qd[q.brokerName] = q;
  const cfg = {}; // the topic's config on each master (order is only there)
  for (const c of d.configs || []) cfg[c.brokerName] = c;
  const yes = v => (v === undefined ? '' : v ? '✓' : '✗');
  fill('route', (route.brokerDatas || []).map(b => {
    const q = qd[b.brokerName] || {};
    return el('tr', { 'data-broker': b.brokerName }, td(b.brokerName), td(Object.values(b.brokerAddrs || {}).join(', ')),
      td(q.readQueueNums, 'num'), td(q.writeQueueNums, 'num'), td(q.perm, 'num'), td(yes((cfg[b.brokerName] || {}).order)));
  }));
  // the form holds this topic's config, ready to update
  const c0 = (d.configs || []).find(c => c.perm !== undefined);
  if (c0) {
    const tf = document.getElementById('topic-form');
    tf.elements.topic.value = name;
    tf.elements.readQueueNums.value = c0.readQueueNums;
    tf.elements.writeQueueNums.value = c0.writeQueueNums;
    tf.elements.perm.value = String(c0.perm);
    tf.elements.order.checked = !!c0.order;
  }
  fill('queues', d.queues.map(q => el('tr', {}, td(q.brokerName), td(q.queueId, 'num'),
    td(q.minOffset, 'num'), td(q.maxOffset, 'num'), td(when(q.lastUpdateTimestamp)))));
  const cons = await api('/api/topic/consumers', { topic: name });
  document.getElementById('consumers-none').hidden = cons.groups.length > 0;
  fill('consumers', cons.groups.map(g => el('tr', { 'data-group': g.group },
    el('td', {}, el('a', { href: '/groups.html?group=' + encodeURIComponent(g.group) }, g.group)),
    td(g.members, 'num'), td(g.diffTotal == null ? '' : g.diffTotal, 'num lag'), td(fmt(g.consumeTps), 'num'))));
  const form = document.getElementById('send-form');
  const fresh = form.cloneNode(true);
  form.replaceWith(fresh);
  onSubmit(fresh, async d => {
    const r = await post('/api/topic/send', Object.assign({ topic: name }, d));
    const out = document.getElementById('send-result');
    out.replaceChildren(t('topics.sent', { id: r.msgId, broker: r.brokerName, queue: r.queueId, offset: r.queueOffset }), ' ',
      el('a', { href: '/messages.html?topic=' + encodeURIComponent(name) + '&id=' + encodeURIComponent(r.offsetMsgId) }, t('topics.viewSent')));
    status(t('topics.sentStatus', { status: r.status }), 'ok');
  });
  document.getElementById('topic-delete').onclick = () => guarded(async () => {
    if (!confirm(t('topics.confirmDelete', { name }))) return;
    await post('/api/topic/delete', { topic: name });
    document.getElementById('topic-detail').hidden = true;
    status(t('topics.deleted', { name }), 'ok');
    await topicList();
  });
}

function detailsButton() { return el('td', {}, el('button', { class: 'link', type: 'button' }, t('common.details'))); }

async function topicList() {
  const r = await api('/api/topics');
  const filter = document.getElementById('topic-filter').value.toLowerCase();
  const sys = document.getElementById('show-system').checked;
  const rows = r.topics.filter(x => (sys || !x.system) && x.topic.toLowerCase().includes(filter));
  fill('topics', rows.map(x => el('tr', { class: 'clickable', 'data-topic': x.topic, onclick: () => guarded(() => topicDetail(x.topic)) },
    td(x.topic), td(fmt(x.putTps), 'num'), detailsButton())));
}

async function topics() {
  document.getElementById('topic-filter').addEventListener('input', () => guarded(topicList));
  document.getElementById('show-system').addEventListener('change', () => guarded(topicList));
  onSubmit(document.getElementById('topic-form'), async d => {
    const r = await post('/api/topic', d);
    status(t('topics.saved', { topic: r.topic, brokers: r.brokers.join(', ') }), 'ok');
    await topicList();
    await topicDetail(r.topic);
  });
  await topicList();
  if (param('topic')) await topicDetail(param('topic'));
}

async function groupDetail(name) {
  let g;
  try {
    g = await api('/api/group', { group: name });
  } catch (e) {
    if (e.status !== 404) throw e;
    document.getElementById('group-detail').hidden = true;
    notFound(t('groups.notFound', { name }));
    return;
  }
  foundAgain();
  document.getElementById('group-detail').hidden = false;
  document.getElementById('detail-title').textContent = t('groups.detail', { name });
  const cfg = await api('/api/group/config', { group: name });
  const yes = v => (v ? '✓' : '✗');
  fill('sub-config', cfg.brokers.map(b => el('tr', {}, td(b.brokerName),
    td(b.config.retryQueueNums, 'num'), td(b.config.retryMaxTimes, 'num'),
    td(yes(b.config.consumeBroadcastEnable)), td(yes(b.config.consumeEnable)),
    td(b.config.brokerId, 'num'), td(b.config.whichBrokerWhenConsumeSlowly, 'num'))));
  // the form shows this group's config, ready to change
  const cf = document.getElementById('config-form');
  const c0 = cfg.brokers[0].config;
  cf.elements.group.value = name;
  for (const k of ['retryQueueNums', 'retryMaxTimes', 'brokerId', 'whichBrokerWhenConsumeSlowly'])
    if (c0[k] !== undefined) cf.elements[k].value = c0[k];
  cf.elements.consumeBroadcastEnable.checked = !!c0.consumeBroadcastEnable;
  cf.elements.consumeEnable.checked = !!c0.consumeEnable;
  const conns = (g.connection && g.connection.connections) || [];
  document.getElementById('members-none').hidden = conns.length > 0;
  document.getElementById('running').hidden = true;
  fill('members', conns.map(c => el('tr', { 'data-client': c.clientId },
    td(c.clientId), td(c.clientAddr), td(c.language),
    el('td', {}, el('button', { type: 'button', class: 'link', onclick: () => guarded(() => runningInfo(name, c.clientId)) },
      t('groups.runningInfo'))))));
  const skip = document.getElementById('skip-form');
  const skipFresh = skip.cloneNode(true);
  skip.replaceWith(skipFresh);
  onSubmit(skipFresh, async d => {
    if (!confirm(t('groups.confirmSkip', { group: name, topic: d.topic || '' }))) return;
    const r = await post('/api/group/skip', { group: name, topic: d.topic });
    status(t(r.clientsNotified ? 'groups.skippedOnline' : 'groups.skippedOffline', { n: r.queues.length }), 'ok');
    await groupDetail(name);
  });
  fill('lag', g.progress.queues.map(q => el('tr', {}, td(q.topic), td(q.brokerName), td(q.queueId, 'num'),
    td(q.brokerOffset, 'num'), td(q.consumerOffset, 'num'), td(q.diff, 'num'))));
  const form = document.getElementById('reset-form');
  const fresh = form.cloneNode(true); // one submit handler per shown group
  form.replaceWith(fresh);
  onSubmit(fresh, async d => {
    const r = await post('/api/group/reset', { group: name, topic: d.topic, timestamp: toMs(d.timestamp) });
    status(t(r.clientsNotified ? 'groups.resetOnline' : 'groups.resetDone', { n: r.queues.length }), 'ok');
    await groupDetail(name);
  });
  document.getElementById('group-delete').onclick = () => guarded(async () => {
    if (!confirm(t('groups.confirmDelete', { name }))) return;
    await post('/api/group/delete', { group: name });
    document.getElementById('group-detail').hidden = true;
    status(t('groups.deleted', { name }), 'ok');
    await groupList();
  });
}

// GET_CONSUMER_RUNNING_INFO of one client, relayed by the broker.
async function runningInfo(group, clientId) {
  const r = await api('/api/group/client', { group, clientId });
  const box = document.getElementById('running');
  box.hidden = false;
  document.getElementById('running-title').textContent = t('groups.runningTitle', { client: clientId });
  const info = r.runningInfo || {};
  fill('running-props', Object.entries(info.properties || {}).sort().map(([k, v]) => el('tr', {}, td(k), td(v))));
  document.getElementById('running-raw').textContent = typeof info === 'string' ? info : JSON.stringify(info, null, 2);
  status(t('groups.runningDone', { client: clientId }), 'ok');
}

async function groupList() {
  const r = await api('/api/groups');
  const sys = document.getElementById('show-system').checked;
  fill('groups', r.groups.filter(g => sys || !g.system).map(g =>
    el('tr', { class: 'clickable', onclick: () => guarded(() => groupDetail(g.group)) },
      td(g.group), td(g.members, 'num'), td(g.diffTotal == null ? '' : g.diffTotal, 'num'),
      td(fmt(g.consumeTps), 'num'), detailsButton())));
}

async function groups() {
  document.getElementById('show-system').addEventListener('change', () => guarded(groupList));
  const cluster = await api('/api/cluster');
  const names = [...new Set(cluster.brokers.filter(b => b.brokerId === 0).map(b => b.brokerName))].sort();
  document.getElementById('config-broker').append(...names.map(n => el('option', { value: n }, n)));
  onSubmit(document.getElementById('config-form'), async d => {
    const r = await post('/api/group/config', d);
    status(t('groups.configSaved', { group: r.group, brokers: r.brokers.join(', ') }), 'ok');
    await groupList();
    await groupDetail(r.group);
  });
  await groupList();
  if (param('group')) await groupDetail(param('group'));
}

async function producers() {
  const form = document.getElementById('producer-form');
  const show = async d => {
    const r = await api('/api/producers', { group: d.group || '', topic: d.topic || '' });
    document.getElementById('producer-result').hidden = false;
    const none = document.getElementById('producer-none');
    none.hidden = r.connections.length > 0;
    none.textContent = t('producers.none', { group: r.group, topic: r.topic });
    fill('producers', r.connections.map(c => el('tr', {}, td(c.clientId), td(c.clientAddr),
      td(c.language), td(c.version, 'num'))));
    status(t('producers.count', { n: r.connections.length }), 'ok');
  };
  onSubmit(form, async d => {
    foundAgain();
    document.getElementById('producer-result').hidden = true;
    try {
      await show(d);
    } catch (e) {
      if (e.status === 404 && !e.field) notFound(t('topics.notFound', { name: d.topic }));
      throw e;
    }
  });
  if (param('group') && param('topic')) {
    form.elements.group.value = param('group');
    form.elements.topic.value = param('topic');
    form.requestSubmit();
  }
}

function showMessage(m) {
  document.getElementById('message-detail').hidden = false;
  document.getElementById('detail-title').textContent = t('messages.detail', { id: m.msgId });
  // field names of the message as the API and the Java tools spell them
  const fields = ['topic', 'msgId', 'offsetMsgId', 'tags', 'keys', 'queueId', 'queueOffset',
    'bornHost', 'storeHost', 'reconsumeTimes', 'bodyLength'];
  const dl = document.getElementById('message-fields');
  dl.replaceChildren();
  for (const f of fields) dl.append(el('dt', {}, f), el('dd', {}, m[f]));
  dl.append(el('dt', {}, t('messages.field.stored')), el('dd', {}, when(m.storeTimestamp)));
  dl.append(el('dt', {}, t('messages.field.born')), el('dd', {}, when(m.bornTimestamp)));
  fill('properties', Object.entries(m.properties || {}).map(([k, v]) => el('tr', {}, td(k), td(v))));
  const showBody = () => {
    const hex = document.getElementById('body-hex').checked;
    let body;
    if (hex) body = (m.bodyHex !== undefined ? m.bodyHex : toHex(m)).replace(/(..)/g, '$1 ').trim();
    else body = m.body !== undefined && m.body !== null ? m.body : t('messages.binary', { data: m.bodyBase64 || '' });
    document.getElementById('message-body').textContent = body.length > 8192 ? body.slice(0, 8192) + ' …' : body;
  };
  for (const id of ['body-text', 'body-hex']) document.getElementById(id).onchange = showBody;
  showBody();
  document.getElementById('trace-link').href = '/trace.html?id=' + encodeURIComponent(m.msgId);
  const form = document.getElementById('resend-form');
  const fresh = form.cloneNode(true);
  form.replaceWith(fresh);
  // the clients of the group typed in: resend to one of them, or to the whole group
  const clients = fresh.elements.clientId;
  let listed = null; // the group whose clients the list shows
  fresh.elements.group.addEventListener('change', () => guarded(async () => {
    const g = fresh.elements.group.value;
    if (g === listed) return;
    listed = g;
    clients.replaceChildren(el('option', { value: '' }, t('messages.wholeGroup')));
    if (!g) return;
    let r;
    try { r = await api('/api/group', { group: g }); } catch (e) { if (e.status === 404) return; throw e; }
    for (const c of (r.connection && r.connection.connections) || [])
      clients.append(el('option', { value: c.clientId }, c.clientId));
  }));
  onSubmit(fresh, async d => {
    const req = { id: m.offsetMsgId || m.msgId, topic: m.topic, group: d.group };
    if (d.clientId) req.clientId = d.clientId;
    const r = await post('/api/message/resend', req);
    if (d.clientId) {
      const res = r.result || {};
      status(t('messages.consumedDirectly', { client: d.clientId, result: res.consumeResult || JSON.stringify(res) }), 'ok');
    } else {
      status(t('messages.resent', { group: d.group }), 'ok');
    }
  });
}

// the body bytes as hex, from the text or the base64 the list gave
function toHex(m) {
  let bytes;
  if (m.body !== undefined && m.body !== null) bytes = new TextEncoder().encode(m.body);
  else bytes = Uint8Array.from(atob(m.bodyBase64 || ''), c => c.charCodeAt(0));
  return [...bytes].map(b => b.toString(16).padStart(2, '0')).join('');
}

async function messages() {
  onSubmit(document.getElementById('search-form'), async d => {
    status(t('messages.searching'));
    foundAgain();
    let list;
    if (!d.id && d.topic) {
      // an unknown topic gets a clear page rather than an empty table
      try {
        await api('/api/topic', { topic: d.topic });
      } catch (e) {
        if (e.status === 404 && !e.field) {
          fill('messages', []);
          document.getElementById('message-detail').hidden = true;
          notFound(t('topics.notFound', { name: d.topic }));
        }
        throw e;
      }
    }
    document.getElementById('pager').hidden = true;
    if (d.id) {
      list = [await api('/api/message', { id: d.id, topic: d.topic })];
    } else if (d.key) {
      const p = { topic: d.topic, key: d.key };
      if (d.begin) p.begin = toMs(d.begin);
      if (d.end) p.end = toMs(d.end);
      list = (await api('/api/messages', p)).messages;
    } else {
      // by time: one page at a time, the server pages through the queues
      const p = { topic: d.topic, pageSize: String(PAGE_SIZE) };
      if (d.begin) p.begin = toMs(d.begin);
      if (d.end) p.end = toMs(d.end);
      if (!p.begin || !p.end) {
        // the server's default range (the last hour), made fixed so the pages agree
        const now = Date.now();
        p.end = p.end || String(now + 60000);
        p.begin = p.begin || String(now - 3600 * 1000);
      }
      await showPage(p, 0);
      return;
    }
    showList(list);
    status(t('messages.count', { n: list.length }), 'ok');
    if (list.length === 1) showMessage(list[0]);
  });
  document.getElementById('page-prev').addEventListener('click', () => guarded(() => showPage(pageQuery, pageNo - 1)));
  document.getElementById('page-next').addEventListener('click', () => guarded(() => showPage(pageQuery, pageNo + 1)));
  if (param('topic')) {
    const f = document.getElementById('search-form');
    f.elements.topic.value = param('topic');
    if (param('id')) f.elements.id.value = param('id');
    f.requestSubmit();
  }
}

const PAGE_SIZE = 20;
let pageQuery = null;
let pageNo = 0;

function showList(list) {
  fill('messages', list.map(m => el('tr', { class: 'clickable', tabindex: '0', onclick: () => showMessage(m),
    onkeydown: ev => { if (ev.key === 'Enter') showMessage(m); } },
  td(m.msgId), td(m.tags), td(m.keys), td(when(m.storeTimestamp)), td(m.queueId, 'num'), td(m.bodyLength, 'num'))));
}

async function showPage(p, n) {
  const r = await api('/api/messages', Object.assign({}, p, { page: String(n) }));
  pageQuery = p;
  pageNo = n;
  showList(r.messages);
  const pager = document.getElementById('pager');
  pager.hidden = r.pages <= 1;
  document.getElementById('page-info').textContent = t('messages.pageInfo', { page: n + 1, pages: Math.max(r.pages, 1), total: r.total });
  document.getElementById('page-prev').disabled = n <= 0;
  document.getElementById('page-next').disabled = n + 1 >= r.pages;
  status(t('messages.pageCount', { n: r.messages.length, total: r.total }), 'ok');
}

// ------------------------------------------------------------ dead letters

let dlqShown = []; // the messages in the table, as the API gave them

function dlqSelected() {
  const ids = new Set([...document.querySelectorAll('#dlq-messages tbody input:checked')].map(e => e.value));
  return dlqShown.filter(m => ids.has(m.offsetMsgId));
}

async function dlqBrowse(group, d) {
  const p = { group };
  if (d && d.begin) p.begin = toMs(d.begin);
  if (d && d.end) p.end = toMs(d.end);
  let r;
  try {
    r = await api('/api/dlq/messages', p);
  } catch (e) {
    if (e.status !== 404 || e.field) throw e;
    document.getElementById('dlq-detail').hidden = true;
    notFound(t('dlq.notFound', { name: group }));
    return;
  }
  foundAgain();
  dlqShown = r.messages;
  document.getElementById('dlq-detail').hidden = false;
  document.getElementById('detail-title').textContent = t('dlq.browse', { group });
  document.getElementById('dlq-form').elements.group.value = group;
  document.getElementById('dlq-all').checked = false;
  document.getElementById('dlq-results').replaceChildren();
  fill('dlq-messages', r.messages.map(m => el('tr', {},
    el('td', {}, el('input', { type: 'checkbox', value: m.offsetMsgId, 'aria-label': t('dlq.select') + ' ' + m.msgId })),
    td(m.msgId), td(m.originTopic || ''), td(m.tags), td(m.keys), td(when(m.storeTimestamp)),
    td(m.reconsumeTimes, 'num'))));
  status(t('dlq.count', { n: r.messages.length }), 'ok');
}

async function dlqList() {
  const r = await api('/api/dlq');
  document.getElementById('dlq-none').hidden = r.groups.length > 0;
  fill('dlq-groups', r.groups.map(g => el('tr', { class: 'clickable', onclick: () => guarded(() => dlqBrowse(g.group)) },
    td(g.group), td(g.topic), td(g.count == null ? '' : g.count, 'num'), detailsButton())));
}

async function dlq() {
  const form = document.getElementById('dlq-form');
  onSubmit(form, d => dlqBrowse(d.group, d));
  document.getElementById('dlq-all').addEventListener('change', ev => {
    for (const c of document.querySelectorAll('#dlq-messages tbody input[type=checkbox]')) c.checked = ev.target.checked;
  });
  document.getElementById('dlq-resend').addEventListener('click', () => guarded(async () => {
    const sel = dlqSelected();
    if (!sel.length) { status(t('dlq.nothingSelected'), 'error'); return; }
    const group = form.elements.group.value;
    const r = await post('/api/dlq/resend', { group, ids: sel.map(m => m.offsetMsgId).join(',') });
    document.getElementById('dlq-results').replaceChildren(...r.results.filter(x => !x.ok).map(x =>
      el('li', { class: 'error' }, t('dlq.resendFailed', { id: x.id, error: x.error }))));
    status(t('dlq.resent', { ok: r.resent, n: sel.length }), r.resent === sel.length ? 'ok' : 'error');
  }));
  document.getElementById('dlq-export').addEventListener('click', () => guarded(async () => {
    const sel = dlqSelected();
    if (!sel.length) { status(t('dlq.nothingSelected'), 'error'); return; }
    const group = form.elements.group.value;
    const blob = new Blob([JSON.stringify({ group, topic: '%DLQ%' + group, messages: sel }, null, 2)],
      { type: 'application/json' });
    const a = el('a', { href: URL.createObjectURL(blob), download: 'dlq-' + group + '.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    status(t('dlq.exported', { n: sel.length }), 'ok');
  }));
  await dlqList();
  if (param('group')) await dlqBrowse(param('group'));
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
    document.getElementById('interval').textContent = t('tps.interval', { s: r.intervalMs / 1000 });
    const brokerPut = p => Object.fromEntries(Object.entries(p.brokers).map(([k, v]) => [k, v.put]));
    chart('broker-chart', 'broker-legend', r.points, brokerPut);
    chart('topic-chart', 'topic-legend', r.points, p => p.topics);
    status(t('tps.samples', { n: r.points.length }));
    setTimeout(() => guarded(draw), r.intervalMs);
  };
  await draw();
}

// ------------------------------------------------------------- dashboard

const SVGNS = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// A line chart as inline SVG: one polyline per series (data-series, and
// data-values with the sampled values it draws), time on x, value on y.
function svgChart(boxId, titleId, points, seriesOf) {
  const names = new Set();
  for (const p of points) for (const k of Object.keys(seriesOf(p) || {})) names.add(k);
  const list = [...names].sort();
  const W = 900, H = 260, L = 56, R = 10, T = 10, B = 28;
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': titleId, class: 'chart-svg' });
  let max = 0;
  for (const p of points) for (const v of Object.values(seriesOf(p) || {})) max = Math.max(max, Number(v) || 0);
  if (max <= 0) max = 1;
  const t0 = points.length ? points[0].time : 0;
  const t1 = points.length ? points[points.length - 1].time : 1;
  const span = Math.max(t1 - t0, 1);
  const x = tm => L + (W - L - R) * (tm - t0) / span;
  const y = v => H - B - (H - B - T) * v / max;
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4;
    svg.append(svgEl('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#d9dee7' }));
    svg.append(svgEl('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#667085' }, v.toFixed(max < 10 ? 1 : 0)));
  }
  if (points.length) {
    svg.append(svgEl('text', { x: L, y: H - 8, 'font-size': 11, fill: '#667085' }, when(t0)));
    svg.append(svgEl('text', { x: W - R, y: H - 8, 'text-anchor': 'end', 'font-size': 11, fill: '#667085' }, when(t1)));
  }
  list.forEach((name, i) => {
    const vals = points.map(p => Number((seriesOf(p) || {})[name] || 0));
    const pts = points.map((p, j) => x(p.time).toFixed(1) + ',' + y(vals[j]).toFixed(1)).join(' ');
    const line = svgEl('polyline', { points: pts, fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2,
      'data-series': name, 'data-values': vals.join(' ') });
    line.append(svgEl('title', {}, name));
    svg.append(line);
  });
  const legend = el('ul', { class: 'legend' }, ...list.map((name, i) => {
    const last = points.length ? Number((seriesOf(points[points.length - 1]) || {})[name] || 0) : 0;
    const sw = el('span', { 'aria-hidden': 'true' }); sw.style.background = COLORS[i % COLORS.length];
    return el('li', {}, sw, name + ' ' + fmt(last));
  }));
  const box = document.getElementById(boxId);
  box.replaceChildren(svg, list.length ? legend : el('p', { class: 'muted' }, t('dash.noData')));
}

async function dashboard() {
  const range = document.getElementById('range');
  let timer = null;
  const draw = async () => {
    clearTimeout(timer);
    const r = await api('/api/charts', { range: range.value });
    const pick = k => p => Object.fromEntries(Object.entries(p.brokers || {}).map(([n, v]) => [n, v[k]]));
    svgChart('chart-broker-put', 'h-broker-put', r.points, pick('put'));
    svgChart('chart-broker-get', 'h-broker-get', r.points, pick('get'));
    svgChart('chart-topic-put', 'h-topic-put', r.points, p => p.topics);
    svgChart('chart-topic-get', 'h-topic-get', r.points, p => p.topicsGet);
    svgChart('chart-group-lag', 'h-group-lag', r.points, p => p.groups);
    document.getElementById('dash-info').textContent = t('dash.info', { n: r.points.length, s: r.intervalMs / 1000 });
    timer = setTimeout(() => guarded(draw), Math.max(r.intervalMs, 1000));
  };
  range.addEventListener('change', () => guarded(draw));
  await draw();
}

// ----------------------------------------------------------- name servers

async function namesrv() {
  const show = async () => {
    const r = await api('/api/namesrv');
    fill('servers', r.servers.map(x => el('tr', { 'data-addr': x.addr }, td(x.addr),
      td(x.reachable ? t('ns.reachable') : t('ns.unreachable', { error: x.error || '' }), x.reachable ? 'up' : 'down'))));
    document.getElementById('ns-list').value = r.namesrvAddr;
    status(t('ns.count', { n: r.servers.filter(x => x.reachable).length, total: r.servers.length }));
  };
  onSubmit(document.getElementById('ns-form'), async d => {
    const r = await post('/api/namesrv', { namesrvAddr: d.namesrvAddr || '' });
    session = null;
    await show();
    status(t(r.saved ? 'ns.switched' : 'ns.switchedNotSaved', { list: r.namesrvAddr }), 'ok');
  });
  await show();
}

// ----------------------------------------------------------------- traces

async function trace() {
  const form = document.getElementById('trace-form');
  onSubmit(form, async d => {
    foundAgain();
    fill('traces', []);
    let r;
    try {
      r = await api('/api/trace', d);
    } catch (e) {
      if (e.status === 404 && !e.field) { notFound(t('trace.none', { id: d.id || '' })); return; }
      throw e;
    }
    const STEPS = { Pub: 'trace.type.Pub', SubBefore: 'trace.type.SubBefore', SubAfter: 'trace.type.SubAfter',
      EndTransaction: 'trace.type.EndTransaction' };
    const step = x => t(STEPS[x.type]);
    const where = x => x.type === 'Pub' || x.type === 'EndTransaction'
      ? t('trace.stored', { topic: x.topic || '', host: x.storeHost || '' })
      : x.retryTimes === undefined ? '' : t('trace.consumed', { retry: x.retryTimes });
    // a path is a matter of milliseconds
    const whenMs = ms => (ms ? when(ms) + ' +' + String(ms % 1000).padStart(3, '0') + ' ms' : '');
    const result = x => x.success === undefined ? '' : x.success ? t('trace.ok') : t('trace.failed');
    fill('traces', r.traces.map(x => el('tr', { 'data-type': x.type }, td(step(x)), td(whenMs(x.timestamp)),
      td(x.group || ''), td(where(x)), td(x.costTime === undefined ? '' : x.costTime, 'num'),
      td(result(x), x.success === false ? 'down' : ''))));
    status(t('trace.count', { n: r.traces.length }), 'ok');
  });
  if (param('id')) {
    form.elements.id.value = param('id');
    form.requestSubmit();
  }
}

const PAGES = { overview, topics, groups, producers, messages, dlq, tps, dashboard, namesrv, trace };

document.addEventListener('DOMContentLoaded', () => guarded(async () => {
  await loadLanguage();
  translatePage();
  if (session && session.role === 'viewer') {
    // a viewer reads; the server refuses changes (403), the page says so up front
    const note = el('p', { class: 'card readonly', id: 'readonly', role: 'note' }, t('common.readonly', { user: session.user || '' }));
    document.querySelector('main').prepend(note);
    // and offers no change: the forms and buttons that would POST (data-change,
    // also on the ones drawn later) are hidden and out of the keyboard's reach
    document.body.classList.add('viewer');
    for (const e of document.querySelectorAll('[data-change]')) { e.hidden = true; e.inert = true; }
  }
  const page = document.body.dataset.page;
  const link = document.querySelector('nav a[data-nav="' + page + '"]');
  if (link) link.classList.add('active');
  await PAGES[page]();
}));
