// Signing in to a master that authenticates its endpoints (docs/security.md): every request of
// the UI to the master goes through authFetch(), which sends the principal's HTTP Basic
// credentials kept in sessionStorage (gone when the tab closes). A 401 shows a login form asking
// for principal and secret, and the request is retried with what was entered.

import { esc } from './util.js';

const KEY = 'plateau.authorization';

// The Authorization header value in use ('' when signed out).
export function authorization() {
  return globalThis.sessionStorage?.getItem(KEY) || '';
}

// The header's "Sign out" button: shown while credentials are kept; forgets them and reloads.
function showSignOut() {
  const button = globalThis.document?.getElementById('signout');
  if (!button || !authorization()) return;
  button.hidden = false;
  button.onclick = () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  };
}
showSignOut();

// btoa() takes Latin-1 only: encode the UTF-8 bytes of principal:secret.
function basic(principal, secret) {
  const bytes = new TextEncoder().encode(`${principal}:${secret}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

// One login form at a time: requests refused while it is open wait for the same answer.
let pending = null;

// Shows the form (with `why`, the master's reason for the 401) and resolves once the user has
// entered a principal and secret (stored), never rejecting: the form stays until then.
function askForCredentials(realm, why) {
  if (pending) return pending;
  pending = new Promise((resolve) => {
    const overlay = document.createElement('div');
    overlay.className = 'login-overlay';
    overlay.innerHTML = `
      <form class="login" id="login-form" autocomplete="on">
        <h2>Sign in</h2>
        <p class="note">The master asks for credentials${realm ? ` (realm <code>${esc(realm)}</code>)` : ''}.</p>
        ${why ? `<p class="error" id="login-error">${esc(why)}</p>` : ''}
        <label>Principal <input name="principal" id="login-principal" autocomplete="username" required></label>
        <label>Secret <input name="secret" id="login-secret" type="password" autocomplete="current-password" required></label>
        <button type="submit" id="login-submit">Sign in</button>
      </form>`;
    document.body.appendChild(overlay);
    const form = overlay.querySelector('form');
    form.querySelector('input').focus();
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      sessionStorage.setItem(KEY, basic(data.get('principal'), data.get('secret')));
      overlay.remove();
      pending = null;
      showSignOut();
      resolve();
    });
  });
  return pending;
}

// The realm named by a 401's WWW-Authenticate header ('' when none).
function realmOf(response) {
  const header = response.headers.get('WWW-Authenticate') || '';
  const match = /realm="([^"]*)"/.exec(header);
  return match ? match[1] : '';
}

// fetch() for the master's endpoints: with the stored credentials, and on a 401 the login form,
// then the same request again (as often as it takes). `credentials: 'omit'` keeps the browser's
// own Basic prompt away; the Authorization header is set by hand.
export async function authFetch(url, init = {}) {
  for (;;) {
    const headers = { ...(init.headers || {}) };
    const auth = authorization();
    if (auth) headers.Authorization = auth;
    const response = await fetch(url, { ...init, headers, credentials: 'omit' });
    if (response.status !== 401) return response;
    const why = (await response.text()).slice(0, 200);
    await askForCredentials(realmOf(response), auth ? why : '');
  }
}
