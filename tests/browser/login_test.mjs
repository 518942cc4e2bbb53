// The web UI against a master that authenticates its endpoints (docs/security.md), in real
// headless Chromium: the UI's first request gets 401, the login form appears instead of the
// browser's own prompt; a wrong secret shows the master's reason and the form again; the right
// one is kept in sessionStorage, the event stream connects and the pages fill; a reload stays
// signed in; "Sign out" forgets the credential. Then an operator's bearer token (a JWT, HS256,
// signed here with the key of the master's --operator_jwt_secret_key) in the same form: an
// empty form is refused by the page, a forged and an expired token by the master (its reason
// shown), a valid one is kept as `Bearer <token>` and signs in. A master that takes tokens only
// (its 401 says `Bearer`) gets the token field focused first.
//
// Exit codes: 0 passed, 1 failed, 77 skipped (no Chromium or no playwright-core; says why).

import crypto from 'node:crypto';
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

// A compact JWT signed with HS256 under `key`.
function jwtHs256(claims, key) {
  const part = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${crypto.createHmac('sha256', key).update(body).digest('base64url')}`;
}

// Submits `token` in the open login form.
async function submitToken(page, token) {
  await page.waitForSelector('#login-token', { timeout: 15000 });
  await page.fill('#login-token', token);
  await page.click('#login-submit');
}

// Starts a master with `flags` (its name `name`); its port once it answers /health.
async function startMaster(name, flags) {
  processes.start(name, ['plateau-master', '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, name)}`, ...flags]);
  const port = await processes.reportedPort(name, 'master_started');
  await eventually(name, async () => (await request(port, '/health')).status === 200);
  return port;
}

async function main() {
  fs.mkdirSync(shotDir, { recursive: true });
  const credentials = path.join(work, 'credentials');
  fs.writeFileSync(credentials, JSON.stringify({ credentials: [{ principal: 'ops', secret: 'ops-secret' }] }),
    { mode: 0o600 });
  const key = path.join(work, 'operator.key');
  const secretKey = 'operator-token-key-for-the-login-test';
  fs.writeFileSync(key, secretKey, { mode: 0o600 });
  const port = await startMaster('master', [`--credentials=${credentials}`,
    `--operator_jwt_secret_key=${key}`, '--authenticate_http_readonly', '--authenticate_http_readwrite']);
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

  // Signed out again: the same form takes a bearer token instead.
  await page.click('#login-submit');
  check(await page.isVisible('#login-missing'), 'an empty form asks for a principal and secret or a token');
  const now = Math.floor(Date.now() / 1000);
  await submitToken(page, jwtHs256({ sub: 'ops', exp: now + 3600 }, 'not-the-key'));
  await page.waitForSelector('#login-error', { timeout: 15000 });
  let reason = await page.textContent('#login-error');
  check(/signature is invalid/i.test(reason), `a forged token is refused with the master's reason: ${reason}`);
  await submitToken(page, jwtHs256({ sub: 'ops', exp: now - 60 }, secretKey));
  await page.waitForFunction(() => /expired/i.test(document.getElementById('login-error')?.textContent || ''), null, { timeout: 15000 });
  const token = jwtHs256({ sub: 'ops', exp: now + 3600 }, secretKey);
  await submitToken(page, `Bearer ${token}`);
  await page.waitForSelector('#live.on', { timeout: 15000 });
  check(await page.evaluate(() => sessionStorage.getItem('plateau.authorization')) === `Bearer ${token}`,
    'sessionStorage holds the bearer token');
  await page.reload();
  await page.waitForSelector('#live.on', { timeout: 15000 });
  check(await page.$('#login-form') === null, 'still signed in with the token after a reload');
  log('signed in with a bearer token');

  // A master that takes tokens only answers `WWW-Authenticate: Bearer`: the form asks for one.
  const tokenOnly = await startMaster('token-master', [`--operator_jwt_secret_key=${key}`,
    '--authenticate_http_readonly', '--authenticate_http_readwrite']);
  const challenge = (await request(tokenOnly, '/master/state')).headers['www-authenticate'];
  check(/^Bearer /.test(challenge), `the token-only master's challenge: ${challenge}`);
  const second = await browser.newPage();
  const secondProblems = collectProblems(second, (text) => text.includes('401'));
  await second.goto(`http://127.0.0.1:${tokenOnly}/#/`);
  await second.waitForSelector('#login-form', { timeout: 15000 });
  check(await second.evaluate(() => document.activeElement?.id) === 'login-token', 'the token field has the focus');
  await second.screenshot({ path: path.join(shotDir, 'login-token.png') });
  await second.keyboard.type(token);
  await second.keyboard.press('Enter');
  await second.waitForSelector('#live.on', { timeout: 15000 });
  log('a token-only master: the token field first, and the token signs in');
  problems.push(...secondProblems);
  check(problems.length === 0, `page problems: ${problems.join('; ')}`);
}

await runTest(main, {
  limitMs: 120000,
  work,
  dumpLogs: () => processes.dumpLogs(['master', 'token-master']),
  cleanup: () => closeAll(browser, processes, work),
});
