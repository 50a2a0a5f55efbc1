// The operator's view: every member with status, incarnation, addresses; and each node's load, which
// the serving node gathers from every member over the cluster (GET /v1/cluster/stats; docs/console.md).
import { APIError, json, serving } from './api.js';
import { bars } from './charts.js';
import { bytes, clear, duration, h, num } from './dom.js';

export function clusterPage(main) {
  const body = h('tbody');
  const statsBody = h('tbody');
  const spread = h('div', { class: 'charts' });
  const note = h('p', { class: 'help', 'aria-live': 'polite' });
  main.append(
    h('h1', {}, 'Cluster'),
    h('section', { 'aria-labelledby': 'members-title' },
      h('h2', { id: 'members-title' }, 'Members'),
      h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'cluster-members' },
        h('caption', {}, 'As the serving node sees them'),
        h('thead', {}, h('tr', {}, ['Member', 'Status', 'Incarnation', 'Cluster address', 'HTTP address', 'Uptime'].map((c) => h('th', { scope: 'col' }, c)))),
        body))),
    h('section', { 'aria-labelledby': 'load-title' },
      h('h2', { id: 'load-title' }, 'Load per node'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'stats' },
        h('thead', {}, h('tr', {}, ['Node', 'Agents running', 'Backlog (owned, unfinished)', 'Completed', 'Per minute', 'Requeues', 'Lease expiries', 'HTTP p99', 'Memory'].map((c) => h('th', { scope: 'col' }, c)))),
        statsBody)),
      spread, note));

  const stats = new Map();

  async function refresh() {
    let cluster;
    // The load needs an admin token when tokens are configured (or metrics_open on the node); the
    // members are shown to every reader.
    let gathered = { members: [], unreachable: [] };
    let refused = null;
    try {
      [cluster, gathered] = await Promise.all([json('/v1/cluster'), json('/v1/cluster/stats').catch((error) => {
        if (error instanceof APIError && (error.status === 401 || error.status === 403)) {
          refused = 'Load per node needs an admin token.';
          return { members: [], unreachable: [] };
        }
        throw error;
      })]);
    } catch (error) { note.textContent = error.message; return; }
    stats.clear();
    for (const st of gathered.members) stats.set(st.node, st);
    clear(body);
    // A restarted node is a new member under the same name; its old incarnation stays listed (down)
    // until the membership forgets it, so the live one comes first.
    const live = (m) => (m.status === 'up' ? 0 : m.status === 'joining' ? 1 : m.status === 'suspect' ? 2 : 3);
    for (const m of [...cluster.members].sort((a, b) => a.id.localeCompare(b.id) || live(a) - live(b))) {
      const st = stats.get(m.id);
      body.append(h('tr', { 'data-testid': 'member-row', 'data-member': m.id, 'data-status': m.status },
        h('th', { scope: 'row' }, m.id, m.id === cluster.self ? h('span', { class: 'tag' }, ' serving') : null),
        h('td', {}, h('span', { class: `badge member-${m.status}` }, m.status)),
        h('td', {}, String(m.incarnation)),
        h('td', { class: 'mono' }, m.cluster_address),
        h('td', { class: 'mono' }, m.http_address || '—'),
        h('td', {}, st ? duration(st.uptime_seconds) : '—')));
    }
    clear(statsBody);
    const rows = [...stats.values()].sort((a, b) => a.node.localeCompare(b.node));
    for (const st of rows) {
      statsBody.append(h('tr', { 'data-node': st.node },
        h('th', { scope: 'row' }, st.node),
        h('td', {}, num(st.agents_running)), h('td', {}, num(st.backlog)), h('td', {}, num(st.completed_total)),
        h('td', {}, st.completed_per_minute == null ? '—' : num(st.completed_per_minute, 1)),
        h('td', {}, num(st.requeues_total)), h('td', {}, num(st.lease_expiries_total)),
        h('td', {}, st.http_p99_seconds == null ? '—' : `≤ ${num(st.http_p99_seconds * 1000, 1)} ms`),
        h('td', {}, bytes(st.memory_rss_bytes))));
    }
    clear(spread);
    if (rows.length) {
      spread.append(bars('Unfinished assessments by owner', rows.map((st) => ({ label: st.node, value: st.backlog, text: num(st.backlog) })), { format: num }),
        bars('Assessments completed by owner', rows.map((st) => ({ label: st.node, value: st.completed_total, text: num(st.completed_total) })), { format: num }));
    }
    const silent = gathered.unreachable.map((u) => `${u.node} (${u.error})`);
    note.textContent = `Updated ${new Date().toLocaleTimeString()} through ${serving().node}.`
      + (silent.length ? ` No load from ${silent.join(', ')}.` : '') + (refused ? ` ${refused}` : '');
  }

  refresh();
  const timer = setInterval(refresh, 2000);
  return () => clearInterval(timer);
}
