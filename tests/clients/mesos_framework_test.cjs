// Plateau driven by mesos-framework (npm), a Mesos scheduler and executor library written by
// others for Mesos's v1 HTTP APIs, run unchanged: a real plateau-master and plateau-agent on free
// loopback ports; the library's Scheduler runs a command task through its own offer handling,
// then a task on a custom executor written with the library's Executor (js_executor.cjs), and
// tears the framework down. Exit 77 (skipped) when `npm ci` has not installed the package.
'use strict';

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const { check, eventually, Processes } = require('../harness/processes.cjs');

const binDir = process.env.PLATEAU_BIN_DIR;
if (!binDir) {
  console.error('PLATEAU_BIN_DIR is not set');
  process.exit(2);
}
let library;
try {
  library = require('mesos-framework');
} catch (e) {
  console.log(`SKIP: mesos-framework is not installed (npm ci in tests/clients): ${e.message}`);
  process.exit(77);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plateau-js-client.'));
const processes = new Processes(work, binDir);
const start = (name, argv) => processes.start(name, argv);

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timed out: ${urlPath}`)));
  });
}

async function main() {
  start('master', ['plateau-master', '--ip=127.0.0.1', '--port=0',
    `--work_dir=${path.join(work, 'master')}`]);
  const masterPort = await processes.reportedPort('master', 'master_started');
  start('agent', ['plateau-agent', `--master=127.0.0.1:${masterPort}`, '--ip=127.0.0.1',
    '--port=0', `--work_dir=${path.join(work, 'agent')}`, '--switch_user=false',
    '--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31010]']);
  await eventually('the agent to register', async () =>
    JSON.parse((await get(masterPort, '/master/slaves')).body).slaves.length === 1);

  // The library writes its own log files under ./logs.
  process.chdir(work);
  fs.mkdirSync(path.join(work, 'logs'), { recursive: true });

  const { Scheduler } = library;
  const Mesos = library.Mesos.getMesos();
  // The library's own event handlers; OFFERS is replaced (as its docs describe) by one that
  // hands offers to the default handler until the custom executor's task is wanted.
  const defaultHandlers = require('mesos-framework/lib/schedulerHandlers');
  const updates = [];
  let wantCustom = false;
  let customLaunched = false;
  let launchCustom = null;
  const scheduler = new Scheduler({
    masterUrl: '127.0.0.1',
    port: masterPort,
    frameworkName: 'js-framework',
    logging: { level: 'warn' },
    restartStates: [],
    tasks: {
      // Launched by the library's own offer handling (resources and a port from the offer, HOST in
      // the environment).
      shell: {
        priority: 1,
        instances: 1,
        commandInfo: new Mesos.CommandInfo(null, null, true,
          'echo "hello from mesos-framework on $HOST" > out.txt', null, null),
        resources: { cpus: 0.1, mem: 32, ports: 1, disk: 0 },
      },
    },
    handlers: {
      OFFERS(offers) {
        if (!wantCustom || customLaunched) {
          defaultHandlers.OFFERS.call(this, offers);
          return;
        }
        const [first, ...rest] = offers.offers;
        customLaunched = true;
        launchCustom(first);
        if (rest.length) this.decline(rest.map((o) => o.id), null);
      },
    },
  });
  check(typeof scheduler.customEventHandlers.OFFERS === 'function', 'the custom OFFERS handler is installed');
  scheduler.on('update', (update) => updates.push(update.status));
  scheduler.on('error', (error) => console.log(`scheduler error: ${error.message || JSON.stringify(error)}`));
  const subscribed = new Promise((resolve) => scheduler.on('subscribed', resolve));
  scheduler.on('ready', () => scheduler.subscribe());
  const { frameworkId } = await subscribed;
  console.log(`subscribed as ${frameworkId}`);

  const stateOf = (id) => {
    const seen = updates.filter((s) => s.task_id.value.startsWith(id));
    return seen.length ? seen[seen.length - 1].state : undefined;
  };
  await eventually('the command task to finish', () => stateOf('js-framework.shell-1') === 'TASK_FINISHED');
  const shellStates = updates.filter((s) => s.task_id.value.startsWith('js-framework.shell-1')).map((s) => s.state);
  // The built-in command executor's states in Mesos's order (TASK_STARTING since Mesos 1.5).
  check(shellStates.join(',') === 'TASK_STARTING,TASK_RUNNING,TASK_FINISHED', `the command task went ${shellStates}`);
  // Its sandbox has what the command wrote, with the HOST the library put in its environment.
  const out = await (async () => {
    let text = '';
    await eventually('out.txt in the sandbox', () => {
      const found = [];
      const walk = (dir) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, entry.name);
          if (entry.isDirectory() && entry.name !== 'latest') walk(p);
          else if (entry.name === 'out.txt') found.push(p);
        }
      };
      walk(path.join(work, 'agent'));
      if (found.length !== 1) return false;
      text = fs.readFileSync(found[0], 'utf8');
      return text.length > 0;
    });
    return text;
  })();
  check(out === 'hello from mesos-framework on 127.0.0.1\n', `out.txt says ${JSON.stringify(out)}`);

  // A task on a custom executor written with the library's Executor, launched with the
  // library's accept() from the custom OFFERS handler once revived offers come.
  const executorInfo = new Mesos.ExecutorInfo(new Mesos.ExecutorID('js-executor'), null,
    new Mesos.CommandInfo(null,
      new Mesos.Environment([new Mesos.Environment.Variable('NODE_PATH', path.join(__dirname, 'node_modules'))]),
      true, `"${process.execPath}" "${path.join(__dirname, 'js_executor.cjs')}"`, null, null));
  executorInfo.resources = [new Mesos.Resource('cpus', 'SCALAR', new Mesos.Value.Scalar(0.1)),
    new Mesos.Resource('mem', 'SCALAR', new Mesos.Value.Scalar(64))];
  launchCustom = (offer) => {
    const task = new Mesos.TaskInfo('custom', new Mesos.TaskID('custom-1'), offer.agent_id,
      [new Mesos.Resource('cpus', 'SCALAR', new Mesos.Value.Scalar(0.1)),
        new Mesos.Resource('mem', 'SCALAR', new Mesos.Value.Scalar(32))], executorInfo, null);
    scheduler.accept([offer.id], [new Mesos.Offer.Operation({ type: 'LAUNCH', launch: { task_infos: [task] } })], null);
  };
  wantCustom = true;
  scheduler.revive();
  await eventually('the custom executor task to finish', () => stateOf('custom-1') === 'TASK_FINISHED');
  const custom = updates.filter((s) => s.task_id.value === 'custom-1');
  check(custom.map((s) => s.state).join(',') === 'TASK_RUNNING,TASK_FINISHED', `custom-1 went ${custom.map((s) => s.state)}`);
  check(custom[1].message === 'finished by a mesos-framework executor', `the executor's message: ${custom[1].message}`);
  check(custom[1].source === 'SOURCE_EXECUTOR', `source ${custom[1].source}`);

  // The master saw every update acknowledged by the library.
  await eventually('both tasks completed in /master/tasks', async () => {
    const tasks = JSON.parse((await get(masterPort, '/master/tasks')).body).tasks;
    return tasks.length === 2 && tasks.every((t) => t.state === 'TASK_FINISHED');
  });

  // TEARDOWN through the library: the framework is gone from the master.
  scheduler.teardown();
  await eventually('the framework to be torn down', async () => {
    const state = JSON.parse((await get(masterPort, '/master/frameworks')).body);
    return state.frameworks.length === 0 &&
      state.completed_frameworks.some((f) => f.id === frameworkId);
  });
  console.log('mesos-framework scheduler and executor ran on Plateau unchanged');
}

main().then(async () => {
  await processes.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(0);
}, async (error) => {
  console.error(error.stack || error);
  processes.dumpLogs(['master', 'agent']);
  console.error(`cluster left for inspection in ${work}`);
  await processes.stopAll();
  process.exit(1);
});
