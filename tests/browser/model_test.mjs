// The web UI's pure parts under Node, without a browser: RecordIO framing across arbitrary
// chunk boundaries, the model that the operator API's events build, a task's container image
// as the pages read it, and the login form's Authorization value.

import assert from 'node:assert/strict';
import test from 'node:test';

import { Model } from '../../webui/static/model.js';
import { RecordIOReader } from '../../webui/static/recordio.js';
import { containerImage } from '../../webui/static/util.js';
import { authorizationFrom } from '../../webui/static/auth.js';

const encoder = new TextEncoder();
const record = (obj) => {
  const body = encoder.encode(JSON.stringify(obj));
  return [...encoder.encode(`${body.length}\n`), ...body];
};

test('RecordIO records come out whole however the bytes are split', () => {
  const events = [{ type: 'HEARTBEAT' }, { type: 'TASK_ADDED', note: 'héllo ✓ — multibyte' }, { type: 'X', n: 12345 }];
  const bytes = Uint8Array.from(events.flatMap(record));
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const reader = new RecordIOReader();
    const out = [];
    for (let i = 0; i < bytes.length; i += size) out.push(...reader.push(bytes.subarray(i, i + size)));
    assert.deepEqual(out.map((r) => JSON.parse(r)), events, `chunks of ${size} bytes`);
  }
});

test('a malformed RecordIO length is an error, not a silent skip', () => {
  const reader = new RecordIOReader();
  assert.throws(() => reader.push(encoder.encode('abc\n{}')), /malformed RecordIO length/);
});

const agent = (id) => ({ agent_info: { id: { value: id }, hostname: `host-${id}`, port: 5051 }, active: true, pid: `slave(1)@127.0.0.1:${id}` });
const framework = (id) => ({ framework_info: { id: { value: id }, name: `fw-${id}`, user: 'u' }, active: true, connected: true });
const task = (fw, id, state) => ({
  task_id: { value: id }, framework_id: { value: fw }, agent_id: { value: 'a1' }, name: id, state,
  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }], statuses: [],
});

test('the model follows SUBSCRIBED, then task, agent and framework events', async () => {
  const model = new Model();
  let renders = 0;
  model.onChange(() => renders++);
  model.apply({
    type: 'SUBSCRIBED',
    subscribed: {
      get_state: {
        get_agents: { agents: [agent('a1')] },
        get_frameworks: { frameworks: [framework('f1')] },
        get_tasks: { tasks: [task('f1', 't1', 'TASK_RUNNING')], completed_tasks: [task('f1', 't0', 'TASK_FINISHED')] },
      },
      heartbeat_interval_seconds: 15,
    },
  });
  assert.equal(model.agents.size, 1);
  assert.equal(model.tasks.size, 2);
  assert.equal(model.task('f1', 't1').state, 'TASK_RUNNING');

  model.apply({ type: 'TASK_ADDED', task_added: { task: task('f1', 't2', 'TASK_STAGING') } });
  model.apply({
    type: 'TASK_UPDATED',
    task_updated: { framework_id: { value: 'f1' }, state: 'TASK_FINISHED', status: { task_id: { value: 't1' }, state: 'TASK_FINISHED', timestamp: 5 } },
  });
  assert.equal(model.task('f1', 't1').state, 'TASK_FINISHED');
  assert.equal(model.task('f1', 't1').statuses.at(-1).timestamp, 5);
  assert.equal(model.task('f1', 't2').state, 'TASK_STAGING');

  // An update for a task the snapshot missed still shows up.
  model.apply({
    type: 'TASK_UPDATED',
    task_updated: { framework_id: { value: 'f1' }, state: 'TASK_RUNNING', status: { task_id: { value: 'late' }, agent_id: { value: 'a1' }, state: 'TASK_RUNNING' } },
  });
  assert.equal(model.task('f1', 'late').state, 'TASK_RUNNING');

  model.apply({ type: 'AGENT_ADDED', agent_added: { agent: agent('a2') } });
  model.apply({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: 'a1' } } });
  assert.deepEqual([...model.agents.keys()], ['a2']);

  model.apply({ type: 'FRAMEWORK_ADDED', framework_added: { framework: framework('f2') } });
  model.apply({ type: 'FRAMEWORK_UPDATED', framework_updated: { framework: { ...framework('f2'), active: false } } });
  assert.equal(model.framework('f2').active, false);
  model.apply({ type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: framework('f1').framework_info } });
  assert.equal(model.frameworks.has('f1'), false);
  assert.equal(model.completedFrameworks.get('f1').framework_info.name, 'fw-f1');
  model.apply({ type: 'HEARTBEAT' });

  // Views re-render once for the burst of events, not once per event.
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(renders, 1);

  // A new SUBSCRIBED (after a reconnect) replaces everything.
  model.apply({ type: 'SUBSCRIBED', subscribed: { get_state: { get_agents: { agents: [agent('a9')] } } } });
  assert.deepEqual([...model.agents.keys()], ['a9']);
  assert.equal(model.snapshots, 2);
  assert.equal(model.tasks.size, 0);
  assert.equal(model.frameworks.size, 0);
});

