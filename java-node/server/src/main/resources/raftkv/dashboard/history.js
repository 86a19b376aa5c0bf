// raftkv dashboard, part 2: the members' own event histories (GET /cluster/history, which gathers every
// member's /events and /timeline through the node that served this page), merged into one list labelled
// by node, and small charts of the last minutes. Loaded before app.js; plain JavaScript, no build step.
'use strict';

const HISTORY_POLL_MS = 1000;
const MAX_SHOWN_EVENTS = 3000;          // 1,000 per node for three nodes, plus what this page saw
const CHART_SECONDS = 300;

const allEvents = new Map();            // key -> {node, time, kind, term, text, cls}
const cursors = new Map();              // member id -> {boot, last}
const timelines = new Map();            // member id -> samples
let historySource = null;               // who answered /cluster/history last
let eventsDirty = false;
let focus = null;                       // the member whose own view is shown, or null

const KIND_CLASS = {
  'elected': 'good', 'leader': 'good', 'peer-regained': 'good',
  'peer-lost': 'bad', 'fault': 'bad', 'configuration': 'config',
};

function clock(ms) {
  const d = new Date(ms);
  return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

// Adds an event; key makes a node's event appear once however often it is fetched.
function addEvent(key, event) {
  if (allEvents.has(key)) return;
  allEvents.set(key, event);
  if (allEvents.size > MAX_SHOWN_EVENTS) {
    const oldest = [...allEvents.entries()].sort((a, b) => a[1].time - b[1].time).slice(0, allEvents.size - MAX_SHOWN_EVENTS);
    oldest.forEach(([k]) => allEvents.delete(k));
  }
  eventsDirty = true;
}

// What this page itself saw between two polls (a member down, a leader change seen from here).
function pageEvent(text, cls) {
  const time = Date.now();
  addEvent(`page:${time}:${Math.random()}`, { node: 'page', time, kind: 'seen', term: '', text, cls });
  renderEvents();
}

function renderEvents() {
  if (!eventsDirty) return;
  eventsDirty = false;
  const list = document.getElementById('events');
  const shown = [...allEvents.values()]
    .filter((e) => !focus || e.node === focus)
    .sort((a, b) => b.time - a.time);
  list.replaceChildren(...shown.map((e) => {
    const li = document.createElement('li');
    li.dataset.node = e.node;
    li.dataset.kind = e.kind;
    if (e.cls) li.className = e.cls;
    const time = document.createElement('time');
    time.textContent = clock(e.time);
    const node = document.createElement('span');
    node.className = 'node ' + (e.node === 'page' ? 'page' : '');
    node.textContent = e.node === 'page' ? 'page' : e.node;
    node.style.borderColor = colorOf(e.node);
    li.append(time, node, ' ' + e.text);
    return li;
  }));
  const summary = document.getElementById('history-summary');
  const nodes = [...cursors.keys()].join(', ');
  summary.textContent = `${shown.length} events` + (focus ? ` of ${focus}` : '') +
    (nodes ? ` from ${nodes}'s own histories` : '') + (historySource ? ` (via ${historySource})` : '') +
    ' and from this page, newest first';
}

function since() {
  return [...cursors.entries()].map(([id, c]) => `${id}:${c.last}`).join(',');
}

async function pollHistory() {
  for (const source of sources) { // app.js: this page's node first, then the other members
    try {
      const response = await fetch(`${source}/cluster/history?since=${encodeURIComponent(since())}`,
        { cache: 'no-store', signal: AbortSignal.timeout(2 * FETCH_TIMEOUT_MS) });
      if (!response.ok) continue;
      const body = await response.json();
      historySource = body.from;
      for (const m of body.members) {
        if (!m.reachable) continue;
        const page = m.events;
        const known = cursors.get(m.id);
        if (known && known.boot !== page.boot) {
          // The member restarted: its history starts anew; ask it again from the beginning.
          cursors.set(m.id, { boot: page.boot, last: 0 });
          pageEvent(`${m.id} restarted: its own history begins again (what it saw before is kept below)`, 'bad');
          continue;
        }
        for (const e of page.events) {
          addEvent(`${m.id}:${page.boot}:${e.seq}`, { node: m.id, time: e.time, kind: e.kind, term: e.term,
            text: e.text, cls: e.kind === 'fault' && /connected again/.test(e.text) ? 'good'
            : KIND_CLASS[e.kind] || (/stepped down/.test(e.text) ? 'bad' : '') });
        }
        cursors.set(m.id, { boot: page.boot, last: page.last });
        timelines.set(m.id, m.timeline.samples);
      }
      renderEvents();
      renderCharts();
      break;
    } catch (e) {
      // that node is down or cut off: try the next one
    }
  }
  setTimeout(pollHistory, HISTORY_POLL_MS);
}

// ---------------------------------------------------------------- charts (plain SVG)

const PALETTE = ['#0969da', '#bf3989', '#1a7f37', '#bc4c00', '#8250df', '#57606a', '#cf222e'];
function colorOf(node) {
  if (node === 'page') return '#999';
  const ids = [...cursors.keys()].sort();
  const i = ids.indexOf(node);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// series: [{name, color, points: [[second, value]], dashed}]; draws the last CHART_SECONDS seconds.
function chart(id, title, unit, series, step) {
  // A step chart (the term) is of integers: its axis ends at one above the highest, and each series is
  // drawn a pixel apart from the others, so that equal lines stay visible side by side.
  const el = document.getElementById(id);
  const W = 300, H = 120, L = 40, R = 8, T = 18, B = 18;
  const now = Math.floor(Date.now() / 1000);
  const from = now - CHART_SECONDS;
  let max = 0;
  for (const s of series) for (const [, v] of s.points) max = Math.max(max, v);
  max = step ? Math.floor(max) + 1 : max > 0 ? max * 1.1 : 1;
  const x = (t) => L + (W - L - R) * (t - from) / CHART_SECONDS;
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const children = [
    svg('text', { x: 2, y: 12, class: 'title' }, title),
    svg('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }),
    svg('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }),
    svg('text', { x: L - 3, y: T + 4, class: 'tick', 'text-anchor': 'end' }, fmt(max) ),
    svg('text', { x: L - 3, y: H - B, class: 'tick', 'text-anchor': 'end' }, '0'),
  ];
  for (let m = 5; m >= 0; m--) {
    children.push(svg('text', { x: x(now - m * 60), y: H - 4, class: 'tick', 'text-anchor': 'middle' }, m ? `-${m}m` : 'now'));
  }
  let legendX = W - R;
  series.forEach((s, i) => { s.offset = step ? 1.5 * i : 0; });
  for (const s of [...series].reverse()) {
    const pts = s.points.filter(([t]) => t >= from);
    const y = (v) => T + (H - T - B) * (1 - v / max) - s.offset;
    if (pts.length > 0) {
      let d = '';
      pts.forEach(([t, v], i) => {
        d += (i ? (step ? `H${x(t).toFixed(1)}V${y(v).toFixed(1)}` : `L${x(t).toFixed(1)},${y(v).toFixed(1)}`)
                : `M${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      });
      children.push(svg('path', { d, stroke: s.color, class: 'series' + (s.dashed ? ' dashed' : '') }));
    }
    const label = svg('text', { x: legendX, y: 12, class: 'tick', 'text-anchor': 'end', fill: s.color }, s.name);
    children.push(label);
    legendX -= 8 + 6 * s.name.length;
  }
  const last = series.length && series[0].points.length ? series[0].points[series[0].points.length - 1][1] : null;
  el.dataset.last = last === null ? '' : String(last);
  el.setAttribute('viewBox', `0 0 ${W} ${H}`);
  el.replaceChildren(...children);
  el.setAttribute('aria-label', `${title}: ${last === null ? 'no data' : fmt(last) + ' ' + unit + ' now'}`);
}

function fmt(v) {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2).replace(/\.?0+$/, '') || '0';
}

function renderCharts() {
  const perSecond = new Map(); // second -> {writes, latencySum, latencyMax}
  for (const samples of timelines.values()) {
    for (const s of samples) {
      const p = perSecond.get(s.t) || { writes: 0, latencySum: 0, latencyMax: 0 };
      p.writes += s.writes;
      p.latencySum += s.latencyMeanMs * s.writes;
      p.latencyMax = Math.max(p.latencyMax, s.latencyMaxMs);
      perSecond.set(s.t, p);
    }
  }
  const seconds = [...perSecond.keys()].sort((a, b) => a - b);
  const current = Math.floor(Date.now() / 1000);
  const done = seconds.filter((t) => t < current); // the current second is still filling
  chart('chart-writes', 'writes/s (all nodes)', 'writes/s',
    [{ name: 'writes/s', color: '#0969da', points: done.map((t) => [t, perSecond.get(t).writes]) }]);
  const withWrites = done.filter((t) => perSecond.get(t).writes > 0);
  chart('chart-latency', 'commit latency (ms)', 'ms', [
    { name: 'mean', color: '#1a7f37', points: withWrites.map((t) => [t, perSecond.get(t).latencySum / perSecond.get(t).writes]) },
    { name: 'max', color: '#bc4c00', dashed: true, points: withWrites.map((t) => [t, perSecond.get(t).latencyMax]) },
  ]);
  chart('chart-term', 'term, per node', '', [...timelines.entries()].sort().map(([id, samples]) => (
    { name: id, color: colorOf(id), points: samples.map((s) => [s.t, s.term]) })), true);
}

// ---------------------------------------------------------------- one node's own view

function showNode(id) {
  focus = id || null;
  eventsDirty = true;
  renderEvents();
  const panel = document.getElementById('node-view');
  panel.hidden = !focus;
  if (focus) document.getElementById('node-view-title').textContent = `${focus}'s own view`;
  if (typeof renderFocus === 'function') renderFocus();
}

window.addEventListener('hashchange', () => showNode(new URLSearchParams(location.hash.slice(1)).get('node')));
showNode(new URLSearchParams(location.hash.slice(1)).get('node'));
