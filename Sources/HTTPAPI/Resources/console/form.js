// The new-assessment form, drawn from GET /v1/schema so it cannot drift from the validator:
// required fields marked, enums as selects, arrays of enums as checkboxes, arrays of objects as
// repeatable rows, descriptions as help text. Field ids are the JSON paths the server's 400
// details name (e.g. technical.ai_workloads[0].precision), so each problem lands next to its field.
import { APIError, json, uuid } from './api.js';
import { clear, h } from './dom.js';
import { navigate } from './app.js';

const EXAMPLES = [
  'healthcare-startup-7b', 'bank-eu-70b-fine-tuning', 'enterprise-405b-serving',
  'nonprofit-tight-budget', 'retailer-web-analytics', 'saas-mixtral-32k', 'pretraining-13b',
  'eu-public-sector-residency', 'web-startup-300',
];

const ACRONYMS = {
  ai: 'AI', usd: 'USD', gb: 'GB', kv: 'KV', ml: 'ML', api: 'API', ddos: 'DDoS', dlp: 'DLP', mfa: 'MFA', rbac: 'RBAC',
  sso: 'SSO', vpc: 'VPC', ms: 'ms',
};
const label = (key) => key.split('_').map((w) => ACRONYMS[w] || w).join(' ').replace(/^./, (c) => c.toUpperCase());

// The schema lists properties alphabetically; a person reads names first, then plain fields, then
// groups and repeatable rows.
function rank([key, node]) {
  if (['title', 'name', 'company_name'].includes(key)) return 0;
  if (node.type === 'object') return 3;
  if (node.type === 'array' && node.items?.type === 'object') return 4;
  if (node.type === 'array') return 2;
  return 1;
}
const ordered = (properties) => Object.entries(properties || {}).map((e, i) => [e, i])
  .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([e]) => e);

// An optional group whose own fields are required (a workload's architecture) is collapsed until
// used: its fields are required only when the group is given.
const collapsible = (node, required) => !required && node.type === 'object' && (node.required || []).length > 0;

