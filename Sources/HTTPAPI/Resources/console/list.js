// Every assessment, newest first, from any member: status filter, title search, cursor paging,
// and live status of the ones still running (polled while the page is open).
import { json } from './api.js';
import { clear, h, time } from './dom.js';

const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'];

export function listPage(main) {
  const params = new URLSearchParams(location.search);
  const status = h('select', { id: 'filter-status' }, h('option', { value: '' }, 'any status'), STATUSES.map((x) => h('option', { value: x }, x)));
  status.value = params.get('status') || '';
  const search = h('input', { type: 'search', id: 'filter-title', placeholder: 'words in the title', value: params.get('q') || '' });
  const body = h('tbody');
  const more = h('button', { type: 'button', id: 'next-page', hidden: true, onclick: () => load(true) }, 'Older assessments');
  const note = h('p', { class: 'help', 'aria-live': 'polite' });
  main.append(
    h('h1', {}, 'Assessments'),
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); restart(); } },
      h('label', { for: 'filter-status' }, 'Status'), status,
      h('label', { for: 'filter-title' }, 'Title'), search,
      h('button', { type: 'submit' }, 'Filter')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', 'data-testid': 'assessment-list' },
      h('caption', {}, 'Newest first'),
      h('thead', {}, h('tr', {}, ['Title', 'Status', 'Progress', 'Created', 'Id'].map((c) =>
        h('th', { scope: 'col', class: c === 'Id' || c === 'Progress' ? 'opt' : null }, c)))),
      body)),
    note, more);
  status.addEventListener('change', restart);

  let cursor = null;
  let items = [];
  let timer = null;

  function restart() {
    const q = new URLSearchParams();
    if (status.value) q.set('status', status.value);
    if (search.value.trim()) q.set('q', search.value.trim());
    history.replaceState(null, '', `/assessments${q.toString() ? `?${q}` : ''}`);
    cursor = null;
    items = [];
    clear(body);
    load(false);
  }

  async function load(next) {
    const q = new URLSearchParams({ limit: '20' });
    if (status.value) q.set('status', status.value);
    // The title search is the server's (`q`), so paging goes through every match, not one page's.
    if (search.value.trim()) q.set('q', search.value.trim());
    if (next && cursor) q.set('cursor', cursor);
    note.textContent = 'Loading…';
    try {
      const page = await json(`/v1/assessments?${q}`);
      cursor = page.next;
      items = items.concat(page.items);
      more.hidden = !cursor;
      await render();
    } catch (error) { note.textContent = `Cannot list: ${error.message}`; }
  }

  async function render() {
    const words = search.value.trim();
    clear(body);
    let shown = 0;
    for (const item of items) {
      const title = item.title;
      shown++;
      body.append(h('tr', { 'data-id': item.id, 'data-status': item.status },
        h('td', {}, h('a', { href: `/assessments/${encodeURIComponent(item.id)}` }, title || `Assessment ${item.id.slice(0, 8)}`)),
        h('td', {}, h('span', { class: `badge ${item.status}` }, item.status)),
        h('td', { class: 'opt' }, `${item.progress.percent}%`),
        h('td', {}, time(item.created_at)),
        h('td', { class: 'mono opt' }, item.id)));
    }
    note.textContent = `${shown} shown${words ? ` matching "${words}"` : ''}${cursor ? '; more below' : ''}.`;
  }

  // Live status: the unfinished rows are read again every 2 s.
  timer = setInterval(async () => {
    const open = items.filter((x) => !['completed', 'failed', 'cancelled'].includes(x.status));
    if (!open.length) return;
    const fresh = await Promise.all(open.map((x) => json(`/v1/assessments/${encodeURIComponent(x.id)}`).catch(() => x)));
    for (const f of fresh) items[items.findIndex((x) => x.id === f.id)] = f;
    await render();
  }, 2000);

  load(false);
  return () => clearInterval(timer);
}
