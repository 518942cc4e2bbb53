// The cluster as the UI knows it: built from the operator API's SUBSCRIBE stream (a snapshot,
// then TASK_ADDED, TASK_UPDATED, AGENT_ADDED, ... events) and kept current without reloads.
// Views register with onChange() and re-render at most once per animation frame.

import { authFetch } from './auth.js';
import { RecordIOReader } from './recordio.js';

const key = (frameworkId, taskId) => `${frameworkId}/${taskId}`;

export class Model {
  constructor() {
    this.agents = new Map();      // agent id -> v1 master.Response.GetAgents.Agent
    this.frameworks = new Map();  // framework id -> v1 master.Response.GetFrameworks.Framework
    this.completedFrameworks = new Map();
    this.tasks = new Map();       // "<framework id>/<task id>" -> v1 Task
    this.connected = false;
    this.lastEvent = 0;           // ms, when the stream last said anything
    this.error = '';
    this.snapshots = 0;           // SUBSCRIBED events seen (1 + reconnects)
    this.listeners = new Set();
    this.scheduled = false;
  }

  onChange(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }

  changed() {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      const began = Date.now();
      for (const fn of [...this.listeners]) fn();
      // A big cluster makes a render slow: leave the browser at least 3x that time in between.
      this.gap = 3 * (Date.now() - began);
      this.lastRender = Date.now();
    };
    const browser = typeof document !== 'undefined';
    const wait = Math.max(0, (this.lastRender || 0) + (this.gap || 0) - Date.now());
    // requestAnimationFrame stalls in background tabs; a timer keeps the model's views honest.
    if (browser && document.visibilityState === 'visible') {
      setTimeout(() => requestAnimationFrame(run), wait);
    } else {
      setTimeout(run, browser ? Math.max(wait, 250) : wait);
    }
  }

  reset(state) {
    this.agents.clear();
    this.frameworks.clear();
    this.completedFrameworks.clear();
    this.tasks.clear();
    for (const a of state.get_agents?.agents || []) this.agents.set(a.agent_info.id.value, a);
    for (const f of state.get_frameworks?.frameworks || []) {
      this.frameworks.set(f.framework_info.id.value, f);
    }
    for (const f of state.get_frameworks?.completed_frameworks || []) {
      this.completedFrameworks.set(f.framework_info.id.value, f);
    }
    const tasks = state.get_tasks || {};
    for (const list of ['completed_tasks', 'unreachable_tasks', 'orphan_tasks', 'pending_tasks', 'tasks']) {
      for (const t of tasks[list] || []) this.tasks.set(key(t.framework_id.value, t.task_id.value), t);
    }
  }

  apply(event) {
    this.lastEvent = Date.now();
    switch (event.type) {
      case 'SUBSCRIBED':
        this.reset(event.subscribed.get_state || {});
        this.snapshots++;
        break;
      case 'TASK_ADDED': {
        const t = event.task_added.task;
        this.tasks.set(key(t.framework_id.value, t.task_id.value), t);
        break;
      }
      case 'TASK_UPDATED': {
        const u = event.task_updated;
        const k = key(u.framework_id.value, u.status.task_id.value);
        const t = this.tasks.get(k) || {
          task_id: u.status.task_id, framework_id: u.framework_id, agent_id: u.status.agent_id,
          name: u.status.task_id.value, resources: [], statuses: [],
        };
        t.state = u.state;
        t.statuses = [...(t.statuses || []), u.status];
        this.tasks.set(k, t);
        break;
      }
      case 'AGENT_ADDED': {
        const a = event.agent_added.agent;
        this.agents.set(a.agent_info.id.value, a);
        break;
      }
      case 'AGENT_REMOVED':
        this.agents.delete(event.agent_removed.agent_id.value);
        break;
      case 'FRAMEWORK_ADDED':
      case 'FRAMEWORK_UPDATED': {
        const f = (event.framework_added || event.framework_updated).framework;
        this.frameworks.set(f.framework_info.id.value, f);
        break;
      }
      case 'FRAMEWORK_REMOVED': {
        const info = event.framework_removed.framework_info;
        const f = this.frameworks.get(info.id.value) || { framework_info: info };
        this.frameworks.delete(info.id.value);
        this.completedFrameworks.set(info.id.value, { ...f, active: false, connected: false });
        break;
      }
      case 'HEARTBEAT':
      default:
        break;
    }
    this.changed();
  }

  task(frameworkId, taskId) { return this.tasks.get(key(frameworkId, taskId)); }

  framework(id) { return this.frameworks.get(id) || this.completedFrameworks.get(id); }

  // Opens SUBSCRIBE and keeps it open: every record updates the model; a closed or failed
  // stream is reopened after a short, growing pause (its snapshot replaces what we had).
  async subscribe() {
    let pause = 500;
    for (;;) {
      try {
        const response = await authFetch('/api/v1', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ type: 'SUBSCRIBE' }),
          cache: 'no-store',
        });
        if (!response.ok) throw new Error(`${response.status}: ${(await response.text()).slice(0, 200)}`);
        const reader = response.body.getReader();
        const records = new RecordIOReader();
        this.connected = true;
        this.error = '';
        this.changed();
        pause = 500;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const record of records.push(value)) this.apply(JSON.parse(record));
        }
        this.error = 'the master closed the event stream';
      } catch (e) {
        this.error = String(e.message || e);
      }
      this.connected = false;
      this.changed();
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 10000);
    }
  }
}

// Periodic /metrics/snapshot samples for the overview's charts, kept across page changes.
export class Metrics {
  constructor(model, { interval = 2000, keep = 150 } = {}) {
    this.model = model;
    this.interval = interval;
    this.keep = keep;
    this.samples = [];  // [{t, m: {name: value}}]
  }

  async sample() {
    try {
      const response = await authFetch('/metrics/snapshot', { cache: 'no-store' });
      if (response.ok) {
        this.samples.push({ t: Date.now(), m: await response.json() });
        if (this.samples.length > this.keep) this.samples.shift();
        this.model.changed();
      }
    } catch { /* the master is away: the event stream's indicator says so */ }
  }

  start() {
    this.sample();
    setInterval(() => this.sample(), this.interval);
  }

  latest() { return this.samples.length ? this.samples[this.samples.length - 1].m : {}; }

  series(fn) { return this.samples.map((s) => fn(s.m)); }
}
