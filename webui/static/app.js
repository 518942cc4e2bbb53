// Plateau's web UI: hash routes, one page object per route, live data from the operator
// API's SUBSCRIBE stream (model.js) and periodic /metrics/snapshot samples (charts).
// Plain ES modules, no build step: the master serves these files as they are.

import { Model, Metrics } from './model.js';
import { lineChart } from './charts.js';
import {
  esc, html, raw, scalars, fmtNumber, fmtMB, fmtBytes, fmtResources, fmtTime, stateClass,
  TERMINAL, operatorCall, getJSON,
} from './util.js';

const model = new Model();
const metrics = new Metrics(model);
const view = document.getElementById('view');
const MAX_ROWS = 500;

const TASK_STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING',
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED',
  'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN'];

// ---------------------------------------------------------------------------------------
// Shared bits

function agentAddress(agent) {
  const pid = agent?.pid || '';
  const at = pid.indexOf('@');
  if (at >= 0) return pid.slice(at + 1);
  return agent ? `${agent.agent_info.hostname}:${agent.agent_info.port || 5051}` : '';
}

function agentLink(agentId) {
  const agent = model.agents.get(agentId);
  const label = agent ? agent.agent_info.hostname : agentId;
  return html`<a href="#/agents/${encodeURIComponent(agentId)}">${label}</a>`;
}

function frameworkLink(frameworkId) {
  const f = model.framework(frameworkId);
  const label = f ? f.framework_info.name || frameworkId : frameworkId;
  return html`<a href="#/frameworks/${encodeURIComponent(frameworkId)}">${label}</a>`;
}

function taskStarted(task) {
  const running = (task.statuses || []).find((s) => s.state === 'TASK_RUNNING');
  return running ? fmtTime(running.timestamp) : '—';
}

function sandboxHref(task) {
  return `#/sandbox/${encodeURIComponent(task.framework_id.value)}/${encodeURIComponent(task.task_id.value)}`;
}

function stateBadge(state) {
  return html`<span class="state ${stateClass(state)}">${state || 'TASK_UNKNOWN'}</span>`;
}

function taskRows(tasks, { showAgent = true, showFramework = true } = {}) {
  return tasks.map((t) => html`<tr data-task="${t.framework_id.value}/${t.task_id.value}">
      <td class="id" data-label="ID">${t.task_id.value}</td>
      <td data-label="Name">${t.name}</td>
      <td class="task-state" data-label="State">${stateBadge(t.state)}</td>
      ${showFramework ? html`<td data-label="Framework">${frameworkLink(t.framework_id.value)}</td>` : raw('')}
      ${showAgent ? html`<td data-label="Agent">${t.agent_id ? agentLink(t.agent_id.value) : '—'}</td>` : raw('')}
      <td data-label="Resources">${fmtResources(scalars(t.resources))}</td>
      <td data-label="Started">${taskStarted(t)}</td>
      <td data-label=""><a class="sandbox-link" href="${sandboxHref(t)}">Sandbox</a></td>
    </tr>`.__raw).join('');
}

function taskTable(tasks, options = {}) {
  const { showAgent = true, showFramework = true } = options;
  const shown = tasks.slice(0, MAX_ROWS);
  const more = tasks.length > shown.length
    ? `<p class="note">Showing ${shown.length} of ${tasks.length} tasks: narrow the search.</p>` : '';
  if (!tasks.length) return '<p class="empty">No tasks.</p>';
  return `<table class="list tasks"><thead><tr><th>ID</th><th>Name</th><th>State</th>
    ${showFramework ? '<th>Framework</th>' : ''}${showAgent ? '<th>Agent</th>' : ''}
    <th>Resources</th><th>Started</th><th></th></tr></thead>
    <tbody>${taskRows(shown, options)}</tbody></table>${more}`;
}

