// formscore annotate: the page. Plain browser JavaScript (no build step); Vega and
// Vega-Lite come from the server's /vendor/ (the project's node_modules).
// Everything shown from data (file names, errors) goes through textContent, never HTML.

// The data contract (score dimensions, angle channels, frames per rep) comes from the
// server's /api/state, which takes it from src/data/exercises.ts.
let DIMENSIONS = [];
let ANGLES = [];
let FRAMES = 0;
// Each angle channel's joint and side, for the chart's colours and dashes.
const JOINT = ['knee', 'knee', 'hip', 'hip', 'elbow', 'elbow', 'shoulder', 'shoulder', 'spine'];
const SIDE = ['left', 'right', 'left', 'right', 'left', 'right', 'left', 'right', 'centre'];

const $ = (id) => document.getElementById(id);
const JOINTS = ['knee', 'hip', 'elbow', 'shoulder', 'spine'];
const state = {
  exercise: 'squat',
  annotator: '',
  source: '',
  study: [], // the server's list of study files with the annotator's progress
  data: null, // the server's /api/reps answer
  index: 0,
  dirty: false,
  blind: false,
  hidden: new Set(), // joints switched off in the chart
  drafts: new Map(), // "source\0repId" → unsaved scores kept when moving away
  leaving: 0, // -1 / +1: a first arrow press on unsaved scores; the second one moves
  selectedCut: -1, // index of the boundary picked in the overview (Delete removes it)
};
let view = null; // the Vega view of the current rep

// ---- server calls --------------------------------------------------------------

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({ error: `server answered ${res.status}` }));
  if (!res.ok) throw new Error(json.error ?? `server answered ${res.status}`);
  return json;
}

// ---- messages --------------------------------------------------------------------

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
}
function showNotice(text) {
  $('notice').textContent = text;
  $('notice').hidden = !text;
}
function say(text, kind = '') {
  $('message').textContent = text;
  $('message').className = kind;
}

// ---- chart -------------------------------------------------------------------------

// Knees, hips, elbows, shoulders as colour pairs (left solid, right dashed), spine alone;
// the rep at its real length (frames as recorded), wheel or drag to zoom and pan the frame axis.
function chartSpec(width, rep) {
  const angles = {
    width,
    // Short windows keep the whole chart, band and legend on screen.
    height: Math.max(180, Math.min(300, window.innerHeight - 640)),
    data: { name: 'angles' },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2, interpolate: 'linear', clip: true },
        params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }],
        encoding: {
          x: { field: 'frame', type: 'quantitative', title: 'frame of the rep (as recorded)', scale: { domain: [0, rep.count - 1], nice: false } },
          y: { field: 'value', type: 'quantitative', title: 'angle (°)', scale: { domain: [0, 180] } },
          color: {
            field: 'joint', type: 'nominal', title: 'joint',
            scale: { domain: JOINTS, range: ['#1f77b4', '#e4572e', '#2a9d3a', '#8e44ad', '#333333'] },
          },
          strokeDash: {
            field: 'side', type: 'nominal', title: 'side',
            legend: { symbolType: 'stroke', symbolSize: 300, symbolStrokeWidth: 2 },
            scale: { domain: ['left', 'right', 'centre'], range: [[1, 0], [6, 4], [1, 0]] },
          },
          detail: { field: 'angle' },
        },
      },
      {
        transform: [{ pivot: 'angle', value: 'value', groupby: ['frame'] }],
        mark: { type: 'rule', color: '#777' },
        encoding: {
          x: { field: 'frame', type: 'quantitative' },
          opacity: { condition: { value: 0.6, param: 'hover', empty: false }, value: 0 },
          tooltip: [{ field: 'frame', type: 'quantitative' }, ...ANGLES.map((a) => ({ field: a, type: 'quantitative', format: '.1f' }))],
        },
        params: [{ name: 'hover', select: { type: 'point', fields: ['frame'], nearest: true, on: 'pointerover', clear: 'pointerout' } }],
      },
    ],
  };
  // The pose estimator's confidence under the angles, with the line below which a frame counts as lost.
  const band = rep.confidence && {
    width,
    height: 50,
    data: { name: 'confidence' },
    layer: [
      {
        mark: { type: 'area', color: '#9aa5b1', opacity: 0.6, clip: true },
        encoding: {
          x: { field: 'frame', type: 'quantitative', title: null, axis: { labels: false }, scale: { domain: [0, rep.count - 1], nice: false } },
          y: { field: 'confidence', type: 'quantitative', title: 'conf.', scale: { domain: [0, 1] }, axis: { tickCount: 2 } },
        },
      },
      { mark: { type: 'rule', color: '#b42318', strokeDash: [4, 3] }, encoding: { y: { datum: 0.3 } } },
    ],
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(band ? { vconcat: [angles, band] } : angles),
    config: { font: 'system-ui, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { orient: 'top', direction: 'horizontal' }, concat: { spacing: 4 } },
  };
}

