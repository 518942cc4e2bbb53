// Jobs pages: plateau-jobs (Chronos's REST API) seen from the master's UI. The browser calls
// plateau-jobs directly (it answers with Access-Control-Allow-Origin). Its address comes from,
// in order: ?jobs=host:port on the route, the address saved on this page (localStorage), the
// webui_url of a framework named plateau-jobs (plateau-jobs --webui_url, as ./dev run sets).

import { esc, html, raw, fmtNumber, fmtMB } from './util.js';
import {
  serviceBase, serviceCall, isoAgo, showNote, renderSource, listPlaceholder,
} from './service.js';

const JOBS = { param: 'jobs', storageKey: 'plateau.jobs', framework: 'plateau-jobs' };
const API = '/v1/scheduler';

const jobsBase = (model, params) => serviceBase(JOBS, model, params);
const jobPath = (name) => `${API}/job/${encodeURIComponent(name)}`;
const jobHref = (name) => `#/jobs/${encodeURIComponent(name)}`;

// A time with how long ago it was ('—' for none), the exact time on hover.
const when = (iso) => (iso ? html`<span title="${iso}">${isoAgo(iso)}</span>` : raw('—'));

// The job's state as a badge: disabled, or the scheduler's idle / queued / N running.
function stateBadge(job, state) {
  if (job.disabled) return html`<span class="state bad">disabled</span>`;
  const s = state || 'idle';
  const cls = s.endsWith('running') ? 'ok' : s === 'queued' ? 'pending' : 'done';
  return html`<span class="state ${cls}">${s}</span>`;
}

// Its schedule, or "after" its parents (linked).
function scheduleCell(job) {
  if (job.parents?.length) {
    return raw(`after ${job.parents.map((p) => html`<a href="${jobHref(p)}">${p}</a>`.__raw).join(', ')}`);
  }
  return html`<code>${job.schedule || '—'}</code>`;
}

// When it runs next: its next scheduled time and how soon ('—' for a dependent job).
function nextRun(job, summary) {
  const t = Date.parse(summary?.nextRun || '');
  if (!t) return raw('—');
  const s = Math.round((t - Date.now()) / 1000);
  const soon = s <= 0 ? 'due' : s < 3600 ? `in ${Math.ceil(s / 60)}m` : s < 86400 ? `in ${Math.round(s / 3600)}h`
    : `in ${Math.round(s / 86400)}d`;
  return html`<span title="${summary.nextRun}">${summary.nextRun.replace(/\.000Z$/, 'Z')} (${soon})</span>`;
}

// The dependency graph as nested lists: each job that has dependents and no parents at the
// top, its dependents beneath it. A job reached again (several parents) is named, not
// expanded again, so the lists grow with the jobs and edges, never more.
function dependencyTree(jobs) {
  const children = new Map();
  for (const j of jobs) {
    for (const p of j.parents || []) children.set(p, [...(children.get(p) || []), j.name]);
  }
  if (!children.size) return '<p class="empty">No dependent jobs.</p>';
  const shown = new Set();
  const branch = (name) => {
    const again = shown.has(name);
    shown.add(name);
    const kids = again ? [] : children.get(name) || [];
    return html`<li data-node="${name}"><a href="${jobHref(name)}">${name}</a>${again ? ' (above)' : ''}${
      raw(kids.length ? `<ul>${kids.map(branch).join('')}</ul>` : '')}</li>`.__raw;
  };
  const roots = jobs.filter((j) => !j.parents?.length && children.has(j.name));
  return `<ul class="job-tree">${roots.map((r) => branch(r.name)).join('')}</ul>`;
}

// The Run, Disable / Enable and Delete buttons for one job.
function controls(job) {
  return html`<span class="job-controls" data-job="${job.name}">
    <button class="run" data-job="${job.name}">Run</button>
    <button class="toggle" data-job="${job.name}" data-disabled="${job.disabled ? 'yes' : 'no'}">${job.disabled ? 'Enable' : 'Disable'}</button>
    <button class="delete" data-job="${job.name}">Delete</button></span>`;
}

// Disables or enables a job as Chronos's own UI does: the job posted back with `disabled`
// changed (to /dependency when it has parents, else /iso8601).
async function setDisabled(base, name, disabled) {
  const job = await serviceCall(base, 'GET', jobPath(name));
  job.disabled = disabled;
  await serviceCall(base, 'POST', `${API}/${job.parents?.length ? 'dependency' : 'iso8601'}`, job);
}

