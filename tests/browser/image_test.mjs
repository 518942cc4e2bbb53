// A task's container image in the web UI, in real headless Chromium: the test builds an image
// from Debian's busybox-static in `docker save` layout (what an agent's --docker_registry
// folder holds), a real master and an agent that runs tasks in images
// (--isolation=filesystem/linux,docker/runtime), and `plateau execute --docker_image` launches
// a task in it beside a bare task. The master's /master/state carries the image in the task's
// `container` as Mesos serves it; the tasks page shows an Image column (the image's name and
// `DOCKER image`, `—` for the bare task) and finds the task by its image; the task's page
// (its sandbox) lists the image, and its stdout shows the image's /etc/os-release, not the
// host's.
//
// Exit codes: 0 passed, 1 failed, 77 skipped (not root, no busybox-static, no Chromium or no
// playwright-core; says why).

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import harness from '../harness/processes.cjs';
import {
  binDir, shotDir, log, loadChromium, launchBrowser, collectProblems, closeAll, request, runTest,
} from './browser.mjs';

const { eventually, check, Processes } = harness;

if (process.getuid() !== 0 || !fs.existsSync('/bin/busybox')) {
  console.log('SKIP: tasks in container images need root and Debian\'s busybox-static (/bin/busybox)');
  process.exit(77);
}
const chromium = await loadChromium();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plateau-image.'));
const processes = new Processes(work, binDir);
let browser = null;

const IMAGE = 'webui-busybox:latest';
const OS_RELEASE = 'PRETTY_NAME="Plateau web UI test image"\nID=plateau-webui-test\n';

// Writes `<registry>/<IMAGE>.tar`: one layer (busybox, a few applets, /etc/os-release) with its
// `json` and the `repositories` file, the parts of `docker save` that Mesos reads.
function buildImage(registry) {
  const root = path.join(work, 'image-build');
  const layer = path.join(root, 'layer');
  fs.mkdirSync(path.join(layer, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(layer, 'etc'));
  fs.mkdirSync(path.join(layer, 'tmp'));
  fs.copyFileSync('/bin/busybox', path.join(layer, 'bin/busybox'));
  fs.chmodSync(path.join(layer, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'cat', 'echo', 'sleep']) fs.symlinkSync('busybox', path.join(layer, 'bin', applet));
  fs.writeFileSync(path.join(layer, 'etc/os-release'), OS_RELEASE);
  const id = crypto.createHash('sha256').update(IMAGE).digest('hex');
  const outer = path.join(root, 'outer');
  fs.mkdirSync(path.join(outer, id), { recursive: true });
  execFileSync('tar', ['-C', layer, '-cf', path.join(outer, id, 'layer.tar'), 'bin', 'etc', 'tmp']);
  fs.writeFileSync(path.join(outer, id, 'VERSION'), '1.0');
  fs.writeFileSync(path.join(outer, id, 'json'), JSON.stringify({ id, config: { Env: ['PATH=/bin'] } }));
  const [name, tag] = IMAGE.split(':');
  fs.writeFileSync(path.join(outer, 'repositories'), JSON.stringify({ [name]: { [tag]: id } }));
  fs.mkdirSync(registry, { recursive: true });
  execFileSync('tar', ['-C', outer, '-cf', path.join(registry, `${IMAGE}.tar`), 'repositories', id]);
}

// Runs `plateau execute` to completion; throws with its output unless it exits 0.
async function execute(name, extra) {
  const child = processes.start(name, ['plateau', 'execute', ...extra]);
  const code = await child.exited;
  check(code === 0, `plateau execute ${extra.join(' ')} exited ${code}: ${processes.log(name)}`);
}

// Unmounts whatever is still mounted under `work` (an agent stopped mid-task leaves rootfs
// mounts), so that removing the folder removes nothing else.
function unmountUnder(dir) {
  const points = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4]).filter((p) => p && p.startsWith(`${dir}/`)).reverse();
  for (const point of points) {
    try { execFileSync('umount', ['-l', point], { stdio: 'ignore' }); } catch { /* already gone */ }
  }
}

// The tasks of /master/state (active and completed), by id.
async function masterStateTasks(port) {
  const state = JSON.parse((await request(port, '/master/state')).body);
  const tasks = new Map();
  for (const f of [...state.frameworks, ...(state.completed_frameworks || [])]) {
    for (const t of [...f.tasks, ...(f.completed_tasks || [])]) tasks.set(t.id, t);
  }
  return tasks;
}

