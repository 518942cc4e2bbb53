// The web UI's Jobs pages in real headless Chromium: a real master, agent and plateau-jobs on
// loopback; the UI finds plateau-jobs through its framework's webui_url (plateau-jobs answers
// cross-origin calls), lists jobs added through Chronos's API with their schedule or parents,
// next run and the dependency graph, runs one from its button and shows the run's success in
// the job's history (and its dependent's run), disables and enables one, and deletes one after
// a confirmation. Screenshots go where webui_test.mjs's go.
//
// Exit codes: 0 passed, 1 failed, 77 skipped (no Chromium or no playwright-core; says why).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import harness from '../harness/processes.cjs';
import {
  binDir, shotDir, log, loadChromium, launchBrowser, collectProblems, request, runTest, closeAll,
} from './browser.mjs';

const { eventually, check, freePort, Processes } = harness;

const chromium = await loadChromium();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plateau-browser-jobs.'));
const processes = new Processes(work, binDir);
const start = (name, argv) => processes.start(name, argv);
let browser = null;

const postJob = (port, kind, job) => request(port, `/v1/scheduler/${kind}`,
  { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(job) });
const getJob = async (port, name) => {
  const r = await request(port, `/v1/scheduler/job/${name}`);
  return r.status === 200 ? JSON.parse(r.body) : null;
};