function longRows(rep) {
  const rows = [];
  for (let t = 0; t < rep.count; t++) {
    for (let c = 0; c < ANGLES.length; c++) {
      if (state.hidden.has(JOINT[c])) continue;
      rows.push({ frame: t, angle: ANGLES[c], joint: JOINT[c], side: SIDE[c], value: rep.frames[t * ANGLES.length + c] });
    }
  }
  return rows;
}

const READOUT_HINT = 'Hover the chart to read the angles of a frame.';

// Hover: a small box next to the pointer, and the same values in a line under the chart.
function tooltipHandler(_handler, event, _item, value) {
  const tip = $('tooltip');
  if (value == null || typeof value !== 'object' || value.frame === undefined) {
    tip.hidden = true;
    return;
  }
  const text = ANGLES.filter((a) => value[a] !== undefined).map((a) => `${a} ${Number(value[a]).toFixed(1)}°`);
  tip.textContent = '';
  const head = document.createElement('strong');
  head.textContent = `frame ${value.frame}`;
  tip.append(head);
  for (const line of text) {
    const div = document.createElement('div');
    div.textContent = line;
    tip.append(div);
  }
  tip.hidden = false;
  // Beside the pointer, flipped to the other side near the window's right or bottom edge.
  const x = event.clientX + 14 + tip.offsetWidth > window.innerWidth ? event.clientX - 14 - tip.offsetWidth : event.clientX + 14;
  const y = event.clientY + 14 + tip.offsetHeight > window.innerHeight ? event.clientY - 14 - tip.offsetHeight : event.clientY + 14;
  tip.style.left = `${Math.max(0, x)}px`;
  tip.style.top = `${Math.max(0, y)}px`;
  $('hover-readout').textContent = `frame ${value.frame}: ${text.join(' · ')}`;
}

async function drawChart(rep) {
  if (view) view.finalize();
  // The chart fills its panel, less the y axis and its title.
  const width = Math.max(300, $('chart').clientWidth - 70);
  const compiled = vegaLite.compile(chartSpec(width, rep)).spec;
  view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: '#chart', hover: true });
  view.tooltip(tooltipHandler);
  view.data('angles', longRows(rep));
  if (rep.confidence) view.data('confidence', rep.confidence.map((c, t) => ({ frame: t, confidence: c })));
  await view.runAsync();
}

// ---- overview of the whole recording, with the rep boundaries -----------------------

