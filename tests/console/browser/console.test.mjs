// rmq-console in Debian's headless Chromium, driven by Playwright. The
// cluster (rmq-namesrv, rmq-broker, rmq-console) is started by ../run.sh,
// which passes: CONSOLE_URL, NAMESRV_ADDR, RMQADMIN (the project's tool),
// SCREENSHOT_DIR, CHROMIUM (default /usr/bin/chromium). Prints TAP.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const url = process.env.CONSOLE_URL;
const namesrv = process.env.NAMESRV_ADDR;
const rmqadmin = process.env.RMQADMIN;
const helper = process.env.HELPER;
const accountsUrl = process.env.ACCOUNTS_URL;
const accountsPassword = process.env.ACCOUNTS_PASSWORD;
const accountsLog = process.env.ACCOUNTS_LOG;
const shots = process.env.SCREENSHOT_DIR || 'screenshots';
mkdirSync(shots, { recursive: true });

const topic = 'BrowserTopic' + process.pid;
const key = 'browser-key-' + process.pid;
const body = 'hello from the browser test ' + process.pid;

let n = 0;
let failed = 0;
const tests = [];
function test(name, fn) { tests.push({ name, fn }); }

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
const pageErrors = [];
// A page of its own context: @locale sets the browser's Accept-Language.
async function newPage(locale) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale });
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  p.on('pageerror', e => pageErrors.push(e.message));
  // API refusals are expected (the 400 tests); a failed page, script or style,
  // or a missing string (t() logs it), is not
  p.on('console', m => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
  });
  p.on('response', r => {
    if (r.status() >= 400 && !new URL(r.url()).pathname.startsWith('/api/')) pageErrors.push(r.status() + ' ' + r.url());
  });
  return p;
}
const page = await newPage('en-US');
const TABLES = {};
for (const lang of ['en', 'zh-CN'])
  TABLES[lang] = JSON.parse(readFileSync(new URL('../../../src/console/resources/i18n/' + lang + '.json', import.meta.url)));
const PAGES = [['/', 'overview', 'cluster.h1'], ['/topics.html', 'topics', 'topics.h1'],
  ['/groups.html', 'groups', 'groups.h1'], ['/producers.html', 'producers', 'producers.h1'],
  ['/messages.html', 'messages', 'messages.h1'], ['/dlq.html', 'dlq', 'dlq.h1'],
  ['/tps.html', 'tps', 'tps.h1'], ['/dashboard.html', 'dashboard', 'dash.h1'],
  ['/namesrv.html', 'namesrv', 'ns.h1'], ['/trace.html', 'trace', 'trace.h1'], ['/acl.html', 'acl', 'acl.h1']];

async function shot(name, p) { await (p || page).screenshot({ path: join(shots, name + '.png'), fullPage: true }); }
function assert(cond, what) { if (!cond) throw new Error(what); }

test('overview shows the broker as up', async () => {
  await page.goto(url + '/');
  const row = page.locator('#brokers tbody tr', { hasText: 'broker-a' });
  await row.waitFor();
  assert((await row.locator('td.up').textContent()) === 'up', 'broker-a is not up');
  assert((await row.textContent()).includes('MASTER'), 'no MASTER role');
  assert((await page.locator('#namesrv').textContent()) === namesrv, 'name server address differs');
  await shot('overview');
});

test('a broker runtime info and configuration', async () => {
  await page.locator('#brokers tbody tr', { hasText: 'broker-a' }).click();
  const rt = page.locator('#runtime tbody tr', { hasText: 'commitLogMaxOffset' });
  await rt.waitFor();
  assert(/^\d+$/.test(await rt.locator('td').nth(1).textContent()), 'commitLogMaxOffset is not a number');
  const addr = await page.locator('#brokers tbody tr', { hasText: 'broker-a' }).getAttribute('data-addr');
  const { stdout } = await run(rmqadmin, ['getBrokerConfig', '-n', namesrv, '-b', addr, '--json']);
  const cfg = JSON.parse(stdout);
  await page.locator('#config tbody tr', { hasText: 'brokerName' }).waitFor();
  const total = await page.locator('#config tbody tr').count();
  await page.fill('#config-filter', 'brokerName');
  const name = page.locator('#config tbody tr', { hasText: 'brokerName' });
  assert((await name.locator('td').nth(1).textContent()) === 'broker-a', 'brokerName is not broker-a');
  const shown = await page.locator('#config tbody tr').count();
  assert(shown >= 1 && shown < total && total > 20, 'filter: ' + shown + ' of ' + total);
  const flat = cfg[addr] || cfg;
  assert(total === Object.keys(flat).length, 'the page shows ' + total + ' keys, the broker has ' + Object.keys(flat).length);
  await page.fill('#config-filter', 'brokerRole');
  const cfgRole = await page.locator('#config tbody tr', { hasText: 'brokerRole' }).locator('td').nth(1).textContent();
  assert((await page.locator('#brokers tbody tr', { hasText: 'broker-a' }).textContent()).includes(cfgRole), 'role column is not ' + cfgRole);
  await shot('broker-detail');
});

test('create a topic through the form', async () => {
  await page.click('nav a[data-nav="topics"]');
  await page.waitForURL(/topics\.html/);
  await page.fill('#topic-name', topic);
  await page.fill('input[name="readQueueNums"]', '4');
  await page.fill('input[name="writeQueueNums"]', '4');
  await page.click('#topic-submit');
  await page.locator('#status.ok', { hasText: 'saved ' + topic }).waitFor();
  await page.locator('#topics tbody tr', { hasText: topic }).waitFor();
  // the detail panel shows the route and 4 queues
  await page.locator('#detail-title', { hasText: topic }).waitFor();
  assert((await page.locator('#queues tbody tr').count()) === 4, 'expected 4 queues');
  await shot('topics');
});