test('a task\'s container image comes from its ContainerInfo as Mesos serves it', () => {
  const withContainer = (id, container) => ({ ...task('f1', id, 'TASK_RUNNING'), container });
  const model = new Model();
  model.apply({
    type: 'SUBSCRIBED',
    subscribed: {
      get_state: {
        get_tasks: {
          tasks: [
            withContainer('mesos-docker', { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'busybox:latest' } } } }),
            withContainer('mesos-appc', { type: 'MESOS', mesos: { image: { type: 'APPC', appc: { name: 'example.com/app' } } } }),
            withContainer('docker', { type: 'DOCKER', docker: { image: 'nginx:1.25', network: 'HOST' } }),
            withContainer('volumes-only', { type: 'MESOS', volumes: [{ container_path: '/data', mode: 'RW' }] }),
            task('f1', 'bare', 'TASK_RUNNING'),
          ],
        },
      },
    },
  });
  const image = (id) => containerImage(model.task('f1', id).container);
  assert.deepEqual(image('mesos-docker'), { name: 'busybox:latest', type: 'DOCKER', label: 'DOCKER image' });
  assert.deepEqual(image('mesos-appc'), { name: 'example.com/app', type: 'APPC', label: 'APPC image' });
  assert.deepEqual(image('docker'), { name: 'nginx:1.25', type: 'DOCKER', label: 'DOCKER container' });
  assert.equal(image('volumes-only'), null);
  assert.equal(image('bare'), null);

  // A status update keeps what the task was launched with.
  model.apply({
    type: 'TASK_UPDATED',
    task_updated: { framework_id: { value: 'f1' }, state: 'TASK_FINISHED', status: { task_id: { value: 'mesos-docker' }, state: 'TASK_FINISHED' } },
  });
  assert.equal(model.task('f1', 'mesos-docker').state, 'TASK_FINISHED');
  assert.equal(image('mesos-docker').name, 'busybox:latest');
});

test('the login form\'s Authorization value: a bearer token, else principal and secret', () => {
  assert.equal(authorizationFrom({ token: '  aaa.bbb.ccc\n' }), 'Bearer aaa.bbb.ccc');
  assert.equal(authorizationFrom({ token: 'Bearer aaa.bbb.ccc' }), 'Bearer aaa.bbb.ccc');
  assert.equal(authorizationFrom({ principal: 'ops', secret: 'pw', token: 'aaa.bbb.ccc' }), 'Bearer aaa.bbb.ccc');
  assert.equal(authorizationFrom({ principal: 'ops', secret: 'pw' }), `Basic ${Buffer.from('ops:pw').toString('base64')}`);
  assert.equal(authorizationFrom({ principal: 'öps', secret: '✓' }), `Basic ${Buffer.from('öps:✓').toString('base64')}`);
  assert.equal(authorizationFrom({ principal: '', secret: 'pw', token: ' ' }), '');
});