const SVG_NS = 'http://www.w3.org/2000/svg';
const OVERVIEW_HEIGHT = 90;

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function drawOverview() {
  const svg = $('overview');
  svg.textContent = '';
  const data = state.data;
  if (!data) return;
  const rec = data.recording;
  const width = Math.max(300, svg.parentElement.clientWidth);
  svg.setAttribute('viewBox', `0 0 ${width} ${OVERVIEW_HEIGHT}`);
  svg.setAttribute('width', width);
  svg.setAttribute('height', OVERVIEW_HEIGHT);
  const x = (frame) => (frame / Math.max(1, rec.frames - 1)) * (width - 2) + 1;
  const y = (angle) => OVERVIEW_HEIGHT - 4 - (angle / 180) * (OVERVIEW_HEIGHT - 8);
  const rep = data.reps[state.index];
  if (rep) svg.append(svgEl('rect', { x: x(rep.start), y: 0, width: Math.max(1, x(rep.start + rep.count - 1) - x(rep.start)), height: OVERVIEW_HEIGHT, class: 'current' }));
  const points = rec.primary.map((v, t) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  svg.append(svgEl('polyline', { points, class: 'primary' }));
  rec.cuts.forEach((cut, i) => {
    const line = svgEl('line', { x1: x(cut), x2: x(cut), y1: 0, y2: OVERVIEW_HEIGHT, class: `cut${i === state.selectedCut ? ' selected' : ''}`, 'data-cut': i });
    svg.append(line);
    if (rec.editable) svg.append(svgEl('rect', { x: x(cut) - 5, y: 0, width: 10, height: OVERVIEW_HEIGHT, class: 'handle', 'data-cut': i }));
  });
  const how = {
    rep_id: 'reps as tagged by the app (rep_id)', 'whole file': 'the whole file is one rep',
    automatic: 'reps found automatically', edited: 'reps as corrected by an expert',
  }[rec.segmentation];
  $('overview-note').textContent = `${rec.joint} over the whole recording (${rec.frames} frames): ${data.n} reps, ${how}. ` +
    (rec.editable ? 'Drag a boundary, double-click to add one, click one and press Delete to remove it.' : rec.segmentation === 'automatic' || rec.segmentation === 'edited' ? 'Boundaries are fixed once a rep is annotated.' : '');
}

function overviewFrame(event) {
  const svg = $('overview');
  const box = svg.getBoundingClientRect();
  const frames = state.data.recording.frames;
  return Math.round(((event.clientX - box.left - 1) / (box.width - 2)) * (frames - 1));
}

async function saveCuts(cuts) {
  if (!requireAnnotator()) return drawOverview();
  try {
    const data = await api('POST', '/api/segments', { exercise: state.exercise, source: state.source, annotator: state.annotator, cuts });
    state.data = data;
    state.index = Math.min(state.index, data.n - 1);
    say(`Boundaries saved: ${data.n} reps.`, 'good');
    render();
    await refreshStudy();
  } catch (err) {
    say(`Boundaries not saved: ${err.message}`, 'bad');
    drawOverview();
  }
}

function wireOverview() {
  const svg = $('overview');
  let dragging = -1;
  svg.addEventListener('pointerdown', (e) => {
    const i = e.target.dataset?.cut;
    if (i === undefined || !state.data?.recording.editable) return;
    dragging = Number(i);
    state.selectedCut = dragging;
    svg.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  svg.addEventListener('pointermove', (e) => {
    if (dragging < 0) return;
    const cuts = state.data.recording.cuts;
    const lo = dragging > 0 ? cuts[dragging - 1] + 2 : 2;
    const hi = dragging < cuts.length - 1 ? cuts[dragging + 1] - 2 : state.data.recording.frames - 2;
    cuts[dragging] = Math.min(hi, Math.max(lo, overviewFrame(e)));
    drawOverview();
  });
  svg.addEventListener('pointerup', () => {
    if (dragging < 0) return;
    dragging = -1;
    void saveCuts([...state.data.recording.cuts]);
  });
  svg.addEventListener('dblclick', (e) => {
    if (!state.data?.recording.editable) return;
    const frame = overviewFrame(e);
    void saveCuts([...state.data.recording.cuts, frame].sort((a, b) => a - b));
  });
}

function removeSelectedCut() {
  if (state.selectedCut < 0 || !state.data?.recording.editable) return false;
  const cuts = state.data.recording.cuts.filter((_, i) => i !== state.selectedCut);
  state.selectedCut = -1;
  void saveCuts(cuts);
  return true;
}

// ---- score controls ---------------------------------------------------------------

function buildControls() {
  const body = $('scores').tBodies[0];
  DIMENSIONS.forEach((dim, d) => {
    const tr = document.createElement('tr');
    const label = document.createElement('th');
    label.innerHTML = `<kbd>${d + 1}</kbd> `;
    label.append(dim);
    const slider = Object.assign(document.createElement('input'), { type: 'range', min: 0, max: 100, step: 1, id: `slider-${dim}` });
    slider.setAttribute('aria-label', `${dim} score slider`);
    const number = Object.assign(document.createElement('input'), { type: 'number', min: 0, max: 100, step: 1, id: `score-${dim}` });
    number.setAttribute('aria-label', `${dim} score`);
    const rule = document.createElement('td');
    rule.className = 'rule';
    rule.id = `rule-${dim}`;
    slider.addEventListener('input', () => {
      number.value = slider.value;
      markSet(dim, true);
      touched();
    });
    number.addEventListener('input', () => {
      const v = number.value === '' ? NaN : Number(number.value);
      const ok = Number.isFinite(v) && v >= 0 && v <= 100;
      number.classList.toggle('invalid', !ok && number.value !== '');
      if (ok) slider.value = String(v);
      markSet(dim, ok);
      touched();
    });
    const c1 = document.createElement('td');
    c1.append(slider);
    const c2 = document.createElement('td');
    c2.append(number);
    tr.append(label, c1, c2, rule);
    body.append(tr);
  });
  const toggles = $('channels');
  for (const joint of JOINTS) {
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: true, id: `show-${joint}` });
    box.addEventListener('change', () => {
      if (box.checked) state.hidden.delete(joint);
      else state.hidden.add(joint);
      if (state.data) drawChart(state.data.reps[state.index]).catch((err) => showError(`Chart: ${err.message}`));
    });
    const label = document.createElement('label');
    label.append(box, ` ${joint}`);
    toggles.append(label);
  }
}

function markSet(dim, on) {
  $(`slider-${dim}`).classList.toggle('unset', !on);
}

function touched() {
  state.dirty = true;
  state.leaving = 0;
  $('saved-state').textContent = 'unsaved changes';
  $('saved-state').className = 'dirty';
}

function setControls(scores) {
  DIMENSIONS.forEach((dim, d) => {
    const v = scores ? scores[d] : null;
    $(`score-${dim}`).value = v === null || v === undefined || v === '' ? '' : String(v);
    $(`score-${dim}`).classList.remove('invalid');
    $(`slider-${dim}`).value = v === null || v === undefined || v === '' ? '50' : String(v);
    markSet(dim, v !== null && v !== undefined && v !== '');
  });
}

function readControls() {
  const scores = {};
  for (const dim of DIMENSIONS) {
    const raw = $(`score-${dim}`).value.trim();
    const v = raw === '' ? NaN : Number(raw);
    if (raw === '') throw new Error(`Set a ${dim} score first${state.blind ? '' : ' (or press R to start from the rule scores)'}.`);
    if (!Number.isFinite(v) || v < 0 || v > 100) throw new Error(`${dim}: "${raw}" is not a number from 0 to 100.`);
    scores[dim] = v;
  }
  return scores;
}

const draftKey = (rep) => `${state.annotator}\0${state.source}\0${rep.repId}`;

/** Keeps the current rep's unsaved scores, to come back when the expert returns to it. */
function keepDraft() {
  if (!state.dirty || !state.data) return false;
  state.drafts.set(draftKey(state.data.reps[state.index]), DIMENSIONS.map((dim) => $(`score-${dim}`).value));
  state.dirty = false;
  return true;
}

// ---- rendering ---------------------------------------------------------------------

function render() {
  const data = state.data;
  const has = !!data && data.n > 0;
  document.body.classList.toggle('empty', !has);
  document.body.classList.toggle('blind', state.blind);
  $('exercise-label').textContent = state.exercise.replace('_', ' ');
  // A new rep: the previous one's hover values do not belong here.
  $('hover-readout').textContent = READOUT_HINT;
  $('tooltip').hidden = true;
  $('undo').disabled = !data?.canUndo;
  if (!has) {
    $('rep-counter').textContent = 'Rep 0 / 0';
    $('annotated-counter').textContent = 'Annotated 0 / 0';
    return;
  }
  const rep = data.reps[state.index];
  $('rep-counter').textContent = `Rep ${state.index + 1} / ${data.n}`;
  $('annotated-counter').textContent = `Annotated ${data.annotated} / ${data.n}`;
  $('rep-duration').textContent = `${rep.count} frames` + (rep.durationMs === null ? '' : ` · ${(rep.durationMs / 1000).toFixed(2)} s`);
  $('rep-id').textContent = `rep_id ${rep.repId}` + (rep.annotators.length ? ` · scored by ${rep.annotators.join(', ')}` : '');
  const verdict = { scored: 'saved', skipped: 'skipped', flagged: `flagged: ${rep.comment}` }[rep.status] ?? 'not annotated yet';
  $('saved-state').textContent = verdict;
  $('saved-state').className = rep.status ? 'saved' : '';
  // The network's training data did not cover this rep: its scores here would not be trustworthy.
  $('domain-gap').hidden = rep.domainGaps.length === 0;
  $('domain-gap').textContent = rep.domainGaps.length
    ? `Outside the training data of ${data.coverageModel}: ${rep.domainGaps.join('; ')}` : '';
  const draft = state.drafts.get(draftKey(rep));
  setControls(draft ?? rep.scores);
  $('flag-comment').value = rep.status === 'flagged' ? rep.comment : '';
  DIMENSIONS.forEach((dim, d) => ($(`rule-${dim}`).textContent = state.blind ? '' : rep.rules[d].toFixed(0)));
  state.dirty = false;
  state.leaving = 0;
  if (draft) {
    touched();
    $('saved-state').textContent = 'unsaved draft (kept when you moved away)';
  }
  renderIcc(data.icc, $('icc-table'), $('icc-note'));
  drawOverview();
  drawChart(rep).catch((err) => showError(`Chart: ${err.message}`));
}

function renderIcc(icc, table, note) {
  const body = table.tBodies[0];
  body.textContent = '';
  if (!icc) {
    note.textContent = 'Appears once two annotators have scored the same reps.';
    table.hidden = true;
    return;
  }
  note.textContent = `${icc.annotators.join(' vs ')} on ${icc.reps} shared rep${icc.reps === 1 ? '' : 's'}`;
  for (const dim of DIMENSIONS) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = dim;
    const td = document.createElement('td');
    td.dataset.dim = dim;
    if (table.id === 'icc-table') td.id = `icc-${dim}`;
    const v = icc.icc[dim];
    td.textContent = v === null ? '–' : (Math.abs(v) < 0.005 ? 0 : v).toFixed(2); // no "-0.00"
    tr.append(th, td);
    body.append(tr);
  }
  table.hidden = false;
}

