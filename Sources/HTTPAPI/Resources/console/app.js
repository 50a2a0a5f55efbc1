// The console's entry point: one shell for every page, drawn from the URL, so a bookmarked
// /assessments/{id} works on any member (docs/console.md).
import { clear, h } from './dom.js';
import { json, onServingChange, onUnauthorized, refreshMembers, token } from './api.js';
import { newAssessmentPage } from './form.js';
import { assessmentPage } from './assessment.js';
import { listPage } from './list.js';
import { clusterPage } from './cluster.js';

const main = document.getElementById('main');
export const session = { tokenRequired: false, canSubmit: true, role: null, tenant: null, listeners: new Set() };
let teardown = null;

async function loadSession() {
  try {
    const body = await json('/v1/session', { noPrompt: true });
    session.tokenRequired = body.token_required;
    session.canSubmit = body.can_submit;
    session.role = body.role ?? null;
    session.tenant = body.tenant ?? null;
  } catch { /* keep the last known */ }
  const button = document.getElementById('token-button');
  button.hidden = !session.tokenRequired;
  const who = session.role ? `${session.role} of ${session.tenant} — change token` : 'Token refused — enter again';
  button.textContent = token.get() ? who : 'Enter token';
  for (const fn of session.listeners) fn(session);
}

/// With tokens configured and none kept for this tab, ask once before the page reads anything
/// (every read needs a token; docs/security.md).
async function ensureToken() {
  await loadSession();
  if (session.tokenRequired && !token.get()) await askToken();
}

function askToken() {
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  input.value = '';
  document.getElementById('token-error').textContent = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', async () => {
      if (dialog.returnValue === 'ok' && input.value) {
        token.set(input.value.trim());
        await loadSession();
        resolve(true);
      } else resolve(false);
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
}

let prompting = null;
onUnauthorized(() => {
  prompting ||= askToken().finally(() => { prompting = null; });
  return prompting;
});

document.getElementById('token-button').addEventListener('click', () => askToken());

onServingChange(({ node, origin, note }) => {
  const el = document.querySelector('[data-testid="serving-node"]');
  clear(el).append('Served by ', h('strong', {}, node || '…'), ` (${origin.replace(/^https?:\/\//, '')})`);
  if (note) el.append(h('span', { class: 'note' }, ` — ${note}`));
  el.dataset.node = node || '';
});

export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
  // A new page: start at its top, and move keyboard and screen-reader focus to it.
  window.scrollTo(0, 0);
  main.focus({ preventScroll: true });
}

function route() {
  if (teardown) { teardown(); teardown = null; }
  const path = location.pathname.replace(/\/+$/, '') || '/';
  clear(main);
  let page = 'new';
  let m;
  if (path === '/') teardown = newAssessmentPage(main, session);
  else if (path === '/assessments') { page = 'list'; teardown = listPage(main); }
  else if ((m = /^\/assessments\/([^/]+)$/.exec(path))) { page = 'list'; teardown = assessmentPage(main, decodeURIComponent(m[1]), session); }
  else if (path === '/cluster') { page = 'cluster'; teardown = clusterPage(main); }
  else main.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/' }, 'Back to the console')));
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// Links inside the console change the page without a reload; the URL stays a real one.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/v1/') || url.pathname.startsWith('/console/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', route);

// The member list feeds failover, and its refresh is what notices a hung member (no answer within
// the 2 s read timeout): every 1.5 s keeps a switch under 5 s (docs/console.md, "Failover").
async function keepMembers() {
  try { await refreshMembers(); } catch { /* request() already tried every member */ }
}
setInterval(keepMembers, 1500);
ensureToken().finally(() => { keepMembers(); route(); });