// One button's action; resolves to what to say, or null when the user cancelled.
async function act(base, button) {
  const name = button.dataset.job;
  if (button.classList.contains('run')) {
    await serviceCall(base, 'PUT', jobPath(name));
    return `Started a run of ${name}`;
  }
  if (button.classList.contains('toggle')) {
    const disable = button.dataset.disabled !== 'yes';
    await setDisabled(base, name, disable);
    return `${disable ? 'Disabled' : 'Enabled'} ${name}`;
  }
  if (!window.confirm(`Delete job ${name} and its history?`)) return null;
  await serviceCall(base, 'DELETE', jobPath(name));
  return `Deleted ${name}`;
}

// Wires the buttons inside `root` (once per render); `done(text, bad, deleted)` reports.
function wireControls(root, base, done) {
  for (const button of root.querySelectorAll('.job-controls button')) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const said = await act(base, button);
        if (said) done(said, false, button.classList.contains('delete'));
      } catch (e) {
        done(`${button.dataset.job}: ${e.message}`, true, false);
      } finally {
        button.disabled = false;
      }
    });
  }
}

// `summaries`: each job's /jobs/summary entry (state, nextRun) by name.
function jobTable(jobs, summaries) {
  return `<table class="list jobs"><thead><tr><th>Name</th><th>Schedule</th><th>Next run</th><th>State</th>
    <th>Last success</th><th>Last failure</th><th>Successes</th><th>Errors</th><th></th></tr></thead><tbody>${
    jobs.map((j) => html`<tr data-job="${j.name}">
      <td class="id" data-label="Name"><a href="${jobHref(j.name)}">${j.name}</a></td>
      <td class="schedule" data-label="Schedule">${scheduleCell(j)}</td>
      <td class="next-run" data-label="Next run">${nextRun(j, summaries.get(j.name))}</td>
      <td class="job-state" data-label="State">${stateBadge(j, summaries.get(j.name)?.state)}</td>
      <td class="last-success" data-label="Last success">${when(j.lastSuccess)}</td>
      <td class="last-error" data-label="Last failure">${when(j.lastError)}</td>
      <td class="successes" data-label="Successes">${j.successCount}</td>
      <td class="errors" data-label="Errors">${j.errorCount}</td>
      <td data-label="">${controls(j)}</td></tr>`.__raw).join('')}</tbody></table>`;
}

// #/jobs: every job with its schedule or parents, state, last runs and counts, and buttons.
export function jobsPage({ setPage, every, model, params }) {
  setPage('Jobs', `<p class="note" id="jobs-source"></p><div id="jobs-form"></div>
    <p class="note" id="jobs-note" role="status"></p>
    <div id="jobs-list"><p class="empty">Loading…</p></div>
    <h2>Dependencies</h2><div id="jobs-graph"></div>`);
  let base = jobsBase(model, params);
  let jobs = null;
  let summaries = new Map();
  let error = '';
  const render = () => {
    const list = document.getElementById('jobs-list');
    if (!list) return;
    renderSource(JOBS, base, () => { base = jobsBase(model, null); jobs = null; reload(); });
    const emptyHtml = '<p class="empty">No jobs. Add one with <code>plateau job add FILE</code> or POST /v1/scheduler/iso8601.</p>';
    if (listPlaceholder(list, { base, error, items: jobs, emptyHtml })) {
      list.innerHTML = jobTable(jobs, summaries);
      wireControls(list, base, (text, bad) => { showNote('jobs-note', text, bad); reload(); });
    }
    document.getElementById('jobs-graph').innerHTML = jobs?.length ? dependencyTree(jobs) : '';
  };
  let stop = () => {};
  const reload = () => {
    stop();
    stop = every(2000, async (stopped) => {
      if (!base) base = jobsBase(model, null);
      if (!base) { render(); return; }
      try {
        const [list, summary] = await Promise.all([
          serviceCall(base, 'GET', `${API}/jobs`), serviceCall(base, 'GET', `${API}/jobs/summary`)]);
        jobs = (list || []).sort((x, y) => x.name.localeCompare(y.name));
        summaries = new Map((summary?.jobs || []).map((s) => [s.name, s]));
        error = '';
      } catch (e) {
        error = `Cannot read ${base}${API}/jobs: ${e.message}`;
      }
      if (!stopped()) render();
    });
  };
  reload();
  return { update() {}, destroy() { stop(); } };
}

// How long a run took, or '—' while it has not ended.
function duration(run) {
  const start = Date.parse(run.startedAt || '');
  const end = Date.parse(run.endedAt || '');
  return start && end ? `${fmtNumber(Math.max(0, end - start) / 1000, 1)} s` : '—';
}

