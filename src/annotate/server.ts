// The annotation tool's local web server: the page in src/annotate/page, the charting
// library from node_modules, and a small JSON API over AnnotationStore.
//
// It serves one expert on their own machine, so it listens on 127.0.0.1 only, answers
// only requests whose Host is a loopback name (a rebinding DNS name pointing at
// 127.0.0.1 is refused), and refuses writes from any other origin. No path sent by the
// page reaches the file system: uploads arrive as text and are parsed in memory, and
// files are only written inside <data-dir>/real/<exercise>/ under sanitised keys.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANGLES, DIMENSIONS, EXERCISES, FRAMES, PROFILES, isExercise, type Exercise } from '../data/exercises.js';
import { type PoseLog, parsePoseLog, readPoseLog } from '../data/poselog.js';
import { checkCuts } from '../data/segmentation.js';
import { ruleScores } from '../data/rules.js';
import { type ModelCoverage, domainGaps } from '../data/coverage.js';
import { AnnotationStore, checkAnnotator, checkEntry, numberedName, sourceKey, type AnnotationRow, type Mode, type Status } from './store.js';
import { disagreements, interRater } from './adjudication.js';
import { importOriginal } from './original.js';
import { SegmentStore } from './segments.js';
import { Study, folderFiles, groupOf, type StudyFile } from './study.js';
import { SerialQueue } from '../util/serial-queue.js';
import { DEFAULT_DATA_DIR, SCORES_NPY, SEQUENCES_NPY } from '../workspace/layout.js';

export interface AnnotateServerOptions {
  exercise: Exercise; // preselected in the page; the page can switch
  dataDir?: string; // default 'data'
  input?: string; // a pose-log CSV, or a folder of them (a study), chosen on the command line
  annotator?: string; // the name shown in the page; none: the page asks at the first save
  blind?: boolean; // open the page with rule scores and their prefill hidden
  segment?: boolean; // segment every log from its primary joint, ignoring rep_id
  port?: number; // default 0: a free port
  /** Per exercise, the trained model's input coverage: reps outside it are flagged in the page. */
  coverage?: Partial<Record<Exercise, ModelCoverage>>;
}

export interface AnnotateServer {
  url: string;
  port: number;
  /** Stops accepting requests, waits for a save in flight, closes connections. */
  close(): Promise<void>;
}

const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
const MAX_JSON_BYTES = 64 * 1024;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** True when a Host header names this machine's loopback interface (any port). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim());
  return !!m && LOOPBACK.has(m[1].toLowerCase());
}

const here = dirname(fileURLToPath(import.meta.url));
// Compiled, this file runs from dist/src/annotate/; the page stays in src/annotate/page.
const PAGE_DIR = [join(here, 'page'), join(here, '../../../src/annotate/page')].find((p) => existsSync(join(p, 'index.html')))
  ?? join(here, 'page');

/** A browser build of a package: its main entry's folder holds the UMD file. */
function vendorFile(pkg: string, file: string): string {
  return join(dirname(fileURLToPath(import.meta.resolve(pkg))), file);
}

