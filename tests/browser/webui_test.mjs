// End-to-end test of the web UI in real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): a real plateau-master and plateau-agent on loopback ports they chose, a task
// launched with `plateau execute`, and the UI followed as it happens. Screenshots of every page
// go to PLATEAU_SCREENSHOT_DIR: the build tree under ctest, docs/screenshots/ only when asked
// (`./dev screenshots`).
//
// Exit codes: 0 passed, 1 failed, 77 skipped (no Chromium or no playwright-core; says why).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import harness from '../harness/processes.cjs';
import {
  sourceDir, binDir, shotDir, log, loadChromium, launchBrowser, collectProblems,
  request as httpRequest, runTest,
} from './browser.mjs';

const { eventually, check, Processes } = harness;

const chromium = await loadChromium();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plateau-browser.'));
const processes = new Processes(work, binDir);
const start = (name, argv) => processes.start(name, argv);
let browser = null;

// A GET, or a POST when there is a body.
const request = (port, urlPath, headers = {}, body = undefined) =>
  httpRequest(port, urlPath, { method: body === undefined ? 'GET' : 'POST', headers, body });

// Runs the `plateau` CLI to completion; throws with its output unless it exits 0.
async function cli(name, argv) {
  const child = start(name, ['plateau', ...argv]);
  const code = await child.exited;
  if (code !== 0) {
    throw new Error(`plateau ${argv.join(' ')} exited ${code}: ${processes.log(name)}`);
  }
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  await processes.stopAll();
}

function dumpLogs() {
  processes.dumpLogs(['master', 'agent', 'execute', 'quota', 'weights']);
}

