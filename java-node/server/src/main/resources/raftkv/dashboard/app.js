// raftkv dashboard: polls GET /cluster (one node asks every member for its /status) about three times a second
// and shows each member, the leader's view of replication, and the events seen between two polls.
// Plain JavaScript, no build step, nothing loaded from elsewhere.
'use strict';

const POLL_MS = 300;
const FETCH_TIMEOUT_MS = 1500;

let sources = [location.origin]; // who can answer /cluster; the other members join once known
let previous = null;             // the last view: {leader, members: Map id -> member}
let lastAnswer = 0;
let latest = null;               // the last view, for the focused node's panel
const seenUp = new Set();        // members this page has seen answer

const $ = (id) => document.getElementById(id);

async function askCluster() {
  for (const source of sources) {
    try {
      const response = await fetch(source + '/cluster', { cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (response.ok) {
        return { source, body: await response.json() };
      }
    } catch (e) {
      // this node is down or cut off: try the next one
    }
  }
  return null;
}

// The leader of the highest term any reachable member reports (a cut-off old leader may still
// think it leads an older term).
function leaderOf(members) {
  let best = null;
  for (const m of members.values()) {
    if (m.reachable && m.status.role === 'leader' && (!best || m.status.term > best.status.term)) best = m;
  }
  return best;
}

function view(body) {
  const members = new Map(body.members.map((m) => [m.id, m]));
  return { from: body.from, members, leader: leaderOf(members) };
}

function now() {
  const d = new Date();
  return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

// What this page saw for itself goes into the same list as the nodes' own histories (history.js).
function event(text, kind) {
  pageEvent(text, kind);
}

// A member's place in the configuration (§4.1): voter or learner as the leader sees it (its latest
// configuration decides), else as the node that answered /cluster sees it; lostData from the leader.
function membershipOf(current, m) {
  const leader = current.leader;
  if (leader && leader.id === m.id) return { role: leader.status.membership || m.membership, lostData: false };
  const peer = leader && leader.status.peers[m.id];
  return { role: (peer && peer.membership) || m.membership, lostData: !!(peer && peer.lostData) };
}

// What changed between two polls, in words.
function diff(before, after) {
  for (const [id, m] of after.members) {
    const was = before.members.get(id);
    const role = membershipOf(after, m);
    if (!was) {
      event(`${id} is a member now` + (role.role ? `, as a ${role.role}` : ''), 'config');
      continue;
    }
    const wasRole = membershipOf(before, was);
    if (wasRole.role && role.role && wasRole.role !== role.role) event(`${id}: ${wasRole.role} → ${role.role}`, 'config');
    if (!wasRole.lostData && role.lostData) event(`${id} lost its data: the leader sends it heartbeats only`, 'bad');
    if (was.reachable && !m.reachable) {
      const what = /refused/.test(m.error) ? 'is down' : 'is unreachable'; // killed vs partitioned or paused
      event(`${id} ${what}, as seen from ${after.from}: ${m.error}`, 'bad');
      continue;
    }
    if (!was.reachable && m.reachable) {
      // A node added while it was starting answers for the first time, not "again".
      event(`${id} answers${seenUp.has(id) ? ' again' : ' for the first time'}: ${m.status.role}, term ${m.status.term}`, 'good');
      seenUp.add(id);
      continue;
    }
    if (!m.reachable) continue;
    const a = was.status, b = m.status;
    if (a.role !== b.role) {
      if (a.role === 'leader') event(`${id} stepped down: leader → ${b.role} (term ${b.term})`, 'bad');
      else if (b.role === 'candidate') event(`${id} starts an election for term ${b.term}`);
      else if (b.role === 'pre_candidate') event(`${id} asks for pre-votes (term ${b.term})`);
      else if (b.role !== 'leader') event(`${id}: ${a.role} → ${b.role} (term ${b.term})`);
    }
  }
  for (const id of before.members.keys()) {
    if (!after.members.has(id)) event(`${id} is no longer a member`, 'config');
  }
  const a = before.leader, b = after.leader;
  if (b && (!a || a.id !== b.id || a.status.term !== b.status.term)) {
    event(`${b.id} is the leader of term ${b.status.term}`, 'good');
  } else if (!b && a) {
    event('no leader', 'bad');
  }
}

/** 134217728 -> "128.0 MiB". */
function mib(bytes) {
  return (bytes / 1048576).toFixed(1) + ' MiB';
}

function cell(row, text, className) {
  const td = row.insertCell();
  if (className) td.className = className;
  if (text instanceof Node) td.append(text); else td.textContent = text;
  return td;
}

function render(current, source) {
  const leader = current.leader;
  const leaderEl = $('leader');
  leaderEl.dataset.leader = leader ? leader.id : '';
  leaderEl.textContent = leader ? `leader: ${leader.id} (term ${leader.status.term})` : 'leader: none';
  $('via').textContent = `as seen from ${current.from}` + (source === location.origin ? '' : ` (via ${source}: this page's node does not answer)`);
  $('updated').textContent = 'updated ' + now();

  const tbody = document.querySelector('#members tbody');
  tbody.replaceChildren();
  const lastIndex = leader ? leader.status.lastIndex : 0;
  for (const m of current.members.values()) {
    const row = tbody.insertRow();
    row.dataset.member = m.id;
    row.dataset.state = m.reachable ? 'up' : 'down';
    const name = document.createElement('span');
    const own = document.createElement('a');
    own.href = '#node=' + encodeURIComponent(m.id);
    own.textContent = m.id;
    own.title = `${m.id}'s own view: its status and its own event history`;
    own.className = 'own-view';
    name.append(own, m.self ? ' ★' : '');
    const direct = document.createElement('a');
    direct.href = m.url + '/';
    direct.textContent = '↗';
    direct.className = 'direct';
    direct.title = `${m.id}'s own dashboard at ${m.url} (where that address is reachable from this browser)`;
    name.append(' ', direct);
    cell(row, name);
    const place = membershipOf(current, m);
    row.dataset.membership = place.role || '';
    const badge = document.createElement('span');
    if (place.role) {
      const role = document.createElement('span');
      role.className = 'membership ' + place.role;
      role.textContent = place.role;
      badge.append(role);
    }
    if (place.lostData) {
      const lost = document.createElement('span');
      lost.className = 'lost-data';
      lost.textContent = 'LOST DATA';
      lost.title = 'its log is shorter than the leader knew it: it lost its data; remove it and add it back (--join)';
      badge.append(lost);
      row.classList.add('lost');
    }
    cell(row, badge, 'membership-cell');
    if (m.id === focus) row.classList.add('focus');
    if (!m.reachable) {
      row.dataset.role = '';
      cell(row, (/refused/.test(m.error) ? 'DOWN' : 'UNREACHABLE') + ' — ' + m.error, 'state').colSpan = 11;
      continue;
    }
    const s = m.status;
    row.dataset.role = s.role;
    cell(row, 'up', 'state up');
    const role = document.createElement('span');
    role.className = 'role ' + s.role;
    role.textContent = s.role.replace('_', '-');
    cell(row, role);
    cell(row, s.term, 'num');
    cell(row, s.leader || '—');
    cell(row, s.commitIndex, 'num');
    cell(row, s.lastApplied, 'num');
    cell(row, s.lastIndex, 'num');
    let match = null;
    if (leader && leader.id === m.id) match = s.lastIndex;
    else if (leader && leader.status.peers[m.id] && leader.status.peers[m.id].matchIndex !== undefined) match = leader.status.peers[m.id].matchIndex;
    cell(row, match === null ? '—' : match, 'num');
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('div');
    fill.style.width = (lastIndex > 0 && match !== null ? Math.min(100, 100 * match / lastIndex) : 0) + '%';
    bar.append(fill);
    cell(row, bar);
    cell(row, s.keys, 'num');
    // The quota is state machine configuration: every node should show the same one.
    const used = s.stateQuotaBytes > 0 ? Math.min(100, 100 * s.stateBytes / s.stateQuotaBytes) : 100;
    const state = cell(row, `${mib(s.stateBytes)} / ${mib(s.stateQuotaBytes)} (${used.toFixed(0)}%)`, 'num');
    if (used >= 100) state.classList.add('full');
  }
}

async function poll() {
  const answer = await askCluster();
  const banner = $('banner');
  if (!answer) {
    banner.hidden = false;
    banner.textContent = `No node answers (tried ${sources.join(', ')}); last answer at ` +
      (lastAnswer ? new Date(lastAnswer).toTimeString().slice(0, 8) : 'never') + '. Showing what was last known.';
    document.querySelectorAll('#members tbody tr').forEach((tr) => tr.classList.add('stale'));
  } else {
    banner.hidden = true;
    lastAnswer = Date.now();
    const current = view(answer.body);
    // Remember the other members: if this page's own node dies, ask them (works where their
    // addresses are reachable from the browser, e.g. make cluster-local).
    for (const m of current.members.values()) {
      const origin = new URL(m.url).origin;
      if (!sources.includes(origin)) sources.push(origin);
    }
    latest = current;
    if (previous) diff(previous, current);
    for (const m of current.members.values()) if (m.reachable) seenUp.add(m.id);
    else event(`watching ${current.members.size} members from ${current.from}` + (current.leader ? `; ${current.leader.id} leads term ${current.leader.status.term}` : '; no leader yet'));
    render(current, answer.source);
    renderFocus();
    previous = current;
  }
  setTimeout(poll, POLL_MS);
}

async function kv(method) {
  const id = $('kv-id').value.trim();
  const out = $('kv-result');
  const init = { method, headers: { 'Content-Type': 'application/json' } };
  if (method === 'PUT') init.body = JSON.stringify({ name: $('kv-name').value });
  try {
    const response = await fetch('/kv/' + encodeURIComponent(id), init);
    out.textContent = `${method} /kv/${id} → ${response.status} ${await response.text()}`;
  } catch (e) {
    out.textContent = `${method} /kv/${id} failed: ${e}`;
  }
}

// The focused member's own view: what it says about itself (its /status, as gathered by /cluster).
function renderFocus() {
  const out = $('node-view-status');
  if (!focus || !out) return;
  const m = latest && latest.members.get(focus);
  if (!m) { out.textContent = 'not known yet'; return; }
  if (!m.reachable) { out.textContent = `${focus} does not answer (${m.error}); its history below is what it said before.`; return; }
  const s = m.status;
  const peers = Object.entries(s.peers).map(([id, p]) => `${id}${p.membership === 'learner' ? ' (learner)' : ''}${p.matchIndex !== undefined ? ' match ' + p.matchIndex : ''}`).join(', ');
  out.textContent = `${focus} is ${s.role.replace('_', '-')} in term ${s.term}; it knows ` +
    (s.leader ? `${s.leader} as leader` : 'no leader') + `; commit ${s.commitIndex}, applied ${s.lastApplied}, ` +
    `last index ${s.lastIndex}, snapshot ${s.snapshotIndex}; peers: ${peers}.`;
}

$('kv-write').addEventListener('click', () => kv('PUT'));
$('kv-read').addEventListener('click', () => kv('GET'));
poll();
pollHistory();
