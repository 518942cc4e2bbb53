// Plateau's web UI: hash routes, one page object per route, live data from the operator
// API's SUBSCRIBE stream (model.js) and periodic /metrics/snapshot samples (charts).
// Plain ES modules, no build step: the master serves these files as they are.

import { Model, Metrics } from './model.js';
import { lineChart } from './charts.js';
import { appsPage, appPage } from './apps.js';
import { jobsPage, jobPage } from './jobs.js';
import { sandboxPage } from './sandbox.js';
import {
  esc, html, raw, scalars, fmtNumber, fmtMB, fmtBytes, fmtResources, fmtTime, stateClass,
  TERMINAL, getJSON, containerImage,
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

// A task's image: its name, and what kind (DOCKER image, APPC image, DOCKER container) below.
function imageCell(task) {
  const image = containerImage(task.container);
  return image
    ? html`<span class="image" title="${image.label}">${image.name}</span> <span class="image-type">${image.label}</span>`
    : raw('—');
}

function taskRows(tasks, { showAgent = true, showFramework = true, showImage = false } = {}) {
  return tasks.map((t) => html`<tr data-task="${t.framework_id.value}/${t.task_id.value}">
      <td class="id" data-label="ID">${t.task_id.value}</td>
      <td data-label="Name">${t.name}</td>
      <td class="task-state" data-label="State">${stateBadge(t.state)}</td>
      ${showFramework ? html`<td data-label="Framework">${frameworkLink(t.framework_id.value)}</td>` : raw('')}
      ${showAgent ? html`<td data-label="Agent">${t.agent_id ? agentLink(t.agent_id.value) : '—'}</td>` : raw('')}
      ${showImage ? html`<td class="task-image" data-label="Image">${imageCell(t)}</td>` : raw('')}
      <td data-label="Resources">${fmtResources(scalars(t.resources))}</td>
      <td data-label="Started">${taskStarted(t)}</td>
      <td data-label=""><a class="sandbox-link" href="${sandboxHref(t)}">Sandbox</a></td>
    </tr>`.__raw).join('');
}

// The Image column shows only when a task listed runs in an image.
function taskTable(tasks, options = {}) {
  const { showAgent = true, showFramework = true } = options;
  const shown = tasks.slice(0, MAX_ROWS);
  const showImage = shown.some((t) => containerImage(t.container));
  const more = tasks.length > shown.length
    ? `<p class="note">Showing ${shown.length} of ${tasks.length} tasks: narrow the search.</p>` : '';
  if (!tasks.length) return '<p class="empty">No tasks.</p>';
  return `<table class="list tasks"><thead><tr><th>ID</th><th>Name</th><th>State</th>
    ${showFramework ? '<th>Framework</th>' : ''}${showAgent ? '<th>Agent</th>' : ''}
    ${showImage ? '<th>Image</th>' : ''}<th>Resources</th><th>Started</th><th></th></tr></thead>
    <tbody>${taskRows(shown, { ...options, showImage })}</tbody></table>${more}`;
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

// RECEIVING: offers flow; INACTIVE and SUPPRESSED: the framework's own choice; the rest
// (FAIR_SHARE, FILTERED, HEADROOM, NO_FIT, NO_RESOURCES, OFFER_CONSTRAINTS, QUOTA_LIMIT) hold
// offers back.
function explainClass(code) {
  if (code === 'RECEIVING') return 'ok';
  return code === 'INACTIVE' || code === 'SUPPRESSED' ? 'done' : 'pending';
}

function frameworkPage(id) {
  setPage('Framework', `<div id="info"></div><h2>Offers</h2><div id="explain"><p class="empty">Asking the master…</p></div>
    <h2>Tasks</h2><div id="tasks"></div>`);
  // Why the framework gets (no) offers in each of its roles: GET /master/explain, asked when
  // the page opens and every 5 s while it stays open.
  const stop = every(5000, async (stopped) => {
    let body;
    if (!model.frameworks.has(id) && model.completedFrameworks.has(id)) {
      const el = document.getElementById('explain');
      if (el) el.innerHTML = '<p class="empty">The framework has completed: it gets no offers.</p>';
      return;
    }
    try {
      const r = await getJSON(`/master/explain?framework_id=${encodeURIComponent(id)}`);
      const list = r.explanations || [];
      body = list.length ? `<table class="list explain"><thead><tr><th>Role</th><th>Reason</th><th>Explanation</th></tr></thead><tbody>${
        list.map((e) => html`<tr data-role="${e.role}"><td data-label="Role">${e.role}</td>
          <td data-label="Reason" class="code"><span class="state ${explainClass(e.code)}">${e.code}</span></td>
          <td data-label="Explanation" class="message">${e.message}${e.agents ? ` (${e.agents} agents)` : ''}${
            e.ahead ? ` (${e.ahead} ahead)` : ''}</td></tr>`.__raw).join('')}</tbody></table>`
        : '<p class="empty">The master has no explanation for this framework (no roles).</p>';
    } catch (e) {
      body = `<p class="empty">${e.status === 404 ? 'The master no longer knows this framework.' : `Cannot explain: ${esc(e.message)}`}</p>`;
    }
    const el = document.getElementById('explain');
    if (!stopped() && el) el.innerHTML = body;
  });
  return {
    destroy: stop,
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
  setPage('Agent', `<div id="info"></div><h2>Containers</h2><div id="usage"><p class="empty">Asking the agent…</p></div>
    <h2>Tasks</h2><div id="tasks"></div>`);
  // Per-container usage read from the agent itself (/monitor/statistics, which allows any
  // origin), every 2 s; CPU use is the CPU time between two samples over the time between them.
  let previous = new Map();
  const stop = every(2000, async (stopped) => {
    const a = model.agents.get(id);
    const el = () => document.getElementById('usage');
    if (!a) return;
    const base = `${location.protocol}//${agentAddress(a)}`;
    let body;
    try {
      const list = await getJSON(`${base}/monitor/statistics`);
      const next = new Map();
      body = list.length ? `<table class="list usage"><thead><tr><th>Executor</th><th>Framework</th><th>CPU time</th>
        <th>CPU use</th><th>Memory (RSS of limit)</th><th>Processes</th></tr></thead><tbody>${list.map((c) => {
        const s = c.statistics || {};
        const cpu = (s.cpus_user_time_secs || 0) + (s.cpus_system_time_secs || 0);
        const k = `${c.framework_id}/${c.executor_id}`;
        next.set(k, { cpu, t: s.timestamp });
        const p = previous.get(k);
        const rate = p && s.timestamp > p.t ? Math.max(0, (cpu - p.cpu) / (s.timestamp - p.t)) : undefined;
        const memPart = s.mem_limit_bytes
          ? `<meter min="0" max="${s.mem_limit_bytes}" high="${s.mem_limit_bytes * 0.9}" value="${s.mem_rss_bytes || 0}"></meter> ${
            esc(fmtBytes(s.mem_rss_bytes || 0))} of ${esc(fmtBytes(s.mem_limit_bytes))}`
          : esc(fmtBytes(s.mem_rss_bytes || 0));
        return html`<tr data-executor="${c.executor_id}"><td class="id" data-label="Executor">${c.executor_id}</td>
          <td data-label="Framework">${frameworkLink(c.framework_id)}</td>
          <td data-label="CPU time" class="cpu-time">${fmtNumber(cpu)} s <span class="note">(user ${fmtNumber(s.cpus_user_time_secs || 0)}, system ${fmtNumber(s.cpus_system_time_secs || 0)})</span></td>
          <td data-label="CPU use">${rate === undefined ? '…' : fmtNumber(rate)} of ${fmtNumber(s.cpus_limit)} CPUs</td>
          <td data-label="Memory" class="mem">${raw(memPart)}</td>
          <td data-label="Processes">${s.processes ?? '—'} / ${s.threads ?? '—'} threads</td></tr>`.__raw;
      }).join('')}</tbody></table>` : '<p class="empty">No running containers.</p>';
      previous = next;
    } catch (e) {
      body = `<p class="empty">Cannot read ${esc(base)}/monitor/statistics: ${esc(e.message)}</p>`;
    }
    if (!stopped() && el()) el().innerHTML = body;
  });
  return {
    destroy: stop,
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
      <input type="search" id="task-search" placeholder="Search ID, name, framework, agent or image" value="${esc(q)}" aria-label="Search tasks">
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
            t.agent_id?.value || ''} ${a?.agent_info.hostname || ''} ${containerImage(t.container)?.name || ''}`.toLowerCase();
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

// A scalar map ({cpus: 1, mem: 64}) shown with units.
function fmtScalar(name, v) {
  return name === 'mem' || name === 'disk' ? fmtMB(v) : fmtNumber(v);
}
function fmtScalarMap(map) {
  const entries = Object.entries(map || {}).filter(([, v]) => v !== undefined && v !== null);
  return entries.length ? entries.map(([k, v]) => `${k} ${fmtScalar(k, v)}`).join(', ') : '—';
}

// Re-runs `load` every `ms` while the page is on screen; returns a stop function.
function every(ms, load) {
  let stopped = false;
  let timer = 0;
  const tick = async () => {
    try { await load(() => stopped); } finally {
      if (!stopped) timer = setTimeout(tick, ms);
    }
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

// /master/roles carries each role's weight, frameworks, allocated and offered resources and,
// for roles with quota, {guarantee, limit, consumed} as scalar maps.
function rolesPage() {
  setPage('Roles', '<div id="list"><p class="empty">Loading…</p></div><p class="note" id="roles-note"></p>');
  let roles = null;
  let note = '';
  const quotaCell = (quota) => {
    if (!quota) return '—';
    const names = [...new Set([...Object.keys(quota.guarantee || {}), ...Object.keys(quota.limit || {})])];
    if (!names.length) return '—';
    return names.map((k) => {
      const used = quota.consumed?.[k] || 0;
      const g = quota.guarantee?.[k];
      const l = quota.limit?.[k];
      const max = l ?? g;
      const meter = max > 0 ? `<meter min="0" max="${max}" value="${Math.min(used, max)}"${g !== undefined ? ` low="${g}"` : ''}></meter>` : '';
      return `<div class="quota" data-resource="${esc(k)}"><b>${esc(k)}</b> ${meter}
        <span class="consumed">${esc(fmtScalar(k, used))}</span> consumed ·
        guarantee <span class="guarantee">${g === undefined ? '—' : esc(fmtScalar(k, g))}</span> ·
        limit <span class="limit">${l === undefined ? '∞' : esc(fmtScalar(k, l))}</span></div>`;
    }).join('');
  };
  // A role may hold thousands of frameworks: name a few, count the rest.
  const frameworkList = (ids) => {
    if (!ids.length) return '—';
    const shown = ids.slice(0, 5).map((id) => frameworkLink(id).__raw).join('<br>');
    return ids.length > 5 ? `${shown}<br><span class="note">and ${ids.length - 5} more</span>` : shown;
  };
  const page = {
    update() {
      const list = document.getElementById('list');
      if (!list || roles === null) return;
      document.getElementById('roles-note').textContent = note;
      if (!roles.length) {
        list.innerHTML = '<p class="empty">No roles in use, weighted or with quota.</p>';
        return;
      }
      list.innerHTML = `<table class="list roles"><thead><tr><th>Role</th><th>Weight</th><th>Frameworks</th>
        <th>Allocated</th><th>Offered</th><th>Quota (consumed · guarantee · limit)</th></tr></thead><tbody>${
        roles.map((r) => html`<tr data-role="${r.name}"><td data-label="Role">${r.name}</td>
            <td data-label="Weight" class="weight">${fmtNumber(r.weight ?? 1)}</td>
            <td data-label="Frameworks">${raw(frameworkList(r.frameworks || []))}</td>
            <td data-label="Allocated">${fmtResources(r.allocated || {})}</td>
            <td data-label="Offered">${fmtResources(r.offered || {})}</td>
            <td data-label="Quota" class="quota-cell">${raw(quotaCell(r.quota))}</td></tr>`.__raw).join('')}</tbody></table>`;
    },
  };
  const stop = every(5000, async (stopped) => {
    try {
      const data = await getJSON('/master/roles');
      roles = (data.roles || []).sort((a, b) => a.name.localeCompare(b.name));
      note = '';
    } catch (e) {
      roles = roles || [];
      note = `Could not read /master/roles: ${e.message}`;
    }
    if (!stopped()) page.update();
  });
  page.destroy = stop;
  return page;
}

// The schedule (/master/maintenance/schedule) and each scheduled machine's mode with the
// frameworks' answers to its inverse offers (/master/maintenance/status).
function maintenancePage() {
  setPage('Maintenance', `<h2>Schedule</h2><div id="schedule"><p class="empty">Loading…</p></div>
    <h2>Machines</h2><div id="machines"></div>`);
  let schedule = null;
  let status = null;
  const key = (m) => `${m.hostname || ''}|${m.ip || ''}`;
  const name = (m) => (m.hostname && m.ip && m.hostname !== m.ip ? `${m.hostname} (${m.ip})` : m.hostname || m.ip || '?');
  // Agents by hostname and by ip, built once per render (not once per machine).
  const agentIndex = () => {
    const byHost = new Map();
    const byIp = new Map();
    for (const a of model.agents.values()) {
      byHost.set(a.agent_info.hostname, a);
      const address = agentAddress(a);
      byIp.set(address.slice(0, address.lastIndexOf(':')), a);
    }
    return (m) => byHost.get(m.hostname) || byIp.get(m.ip) || null;
  };
  const seconds = (d) => Number(d?.nanoseconds || 0) / 1e9;
  const fmtDuration = (s) => {
    if (s >= 86400) return `${fmtNumber(s / 86400, 1)} d`;
    if (s >= 3600) return `${fmtNumber(s / 3600, 1)} h`;
    if (s >= 60) return `${fmtNumber(s / 60, 1)} min`;
    return `${fmtNumber(s)} s`;
  };
  const unavailable = (e) => (e.status === 404 || e.status === 501
    ? '<p class="empty">Maintenance is not available on this master.</p>'
    : `<p class="empty">Could not load: ${esc(e.message)}</p>`);
  const page = {
    update() {
      const schedEl = document.getElementById('schedule');
      const machinesEl = document.getElementById('machines');
      if (!schedEl || schedule === null) return;
      if (schedule.error) {
        schedEl.innerHTML = unavailable(schedule.error);
        machinesEl.innerHTML = '';
        return;
      }
      const windows = schedule.windows || [];
      const now = Date.now() / 1000;
      schedEl.innerHTML = windows.length ? `<table class="list schedule"><thead><tr><th>Window</th><th>Machines</th><th>Start</th><th>Duration</th><th>Ends</th></tr></thead><tbody>${
        windows.map((w, i) => {
          const start = seconds(w.unavailability?.start);
          const duration = w.unavailability?.duration ? seconds(w.unavailability.duration) : null;
          const when = start > now ? `in ${fmtDuration(start - now)}` : 'started';
          return `<tr><td data-label="Window">${i + 1}</td>
            <td data-label="Machines">${(w.machine_ids || []).map((m) => esc(name(m))).join('<br>')}</td>
            <td data-label="Start">${esc(fmtTime(start))} <span class="note">(${esc(when)})</span></td>
            <td data-label="Duration">${duration === null ? 'indefinite' : esc(fmtDuration(duration))}</td>
            <td data-label="Ends">${duration === null ? '—' : esc(fmtTime(start + duration))}</td></tr>`;
        }).join('')}</tbody></table>` : '<p class="empty">No maintenance scheduled.</p>';

      if (status?.error) {
        machinesEl.innerHTML = unavailable(status.error);
        return;
      }
      // Every machine in the schedule or in the status, with its mode.
      const machines = new Map();
      for (const w of windows) {
        for (const m of w.machine_ids || []) machines.set(key(m), { id: m, mode: 'UP', window: w });
      }
      for (const d of status?.draining_machines || []) {
        const e = machines.get(key(d.id)) || { id: d.id };
        machines.set(key(d.id), { ...e, mode: 'DRAINING', statuses: d.statuses || [] });
      }
      for (const m of status?.down_machines || []) {
        machines.set(key(m), { ...(machines.get(key(m)) || { id: m }), mode: 'DOWN' });
      }
      if (!machines.size) {
        machinesEl.innerHTML = '<p class="empty">Every machine is up and none is scheduled.</p>';
        return;
      }
      const modeClass = { UP: 'ok', DRAINING: 'pending', DOWN: 'bad' };
      const agentFor = agentIndex();
      machinesEl.innerHTML = `<table class="list machines"><thead><tr><th>Machine</th><th>Mode</th><th>Agent</th><th>Frameworks' answers</th></tr></thead><tbody>${
        [...machines.values()].map((m) => {
          const agent = agentFor(m.id);
          const answers = m.mode !== 'DRAINING' ? '—' : (m.statuses.length ? m.statuses.map((s) =>
            `${frameworkLink(s.framework_id?.value).__raw}: <span class="state ${s.status === 'ACCEPT' ? 'ok' : s.status === 'DECLINE' ? 'bad' : 'pending'}">${esc(s.status)}</span> ${esc(fmtTime(s.timestamp))}`).join('<br>')
            : '<span class="note">no answers yet</span>');
          return `<tr data-machine="${esc(m.id.hostname || m.id.ip)}"><td data-label="Machine">${esc(name(m.id))}</td>
            <td data-label="Mode"><span class="state mode ${modeClass[m.mode]}">${m.mode}</span></td>
            <td data-label="Agent">${agent ? agentLink(agent.agent_info.id.value).__raw : '—'}</td>
            <td data-label="Answers">${answers}</td></tr>`;
        }).join('')}</tbody></table>`;
    },
  };
  const fetchOr = async (url) => {
    try { return await getJSON(url); } catch (e) { return { error: e }; }
  };
  page.destroy = every(5000, async (stopped) => {
    const [s, t] = await Promise.all([fetchOr('/master/maintenance/schedule'), fetchOr('/master/maintenance/status')]);
    if (stopped()) return;
    schedule = s;
    status = t;
    page.update();
  });
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
    case 'roles': page = rolesPage(); break;
    case 'maintenance': page = maintenancePage(); break;
    case 'sandbox': {
      const context = { setPage, model, definitionList, stateBadge, frameworkLink, agentLink, agentAddress, imageCell };
      page = sandboxPage(context, parts[1], parts[2], params);
      break;
    }
    case 'apps': case 'jobs': {
      const context = { setPage, every, model, params, definitionList,
        sandboxHref: (frameworkId, taskId) => `#/sandbox/${encodeURIComponent(frameworkId)}/${encodeURIComponent(taskId)}` };
      if (name === 'apps') page = parts[1] ? appPage(context, parts[1]) : appsPage(context);
      else page = parts[1] ? jobPage(context, parts[1]) : jobsPage(context);
      break;
    }
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
