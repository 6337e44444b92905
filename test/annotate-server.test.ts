import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isLoopbackHost, startAnnotateServer, type AnnotateServer } from '../src/annotate/server.js';
import { readNpy } from '../src/data/npy.js';
import { readPoseLog } from '../src/data/poselog.js';
import { ruleScores } from '../src/data/rules.js';
import { fixture, tempDir, withoutRepId } from './helpers/fixtures.js';

interface Reply { status: number; body: any; text: string; headers: Record<string, unknown> }

/** A raw HTTP request, so tests control every header (fetch may not set Host). */
function call(port: number, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers };
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try { body = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body, text, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const S = (depth: number, rest = 50) => ({ depth, stability: rest, symmetry: rest, tempo: rest, alignment: rest, overall: rest });
const SOURCE = 'squat_session.csv';

let root: string, dataDir: string, server: AnnotateServer, port: number;
const save = (body: Record<string, unknown>) =>
  call(port, 'POST', '/api/annotations', { body: { exercise: 'squat', source: SOURCE, annotator: 'ana', ...body } });

before(async () => {
  root = tempDir();
  dataDir = join(root, 'data');
  server = await startAnnotateServer({ exercise: 'squat', dataDir, input: fixture('poselog', SOURCE), annotator: 'ana' });
  port = server.port;
});
after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

test('server: listens on 127.0.0.1 with a free port and serves the page and the charting library', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok(port > 0);
  const page = await call(port, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(page.text, /<script src="\/vendor\/vega-lite\.min\.js"><\/script>/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  for (const p of ['/app.js', '/style.css', '/vendor/vega.min.js', '/vendor/vega-lite.min.js']) {
    assert.equal((await call(port, 'GET', p)).status, 200, p);
  }
  assert.match((await call(port, 'GET', '/vendor/vega.min.js')).text.slice(0, 300), /vega/);
});

test('server: API lists the reps with rule scores, saves, pre-fills and replaces', async () => {
  const state = await call(port, 'GET', '/api/state');
  assert.equal(state.status, 200);
  assert.equal(state.body.current, SOURCE);
  assert.deepEqual(state.body.study.map((f: any) => [f.name, f.origin, f.reps, f.scored]), [[SOURCE, 'file', 12, 0]]);

  const reps = await call(port, 'GET', `/api/reps?exercise=squat&source=${SOURCE}&annotator=ana`);
  assert.equal(reps.status, 200);
  assert.equal(reps.body.n, 12);
  assert.equal(reps.body.annotated, 0);
  const parsed = readPoseLog(fixture('poselog', SOURCE));
  const rule = Array.from(ruleScores(parsed.reps[3].sequence, 'squat'));
  reps.body.reps[3].rules.forEach((v: number, i: number) => assert.ok(Math.abs(v - rule[i]) < 0.01));
  assert.equal(reps.body.reps[3].frames.length, parsed.reps[3].count * 9);
  assert.equal(reps.body.recording.segmentation, 'rep_id');

  let r = await save({ repId: '4', scores: S(55) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.annotated, 1);
  r = await save({ repId: '4', scores: S(65) });
  assert.equal(r.body.annotated, 1);
  const again = await call(port, 'GET', `/api/reps?exercise=squat&source=${SOURCE}&annotator=ana`);
  assert.deepEqual(again.body.reps[3].scores, [65, 50, 50, 50, 50, 50]);
  assert.equal(again.body.annotated, 1);
  const rows = await call(port, 'GET', '/api/annotations?exercise=squat');
  assert.equal(rows.body.rows.filter((x: any) => x.repId === '4').length, 1);
  // Another annotator sees no pre-fill for rep 4, but the rep lists who scored it.
  const ben = await call(port, 'GET', `/api/reps?exercise=squat&source=${SOURCE}&annotator=ben`);
  assert.equal(ben.body.reps[3].scores, null);
  assert.deepEqual(ben.body.reps[3].annotators, ['ana']);
});

test('server: ICC per dimension appears once two annotators scored the same reps', async () => {
  for (const [i, v] of [[5, 40], [6, 60], [7, 80]]) {
    assert.equal((await save({ repId: String(i), scores: S(v, v) })).status, 200);
    assert.equal((await save({ repId: String(i), annotator: 'ben', scores: S(v + 3, v - 2) })).status, 200);
  }
  const icc = await call(port, 'GET', '/api/icc?exercise=squat');
  assert.deepEqual(icc.body.icc.annotators, ['ana', 'ben']);
  assert.equal(icc.body.icc.reps, 3);
  assert.ok(icc.body.icc.icc.depth > 0.9, JSON.stringify(icc.body));
  const scores = readNpy(join(dataDir, 'real', 'squat', 'scores.npy'));
  assert.deepEqual(scores.shape, [4, 6]);
  assert.deepEqual(Array.from(scores.data.subarray(6, 12)), [41.5, 39, 39, 39, 39, 39]); // rep 5: mean of ana and ben
});

test('server: scores outside 0-100 or not numbers are refused with a message; nothing changes', async () => {
  const file = join(dataDir, 'real', 'squat', 'annotations.csv');
  const before = readFileSync(file);
  const cases: [unknown, RegExp][] = [
    [S(150), /depth: 150 is outside 0-100/],
    [S(-5), /depth: -5 is outside 0-100/],
    [{ ...S(50), symmetry: 'abc' }, /symmetry: "abc" is not a number/],
    [{ ...S(50), tempo: null }, /tempo: missing score/],
    [{ depth: 5 }, /stability: missing score/],
    ['50', /all six dimensions/],
  ];
  for (const [scores, msg] of cases) {
    const r = await save({ repId: '1', scores });
    assert.equal(r.status, 400);
    assert.match(r.body.error, msg);
  }
  assert.equal((await save({ repId: '999', scores: S(5) })).status, 400);
  assert.equal((await call(port, 'POST', '/api/annotations', { body: '{not json' })).status, 400);
  assert.deepEqual(readFileSync(file), before);
});

test('server: no parameter reaches the file system as a path', async () => {
  const outside = readdirSync(root).sort();
  const bad = [
    ['GET', `/api/reps?exercise=squat&source=${encodeURIComponent('../../../etc/passwd')}`, 404],
    ['GET', `/api/reps?exercise=squat&source=${encodeURIComponent('/etc/passwd')}`, 404],
    ['GET', `/api/reps?exercise=${encodeURIComponent('../squat')}&source=${SOURCE}`, 400],
    ['GET', `/api/reps?exercise=squat&source=${SOURCE}&annotator=${encodeURIComponent('../../x')}`, 400],
    ['GET', `/api/annotations?exercise=${encodeURIComponent('/tmp')}`, 400],
    ['GET', '/../../etc/passwd', 404],
    ['GET', '/%2e%2e/%2e%2e/etc/passwd', 404],
    ['GET', '/vendor/../../package.json', 404],
    ['GET', '/page/index.html', 404],
  ] as const;
  for (const [method, path, status] of bad) {
    const r = await call(port, method, path);
    assert.equal(r.status, status, `${path}: ${r.text}`);
    assert.doesNotMatch(r.text, /root:|"name": "formscore"/);
  }
  for (const body of [{ source: '../squat_session.csv' }, { exercise: '../../x' }, { annotator: '/etc/x' }]) {
    const r = await save({ repId: '1', scores: S(5), ...body });
    assert.ok(r.status === 400 || r.status === 404, JSON.stringify(body));
  }
  // An upload's name is only a label: reduced to a plain name, stored inside the data folder.
  const text = readFileSync(fixture('poselog', 'squat_columns_shuffled.csv'), 'utf8');
  const up = await call(port, 'POST', '/api/upload', { body: { name: '../../../evil/../escape.csv', text } });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.body.name, 'escape.csv');
  const abs = await call(port, 'POST', '/api/upload', { body: { name: '/etc/cron.d/job', text } });
  assert.equal(abs.body.name, 'job');
  assert.equal((await call(port, 'POST', '/api/annotations', { body: { exercise: 'squat', source: 'escape.csv', repId: '1', annotator: 'ana', scores: S(5) } })).status, 200);
  assert.ok(existsSync(join(dataDir, 'real', 'squat', 'reps', 'escape.csv.npy')));
  assert.deepEqual(readdirSync(root).sort(), outside, 'nothing new beside the data folder');
  assert.equal(existsSync(join(dirname(root), 'escape.csv')), false);
});

test('server: an upload that fails to import answers with file, row and column, and writes nothing', async () => {
  const before = readFileSync(join(dataDir, 'real', 'squat', 'annotations.csv'));
  const missing = await call(port, 'POST', '/api/upload', { body: { name: 'missing_rightElbow.csv', text: readFileSync(fixture('poselog', 'missing_rightElbow.csv'), 'utf8') } });
  assert.equal(missing.status, 422);
  assert.match(missing.body.error, /missing_rightElbow\.csv.*rightElbow/);
  const badRow = await call(port, 'POST', '/api/upload', { body: { name: 'bad_value_row40.csv', text: readFileSync(fixture('poselog', 'bad_value_row40.csv'), 'utf8') } });
  assert.equal(badRow.status, 422);
  assert.match(badRow.body.error, /bad_value_row40\.csv: line 41, column leftHip/);
  assert.equal((await call(port, 'POST', '/api/upload', { body: { name: 'x.csv' } })).status, 400);
  // The --input file dropped again is the same source; another file under its name does not replace it.
  const sameText = readFileSync(fixture('poselog', SOURCE), 'utf8');
  assert.equal((await call(port, 'POST', '/api/upload', { body: { name: SOURCE, text: sameText } })).body.name, SOURCE);
  const otherText = readFileSync(fixture('poselog', 'squat_with_one_frame_rep.csv'), 'utf8');
  const other = await call(port, 'POST', '/api/upload', { body: { name: SOURCE, text: otherText } });
  assert.equal(other.body.name, 'squat_session~2.csv');
  assert.equal(other.body.reps, 2);
  assert.match(other.body.warnings[0], /rep_id 2 has 1 frame/);
  const state = await call(port, 'GET', '/api/state');
  assert.equal(state.body.study.some((s: any) => s.name.startsWith('missing') || s.name.startsWith('bad')), false);
  assert.deepEqual(readFileSync(join(dataDir, 'real', 'squat', 'annotations.csv')), before);
});

test('server: a Host that is not loopback is refused (DNS rebinding), as are cross-origin writes', async () => {
  assert.equal(isLoopbackHost('localhost:8080'), true);
  assert.equal(isLoopbackHost('[::1]:8080'), true);
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('127.0.0.1.evil.com:80'), false);
  assert.equal(isLoopbackHost(undefined), false);
  for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`, `192.168.1.2:${port}`]) {
    const r = await call(port, 'GET', '/api/state', { headers: { Host: host } });
    assert.equal(r.status, 403, host);
    assert.match(r.body.error, /refused/);
    assert.equal((await call(port, 'GET', '/', { headers: { Host: host } })).status, 403);
  }
  assert.equal((await call(port, 'GET', '/api/state', { headers: { Host: `localhost:${port}` } })).status, 200);
  const annotations = join(dataDir, 'real', 'squat', 'annotations.csv');
  const before = readFileSync(annotations);
  const body = { exercise: 'squat', source: SOURCE, repId: '1', annotator: 'mallory', scores: S(1) };
  const refused: Record<string, string>[] = [
    { Origin: 'http://evil.example' },
    { Origin: `http://localhost:${port + 1}` },
    { 'Sec-Fetch-Site': 'cross-site' },
    { 'Content-Type': 'text/plain' }, // what a cross-site <form> or no-preflight fetch can send
  ];
  for (const headers of refused) {
    const r = await call(port, 'POST', '/api/annotations', { body, headers });
    assert.ok(r.status === 403 || r.status === 415, `${JSON.stringify(headers)} → ${r.status}`);
  }
  assert.deepEqual(readFileSync(annotations), before);
  const same = await call(port, 'POST', '/api/annotations', { body: { ...body, annotator: 'ana' }, headers: { Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin' } });
  assert.equal(same.status, 200);
});

test('server: concurrent saves are serialized: every one lands, none is lost or duplicated', async () => {
  const who = ['cy', 'dee'];
  const replies = await Promise.all(
    who.flatMap((annotator, a) =>
      Array.from({ length: 12 }, (_, i) => save({ repId: String(i + 1), annotator, scores: S(i * 5 + a, 30 + a) }))),
  );
  assert.deepEqual(replies.map((r) => r.status), new Array(24).fill(200));
  const rows = (await call(port, 'GET', '/api/annotations?exercise=squat')).body.rows as any[];
  for (const annotator of who) assert.equal(rows.filter((r) => r.annotator === annotator && r.sourceFile === SOURCE).length, 12);
  const keys = rows.map((r) => `${r.sourceFile}/${r.repId}/${r.annotator}`);
  assert.equal(new Set(keys).size, keys.length);
  const dir = join(dataDir, 'real', 'squat');
  const lines = readFileSync(join(dir, 'annotations.csv'), 'utf8').trim().split('\n');
  assert.equal(lines.length, rows.length + 1);
  const n = new Set(rows.map((r) => `${r.sourceFile}/${r.repId}`)).size;
  assert.deepEqual(readNpy(join(dir, 'sequences.npy')).shape, [n, 90, 9]);
  assert.deepEqual(readNpy(join(dir, 'scores.npy')).shape, [n, 6]);
  assert.equal(readdirSync(dir).some((f) => f.endsWith('.tmp')), false);
});

test('server: a bad --input stops the start with the importer\'s message; close is idempotent', async () => {
  await assert.rejects(
    startAnnotateServer({ exercise: 'squat', dataDir: join(root, 'other'), input: fixture('poselog', 'missing_rightElbow.csv') }),
    /missing_rightElbow\.csv: missing column rightElbow/,
  );
  const headerOnly = join(tempDir(), 'header_only.csv');
  writeFileSync(headerOnly, readFileSync(fixture('poselog', SOURCE), 'utf8').split('\n')[0] + '\n');
  await assert.rejects(
    startAnnotateServer({ exercise: 'squat', dataDir: join(root, 'other'), input: headerOnly }),
    (e: Error) => e.message === `${headerOnly}: no reps to annotate (${headerOnly}: no data rows)`,
  );
  await assert.rejects(startAnnotateServer({ exercise: 'squat', annotator: '../x', dataDir: join(root, 'other') }), /annotator/);
  const s = await startAnnotateServer({ exercise: 'plank', dataDir: join(root, 'other') });
  assert.equal((await call(s.port, 'GET', '/api/state')).body.current, null);
  await Promise.all([s.close(), s.close()]);
  assert.equal(existsSync(join(root, 'other')), false);
});

test('server: with a model\'s training coverage, reps outside it carry their domain gaps; without, none', async () => {
  // Peak speeds of the fixture's reps (°/frame): 4.11 4.45 5.52 4.32 3.23 4.91 2.96 5.43 4.18 3.27 4.78 4.77.
  const coverage = { 'peak angular velocity': [0, 4.5] as [number, number] };
  const other = await startAnnotateServer({
    exercise: 'squat', dataDir: join(tempDir(), 'data'), input: fixture('poselog', SOURCE), annotator: 'ana',
    coverage: { squat: { model: 'models/saved/squat_phase1_final', coverage } },
  });
  try {
    const view = await call(other.port, 'GET', `/api/reps?exercise=squat&source=${SOURCE}&annotator=ana`);
    assert.equal(view.status, 200);
    assert.equal(view.body.coverageModel, 'models/saved/squat_phase1_final');
    const flagged = view.body.reps.filter((r: { domainGaps: string[] }) => r.domainGaps.length).map((r: { repId: string }) => r.repId);
    assert.deepEqual(flagged, ['3', '6', '8', '11', '12']);
    assert.match(view.body.reps[2].domainGaps[0], /^peak angular velocity 5\.5 °\/frame \(training 0\.0-4\.5\)$/);
  } finally {
    await other.close();
  }
  const plain = await call(port, 'GET', `/api/reps?exercise=squat&source=${SOURCE}&annotator=ana`);
  assert.equal(plain.body.coverageModel, null);
  assert.ok(plain.body.reps.every((r: { domainGaps: string[] }) => r.domainGaps.length === 0));
});

test('server: a study folder, its segmentation edits, undo, adjudication and import; refused input is named', async () => {
  const work = tempDir();
  const study = join(work, 'study');
  mkdirSync(join(study, 'p02'), { recursive: true });
  writeFileSync(join(study, 'p01_s1.csv'), readFileSync(fixture('poselog', 'squat_columns_shuffled.csv')));
  writeFileSync(join(study, 'p02', 'untagged.csv'), withoutRepId(readFileSync(fixture('poselog', 'squat_columns_shuffled.csv'), 'utf8')));
  const data = join(work, 'data');
  let s = await startAnnotateServer({ exercise: 'squat', dataDir: data, input: study });
  try {
    const state = await call(s.port, 'GET', '/api/state');
    assert.equal(state.body.annotator, '', 'no default name');
    assert.deepEqual(state.body.study.map((f: any) => [f.name, f.participant, f.session, f.reps]), [['p01_s1.csv', 'p01', 's1', 4], ['p02_untagged.csv', 'p02', 'untagged', 4]]);
    const src = 'p02_untagged.csv';
    const view = await call(s.port, 'GET', `/api/reps?exercise=squat&source=${src}`);
    assert.equal(view.body.recording.segmentation, 'automatic');
    assert.equal(view.body.recording.editable, true);
    const seg = (cuts: unknown) => call(s.port, 'POST', '/api/segments', { body: { exercise: 'squat', source: src, annotator: 'ana', cuts } });
    let r = await seg([100, 101]);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'cut 2 at frame 101: reps need at least 2 frames (the rep before starts at frame 100)');
    assert.equal((await call(s.port, 'POST', '/api/segments', { body: { exercise: 'squat', source: 'p01_s1.csv', annotator: 'ana', cuts: [5] } })).status, 400, 'tagged reps are the app\'s');
    r = await seg([80, 200]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.reps.map((x: any) => x.count), [80, 120, 121]);
    const post = (body: Record<string, unknown>) => call(s.port, 'POST', '/api/annotations', { body: { exercise: 'squat', source: src, annotator: 'ana', mode: 'blind', ...body } });
    assert.equal((await post({ repId: '1', scores: S(70) })).status, 200);
    assert.equal((await post({ repId: '2', status: 'flagged' })).body.error, 'a flag needs a comment saying what is wrong with the rep');
    assert.equal((await post({ repId: '2', status: 'skipped' })).status, 200);
    assert.equal((await seg([90])).status, 409, 'boundaries are fixed once a rep is annotated');
    const undo = await call(s.port, 'POST', '/api/undo', { body: { exercise: 'squat', annotator: 'ana' } });
    assert.deepEqual([undo.body.source, undo.body.repId, undo.body.restored], [src, '2', null]);
    assert.equal((await call(s.port, 'POST', '/api/undo', { body: { exercise: 'squat', annotator: 'ana' } })).body.error, 'ana has no save to undo');
    assert.equal((await post({ repId: '1', annotator: 'ben', scores: S(95) })).status, 200);
    const adj = await call(s.port, 'GET', '/api/adjudication?exercise=squat&threshold=20');
    assert.deepEqual(adj.body.reps.map((d: any) => [d.source, d.repId, d.over]), [[src, '1', ['depth']]]);
    assert.equal((await call(s.port, 'GET', '/api/adjudication?exercise=squat&threshold=x')).status, 400);
    const bad = await call(s.port, 'POST', '/api/import-original', {
      body: { exercise: 'squat', annotator: 'ana', folder: 'old', annotations: 'rep_idx,exercise\n0,squat\n', sequences: '' },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error, 'old/annotations.csv: missing columns depth, stability, symmetry, tempo, alignment, overall');
  } finally {
    await s.close();
  }
  // A restart without --input: the same study, the corrected reps, ana's progress.
  s = await startAnnotateServer({ exercise: 'squat', dataDir: data });
  try {
    const state = await call(s.port, 'GET', '/api/state?annotator=ana');
    assert.deepEqual(state.body.study.map((f: any) => [f.name, f.reps, f.scored]), [['p01_s1.csv', 4, 0], ['p02_untagged.csv', 3, 1]]);
    const view = await call(s.port, 'GET', '/api/reps?exercise=squat&source=p02_untagged.csv&annotator=ana');
    assert.deepEqual([view.body.recording.segmentation, view.body.recording.cuts], ['edited', [80, 200]]);
  } finally {
    await s.close();
  }
  rmSync(work, { recursive: true, force: true });
});
