// Apps pages: plateau-apps (Marathon's REST API) seen from the master's UI. The browser calls
// plateau-apps directly (it answers with Access-Control-Allow-Origin). Its address comes from,
// in order: ?apps=host:port on the route, the address saved on this page (localStorage), the
// webui_url of a framework named plateau-apps (plateau-apps --webui_url, as ./dev run sets).

import { esc, html, raw, fmtNumber, fmtMB, stateClass } from './util.js';
import {
  serviceBase, serviceCall, isoAgo, showNote, renderSource, listPlaceholder,
} from './service.js';

const APPS = { param: 'apps', storageKey: 'plateau.apps', framework: 'plateau-apps' };

// The base URL ("http://host:port") of plateau-apps, or '' when none is known.
const appsBase = (model, params) => serviceBase(APPS, model, params);
const appsCall = serviceCall;

const appPath = (id) => `/v2/apps${id.startsWith('/') ? '' : '/'}${id}`;
const appHref = (id) => `#/apps/${encodeURIComponent(id)}`;

function statusOf(app) {
  if (app.deployments?.length) return 'Deploying';
  if (app.instances === 0) return 'Suspended';
  if (app.tasksRunning < app.instances) return 'Waiting';
  return 'Running';
}

// The scale field and the Scale and Restart buttons for one app.
function controls(app) {
  return html`<span class="app-controls" data-app="${app.id}">
    <input class="scale-input" type="number" min="0" value="${app.instances}" aria-label="Instances of ${app.id}">
    <button class="scale" data-app="${app.id}">Scale</button>
    <button class="restart" data-app="${app.id}">Restart</button></span>`;
}

// Wires the buttons inside `root` (once per render); `done` shows what happened.
function wireControls(root, base, done) {
  for (const button of root.querySelectorAll('button.scale, button.restart')) {
    button.addEventListener('click', async () => {
      const id = button.dataset.app;
      button.disabled = true;
      try {
        let answer;
        if (button.classList.contains('scale')) {
          const input = button.parentElement.querySelector('.scale-input');
          const instances = Number(input.value);
          answer = await appsCall(base, 'PUT', appPath(id), { instances });
          done(`Scaling ${id} to ${instances} (deployment ${answer?.deploymentId || '—'})`, false);
        } else {
          answer = await appsCall(base, 'POST', `${appPath(id)}/restart`);
          done(`Restarting ${id} (deployment ${answer?.deploymentId || '—'})`, false);
        }
      } catch (e) {
        done(`${id}: ${e.message}`, true);
      } finally {
        button.disabled = false;
      }
    });
  }
}

function deploymentTable(deployments) {
  if (!deployments.length) return '<p class="empty">No deployment in progress.</p>';
  return `<table class="list deployments"><thead><tr><th>ID</th><th>Apps</th><th>Action</th>
    <th>Step</th><th>Started</th></tr></thead><tbody>${deployments.map((d) => html`<tr data-deployment="${d.id}">
      <td class="id" data-label="ID">${d.id}</td>
      <td data-label="Apps">${raw((d.affectedApps || []).map((a) => html`<a href="${appHref(a)}">${a}</a>`.__raw).join(', '))}</td>
      <td data-label="Action">${(d.currentActions || []).map((a) => a.action).join(', ') || '—'}</td>
      <td data-label="Step">${d.currentStep} / ${d.totalSteps}</td>
      <td data-label="Started">${isoAgo(d.version)}</td></tr>`.__raw).join('')}</tbody></table>`;
}

// #/apps: every app with its instance and health counts, and the deployments in progress.
export function appsPage({ setPage, every, model, params }) {
  setPage('Apps', `<p class="note" id="apps-source"></p><div id="apps-form"></div>
    <p class="note" id="apps-note" role="status"></p>
    <div id="apps-list"><p class="empty">Loading…</p></div>
    <h2>Deployments in progress</h2><div id="deployments"></div>`);
  let base = appsBase(model, params);
  let apps = null;
  let deployments = [];
  let error = '';
  const note = (text, bad) => showNote('apps-note', text, bad);
  const render = () => {
    const list = document.getElementById('apps-list');
    if (!list) return;
    renderSource(APPS, base, () => { base = appsBase(model, null); apps = null; reload(); });
    const emptyHtml = '<p class="empty">No apps. Deploy one with <code>plateau app add FILE</code> or POST /v2/apps.</p>';
    if (listPlaceholder(list, { base, error, items: apps, emptyHtml })) {
      // Keep what is being typed in a scale field across refreshes.
      const focused = document.activeElement?.closest?.('.app-controls')?.dataset.app;
      if (focused) return;
      list.innerHTML = `<table class="list apps"><thead><tr><th>ID</th><th>Status</th><th>Running</th>
        <th>Staged</th><th>Healthy</th><th>CPUs</th><th>Memory</th><th></th></tr></thead><tbody>${
        apps.map((a) => html`<tr data-app="${a.id}">
          <td class="id" data-label="ID"><a href="${appHref(a.id)}">${a.id}</a></td>
          <td class="app-status" data-label="Status">${statusOf(a)}</td>
          <td class="running" data-label="Running">${a.tasksRunning} / ${a.instances}</td>
          <td data-label="Staged">${a.tasksStaged}</td>
          <td class="healthy" data-label="Healthy">${a.tasksHealthy} / ${a.tasksHealthy + a.tasksUnhealthy}</td>
          <td data-label="CPUs">${fmtNumber(a.cpus)}</td>
          <td data-label="Memory">${fmtMB(a.mem)}</td>
          <td data-label="">${controls(a)}</td></tr>`.__raw).join('')}</tbody></table>`;
      wireControls(list, base, (text, bad) => { note(text, bad); reload(); });
    }
    document.getElementById('deployments').innerHTML = base ? deploymentTable(deployments) : '';
  };
  let stop = () => {};
  const reload = () => {
    stop();
    stop = every(2000, async (stopped) => {
      if (!base) base = appsBase(model, null);
      if (!base) { render(); return; }
      try {
        const [a, d] = await Promise.all([appsCall(base, 'GET', '/v2/apps'), appsCall(base, 'GET', '/v2/deployments')]);
        apps = (a.apps || []).sort((x, y) => x.id.localeCompare(y.id));
        deployments = d || [];
        error = '';
      } catch (e) {
        error = `Cannot read ${base}/v2/apps: ${e.message}`;
      }
      if (!stopped()) render();
    });
  };
  reload();
  return { update() {}, destroy() { stop(); } };
}