const RUN_CLASS = { FINISHED: 'done', RUNNING: 'ok', STAGING: 'pending', QUEUED: 'pending', RETRY_WAIT: 'pending' };

function runTable(runs, sandboxOf) {
  if (!runs.length) return '<p class="empty">No runs yet.</p>';
  return `<table class="list runs"><thead><tr><th>Task</th><th>State</th><th>Trigger</th><th>Scheduled</th>
    <th>Started</th><th>Duration</th><th>Host</th><th>Message</th><th></th></tr></thead><tbody>${
    runs.map((r) => {
      const sandbox = sandboxOf(r);
      return html`<tr data-run="${r.taskId}"><td class="id" data-label="Task">${r.taskId}</td>
        <td class="run-state" data-label="State"><span class="state ${RUN_CLASS[r.state] || 'bad'}">${r.state}</span></td>
        <td class="trigger" data-label="Trigger">${r.trigger}</td>
        <td data-label="Scheduled">${when(r.scheduledTime)}</td><td data-label="Started">${when(r.startedAt)}</td>
        <td data-label="Duration">${duration(r)}</td><td data-label="Host">${r.hostname || '—'}</td>
        <td data-label="Message">${r.message || ''}</td>
        <td data-label="">${sandbox ? html`<a class="sandbox-link" href="${sandbox}">Sandbox</a>` : raw('')}</td></tr>`.__raw;
    }).join('')}</tbody></table>`;
}

function jobFacts(job, stat, summary) {
  return [
    ['Command', html`<code>${job.command}</code>`],
    [job.parents?.length ? 'Parents' : 'Schedule', scheduleCell(job)],
    ['Time zone', job.scheduleTimeZone || '—'],
    ['Next run', nextRun(job, summary)],
    ['State', stateBadge(job, summary?.state)],
    ['Runs', `${job.successCount} succeeded, ${job.errorCount} failed (${job.errorsSinceLastSuccess} since the last success), ${stat.skippedCount ?? 0} skipped`],
    ['Last success', when(job.lastSuccess)],
    ['Last failure', when(job.lastError)],
    ['Retries, epsilon', `${job.retries}, ${job.epsilon}`],
    ['Resources', `cpus ${fmtNumber(job.cpus)}, mem ${fmtMB(job.mem)}, disk ${fmtMB(job.disk || 0)}`],
    ['Owner', job.owner || '—'],
    ['Actions', controls(job)],
  ];
}

// #/jobs/<name>: one job's definition and state, its buttons, and its runs (newest first).
export function jobPage({ setPage, every, model, definitionList, sandboxHref }, name) {
  setPage(`Job ${name}`, `<div id="job-info"><p class="empty">Loading…</p></div>
    <p class="note" id="jobs-note" role="status"></p><h2>Runs</h2><div id="job-runs"></div>`);
  const base = jobsBase(model, null);
  const note = (text, bad) => showNote('jobs-note', text, bad);
  const sandboxOf = (run) => {
    const framework = [...model.frameworks.values()].find((f) => f.framework_info?.name === JOBS.framework);
    const id = framework?.framework_info?.id?.value;
    return id && run.agentId && run.state !== 'QUEUED' ? sandboxHref(id, run.taskId) : '';
  };
  const render = (job, stat, summary) => {
    const info = document.getElementById('job-info');
    if (!info) return;
    info.innerHTML = definitionList(jobFacts(job, stat, summary));
    wireControls(info, base, (text, bad, deleted) => {
      note(text, bad);
      if (deleted) location.hash = '#/jobs';
    });
    document.getElementById('job-runs').innerHTML = runTable(stat.taskStatHistory || [], sandboxOf);
  };
  const stop = every(2000, async (stopped) => {
    if (!base) {
      document.getElementById('job-info').innerHTML = '<p class="empty">No plateau-jobs known: see <a href="#/jobs">Jobs</a>.</p>';
      return;
    }
    try {
      const [job, stat, summary] = await Promise.all([serviceCall(base, 'GET', jobPath(name)),
        serviceCall(base, 'GET', `${API}/job/stat/${encodeURIComponent(name)}`),
        serviceCall(base, 'GET', `${API}/jobs/summary`)]);
      const mine = (summary?.jobs || []).find((s) => s.name === name);
      if (!stopped()) render(job, stat, mine);
    } catch (e) {
      if (!stopped()) document.getElementById('job-info').innerHTML = `<p class="empty error">${esc(e.message)}</p>`;
    }
  });
  return { update() {}, destroy() { stop(); } };
}