// Active tasks first, then the newest (by last status time).
function sortTasks(tasks) {
  const last = (t) => {
    const s = t.statuses?.at(-1);
    return s ? Number(s.timestamp) || 0 : 0;
  };
  return tasks.sort((a, b) => (TERMINAL.has(a.state) - TERMINAL.has(b.state)) || last(b) - last(a));
}

// Resources held by each agent's active tasks, from the live model (the agent objects of the
// event stream carry their allocation only as of when they were added).
function allocatedByAgent() {
  const byAgent = new Map();
  for (const t of model.tasks.values()) {
    if (TERMINAL.has(t.state) || !t.agent_id) continue;
    const list = byAgent.get(t.agent_id.value) || [];
    list.push(...(t.resources || []));
    byAgent.set(t.agent_id.value, list);
  }
  return byAgent;
}

function definitionList(pairs) {
  return `<dl class="facts">${pairs.map(([k, v]) =>
    `<dt>${esc(k)}</dt><dd>${v && v.__raw !== undefined ? v.__raw : esc(v)}</dd>`).join('')}</dl>`;
}

function setPage(title, body) {
  view.innerHTML = `<h1>${esc(title)}</h1>${body}`;
  document.title = `${title} · Plateau`;
}

// ---------------------------------------------------------------------------------------
// Pages. Each returns {update(), destroy()}; update() runs whenever the model changes.

function overviewPage() {
  setPage('Overview', `<section class="cards" id="cards"></section>
    <h2>Resources</h2><div id="resources"></div>
    <div class="charts" id="charts"></div>
    <h2>Active tasks</h2><div id="active"></div>`);
  return {
    update() {
      const counts = {};
      let active = 0;
      for (const t of model.tasks.values()) {
        counts[t.state] = (counts[t.state] || 0) + 1;
        if (!TERMINAL.has(t.state)) active++;
      }
      const activeAgents = [...model.agents.values()].filter((a) => a.active !== false).length;
      const card = (name, value, extra = '', id = '') =>
        `<div class="card"${id ? ` id="${id}"` : ''}><div class="value">${esc(value)}</div><div class="label">${esc(name)}</div>${extra}</div>`;
      document.getElementById('cards').innerHTML = [
        card('Agents', activeAgents, model.agents.size > activeAgents ? `<div class="sub">${model.agents.size - activeAgents} inactive</div>` : '', 'card-agents'),
        card('Frameworks', model.frameworks.size, '', 'card-frameworks'),
        card('Active tasks', active, '', 'card-tasks'),
        card('Running', counts.TASK_RUNNING || 0),
        card('Finished', counts.TASK_FINISHED || 0),
        card('Failed / killed / lost', (counts.TASK_FAILED || 0) + (counts.TASK_KILLED || 0) + (counts.TASK_LOST || 0) + (counts.TASK_ERROR || 0)),
      ].join('');

      const m = metrics.latest();
      const row = (name, show) => {
        const total = m[`master/${name}_total`];
        const used = m[`master/${name}_used`];
        const held = m[`allocator/mesos/resources/${name}/offered_or_allocated`];
        const offered = held === undefined || used === undefined ? undefined : Math.max(0, held - used);
        const idle = total === undefined ? undefined : Math.max(0, total - (used || 0) - (offered || 0));
        return `<tr><th>${esc(name)}</th><td data-label="Total">${esc(show(total))}</td>
          <td data-label="Used">${esc(show(used))}</td><td data-label="Offered">${esc(show(offered))}</td>
          <td data-label="Idle">${esc(show(idle))}</td></tr>`;
      };
      document.getElementById('resources').innerHTML = metrics.samples.length
        ? `<table class="list resources"><thead><tr><th></th><th>Total</th><th>Used</th><th>Offered</th><th>Idle</th></tr></thead>
           <tbody>${row('cpus', fmtNumber)}${row('mem', fmtMB)}${row('disk', fmtMB)}</tbody></table>`
        : '<p class="empty">Waiting for /metrics/snapshot…</p>';

      const chart = (name, label, show) => {
        const used = metrics.series((s) => s[`master/${name}_used`] || 0);
        const offered = metrics.series((s) => Math.max(0,
          (s[`allocator/mesos/resources/${name}/offered_or_allocated`] || 0) - (s[`master/${name}_used`] || 0)));
        const total = metrics.series((s) => s[`master/${name}_total`] || 0);
        return lineChart({
          label,
          max: Math.max(0, ...total),
          series: [
            { name: 'total', cls: 'total', values: total, show },
            { name: 'used', cls: 'used', values: used, show },
            { name: 'offered', cls: 'offered', values: offered, show },
          ],
        });
      };
      document.getElementById('charts').innerHTML = chart('cpus', 'CPUs', fmtNumber) +
        chart('mem', 'Memory', fmtMB) +
        lineChart({
          label: 'Tasks',
          series: [
            { name: 'running', cls: 'used', values: metrics.series((s) => s['master/tasks_running'] || 0) },
            { name: 'staging', cls: 'offered', values: metrics.series((s) => (s['master/tasks_staging'] || 0) + (s['master/tasks_starting'] || 0)) },
          ],
        });
      const activeTasks = sortTasks([...model.tasks.values()].filter((t) => !TERMINAL.has(t.state)));
      document.getElementById('active').innerHTML = taskTable(activeTasks.slice(0, 20));
    },
  };
}

