// rmq-console in Debian's headless Chromium, driven by Playwright. The
// cluster (rmq-namesrv, rmq-broker, rmq-console) is started by ../run.sh,
// which passes: CONSOLE_URL, NAMESRV_ADDR, RMQADMIN (the project's tool),
// SCREENSHOT_DIR, CHROMIUM (default /usr/bin/chromium). Prints TAP.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const url = process.env.CONSOLE_URL;
const namesrv = process.env.NAMESRV_ADDR;
const rmqadmin = process.env.RMQADMIN;
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
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
page.setDefaultTimeout(15000);
const pageErrors = [];
page.on('pageerror', e => pageErrors.push(e.message));
// API refusals are expected (the 400 test); a failed page, script or style is not
page.on('console', m => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
});
page.on('response', r => {
  if (r.status() >= 400 && !new URL(r.url()).pathname.startsWith('/api/')) pageErrors.push(r.status() + ' ' + r.url());
});

async function shot(name) { await page.screenshot({ path: join(shots, name + '.png'), fullPage: true }); }
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
  await page.locator('#detail-name', { hasText: topic }).waitFor();
  assert((await page.locator('#queues tbody tr').count()) === 4, 'expected 4 queues');
  await shot('topics');
});

test('a bad topic name gets the 400 reason', async () => {
  await page.fill('#topic-name', 'TBW102');
  await page.click('#topic-submit');
  await page.locator('#status.error', { hasText: 'system topic' }).waitFor();
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

test('consumer groups page lists the system groups on demand', async () => {
  await page.goto(url + '/groups.html');
  await page.waitForLoadState('networkidle');
  assert((await page.locator('#groups tbody tr', { hasText: 'TOOLS_CONSUMER' }).count()) === 0, 'system group shown by default');
  await page.check('#show-system');
  await page.locator('#groups tbody tr', { hasText: 'TOOLS_CONSUMER' }).waitFor();
  await shot('groups');
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