test('topics: create ordered and read-only, then update from the form it fills', async () => {
  const ot = 'BrowserOrder' + process.pid;
  await page.goto(url + '/topics.html');
  await page.fill('#topic-name', ot);
  await page.fill('input[name="readQueueNums"]', '2');
  await page.fill('input[name="writeQueueNums"]', '2');
  await page.selectOption('select[name="perm"]', '4');
  await page.check('input[name="order"]');
  await page.click('#topic-submit');
  await page.locator('#detail-title', { hasText: ot }).waitFor();
  const cell = n => page.locator('#route tbody tr[data-broker="broker-a"] td:nth-child(' + n + ')');
  await cell(6).waitFor();
  assert((await cell(5).textContent()) === '4' && (await cell(6).textContent()) === '✓',
    'route row: ' + (await page.locator('#route tbody tr[data-broker="broker-a"] td').allTextContents()).join('|'));
  // the form now holds the topic's config as the broker has it
  assert((await page.inputValue('select[name="perm"]')) === '4', 'perm not filled in');
  assert(await page.isChecked('input[name="order"]'), 'order not filled in');
  assert((await page.inputValue('input[name="writeQueueNums"]')) === '2', 'queues not filled in');
  await shot('topic-order');
  await page.selectOption('select[name="perm"]', '6');
  await page.uncheck('input[name="order"]');
  await page.click('#topic-submit');
  await page.locator('#route tbody tr[data-broker="broker-a"] td:nth-child(6)', { hasText: '✗' }).waitFor();
  await page.locator('#route tbody tr[data-broker="broker-a"] td:nth-child(5)', { hasText: '6' }).waitFor();
  const d = await apiPost(url, '/api/topic/delete', { topic: ot });
  assert(d.status === 200, 'delete: ' + JSON.stringify(d));
});

test('a bad topic name gets the 400 reason next to the field', async () => {
  await page.fill('#topic-name', 'TBW102');
  await page.click('#topic-submit');
  await page.locator('#status.error', { hasText: 'system topic' }).waitFor();
  const err = page.locator('#topic-form label:has(#topic-name) .field-error');
  await err.waitFor();
  assert((await err.textContent()).includes('system topic'), 'no message next to the topic field');
  assert((await page.getAttribute('#topic-name', 'aria-invalid')) === 'true', 'topic field not marked invalid');
  await page.fill('input[name="readQueueNums"]', '0');
  await page.fill('#topic-name', 'FineName');
  await page.click('#topic-submit');
  await page.locator('#topic-form label:has(input[name="readQueueNums"]) .field-error').waitFor();
  assert((await page.locator('#topic-form .field-error').count()) === 1, 'the old message stayed');
  await page.fill('input[name="readQueueNums"]', '8');
});

test('a topic or a group that does not exist gets a clear page', async () => {
  await page.goto(url + '/topics.html?topic=NoSuchTopic' + process.pid);
  await page.locator('#not-found', { hasText: 'NoSuchTopic' + process.pid }).waitFor();
  assert((await page.locator('#not-found-text').textContent()) === 'Topic NoSuchTopic' + process.pid + ' does not exist.', 'wrong text');
  assert(await page.locator('#topic-detail').isHidden(), 'an empty detail is shown');
  await page.goto(url + '/messages.html');
  await page.fill('#search-topic', 'NoSuchTopicM');
  await page.click('#search-submit');
  await page.locator('#not-found', { hasText: 'NoSuchTopicM' }).waitFor();
  await page.goto(url + '/groups.html?group=no-such-group');
  await page.locator('#not-found', { hasText: 'no-such-group' }).waitFor();
  await shot('not-found');
});

test('send a message with rmqadmin', async () => {
  const { stdout } = await run(rmqadmin, ['sendMessage', '-n', namesrv, '-t', topic, '-k', key, '-p', body]);
  assert(stdout.includes('SEND_OK'), 'rmqadmin did not report SEND_OK: ' + stdout);
});

test('find the message by key and read its body', async () => {
  await page.goto(url + '/messages.html');
  await page.fill('#search-topic', topic);
  await page.fill('#search-key', key);
  await page.click('#search-submit');
  await page.locator('#messages tbody tr').first().waitFor();
  assert((await page.locator('#messages tbody tr').count()) === 1, 'expected one message');
  await page.locator('#messages tbody tr').first().click();
  await page.locator('#message-body', { hasText: body }).waitFor();
  assert((await page.locator('#message-body').textContent()) === body, 'body differs');
  assert((await page.locator('#properties').textContent()).includes(key), 'KEYS property missing');
  await shot('messages');
});

test('find the message by either kind of id: the client id (with its topic) and the offset id', async () => {
  const q = await (await fetch(url + '/api/messages?topic=' + topic + '&key=' + key)).json();
  const m = q.messages[0];
  assert(m && m.msgId && m.offsetMsgId && m.msgId !== m.offsetMsgId, 'two ids: ' + JSON.stringify(m));
  for (const id of [m.msgId, m.offsetMsgId]) {
    await page.goto(url + '/messages.html');
    await page.fill('#search-topic', topic);
    await page.fill('#search-id', id);
    await page.click('#search-submit');
    await page.locator('#message-body', { hasText: body }).waitFor();
    assert((await page.locator('#messages tbody tr').count()) === 1, 'expected one message for ' + id);
    assert((await page.locator('#message-fields').textContent()).includes(id), 'the detail does not show ' + id);
  }
  await shot('message-by-id');
  // an id nobody stored: a clear refusal, no row
  await page.goto(url + '/messages.html');
  await page.fill('#search-topic', topic);
  await page.fill('#search-id', '0A0A0A0A00002A9F0000000000000001');
  await page.click('#search-submit');
  await page.locator('#status.error').waitFor();
  assert((await page.locator('#messages tbody tr').count()) === 0, 'a row for an unknown id');
});