async function main() {
  fs.mkdirSync(shotDir, { recursive: true });
  const registry = path.join(work, 'registry');
  buildImage(registry);
  processes.start('master', ['plateau-master', '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'master')}`, '--allocation_interval=100ms']);
  const masterPort = await processes.reportedPort('master', 'master_started');
  const master = `127.0.0.1:${masterPort}`;
  processes.start('agent', ['plateau-agent', `--master=${master}`, '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'agent')}`, '--resources=cpus:2;mem:1024;disk:1024',
    '--image_providers=docker', `--docker_registry=${registry}`,
    `--docker_store_dir=${path.join(work, 'store')}`, '--isolation=filesystem/linux,docker/runtime']);
  const agentPort = await processes.reportedPort('agent', 'agent_started');
  await eventually('the agent', async () => (await request(agentPort, '/health')).status === 200);
  log(`master on ${master}, agent on 127.0.0.1:${agentPort}, image ${IMAGE} in ${registry}`);

  browser = await launchBrowser(chromium, work);
  const page = browser.pages()[0] || await browser.newPage();
  const problems = collectProblems(page);
  await page.goto(`http://${master}/#/tasks?state=all`);
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: 20000 });

  await execute('bare', [`--master=${master}`, '--name=bare-task', '--command=echo on the host']);
  await execute('imaged', [`--master=${master}`, '--name=image-task', `--docker_image=${IMAGE}`,
    '--command=cat /etc/os-release']);
  log('both tasks finished');

  // What the UI reads is what Mesos serves: the task's ContainerInfo, image and all.
  const served = await masterStateTasks(masterPort);
  const container = served.get('image-task')?.container;
  check(container?.type === 'MESOS' && container.mesos?.image?.type === 'DOCKER' &&
    container.mesos.image.docker?.name === IMAGE, `/master/state's container: ${JSON.stringify(container)}`);
  check(served.get('bare-task') && !served.get('bare-task').container, 'the bare task has no container');

  const row = (id) => `tr[data-task$="/${id}"]`;
  await page.waitForFunction((sel) => document.querySelector(`${sel} .task-state`)?.textContent === 'TASK_FINISHED',
    row('image-task'), { timeout: 20000 });
  const imageText = await page.textContent(`${row('image-task')} .task-image`);
  check(imageText.includes(IMAGE) && imageText.includes('DOCKER image'), `the image task's Image cell: ${imageText}`);
  const bareText = await page.textContent(`${row('bare-task')} .task-image`);
  check(bareText.trim() === '—', `the bare task's Image cell: ${bareText}`);
  const headers = await page.$$eval('table.tasks thead th', (ths) => ths.map((th) => th.textContent));
  check(headers.includes('Image'), `the tasks table has an Image column: ${headers.join(', ')}`);
  await page.screenshot({ path: path.join(shotDir, 'task-image.png') });

  await page.fill('#task-search', 'webui-busybox');
  await page.waitForFunction(() => document.getElementById('count').textContent.startsWith('1 of'));
  check(await page.$(row('bare-task')) === null && await page.$(row('image-task')) !== null,
    'searching for the image finds the image task alone');
  log('tasks page: Image column, search by image');

  await page.click(`${row('image-task')} .sandbox-link`);
  await page.waitForSelector('#task-info dl');
  const facts = await page.textContent('#task-info');
  check(facts.includes('Image') && facts.includes(IMAGE) && facts.includes('DOCKER image'), `the task's facts: ${facts}`);
  await page.waitForFunction((text) => document.getElementById('log').textContent.includes(text),
    'Plateau web UI test image', { timeout: 20000 });
  check(!(await page.textContent('#log')).includes('Debian'), 'stdout shows the image\'s os-release, not the host\'s');
  await page.screenshot({ path: path.join(shotDir, 'task-image-sandbox.png') });
  log('the task\'s page lists its image; its stdout is the image\'s /etc/os-release');
  check(problems.length === 0, `page problems: ${problems.join('; ')}`);
}

await runTest(main, {
  limitMs: 120000,
  work,
  dumpLogs: () => processes.dumpLogs(['master', 'agent', 'bare', 'imaged']),
  cleanup: async () => {
    await closeAll(browser, processes, work);
    unmountUnder(work);
  },
});
