// One assessment, live over SSE: progress, one row per agent as a timeline (when it started and
// finished, on which node, and the requeue when a node died), then the report.
import { APIError, base, json, watch } from './api.js';
import { bars, projection, stacked } from './charts.js';
import { clear, h, markdown, num, time, usd } from './dom.js';

const FINAL = ['completed', 'failed', 'cancelled'];
// The API's agent states, in the console's words (docs/console.md): `succeeded` shows as completed.
const AGENT_STATE = { waiting: 'waiting', running: 'running', succeeded: 'completed', failed: 'failed' };

export function assessmentPage(main, id, session) {
  const title = h('h1', {}, `Assessment ${id}`);
  const badge = h('span', { class: 'badge' }, '…');
  const meta = h('p', { class: 'meta' });
  const bar = h('div', { class: 'bar' });
  const progress = h('div', {
    class: 'progress', role: 'progressbar', 'data-testid': 'progress', 'aria-label': 'Progress',
    'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0,
  }, bar);
  const step = h('p', { class: 'step', 'aria-live': 'polite' });
  const cancel = h('button', { type: 'button', class: 'danger', hidden: true, onclick: doCancel }, 'Cancel assessment');
  const rows = h('tbody');
  const reportBox = h('section', { class: 'report-box', 'aria-label': 'Report' });
  const problem = h('p', { class: 'field-error', role: 'alert' });
  main.append(
    h('div', { class: 'title-row' }, title, badge),
    meta,
    h('section', { class: 'live', 'aria-labelledby': 'progress-title' },
      h('h2', { id: 'progress-title' }, 'Progress'),
      progress, step, cancel, problem,
      h('div', { class: 'table-wrap' },
        h('table', { class: 'agents' },
          h('caption', {}, 'Agents, with the node that ran each and when'),
          h('thead', {}, h('tr', {}, ['Agent', 'State', 'Attempt', 'Node', 'Started', 'Finished', 'Timeline'].map((c) =>
            h('th', { scope: 'col', class: c === 'Started' || c === 'Finished' ? 'opt' : null }, c)))),
          rows))),
    reportBox);

  const agents = new Map();
  let first = null;
  let last = null;
  let current = null;
  let reportShown = false;

  // The times are the owner's (`started_at`/`finished_at` of each agent's latest attempt), so a page
  // opened late, or on another node, draws the same timeline. An attempt the page saw that was
  // replaced by a later one without a result of its own was requeued (its node died or it threw).
  function seen(body) {
    for (const a of body.progress.agents) {
      let t = agents.get(a.name);
      if (!t) {
        t = { segments: [] };
        agents.set(a.name, t);
      }
      t.agent = a;
      const start = a.started_at ? Date.parse(a.started_at) : null;
      if (start === null) continue;
      const end = a.finished_at ? Date.parse(a.finished_at) : null;
      let open = t.segments[t.segments.length - 1];
      if (!open || open.attempt !== a.attempts) {
        if (open && !open.outcome) {
          open.end ??= start;
          open.outcome = 'requeued';
        }
        open = { node: a.node, attempt: a.attempts, start, end: null, outcome: null };
        t.segments.push(open);
      }
      open.node = a.node ?? open.node;
      open.start = start;
      if (end !== null && a.state !== 'running') {
        open.end = end;
        open.outcome = a.state === 'waiting' ? 'requeued' : a.state;
      }
    }
    const times = [...agents.values()].flatMap((t) => t.segments.flatMap((x) => [x.start, x.end]))
      .filter((x) => x !== null);
    const updated = Date.parse(body.updated_at);
    if (!Number.isNaN(updated)) times.push(updated);
    first = times.length ? Math.min(...times) : null;
    last = times.length ? Math.max(...times) : null;
  }

  function draw(body) {
    current = body;
    if (body.title) title.textContent = body.title;
    badge.textContent = body.status;
    badge.className = `badge ${body.status}`;
    meta.textContent = `Created ${time(body.created_at)} · updated ${time(body.updated_at)}`;
    const pct = Math.max(0, Math.min(100, body.progress.percent));
    progress.setAttribute('aria-valuenow', pct);
    progress.setAttribute('aria-valuetext', `${pct}%`);
    bar.style.width = `${pct}%`;
    step.textContent = `${pct}%${body.progress.step ? ` — ${body.progress.step}` : ''}`;
    cancel.hidden = FINAL.includes(body.status) || !session.canSubmit;
    if (body.error) problem.textContent = `Failed: ${body.error}`;
    const span = Math.max(1, (last ?? 0) - (first ?? 0));
    clear(rows);
    for (const [name, t] of agents) {
      const a = t.agent;
      const state = AGENT_STATE[a.state] || a.state;
      const known = t.segments.filter((x) => x.start);
      const started = known[0]?.start;
      const finished = t.segments[t.segments.length - 1]?.end;
      const timeline = h('div', { class: 'timeline' }, known.map((x) => {
        const left = ((x.start - first) / span) * 100;
        const width = Math.max(1.5, (((x.end ?? last) - x.start) / span) * 100);
        const seg = h('span', { class: `seg ${x.outcome || 'running'}`, title: `${x.node || '?'} attempt ${x.attempt}: ${x.outcome || 'running'}` }, x.node || '');
        seg.style.left = `${left}%`;
        seg.style.width = `${Math.min(width, 100 - left)}%`;
        return seg;
      }));
      const requeues = t.segments.filter((x) => x.outcome === 'requeued').map((x) => `requeued from ${x.node || '?'}`);
      rows.append(h('tr', { 'data-testid': 'agent-row', 'data-agent': name, 'data-state': state },
        h('th', { scope: 'row' }, name),
        h('td', {}, h('span', { class: `state ${state}` }, state)),
        h('td', {}, num(a.attempts)),
        h('td', {}, a.node || '—', requeues.length ? h('span', { class: 'requeue' }, ` (${requeues.join(', ')})`) : null),
        h('td', { class: 'opt' }, started ? new Date(started).toLocaleTimeString() : '—'),
        h('td', { class: 'opt' }, finished ? new Date(finished).toLocaleTimeString() : '—'),
        h('td', { class: 'timeline-cell' }, timeline)));
    }
    if (body.status === 'completed' && !reportShown) {
      reportShown = true;
      loadReport();
    }
  }

  async function doCancel() {
    cancel.disabled = true;
    try { draw(await json(`/v1/assessments/${encodeURIComponent(id)}`, { method: 'DELETE' })); }
    catch (error) { problem.textContent = `Not cancelled: ${error.message}`; }
    finally { cancel.disabled = false; }
  }

  async function loadReport() {
    clear(reportBox).append(h('p', {}, 'Loading the report…'));
    try {
      const report = await json(`/v1/assessments/${encodeURIComponent(id)}/report`);
      clear(reportBox).append(renderReport(report, id));
      // Charts are drawn for the width at hand: drawn again when the page crosses the phone width.
      phone.onchange = () => clear(reportBox).append(renderReport(report, id));
      title.textContent = report.title || title.textContent;
      document.title = `${report.title || id} — InfraMind`;
    } catch (error) {
      clear(reportBox).append(h('p', { class: 'field-error', role: 'alert' }, `Cannot load the report: ${error.message}`));
    }
  }

  const phone = window.matchMedia('(max-width: 600px)');
  const onSession = () => current && draw(current);
  session.listeners.add(onSession);
  document.title = `Assessment ${id} — InfraMind`;
  // The current state first (works for one that finished long ago), then live updates.
  json(`/v1/assessments/${encodeURIComponent(id)}`).then((body) => { seen(body); draw(body); }).catch((error) => {
    problem.textContent = error instanceof APIError && error.status === 404 ? `No assessment ${id}.` : error.message;
  });
  const stop = watch(`/v1/assessments/${encodeURIComponent(id)}/events`, (kind, body) => {
    if (kind === 'progress') { seen(body); draw(body); }
    else problem.textContent = body?.error?.message || 'the event stream failed';
  });
  return () => { stop(); session.listeners.delete(onSession); phone.onchange = null; };
}

