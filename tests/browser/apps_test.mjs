// The web UI's Apps pages in real headless Chromium: a real master, agent and plateau-apps on
// loopback; the UI finds plateau-apps through its framework's webui_url, lists apps with their
// counts and deployments, scales and restarts from its buttons, shows Marathon's error for a
// refused change, and an app's tasks and versions. Screenshots go where webui_test.mjs's go.
//
// Exit codes: 0 passed, 1 failed, 77 skipped (no Chromium or no playwright-core; says why).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import harness from '../harness/processes.cjs';
import {
  binDir, shotDir, log, loadChromium, launchBrowser, collectProblems, request as httpRequest,
  runTest, closeAll,
} from './browser.mjs';

const { eventually, check, freePort, Processes } = harness;

const chromium = await loadChromium();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plateau-browser-apps.'));
const processes = new Processes(work, binDir);
const start = (name, argv) => processes.start(name, argv);
let browser = null;

function request(port, urlPath, method = 'GET', body = undefined) {
  const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
  return httpRequest(port, urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function main() {
  fs.mkdirSync(shotDir, { recursive: true });
  start('master', ['plateau-master', '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'master')}`, '--allocation_interval=100ms']);
  const masterPort = await processes.reportedPort('master', 'master_started');
  const master = `127.0.0.1:${masterPort}`;
  start('agent', ['plateau-agent', `--master=${master}`, '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'agent')}`, '--resources=cpus:4;mem:4096;disk:8192;ports:[31000-31999]']);
  await processes.reportedPort('agent', 'agent_started');
  // plateau-apps registers its address as the framework's webui_url: the UI finds it there.
  const appsPort = await freePort();
  start('apps', ['plateau-apps', `--master=${master}`, '--http_address=127.0.0.1',
    `--http_port=${appsPort}`, `--webui_url=http://127.0.0.1:${appsPort}`,
    `--access_control_allow_origin=http://${master}`,
    `--work_dir=${path.join(work, 'apps')}`]);
  await processes.reportedPort('apps', 'apps_started');
  await eventually('plateau-apps subscribed', async () =>
    JSON.parse((await request(appsPort, '/v2/info')).body).frameworkId);
  log(`master on ${master}, plateau-apps on 127.0.0.1:${appsPort}`);

  const web = await request(appsPort, '/v2/apps', 'POST',
    { id: '/shop/web', cmd: 'sleep 3600', cpus: 0.1, mem: 32, instances: 2 });
  check(web.status === 201, `POST /v2/apps answered ${web.status}: ${web.body}`);

  browser = await launchBrowser(chromium, work);
  const page = browser.pages()[0] || await browser.newPage();
  // Chromium logs the refused scale below (409) as a failed resource: expected, nothing else.
  const problems = collectProblems(page, (text) => text.includes('409'));
  const shot = async (name) => {
    await page.screenshot({ path: path.join(shotDir, `${name}.png`) });
    log(`screenshot ${name}.png`);
  };
  const cell = (id, cls) => page.evaluate(([i, c]) =>
    document.querySelector(`table.apps tr[data-app="${i}"] .${c}`)?.textContent.trim(), [id, cls]);

  await page.goto(`http://${master}/#/apps`);
  await page.waitForFunction(() => document.querySelector('#nav a.active')?.dataset.page === 'apps');
  await eventually('the app listed with 2 of 2 running', async () => (await cell('/shop/web', 'running')) === '2 / 2', 30000);
  check((await cell('/shop/web', 'app-status')) === 'Running', 'the app is Running');
  check((await cell('/shop/web', 'healthy')) === '0 / 0', 'no health checks: 0 / 0 healthy');
  const source = await page.textContent('#apps-source');
  check(source.includes(`127.0.0.1:${appsPort}`), `found plateau-apps through webui_url: ${source}`);
  log('the apps page lists /shop/web with 2 / 2 running');

  // Scale from the page.
  await page.fill('tr[data-app="/shop/web"] .scale-input', '3');
  await page.click('tr[data-app="/shop/web"] button.scale');
  await page.waitForFunction(() => /Scaling \/shop\/web to 3 \(deployment [0-9a-f-]+\)/.test(document.getElementById('apps-note').textContent));
  await eventually('3 of 3 running after Scale', async () => (await cell('/shop/web', 'running')) === '3 / 3', 30000);
  const scaled = JSON.parse((await request(appsPort, '/v2/apps/shop/web')).body).app;
  check(scaled.instances === 3, `the service has 3 instances: ${scaled.instances}`);
  log('Scale took /shop/web to 3 instances');

  // An app that cannot fit twice on the agent: its deployment stays in progress, and a change
  // to it is refused (409) with Marathon's message shown on the page.
  const big = await request(appsPort, '/v2/apps', 'POST',
    { id: '/big', cmd: 'sleep 3600', cpus: 3, mem: 32, instances: 2 });
  check(big.status === 201, `POST /big answered ${big.status}`);
  await page.waitForFunction(() => [...document.querySelectorAll('table.deployments tr[data-deployment]')]
    .some((r) => r.textContent.includes('/big')), null, { timeout: 20000 });
  await eventually('/big deploying', async () => (await cell('/big', 'app-status')) === 'Deploying');
  await shot('apps');
  await page.click('tr[data-app="/big"] button.restart');
  await page.waitForFunction(() => {
    const note = document.getElementById('apps-note');
    return note.classList.contains('error') && /\/big: HTTP 409: .*deployment/.test(note.textContent);
  }, null, { timeout: 10000 });
  log('a refused restart shows the 409 with the deployment holding the app');

  // Restart /shop/web from the page: every task is replaced.
  const before = JSON.parse((await request(appsPort, '/v2/apps/shop/web/tasks')).body).tasks.map((t) => t.id);
  await page.click('tr[data-app="/shop/web"] button.restart');
  await page.waitForFunction(() => /Restarting \/shop\/web \(deployment/.test(document.getElementById('apps-note').textContent));
  await eventually('every task replaced after Restart', async () => {
    const tasks = JSON.parse((await request(appsPort, '/v2/apps/shop/web/tasks')).body).tasks;
    return tasks.length === 3 && tasks.every((t) => t.state === 'TASK_RUNNING' && !before.includes(t.id));
  }, 60000);
  log('Restart replaced every task of /shop/web');

  // The app's page: its tasks (with sandbox links into the master's UI) and versions.
  await page.click('table.apps a[href="#/apps/%2Fshop%2Fweb"]');
  await page.waitForFunction(() => document.querySelectorAll('table.app-tasks tr[data-task]').length === 3 &&
    [...document.querySelectorAll('table.app-tasks .task-state')].every((c) => c.textContent === 'TASK_RUNNING'),
  null, { timeout: 30000 });
  const versions = await page.$$eval('ul.versions li', (items) => items.length);
  check(versions >= 2, `the app page lists its versions: ${versions}`);
  const facts = await page.textContent('#app-info');
  check(facts.includes('sleep 3600') && facts.includes('3 running of 3'), `app facts: ${facts}`);
  await page.waitForSelector('table.app-tasks a.sandbox-link');
  await shot('app');
  await page.click('table.app-tasks a.sandbox-link');
  await page.waitForFunction(() => location.hash.startsWith('#/sandbox/'));
  log('the app page shows 3 running tasks, its versions and sandbox links');

  check(problems.length === 0, `no errors in the page: ${problems.join('; ')}`);
  log('PASS');
}

await runTest(main, {
  limitMs: 150000,
  work,
  dumpLogs: () => processes.dumpLogs(['master', 'agent', 'apps']),
  cleanup: () => closeAll(browser, processes, work),
});