function renderStudy() {
  const body = $('study-table').tBodies[0];
  body.textContent = '';
  for (const f of state.study) {
    const tr = document.createElement('tr');
    tr.dataset.source = f.name;
    tr.classList.toggle('current', f.name === state.source);
    const done = f.scored + f.skipped + f.flagged;
    const cells = [f.participant, f.session, f.name, f.error ? 'cannot open' : `${done} / ${f.reps}`,
      [f.skipped ? `${f.skipped} skipped` : '', f.flagged ? `${f.flagged} flagged` : ''].filter(Boolean).join(', ')];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    if (f.error) tr.title = f.error;
    tr.classList.toggle('done', !f.error && f.reps > 0 && done === f.reps);
    tr.addEventListener('click', () => void openSource(f.name));
    body.append(tr);
  }
  $('study-note').textContent = state.study.length
    ? `${state.study.length} file${state.study.length === 1 ? '' : 's'}, ${new Set(state.study.map((f) => f.participant)).size} participant(s)` : 'No files yet.';
}

async function refreshStudy() {
  const q = new URLSearchParams({ exercise: state.exercise, annotator: state.annotator });
  const st = await api('GET', `/api/state?${q}`);
  state.study = st.study;
  renderStudy();
  return st;
}

async function loadReps(preferIndex) {
  if (!state.source) {
    state.data = null;
    render();
    return;
  }
  const q = new URLSearchParams({ exercise: state.exercise, source: state.source, annotator: state.annotator });
  document.body.dataset.loading = 'true'; // tests wait for it to go
  const data = await api('GET', `/api/reps?${q}`).finally(() => delete document.body.dataset.loading);
  state.data = data;
  if (data.exercise !== state.exercise) {
    state.exercise = data.exercise;
    $('exercise').value = data.exercise;
  }
  const firstOpen = data.reps.findIndex((r) => r.status === null);
  state.index = preferIndex !== undefined && preferIndex < data.n ? preferIndex : Math.max(0, firstOpen);
  state.selectedCut = -1;
  showNotice([
    data.renamed ? `A different file named ${data.source} was annotated before; this one is stored as ${data.sourceFile}.` : '',
    ...data.warnings,
  ].filter(Boolean).join(' '));
  render();
}