function card(label, value, testid, raw) {
  return h('div', { class: 'card', 'data-testid': testid, 'data-value': raw ?? null }, h('p', { class: 'card-label' }, label), h('p', { class: 'card-value' }, value));
}

const sum = (lines) => (Array.isArray(lines) ? lines.reduce((a, l) => a + (typeof l.monthly_usd === 'number' ? l.monthly_usd : 0), 0) : 0);

/// Looks for a table the report may carry under any agent or at the top (new fields are welcome).
function findTable(report, key) {
  if (Array.isArray(report[key])) return report[key];
  for (const agent of Object.values(report.agents || {})) {
    if (Array.isArray(agent?.data?.[key])) return agent.data[key];
    if (Array.isArray(agent?.data?.[key]?.rows)) return agent.data[key].rows;
  }
  return null;
}

function genericTable(rows) {
  const keys = [...new Set(rows.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : [])))];
  const cell = (v) => (typeof v === 'number' ? num(v, 2) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '—'));
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, keys.map((k) => h('th', { scope: 'col' }, k.replace(/_/g, ' '))))),
    h('tbody', {}, rows.map((r) => h('tr', {}, keys.map((k) => h('td', {}, cell(r?.[k]))))))));
}

export function renderReport(report, id) {
  const s = report.summary || {};
  const out = h('article', { class: 'report', 'data-testid': 'report' });
  const downloads = h('p', { class: 'downloads' }, 'Download: ', ['json', 'markdown', 'html'].map((f, i) => [
    i ? ' · ' : '',
    h('a', { href: `${base()}/v1/assessments/${encodeURIComponent(id)}/report?format=${f}`, download: `inframind-${id}.${f === 'markdown' ? 'md' : f}` }, f.toUpperCase()),
  ]), ' · ', h('button', { type: 'button', class: 'link', onclick: () => window.print() }, 'Print / PDF'));
  out.append(h('h2', {}, 'Report'), downloads);

  out.append(h('div', { class: 'cards' },
    card('Monthly cost', usd(s.estimated_monthly_cost_usd, 2), 'summary-monthly-cost', s.estimated_monthly_cost_usd),
    card('Three-year TCO', usd(s.three_year_tco_usd), 'summary-tco', s.three_year_tco_usd),
    card('Compliance coverage', typeof s.compliance_score === 'number' ? `${num(s.compliance_score, 1)}%` : '—', 'summary-compliance', s.compliance_score),
    card('Recommended', `${s.recommended_provider ?? '—'} · ${s.recommended_region ?? '—'}`, 'summary-recommended', s.recommended_provider)));

  if (Array.isArray(report.warnings) && report.warnings.length) {
    out.append(h('section', { class: 'warnings', 'aria-labelledby': 'warn-title' }, h('h3', { id: 'warn-title' }, 'Warnings'),
      h('ul', {}, report.warnings.map((w) => h('li', {}, typeof w === 'string' ? w : w.message || w.text || JSON.stringify(w))))));
  }

  const charts = h('div', { class: 'charts' });
  const agents = report.agents || {};
  const providers = agents.cloud_engineer?.data?.providers || [];
  const chosen = providers.find((p) => p.provider === s.recommended_provider) || providers[0];
  const parts = (c) => [
    { name: 'compute', value: c?.compute_usd || 0 }, { name: 'GPU', value: c?.gpu_usd || 0 },
    { name: 'storage', value: sum(c?.storage_lines) }, { name: 'network', value: sum(c?.network_lines) },
  ];
  if (chosen) {
    charts.append(bars(`Monthly cost by category (${chosen.provider}, ${chosen.region})`,
      parts(chosen.cost).map((p) => ({ label: p.name, value: p.value, text: usd(p.value) })),
      { note: (chosen.cost?.unpriced || []).join('; ') || null }));
  }
  if (providers.length) {
    charts.append(stacked('Providers compared (monthly, on demand)', providers.map((p) => ({
      label: `${p.provider} ${p.region || ''}`.trim(), parts: parts(p.cost),
      marker: p.provider === s.recommended_provider ? '★ recommended' : p.feasible === false ? '(cannot host)' : '',
    })), ['compute', 'GPU', 'storage', 'network'], { note: '★ marks the recommended provider; ✕ or "(cannot host)" one that cannot host the plan.' }));
  }
  const sim = agents.simulation?.data;
  if (sim?.horizons?.length) {
    const start = [[0, sim.baseline_monthly_usd ?? sim.horizons[0].p50_usd]];
    const line = (key) => start.concat(sim.horizons.map((x) => [x.month, x[key]]));
    charts.append(projection('Monthly cost projection over 36 months', [
      { name: 'p90', points: line('p90_usd'), cls: 'c3' },
      { name: 'median (p50)', points: line('p50_usd'), cls: 'c1' },
      { name: 'p10', points: line('p10_usd'), cls: 'c2' },
    ], sim.monthly_budget_usd, { note: sim.budget_exceeded_month ? `The budget is exceeded from month ${sim.budget_exceeded_month}.` : null }));
  }
  const frameworks = agents.compliance?.data?.frameworks || [];
  if (frameworks.length) {
    charts.append(bars('Compliance coverage by framework', frameworks.map((f) => ({
      label: f.id, value: (f.coverage ?? 0) * 100,
      text: `${num((f.coverage ?? 0) * 100, 1)}% of ${f.evaluated_controls ?? '?'} controls`,
      textShort: `${num((f.coverage ?? 0) * 100, 1)}%`,
    })), { max: 100, note: frameworks.map((f) => f.scope).filter(Boolean).join(' ') || null }));
  }
  out.append(charts);

  const sensitivity = findTable(report, 'sensitivity');
  if (sensitivity?.length) out.append(h('section', {}, h('h3', {}, 'Sensitivity'), genericTable(sensitivity)));

  if (Array.isArray(report.recommendations) && report.recommendations.length) {
    out.append(h('section', { class: 'recommendations' }, h('h3', {}, 'Recommendations'),
      h('ol', {}, report.recommendations.map((r) => h('li', {},
        h('strong', {}, r.title || ''), r.priority ? h('span', { class: `prio ${r.priority}` }, ` ${r.priority}`) : null,
        r.impact ? h('p', { class: 'help' }, r.impact) : null, r.rationale ? h('p', {}, r.rationale) : null)))));
  }
  for (const section of report.sections || []) {
    out.append(h('section', { class: 'report-section' }, h('h3', {}, section.title || ''), markdown(section.markdown || '')));
  }
  out.append(h('p', { class: 'help' }, `Catalog ${report.catalog_version ?? '?'} (${report.catalog_snapshot_date ?? '?'}), engine ${report.engine_version ?? '?'}.`));
  return out;
}