// A helper process that prints a line starting with @word once ready.
function spawnHelper(args, word) {
  const child = spawn(helper, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  child.lines = [];
  const ready = new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', d => {
      buf += String(d);
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        child.lines.push(line);
        if (line.startsWith(word)) resolve(line.slice(word.length).trim());
      }
    });
    child.on('exit', c => reject(new Error('helper exited with ' + c)));
  });
  return { child, ready };
}

async function apiPost(base, path, data, headers) {
  const s = await (await fetch(base + '/api/session', { headers })).json();
  const r = await fetch(base + path, { method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken }, headers || {}), body: JSON.stringify(data) });
  return { status: r.status, body: await r.json() };
}

test('topic page: send a test message, then read it as text and as hex', async () => {
  await page.goto(url + '/topics.html?topic=' + topic);
  await page.locator('#detail-title', { hasText: topic }).waitFor();
  const tkey = 'typed-' + process.pid;
  await page.fill('#send-tag', 'TagTyped');
  await page.fill('#send-key', tkey);
  await page.fill('#send-body', 'Hi 你好');
  await page.click('#send-submit');
  await page.locator('#send-result a').waitFor();
  await shot('topic-send');
  // the broker has it, found by its key
  const q = await (await fetch(url + '/api/messages?topic=' + topic + '&key=' + tkey)).json();
  assert(q.messages.length === 1 && q.messages[0].body === 'Hi 你好' && q.messages[0].tags === 'TagTyped', 'not stored: ' + JSON.stringify(q));
  assert((await page.locator('#send-result').textContent()).includes(q.messages[0].msgId), 'the result does not name the msgId');
  await page.click('#send-result a');
  await page.locator('#message-body', { hasText: 'Hi 你好' }).waitFor();
  await page.check('#body-hex');
  const hex = Buffer.from('Hi 你好').toString('hex').replace(/(..)/g, '$1 ').trim();
  await page.locator('#message-body', { hasText: hex }).waitFor();
  assert((await page.locator('#message-body').textContent()) === hex, 'hex differs');
  await shot('message-hex');
  // an empty body is refused next to the field
  await page.goto(url + '/topics.html?topic=' + topic);
  await page.locator('#detail-title', { hasText: topic }).waitFor();
  await page.click('#send-submit');
  await page.locator('#send-form label:has(#send-body) .field-error').waitFor();
});

test('a consumer client: running info, the topic lists its group, resend to it, skip', async () => {
  const cg = 'browser-cg-' + process.pid;
  const { child, ready } = spawnHelper(['consumer', namesrv, topic, cg, '120'], 'READY');
  try {
    const clientId = await ready;
    await page.goto(url + '/groups.html?group=' + cg);
    const row = page.locator('#members tbody tr', { hasText: clientId });
    await row.waitFor();
    await row.locator('button').click();
    await page.locator('#running-props tbody tr', { hasText: 'fakeClient' }).waitFor();
    assert((await page.locator('#running-props tbody tr', { hasText: 'fakeClient' }).locator('td').nth(1).textContent()) === clientId, 'running info of another client');
    await shot('running-info');
    // the topic's consumer groups
    await page.goto(url + '/topics.html?topic=' + topic);
    await page.locator('#consumers tbody tr[data-group="' + cg + '"]').waitFor();
    const cells = await page.locator('#consumers tbody tr[data-group="' + cg + '"] td').allTextContents();
    assert(cells[1] === '1', 'online clients: ' + cells.join('|'));
    // resend the message found by key to this one client
    await page.goto(url + '/messages.html');
    await page.fill('#search-topic', topic);
    await page.fill('#search-key', key);
    await page.click('#search-submit');
    await page.locator('#messages tbody tr').first().click();
    await page.fill('#resend-group', cg);
    await page.dispatchEvent('#resend-group', 'change');
    await page.locator('#resend-client option[value="' + clientId + '"]').waitFor({ state: 'attached' });
    await page.selectOption('#resend-client', clientId);
    await page.click('#resend-submit');
    await page.locator('#status.ok', { hasText: 'CR_SUCCESS' }).waitFor();
    for (let i = 0; i < 50 && !child.lines.some(l => l.startsWith('DIRECT ')); i++) await new Promise(r => setTimeout(r, 100));
    assert(child.lines.some(l => l.startsWith('DIRECT ')), 'the client got nothing');
    await shot('resend-client');
    // skip: the broker tells the online client
    await page.goto(url + '/groups.html?group=' + cg);
    await page.locator('#detail-title', { hasText: cg }).waitFor();
    await page.fill('#skip-topic', topic);
    page.once('dialog', d => d.accept());
    await page.click('#skip-submit');
    await page.locator('#status.ok', { hasText: TABLES.en['groups.skippedOnline'].split(':')[0] }).waitFor();
    for (let i = 0; i < 50 && !child.lines.includes('RESET'); i++) await new Promise(r => setTimeout(r, 100));
    assert(child.lines.includes('RESET'), 'the client was not told');
    // reset by time through the broker (222): the online client is told again
    const resets = () => child.lines.filter(l => l === 'RESET').length;
    const before = resets();
    const resetForm = page.locator('#reset-form');
    await resetForm.locator('input[name="topic"]').fill(topic);
    await resetForm.locator('input[name="timestamp"]').fill('2020-01-01T00:00:00');
    await resetForm.locator('button[type="submit"]').click();
    await page.locator('#status.ok', { hasText: TABLES.en['groups.resetOnline'].split('; ')[1] }).waitFor();
    for (let i = 0; i < 50 && resets() === before; i++) await new Promise(r => setTimeout(r, 100));
    assert(resets() > before, 'the client was not told of the reset');
    await shot('group-reset');
    // resend to the whole group (CONSUMER_SEND_MSG_BACK): the broker stores a
    // copy for the group's retry (held back by the first retry's delay)
    const putTotal = async () => (await (await fetch(url + '/api/cluster')).json()).brokers
      .filter(b => b.brokerName === 'broker-a').reduce((n, b) => n + Number(b.putTotal || 0), 0);
    const put0 = await putTotal();
    await page.goto(url + '/messages.html');
    await page.fill('#search-topic', topic);
    await page.fill('#search-key', key);
    await page.click('#search-submit');
    await page.locator('#messages tbody tr').first().click();
    await page.fill('#resend-group', cg);
    await page.selectOption('#resend-client', '');
    await page.click('#resend-submit');
    await page.locator('#status.ok', { hasText: TABLES.en['messages.resent'].replace('{group}', cg) }).waitFor();
    let put1 = put0;
    for (let i = 0; i < 50 && put1 <= put0; i++) {
      put1 = await putTotal();
      if (put1 <= put0) await new Promise(r => setTimeout(r, 100));
    }
    assert(put1 > put0, 'the broker stored nothing for the group (' + put0 + ' -> ' + put1 + ')');
  } finally {
    child.stdin.end();
  }
});

