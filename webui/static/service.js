// What the pages of a service framework (plateau-apps, plateau-jobs) share: finding the
// service's address, calling its REST API from the browser (it answers with
// Access-Control-Allow-Origin), the address form, the status note and "how long ago".

import { esc } from './util.js';

// A service the UI reaches: `param` is the route parameter giving its address (?apps=host:port),
// `storageKey` where an address typed on the page is kept (localStorage), `framework` the
// name of its framework, whose webui_url is the address when none was given.
//   { param: 'apps', storageKey: 'plateau.apps', framework: 'plateau-apps' }

// The base URL ("http://host:port") of the service, or '' when none is known. In order: the
// route parameter (saved), the saved address, the webui_url of an active framework so named.
export function serviceBase(service, model, params) {
  const given = params?.get(service.param);
  if (given) {
    localStorage.setItem(service.storageKey, given);
  }
  const saved = given || localStorage.getItem(service.storageKey);
  if (saved) return saved.includes('://') ? saved.replace(/\/$/, '') : `http://${saved}`;
  for (const f of model.frameworks.values()) {
    const info = f.framework_info || {};
    if (info.name === service.framework && info.webui_url && f.active !== false) {
      return info.webui_url.replace(/\/$/, '');
    }
  }
  return '';
}

// One call: the parsed JSON answer (null for an empty one), or an Error carrying the
// service's message (Marathon's `message`, `details` and `deployments`; Chronos's plain text).
export async function serviceCall(base, method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!response.ok) {
    let message = parsed?.message || text || `${response.status} ${response.statusText}`;
    for (const d of parsed?.details || []) message += ` (${d.path}: ${(d.errors || []).join('; ')})`;
    if (parsed?.deployments?.length) {
      message += ` (deployment ${parsed.deployments.map((d) => d.id).join(', ')})`;
    }
    const error = new Error(`HTTP ${response.status}: ${message}`);
    error.status = response.status;
    throw error;
  }
  return parsed;
}

// "12s ago", "3m ago", ... for an ISO 8601 time; '—' for none.
export function isoAgo(iso) {
  const t = Date.parse(iso || '');
  if (!t) return '—';
  const d = Math.max(0, (Date.now() - t) / 1000);
  if (d < 60) return `${Math.floor(d)}s ago`;
  if (d < 3600) return `${Math.floor(d / 60)}m ago`;
  if (d < 86400) return `${Math.floor(d / 3600)}h ago`;
  return `${Math.floor(d / 86400)}d ago`;
}

// The form where an address is typed, with id `${service.param}-address`.
function addressForm(service, base) {
  const id = `${service.param}-address`;
  return `<form id="${id}" class="filters">
    <input id="${id}-input" placeholder="${esc(service.framework)} host:port" value="${esc(base.replace(/^https?:\/\//, ''))}">
    <button type="submit">Use</button></form>`;
}

// Saves (or forgets, when empty) the address typed in the form, then calls `onChange`.
function wireAddressForm(service, onChange) {
  const id = `${service.param}-address`;
  document.getElementById(id).addEventListener('submit', (event) => {
    event.preventDefault();
    const value = document.getElementById(`${id}-input`).value.trim();
    if (value) localStorage.setItem(service.storageKey, value); else localStorage.removeItem(service.storageKey);
    onChange();
  });
}

// Shows `text` in the element `id` (a status line), red when `bad`.
export function showNote(id, text, bad) {
  const el = document.getElementById(id);
  if (!el) return;
  el.textContent = text;
  el.classList.toggle('error', bad);
}

// The list page's source line (`${param}-source`) and address form (in `${param}-form`,
// built once; `onChange` after an address is saved).
export function renderSource(service, base, onChange) {
  const { param, framework } = service;
  document.getElementById(`${param}-source`).textContent = base
    ? `${framework} at ${base}` : `No ${framework} known: give its address (host:port).`;
  if (!document.getElementById(`${param}-address`)) {
    document.getElementById(`${param}-form`).innerHTML = addressForm(service, base);
    wireAddressForm(service, onChange);
  }
  const input = document.getElementById(`${param}-address-input`);
  if (base && !input.value && document.activeElement !== input) {
    input.value = base.replace(/^https?:\/\//, '');
  }
}

// Fills `list` with the error, "Loading…" (items null) or `emptyHtml` (no items) and returns
// false; returns true, leaving `list` alone, when there are items to show.
export function listPlaceholder(list, { base, error, items, emptyHtml }) {
  if (error) {
    list.innerHTML = `<p class="empty error">${esc(error)}</p>`;
  } else if (items === null) {
    list.innerHTML = base ? '<p class="empty">Loading…</p>' : '';
  } else if (!items.length) {
    list.innerHTML = emptyHtml;
  } else {
    return true;
  }
  return false;
}