// A master, an agent and plateau-jobs (its address as webui_url); the master's address.
async function startCluster(jobsPort) {
  start('master', ['plateau-master', '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'master')}`, '--allocation_interval=100ms']);
  const master = `127.0.0.1:${await processes.reportedPort('master', 'master_started')}`;
  start('agent', ['plateau-agent', `--master=${master}`, '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'agent')}`, '--resources=cpus:4;mem:4096;disk:8192']);
  await processes.reportedPort('agent', 'agent_started');
  start('jobs', ['plateau-jobs', `--master=${master}`, '--http_address=127.0.0.1',
    `--http_port=${jobsPort}`, `--webui_url=http://127.0.0.1:${jobsPort}`, '--hostname=127.0.0.1',
    `--work_dir=${path.join(work, 'jobs')}`]);
  await processes.reportedPort('jobs', 'jobs_started');
  return master;
}

// The UI calls plateau-jobs from the master's origin: answers and preflights allow it.
async function checkCrossOrigin(jobsPort, master) {
  const origin = { Origin: `http://${master}` };
  const list = await request(jobsPort, '/v1/scheduler/jobs', { headers: origin });
  check(list.status === 200 && list.headers['access-control-allow-origin'] === '*',
    `GET /v1/scheduler/jobs allows other origins: ${list.status} ${list.headers['access-control-allow-origin']}`);
  const preflight = await request(jobsPort, '/v1/scheduler/job/x', {
    method: 'OPTIONS', headers: { ...origin, 'Access-Control-Request-Method': 'DELETE' } });
  check(preflight.status === 204 && /DELETE/.test(preflight.headers['access-control-allow-methods'] || ''),
    `the preflight of a DELETE: ${preflight.status} ${preflight.headers['access-control-allow-methods']}`);
}

async function main() {
  fs.mkdirSync(shotDir, { recursive: true });
  const jobsPort = await freePort();
  const master = await startCluster(jobsPort);
  await checkCrossOrigin(jobsPort, master);
  log(`master on ${master}, plateau-jobs on 127.0.0.1:${jobsPort}, CORS as expected`);

  // A daily job far in the future (it runs only when asked) and a job after it.
  const daily = await postJob(jobsPort, 'iso8601', { name: 'nightly-report', command: 'echo report',
    schedule: 'R/2030-01-01T02:00:00Z/P1D', epsilon: 'PT30M', cpus: 0.1, mem: 32, owner: 'ops@example.com' });
  check(daily.status === 204, `POST /iso8601 answered ${daily.status}: ${daily.body}`);
  const after = await postJob(jobsPort, 'dependency', { name: 'mail-report', command: 'echo mail',
    parents: ['nightly-report'], cpus: 0.1, mem: 32 });
  check(after.status === 204, `POST /dependency answered ${after.status}: ${after.body}`);

  browser = await launchBrowser(chromium, work);
  const page = browser.pages()[0] || await browser.newPage();
  const problems = collectProblems(page);
  const shot = async (name) => {
    await page.screenshot({ path: path.join(shotDir, `${name}.png`) });
    log(`screenshot ${name}.png`);
  };
  const cell = (name, cls) => page.evaluate(([n, c]) =>
    document.querySelector(`table.jobs tr[data-job="${n}"] .${c}`)?.textContent.trim(), [name, cls]);
  const button = (name, cls) => `table.jobs tr[data-job="${name}"] button.${cls}`;

  await page.goto(`http://${master}/#/jobs`);
  await page.waitForFunction(() => document.querySelector('#nav a.active')?.dataset.page === 'jobs');
  await eventually('the jobs listed', async () => (await cell('nightly-report', 'job-state')) === 'idle', 30000);
  const source = await page.textContent('#jobs-source');
  check(source.includes(`127.0.0.1:${jobsPort}`), `found plateau-jobs through webui_url: ${source}`);
  const schedule = await cell('nightly-report', 'schedule');
  check(/^R\/2030-01-01T02:00:00(\.000)?Z\/P1D$/.test(schedule), `the schedule shown: ${schedule}`);
  check((await cell('mail-report', 'schedule')) === 'after nightly-report', 'the dependent job shows its parent');
  const next = await cell('nightly-report', 'next-run');
  check(/^2030-01-01T02:00:00Z \(in \d+d\)$/.test(next), `the next run shown: ${next}`);
  check(await page.$('ul.job-tree li[data-node="nightly-report"] > ul > li[data-node="mail-report"]') !== null,
    'the dependency graph shows mail-report under nightly-report');
  check((await cell('nightly-report', 'successes')) === '0' && (await cell('nightly-report', 'last-success')) === '—',
    'no run yet');
  log('the jobs page lists nightly-report with its schedule and mail-report after it');

  // Run now: a manual run succeeds, and its dependent runs after it.
  await page.click(button('nightly-report', 'run'));
  await page.waitForFunction(() => document.getElementById('jobs-note').textContent === 'Started a run of nightly-report');
  await eventually('nightly-report succeeded once', async () => (await cell('nightly-report', 'successes')) === '1', 60000);
  check((await cell('nightly-report', 'last-success')).endsWith('ago'), 'its last success is shown');
  await eventually('mail-report ran after it', async () => (await cell('mail-report', 'successes')) === '1', 60000);
  log('Run started nightly-report; it and mail-report succeeded');

  // The job's page: its facts and its run history with the manual run finished.
  await page.click('table.jobs a[href="#/jobs/nightly-report"]');
  await page.waitForFunction(() => [...document.querySelectorAll('table.runs tr[data-run]')].some((r) =>
    r.querySelector('.run-state').textContent === 'FINISHED' && r.querySelector('.trigger').textContent === 'manual'),
  null, { timeout: 20000 });
  const facts = await page.textContent('#job-info');
  check(facts.includes('echo report') && facts.includes('1 succeeded, 0 failed') && facts.includes('ops@example.com'),
    `job facts: ${facts}`);
  await page.waitForSelector('table.runs a.sandbox-link');
  await shot('job');
  log('the job page shows the finished manual run');

  // Disable, then enable again.
  await page.evaluate(() => { location.hash = '#/jobs'; });
  await page.waitForSelector(button('nightly-report', 'toggle'));
  await page.click(button('nightly-report', 'toggle'));
  await eventually('nightly-report shown disabled', async () => (await cell('nightly-report', 'job-state')) === 'disabled');
  check((await page.textContent(button('nightly-report', 'toggle'))) === 'Enable', 'the button now enables');
  check((await getJob(jobsPort, 'nightly-report')).disabled === true, 'plateau-jobs has it disabled');
  check((await getJob(jobsPort, 'nightly-report')).successCount === 1, 'disabling kept its counts');
  await shot('jobs');
  await page.click(button('nightly-report', 'toggle'));
  await eventually('nightly-report enabled', async () => (await cell('nightly-report', 'job-state')) === 'idle');
  check((await getJob(jobsPort, 'nightly-report')).disabled === false, 'plateau-jobs has it enabled');
  log('Disable and Enable took effect');

  // Delete asks first: cancelled keeps the job, confirmed removes it.
  page.once('dialog', (d) => d.dismiss());
  await page.click(button('mail-report', 'delete'));
  check((await getJob(jobsPort, 'mail-report')) !== null, 'a cancelled delete keeps the job');
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await page.click(button('mail-report', 'delete'));
  await page.waitForFunction(() => document.getElementById('jobs-note').textContent === 'Deleted mail-report');
  check(asked.includes('mail-report'), `the confirmation names the job: ${asked}`);
  await eventually('mail-report gone from the list', async () => (await cell('mail-report', 'schedule')) === undefined);
  check((await getJob(jobsPort, 'mail-report')) === null, 'plateau-jobs no longer has mail-report');
  check((await cell('nightly-report', 'job-state')) === 'idle', 'nightly-report is still listed');
  log('Delete removed mail-report after its confirmation');

  // On a phone-sized screen the jobs table stacks into cards: no sideways scrolling.
  const phone = await browser.newPage();
  phone.on('pageerror', (e) => problems.push(`phone page error: ${e.message}`));
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`http://${master}/#/jobs`);
  await phone.waitForSelector('table.jobs tr[data-job="nightly-report"]', { timeout: 20000 });
  const scroll = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(scroll <= 390, `the jobs page on a phone scrolls sideways (${scroll}px wide)`);
  await phone.close();
  log('the jobs page fits a phone');

  check(problems.length === 0, `no errors in the page: ${problems.join('; ')}`);
  log('PASS');
}

await runTest(main, {
  limitMs: 150000,
  work,
  dumpLogs: () => processes.dumpLogs(['master', 'agent', 'jobs']),
  cleanup: () => closeAll(browser, processes, work),
});