test('search by time in pages', async () => {
  const pt = 'BrowserPaged' + process.pid;
  const c = await apiPost(url, '/api/topic', { topic: pt, readQueueNums: 2, writeQueueNums: 2 });
  assert(c.status === 200, 'create: ' + JSON.stringify(c));
  for (let i = 0; i < 25; i++) {
    const r = await apiPost(url, '/api/topic/send', { topic: pt, body: 'paged ' + i });
    assert(r.status === 200, 'send: ' + JSON.stringify(r));
  }
  await page.goto(url + '/messages.html');
  await page.fill('#search-topic', pt);
  await page.click('#search-submit');
  await page.locator('#pager:not([hidden])').waitFor();
  const info = await page.locator('#page-info').textContent();
  assert(info === TABLES.en['messages.pageInfo'].replace('{page}', 1).replace('{pages}', 2).replace('{total}', 25), 'pager says ' + info);
  assert((await page.locator('#messages tbody tr').count()) === 20, 'first page is not 20 rows');
  assert(await page.locator('#page-prev').isDisabled(), 'previous enabled on the first page');
  const first = await page.locator('#messages tbody tr td:first-child').allTextContents();
  await page.click('#page-next');
  await page.locator('#page-info', { hasText: TABLES.en['messages.pageInfo'].replace('{page}', 2).replace('{pages}', 2).replace('{total}', 25) }).waitFor();
  assert((await page.locator('#messages tbody tr').count()) === 5, 'second page is not 5 rows');
  const second = await page.locator('#messages tbody tr td:first-child').allTextContents();
  assert(new Set([...first, ...second]).size === 25, 'the pages overlap');
  assert(await page.locator('#page-next').isDisabled(), 'next enabled on the last page');
  await shot('messages-paged');
});

test('message trace: the path of a traced message', async () => {
  const { stdout } = await run(helper, ['trace', namesrv, topic]);
  const id = stdout.trim();
  await page.goto(url + '/trace.html?id=' + id);
  await page.locator('#traces tbody tr').nth(2).waitFor();
  const types = await page.locator('#traces tbody tr').evaluateAll(rs => rs.map(r => r.dataset.type));
  assert(types.join(',') === 'Pub,SubBefore,SubAfter', 'steps: ' + types);
  const sub = await page.locator('#traces tbody tr[data-type="SubAfter"] td').allTextContents();
  assert(sub[2] === 'trace-cg' && sub[4] === '7', 'SubAfter row: ' + sub.join('|'));
  await shot('trace');
  await page.goto(url + '/trace.html?id=0A0A0A0A00002A9F0000000000000001');
  await page.locator('#not-found').waitFor();
});

test('dashboard: charts drawn from the console\'s own samples of the test\'s traffic', async () => {
  for (let i = 0; i < 5; i++) await apiPost(url, '/api/topic/send', { topic, body: 'chart ' + i });
  await page.goto(url + '/dashboard.html');
  const line = page.locator('#chart-topic-put polyline[data-series="' + topic + '"]');
  let values = [];
  for (let i = 0; i < 60; i++) {
    if (await line.count()) {
      values = (await line.getAttribute('data-values')).split(' ').map(Number);
      if (values.some(v => v > 0)) break;
    }
    await apiPost(url, '/api/topic/send', { topic, body: 'chart tick' });
    await new Promise(r => setTimeout(r, 500));
  }
  assert(values.some(v => v > 0), 'no put TPS of ' + topic + ' drawn');
  const pts = (await line.getAttribute('points')).trim().split(/\s+/);
  assert(pts.length === values.length && pts.length >= 2, pts.length + ' points for ' + values.length + ' values');
  // the values drawn are the console's samples
  const api = await (await fetch(url + '/api/charts?range=hour')).json();
  const series = api.points.map(p => Number((p.topics || {})[topic] || 0)).join(' ');
  assert((' ' + series + ' ').includes(' ' + values.slice(1, -1).join(' ') + ' '), 'drawn values are not the samples');
  await page.locator('#chart-broker-put polyline[data-series="broker-a/0"]').waitFor({ state: 'attached' });
  await page.locator('#chart-group-lag svg').waitFor({ state: 'attached' });
  await page.locator('#chart-topic-get svg[role="img"]').waitFor({ state: 'attached' });
  await shot('dashboard');
  await page.selectOption('#range', 'day');
  await page.locator('#dash-info', { hasText: '120' }).waitFor();
  await shot('dashboard-day');
});