async function openSource(name, index) {
  if (!name) return;
  if (keepDraft()) say(`Rep ${state.index + 1} of ${state.source}: unsaved scores kept as a draft.`);
  state.source = name;
  localStorage.setItem('formscore.source', name);
  try {
    await loadReps(index);
    renderStudy();
  } catch (err) {
    showError(err.message);
  }
}

// ---- actions -----------------------------------------------------------------------

function go(index) {
  if (!state.data || index < 0 || index >= state.data.n) return;
  if (state.dirty) {
    // Unsaved scores are never dropped: the first press warns, the second moves and keeps them as a draft.
    const direction = Math.sign(index - state.index);
    if (state.leaving !== direction) {
      state.leaving = direction;
      say(`Rep ${state.index + 1} has unsaved scores: Enter saves them; press ${direction > 0 ? '→' : '←'} again to move on and keep them as a draft.`, 'bad');
      return;
    }
    keepDraft();
    say(`Rep ${state.index + 1}: unsaved scores kept as a draft; they come back when you return to it.`);
  } else {
    say('');
  }
  state.index = index;
  render();
}

function requireAnnotator() {
  if (state.annotator) return true;
  say('Enter your name in the Annotator field first: every score is stored with it.', 'bad');
  $('annotator').focus();
  return false;
}