async function main() {
  fs.mkdirSync(shotDir, { recursive: true });
  // No --webui_dir: the master finds the source tree's webui/ by itself. Both daemons bind
  // --port=0 and report the port; a restarted master takes the same one.
  const masterArgv = ['plateau-master', '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'master')}`, '--allocation_interval=100ms'];
  let masterProcess = start('master', masterArgv);
  const masterPort = await processes.reportedPort('master', 'master_started');
  masterArgv[2] = `--port=${masterPort}`;
  const master = `127.0.0.1:${masterPort}`;
  const base = `http://${master}`;
  await eventually('the master', async () => (await request(masterPort, '/health')).status === 200);
  start('agent', ['plateau-agent', `--master=${master}`, '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'agent')}`, '--resources=cpus:4;mem:4096;disk:8192',
    '--executor_shutdown_grace_period=2secs']);
  const agentPort = await processes.reportedPort('agent', 'agent_started');
  await eventually('the agent', async () => (await request(agentPort, '/health')).status === 200);
  log(`master on ${master}, agent on 127.0.0.1:${agentPort}`);

  // The static files: index.html at /, assets with their types, revalidation, no traversal.
  const index = await request(masterPort, '/');
  check(index.status === 200, `GET / answered ${index.status}: ${index.body}`);
  check(index.headers['content-type'].startsWith('text/html'), `index content-type ${index.headers['content-type']}`);
  check(index.body === fs.readFileSync(path.join(sourceDir, 'webui/index.html'), 'utf8'), 'GET / serves webui/index.html');
  const js = await request(masterPort, '/static/app.js');
  check(js.status === 200 && js.headers['content-type'].startsWith('text/javascript'), `app.js: ${js.status} ${js.headers['content-type']}`);
  check(js.headers['cache-control'] === 'no-cache' && js.headers.etag, 'app.js carries Cache-Control and an ETag');
  const again = await request(masterPort, '/static/app.js', { 'If-None-Match': js.headers.etag });
  check(again.status === 304 && again.body === '', `revalidation answered ${again.status}`);
  const css = await request(masterPort, '/static/style.css');
  check(css.headers['content-type'].startsWith('text/css'), `style.css content-type ${css.headers['content-type']}`);
  for (const bad of ['/static/../CMakeLists.txt', '/static/%2e%2e/CMakeLists.txt', '/static/..%2f..%2fCMakeLists.txt',
    '/static//etc/passwd', '/static/nope.js']) {
    const r = await request(masterPort, bad);
    check(r.status === 404, `${bad} answered ${r.status}`);
  }
  const agentState = await request(agentPort, '/state', { Origin: base });
  check(agentState.headers['access-control-allow-origin'] === '*', 'the agent allows the UI to read /state');
  const agentStats = await request(agentPort, '/monitor/statistics', { Origin: base });
  check(agentStats.status === 200 && agentStats.headers['access-control-allow-origin'] === '*',
    'the agent allows the UI to read /monitor/statistics');
  log('static files and CORS headers as expected');

  browser = await launchBrowser(chromium, work);
  const page = browser.pages()[0] || await browser.newPage();
  // Every endpoint the UI reads is served now: any failed request is a problem.
  const problems = collectProblems(page);
  const shot = async (p, name) => {
    await p.screenshot({ path: path.join(shotDir, `${name}.png`) });
    log(`screenshot docs/screenshots/${name}.png`);
  };

  await page.goto(`${base}/`);
  // A marker that only survives if the page is never reloaded.
  await page.evaluate(() => { window.__loadedOnce = true; });
  await page.waitForFunction(() => document.querySelector('#card-agents .value')?.textContent === '1', null, { timeout: 20000 });
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live');
  log('overview shows 1 agent and a live event stream');

  await page.evaluate(() => { location.hash = '#/tasks?state=all'; });
  await page.waitForSelector('#task-search');

  // A role with a weight and quota, for the roles page; the task runs in it.
  const role = 'webui';
  await cli('quota', ['quota', 'set', role, '--guarantee=cpus:1;mem:128', '--limit=cpus:2;mem:1024', `--master=${master}`]);
  await cli('weights', ['weights', 'set', role, '2.5', `--master=${master}`]);

  const taskId = 'webui-tail';
  const execute = start('execute', ['plateau', 'execute', `--master=${master}`, `--name=${taskId}`, `--role=${role}`,
    '--command=for i in $(seq 1 30); do echo line $i; sleep 0.5; done', '--resources=cpus:0.5;mem:64']);
  const stateOf = `tr[data-task$="/${taskId}"] .task-state`;
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'TASK_RUNNING', stateOf, { timeout: 20000 });
  log('the tasks page shows the task TASK_RUNNING');
  // Maintenance for the agent's machine in an hour: it turns DRAINING (the task keeps running).
  const slaves = JSON.parse((await request(masterPort, '/master/slaves')).body).slaves;
  const machine = { hostname: slaves[0].hostname, ip: '127.0.0.1' };
  const startNs = `${(Math.floor(Date.now() / 1000) + 3600)}000000000`;
  const posted = await request(masterPort, '/master/maintenance/schedule', { 'Content-Type': 'application/json' },
    JSON.stringify({ windows: [{ machine_ids: [machine],
      unavailability: { start: { nanoseconds: startNs }, duration: { nanoseconds: '7200000000000' } } }] }));
  check(posted.status === 200, `POST /master/maintenance/schedule answered ${posted.status}: ${posted.body}`);
  // The search box filters; the state filter too.
  await page.fill('#task-search', 'no-such-task');
  await page.waitForFunction((sel) => !document.querySelector(sel), stateOf);
  await page.fill('#task-search', 'tail');
  await page.selectOption('#task-state', 'TASK_RUNNING');
  await page.waitForSelector(stateOf);
  await shot(page, 'tasks');

  // The sandbox: the file list and a log tail that grows.
  await page.click(`tr[data-task$="/${taskId}"] a.sandbox-link`);
  await page.waitForFunction(() => /line \d+/.test(document.getElementById('log')?.textContent || ''), null, { timeout: 20000 });
  await page.waitForSelector('#files a[data-file$="/stdout"]');
  const lastLine = () => page.evaluate(() => {
    const numbers = [...document.getElementById('log').textContent.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
    return numbers.length ? Math.max(...numbers) : 0;
  });
  const first = await lastLine();
  await eventually('new log lines in the sandbox view', async () => (await lastLine()) >= first + 2, 15000);
  log(`the sandbox tails stdout: line ${first} then line ${await lastLine()}`);
  await shot(page, 'sandbox');

  // The agent page, while the task runs: its container's usage from the agent's
  // /monitor/statistics, the CPU use once two samples are in.
  await page.evaluate(() => { location.hash = '#/agents'; });
  await page.click('table.agents a');
  await page.waitForFunction((id) => document.querySelector(`tr[data-task$="/${id}"]`), taskId);
  await page.waitForFunction(() => {
    const row = document.querySelector('table.usage tr[data-executor]');
    return row && row.querySelector('.mem meter') && !/…/.test(row.textContent);
  }, null, { timeout: 15000 });
  log(`the agent page shows container usage: ${await page.textContent('table.usage tbody tr')}`.replace(/\s+/g, ' '));
  await shot(page, 'agent');

  // The framework page explains, per role, why it gets offers or not.
  await page.evaluate(() => { location.hash = '#/frameworks'; });
  await page.click('table.frameworks a');
  await page.waitForFunction((id) => document.querySelector(`tr[data-task$="/${id}"]`), taskId);
  await page.waitForFunction((r) => document.querySelector(`table.explain tr[data-role="${r}"] .code`)?.textContent.trim(),
    role, { timeout: 10000 });
  log(`the framework page explains: ${await page.textContent('table.explain tbody tr')}`.replace(/\s+/g, ' '));
  await shot(page, 'framework');

  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForFunction(() => document.querySelector('#card-tasks .value')?.textContent === '1');
  await page.waitForFunction(() => window.plateau.metrics.samples.length >= 3, null, { timeout: 15000 });
  await shot(page, 'overview');

  for (const [hash, name, selector] of [
    ['#/frameworks', 'frameworks', 'table.frameworks'],
    ['#/agents', 'agents', 'table.agents'],
  ]) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForSelector(selector);
    await shot(page, name);
  }

  // The roles page: the role's weight, its quota (guarantee, limit) and what it consumes.
  await page.evaluate(() => { location.hash = '#/roles'; });
  const quotaText = (r, resource, field) => page.evaluate(([r2, res, f]) =>
    document.querySelector(`table.roles tr[data-role="${r2}"] .quota[data-resource="${res}"] .${f}`)?.textContent, [r, resource, field]);
  await page.waitForSelector(`table.roles tr[data-role="${role}"] .quota[data-resource="cpus"]`);
  check(await quotaText(role, 'cpus', 'guarantee') === '1', `cpus guarantee shown as ${await quotaText(role, 'cpus', 'guarantee')}`);
  check(await quotaText(role, 'cpus', 'limit') === '2', `cpus limit shown as ${await quotaText(role, 'cpus', 'limit')}`);
  check(await quotaText(role, 'mem', 'guarantee') === '128 MB', `mem guarantee shown as ${await quotaText(role, 'mem', 'guarantee')}`);
  check(await quotaText(role, 'mem', 'limit') === '1 GB', `mem limit shown as ${await quotaText(role, 'mem', 'limit')}`);
  check(await quotaText(role, 'cpus', 'consumed') !== undefined, 'the consumed cpus are shown');
  const weight = await page.textContent(`table.roles tr[data-role="${role}"] .weight`);
  check(weight === '2.5', `the weight is shown as ${weight}`);
  log(`the roles page shows ${role}'s weight and quota: ${await page.textContent(`table.roles tr[data-role="${role}"] .quota-cell`)}`.replace(/\s+/g, ' '));
  await shot(page, 'roles');

  // The maintenance page: the window and the agent's machine, DRAINING.
  await page.evaluate(() => { location.hash = '#/maintenance'; });
  await page.waitForFunction((h) => document.querySelector(`table.machines tr[data-machine="${h}"] .mode`)?.textContent === 'DRAINING',
    machine.hostname, { timeout: 10000 });
  const scheduled = await page.textContent('table.schedule tbody');
  check(scheduled.includes(machine.hostname) && scheduled.includes('2 h'), `the schedule shows ${scheduled.replace(/\s+/g, ' ')}`);
  log('the maintenance page shows the window and the machine DRAINING');
  await shot(page, 'maintenance');

  // The task ends by itself: the tasks page follows it to TASK_FINISHED without a reload.
  await page.evaluate(() => { location.hash = '#/tasks?state=all'; });
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'TASK_FINISHED', stateOf, { timeout: 40000 });
  check(await page.evaluate(() => window.__loadedOnce === true), 'the page was never reloaded');
  log('the tasks page followed the task to TASK_FINISHED without a reload');
  await execute.exited;

  // A phone-sized screen: no sideways scrolling, the menu folds, tables stack.
  const phone = await browser.newPage();
  phone.on('pageerror', (e) => problems.push(`phone page error: ${e.message}`));
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${base}/#/`);
  await phone.waitForFunction(() => document.querySelector('#card-agents .value')?.textContent === '1');
  const layout = await phone.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    menu: getComputedStyle(document.getElementById('menu-button')).display,
    nav: getComputedStyle(document.getElementById('nav')).display,
  }));
  check(layout.scroll <= 390, `the phone layout scrolls sideways (${layout.scroll}px wide)`);
  check(layout.menu !== 'none' && layout.nav === 'none', `phone navigation: menu ${layout.menu}, nav ${layout.nav}`);
  await shot(phone, 'phone-overview');
  await phone.click('#menu-button');
  await phone.click('#nav a[data-page="tasks"]');
  await phone.selectOption('#task-state', 'all');
  await phone.waitForSelector(stateOf);
  const phoneScroll = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(phoneScroll <= 390, `the phone tasks page scrolls sideways (${phoneScroll}px wide)`);
  await shot(phone, 'phone-tasks');
  // The new tables (quota bars, machines) stack on a phone too.
  for (const [hash, selector] of [['#/roles', 'table.roles .quota'], ['#/maintenance', 'table.machines .mode']]) {
    await phone.evaluate((h) => { location.hash = h; }, hash);
    await phone.waitForSelector(selector);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 390, `the phone ${hash} page scrolls sideways (${width}px wide)`);
  }

  check(problems.length === 0, `the browser reported problems:\n  ${problems.join('\n  ')}`);
  await phone.close();

  // The event stream survives a master restart: the UI notices, reconnects and reloads its
  // model from the new SUBSCRIBED snapshot, still without reloading the page.
  await page.evaluate(() => { location.hash = '#/'; });
  check(await page.evaluate(() => window.plateau.model.snapshots) === 1, 'one SUBSCRIBED so far');
  masterProcess.kill('SIGTERM');
  await masterProcess.exited;
  await page.waitForFunction(() => document.getElementById('live').textContent === 'reconnecting', null, { timeout: 10000 });
  masterProcess = start('master', masterArgv);
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: 20000 });
  await page.waitForFunction(() => window.plateau.model.snapshots === 2, null, { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector('#card-agents .value')?.textContent === '1', null, { timeout: 20000 });
  check(await page.evaluate(() => window.__loadedOnce === true), 'the page was never reloaded');
  log('the UI reconnected to the restarted master and shows its agent again');
  log('PASS');
}

await runTest(main, { limitMs: 120000, work, dumpLogs, cleanup });