test('name servers: reachability and switching the list', async () => {
  await page.goto(url + '/namesrv.html');
  const row = page.locator('#servers tbody tr[data-addr="' + namesrv + '"] td.up');
  await row.waitFor();
  await page.fill('#ns-list', '127.0.0.1:1;' + namesrv);
  await page.click('#ns-submit');
  await page.locator('#status.ok', { hasText: '127.0.0.1:1;' + namesrv }).waitFor();
  await page.locator('#servers tbody tr[data-addr="127.0.0.1:1"] td.down').waitFor();
  await shot('namesrv');
  await page.fill('#ns-list', 'not an address');
  await page.click('#ns-submit');
  await page.locator('#ns-form label:has(#ns-list) .field-error').waitFor();
  await page.fill('#ns-list', namesrv);
  await page.click('#ns-submit');
  await page.locator('#status.ok', { hasText: namesrv }).waitFor();
  assert((await page.locator('#servers tbody tr').count()) === 1, 'the list was not switched back');
});

test('accounts: a viewer reads, is offered no change, and a change is refused with 403 and logged', async () => {
  // in Chinese: the refusal is said in the page's language
  const ctx = await browser.newContext({ locale: 'zh-CN', httpCredentials: { username: 'watcher', password: accountsPassword } });
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  await p.goto(accountsUrl + '/topics.html');
  await p.locator('#readonly', { hasText: 'watcher' }).waitFor();
  await p.locator('#topics tbody tr', { hasText: topic }).waitFor();
  assert((await p.locator('[data-change]').count()) >= 2, 'the topics page marks no change control');
  assert(await p.locator('#topic-form').isHidden(), 'the create form is offered to a viewer');
  await p.locator('#topics tbody tr', { hasText: topic }).click();
  await p.locator('#queues tbody tr').first().waitFor();
  assert(await p.locator('#send-form').isHidden(), 'the test message form is offered to a viewer');
  assert(await p.locator('#topic-delete').isHidden(), 'delete is offered to a viewer');
  await shot('viewer-topics', p);
  // no page offers a change (forms, buttons; the ACL page's edit buttons too)
  for (const [path] of PAGES) {
    await p.goto(accountsUrl + path);
    await p.locator('#readonly').waitFor();
    await p.waitForLoadState('networkidle');
    const shown = await p.locator('[data-change]:visible').count();
    assert(shown === 0, path + ': ' + shown + ' change control(s) shown to a viewer');
    const posts = await p.evaluate(() => [...document.querySelectorAll('form')].filter(f => f.offsetParent !== null)
      .map(f => f.getAttribute('id')).filter(id => !['search-form', 'producer-form', 'dlq-form', 'trace-form'].includes(id)));
    assert(posts.length === 0, path + ': forms shown to a viewer: ' + posts.join(', '));
  }
  // the server refuses anyway: a POST made from the page, said in Chinese
  await p.goto(accountsUrl + '/topics.html');
  await p.locator('#readonly').waitFor();
  const [code, said] = await p.evaluate(async () => {
    try { await post('/api/topic', { topic: 'ViewerTopic' }); return [200, '']; } catch (e) { return [e.status, reason(e.message)]; }
  });
  assert(code === 403 && said === TABLES['zh-CN']['err.viewer'], 'viewer POST: ' + code + ' ' + said);
  await ctx.close();
  const log = readFileSync(accountsLog, 'utf8');
  assert(log.includes("refused POST /api/topic to viewer account 'watcher'"), 'no log line naming the account');
  // an admin of the same console is offered the forms and may use them
  const actx = await browser.newContext({ locale: 'en-US', httpCredentials: { username: 'boss', password: accountsPassword } });
  const a = await actx.newPage();
  a.setDefaultTimeout(15000);
  await a.goto(accountsUrl + '/topics.html');
  await a.locator('#topics tbody tr', { hasText: topic }).waitFor();
  assert(await a.locator('#topic-form').isVisible(), 'the admin is not offered the create form');
  assert((await a.locator('#readonly').count()) === 0, 'the admin is told read-only');
  await actx.close();
  const auth = { Authorization: 'Basic ' + Buffer.from('boss:' + accountsPassword).toString('base64') };
  const r = await apiPost(accountsUrl, '/api/topic', { topic: 'BossTopic' + process.pid }, auth);
  assert(r.status === 200, 'the admin account was refused: ' + JSON.stringify(r));
});

test('accessibility: every control has a label, tables have column headers, keyboard reaches it all', async () => {
  for (const lang of ['en', 'zh-CN']) {
    const p = await newPage(lang === 'en' ? 'en-US' : 'zh-CN');
    for (const [path] of PAGES) {
      await p.goto(url + path);
      await p.locator('h1').waitFor();
      await p.waitForLoadState('networkidle');
      const problems = await p.evaluate(() => {
        const out = [];
        for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
          const named = (e.labels && e.labels.length && [...e.labels].some(l => l.textContent.trim())) || e.getAttribute('aria-label');
          if (!named) out.push('unlabelled ' + e.tagName + '#' + (e.id || e.name));
        }
        for (const th of document.querySelectorAll('thead th'))
          if (th.getAttribute('scope') !== 'col') out.push('th without scope in #' + th.closest('table').id);
        for (const b of document.querySelectorAll('button, a[href]'))
          if (!b.textContent.trim() && !b.getAttribute('aria-label')) out.push('nameless ' + b.tagName + '#' + b.id);
        for (const tb of document.querySelectorAll('table'))
          if (!tb.querySelector('thead th')) out.push('table #' + tb.id + ' has no header');
        return out;
      });
      assert(problems.length === 0, path + ' (' + lang + '): ' + problems.join('; '));
      // the first Tab lands on the skip link, which moves focus to the content
      await p.keyboard.press('Tab');
      assert(await p.evaluate(() => document.activeElement.classList.contains('skip')), path + ': first Tab is not the skip link');
      await p.keyboard.press('Enter');
      assert(await p.evaluate(() => document.activeElement.id === 'main' || location.hash === '#main'), path + ': skip link goes nowhere');
      // the accessibility tree Playwright sees has the page heading
      const tree = await p.locator('body').ariaSnapshot();
      const h1 = await p.locator('h1').textContent();
      assert(tree.includes('heading "' + h1 + '" [level=1]'), path + ': the heading is not in the accessibility tree');
      assert(tree.includes('navigation'), path + ': no navigation landmark');
    }
    await p.context().close();
  }
  // the search form by keyboard alone
  const p = await newPage('en-US');
  await p.goto(url + '/messages.html');
  await p.locator('h1').waitFor();
  await p.focus('#search-topic');
  await p.keyboard.type(topic);
  await p.keyboard.press('Tab');
  await p.keyboard.type(key);
  await p.keyboard.press('Enter');
  await p.locator('#messages tbody tr').first().waitFor();
  await p.keyboard.press('Tab');
  await p.locator('#messages tbody tr').first().focus();
  await p.keyboard.press('Enter');
  await p.locator('#message-body', { hasText: body }).waitFor();
  await p.context().close();
});

