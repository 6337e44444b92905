// `formscore export` as a library: trained checkpoint → form_scorer_<ex>_v1.tflite,
// verified in the TFLite runtimes before anything is written, then written
// atomically together with export_summary.json (read by the report page).

import { join } from 'node:path';
import type { Exercise } from '../data/exercises.js';
import { loadCheckpoint } from '../nn/checkpoint.js';
import { type Coverage, parseCoverage } from '../data/coverage.js';
import type { NamedWeights } from '../nn/architecture.js';
import { PHASES } from '../train/phases.js';
import { recordedSplitSeed } from '../workspace/model-record.js';
import { writeFileAtomic } from '../util/atomic.js';
import { exportSummary, readExportSummary, writeExportSummary, type ExportSummaryEntry } from '../workspace/export-summary.js';
import { checkWritableDir } from '../util/writable.js';
import { VERSION } from '../version.js';
import { buildFormScorerModel, type LstmForm, type WeightDtype } from './graph.js';
import { writeTflite } from './tflite/writer.js';
import { metadataText, operatorSummary, readTflite, type OperatorUse } from './tflite/reader.js';
import { verifyTflite, type VerificationResult, type VerifyOptions } from './verify.js';
import {
  DEFAULT_MODELS_DIR, savedFolder, phasePaths, findModel, incompleteNote, DEFAULT_EXPORT_DIR, EXPORT_SUMMARY_JSON,
  tfliteFolder, type Phase, type FoundModel,
} from '../workspace/layout.js';
import { MissingInputError } from '../workspace/errors.js';

export const DEFAULT_OUTPUT_DIR = tfliteFolder(DEFAULT_EXPORT_DIR);
export const SUMMARY_FILE = EXPORT_SUMMARY_JSON;
export const APP_ASSETS_DIR = 'assets/models/';

export const tfliteFileName = (exercise: string): string => `form_scorer_${exercise}_v1.tflite`;

export interface TfliteExportOptions {
  form?: LstmForm;
  dtype?: WeightDtype;
  exercise?: string;
  phase?: number;
  coverage?: Coverage;
}

/** The .tflite bytes of the form scorer with `weights`. */
export function exportTflite(weights: NamedWeights, opts: TfliteExportOptions = {}): Uint8Array {
  return writeTflite(buildFormScorerModel(weights, { ...opts, version: VERSION }));
}

export interface ExportedModel {
  exercise: Exercise;
  phase: Phase;
  model: string;
  file: string;
  bytes: number;
  form: LstmForm;
  dtype: WeightDtype;
  minRuntimeVersion: string;
  operators: OperatorUse[];
  verification?: VerificationResult;
}

export interface ExportOptions {
  exercises: Exercise[];
  /** Explicit phase; default the latest phase with a model. */
  phase?: Phase;
  /** When true (an explicit --exercise), a missing model is an error instead of a skip. */
  requireModel?: boolean;
  outputDir?: string;
  modelsDir?: string;
  dataDir?: string;
  form?: LstmForm;
  dtype?: WeightDtype;
  verify?: boolean;
  samples?: number;
  engine?: VerifyOptions['engine'];
  log?: (line: string) => void;
}

export interface ExportReport {
  exported: ExportedModel[];
  skipped: { exercise: Exercise; reason: string }[];
  outputDir: string;
  summaryPath: string;
}

/** The per-exercise entries of an existing summary (exercises exported earlier stay listed); none when unreadable. */
function readSummaryEntries(path: string): Record<string, ExportSummaryEntry> {
  try {
    return readExportSummary(path).exercises;
  } catch {
    return {};
  }
}

