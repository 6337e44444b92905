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
import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANGLES, DIMENSIONS, EXERCISES, FRAMES, isExercise, type Exercise } from '../data/exercises.js';
import { parsePoseLog, readPoseLog } from '../data/poselog.js';
import { ruleScores } from '../data/rules.js';
import { type ModelCoverage, domainGaps } from '../data/coverage.js';
import { AnnotationStore, checkAnnotator, checkScores, numberedName, sourceKey, type SourceReps } from './store.js';
import { SerialQueue } from '../util/serial-queue.js';

export interface AnnotateServerOptions {
  exercise: Exercise; // preselected in the page; the page can switch
  dataDir?: string; // default 'data'
  input?: string; // a pose-log CSV chosen on the command line
  annotator?: string; // default name shown in the page
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

/** A pose-log file held in memory, under the name the page refers to it by. */
interface LoadedSource extends SourceReps {
  name: string; // sanitised file name (never a path)
  origin: 'input' | 'upload';
  warnings: string[];
}

const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
const MAX_JSON_BYTES = 64 * 1024;
const MAX_UPLOADS = 20; // uploaded files kept in memory; the oldest is dropped beyond this
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

/** Same rep ids and identical resampled angles. */
function sameSource(a: SourceReps, b: SourceReps): boolean {
  return a.reps.length === b.reps.length &&
    a.reps.every((r, i) => r.repId === b.reps[i].repId && r.sequence.every((v, j) => v === b.reps[i].sequence[j]));
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Starts the server on 127.0.0.1; resolves once it listens. Throws (before listening) when --input cannot be read. */
export async function startAnnotateServer(opts: AnnotateServerOptions): Promise<AnnotateServer> {
  const dataDir = opts.dataDir ?? 'data';
  const annotator = checkAnnotator(opts.annotator ?? 'expert');
  const queue = new SerialQueue();
  const stores = new Map<Exercise, AnnotationStore>();
  const store = (ex: Exercise) => {
    if (!stores.has(ex)) stores.set(ex, new AnnotationStore(dataDir, ex));
    return stores.get(ex)!;
  };
  const sources = new Map<string, LoadedSource>();
  let current: string | null = null;

  if (opts.input) {
    const parsed = readPoseLog(opts.input);
    // An empty session would open a page with nothing to score and no word why.
    if (parsed.reps.length === 0) throw new Error(`${opts.input}: no reps to annotate (${parsed.warnings.join('; ') || 'no data rows'})`);
    const name = sourceKey(basename(opts.input));
    sources.set(name, { name, origin: 'input', reps: parsed.reps, warnings: parsed.warnings });
    current = name;
  }
  // A crash between the truth and the training files leaves them stale; mend that at start.
  for (const ex of EXERCISES) {
    const s = store(ex);
    if (s.needsRebuild()) await queue.run(() => s.rebuild());
  }

  const sourceParam = (value: unknown): LoadedSource => {
    const src = typeof value === 'string' ? sources.get(value) : undefined;
    if (!src) throw new HttpError(404, `no file named ${JSON.stringify(value)} is open; open it in the page first`);
    return src;
  };

  const repsView = (ex: Exercise, src: LoadedSource, who: string) => {
    const s = store(ex);
    const key = s.resolveSource(src.name, src);
    const all = s.rows();
    const rows = all.filter((r) => r.sourceFile === key);
    const model = opts.coverage?.[ex];
    const reps = src.reps.map((rep, index) => {
      const mine = rows.find((r) => r.repId === rep.repId && r.annotator === who);
      return {
        index,
        repId: rep.repId,
        sequence: Array.from(rep.sequence, round2), // (90*9) degrees, row-major
        rules: Array.from(ruleScores(rep.sequence, ex), round2), // (6)
        domainGaps: model ? domainGaps(rep.sequence, model.coverage) : [],
        scores: mine ? mine.scores : null,
        annotators: rows.filter((r) => r.repId === rep.repId).map((r) => r.annotator),
      };
    });
    return {
      exercise: ex, source: src.name, sourceFile: key, renamed: key !== src.name,
      warnings: src.warnings, annotator: who, n: reps.length, coverageModel: model?.model ?? null,
      annotated: reps.filter((r) => r.scores !== null).length, reps, icc: s.interRater(all),
    };
  };

  const routes: Record<string, (req: IncomingMessage, url: URL) => Promise<unknown> | unknown> = {
    'GET /api/state': () => ({
      exercises: EXERCISES, dimensions: DIMENSIONS, angles: ANGLES, frames: FRAMES, exercise: opts.exercise, annotator, current,
      sources: [...sources.values()].map((s) => ({ name: s.name, origin: s.origin, reps: s.reps.length })),
    }),
    'POST /api/upload': async (req) => {
      const body = await readJson(req, MAX_UPLOAD_BYTES);
      if (typeof body.name !== 'string' || typeof body.text !== 'string') {
        throw new HttpError(400, 'upload needs "name" (the file name) and "text" (its contents)');
      }
      const given = sourceKey(body.name);
      let parsed: ReturnType<typeof parsePoseLog>;
      try {
        parsed = parsePoseLog(body.text, given);
      } catch (err) {
        throw new HttpError(422, (err as Error).message);
      }
      if (parsed.reps.length === 0) throw new HttpError(422, `${given}: no reps found`);
      // The --input file dropped again is the same file; another file of that name gets name~2.csv.
      let name = given;
      for (let i = 2; sources.get(name)?.origin === 'input'; i++) {
        if (sameSource(sources.get(name)!, parsed)) {
          current = name;
          return { name, reps: parsed.reps.length, warnings: parsed.warnings };
        }
        name = numberedName(given, i);
      }
      sources.delete(name);
      sources.set(name, { name, origin: 'upload', reps: parsed.reps, warnings: parsed.warnings });
      const uploads = [...sources.values()].filter((s) => s.origin === 'upload');
      if (uploads.length > MAX_UPLOADS) sources.delete(uploads[0].name);
      current = name;
      return { name, reps: parsed.reps.length, warnings: parsed.warnings };
    },
    'GET /api/reps': (_req, url) => {
      const ex = exerciseParam(url.searchParams.get('exercise'));
      const src = sourceParam(url.searchParams.get('source'));
      const who = annotatorParam(url.searchParams.get('annotator') ?? annotator);
      return repsView(ex, src, who);
    },
    'POST /api/annotations': async (req) => {
      const body = await readJson(req, MAX_JSON_BYTES);
      const ex = exerciseParam(body.exercise);
      const src = sourceParam(body.source);
      const who = annotatorParam(body.annotator);
      if (typeof body.repId !== 'string' || !src.reps.some((r) => r.repId === body.repId)) {
        throw new HttpError(400, `${src.name} has no rep ${JSON.stringify(body.repId)}`);
      }
      const repId = body.repId;
      let scores: number[];
      try {
        scores = checkScores(body.scores);
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      const s = store(ex);
      const saved = await queue.run(() => s.save(s.resolveSource(src.name, src), src, repId, who, scores));
      const all = s.rows();
      const annotated = all.filter((r) => r.sourceFile === saved.sourceFile && r.annotator === who).length;
      return { saved, annotated, n: src.reps.length, icc: s.interRater(all) };
    },
    'GET /api/annotations': (_req, url) => {
      const ex = exerciseParam(url.searchParams.get('exercise'));
      return { exercise: ex, rows: store(ex).rows() };
    },
    'GET /api/icc': (_req, url) => {
      const ex = exerciseParam(url.searchParams.get('exercise'));
      return { exercise: ex, icc: store(ex).interRater() };
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