test('consumer groups page lists the system groups on demand', async () => {
  await page.goto(url + '/groups.html');
  await page.waitForLoadState('networkidle');
  assert((await page.locator('#groups tbody tr', { hasText: 'TOOLS_CONSUMER' }).count()) === 0, 'system group shown by default');
  await page.check('#show-system');
  await page.locator('#groups tbody tr', { hasText: 'TOOLS_CONSUMER' }).waitFor();
  await shot('groups');
});

test('producers page: the connections of a producer group on a topic', async () => {
  // a producer of the project's client library that stays connected (bounded: 60 s)
  const child = spawn(helper, ['producer', namesrv, topic, 'browser-pg', '60'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      child.stdout.on('data', d => { if (String(d).includes('READY')) resolve(); });
      child.on('exit', c => reject(new Error('helper exited with ' + c)));
    });
    await page.goto(url + '/producers.html');
    await page.fill('#producer-group', 'browser-pg');
    await page.fill('#producer-topic', topic);
    await page.click('#producer-submit');
    const row = page.locator('#producers tbody tr').first();
    await row.waitFor();
    assert((await page.locator('#producers tbody tr').count()) === 1, 'expected one connection');
    assert((await row.textContent()).includes('127.0.0.1'), 'no client address');
    assert(await page.locator('#producer-none').isHidden(), 'says none while one is connected');
    await shot('producers');
    await page.fill('#producer-group', 'nobody-pg');
    await page.click('#producer-submit');
    await page.locator('#producer-none', { hasText: 'nobody-pg' }).waitFor();
    assert((await page.locator('#producers tbody tr').count()) === 0, 'rows for a group with no producer');
    await page.fill('#producer-topic', 'NoSuchTopicP');
    await page.click('#producer-submit');
    await page.locator('#not-found', { hasText: 'NoSuchTopicP' }).waitFor();
    await page.fill('#producer-group', 'bad group');
    await page.click('#producer-submit');
    await page.locator('#producer-form label:has(#producer-group) .field-error').waitFor();
  } finally {
    child.stdin.end();
  }
});

test('create, update and delete a subscription group', async () => {
  const g = 'browser-sub-' + process.pid;
  await page.goto(url + '/groups.html');
  await page.locator('#config-broker option[value="broker-a"]').waitFor({ state: 'attached' });
  await page.fill('#config-group', g);
  await page.fill('input[name="retryQueueNums"]', '2');
  await page.fill('input[name="retryMaxTimes"]', '3');
  await page.uncheck('input[name="consumeBroadcastEnable"]');
  await page.selectOption('#config-broker', 'broker-a');
  await page.click('#config-submit');
  await page.locator('#status.ok', { hasText: g }).waitFor();
  const row = page.locator('#sub-config tbody tr', { hasText: 'broker-a' });
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert(cells[1] === '2' && cells[2] === '3' && cells[3] === '✗' && cells[4] === '✓', 'config row: ' + cells.join('|'));
  // the form now holds the group's config: change one value
  await page.fill('input[name="retryMaxTimes"]', '99');
  await page.click('#config-submit');
  const err = page.locator('#config-form label:has(input[name="retryMaxTimes"]) .field-error');
  await err.waitFor();
  assert((await err.textContent()).includes('from 0 to 64'), 'no range next to the field');
  await page.fill('input[name="retryMaxTimes"]', '4');
  await page.click('#config-submit');
  await page.locator('#sub-config tbody tr td:nth-child(3)', { hasText: '4' }).waitFor();
  assert((await page.locator('#config-form .field-error').count()) === 0, 'old field message stayed');
  await shot('group-config');
  page.once('dialog', d => d.accept());
  await page.click('#group-delete');
  await page.locator('#status.ok', { hasText: g }).waitFor();
  await page.goto(url + '/groups.html?group=' + g);
  await page.locator('#not-found', { hasText: g }).waitFor();
});

