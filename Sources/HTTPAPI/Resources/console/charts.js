// Charts as inline SVG (no library): each is a <figure> with an SVG that scales to its column and a
// caption; every figure also has a text equivalent (the report's tables) for screen readers.
import { h, s, usd } from './dom.js';

// Narrow screens get a narrower drawing, so its text stays readable when scaled to the column.
const narrow = () => window.matchMedia('(max-width: 600px)').matches;
let W = 640;
let LEFT = 150;
let RIGHT = 110;
function measure() {
  W = narrow() ? 360 : 640;
  LEFT = narrow() ? 122 : 150;
  RIGHT = narrow() ? 64 : 110;
}
const PALETTE = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

function figure(title, svg, note) {
  return h('figure', { class: 'chart' }, h('figcaption', {}, title), svg, note ? h('p', { class: 'help' }, note) : null);
}

function svgRoot(height, label) {
  return s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'xMinYMin meet' },
    s('title', {}, label));
}

const short = (n) => (n >= 1e6 ? `$${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M` : n >= 1e3 ? `$${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k` : `$${Math.round(n)}`);

/// Horizontal bars: [{label, value, text?, cls?}].
export function bars(title, items, { max, format = short, note } = {}) {
  measure();
  const rowH = 34, left = LEFT, right = RIGHT;
  const height = items.length * rowH + 10;
  const top = Math.max(max ?? 0, ...items.map((i) => i.value), 1e-9);
  const svg = svgRoot(height, `${title}: ${items.map((i) => `${i.label} ${i.text ?? format(i.value)}`).join(', ')}`);
  items.forEach((item, n) => {
    const y = n * rowH + 6;
    const w = Math.max(1, ((W - left - right) * item.value) / top);
    svg.append(
      s('text', { x: left - 8, y: y + 17, 'text-anchor': 'end', class: 'axis' }, item.label),
      s('rect', { x: left, y, width: w, height: rowH - 12, rx: 3, class: item.cls || PALETTE[n % PALETTE.length] }),
      s('text', { x: left + w + 6, y: y + 17, class: 'value' }, (narrow() && item.textShort) || (item.text ?? format(item.value))));
  });
  return figure(title, svg, note);
}

/// One stacked bar per group: groups [{label, parts: [{name, value}], marker?}].
export function stacked(title, groups, names, { note } = {}) {
  measure();
  const rowH = 38, left = LEFT, right = RIGHT;
  const height = groups.length * rowH + 40;
  const top = Math.max(...groups.map((g) => g.parts.reduce((a, p) => a + p.value, 0)), 1e-9);
  const svg = svgRoot(height, `${title}: ${groups.map((g) => `${g.label} ${usd(g.parts.reduce((a, p) => a + p.value, 0))}`).join(', ')}`);
  groups.forEach((g, n) => {
    const y = n * rowH + 6;
    let x = left;
    const label = narrow() ? g.label.split(' ')[0] : g.label;
    svg.append(s('text', { x: left - 8, y: y + 19, 'text-anchor': 'end', class: g.marker?.startsWith('★') ? 'axis strong' : 'axis' }, label));
    g.parts.forEach((p) => {
      const w = ((W - left - right) * p.value) / top;
      if (w > 0) svg.append(s('rect', { x, y, width: w, height: rowH - 14, class: PALETTE[names.indexOf(p.name) % PALETTE.length] }));
      x += w;
    });
    const total = g.parts.reduce((a, p) => a + p.value, 0);
    // On a phone only the star fits beside the bar; the legend below says what it means.
    const marker = g.marker && narrow() ? (g.marker.startsWith('★') ? '★' : '✕') : g.marker;
    svg.append(s('text', { x: x + 6, y: y + 19, class: 'value' }, `${short(total)}${marker ? ` ${marker}` : ''}`));
  });
  const ly = groups.length * rowH + 18;
  names.forEach((name, i) => {
    const lx = (narrow() ? 8 : left) + i * (narrow() ? 86 : 110);
    svg.append(s('rect', { x: lx, y: ly, width: 12, height: 12, class: PALETTE[i % PALETTE.length] }),
      s('text', { x: lx + 16, y: ly + 11, class: 'legend' }, name));
  });
  return figure(title, svg, note);
}

/// Lines over months: series [{name, points: [[month, usd]], cls}], with an optional budget line.
export function projection(title, series, budget, { note } = {}) {
  measure();
  const height = narrow() ? 230 : 280, left = narrow() ? 52 : 70, right = 20, topPad = 16, bottom = 46;
  const months = series.flatMap((x) => x.points.map((p) => p[0]));
  const maxX = Math.max(...months, 1);
  const maxY = Math.max(...series.flatMap((x) => x.points.map((p) => p[1])), budget || 0, 1) * 1.08;
  const X = (m) => left + ((W - left - right) * m) / maxX;
  const Y = (v) => topPad + (height - topPad - bottom) * (1 - v / maxY);
  const svg = svgRoot(height, `${title}: ${series.map((x) => `${x.name} ${x.points.map((p) => `month ${p[0]} ${usd(p[1])}`).join(', ')}`).join('; ')}${budget ? `; budget ${usd(budget)} per month` : ''}`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4;
    svg.append(s('line', { x1: left, x2: W - right, y1: Y(v), y2: Y(v), class: 'grid' }),
      s('text', { x: left - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'axis' }, short(v)));
  }
  for (const m of [...new Set(months)].sort((a, b) => a - b)) {
    svg.append(s('text', { x: X(m), y: height - bottom + 18, 'text-anchor': 'middle', class: 'axis' }, `${m}`));
  }
  svg.append(s('text', { x: (left + W - right) / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis' }, 'month'));
  if (budget) {
    svg.append(s('line', { x1: left, x2: W - right, y1: Y(budget), y2: Y(budget), class: 'budget' }),
      s('text', { x: W - right, y: Y(budget) - 6, 'text-anchor': 'end', class: 'budget-label' }, `budget ${short(budget)}/month`));
  }
  series.forEach((x, i) => {
    const d = x.points.map((p, j) => `${j ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    svg.append(s('path', { d, class: `line ${x.cls || PALETTE[i % PALETTE.length]}` }));
    for (const p of x.points) svg.append(s('circle', { cx: X(p[0]), cy: Y(p[1]), r: 3, class: x.cls || PALETTE[i % PALETTE.length] }));
  });
  const legend = h('ul', { class: 'legend-list' }, series.map((x, i) => h('li', {}, h('span', { class: `swatch ${x.cls || PALETTE[i % PALETTE.length]}` }), x.name)),
    budget ? h('li', {}, h('span', { class: 'swatch budget' }), 'monthly budget') : null);
  const fig = figure(title, svg, note);
  fig.append(legend);
  return fig;
}