function frameworksPage() {
  setPage('Frameworks', '<div id="list"></div><h2>Completed frameworks</h2><div id="completed"></div>');
  const table = (frameworks) => {
    if (!frameworks.length) return '<p class="empty">None.</p>';
    const more = frameworks.length > MAX_ROWS
      ? `<p class="note">Showing ${MAX_ROWS} of ${frameworks.length} frameworks.</p>` : '';
    frameworks = frameworks.slice(0, MAX_ROWS);
    const tasksBy = new Map();
    for (const t of model.tasks.values()) {
      if (TERMINAL.has(t.state)) continue;
      const id = t.framework_id.value;
      const e = tasksBy.get(id) || { n: 0, resources: [] };
      e.n++;
      e.resources.push(...(t.resources || []));
      tasksBy.set(id, e);
    }
    return more + `<table class="list frameworks"><thead><tr><th>ID</th><th>Name</th><th>Roles</th><th>User</th>
      <th>Status</th><th>Active tasks</th><th>Used</th><th>Registered</th></tr></thead><tbody>${
      frameworks.map((f) => {
        const info = f.framework_info;
        const e = tasksBy.get(info.id.value) || { n: 0, resources: [] };
        const status = f.connected === false ? 'disconnected' : f.active === false ? 'inactive' : 'active';
        return html`<tr><td class="id" data-label="ID"><a href="#/frameworks/${encodeURIComponent(info.id.value)}">${info.id.value}</a></td>
          <td data-label="Name">${info.name}</td><td data-label="Roles">${(info.roles || [info.role || '*']).join(', ')}</td>
          <td data-label="User">${info.user}</td><td data-label="Status">${status}</td><td data-label="Active tasks">${e.n}</td>
          <td data-label="Used">${fmtResources(scalars(e.resources))}</td>
          <td data-label="Registered">${fmtTime(f.registered_time)}</td></tr>`.__raw;
      }).join('')}</tbody></table>`;
  };
  return {
    update() {
      document.getElementById('list').innerHTML = table([...model.frameworks.values()]);
      document.getElementById('completed').innerHTML = table([...model.completedFrameworks.values()]);
    },
  };
}

