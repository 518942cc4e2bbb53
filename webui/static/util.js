// Small helpers shared by the pages.

import { authFetch } from './auth.js';

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Escapes text for use inside HTML (element content or quoted attribute values).
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// Tagged template that escapes every interpolated value unless it is wrapped in raw().
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    if (v && v.__raw !== undefined) out += v.__raw;
    else if (Array.isArray(v)) out += v.map((x) => (x && x.__raw !== undefined ? x.__raw : esc(x))).join('');
    else out += esc(v);
    out += strings[i + 1];
  });
  return { __raw: out };
}
export const raw = (s) => ({ __raw: s });

// Sums Mesos Resource objects (v1 JSON) into {cpus, mem, disk, gpus, ports...} scalars.
export function scalars(resources) {
  const out = {};
  for (const r of resources || []) {
    if (r.type === 'SCALAR' || (r.scalar && r.type === undefined)) {
      out[r.name] = (out[r.name] || 0) + (r.scalar?.value || 0);
    }
  }
  return out;
}

export function fmtNumber(n, digits = 2) {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  return Number.isInteger(n) ? String(n) : n.toFixed(digits).replace(/\.?0+$/, '');
}

// Megabytes as Mesos counts memory and disk.
export function fmtMB(mb) {
  if (mb === undefined || mb === null) return '—';
  if (mb >= 1024 * 1024) return `${fmtNumber(mb / 1024 / 1024)} TB`;
  if (mb >= 1024) return `${fmtNumber(mb / 1024)} GB`;
  return `${fmtNumber(mb)} MB`;
}

export function fmtBytes(b) {
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${fmtNumber(b / 1024, 1)} KB`;
  return `${fmtNumber(b / 1024 / 1024, 1)} MB`;
}

export function fmtResources(s) {
  const parts = [];
  if (s.cpus !== undefined) parts.push(`${fmtNumber(s.cpus)} CPUs`);
  if (s.mem !== undefined) parts.push(fmtMB(s.mem));
  if (s.disk !== undefined) parts.push(`${fmtMB(s.disk)} disk`);
  if (s.gpus) parts.push(`${fmtNumber(s.gpus)} GPUs`);
  return parts.join(', ') || '—';
}

// One formatter for all (toLocaleString builds a new one per call: slow for 10,000 rows).
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

// A v1 TimeInfo ({nanoseconds}) or seconds as a local date-time.
export function fmtTime(t) {
  let seconds = t;
  if (t && typeof t === 'object') seconds = Number(t.nanoseconds) / 1e9;
  if (!seconds) return '—';
  return DATE_TIME.format(new Date(seconds * 1000));
}

export function ago(seconds) {
  if (!seconds) return '—';
  const d = Math.max(0, Date.now() / 1000 - seconds);
  if (d < 60) return `${Math.floor(d)}s ago`;
  if (d < 3600) return `${Math.floor(d / 60)}m ago`;
  if (d < 86400) return `${Math.floor(d / 3600)}h ago`;
  return `${Math.floor(d / 86400)}d ago`;
}

export function stateClass(state) {
  switch (state) {
    case 'TASK_RUNNING': return 'ok';
    case 'TASK_FINISHED': return 'done';
    case 'TASK_STAGING': case 'TASK_STARTING': case 'TASK_KILLING': return 'pending';
    default: return 'bad';
  }
}

export const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST',
  'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);

// Calls the operator API with a JSON body; resolves to {status, body} (body parsed if JSON).
export async function operatorCall(call) {
  const response = await authFetch('/api/v1', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(call),
  });
  const text = await response.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON: an error message */ }
  return { status: response.status, body };
}

export async function getJSON(url) {
  const response = await authFetch(url, { headers: { Accept: 'application/json' } });
  const text = await response.text();
  if (!response.ok) {
    const error = new Error(text || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return JSON.parse(text);
}

// The container image a task's ContainerInfo (v1 JSON, as GET_STATE and /master/state carry it)
// names: {name, type, label}, or null for a task without one. A Mesos container's image is
// `mesos.image` (type DOCKER or APPC, named in `docker.name` / `appc.name`); a Docker-type
// container names its image in `docker.image`.
export function containerImage(container) {
  const image = container?.mesos?.image;
  if (image) {
    const type = image.type || (image.appc ? 'APPC' : 'DOCKER');
    const name = type === 'APPC' ? image.appc?.name : image.docker?.name;
    if (name) return { name, type, label: `${type} image` };
  }
  if (container?.docker?.image) {
    return { name: container.docker.image, type: 'DOCKER', label: 'DOCKER container' };
  }
  return null;
}
