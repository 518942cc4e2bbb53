// Not a test: a probe of render times with 10,000 agents and 100,000 tasks injected into the
// UI's model (prints milliseconds per page render and for 1,000 TASK_UPDATED events).
// Run from tests/browser after a build: node scale_probe.mjs
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
const dir = fs.mkdtempSync('/tmp/pws-');
const port = 20000 + Math.floor(Math.random()*20000);
const m = spawn(new URL('../../build/bin/plateau-master', import.meta.url).pathname, ['--ip=127.0.0.1', `--port=${port}`, `--work_dir=${dir}/m`, '--registry=in_memory'], {stdio:'ignore'});
for (let i = 0; i < 100; i++) { try { if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break; } catch {} await new Promise(r => setTimeout(r, 100)); }
const b = await chromium.launchPersistentContext(dir + '/u', { executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
const p = b.pages()[0];
await p.goto(`http://127.0.0.1:${port}/#/tasks?state=all`);
await p.waitForFunction(() => window.plateau?.model.snapshots === 1);
const r = await p.evaluate(async () => {
  const N = 100000, A = 10000;
  const agents = Array.from({length: A}, (_, i) => ({ agent_info: { id: { value: 'a' + i }, hostname: 'h' + i, port: 5051 }, active: true }));
  const tasks = Array.from({length: N}, (_, i) => ({ task_id: { value: 't' + i }, framework_id: { value: 'f' + (i % 50) }, agent_id: { value: 'a' + (i % A) }, name: 'task-' + i,
    state: i % 3 ? 'TASK_RUNNING' : 'TASK_FINISHED', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }], statuses: [{ state: 'TASK_RUNNING', timestamp: 1e9 + i }] }));
  const m = window.plateau.model;
  let t0 = performance.now();
  m.apply({ type: 'SUBSCRIBED', subscribed: { get_state: { get_agents: { agents }, get_tasks: { tasks } } } });
  await new Promise(r => setTimeout(r, 3000));
  const out = {};
  // time one render of each page
  for (const h of ['#/tasks?state=all', '#/tasks?q=task-9999', '#/', '#/agents', '#/frameworks']) {
    location.hash = h; await new Promise(r => setTimeout(r, 300));
    t0 = performance.now(); window.dispatchEvent(new HashChangeEvent('hashchange')); out[h] = Math.round(performance.now() - t0);
  }
  t0 = performance.now();
  for (let i = 0; i < 1000; i++) m.apply({ type: 'TASK_UPDATED', task_updated: { framework_id: { value: 'f' + (i%50) }, state: 'TASK_FINISHED', status: { task_id: { value: 't' + i }, state: 'TASK_FINISHED' } } });
  out.apply1000 = Math.round(performance.now() - t0);
  return out;
});
console.log(JSON.stringify(r));
await b.close(); m.kill(); fs.rmSync(dir, {recursive:true, force:true});