function frameworkPage(id) {
  setPage('Framework', '<div id="info"></div><h2>Tasks</h2><div id="tasks"></div>');
  return {
    update() {
      const f = model.framework(id);
      if (!f) {
        document.getElementById('info').innerHTML = `<p class="empty">No framework '${esc(id)}' is known to the master.</p>`;
        return;
      }
      const info = f.framework_info;
      view.querySelector('h1').textContent = `Framework ${info.name || id}`;
      document.getElementById('info').innerHTML = definitionList([
        ['ID', info.id.value], ['Name', info.name], ['User', info.user],
        ['Roles', (info.roles || [info.role || '*']).join(', ')], ['Principal', info.principal || '—'],
        ['Hostname', info.hostname || '—'], ['Web UI', info.webui_url || '—'],
        ['Failover timeout', info.failover_timeout ? `${info.failover_timeout}s` : '—'],
        ['Checkpoint', info.checkpoint ? 'yes' : 'no'],
        ['Status', f.connected === false ? 'disconnected' : f.active === false ? 'inactive' : 'active'],
        ['Registered', fmtTime(f.registered_time)],
      ]);
      const tasks = sortTasks([...model.tasks.values()].filter((t) => t.framework_id.value === id));
      document.getElementById('tasks').innerHTML = taskTable(tasks, { showFramework: false });
    },
  };
}

function agentsPage() {
  setPage('Agents', '<div id="list"></div>');
  return {
    update() {
      const agents = [...model.agents.values()];
      if (!agents.length) {
        document.getElementById('list').innerHTML = '<p class="empty">No agents registered.</p>';
        return;
      }
      const allocated = allocatedByAgent();
      const more = agents.length > MAX_ROWS
        ? `<p class="note">Showing ${MAX_ROWS} of ${agents.length} agents.</p>` : '';
      agents.length = Math.min(agents.length, MAX_ROWS);
      document.getElementById('list').innerHTML = more + `<table class="list agents"><thead><tr><th>ID</th><th>Host</th>
        <th>Address</th><th>Status</th><th>Total</th><th>Allocated</th><th>Registered</th></tr></thead><tbody>${
        agents.map((a) => {
          const id = a.agent_info.id.value;
          return html`<tr><td class="id" data-label="ID"><a href="#/agents/${encodeURIComponent(id)}">${id}</a></td>
            <td data-label="Host">${a.agent_info.hostname}</td><td data-label="Address">${agentAddress(a)}</td>
            <td data-label="Status">${a.active === false ? 'inactive' : 'active'}</td>
            <td data-label="Total">${fmtResources(scalars(a.total_resources || a.agent_info.resources))}</td>
            <td data-label="Allocated">${fmtResources(scalars(allocated.get(id)))}</td>
            <td data-label="Registered">${fmtTime(a.registered_time)}</td></tr>`.__raw;
        }).join('')}</tbody></table>`;
    },
  };
}

function agentPage(id) {
  setPage('Agent', '<div id="info"></div><h2>Tasks</h2><div id="tasks"></div>');
  return {
    update() {
      const a = model.agents.get(id);
      if (!a) {
        document.getElementById('info').innerHTML = `<p class="empty">No agent '${esc(id)}' is registered.</p>`;
        return;
      }
      view.querySelector('h1').textContent = `Agent ${a.agent_info.hostname}`;
      const attributes = (a.agent_info.attributes || []).map((x) =>
        `${x.name}:${x.text?.value ?? x.scalar?.value ?? JSON.stringify(x.ranges || x.set || '')}`).join('; ');
      document.getElementById('info').innerHTML = definitionList([
        ['ID', id], ['Hostname', a.agent_info.hostname], ['Address', agentAddress(a)],
        ['Version', a.version || '—'], ['Status', a.active === false ? 'inactive' : 'active'],
        ['Total', fmtResources(scalars(a.total_resources || a.agent_info.resources))],
        ['Allocated to tasks', fmtResources(scalars(allocatedByAgent().get(id)))],
        ['Attributes', attributes || '—'], ['Registered', fmtTime(a.registered_time)],
      ]);
      const tasks = sortTasks([...model.tasks.values()].filter((t) => t.agent_id?.value === id));
      document.getElementById('tasks').innerHTML = taskTable(tasks, { showAgent: false });
    },
  };
}

