// The web UI against a master that authenticates its endpoints (docs/security.md), in real
// headless Chromium: the UI's first request gets 401, the login form appears instead of the
// browser's own prompt; a wrong secret shows the master's reason and the form again; the right
// one is kept in sessionStorage, the event stream connects and the pages fill; a reload stays
// signed in; "Sign out" forgets the credential.
//
// Exit codes: 0 passed, 1 failed, 77 skipped (no Chromium or no playwright-core; says why).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import harness from '../harness/processes.cjs';
import {
  binDir, shotDir, log, loadChromium, launchBrowser, collectProblems, closeAll,
  request, runTest,
} from './browser.mjs';

const { eventually, check, Processes } = harness;

const chromium = await loadChromium();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plateau-login.'));
const processes = new Processes(work, binDir);
let browser = null;

async function main() {
  fs.mkdirSync(shotDir, { recursive: true });
  const credentials = path.join(work, 'credentials');
  fs.writeFileSync(credentials, JSON.stringify({ credentials: [{ principal: 'ops', secret: 'ops-secret' }] }),
    { mode: 0o600 });
  processes.start('master', ['plateau-master', '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'master')}`, `--credentials=${credentials}`,
    '--authenticate_http_readonly', '--authenticate_http_readwrite']);
  const port = await processes.reportedPort('master', 'master_started');
  await eventually('the master', async () => (await request(port, '/health')).status === 200);
  check((await request(port, '/master/state')).status === 401, 'the state endpoint is protected');

  browser = await launchBrowser(chromium, work);
  const page = browser.pages()[0] || await browser.newPage();
  // The refused requests before signing in are expected console errors.
  const problems = collectProblems(page, (text) => text.includes('401'));
  await page.goto(`http://127.0.0.1:${port}/#/`);

  await page.waitForSelector('#login-form', { timeout: 15000 });
  log('the login form is shown');
  await page.screenshot({ path: path.join(shotDir, 'login.png') });
  await page.fill('#login-principal', 'ops');
  await page.fill('#login-secret', 'wrong');
  await page.click('#login-submit');
  await page.waitForSelector('#login-error', { timeout: 15000 });
  const why = await page.textContent('#login-error');
  check(/wrong principal or secret/i.test(why), `the form says why the secret was refused: ${why}`);

  await page.fill('#login-principal', 'ops');
  await page.fill('#login-secret', 'ops-secret');
  await page.click('#login-submit');
  await page.waitForSelector('#live.on', { timeout: 15000 });
  check(await page.$('#login-form') === null, 'the form is gone once signed in');
  const kept = await page.evaluate(() => sessionStorage.getItem('plateau.authorization'));
  check(kept === `Basic ${Buffer.from('ops:ops-secret').toString('base64')}`, `sessionStorage holds the credential: ${kept}`);
  log('signed in: the event stream is connected');

  // Pages reading other protected endpoints work too (/metrics/snapshot, /master/roles).
  await page.goto(`http://127.0.0.1:${port}/#/roles`);
  await page.waitForSelector('#live.on', { timeout: 15000 });
  check(await page.$('#login-form') === null, 'no form after a reload: the credential is kept for the tab');
  check(await page.isVisible('#signout'), 'the Sign out button shows while signed in');

  await page.click('#signout');
  await page.waitForSelector('#login-form', { timeout: 15000 });
  check(await page.evaluate(() => sessionStorage.getItem('plateau.authorization')) === null,
    'signing out forgets the credential');
  check(problems.length === 0, `page problems: ${problems.join('; ')}`);
}

await runTest(main, {
  limitMs: 120000,
  work,
  dumpLogs: () => processes.dumpLogs(['master']),
  cleanup: () => closeAll(browser, processes, work),
});