/** Exports, verifies, then writes every requested exercise; nothing is written if any step fails. */
export async function exportModels(opts: ExportOptions): Promise<ExportReport> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const outputDir = opts.outputDir ?? DEFAULT_OUTPUT_DIR;
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const form = opts.form ?? 'fused';
  const dtype = opts.dtype ?? 'float16';
  const skipped: ExportReport['skipped'] = [];
  const jobs: { exercise: Exercise; found: FoundModel }[] = [];

  for (const exercise of opts.exercises) {
    const found = findModel(modelsDir, exercise, opts.phase);
    if (found) {
      jobs.push({ exercise, found });
      continue;
    }
    const where = opts.phase
      ? `${phasePaths(modelsDir, exercise, opts.phase).final}/ or ${phasePaths(modelsDir, exercise, opts.phase).best}/`
      : `${join(savedFolder(modelsDir), `${exercise}_phase<N>_final`)}/`;
    const reason = `no trained model (looked for ${where})${incompleteNote(modelsDir, exercise, opts.phase)}`;
    if (opts.requireModel) throw new MissingInputError(`${exercise}: ${reason}`, `train --exercise ${exercise}`, 'model');
    skipped.push({ exercise, reason });
    log(`skipping ${exercise}: ${reason}`);
  }
  if (jobs.length === 0) throw new Error(`nothing to export: no trained model for ${opts.exercises.join(', ')} in ${savedFolder(modelsDir)}/`);
  checkWritableDir(outputDir);

  const exported: ExportedModel[] = [];
  const files = new Map<string, Uint8Array>();
  for (const { exercise, found } of jobs) {
    log(`${exercise}: phase ${found.phase} model ${found.dir}/ → ${form} LSTM, ${dtype} weights`);
    const { weights, training } = loadCheckpoint(found.dir, { optimizer: false });
    const coverage = parseCoverage(training?.coverage) ?? undefined;
    const bytes = exportTflite(weights, { form, dtype, exercise, phase: found.phase, coverage });
    const model = readTflite(bytes, tfliteFileName(exercise));
    const entry: ExportedModel = {
      exercise, phase: found.phase, model: found.dir, file: join(outputDir, tfliteFileName(exercise)), bytes: bytes.length, form, dtype,
      minRuntimeVersion: metadataText(model, 'min_runtime_version') ?? '', operators: operatorSummary(model),
    };
    if (opts.verify ?? true) {
      const splitSeed = recordedSplitSeed(training);
      entry.verification = await verifyTflite(bytes, weights, {
        form, dtype, exercise, dataDir: opts.dataDir, splitSeed, includeReal: PHASES[found.phase].includeReal, samples: opts.samples, engine: opts.engine, log,
      });
      if (!entry.verification.ok) {
        const bad = entry.verification.runtimes.filter((r) => !r.ok).map((r) => `${r.runtime}: ${r.error}`).join('; ');
        throw new Error(`${exercise}: verification failed (${bad}); nothing written`);
      }
    }
    exported.push(entry);
    files.set(entry.file, bytes);
  }

  // Everything verified: write the files, then the summary that describes them.
  for (const [path, bytes] of files) writeFileAtomic(path, bytes);
  const summaryPath = join(outputDir, SUMMARY_FILE);
  const entries = readSummaryEntries(summaryPath);
  const now = new Date().toISOString();
  for (const e of exported) {
    const v = e.verification;
    entries[e.exercise] = {
      file: tfliteFileName(e.exercise), bytes: e.bytes, form: e.form, dtype: e.dtype, phase: e.phase, model: e.model,
      min_runtime_version: e.minRuntimeVersion, exported_at: now,
      verification: v ? Object.fromEntries(v.runtimes.map((r) => [r.runtime, { max_abs_diff: r.maxAbsDiff, mean_latency_ms: r.meanLatencyMs, ok: r.ok, label: r.label }])) : null,
      ...(v ? { verification_samples: v.samples, verification_source: v.source, tolerance: v.tolerance } : {}),
    };
  }
  writeExportSummary(summaryPath, exportSummary(VERSION, now, entries));
  return { exported, skipped, outputDir, summaryPath };
}