function tasksPage(params) {
  const state = params.get('state') || 'active';
  const q = params.get('q') || '';
  setPage('Tasks', `<form class="filters" id="filters" role="search">
      <input type="search" id="task-search" placeholder="Search ID, name, framework or agent" value="${esc(q)}" aria-label="Search tasks">
      <select id="task-state" aria-label="Filter by state">
        <option value="active">Active</option><option value="all">All states</option>
        ${TASK_STATES.map((s) => `<option value="${s}">${s}</option>`).join('')}
      </select>
    </form><p class="note" id="count"></p><div id="list"></div>`);
  const search = document.getElementById('task-search');
  const select = document.getElementById('task-state');
  select.value = state;
  const remember = () => {
    const p = new URLSearchParams();
    if (search.value) p.set('q', search.value);
    if (select.value !== 'active') p.set('state', select.value);
    const hash = `#/tasks${p.toString() ? `?${p}` : ''}`;
    history.replaceState(null, '', hash);
    page.update();
  };
  search.addEventListener('input', remember);
  select.addEventListener('change', remember);
  document.getElementById('filters').addEventListener('submit', (e) => e.preventDefault());
  const page = {
    update() {
      const needle = search.value.trim().toLowerCase();
      const wanted = select.value;
      const matches = [];
      for (const t of model.tasks.values()) {
        if (wanted === 'active' ? TERMINAL.has(t.state) : wanted !== 'all' && t.state !== wanted) continue;
        if (needle) {
          const f = model.framework(t.framework_id.value);
          const a = t.agent_id && model.agents.get(t.agent_id.value);
          const hay = `${t.task_id.value} ${t.name} ${t.framework_id.value} ${f?.framework_info.name || ''} ${
            t.agent_id?.value || ''} ${a?.agent_info.hostname || ''}`.toLowerCase();
          if (!hay.includes(needle)) continue;
        }
        matches.push(t);
      }
      document.getElementById('count').textContent =
        `${matches.length} of ${model.tasks.size} tasks`;
      document.getElementById('list').innerHTML = taskTable(sortTasks(matches));
    },
  };
  return page;
}

async function rolesPage() {
  setPage('Roles', '<div id="list"><p class="empty">Loading…</p></div><p class="note" id="quota-note"></p>');
  let roles = [];
  let quota = new Map();
  let quotaNote = '';
  let stopped = false;
  const load = async () => {
    try {
      roles = (await getJSON('/master/roles')).roles || [];
    } catch (e) {
      roles = [];
      quotaNote = `Could not read /master/roles: ${e.message}`;
    }
    try {
      const r = await operatorCall({ type: 'GET_QUOTA' });
      if (r.status === 200) {
        quota = new Map();
        const status = r.body.get_quota?.status || {};
        for (const c of status.configs || []) {
          quota.set(c.role, { guarantees: c.guarantees || {}, limits: c.limits || {} });
        }
        for (const info of status.infos || []) {
          if (quota.has(info.role)) continue;
          const g = scalars(info.guarantee);
          const values = Object.fromEntries(Object.entries(g).map(([k, v]) => [k, { value: v }]));
          quota.set(info.role, { guarantees: values, limits: {} });
        }
        quotaNote = '';
      } else {
        quotaNote = `Quota is not available from this master (GET_QUOTA answered ${r.status}).`;
      }
    } catch (e) {
      quotaNote = `Quota is not available: ${e.message}`;
    }
    if (!stopped) page.update();
  };
  const showQuota = (map) => {
    const entries = Object.entries(map || {});
    if (!entries.length) return '—';
    return entries.map(([k, v]) => `${k}: ${k === 'mem' || k === 'disk' ? fmtMB(v.value) : fmtNumber(v.value)}`).join(', ');
  };
  const page = {
    update() {
      const list = document.getElementById('list');
      if (!list) return;
      document.getElementById('quota-note').textContent = quotaNote;
      if (!roles.length) {
        list.innerHTML = '<p class="empty">No roles in use yet.</p>';
        return;
      }
      list.innerHTML = `<table class="list roles"><thead><tr><th>Role</th><th>Weight</th><th>Frameworks</th>
        <th>Allocated + offered</th><th>Quota guarantee</th><th>Quota limit</th></tr></thead><tbody>${
        roles.map((r) => {
          const q = quota.get(r.name);
          const held = r.resources || {};
          return html`<tr><td data-label="Role">${r.name}</td><td data-label="Weight">${fmtNumber(r.weight)}</td>
            <td data-label="Frameworks">${(r.frameworks || []).length}</td>
            <td data-label="Allocated + offered">${fmtResources(held)}</td>
            <td data-label="Quota guarantee">${q ? showQuota(q.guarantees) : '—'}</td>
            <td data-label="Quota limit">${q ? showQuota(q.limits) : '—'}</td></tr>`.__raw;
        }).join('')}</tbody></table>`;
    },
    destroy() { stopped = true; clearInterval(timer); },
  };
  const timer = setInterval(load, 5000);
  load();
  return page;
}

