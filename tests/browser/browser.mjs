// What the web UI's browser tests (webui_test.mjs, apps_test.mjs, jobs_test.mjs) share: where
// the binaries and screenshots are, Chromium through playwright-core (or exit 77 when either is
// missing), an HTTP client for the daemons, the page's errors collected, and the run of a test
// under a watchdog with its clean-up.

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.PLATEAU_SOURCE_DIR || path.resolve(here, '../..');
export const binDir = process.env.PLATEAU_BIN_DIR || path.join(sourceDir, 'build/bin');
export const shotDir = process.env.PLATEAU_SCREENSHOT_DIR || process.env.PLATEAU_DEFAULT_SCREENSHOT_DIR ||
  path.join(os.tmpdir(), 'plateau-screenshots');
const chromiumPath = process.env.PLATEAU_CHROMIUM || '/usr/bin/chromium';
const SKIP = 77;
const started = Date.now();

// Prints `message` with the seconds since the test started.
export function log(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
}

// playwright-core's chromium; exits 77 (skipped, saying why) without Chromium or the module.
export async function loadChromium() {
  if (!fs.existsSync(chromiumPath)) {
    console.log(`SKIP: no Chromium at ${chromiumPath} (./dev installs Debian's 'chromium')`);
    process.exit(SKIP);
  }
  try {
    return (await import('playwright-core')).chromium;
  } catch (e) {
    console.log(`SKIP: playwright-core is not installed (run 'npm ci' in tests/browser, or ./dev build): ${e.message}`);
    process.exit(SKIP);
  }
}

// Headless Chromium with a fresh profile under `work`, a 1280 × 800 window.
export async function launchBrowser(chromium, work) {
  const userDataDir = fs.mkdtempSync(path.join(work, 'chromium-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// The page's uncaught errors and console errors, except those `expected(text)` accepts.
export function collectProblems(page, expected = () => false) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected(m.text())) {
      problems.push(`console error: ${m.text()} (${m.location().url})`);
    }
  });
  return problems;
}

// One HTTP exchange with 127.0.0.1:port: {status, headers, body} (the body as text).
export function request(port, urlPath, { method = 'GET', headers = {}, body = undefined } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timed out: ${urlPath}`)));
    req.end(body);
  });
}

// Runs `main` under a watchdog of `limitMs`; on failure prints why and `dumpLogs()`; then
// `cleanup()`, removes `work` and exits 0 (passed) or 1 (failed).
export async function runTest(main, { limitMs, work, dumpLogs, cleanup }) {
  let code = 0;
  const watchdog = setTimeout(() => {
    console.log(`FAIL: the test ran past ${limitMs / 1000} s`);
    dumpLogs();
    process.exit(1);
  }, limitMs);
  try {
    await main();
  } catch (e) {
    console.log(`FAIL: ${e.stack || e}`);
    dumpLogs();
    code = 1;
  }
  await cleanup();
  clearTimeout(watchdog);
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(code);
}

// Closes `browser` (when started), stops the daemons, then ends what they left in `work`.
export async function closeAll(browser, processes, work) {
  if (browser) await browser.close().catch(() => {});
  await processes.stopAll();
  killLeftovers(work);
}

// Ends the processes left running in `work` (tasks outlive their agent, as in Mesos).
function killLeftovers(work) {
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cwd = '';
    try { cwd = fs.readlinkSync(`/proc/${pid}/cwd`); } catch { continue; }
    if (cwd.startsWith(`${work}/`)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}