test('dead letters: list, browse, export a selection as JSON, resend it to the original topic', async () => {
  const dg = 'browser-dlq-group';
  const { stdout } = await run(helper, ['dlq', namesrv, topic, dg, '3']);
  const ids = stdout.trim().split('\n');
  assert(ids.length === 3, 'helper made ' + ids.length + ' dead letters');
  await page.goto(url + '/dlq.html');
  const g = page.locator('#dlq-groups tbody tr', { hasText: dg });
  await g.waitFor();
  assert((await g.locator('td').nth(2).textContent()) === '3', 'count is not 3');
  await g.click();
  await page.locator('#detail-title', { hasText: dg }).waitFor();
  const rows = page.locator('#dlq-messages tbody tr');
  await rows.first().waitFor();
  assert((await rows.count()) === 3, 'expected 3 dead letters');
  for (let i = 0; i < 3; i++) assert((await rows.nth(i).locator('td').nth(2).textContent()) === topic, 'original topic');
  // nothing selected: said so, nothing sent
  await page.click('#dlq-resend');
  await page.locator('#status.error', { hasText: 'select at least one' }).waitFor();
  await rows.nth(0).locator('input').check();
  await rows.nth(1).locator('input').check();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dlq-export')]);
  const saved = join(shots, 'dlq-export.json');
  await download.saveAs(saved);
  const exported = JSON.parse(readFileSync(saved, 'utf8'));
  assert(exported.messages.length === 2, 'exported ' + exported.messages.length);
  assert(exported.topic === '%DLQ%' + dg, 'export topic');
  const bodies = exported.messages.map(m => m.body).sort();
  assert(bodies[0] === 'dead letter 0' && bodies[1] === 'dead letter 1', 'exported bodies ' + bodies);
  assert(exported.messages.every(m => ids.includes(m.msgId) && m.originTopic === topic), 'exported ids');
  await page.click('#dlq-resend');
  await page.locator('#status.ok', { hasText: 'resent 2 of 2' }).waitFor();
  await shot('dlq-resent');
  // on the broker: each resent key now has two messages on the topic, the third one
  for (const [k, want] of [['dlq-key-0', 2], ['dlq-key-1', 2], ['dlq-key-2', 1]]) {
    let n = 0;
    for (let i = 0; i < 30 && n !== want; i++) {
      const q = await run(rmqadmin, ['queryMsgByKey', '-n', namesrv, '-t', topic, '-k', k, '--json']).catch(e => ({ stdout: '[]' }));
      const parsed = JSON.parse(q.stdout);
      n = (Array.isArray(parsed) ? parsed : parsed.messages || []).length;
      if (n !== want) await new Promise(r => setTimeout(r, 200));
    }
    assert(n === want, k + ': ' + n + ' message(s) on ' + topic + ', expected ' + want);
  }
  await page.goto(url + '/dlq.html?group=no-such-dlq');
  await page.locator('#not-found', { hasText: 'no-such-dlq' }).waitFor();
});

test('live TPS chart draws the broker and the topic', async () => {
  await run(rmqadmin, ['sendMessage', '-n', namesrv, '-t', topic, '-p', 'tick']);
  await page.goto(url + '/tps.html');
  await page.locator('#broker-legend li', { hasText: 'broker-a/0' }).waitFor();
  await page.locator('#topic-legend li', { hasText: topic }).waitFor();
  await shot('tps');
});

test('readable on a phone (no horizontal scrolling of the page)', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(url + '/');
  await page.locator('#brokers tbody tr', { hasText: 'broker-a' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, 'page is ' + overflow + ' px wider than the phone');
  await shot('overview-phone');
});

test('the two language tables have the same keys', async () => {
  const a = await (await fetch(url + '/i18n/en.json')).json();
  const b = await (await fetch(url + '/i18n/zh-CN.json')).json();
  const onlyA = Object.keys(a).filter(k => !(k in b)), onlyB = Object.keys(b).filter(k => !(k in a));
  assert(onlyA.length === 0, 'missing in zh-CN: ' + onlyA.join(', '));
  assert(onlyB.length === 0, 'missing in en: ' + onlyB.join(', '));
  assert(Object.keys(a).length > 100, 'tables too small');
  // a sentence left in English in the Chinese table (short names like TPS may stay)
  const same = Object.keys(a).filter(k => !k.startsWith('lang.name.') && a[k] === b[k] && a[k].length >= 12);
  assert(same.length === 0, 'not translated: ' + same.join(', '));
});

test('pages hold no text of their own: every string is a key', async () => {
  for (const [path] of PAGES) {
    const html = await (await fetch(url + path)).text();
    const bad = await page.evaluate(h => {
      const d = new DOMParser().parseFromString(h, 'text/html');
      const out = [];
      const w = d.createTreeWalker(d.documentElement, NodeFilter.SHOW_TEXT);
      for (let n = w.nextNode(); n; n = w.nextNode())
        if (n.textContent.trim() && !n.parentElement.hasAttribute('data-i18n')) out.push(n.textContent.trim());
      for (const e of d.querySelectorAll('[placeholder], [aria-label], [title]'))
        for (const a of ['placeholder', 'aria-label', 'title'])
          if (e.hasAttribute(a) && !e.hasAttribute('data-i18n-' + a)) out.push(a + '=' + e.getAttribute(a));
      return out;
    }, html);
    assert(bad.length === 0, path + ' has text outside the tables: ' + bad.join(' | '));
  }
});

test('every page in English and in Chinese (from Accept-Language)', async () => {
  for (const lang of ['en', 'zh-CN']) {
    const p = await newPage(lang === 'en' ? 'en-GB' : 'zh-CN');
    for (const [path, name, h1] of PAGES) {
      await p.goto(url + path);
      await p.locator('h1', { hasText: TABLES[lang][h1] }).waitFor();
      assert((await p.getAttribute('html', 'lang')) === lang, path + ': html lang is not ' + lang);
      assert((await p.title()) === TABLES[lang]['title.' + (name === 'overview' ? 'cluster' : name)], path + ': title');
      const nav = await p.locator('nav a[data-nav="topics"]').textContent();
      assert(nav === TABLES[lang]['nav.topics'], path + ': nav not translated');
      const empty = await p.locator('[data-i18n]:empty').count();
      assert(empty === 0, path + ': ' + empty + ' element(s) left without their string');
      if (name === 'overview') await p.locator('#brokers tbody tr td.up', { hasText: TABLES[lang]['cluster.up'] }).waitFor();
      await shot(name + '-' + lang, p);
      if (name === 'overview') {
        await p.locator('#brokers tbody tr', { hasText: 'broker-a' }).click();
        await p.locator('#runtime tbody tr', { hasText: 'commitLogMaxOffset' }).waitFor();
        assert((await p.locator('#broker-detail h3').first().textContent()) === TABLES[lang]['cluster.runtime'], 'runtime heading');
        await shot('broker-detail-' + lang, p);
      }
    }
    await p.context().close();
  }
});