async function maintenancePage() {
  setPage('Maintenance', '<h2>Schedule</h2><div id="schedule"><p class="empty">Loading…</p></div><h2>Status</h2><div id="status"></div>');
  const machine = (m) => esc(m.hostname || m.ip || JSON.stringify(m));
  const fetchOr = async (url) => {
    try { return { data: await getJSON(url) }; } catch (e) { return { error: e }; }
  };
  const [schedule, status] = await Promise.all([
    fetchOr('/master/maintenance/schedule'), fetchOr('/master/maintenance/status')]);
  const schedEl = document.getElementById('schedule');
  const statusEl = document.getElementById('status');
  if (!schedEl) return { update() {} };
  const unavailable = (r) => (r.error?.status === 404 || r.error?.status === 501
    ? '<p class="empty">Maintenance is not available on this master.</p>'
    : `<p class="empty">Could not load: ${esc(r.error.message)}</p>`);
  if (schedule.error) schedEl.innerHTML = unavailable(schedule);
  else {
    const windows = schedule.data.windows || [];
    schedEl.innerHTML = windows.length ? `<table class="list"><thead><tr><th>Machines</th><th>Start</th><th>Duration</th></tr></thead><tbody>${
      windows.map((w) => `<tr><td data-label="Machines">${(w.machine_ids || []).map(machine).join(', ')}</td>
        <td data-label="Start">${esc(fmtTime(w.unavailability?.start))}</td>
        <td data-label="Duration">${w.unavailability?.duration ? `${fmtNumber(Number(w.unavailability.duration.nanoseconds) / 1e9)} s` : 'indefinite'}</td></tr>`).join('')
    }</tbody></table>` : '<p class="empty">No maintenance scheduled.</p>';
  }
  if (status.error) statusEl.innerHTML = unavailable(status);
  else {
    const draining = status.data.draining_machines || [];
    const down = status.data.down_machines || [];
    statusEl.innerHTML = definitionList([
      ['Draining', raw(draining.map((d) => machine(d.id || d)).join(', ') || '—')],
      ['Down', raw(down.map(machine).join(', ') || '—')],
    ]);
  }
  return { update() {} };
}

