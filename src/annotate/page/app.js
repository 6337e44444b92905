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
const state = {
  exercise: 'squat',
  annotator: '',
  source: '',
  data: null, // the server's /api/reps answer
  index: 0,
  dirty: false,
};
let view = null; // the Vega view, created once and fed new data per rep

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

// Knees, hips, elbows, shoulders as colour pairs (left solid, right dashed), spine alone.
function chartSpec() {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 620,
    height: 340,
    data: { name: 'angles' },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
        encoding: {
          x: { field: 'frame', type: 'quantitative', title: 'frame', scale: { domain: [0, FRAMES - 1], nice: false } },
          y: { field: 'value', type: 'quantitative', title: 'angle (°)', scale: { domain: [0, 180] } },
          color: {
            field: 'joint', type: 'nominal', title: 'joint',
            scale: { domain: ['knee', 'hip', 'elbow', 'shoulder', 'spine'], range: ['#1f77b4', '#e4572e', '#2a9d3a', '#8e44ad', '#333333'] },
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
    config: { font: 'system-ui, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { orient: 'right' } },
  };
}

function longRows(sequence) {
  const rows = [];
  for (let t = 0; t < FRAMES; t++) {
    for (let c = 0; c < ANGLES.length; c++) {
      rows.push({ frame: t, angle: ANGLES[c], joint: JOINT[c], side: SIDE[c], value: sequence[t * ANGLES.length + c] });
    }
  }
  return rows;
}

// Hover: a small box next to the pointer, and the same values in a line under the chart.
function tooltipHandler(_handler, event, _item, value) {
  const tip = $('tooltip');
  if (value == null || typeof value !== 'object') {
    tip.hidden = true;
    return;
  }
  const text = ANGLES.map((a) => `${a} ${Number(value[a]).toFixed(1)}°`);
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

async function drawChart(sequence) {
  if (!view) {
    const compiled = vegaLite.compile(chartSpec()).spec;
    view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: '#chart', hover: true });
    view.tooltip(tooltipHandler);
  }
  view.data('angles', longRows(sequence));
  await view.runAsync();
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
}

function markSet(dim, on) {
  $(`slider-${dim}`).classList.toggle('unset', !on);
}

function touched() {
  state.dirty = true;
  $('saved-state').textContent = 'unsaved changes';
  $('saved-state').className = 'dirty';
}

function setControls(scores) {
  DIMENSIONS.forEach((dim, d) => {
    const v = scores ? scores[d] : null;
    $(`score-${dim}`).value = v === null ? '' : String(v);
    $(`score-${dim}`).classList.remove('invalid');
    $(`slider-${dim}`).value = v === null ? '50' : String(v);
    markSet(dim, v !== null);
  });
}

function readControls() {
  const scores = {};
  for (const dim of DIMENSIONS) {
    const raw = $(`score-${dim}`).value.trim();
    const v = raw === '' ? NaN : Number(raw);
    if (raw === '') throw new Error(`Set a ${dim} score first (or press R to start from the rule scores).`);
    if (!Number.isFinite(v) || v < 0 || v > 100) throw new Error(`${dim}: "${raw}" is not a number from 0 to 100.`);
    scores[dim] = v;
  }
  return scores;
}

// ---- rendering ---------------------------------------------------------------------

function render() {
  const data = state.data;
  const has = !!data && data.n > 0;
  document.body.classList.toggle('empty', !has);
  $('exercise-label').textContent = state.exercise.replace('_', ' ');
  if (!has) {
    $('rep-counter').textContent = 'Rep 0 / 0';
    $('annotated-counter').textContent = 'Annotated 0 / 0';
    return;
  }
  const rep = data.reps[state.index];
  $('rep-counter').textContent = `Rep ${state.index + 1} / ${data.n}`;
  $('annotated-counter').textContent = `Annotated ${data.annotated} / ${data.n}`;
  $('rep-id').textContent = `rep_id ${rep.repId}` + (rep.annotators.length ? ` · scored by ${rep.annotators.join(', ')}` : '');
  $('saved-state').textContent = rep.scores ? 'saved' : 'not annotated yet';
  $('saved-state').className = rep.scores ? 'saved' : '';
  // The network's training data did not cover this rep: its scores here would not be trustworthy.
  $('domain-gap').hidden = rep.domainGaps.length === 0;
  $('domain-gap').textContent = rep.domainGaps.length
    ? `Outside the training data of ${data.coverageModel}: ${rep.domainGaps.join('; ')}` : '';
  setControls(rep.scores);
  DIMENSIONS.forEach((dim, d) => ($(`rule-${dim}`).textContent = rep.rules[d].toFixed(0)));
  state.dirty = false;
  renderIcc(data.icc);
  drawChart(rep.sequence).catch((err) => showError(`Chart: ${err.message}`));
}

function renderIcc(icc) {
  const table = $('icc-table');
  const body = table.tBodies[0];
  body.textContent = '';
  if (!icc) {
    $('icc-note').textContent = 'Appears once two annotators have scored the same reps.';
    table.hidden = true;
    return;
  }
  $('icc-note').textContent = `${icc.annotators.join(' vs ')} on ${icc.reps} shared rep${icc.reps === 1 ? '' : 's'}`;
  for (const dim of DIMENSIONS) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = dim;
    const td = document.createElement('td');
    td.id = `icc-${dim}`;
    const v = icc.icc[dim];
    td.textContent = v === null ? '–' : (Math.abs(v) < 0.005 ? 0 : v).toFixed(2); // no "-0.00"
    tr.append(th, td);
    body.append(tr);
  }
  table.hidden = false;
}

