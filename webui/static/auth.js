// Signing in to a master that authenticates its endpoints (docs/security.md): every request of
// the UI to the master goes through authFetch(), which sends the Authorization header kept in
// sessionStorage (gone when the tab closes): HTTP Basic with a principal and secret, or an
// operator's bearer token (a JWT, for a master with --operator_jwt_secret_key or
// --operator_jwt_public_key). A 401 shows a login form asking for either, and the request is
// retried with what was entered.

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

// The Authorization value for what the form holds: the token when one was entered ("Bearer "
// pasted in front of it is dropped), else principal and secret; '' when neither was.
export function authorizationFrom({ principal = '', secret = '', token = '' }) {
  const bearer = token.trim().replace(/^bearer\s+/i, '');
  if (bearer) return `Bearer ${bearer}`;
  return principal ? basic(principal, secret) : '';
}

// One login form at a time: requests refused while it is open wait for the same answer.
let pending = null;

// Shows the form (with `why`, the master's reason for the 401) and resolves once the user has
// entered a principal and secret or a token (stored), never rejecting: the form stays until
// then. `scheme` is the 401's ('basic' or 'bearer'): a master that takes only tokens asks for
// one first.
function askForCredentials(realm, scheme, why) {
  if (pending) return pending;
  pending = new Promise((resolve) => {
    const overlay = document.createElement('div');
    overlay.className = 'login-overlay';
    overlay.innerHTML = `
      <form class="login" id="login-form" autocomplete="on">
        <h2>Sign in</h2>
        <p class="note">The master asks for credentials${realm ? ` (realm <code>${esc(realm)}</code>)` : ''}.</p>
        ${why ? `<p class="error" id="login-error">${esc(why)}</p>` : ''}
        <label>Principal <input name="principal" id="login-principal" autocomplete="username"></label>
        <label>Secret <input name="secret" id="login-secret" type="password" autocomplete="current-password"></label>
        <p class="or">or</p>
        <label>Bearer token <input name="token" id="login-token" type="password" autocomplete="off"
          spellcheck="false" placeholder="an operator's JWT"></label>
        <p class="error" id="login-missing" hidden>Enter a principal and secret, or a bearer token.</p>
        <button type="submit" id="login-submit">Sign in</button>
      </form>`;
    document.body.appendChild(overlay);
    const form = overlay.querySelector('form');
    form.querySelector(scheme === 'bearer' ? '#login-token' : '#login-principal').focus();
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = authorizationFrom(Object.fromEntries(new FormData(form)));
      if (!value) {
        form.querySelector('#login-missing').hidden = false;
        return;
      }
      sessionStorage.setItem(KEY, value);
      overlay.remove();
      pending = null;
      showSignOut();
      resolve();
    });
  });
  return pending;
}

// The scheme (lower-cased) and realm of a 401's WWW-Authenticate header ('' when none).
function challengeOf(response) {
  const header = response.headers.get('WWW-Authenticate') || '';
  const match = /realm="([^"]*)"/.exec(header);
  return { scheme: header.split(' ')[0].toLowerCase(), realm: match ? match[1] : '' };
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
    const { scheme, realm } = challengeOf(response);
    await askForCredentials(realm, scheme, auth ? why : '');
  }
}