// A task's sandbox on its agent: a file browser (/files/browse) and a live tail of one file
// (/files/read from the last offset, every second). The browser talks to the agent directly,
// which allows it with Access-Control-Allow-Origin.
function sandboxPage(frameworkId, taskId, params) {
  setPage(`Sandbox of ${taskId}`, `<div id="task-info"></div>
    <div class="sandbox"><section class="files"><h2>Files <span id="cwd" class="path"></span></h2><div id="files"></div></section>
    <section class="log"><h2>Log <span id="log-name" class="path"></span>
      <label class="follow"><input type="checkbox" id="follow" checked> follow</label></h2>
      <pre id="log" class="log-view" tabindex="0"></pre><p class="note" id="log-note"></p></section></div>`);
  let stopped = false;
  let base = '';
  let root = '';
  let cwd = '';
  let file = '';
  let offset = 0;
  let tailTimer = 0;
  let generation = 0;
  const logEl = document.getElementById('log');
  const note = (text) => { const el = document.getElementById('log-note'); if (el) el.textContent = text; };

  const findDirectory = (state) => {
    for (const f of [...(state.frameworks || []), ...(state.completed_frameworks || [])]) {
      if (f.id !== frameworkId) continue;
      for (const e of [...(f.executors || []), ...(f.completed_executors || [])]) {
        const all = [...(e.tasks || []), ...(e.queued_tasks || []), ...(e.completed_tasks || [])];
        if (all.some((t) => t.id === taskId) || e.id === taskId) return e.directory;
      }
    }
    return '';
  };

  const browse = async (path) => {
    cwd = path;
    document.getElementById('cwd').textContent = path === root ? '' : path.slice(root.length);
    try {
      const entries = await getJSON(`${base}/files/browse?path=${encodeURIComponent(path)}`);
      if (stopped) return;
      entries.sort((a, b) => (b.mode.startsWith('d') - a.mode.startsWith('d')) || a.path.localeCompare(b.path));
      const up = path !== root
        ? `<tr><td colspan="3"><a href="" data-dir="${esc(path.slice(0, path.lastIndexOf('/')))}">..</a></td></tr>` : '';
      document.getElementById('files').innerHTML = `<table class="list files"><thead><tr><th>Name</th><th>Size</th><th>Modified</th></tr></thead><tbody>${up}${
        entries.map((e) => {
          const name = e.path.slice(e.path.lastIndexOf('/') + 1);
          const dir = e.mode.startsWith('d');
          return `<tr><td data-label="Name"><a href="" ${dir ? 'data-dir' : 'data-file'}="${esc(e.path)}">${esc(name)}${dir ? '/' : ''}</a></td>
            <td data-label="Size">${dir ? '' : esc(fmtBytes(e.size))}</td><td data-label="Modified">${esc(fmtTime(e.mtime))}</td></tr>`;
        }).join('')}</tbody></table>`;
    } catch (e) {
      if (!stopped) document.getElementById('files').innerHTML = `<p class="empty">Cannot list ${esc(path)}: ${esc(e.message)}</p>`;
    }
  };

  const tail = async (mine) => {
    if (stopped || mine !== generation) return;
    try {
      for (;;) {
        const chunk = await getJSON(`${base}/files/read?path=${encodeURIComponent(file)}&offset=${offset}&length=65536`);
        if (stopped || mine !== generation) return;
        if (!chunk.data) break;
        const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
        logEl.append(chunk.data);
        offset = chunk.offset + new TextEncoder().encode(chunk.data).length;
        // Keep the view bounded: drop the oldest text beyond ~1 MB.
        if (logEl.textContent.length > 1 << 20) logEl.textContent = logEl.textContent.slice(-(1 << 19));
        if (document.getElementById('follow').checked || atBottom) logEl.scrollTop = logEl.scrollHeight;
        if (chunk.data.length < 65536) break;
      }
      note('');
    } catch (e) {
      note(e.status === 404 ? 'The agent no longer serves this file (the executor has ended or the sandbox is gone).' : `Reading paused: ${e.message}`);
      if (e.status === 404) return;
    }
    tailTimer = setTimeout(() => tail(mine), 1000);
  };

  const open = async (path) => {
    file = path;
    generation++;
    clearTimeout(tailTimer);
    logEl.textContent = '';
    document.getElementById('log-name').textContent = path.slice(path.lastIndexOf('/') + 1);
    try {
      const end = await getJSON(`${base}/files/read?path=${encodeURIComponent(path)}&offset=-1`);
      offset = Math.max(0, end.offset - 64 * 1024);
    } catch (e) {
      note(`Cannot read ${path}: ${e.message}`);
      return;
    }
    tail(generation);
  };

  document.getElementById('files').addEventListener('click', (e) => {
    const a = e.target.closest('a');
    if (!a) return;
    e.preventDefault();
    if (a.dataset.dir !== undefined) browse(a.dataset.dir);
    else if (a.dataset.file) open(a.dataset.file);
  });

  const start = async () => {
    const task = model.task(frameworkId, taskId);
    const agent = task?.agent_id && model.agents.get(task.agent_id.value);
    if (!agent) {
      note(model.connected ? 'The task or its agent is not known to the master.' : 'Waiting for the master…');
      return false;
    }
    base = `${location.protocol}//${agentAddress(agent)}`;
    try {
      root = findDirectory(await getJSON(`${base}/state`));
    } catch (e) {
      note(`Cannot reach the agent at ${base}: ${e.message}`);
      return true;
    }
    if (!root) {
      note('The agent no longer has this task\'s sandbox.');
      return true;
    }
    if (stopped) return true;
    await browse(params.get('path') || root);
    open(`${root}/${params.get('file') || 'stdout'}`);
    return true;
  };

  let started = false;
  let starting = false;
  const page = {
    update() {
      const task = model.task(frameworkId, taskId);
      document.getElementById('task-info').innerHTML = task ? definitionList([
        ['Task', task.name ? `${task.task_id.value} (${task.name})` : task.task_id.value],
        ['State', stateBadge(task.state)],
        ['Framework', frameworkLink(frameworkId)],
        ['Agent', task.agent_id ? agentLink(task.agent_id.value) : '—'],
      ]) : '';
      if (!started && !starting) {
        starting = true;
        start().then((done) => { started = done; starting = false; });
      }
    },
    destroy() { stopped = true; clearTimeout(tailTimer); },
  };
  return page;
}

