// Scores every rep of a real pose log the way the app will: layer 1 (rules), layer 2
// (the network, from a checkpoint or an exported .tflite file) and their hybrid. This
// lets a user check a model on their own recordings before copying it to the app.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { FRAMES, N_ANGLES, N_SCORES, type Exercise } from '../data/exercises.js';
import { readPoseLog } from '../data/poselog.js';
import { toFeatures } from '../data/features.js';
import { hybridScores, ruleScoresBatch } from '../data/rules.js';
import { enginePredictor, withPredictor, type Predictor } from '../nn/predictor.js';
import { type Coverage, type ModelCoverage, domainGaps, parseCoverage } from '../data/coverage.js';
import { loadCheckpoint } from '../nn/checkpoint.js';
import { metadataText, readTflite } from '../export/tflite/reader.js';
import { liteRtRuntime } from '../export/runtimes/litert.js';
import { tfjsTfliteRuntime } from '../export/runtimes/tfjs-tflite.js';
import { tflitePredictor } from '../export/runtimes/predictor.js';
import { DEFAULT_MODELS_DIR, savedFolder, findModel, incompleteNote } from '../workspace/layout.js';
import { MissingInputError } from '../workspace/errors.js';

export interface RepScores {
  repId: string;
  rule: number[]; // (6) 0-100, depth … overall
  network: number[];
  hybrid: number[];
  /** Input statistics outside what the model's training data covered; empty when covered. */
  domainGaps: string[];
}

export interface SessionScores {
  file: string;
  exercise: Exercise;
  /** The checkpoint folder or .tflite file, and for a .tflite file the runtime that ran it. */
  model: { path: string; kind: 'checkpoint' | 'tflite'; runtime?: string };
  /** Whether the model records its training coverage, so that domainGaps means something. */
  domainCheck: boolean;
  reps: RepScores[];
  warnings: string[];
}

export interface ScoreOptions {
  /** A checkpoint folder or a .tflite file; default the latest phase's checkpoint under modelsDir. */
  model?: string;
  modelsDir?: string; // default 'models'
  threads?: number;
  /** Segment the log from its primary joint even when it has rep_id (a log without rep_id always is). */
  segment?: boolean;
}

export async function scoreSession(file: string, exercise: Exercise, opts: ScoreOptions = {}): Promise<SessionScores> {
  const log = readPoseLog(file, { exercise, segment: opts.segment });
  const n = log.reps.length;
  if (n === 0) throw new Error(`${file}: no rep with at least 2 frames to score`);
  const sequences = new Float32Array(n * FRAMES * N_ANGLES); // (N, 90, 9) degrees
  log.reps.forEach((rep, i) => sequences.set(rep.sequence, i * FRAMES * N_ANGLES));
  const x = toFeatures(sequences, n); // (N, 90, 18)

  const model = resolveModel(exercise, opts);
  let predictor: Predictor;
  let coverage: Coverage | null;
  if (model.kind === 'tflite') {
    const bytes = readFileSync(model.path);
    coverage = tfliteCoverage(bytes, model.path);
    predictor = await loadTflitePredictor(bytes, model.path);
  } else {
    const checkpoint = loadCheckpoint(model.path, { optimizer: false });
    coverage = parseCoverage(checkpoint.training?.coverage);
    predictor = await enginePredictor(checkpoint.weights, opts.threads);
  }
  const runtime = model.kind === 'tflite' ? predictor.name : undefined;
  const network = await withPredictor(predictor, (p) => p.predict(x, n)); // (N, 6) in [0, 1]
  const rule = ruleScoresBatch(sequences, n, exercise);
  const net100 = network.map((v) => v * 100);
  const hybrid = hybridScores(rule, net100);
  const row = (a: Float32Array, i: number) => Array.from(a.subarray(i * N_SCORES, (i + 1) * N_SCORES));
  const warnings = [...log.warnings];
  if (!coverage) warnings.push(`${model.path}: records no training coverage (trained before the domain-gap check existed); reps are not checked against it`);
  return {
    file,
    exercise,
    model: { ...model, runtime },
    domainCheck: coverage !== null,
    reps: log.reps.map((rep, i) => ({
      repId: rep.repId, rule: row(rule, i), network: row(net100, i), hybrid: row(hybrid, i),
      domainGaps: coverage ? domainGaps(rep.sequence, coverage) : [],
    })),
    warnings,
  };
}

/** The latest trained model of the exercise and its training coverage (null when there is no model or it records none). */
export function trainingCoverage(modelsDir: string, exercise: Exercise): ModelCoverage | null {
  const found = findModel(modelsDir, exercise);
  const coverage = found ? parseCoverage(loadCheckpoint(found.dir, { optimizer: false }).training?.coverage) : null;
  return found && coverage ? { model: found.dir, coverage } : null;
}

/** The training coverage an exported file carries in its "formscore" metadata, or null. */
function tfliteCoverage(bytes: Uint8Array, path: string): Coverage | null {
  const info = metadataText(readTflite(bytes, path), 'formscore');
  try {
    return info ? parseCoverage((JSON.parse(info) as { coverage?: unknown }).coverage) : null;
  } catch {
    return null;
  }
}

function resolveModel(exercise: Exercise, opts: ScoreOptions): { path: string; kind: 'checkpoint' | 'tflite' } {
  if (opts.model) {
    if (!existsSync(opts.model)) throw new Error(`model ${opts.model} does not exist`);
    if (statSync(opts.model).isDirectory()) return { path: opts.model, kind: 'checkpoint' };
    if (opts.model.endsWith('.tflite')) return { path: opts.model, kind: 'tflite' };
    throw new Error(`model ${opts.model} is neither a checkpoint folder nor a .tflite file`);
  }
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const found = findModel(modelsDir, exercise);
  if (!found) {
    throw new MissingInputError(
      `no trained ${exercise} model under ${savedFolder(modelsDir)}/${incompleteNote(modelsDir, exercise)} (or pass --model form_scorer_${exercise}_v1.tflite)`,
      `train --exercise ${exercise} --phase 1`, 'model',
    );
  }
  return { path: found.dir, kind: 'checkpoint' };
}

/**
 * A .tflite file as a predictor. LiteRT first (Google's current runtime); it refuses the
 * fused form's variable tensors, which the classic interpreter (tfjs-tflite, the one the
 * app's tflite_flutter wraps) runs.
 */
async function loadTflitePredictor(bytes: Uint8Array, path: string): Promise<Predictor> {
  try {
    const rt = await liteRtRuntime();
    return tflitePredictor(await rt.load(bytes), rt.label);
  } catch {
    const rt = await tfjsTfliteRuntime();
    try {
      return tflitePredictor(await rt.load(bytes), rt.label);
    } catch (err) {
      // Neither runtime accepts the file: say which file, not only what the runtime said.
      throw new Error(`${path}: not a usable TFLite model (${err instanceof Error ? err.message : String(err)})`);
    }
  }
}
