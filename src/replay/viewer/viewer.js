// simgate replay viewer: a static page. It reads replay/index.json (the failed episodes of this
// results folder) and replay/<policy>/<episode>/replay.json (poses, actions and their arrows,
// contacts, frames), asks the server to prepare an episode that has not been rendered yet, and
// draws the overlays.
'use strict';

const COL = { path: '#1e6cff', future: 'rgba(255,255,255,0.25)', robot: '#facc15', edge: '#111827', act: '#ec4899', hit: '#ef4444', goal: '#22c55e', floor: '#e1ded7', wall: '#78716c', box: '#a0764a', target: '#38bdf8' };
const $ = (id) => document.getElementById(id);
const state = { index: null, list: [], cur: -1, data: null, base: '', cams: [], top: null, step: 0, playing: false, timer: null };
window.__viewer = { ready: false, step: 0, error: null, setStep: (k) => setStep(k), current: null };

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const fmt = (x, d = 3) => (typeof x === 'number' ? x.toFixed(d) : String(x));

async function getJson(url, init) {
  const r = await fetch(url, init);
  if (!r.ok) {
    const e = new Error(`${url}: HTTP ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return r.json();
}

function loadImage(src) {
  return new Promise((ok, fail) => {
    const im = new Image();
    im.onload = () => ok(im);
    im.onerror = () => fail(new Error(`cannot load ${src}`));
    im.src = src;
  });
}

function fail(msg) {
  window.__viewer.error = msg;
  $('verify').className = 'verify bad';
  $('verify').textContent = msg;
}

async function main() {
  try {
    state.index = await getJson('/replay/index.json');
  } catch (e) {
    document.querySelector('main').innerHTML = `<div class="err">Cannot load replay/index.json: ${esc(e.message)}. Start the viewer with <code>simgate replay &lt;results&gt;</code>.</div>`;
    return;
  }
  const pols = [...new Set(state.index.episodes.map((e) => e.policy))];
  for (const p of pols) $('policyFilter').insertAdjacentHTML('beforeend', `<option>${esc(p)}</option>`);
  $('policyFilter').onchange = () => renderList();
  renderList();
  wire();
  window.addEventListener('hashchange', () => openFromHash());
  await openFromHash();
}

function filtered() {
  const p = $('policyFilter').value;
  return state.index.episodes.filter((e) => !p || e.policy === p);
}

function renderList() {
  state.list = filtered();
  $('count').textContent = `${state.list.length}`;
  $('episodes').innerHTML = state.list
    .map((e, i) => `<li data-i="${i}" title="${esc(e.sceneId)}"><span class="dot ${esc(e.outcome)}"></span><span class="id">${esc(e.episodeId.slice(0, 10))}</span> ${esc(e.policy)}<div class="sub">${esc(e.failure || e.outcome)} · ${esc(e.sceneId)} · seed ${e.seed}</div></li>`)
    .join('');
  for (const li of $('episodes').children) li.onclick = () => go(Number(li.dataset.i));
  markCurrent();
}

function markCurrent() {
  const d = state.data;
  for (const li of $('episodes').children) {
    const e = state.list[Number(li.dataset.i)];
    const cur = Boolean(d && e.policy === d.policy && e.episodeId === d.episodeId);
    li.classList.toggle('cur', cur);
    if (cur) li.scrollIntoView({ block: 'nearest' });
  }
}

function go(i) {
  const e = state.list[i];
  if (e) location.hash = `${encodeURIComponent(e.policy)}/${e.episodeId}`;
}

async function openFromHash() {
  const h = decodeURIComponent(location.hash.slice(1));
  const cut = h.lastIndexOf('/');
  let policy = cut > 0 ? h.slice(0, cut) : '';
  let id = cut > 0 ? h.slice(cut + 1) : '';
  if (!id && state.index.start) ({ policy, episodeId: id } = state.index.start);
  const entry = state.index.episodes.find((e) => e.episodeId === id && e.policy === policy) ?? state.index.episodes[0];
  if (!entry) return fail('No traced episodes in these results.');
  await open(entry);
}

async function open(entry) {
  stop();
  window.__viewer.ready = false;
  $('title').textContent = `loading ${entry.policy} · ${entry.episodeId}…`;
  const url = `/${entry.rel}/replay.json`;
  let data;
  try {
    data = await getJson(url);
  } catch (e) {
    if (e.status !== 404) return fail(e.message);
    $('title').textContent = `rendering ${entry.policy} · ${entry.episodeId} (re-simulating and rendering frames)…`;
    try {
      const r = await getJson(`/api/prepare?policy=${encodeURIComponent(entry.policy)}&episode=${entry.episodeId}`, { method: 'POST' });
      if (r.error) return fail(r.error);
      data = await getJson(url);
    } catch (e2) {
      return fail(`cannot prepare this episode: ${e2.message}`);
    }
  }
  state.data = data;
  state.base = `/${entry.rel}/`;
  state.cams = data.images.cam ? await Promise.all(data.images.cam.map((f) => loadImage(state.base + f))) : [];
  state.top = data.images.top ? await loadImage(state.base + data.images.top) : null;
  const v = data.view;
  const s = Math.min(640 / v.w, 448 / v.h);
  $('top').width = Math.round(v.w * s);
  $('top').height = Math.round(v.h * s);
  const [cw, ch] = data.images.camSize;
  const cs = Math.max(1, Math.floor(448 / Math.max(cw, ch)));
  $('cam').width = cw * cs;
  $('cam').height = ch * cs;
  $('scrub').max = String(data.steps);
  $('ticks').innerHTML = data.events
    .filter((e) => e.type !== 'success')
    .map((e) => `<i class="${e.type === 'collision' ? '' : 'end'}" style="left:${(100 * e.step) / Math.max(1, data.steps)}%" title="step ${e.step}: ${esc(e.type)} ${esc(e.detail ?? '')}"></i>`)
    .join('');
  header();
  markCurrent();
  window.__viewer.current = { policy: data.policy, episodeId: data.episodeId };
  setStep(0);
  window.__viewer.ready = true;
}

function header() {
  const d = state.data;
  $('title').innerHTML = `${esc(d.policy)} <span class="dim">(${esc(d.variant)})</span> · <span class="dim">episode</span> ${esc(d.episodeId)} · ${esc(d.sceneId)} <span class="dim">seed ${d.seed}</span> <span class="badge ${esc(d.outcome)}">${esc(d.measures.failure || d.outcome)}</span>`;
  const v = $('verify');
  if (d.verify.ok) {
    v.className = 'verify ok';
    v.textContent = `✓ ${d.verify.message}`;
  } else {
    v.className = 'verify bad';
    v.textContent = `✗ REPLAY DIVERGED — ${d.verify.message}. Showing the recorded poses.`;
  }
  const side = d.side;
  $('instruction').innerHTML = `<span class="dim">Instruction:</span> “${esc(d.instruction).replace(new RegExp(`\\b(${side})\\b`), '<b>$1</b>')}” <span class="dim">— must pass on the <b>${esc(side)}</b>; ${esc(d.split)} / ${esc(d.family)}</span>`;
  $('cmd').textContent = d.replayCommand;
  const m = d.measures;
  $('epText').innerHTML = `<div class="kv">${[
    ['outcome', `${d.outcome}${d.reason ? ` (${d.reason})` : ''}`],
    ...(m.failure ? [['failure', `${m.failure}${m.failure_flags ? ` (also ${m.failure_flags})` : ''}`]] : []),
    ...(m.stopped === true || typeof m.stop_error === 'number' ? [['stop', `${typeof m.terminal_distance === 'number' ? m.terminal_distance.toFixed(2) : '?'} m from the target${typeof m.stop_error === 'number' && m.stop_error > 0 ? `, ${m.stop_error.toFixed(2)} m outside the band` : ''}`]] : []),
    ['steps', `${d.steps} (${d.actionMode})`],
    ['passed side', m.passed_side ?? '–'],
    ['instruction followed', m.instruction_followed ?? '–'],
    ['collisions', m.collisions ?? '–'],
    ['SPL', typeof m.spl === 'number' ? m.spl.toFixed(2) : '–'],
    ['suite', `${d.suite} v${d.suiteVersion}`],
    ...(d.probe ? [['probe', d.probe]] : []),
  ]
    .map(([k, val]) => `<div><span>${esc(k)}:</span> ${esc(val)}</div>`)
    .join('')}${d.note ? `<div class="dim">${esc(d.note)}</div>` : ''}</div>`;
}

function setStep(k) {
  const d = state.data;
  if (!d) return;
  k = Math.max(0, Math.min(d.steps, Math.round(Number(k)) || 0));
  state.step = k;
  window.__viewer.step = k;
  $('scrub').value = String(k);
  $('stepLabel').textContent = `step ${k} / ${d.steps}`;
  drawCam(k);
  drawTop(k);
  drawDial(k);
  stepInfo(k);
}

function drawCam(k) {
  const c = $('cam');
  const g = c.getContext('2d');
  g.imageSmoothingEnabled = false;
  g.fillStyle = '#111';
  g.fillRect(0, 0, c.width, c.height);
  const im = state.cams[k];
  if (im) g.drawImage(im, 0, 0, c.width, c.height);
  else {
    g.fillStyle = '#9ca3af';
    g.font = '14px system-ui';
    g.fillText('no camera frames (prepared without a browser)', 16, c.height / 2);
  }
  const seen = k < state.data.steps;
  $('camNote').textContent = seen ? `frame ${k}: what the policy saw before choosing action ${k}` : `frame ${k}: after the last action (not seen by the policy)`;
  g.fillStyle = 'rgba(0,0,0,0.6)';
  g.fillRect(0, 0, 92, 24);
  g.fillStyle = '#fff';
  g.font = 'bold 14px system-ui';
  g.fillText(`step ${k}`, 8, 17);
  const hits = state.data.events.filter((e) => e.type === 'collision' && e.step === k);
  if (hits.length) {
    g.strokeStyle = COL.hit;
    g.lineWidth = 6;
    g.strokeRect(3, 3, c.width - 6, c.height - 6);
    g.fillStyle = COL.hit;
    g.fillRect(0, c.height - 28, c.width, 28);
    g.fillStyle = '#fff';
    g.fillText(`COLLISION with ${hits.map((h) => h.detail).join(', ')}`, 10, c.height - 9);
  }
}

/** World → canvas pixels (same window as the renderer's top-down). */
function mapper(c) {
  const v = state.data.view;
  const sx = c.width / v.w;
  return {
    s: (v.w / (2 * v.hw)) * sx,
    p: (x, y) => [((x - (v.cx - v.hw)) / (2 * v.hw)) * c.width, ((v.cy + v.hh - y) / (2 * v.hh)) * c.height],
  };
}

function drawVectorScene(g, c, m) {
  const sc = state.data.scene;
  g.fillStyle = '#f5f5f4';
  g.fillRect(0, 0, c.width, c.height);
  const [a0, a1] = m.p(sc.room.min[0], sc.room.max[1]);
  const [b0, b1] = m.p(sc.room.max[0], sc.room.min[1]);
  g.fillStyle = COL.wall;
  g.fillRect(a0 - 5, a1 - 5, b0 - a0 + 10, b1 - a1 + 10);
  g.fillStyle = COL.floor;
  g.fillRect(a0, a1, b0 - a0, b1 - a1);
  for (const b of sc.obstacles) {
    const [x, y] = m.p(b.pose.x, b.pose.y);
    g.save();
    g.translate(x, y);
    g.rotate(-b.pose.yaw);
    g.fillStyle = b.colour;
    g.fillRect((-b.size[0] / 2) * m.s, (-b.size[1] / 2) * m.s, b.size[0] * m.s, b.size[1] * m.s);
    g.restore();
  }
  const [gx, gy] = m.p(sc.goal.x, sc.goal.y);
  g.strokeStyle = COL.goal;
  g.lineWidth = 2;
  g.beginPath();
  g.arc(gx, gy, sc.goal.radius * m.s, 0, 2 * Math.PI);
  g.stroke();
  const [tx, ty] = m.p(sc.target.x, sc.target.y);
  g.fillStyle = COL.target;
  g.beginPath();
  g.arc(tx, ty, Math.max(4, 0.05 * m.s), 0, 2 * Math.PI);
  g.fill();
}

function arrow(g, x0, y0, x1, y1, w, colour) {
  const L = Math.hypot(x1 - x0, y1 - y0);
  if (L < 1) return;
  const ux = (x1 - x0) / L;
  const uy = (y1 - y0) / L;
  const head = Math.min(L * 0.5, 5 + w * 2.5);
  g.strokeStyle = g.fillStyle = colour;
  g.lineWidth = w;
  g.lineCap = 'round';
  g.beginPath();
  g.moveTo(x0, y0);
  g.lineTo(x1 - ux * head * 0.6, y1 - uy * head * 0.6);
  g.stroke();
  g.beginPath();
  g.moveTo(x1, y1);
  g.lineTo(x1 - ux * head - uy * head * 0.55, y1 - uy * head + ux * head * 0.55);
  g.lineTo(x1 - ux * head + uy * head * 0.55, y1 - uy * head - ux * head * 0.55);
  g.closePath();
  g.fill();
}

/** The arrow of action k, world frame (m), as computed on the Node side (replay.json `arrows`). */
function actionVec(k) {
  const v = state.data.arrows.world[k];
  return v ? { dx: v[0], dy: v[1] } : null;
}

function drawTop(k) {
  const d = state.data;
  const c = $('top');
  const g = c.getContext('2d');
  const m = mapper(c);
  if (state.top) g.drawImage(state.top, 0, 0, c.width, c.height);
  else drawVectorScene(g, c, m);
  const P = d.poses.map((p) => m.p(p[0], p[1]));
  // the rest of the path, faint, so the whole episode is visible while scrubbing
  g.setLineDash([4, 4]);
  g.strokeStyle = 'rgba(30,108,255,0.35)';
  g.lineWidth = 2;
  g.beginPath();
  P.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
  g.stroke();
  g.setLineDash([]);
  g.strokeStyle = COL.path;
  g.lineWidth = 3;
  g.lineJoin = 'round';
  g.beginPath();
  P.slice(0, k + 1).forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
  g.stroke();
  // earlier actions: faint arrows at each pose, half the given length so they do not hide the path
  for (let i = 0; i < k; i++) {
    const v = actionVec(i);
    if (!v || (!v.dx && !v.dy)) continue;
    const [x0, y0] = P[i];
    const [x1, y1] = m.p(d.poses[i][0] + v.dx * 0.5, d.poses[i][1] + v.dy * 0.5);
    arrow(g, x0, y0, x1, y1, 1.5, 'rgba(236,72,153,0.45)');
  }
  for (const h of d.collisions) {
    const [x, y] = m.p(h.x, h.y);
    const past = h.step <= k;
    g.fillStyle = past ? COL.hit : 'rgba(239,68,68,0.3)';
    g.beginPath();
    g.arc(x, y, past ? 6 : 4, 0, 2 * Math.PI);
    g.fill();
    if (past) {
      g.font = 'bold 11px system-ui';
      g.fillText(`${h.what} @${h.step}`, x + 8, y - 6);
    }
  }
  const p = d.poses[k];
  const [rx, ry] = P[k];
  const rr = d.scene.robotRadius * m.s;
  g.fillStyle = 'rgba(250,204,21,0.85)';
  g.strokeStyle = COL.edge;
  g.lineWidth = 2;
  g.beginPath();
  g.arc(rx, ry, rr, 0, 2 * Math.PI);
  g.fill();
  g.stroke();
  g.beginPath();
  g.moveTo(rx, ry);
  g.lineTo(rx + Math.cos(p[2]) * rr, ry - Math.sin(p[2]) * rr);
  g.stroke();
  const v = actionVec(k);
  if (v && (v.dx || v.dy)) {
    const [ex, ey] = m.p(p[0] + v.dx, p[1] + v.dy);
    arrow(g, rx, ry, ex, ey, 3.5, COL.act);
  }
}

function drawDial(k) {
  const c = $('dial');
  const g = c.getContext('2d');
  const R = 48;
  const cx = c.width / 2;
  const cy = c.height / 2;
  g.clearRect(0, 0, c.width, c.height);
  g.strokeStyle = '#4b5563';
  g.lineWidth = 1;
  g.beginPath();
  g.arc(cx, cy, R, 0, 2 * Math.PI);
  g.moveTo(cx - R, cy);
  g.lineTo(cx + R, cy);
  g.moveTo(cx, cy - R);
  g.lineTo(cx, cy + R);
  g.stroke();
  g.fillStyle = '#9ca3af';
  g.font = '10px system-ui';
  g.fillText('fwd', cx + 3, cy - R + 10);
  g.fillText('left', cx - R + 2, cy - 3);
  const arrows = state.data.arrows;
  const v = arrows.robot[k];
  if (!v) {
    g.fillText('no action', cx - 22, cy + 20);
    return;
  }
  // robot frame on screen: forward = up, left = left; the rim is the longest arrow the drive can command
  const u = R / arrows.max;
  arrow(g, cx, cy, cx - v[1] * u, cy - v[0] * u, 3, COL.act);
  // a rotation (angular_z): an arc on the rim, counter-clockwise (left) or clockwise, as long as the turn
  const turn = (arrows.spin ?? [])[k] ?? 0;
  if (turn) {
    const r = R * 0.8;
    const a0 = -Math.PI / 2; // screen angle of "forward"
    const a1 = a0 - turn; // screen y points down: a left (CCW) turn runs anticlockwise on screen
    g.strokeStyle = COL.act;
    g.lineWidth = 3;
    g.beginPath();
    g.arc(cx, cy, r, Math.min(a0, a1), Math.max(a0, a1));
    g.stroke();
    const ex = cx + r * Math.cos(a1);
    const ey = cy + r * Math.sin(a1);
    const tx = -Math.sin(a1) * Math.sign(-turn);
    const ty = Math.cos(a1) * Math.sign(-turn);
    arrow(g, ex - tx * 6, ey - ty * 6, ex, ey, 3, COL.act);
    g.fillStyle = COL.act;
    g.fillText(`${turn > 0 ? '⟲' : '⟳'} ${((Math.abs(turn) * 180) / Math.PI).toFixed(0)}°`, cx + 4, cy + R - 4);
  }
}

/** No arrow for action k: the drive does not move for it (deadband). */
function stopped(k) {
  const v = state.data.arrows.robot[k];
  const turn = (state.data.arrows.spin ?? [])[k] ?? 0;
  return !v || (!v[0] && !v[1] && !turn);
}

/** The server's own fields at this step (predicted_label, stop_latched, bbox, latency_ms…), as key: value. */
function serverInfo(info) {
  if (!info) return '';
  const show = (v) => (typeof v === 'number' ? fmt(v, 3) : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return `<div class="dim">server:</div>${Object.entries(info)
    .map(([key, v]) => `<div><span>${esc(key)}:</span> ${esc(show(v))}</div>`)
    .join('')}`;
}

function stepInfo(k) {
  const d = state.data;
  const a = d.actions[k];
  const deg = (r) => ((r * 180) / Math.PI).toFixed(1);
  $('actText').innerHTML = a
    ? `<div class="kv"><div><span>action ${k}:</span> [${a.map((x) => fmt(x, 3)).join(', ')}]</div><div><span>direction:</span> ${stopped(k) ? 'STOP' : (state.data.arrows.spin ?? [])[k] ? `spin ${(state.data.arrows.spin[k] > 0 ? 'left' : 'right')}` : `${deg(Math.atan2(a[1] ?? 0, a[0] ?? 0))}° (robot frame, + = left)`}</div><div><span>mode:</span> ${esc(d.actionMode)}${d.held && d.held[k] ? ' · <b>held</b> (the policy was still computing)' : ''}</div>${serverInfo(d.info && d.info[k])}</div>`
    : `<div class="kv dim">${k === d.steps ? 'episode over: no action after the last frame' : 'no action'}</div>`;
  const p = d.poses[k];
  const g = d.scene.goal;
  const contacts = k > 0 ? d.contacts[k - 1] ?? [] : [];
  const ev = d.events.filter((e) => e.step === k);
  $('stateText').innerHTML = `<div class="kv"><div><span>pose:</span> x ${fmt(p[0])} y ${fmt(p[1])} yaw ${deg(p[2])}°</div><div><span>to goal:</span> ${fmt(Math.hypot(p[0] - g.x, p[1] - g.y), 2)} m (radius ${g.radius})</div><div><span>touching:</span> ${contacts.length ? `<span class="hit">${esc(contacts.join(', '))}</span>` : 'nothing'}</div>${ev.map((e) => `<div class="hit">${esc(e.type)}${e.detail ? `: ${esc(e.detail)}` : ''}</div>`).join('')}<div><span>state hash:</span> ${esc(d.hashes[k] ?? '–')}</div></div>`;
}

function play() {
  if (state.playing) return stop();
  if (state.step >= state.data.steps) setStep(0);
  state.playing = true;
  $('play').textContent = '⏸ pause';
  const tick = () => {
    if (!state.playing) return;
    if (state.step >= state.data.steps) return stop();
    setStep(state.step + 1);
    state.timer = setTimeout(tick, Number($('speed').value));
  };
  state.timer = setTimeout(tick, Number($('speed').value));
}

function stop() {
  state.playing = false;
  clearTimeout(state.timer);
  $('play').textContent = '▶ play';
}

function neighbour(delta) {
  const d = state.data;
  const i = state.list.findIndex((e) => d && e.policy === d.policy && e.episodeId === d.episodeId);
  go(Math.max(0, Math.min(state.list.length - 1, i + delta)));
}

function wire() {
  $('scrub').addEventListener('input', (e) => {
    stop();
    setStep(e.target.value);
  });
  $('play').onclick = play;
  $('back').onclick = () => (stop(), setStep(state.step - 1));
  $('fwd').onclick = () => (stop(), setStep(state.step + 1));
  $('prevEp').onclick = () => neighbour(-1);
  $('nextEp').onclick = () => neighbour(1);
  document.addEventListener('keydown', (e) => {
    if (e.target.tagName === 'SELECT' || !state.data) return;
    if (e.key === ' ') (e.preventDefault(), play());
    else if (e.key === 'ArrowLeft') (stop(), setStep(state.step - 1));
    else if (e.key === 'ArrowRight') (stop(), setStep(state.step + 1));
    else if (e.key === 'n') neighbour(1);
    else if (e.key === 'p') neighbour(-1);
    else if (e.key === 'Home') setStep(0);
    else if (e.key === 'End') setStep(state.data.steps);
  });
}

main().catch((e) => fail(String(e && e.stack ? e.stack : e)));
