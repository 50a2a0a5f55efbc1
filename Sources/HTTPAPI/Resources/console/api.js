// Talking to the cluster: every request goes to the member currently serving this page and moves
// to another member that is up when it stops answering (docs/console.md, "Failover").

const TOKEN_KEY = 'inframind.token';
// A read that takes longer means the member is hung; writes wait for a replica majority and get
// longer (a retry elsewhere is safe: the same Idempotency-Key gives the same assessment).
const READ_TIMEOUT_MS = 2000;
const WRITE_TIMEOUT_MS = 10000;

const state = {
  origin: location.origin,
  node: null,
  members: [],
  dead: new Map(),
  listeners: new Set(),
  note: '',
};

export class APIError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.details = body?.error?.details || [];
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => (t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY)),
};

let unauthorized = async () => false;
/// Called on a 401: shows the token prompt; resolves true when a new token was given.
export function onUnauthorized(handler) { unauthorized = handler; }

export function serving() { return { origin: state.origin, node: state.node, note: state.note, members: state.members }; }
export function onServingChange(fn) { state.listeners.add(fn); fn(serving()); }
function changed() { for (const fn of state.listeners) fn(serving()); }

export function base() { return state.origin; }

// The page's own scheme: a cluster serves its API over HTTPS on every member or on none
// (docs/security.md, "HTTPS"), and a page loaded over HTTPS may not call plain HTTP.
function originOf(member) { return member.http_address ? `${location.protocol}//${member.http_address}` : null; }

/// Members that can serve, the current one first, then the others in a stable order.
function candidates() {
  const now = Date.now();
  const others = state.members
    .filter((m) => m.status === 'up' || m.status === 'joining')
    .map(originOf)
    .filter((o) => o && o !== state.origin && !(state.dead.get(o) > now - 10000));
  return [state.origin, ...new Set(others)];
}

function failedOver(from, to) {
  state.dead.set(from, Date.now());
  state.origin = to;
  const member = state.members.find((m) => originOf(m) === to);
  const lost = state.members.find((m) => originOf(m) === from);
  state.node = member ? member.id : state.node;
  state.note = `${lost ? lost.id : from} stopped answering; switched at ${new Date().toLocaleTimeString()}`;
  changed();
}

async function once(origin, path, options) {
  const controller = new AbortController();
  const write = options.method && options.method !== 'GET';
  const timer = setTimeout(() => controller.abort(), options.timeout ?? (write ? WRITE_TIMEOUT_MS : READ_TIMEOUT_MS));
  const headers = new Headers(options.headers || {});
  const t = token.get();
  if (t) headers.set('Authorization', `Bearer ${t}`);
  try {
    return await fetch(origin + path, { ...options, headers, signal: controller.signal, cache: 'no-store' });
  } finally {
    clearTimeout(timer);
  }
}

/// The response of the first member that answers; an HTTP error is an answer, a refused connection
/// or a timeout moves to the next member.
export async function request(path, options = {}) {
  let lastError;
  for (const origin of candidates()) {
    let response;
    try {
      response = await once(origin, path, options);
    } catch (error) {
      lastError = error;
      continue;
    }
    if (origin !== state.origin) failedOver(state.origin, origin);
    if (response.status === 401 && !options.noPrompt) {
      if (await unauthorized()) return request(path, { ...options, noPrompt: true });
    }
    return response;
  }
  throw new Error(`no member of the cluster answers (${lastError?.message || 'unreachable'})`);
}

export async function json(path, options = {}) {
  const response = await request(path, options);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: { message: text } }; }
  if (!response.ok) throw new APIError(response.status, body);
  return body;
}

/// Refreshes the member list from the serving node (or the next that answers).
export async function refreshMembers() {
  const cluster = await json('/v1/cluster');
  state.members = cluster.members;
  state.node = cluster.self;
  changed();
  return cluster;
}

/// An SSE subscription that survives the death of the member streaming it: when the stream ends
/// before a final state it checks the current member and, if it is gone, reconnects through another
/// one. Read with fetch rather than EventSource, which cannot send the Authorization header that
/// every read needs when tokens are configured (docs/security.md).
export function watch(path, onEvent) {
  let controller = null;
  let finished = false;
  let closed = false;
  let streaming = null;
  const lost = () => {
    if (finished || closed) return;
    // Probe through request(), which fails over when the member is gone, then reopen there.
    request('/healthz', { timeout: 1500 }).then(open, () => setTimeout(open, 1000));
  };
  const dispatch = (block) => {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trimStart();
    }
    if (!data) return;
    let body;
    try { body = JSON.parse(data); } catch { return; }
    if (event === 'progress' && ['completed', 'failed', 'cancelled'].includes(body.status)) finished = true;
    if (event === 'progress' || event === 'error') onEvent(event, body);
  };
  const open = async () => {
    if (closed) return;
    controller?.abort();
    streaming = state.origin;
    const mine = new AbortController();
    controller = mine;
    const headers = new Headers({ Accept: 'text/event-stream' });
    const t = token.get();
    if (t) headers.set('Authorization', `Bearer ${t}`);
    try {
      const response = await fetch(state.origin + path, { headers, signal: mine.signal, cache: 'no-store' });
      if (response.status === 401) {
        if (await unauthorized()) open();
        return;
      }
      if (!response.ok) {
        let body = null;
        try { body = await response.json(); } catch { /* not JSON */ }
        onEvent('error', body);
        // A refusal (unknown id, another tenant's) does not change by asking again; a 5xx may.
        if (response.status < 500) { finished = true; return; }
        setTimeout(lost, 1000);
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch { /* aborted, or the member went away */ }
    if (controller === mine) lost();
  };
  // A member that hangs (stopped, partitioned) leaves the stream open and silent: when any other
  // request has moved the page to another member, the stream follows.
  const follow = () => { if (!closed && !finished && streaming && streaming !== state.origin) open(); };
  state.listeners.add(follow);
  open();
  return () => { closed = true; controller?.abort(); state.listeners.delete(follow); };
}

/// A random UUID without needing a secure context (crypto.randomUUID needs one).
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