// ---------------------------------------------------------------------------------------
// Routing

let current = null;

async function route() {
  current?.destroy?.();
  current = null;
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  const name = parts[0] || 'overview';
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === name || (name === 'sandbox' && a.dataset.page === 'tasks'));
  }
  document.getElementById('nav').classList.remove('open');
  let page;
  switch (name) {
    case 'overview': page = overviewPage(); break;
    case 'frameworks': page = parts[1] ? frameworkPage(parts[1]) : frameworksPage(); break;
    case 'agents': page = parts[1] ? agentPage(parts[1]) : agentsPage(); break;
    case 'tasks': page = tasksPage(params); break;
    case 'roles': page = await rolesPage(); break;
    case 'maintenance': page = await maintenancePage(); break;
    case 'sandbox': page = sandboxPage(parts[1], parts[2], params); break;
    default:
      setPage('Not found', `<p class="empty">No page '${esc(hash)}'. <a href="#/">Overview</a></p>`);
      page = { update() {} };
  }
  current = page;
  page.update();
}

function updateLive() {
  const live = document.getElementById('live');
  live.textContent = model.connected ? 'live' : 'reconnecting';
  live.className = `live ${model.connected ? 'on' : 'off'}`;
  live.title = model.connected ? 'Receiving the operator event stream' : model.error;
  document.getElementById('footer').textContent =
    `${model.agents.size} agents · ${model.frameworks.size} frameworks · ${model.tasks.size} tasks`;
}

model.onChange(() => {
  updateLive();
  current?.update();
});
window.addEventListener('hashchange', route);
document.getElementById('menu-button').addEventListener('click', () => {
  const nav = document.getElementById('nav');
  nav.classList.toggle('open');
  document.getElementById('menu-button').setAttribute('aria-expanded', nav.classList.contains('open'));
});

// Exposed for the browser tests and for poking around from the console.
window.plateau = { model, metrics };

route();
updateLive();
metrics.start();
model.subscribe();