/** Saves the current rep's verdict (scores, skip or flag), then moves to the next open rep. */
async function saveVerdict(status) {
  if (!state.data || !requireAnnotator()) return;
  const rep = state.data.reps[state.index];
  const body = { exercise: state.exercise, source: state.source, repId: rep.repId, annotator: state.annotator, status, mode: state.blind ? 'blind' : 'open' };
  if (status === 'scored') {
    try {
      body.scores = readControls();
    } catch (err) {
      say(err.message, 'bad');
      return;
    }
  }
  if (status === 'flagged') {
    body.comment = $('flag-comment').value.trim();
    if (!body.comment) {
      say('Say in the comment what is wrong with this rep, then press Enter (or the Flag button) again.', 'bad');
      $('flag-comment').focus();
      return;
    }
  }
  try {
    const res = await api('POST', '/api/annotations', body);
    rep.scores = res.saved.scores;
    rep.status = res.saved.status;
    rep.comment = res.saved.comment;
    state.drafts.delete(draftKey(rep));
    if (!rep.annotators.includes(state.annotator)) rep.annotators.push(state.annotator);
    state.data.annotated = res.annotated;
    state.data.icc = res.icc;
    state.data.canUndo = res.canUndo;
    state.data.recording.editable = false; // the server fixes boundaries once a rep is annotated
    state.dirty = false;
    const what = { scored: 'Saved', skipped: 'Skipped', flagged: 'Flagged' }[status];
    say(`${what} rep ${state.index + 1} (rep_id ${rep.repId}).`, 'good');
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    await refreshStudy();
    if (state.index + 1 < state.data.n) {
      state.index++;
      render();
    } else {
      await nextOpen();
    }
  } catch (err) {
    say(`Not saved: ${err.message}`, 'bad');
  }
}

/** The next rep this annotator has no verdict on yet: in this file, then in the study's next files. */
async function nextOpen() {
  if (!state.data) return;
  const n = state.data.n;
  for (let k = 1; k <= n; k++) {
    const i = (state.index + k) % n;
    if (state.data.reps[i].status === null) return void (state.index !== i && (state.dirty ? go(i) : ((state.index = i), render())));
  }
  const at = state.study.findIndex((f) => f.name === state.source);
  const order = [...state.study.slice(at + 1), ...state.study.slice(0, Math.max(0, at))];
  const next = order.find((f) => !f.error && f.scored + f.skipped + f.flagged < f.reps);
  if (next) {
    const done = state.source;
    await openSource(next.name);
    say(`${done} is done; on to ${next.name} (${next.participant}, ${next.session}).`, 'good');
    return;
  }
  render();
  say(`All reps of the study are annotated.`, 'good');
}

async function undoLast() {
  if (!requireAnnotator()) return;
  try {
    const res = await api('POST', '/api/undo', { exercise: state.exercise, annotator: state.annotator });
    const source = res.source ?? state.source;
    const index = await (async () => {
      state.source = source;
      await loadReps(0);
      return state.data.reps.findIndex((r) => r.repId === res.repId);
    })();
    state.index = Math.max(0, index);
    render();
    await refreshStudy();
    say(`Undone: rep_id ${res.repId} of ${source} is ${res.restored ? 'back to its earlier verdict' : 'unannotated again'}.`, 'good');
  } catch (err) {
    say(`Nothing undone: ${err.message}`, 'bad');
  }
}

function useRuleScores() {
  if (!state.data || state.blind) return;
  setControls(state.data.reps[state.index].rules.map((x) => Math.round(x)));
  touched();
}

function setBlind(on) {
  state.blind = on;
  $('blind').checked = on;
  render();
}

async function importFiles(list) {
  showError('');
  showNotice('');
  let last = null;
  for (const file of list) {
    try {
      const text = await file.text();
      const res = await api('POST', '/api/upload', { name: file.name, text, exercise: state.exercise });
      last = res.name;
      say(`Opened ${res.name}: ${res.reps} reps.`, 'good');
    } catch (err) {
      // The importer's messages start with the file name; say it once.
      const message = err.message.replace(/^[^:\n]+\.csv: /i, '');
      showError(`Could not open ${file.name}: ${message}. Nothing was saved.`);
    }
  }
  await refreshStudy();
  if (last) await openSource(last);
}

