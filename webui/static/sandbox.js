// The sandbox page of one task (#/sandbox/<framework>/<task>): the task's facts (its image
// among them), then its sandbox on the agent. What it shares with the other pages comes in
// `context` from app.js.

import { esc, fmtBytes, fmtTime, getJSON } from './util.js';

// A task's sandbox on its agent: a file browser (/files/browse) and a live tail of one file
// (/files/read from the last offset, every second). The browser talks to the agent directly,
// which allows it with Access-Control-Allow-Origin.
export function sandboxPage(context, frameworkId, taskId, params) {
  const {
    setPage, model, definitionList, stateBadge, frameworkLink, agentLink, agentAddress, imageCell,
  } = context;
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
        ...(task.container ? [['Image', imageCell(task)]] : []),
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