async function loadReps(preferIndex) {
  if (!state.source) {
    state.data = null;
    render();
    return;
  }
  const q = new URLSearchParams({ exercise: state.exercise, source: state.source, annotator: state.annotator });
  const data = await api('GET', `/api/reps?${q}`);
  state.data = data;
  const firstOpen = data.reps.findIndex((r) => r.scores === null);
  state.index = preferIndex !== undefined && preferIndex < data.n ? preferIndex : Math.max(0, firstOpen);
  showNotice([
    data.renamed ? `A different file named ${data.source} was annotated before; this one is stored as ${data.sourceFile}.` : '',
    ...data.warnings,
  ].filter(Boolean).join(' '));
  render();
}

// ---- actions -----------------------------------------------------------------------

function go(index) {
  if (!state.data || index < 0 || index >= state.data.n) return;
  state.index = index;
  say(state.dirty ? 'Left unsaved changes behind.' : '');
  render();
}

async function saveAndNext() {
  if (!state.data) return;
  let scores;
  try {
    scores = readControls();
  } catch (err) {
    say(err.message, 'bad');
    return;
  }
  const rep = state.data.reps[state.index];
  try {
    const res = await api('POST', '/api/annotations', {
      exercise: state.exercise, source: state.source, repId: rep.repId, annotator: state.annotator, scores,
    });
    rep.scores = res.saved.scores;
    if (!rep.annotators.includes(state.annotator)) rep.annotators.push(state.annotator);
    state.data.annotated = res.annotated;
    state.data.icc = res.icc;
    state.dirty = false;
    say(`Saved rep ${state.index + 1} (rep_id ${rep.repId}).`, 'good');
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    if (state.index + 1 < state.data.n) state.index++;
    else if (state.data.annotated === state.data.n) say(`Saved. All ${state.data.n} reps are annotated.`, 'good');
    render();
  } catch (err) {
    say(`Not saved: ${err.message}`, 'bad');
  }
}

function nextUnannotated() {
  if (!state.data) return;
  const n = state.data.n;
  for (let k = 1; k <= n; k++) {
    const i = (state.index + k) % n;
    if (state.data.reps[i].scores === null) return go(i);
  }
  say(`All ${n} reps are annotated.`, 'good');
}

function useRuleScores() {
  if (!state.data) return;
  setControls(state.data.reps[state.index].rules.map((x) => Math.round(x)));
  touched();
}