function parentPath(path) {
  const up = path.replace(/(\[\d+\]|\.[^.[]+)$/, '');
  return up === path ? '' : up;
}

export function newAssessmentPage(main, session) {
  let schema = null;
  let rowCounters = new Map();
  let idempotencyKey = uuid();
  const form = h('form', { 'data-testid': 'new-assessment-form', novalidate: true, class: 'assessment-form' });
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'submit-assessment' }, 'Start analysis');
  const status = h('p', { class: 'submit-status', 'aria-live': 'polite' });
  const textarea = h('textarea', {
    id: 'request-json', 'data-testid': 'request-json', rows: 14, spellcheck: 'false',
    'aria-describedby': 'request-json-help',
  });
  const jsonError = h('p', { class: 'field-error', id: 'request-json-error', role: 'alert' });
  const exampleSelect = h('select', { id: 'example-name' }, EXAMPLES.map((n) => h('option', { value: n }, n)));
  const fileInput = h('input', { type: 'file', id: 'request-file', accept: 'application/json,.json' });

  main.append(
    h('h1', {}, 'New assessment'),
    h('p', { class: 'lede' }, 'Describe the business and its workloads; the cluster runs eleven agents and writes a report you can watch here, close, and come back to.'),
    h('section', { class: 'tools', 'aria-labelledby': 'tools-title' },
      h('h2', { id: 'tools-title' }, 'Start from an example or from JSON'),
      h('div', { class: 'tool-row' },
        h('label', { for: 'example-name' }, 'Example'), exampleSelect,
        h('button', { type: 'button', id: 'load-example', onclick: loadExample }, 'Load example')),
      h('details', { id: 'json-panel' },
        h('summary', {}, 'Import JSON / View JSON'),
        h('p', { id: 'request-json-help', class: 'help' }, 'Paste a request (or choose a file), then "Apply JSON to form". "View JSON" writes the form as JSON here.'),
        h('label', { for: 'request-json' }, 'Request JSON'), textarea, jsonError,
        h('div', { class: 'tool-row' },
          h('label', { for: 'request-file' }, 'File'), fileInput,
          h('button', { type: 'button', id: 'apply-json', onclick: applyJSON }, 'Apply JSON to form'),
          h('button', { type: 'button', id: 'view-json', onclick: viewJSON }, 'View JSON')))),
    summary,
    form,
  );
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    if (file) { textarea.value = await file.text(); applyJSON(); }
  });
  form.addEventListener('input', () => { idempotencyKey = uuid(); });
  form.addEventListener('change', () => { idempotencyKey = uuid(); });
  form.addEventListener('submit', (e) => { e.preventDefault(); send(); });

  const showSubmit = (s) => {
    submit.hidden = !s.canSubmit;
    status.textContent = s.canSubmit ? '' : (s.role ? `A ${s.role} token may read but not start an analysis (Change token, above).` : 'Starting an analysis needs a token (Enter token, above).');
  };
  session.listeners.add(showSubmit);

  json('/v1/schema').then((doc) => {
    schema = doc;
    form.append(...ordered(doc.properties).map(([k, v]) => field(k, v, (doc.required || []).includes(k))));
    form.append(h('div', { class: 'form-actions' }, submit, status));
    showSubmit(session);
  }).catch((error) => form.append(h('p', { class: 'field-error', role: 'alert' }, `Cannot load the schema: ${error.message}`)));

  // Controls for one schema node at `path`.
  function field(path, node, required) {
    const key = path.replace(/^.*\./, '').replace(/\[\d+\]$/, '');
    const help = node.description ? h('p', { class: 'help', id: `${path}-help` }, node.description) : null;
    const error = h('p', { class: 'field-error', id: `${path}-error`, 'data-field': path });
    const req = required ? h('span', { class: 'required', title: 'required' }, ' (required)') : null;
    const describedBy = [help && `${path}-help`, `${path}-error`].filter(Boolean).join(' ');
    if (node.type === 'object') {
      const group = h('fieldset', { class: `group depth-${path.split('.').length}`, id: path, 'data-path': path },
        h('legend', {}, label(key), req), help, error,
        h('div', { class: 'fields' }, ordered(node.properties).map(([k, v]) => field(`${path}.${k}`, v, (node.required || []).includes(k)))));
      if (!collapsible(node, required)) return group;
      return h('details', { class: 'optional-group', id: `${path}-details` },
        h('summary', {}, `${label(key)} (optional)`, node.description ? h('span', { class: 'hint' }, ` — ${node.description}`) : null), group);
    }
    if (node.type === 'array' && node.items?.enum) {
      return h('fieldset', { class: 'checks', id: path, 'data-path': path, 'aria-describedby': describedBy },
        h('legend', {}, label(key), req), help,
        h('div', { class: 'check-list' }, node.items.enum.map((v) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', id: `${path}=${v}`, name: path, value: v }), ` ${v}`))),
        error);
    }
    if (node.type === 'array' && node.items?.type === 'object') {
      const rows = h('div', { class: 'rows', id: `${path}-rows` });
      const add = h('button', { type: 'button', class: 'add-row', id: `${path}-add`, onclick: () => addRow(path, node.items, rows) },
        `Add ${label(key).replace(/s$/, '').replace(/^(\w)(\w*)$/, (_, a, b) => a.toLowerCase() + b)}`);
      return h('fieldset', { class: 'group repeat', id: path, 'data-path': path, 'data-array': 'objects' },
        h('legend', {}, label(key), req), help, error, rows, add);
    }
    if (node.type === 'array') {
      return h('div', { class: 'field wide' },
        h('label', { for: path }, label(key), req, h('span', { class: 'hint' }, ' — one per line')),
        h('textarea', { id: path, name: path, rows: 3, 'data-kind': 'lines', 'aria-describedby': describedBy }),
        help, error);
    }
    let control;
    if (node.enum) {
      control = h('select', { id: path, name: path, 'aria-describedby': describedBy, 'aria-required': required ? 'true' : null },
        h('option', { value: '' }, node.default !== undefined ? `(default: ${node.default})` : '(not stated)'),
        node.enum.map((v) => h('option', { value: v }, v)));
    } else if (node.type === 'boolean') {
      control = h('select', { id: path, name: path, 'data-kind': 'boolean', 'aria-describedby': describedBy },
        h('option', { value: '' }, '(not stated)'), h('option', { value: 'true' }, 'yes'), h('option', { value: 'false' }, 'no'));
    } else if (node.type === 'number' || node.type === 'integer') {
      control = h('input', {
        type: 'number', id: path, name: path, 'data-kind': node.type, inputmode: node.type === 'integer' ? 'numeric' : 'decimal',
        min: node.minimum, max: node.maximum, step: node.type === 'integer' ? 1 : 'any',
        placeholder: node.default !== undefined ? `default ${node.default}` : null,
        'aria-describedby': describedBy, 'aria-required': required ? 'true' : null,
      });
    } else {
      control = h('input', {
        type: 'text', id: path, name: path, maxlength: node.maxLength, 'aria-describedby': describedBy,
        'aria-required': required ? 'true' : null,
      });
    }
    return h('div', { class: 'field' }, h('label', { for: path }, label(key), req), control, help, error);
  }

  function addRow(path, itemSchema, rows) {
    const index = rows.children.length;
    const rowPath = `${path}[${index}]`;
    const remove = h('button', { type: 'button', class: 'remove-row', onclick: () => { row.remove(); renumber(path, itemSchema, rows); } },
      `Remove ${label(path.replace(/^.*\./, '')).replace(/s$/, '')} ${index + 1}`);
    const row = h('div', { class: 'row', 'data-row': index },
      field(rowPath, { ...itemSchema, description: null }, true), remove);
    row.querySelector('legend').textContent = `${label(path.replace(/^.*\./, '')).replace(/s$/, '')} ${index + 1}`;
    rows.append(row);
    rowCounters.set(path, rows.children.length);
    return row;
  }

  // Ids are paths, and paths carry the row index: after a removal, rebuild the rows with their values.
  function renumber(path, itemSchema, rows) {
    const values = [...rows.children].map((row) => read(row.querySelector('fieldset'), itemSchema));
    clear(rows);
    for (const v of values) { const row = addRow(path, itemSchema, rows); fill(row.querySelector('fieldset').dataset.path, itemSchema, v); }
  }

  // The JSON for one schema node from the controls under `path`; undefined when nothing was given.
  function readPath(path, node) {
    if (node.type === 'object') {
      const out = {};
      for (const [k, v] of Object.entries(node.properties || {})) {
        const value = readPath(path ? `${path}.${k}` : k, v);
        if (value !== undefined) out[k] = value;
      }
      return Object.keys(out).length ? out : undefined;
    }
    if (node.type === 'array' && node.items?.enum) {
      const checked = node.items.enum.filter((v) => document.getElementById(`${path}=${v}`)?.checked);
      return checked.length ? checked : undefined;
    }
    if (node.type === 'array' && node.items?.type === 'object') {
      const rows = document.getElementById(`${path}-rows`);
      const items = [...rows.children].map((_, i) => readPath(`${path}[${i}]`, node.items) || {});
      return items.length ? items : undefined;
    }
    const el = document.getElementById(path);
    if (!el) return undefined;
    if (node.type === 'array') {
      const lines = el.value.split('\n').map((l) => l.trim()).filter(Boolean);
      return lines.length ? lines : undefined;
    }
    const raw = el.value.trim();
    if (raw === '') return undefined;
    if (node.type === 'boolean') return raw === 'true';
    if (node.type === 'number' || node.type === 'integer') return Number(raw);
    return raw;
  }

  function read(fieldset, node) { return readPath(fieldset.dataset.path, node); }

  function fill(path, node, value) {
    if (node.type === 'object') {
      for (const [k, v] of Object.entries(node.properties || {})) fill(`${path}.${k}`, v, value?.[k]);
      const details = document.getElementById(`${path}-details`);
      if (details && value && typeof value === 'object' && Object.keys(value).length) details.open = true;
      return;
    }
    if (node.type === 'array' && node.items?.enum) {
      for (const v of node.items.enum) {
        const box = document.getElementById(`${path}=${v}`);
        if (box) box.checked = Array.isArray(value) && value.includes(v);
      }
      return;
    }
    if (node.type === 'array' && node.items?.type === 'object') {
      const rows = clear(document.getElementById(`${path}-rows`));
      for (const item of Array.isArray(value) ? value : []) {
        const row = addRow(path, node.items, rows);
        fill(row.querySelector('fieldset').dataset.path, node.items, item);
      }
      return;
    }
    const el = document.getElementById(path);
    if (!el) return;
    for (const stale of el.querySelectorAll('option[data-imported]')) stale.remove();
    if (value === undefined || value === null) el.value = '';
    else if (node.type === 'array') el.value = Array.isArray(value) ? value.join('\n') : String(value);
    else {
      // An imported value the schema does not allow stays visible (and is sent), so the server's
      // answer next to the field makes sense.
      if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === String(value))) {
        el.append(h('option', { value: String(value), 'data-imported': 'true' }, `${value} (not allowed)`));
      }
      el.value = String(value);
    }
  }

  function formJSON() { return readPath('', { type: 'object', properties: schema.properties }) || {}; }

  function fillForm(doc) {
    for (const [k, v] of Object.entries(schema.properties)) fill(k, v, doc[k]);
    idempotencyKey = uuid();
    clearErrors();
  }

  async function loadExample() {
    try {
      const doc = await json(`/console/examples/${exampleSelect.value}.json`);
      fillForm(doc);
      textarea.value = JSON.stringify(doc, null, 2);
      status.textContent = `Loaded ${exampleSelect.value}.`;
    } catch (error) { status.textContent = `Cannot load the example: ${error.message}`; }
  }

  // Keys the form has no field for would be lost silently; the server reports them instead, so the
  // parsed document is kept and sent as imported until the form is edited.
  let imported = null;
  function applyJSON() {
    jsonError.textContent = '';
    let doc;
    try { doc = JSON.parse(textarea.value); } catch (error) { jsonError.textContent = `Not JSON: ${error.message}`; return; }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) { jsonError.textContent = 'The request must be a JSON object.'; return; }
    fillForm(doc);
    imported = doc;
    status.textContent = 'JSON applied to the form.';
  }
  form.addEventListener('input', () => { imported = null; });
  form.addEventListener('change', () => { imported = null; });

  function viewJSON() { jsonError.textContent = ''; textarea.value = JSON.stringify(formJSON(), null, 2); }

  function clearErrors() {
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    summary.hidden = true;
    clear(summary);
  }

  // Client checks mirror the schema (required, bounds, lengths); the server remains the judge.
  function check(path, node, value, required, problems) {
    if (value === undefined) { if (required) problems.push({ field: path, problem: 'is required' }); return; }
    if (node.type === 'object') {
      for (const [k, v] of Object.entries(node.properties || {})) check(path ? `${path}.${k}` : k, v, value[k], (node.required || []).includes(k), problems);
    } else if (node.type === 'array' && node.items?.type === 'object') {
      value.forEach((item, i) => check(`${path}[${i}]`, node.items, item, true, problems));
    } else if (node.type === 'number' || node.type === 'integer') {
      if (!Number.isFinite(value)) problems.push({ field: path, problem: 'must be a number' });
      else if (node.type === 'integer' && !Number.isInteger(value)) problems.push({ field: path, problem: 'must be a whole number' });
      else if (node.minimum !== undefined && value < node.minimum) problems.push({ field: path, problem: `must be at least ${node.minimum}` });
      else if (node.maximum !== undefined && value > node.maximum) problems.push({ field: path, problem: `must be at most ${node.maximum}` });
    } else if (node.type === 'string' && typeof value === 'string') {
      if (node.maxLength && value.length > node.maxLength) problems.push({ field: path, problem: `must be at most ${node.maxLength} characters` });
    }
  }

  function showErrors(details, heading) {
    const list = h('ul');
    for (const d of details) {
      let target = null;
      // The deepest field that exists for the path: technical.ai_use_cases[2] lands on its textarea.
      for (let p = d.field; p && !target; p = parentPath(p)) target = document.getElementById(`${p}-error`);
      if (target) {
        target.textContent = target.textContent ? `${target.textContent}; ${d.problem}` : `${d.field === target.dataset.field ? '' : d.field + ': '}${d.problem}`;
        document.getElementById(target.dataset.field)?.setAttribute('aria-invalid', 'true');
      }
      list.append(h('li', {}, target ? h('a', { href: `#${target.dataset.field}` }, d.field) : d.field, ` ${d.problem}`));
    }
    clear(summary).append(h('h2', {}, heading), list);
    summary.hidden = false;
    summary.focus();
  }

  let sending = false;
  async function send() {
    if (sending) return;
    clearErrors();
    const doc = imported || formJSON();
    const problems = [];
    if (!imported) check('', { type: 'object', properties: schema.properties, required: schema.required }, doc, true, problems);
    if (problems.length) { showErrors(problems, `Please correct ${problems.length} field(s)`); return; }
    sending = true;
    submit.disabled = true;
    status.textContent = 'Submitting…';
    try {
      const body = await json('/v1/assessments', {
        method: 'POST', body: JSON.stringify(doc),
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
      });
      navigate(`/assessments/${encodeURIComponent(body.id)}`);
    } catch (error) {
      if (error instanceof APIError && error.status === 400 && error.details.length) {
        showErrors(error.details, `The cluster found ${error.details.length} problem(s)`);
        status.textContent = '';
      } else status.textContent = `Not submitted: ${error.message}`;
    } finally {
      sending = false;
      submit.disabled = false;
    }
  }

  return () => session.listeners.delete(showSubmit);
}