async function importOriginal(list) {
  if (!requireAnnotator()) return;
  const byName = new Map([...list].map((f) => [f.name, f]));
  const base64 = async (f) => {
    const bytes = new Uint8Array(await f.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  };
  try {
    if (!byName.has('annotations.csv') || !byName.has('sequences.npy')) throw new Error('choose annotations.csv and sequences.npy (and scores.npy) of the original folder');
    const folder = (byName.get('annotations.csv').webkitRelativePath || '').split('/')[0] || state.exercise;
    const res = await api('POST', '/api/import-original', {
      exercise: state.exercise, annotator: state.annotator, folder,
      annotations: await byName.get('annotations.csv').text(),
      sequences: await base64(byName.get('sequences.npy')),
      scores: byName.has('scores.npy') ? await base64(byName.get('scores.npy')) : undefined,
    });
    say(`Imported ${res.reps} annotated reps as ${state.annotator} (stored as ${res.sourceFile}).`, 'good');
    showError('');
    if (!$('adjudication').hidden) await loadAdjudication();
  } catch (err) {
    showError(`Could not import: ${err.message}. Nothing was saved.`);
  }
}

// ---- adjudication --------------------------------------------------------------------

async function loadAdjudication() {
  const threshold = $('threshold').value || '10';
  const q = new URLSearchParams({ exercise: state.exercise, threshold });
  const res = await api('GET', `/api/adjudication?${q}`);
  renderIcc(res.icc, $('adj-icc'), $('adj-icc-note'));
  const body = $('adj-table').tBodies[0];
  body.textContent = '';
  for (const d of res.reps) {
    const tr = document.createElement('tr');
    const annotators = Object.keys(d.scores).sort();
    const cells = [d.source ?? d.sourceFile, d.repId, ...DIMENSIONS.map((dim, k) =>
      `${annotators.map((a) => d.scores[a][k]).join(' / ')}${d.over.includes(dim) ? ` (Δ${d.spread[dim]})` : ''}`)];
    cells.forEach((text, k) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (k >= 2 && d.over.includes(DIMENSIONS[k - 2])) td.className = 'over';
      tr.append(td);
    });
    if (d.source) {
      tr.addEventListener('click', async () => {
        showAdjudication(false);
        await openSource(d.source);
        const i = state.data.reps.findIndex((r) => r.repId === d.repId);
        if (i >= 0) go(i);
      });
    }
    body.append(tr);
  }
  $('adj-note').textContent = `${res.reps.length} rep${res.reps.length === 1 ? '' : 's'} where annotators differ by more than ${res.threshold} points` +
    (res.reps.length ? ` (scores listed as ${Object.keys(res.reps[0].scores).sort().join(' / ')})` : '');
}

function showAdjudication(on) {
  $('adjudication').hidden = !on;
  $('annotate-view').hidden = on;
  $('adjudicate').textContent = on ? 'Back to scoring' : 'Adjudication';
  if (on) loadAdjudication().catch((err) => showError(err.message));
}

// ---- keyboard ----------------------------------------------------------------------

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  const tag = t instanceof HTMLElement ? t.tagName : '';
  const isRange = tag === 'INPUT' && t.type === 'range';
  const isField = (tag === 'INPUT' && !isRange && t.type !== 'checkbox') || tag === 'SELECT' || tag === 'TEXTAREA';
  if (e.key === 'Escape') {
    if (t instanceof HTMLElement) t.blur();
    return;
  }
  if (e.key === 'Enter') {
    if (tag === 'BUTTON' || tag === 'SELECT' || t.id === 'annotator' || t.id === 'threshold') return; // their own Enter
    e.preventDefault();
    void saveVerdict(t.id === 'flag-comment' ? 'flagged' : 'scored');
    return;
  }
  // A slider keeps its arrows and PgUp/PgDn, but 1-6 still pick another slider.
  if (isRange && e.key >= '1' && e.key <= '6') {
    e.preventDefault();
    $(`slider-${DIMENSIONS[Number(e.key) - 1]}`).focus();
    return;
  }
  if (isField || isRange || !$('adjudication').hidden) return; // typing and slider keys belong to the control
  if (e.key >= '1' && e.key <= '6') {
    e.preventDefault();
    $(`slider-${DIMENSIONS[Number(e.key) - 1]}`).focus();
    return;
  }
  switch (e.key) {
    case 'ArrowLeft': e.preventDefault(); go(state.index - 1); break;
    case 'ArrowRight': e.preventDefault(); go(state.index + 1); break;
    case 'n': case 'N': void nextOpen(); break;
    case 'r': case 'R': useRuleScores(); break;
    case 's': case 'S': void saveVerdict('skipped'); break;
    case 'f': case 'F': e.preventDefault(); $('flag-comment').focus(); say('Say what is wrong with this rep, then press Enter to flag it.'); break;
    case 'u': case 'U': void undoLast(); break;
    case 'b': case 'B': setBlind(!state.blind); break;
    case 'Delete': case 'Backspace': if (removeSelectedCut()) e.preventDefault(); break;
    default: break;
  }
}