async function importFile(file) {
  showError('');
  showNotice('');
  try {
    const text = await file.text();
    const res = await api('POST', '/api/upload', { name: file.name, text });
    await refreshSources(res.name);
    await loadReps();
    say(`Opened ${res.name}: ${res.reps} reps.`, 'good');
  } catch (err) {
    // The importer's messages start with the file name; say it once.
    const message = err.message.replace(/^[^:\n]+\.csv: /i, '');
    showError(`Could not open ${file.name}: ${message}. Nothing was saved.`);
  }
}

async function refreshSources(select) {
  const st = await api('GET', '/api/state');
  const sel = $('source');
  sel.textContent = '';
  if (st.sources.length === 0) sel.append(new Option('(none open)', ''));
  for (const s of st.sources) sel.append(new Option(`${s.name} (${s.reps} reps)`, s.name));
  state.source = select ?? st.current ?? '';
  sel.value = state.source;
  return st;
}

// ---- keyboard ----------------------------------------------------------------------

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  const tag = t instanceof HTMLElement ? t.tagName : '';
  const isRange = tag === 'INPUT' && t.type === 'range';
  const isField = (tag === 'INPUT' && !isRange) || tag === 'SELECT' || tag === 'TEXTAREA';
  if (e.key === 'Escape') {
    if (t instanceof HTMLElement) t.blur();
    return;
  }
  if (e.key === 'Enter') {
    if (tag === 'BUTTON' || tag === 'SELECT' || t.id === 'annotator') return; // their own Enter
    e.preventDefault();
    void saveAndNext();
    return;
  }
  if (isField || isRange) return; // typing and slider keys belong to the control
  if (e.key >= '1' && e.key <= '6') {
    e.preventDefault();
    $(`slider-${DIMENSIONS[Number(e.key) - 1]}`).focus();
    return;
  }
  switch (e.key) {
    case 'ArrowLeft': e.preventDefault(); go(state.index - 1); break;
    case 'ArrowRight': e.preventDefault(); go(state.index + 1); break;
    case 'n': case 'N': nextUnannotated(); break;
    case 'r': case 'R': useRuleScores(); break;
    default: break;
  }
}

// ---- start -------------------------------------------------------------------------

async function main() {
  const st = await refreshSources();
  ({ dimensions: DIMENSIONS, angles: ANGLES, frames: FRAMES } = st);
  buildControls();
  const exSel = $('exercise');
  for (const ex of st.exercises) exSel.append(new Option(ex.replace('_', ' '), ex));
  state.exercise = st.exercise;
  exSel.value = st.exercise;
  state.annotator = st.annotator;
  $('annotator').value = st.annotator;

  exSel.addEventListener('change', () => {
    state.exercise = exSel.value;
    loadReps().catch((err) => showError(err.message));
  });
  $('source').addEventListener('change', () => {
    state.source = $('source').value;
    loadReps().catch((err) => showError(err.message));
  });
  $('annotator').addEventListener('change', () => {
    const name = $('annotator').value.trim();
    if (!name) return;
    state.annotator = name;
    loadReps(state.index).then(() => showError(''), (err) => showError(err.message));
  });
  $('file-input').addEventListener('change', (e) => {
    const file = e.target.files?.[0];
    if (file) void importFile(file);
    e.target.value = ''; // choosing the same file again fires change again
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
    const file = e.dataTransfer?.files?.[0];
    if (file) void importFile(file);
  });
  $('prev').addEventListener('click', () => go(state.index - 1));
  $('save-next').addEventListener('click', () => void saveAndNext());
  $('next-unannotated').addEventListener('click', nextUnannotated);
  $('use-rules').addEventListener('click', useRuleScores);
  document.addEventListener('keydown', onKey);
  window.addEventListener('beforeunload', (e) => {
    if (state.dirty) e.preventDefault();
  });
  await loadReps();
  document.body.dataset.ready = 'true'; // tests wait for this
}

main().catch((err) => showError(`Could not start: ${err.message}`));