test('the language switch wins over Accept-Language and is remembered', async () => {
  const p = await newPage('zh-CN');
  await p.goto(url + '/topics.html');
  await p.locator('h1', { hasText: TABLES['zh-CN']['topics.h1'] }).waitFor();
  assert((await p.inputValue('#lang')) === 'zh-CN', 'switch does not show the language');
  await Promise.all([p.waitForEvent('load'), p.selectOption('#lang', 'en')]);
  await p.locator('h1', { hasText: 'Topics' }).waitFor();
  await p.click('nav a[data-nav="groups"]');
  await p.locator('h1', { hasText: 'Consumer groups' }).waitFor();
  assert((await p.getAttribute('html', 'lang')) === 'en', 'choice not kept on the next page');
  await Promise.all([p.waitForEvent('load'), p.selectOption('#lang', 'zh-CN')]);
  await p.locator('h1', { hasText: TABLES['zh-CN']['groups.h1'] }).waitFor();
  await p.context().close();
});

test('a refused field is explained in the page language', async () => {
  const p = await newPage('zh-CN');
  await p.goto(url + '/topics.html');
  await p.locator('h1', { hasText: TABLES['zh-CN']['topics.h1'] }).waitFor();
  await p.fill('#topic-name', 'ZhFieldTopic');
  await p.fill('input[name="writeQueueNums"]', '2000');
  await p.click('#topic-submit');
  const err = p.locator('#topic-form label:has(input[name="writeQueueNums"]) .field-error');
  await err.waitFor();
  const want = TABLES['zh-CN']['common.invalid'].replace('{reason}',
    TABLES['zh-CN']['err.range'].replace('{field}', 'writeQueueNums').replace('{lo}', '1').replace('{hi}', '1024'));
  assert((await err.textContent()) === want, 'got ' + (await err.textContent()) + ', want ' + want);
  await shot('field-error-zh-CN', p);
  await p.context().close();
});

// A loopback port with port-2 and port+1 free too (a broker's VIP and HA ports).
async function freePort() {
  const tryPort = p => new Promise(r => { const srv = createServer(); srv.once('error', () => r(false));
    srv.listen(p, '127.0.0.1', () => srv.close(() => r(true))); });
  for (;;) {
    const srv = createServer();
    await new Promise(r => srv.listen(0, '127.0.0.1', r));
    const p = srv.address().port;
    await new Promise(r => srv.close(r));
    if (p > 1030 && await tryPort(p - 2) && await tryPort(p + 1)) return p;
  }
}

// Last of the page tests: from here on broker-a has two rows.
test('a slave of broker-a: its role and its lag behind the master on the overview', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmq-console-slave-'));
  const port = await freePort();
  writeFileSync(join(dir, 'slave.conf'), [`listenPort = ${port};`, 'bindAddress = "127.0.0.1";',
    'brokerIP1 = "127.0.0.1";', 'brokerName = "broker-a";', 'brokerId = 1;', 'brokerRole = "SLAVE";',
    'haSendHeartbeatInterval = 1000;', `namesrvAddr = "${namesrv}";`, `storePathRootDir = "${dir}/store";`,
    'mappedFileSizeCommitLog = 8388608;', 'mappedFileSizeConsumeQueue = 120000;', 'maxIndexNum = 40000;',
    'maxHashSlotNum = 10000;', ''].join('\n'));
  const slave = spawn(process.env.BROKER, ['--config', join(dir, 'slave.conf')], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    const addr = '127.0.0.1:' + port;
    let cells = [];
    // bounded: the slave registers, connects to the master's HA port and catches up
    for (let i = 0; i < 60; i++) {
      await page.goto(url + '/');
      await page.locator('#brokers tbody tr').first().waitFor();
      const row = page.locator('#brokers tbody tr[data-addr="' + addr + '"]');
      if (await row.count()) {
        cells = await row.locator('td').allTextContents();
        if (cells[10] === '0') break;
      }
      await new Promise(r => setTimeout(r, 500));
    }
    assert(cells.length > 0, 'the slave is not on the overview');
    assert(cells[1] === 'broker-a' && cells[2] === '1' && cells[3] === 'SLAVE', 'slave row: ' + cells.join('|'));
    assert(cells[10] === '0', 'the slave never caught up: lag ' + cells[10]);
    const master = await page.locator('#brokers tbody tr', { hasText: 'MASTER' }).locator('td').allTextContents();
    assert(master[10] === '', 'a master has no lag: ' + master.join('|'));
    await shot('overview-slave');
  } finally {
    slave.kill('SIGTERM');
    await new Promise(r => slave.exitCode !== null ? r() : slave.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no script errors or CSP violations on any page', async () => {
  assert(pageErrors.length === 0, pageErrors.join('; '));
});

console.log('1..' + tests.length);
for (const t of tests) {
  n++;
  try {
    await t.fn();
    console.log(`ok ${n} - ${t.name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${n} - ${t.name}`);
    for (const line of String(e.stack || e).split('\n')) console.log('# ' + line);
    await shot('failed-' + n).catch(() => {});
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