// ---- start -------------------------------------------------------------------------

async function main() {
  const st = await api('GET', '/api/state');
  ({ dimensions: DIMENSIONS, angles: ANGLES, frames: FRAMES } = st);
  buildControls();
  wireOverview();
  const exSel = $('exercise');
  for (const ex of st.exercises) exSel.append(new Option(ex.replace('_', ' '), ex));
  state.exercise = st.exercise;
  exSel.value = st.exercise;
  // No default name: the expert types theirs once; the page remembers it.
  state.annotator = st.annotator || localStorage.getItem('formscore.annotator') || '';
  $('annotator').value = state.annotator;
  setBlind(st.blind);
  if (st.warnings.length) showNotice(st.warnings.join(' '));

  exSel.addEventListener('change', () => {
    state.exercise = exSel.value;
    refreshStudy().then(() => loadReps()).catch((err) => showError(err.message));
  });
  $('annotator').addEventListener('change', () => {
    const name = $('annotator').value.trim();
    if (!name) return;
    state.annotator = name;
    localStorage.setItem('formscore.annotator', name);
    refreshStudy().then(() => loadReps(state.index)).then(() => showError(''), (err) => showError(err.message));
  });
  $('blind').addEventListener('change', () => setBlind($('blind').checked));
  $('file-input').addEventListener('change', (e) => {
    if (e.target.files?.length) void importFiles([...e.target.files]);
    e.target.value = ''; // choosing the same file again fires change again
  });
  $('original-input').addEventListener('change', (e) => {
    if (e.target.files?.length) void importOriginal([...e.target.files]);
    e.target.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    document.addEventListener(type, (e) => {
      e.preventDefault();
      document.body.classList.add('dragging');
    });
  }
  document.addEventListener('dragleave', (e) => {
    if (e.relatedTarget === null) document.body.classList.remove('dragging');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const files = e.dataTransfer?.files;
    if (files?.length) void importFiles([...files]);
  });
  $('prev').addEventListener('click', () => go(state.index - 1));
  $('save-next').addEventListener('click', () => void saveVerdict('scored'));
  $('next-unannotated').addEventListener('click', () => void nextOpen());
  $('skip').addEventListener('click', () => void saveVerdict('skipped'));
  $('flag').addEventListener('click', () => void saveVerdict('flagged'));
  $('undo').addEventListener('click', () => void undoLast());
  $('use-rules').addEventListener('click', useRuleScores);
  $('reset-zoom').addEventListener('click', () => state.data && drawChart(state.data.reps[state.index]));
  $('adjudicate').addEventListener('click', () => showAdjudication($('adjudication').hidden));
  $('threshold').addEventListener('change', () => loadAdjudication().catch((err) => showError(err.message)));
  document.addEventListener('keydown', onKey);
  let resizing = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => state.data && render(), 150);
  });
  window.addEventListener('beforeunload', (e) => {
    if (state.dirty || state.drafts.size) e.preventDefault();
  });
  await refreshStudy();
  const remembered = localStorage.getItem('formscore.source');
  const names = state.study.map((f) => f.name);
  state.source = st.current && names.includes(st.current) && !names.includes(remembered) ? st.current : (names.includes(remembered) ? remembered : st.current ?? '');
  await loadReps();
  renderStudy();
  document.body.dataset.ready = 'true'; // tests wait for this
}

main().catch((err) => showError(`Could not start: ${err.message}`));