// The only files served: URL path → [file, content type]. Nothing else is read.
const STATIC: Record<string, () => [string, string]> = {
  '/': () => [join(PAGE_DIR, 'index.html'), 'text/html; charset=utf-8'],
  '/app.js': () => [join(PAGE_DIR, 'app.js'), 'text/javascript; charset=utf-8'],
  '/style.css': () => [join(PAGE_DIR, 'style.css'), 'text/css; charset=utf-8'],
  '/vendor/vega.min.js': () => [vendorFile('vega', 'vega.min.js'), 'text/javascript; charset=utf-8'],
  '/vendor/vega-lite.min.js': () => [vendorFile('vega-lite', 'vega-lite.min.js'), 'text/javascript; charset=utf-8'],
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Vega compiles its expressions with Function(), hence 'unsafe-eval'; everything is same-origin.
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Cache-Control': 'no-store',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body larger than ${Math.round(limit / 1024)} KiB`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const text = await readBody(req, limit);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

function exerciseParam(value: unknown): Exercise {
  if (typeof value !== 'string' || !isExercise(value)) {
    throw new HttpError(400, `unknown exercise ${JSON.stringify(value)} (expected one of: ${EXERCISES.join(', ')})`);
  }
  return value;
}

function annotatorParam(value: unknown): string {
  try {
    return checkAnnotator(value);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Runs `run`; its error becomes an answer with `status`: bad input the page should name, not a server fault. */
function refusedAs<T>(status: number, run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw new HttpError(status, (err as Error).message);
  }
}

function base64Param(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw new HttpError(400, `${what} must be sent as base64 text`);
  return Buffer.from(value, 'base64');
}

/** Starts the server on 127.0.0.1; resolves once it listens. Throws (before listening) when --input cannot be read. */
export async function startAnnotateServer(opts: AnnotateServerOptions): Promise<AnnotateServer> {
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const annotator = opts.annotator === undefined ? '' : checkAnnotator(opts.annotator);
  const queue = new SerialQueue();
  const stores = new Map<Exercise, AnnotationStore>();
  const store = (ex: Exercise) => {
    if (!stores.has(ex)) stores.set(ex, new AnnotationStore(dataDir, ex));
    return stores.get(ex)!;
  };
  const study = new Study(dataDir);
  let current: string | null = null;

  if (opts.input) {
    if (!existsSync(opts.input)) throw new Error(`${opts.input}: no such file or folder`);
    if (statSync(opts.input).isDirectory()) {
      const found = folderFiles(opts.input);
      if (found.length === 0) throw new Error(`${opts.input}: no pose-log CSV files in this folder or its subfolders`);
    } else {
      const parsed = readPoseLog(opts.input, { exercise: opts.exercise, segment: opts.segment });
      // An empty session would open a page with nothing to score and no word why.
      if (parsed.reps.length === 0) throw new Error(`${opts.input}: no reps to annotate (${parsed.warnings.join('; ') || 'no data rows'})`);
      current = sourceKey(basename(opts.input));
    }
    study.add(opts.input);
  }
  // A crash between the truth and the training files leaves them stale; mend that at start.
  for (const ex of EXERCISES) {
    const s = store(ex);
    if (s.needsRebuild()) await queue.run(() => s.rebuild());
  }
  const loaded = study.files();
  const files = new Map(loaded.files.map((f) => [f.name, f]));
  const studyWarnings = loaded.warnings;
  current ??= loaded.files[0]?.name ?? null;

  // Each file parsed once per exercise (the exercise decides segmentation), again after its cuts change.
  const logs = new Map<string, PoseLog>();
  const exerciseOf = (f: StudyFile, asked: Exercise) => f.exercise ?? asked;
  const logOf = (f: StudyFile, ex: Exercise): PoseLog => {
    const k = `${ex}\0${f.name}`;
    if (!logs.has(k)) {
      const cuts = new SegmentStore(dataDir, ex).cuts(f.name, f.text) ?? undefined;
      logs.set(k, refusedAs(422, () => parsePoseLog(f.text, f.name, { exercise: ex, segment: opts.segment, cuts })));
    }
    return logs.get(k)!;
  };
  const fileParam = (value: unknown): StudyFile => {
    const f = typeof value === 'string' ? files.get(value) : undefined;
    if (!f) throw new HttpError(404, `no file named ${JSON.stringify(value)} is open; open it in the page first`);
    return f;
  };

  // A write about one rep or file: the file, its exercise, who writes, its reps.
  const fileRequest = (body: Record<string, unknown>) => {
    const f = fileParam(body.source);
    const ex = exerciseOf(f, exerciseParam(body.exercise));
    return { f, ex, who: annotatorParam(body.annotator), log: logOf(f, ex) };
  };
  // Store keys back to the study's file names, so the page can open a rep the store names.
  const fileNames = (ex: Exercise) => {
    const names = new Map<string, string>();
    for (const f of files.values()) {
      try {
        names.set(store(ex).resolveSource(f.name, logOf(f, exerciseOf(f, ex))), f.name);
      } catch {
        // a file that does not parse has no reps to open
      }
    }
    return names;
  };

  // Per file of the study: its group and the annotator's progress on it.
  const studyView = (who: string, asked: Exercise) => {
    const rowsOf = new Map<Exercise, AnnotationRow[]>();
    const rows = (ex: Exercise) => rowsOf.get(ex) ?? rowsOf.set(ex, store(ex).rows()).get(ex)!;
    return [...files.values()].map((f) => studyFileView(f, exerciseOf(f, asked), who, rows));
  };
  const studyFileView = (f: StudyFile, ex: Exercise, who: string, rows: (ex: Exercise) => AnnotationRow[]) => {
    let reps = 0, scored = 0, skipped = 0, flagged = 0, error: string | null = null;
    try {
      const log = logOf(f, ex);
      reps = log.reps.length;
      const key = store(ex).resolveSource(f.name, log);
      for (const r of rows(ex)) {
        if (r.sourceFile !== key || r.annotator !== who) continue;
        if (r.status === 'scored') scored++;
        else if (r.status === 'skipped') skipped++;
        else flagged++;
      }
    } catch (err) {
      error = (err as Error).message;
    }
    return { name: f.name, participant: f.participant, session: f.session, exercise: ex, origin: f.origin, reps, scored, skipped, flagged, error };
  };

  const repsView = (ex: Exercise, f: StudyFile, who: string) => {
    const s = store(ex);
    const log = logOf(f, ex);
    const key = s.resolveSource(f.name, log);
    const all = s.rows();
    const rows = all.filter((r) => r.sourceFile === key);
    const model = opts.coverage?.[ex];
    const primary = PROFILES[ex].primaryJoint;
    const reps = log.reps.map((rep, index) => {
      const mine = rows.find((r) => r.repId === rep.repId && r.annotator === who);
      return {
        index,
        repId: rep.repId,
        start: rep.start,
        count: rep.count,
        durationMs: rep.durationMs,
        frames: Array.from(rep.frames, round2), // (count*9) degrees as recorded, row-major
        confidence: rep.confidence ? Array.from(rep.confidence, round2) : null,
        rules: Array.from(ruleScores(rep.sequence, ex), round2), // (6)
        domainGaps: model ? domainGaps(rep.sequence, model.coverage) : [],
        scores: mine?.scores ?? null,
        status: mine?.status ?? null,
        comment: mine?.comment ?? '',
        annotators: rows.filter((r) => r.repId === rep.repId).map((r) => r.annotator),
      };
    });
    return {
      exercise: ex, source: f.name, sourceFile: key, renamed: key !== f.name, participant: f.participant, session: f.session,
      warnings: log.warnings, annotator: who, n: reps.length, coverageModel: model?.model ?? null,
      annotated: reps.filter((r) => r.status !== null).length, reps, icc: interRater(all), canUndo: who !== '' && s.canUndo(who),
      recording: {
        frames: log.frames, segmentation: log.segmentation, cuts: log.cuts, joint: ANGLES[primary],
        primary: Array.from({ length: log.frames }, (_, t) => round2(log.recording[t * ANGLES.length + primary])),
        // Reps others already scored would change under them; and tags are the app's own.
        editable: log.segmentation !== 'rep_id' && log.segmentation !== 'whole file' ? rows.length === 0 : false,
      },
    };
  };

  const routes: Record<string, (req: IncomingMessage, url: URL) => Promise<unknown> | unknown> = {
    'GET /api/state': (_req, url) => {
      const who = url.searchParams.get('annotator') ?? annotator;
      const ex = url.searchParams.has('exercise') ? exerciseParam(url.searchParams.get('exercise')) : opts.exercise;
      return {
        exercises: EXERCISES, dimensions: DIMENSIONS, angles: ANGLES, frames: FRAMES, exercise: opts.exercise, annotator, current,
        blind: !!opts.blind, warnings: studyWarnings, study: studyView(who === '' ? '' : annotatorParam(who), ex),
      };
    },
    'POST /api/upload': async (req) => {
      const body = await readJson(req, MAX_UPLOAD_BYTES);
      if (typeof body.name !== 'string' || typeof body.text !== 'string') {
        throw new HttpError(400, 'upload needs "name" (the file name) and "text" (its contents)');
      }
      const ex = exerciseParam(body.exercise ?? opts.exercise);
      const given = sourceKey(body.name);
      // The same file again keeps its name; another file of that name gets name~2.csv.
      let name = given;
      for (let i = 2; files.has(name) && files.get(name)!.text !== body.text; i++) name = numberedName(given, i);
      const group = groupOf(given);
      const parsed = refusedAs(422, () => parsePoseLog(body.text as string, name, { exercise: group.exercise ?? ex, segment: opts.segment }));
      if (parsed.reps.length === 0) throw new HttpError(422, `${name}: no reps found`);
      const text = body.text;
      await queue.run(() => study.keepUpload(name, text));
      files.set(name, { name, ...group, text, origin: 'upload' });
      current = name;
      return { name, reps: parsed.reps.length, warnings: parsed.warnings };
    },
    'GET /api/reps': (_req, url) => {
      const f = fileParam(url.searchParams.get('source'));
      const ex = exerciseOf(f, exerciseParam(url.searchParams.get('exercise')));
      const who = url.searchParams.get('annotator') || '';
      return repsView(ex, f, who === '' ? '' : annotatorParam(who));
    },
    'POST /api/annotations': async (req) => {
      const body = await readJson(req, MAX_JSON_BYTES);
      const { f, ex, who, log } = fileRequest(body);
      if (typeof body.repId !== 'string' || !log.reps.some((r) => r.repId === body.repId)) {
        throw new HttpError(400, `${f.name} has no rep ${JSON.stringify(body.repId)}`);
      }
      const repId = body.repId;
      const s = store(ex);
      const entry = { status: body.status as Status | undefined, comment: body.comment as string | undefined, mode: (body.mode ?? '') as Mode };
      // Bad input is the page's to fix (400); a failure while saving is the disk's (500).
      refusedAs(400, () => checkEntry(f.name, log, { repId, annotator: who, scores: body.scores, ...entry }, ''));
      const saved = await queue.run(() => s.save(s.resolveSource(f.name, log), log, repId, who, body.scores, entry));
      const all = s.rows();
      const annotated = all.filter((r) => r.sourceFile === saved.sourceFile && r.annotator === who).length;
      return { saved, annotated, n: log.reps.length, icc: interRater(all), canUndo: true };
    },
    'POST /api/undo': async (req) => {
      const body = await readJson(req, MAX_JSON_BYTES);
      const ex = exerciseParam(body.exercise);
      const who = annotatorParam(body.annotator);
      const s = store(ex);
      const undone = await queue.run(() => refusedAs(400, () => s.undo(who)));
      return { ...undone, source: fileNames(ex).get(undone.sourceFile) ?? null };
    },
    'POST /api/segments': async (req) => {
      const body = await readJson(req, MAX_JSON_BYTES);
      const { f, ex, who, log } = fileRequest(body);
      const s = store(ex);
      const key = s.resolveSource(f.name, log);
      if (log.segmentation === 'rep_id' || log.segmentation === 'whole file') throw new HttpError(400, `${f.name}: reps come from ${log.segmentation}; start annotate with --segment to edit them`);
      if (s.rows().some((r) => r.sourceFile === key)) throw new HttpError(409, `${f.name}: reps are already annotated, so their boundaries are fixed`);
      const cuts = refusedAs(400, () => checkCuts(body.cuts, log.frames));
      const fresh = refusedAs(400, () => parsePoseLog(f.text, f.name, { exercise: ex, cuts }));
      if (fresh.reps.length === 0) throw new HttpError(400, `${f.name}: these boundaries leave no usable rep`);
      await queue.run(() => new SegmentStore(dataDir, ex).save(f.name, f.text, cuts, who));
      logs.set(`${ex}\0${f.name}`, fresh);
      return repsView(ex, f, who);
    },
    'GET /api/annotations': (_req, url) => {
      const ex = exerciseParam(url.searchParams.get('exercise'));
      return { exercise: ex, rows: store(ex).rows() };
    },
    'GET /api/icc': (_req, url) => {
      const ex = exerciseParam(url.searchParams.get('exercise'));
      return { exercise: ex, icc: interRater(store(ex).rows()) };
    },
    'GET /api/adjudication': (_req, url) => {
      const ex = exerciseParam(url.searchParams.get('exercise'));
      const threshold = Number(url.searchParams.get('threshold') ?? '10');
      if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100) throw new HttpError(400, `threshold must be a number of points from 0 to 100, got ${url.searchParams.get('threshold')}`);
      const rows = store(ex).rows();
      const names = fileNames(ex);
      return {
        exercise: ex, threshold, icc: interRater(rows),
        reps: disagreements(rows, threshold).map((d) => ({ ...d, source: names.get(d.sourceFile) ?? null })),
      };
    },
    'POST /api/import-original': async (req) => {
      const body = await readJson(req, MAX_UPLOAD_BYTES);
      const ex = exerciseParam(body.exercise);
      const who = annotatorParam(body.annotator);
      if (typeof body.annotations !== 'string') throw new HttpError(400, 'import needs "annotations" (the text of annotations.csv)');
      const folder = {
        name: typeof body.folder === 'string' && body.folder !== '' ? sourceKey(body.folder) : 'original',
        annotationsCsv: body.annotations,
        sequencesNpy: base64Param(body.sequences, SEQUENCES_NPY),
        scoresNpy: body.scores === undefined ? undefined : base64Param(body.scores, SCORES_NPY),
      };
      return await queue.run(() => refusedAs(422, () => importOriginal(store(ex), folder, who)));
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isLoopbackHost(req.headers.host)) {
      throw new HttpError(403, `Host ${JSON.stringify(req.headers.host ?? '')} refused: this tool answers only on 127.0.0.1 / localhost`);
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      // A page from another site may POST here (forms and fetch send simple requests
      // without asking); only this page's own origin may write.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) throw new HttpError(403, `cross-origin write from ${origin} refused`);
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, `cross-site write (${site}) refused`);
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
        throw new HttpError(415, 'writes must be sent as application/json');
      }
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = routes[`${method} ${url.pathname}`];
    if (route) return sendJson(res, 200, await route(req, url));
    const file = (method === 'GET' || method === 'HEAD') && Object.hasOwn(STATIC, url.pathname) ? STATIC[url.pathname]() : null;
    if (!file) throw new HttpError(404, `no such page: ${url.pathname}`);
    const body = readFileSync(file[0]);
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file[1], 'Content-Length': body.length });
    res.end(method === 'HEAD' ? undefined : body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (status === 500) console.error(`formscore annotate: ${message}`);
      if (!res.headersSent) sendJson(res, status, { error: message });
      else res.destroy();
      // Drain an unread body so the connection can be reused (or closes cleanly).
      req.resume();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${opts.port} is in use; choose another --port or leave it out for a free one`) : err));
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.removeAllListeners('error');
      server.on('error', (err) => console.error(`formscore annotate: ${err.message}`));
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A save in flight finishes (its files complete) before the sockets go.
        void queue.idle().then(() => server.closeAllConnections());
      })),
  };
}