// #/apps/<id>: one app, its tasks (linked to their sandboxes) and versions.
export function appPage({ setPage, every, model, definitionList, sandboxHref }, id) {
  setPage(`App ${id}`, `<div id="app-info"><p class="empty">Loading…</p></div>
    <p class="note" id="apps-note" role="status"></p>
    <h2>Tasks</h2><div id="app-tasks"></div><h2>Versions</h2><div id="app-versions"></div>`);
  const base = appsBase(model, null);
  let frameworkId = '';
  const note = (text, bad) => showNote('apps-note', text, bad);
  const render = (app, versions) => {
    const info = document.getElementById('app-info');
    if (!info) return;
    if (!document.activeElement?.closest?.('.app-controls')) {
      info.innerHTML = definitionList([
        ['Command', app.cmd || (app.args || []).join(' ') || '—'],
        ['Status', statusOf(app)],
        ['Instances', `${app.tasksRunning} running of ${app.instances} (${app.tasksStaged} staged, ${app.tasksHealthy} healthy, ${app.tasksUnhealthy} unhealthy)`],
        ['Resources', `cpus ${fmtNumber(app.cpus)}, mem ${fmtMB(app.mem)}, disk ${fmtMB(app.disk || 0)}`],
        ['Version', `${app.version} (${isoAgo(app.version)})`],
        ['Deployments', (app.deployments || []).map((d) => d.id).join(', ') || '—'],
        ['Actions', controls(app)],
      ]);
      wireControls(info, base, (text, bad) => note(text, bad));
    }
    const tasks = app.tasks || [];
    document.getElementById('app-tasks').innerHTML = tasks.length
      ? `<table class="list app-tasks"><thead><tr><th>ID</th><th>State</th><th>Health</th><th>Host</th>
        <th>Ports</th><th>Started</th><th></th></tr></thead><tbody>${tasks.map((t) => {
        const alive = (t.healthCheckResults || []).map((h) => h.alive);
        const health = alive.length ? (alive.every(Boolean) ? 'healthy' : 'unhealthy') : '—';
        const sandbox = frameworkId
          ? html`<a class="sandbox-link" href="${sandboxHref(frameworkId, t.id)}">Sandbox</a>` : raw('');
        return html`<tr data-task="${t.id}"><td class="id" data-label="ID">${t.id}</td>
          <td class="task-state" data-label="State"><span class="state ${stateClass(t.state)}">${t.state}</span></td>
          <td data-label="Health">${health}</td><td data-label="Host">${t.host}</td>
          <td data-label="Ports">${(t.ports || []).join(', ') || '—'}</td>
          <td data-label="Started">${isoAgo(t.startedAt)}</td><td data-label="">${sandbox}</td></tr>`.__raw;
      }).join('')}</tbody></table>`
      : '<p class="empty">No tasks.</p>';
    document.getElementById('app-versions').innerHTML = `<ul class="versions">${
      versions.map((v) => html`<li data-version="${v}">${v} (${isoAgo(v)})</li>`.__raw).join('')}</ul>`;
  };
  const stop = every(2000, async (stopped) => {
    if (!base) {
      document.getElementById('app-info').innerHTML = '<p class="empty">No plateau-apps known: see <a href="#/apps">Apps</a>.</p>';
      return;
    }
    try {
      if (!frameworkId) frameworkId = (await appsCall(base, 'GET', '/v2/info'))?.frameworkId || '';
      const [shown, versions] = await Promise.all([
        appsCall(base, 'GET', appPath(id)), appsCall(base, 'GET', `${appPath(id)}/versions`)]);
      if (!stopped()) render(shown.app, versions.versions || []);
    } catch (e) {
      if (!stopped()) document.getElementById('app-info').innerHTML = `<p class="empty error">${esc(e.message)}</p>`;
    }
  });
  return { update() {}, destroy() { stop(); } };
}
