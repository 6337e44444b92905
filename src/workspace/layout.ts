// The workspace: every folder and file name formscore reads or writes, the default
// folders and the default seed. Nothing else spells them. It sits under every other
// module (data/ and up read it; it reads none of them).
//
//   data/generated/<ex>/   sequences.npy (N, 90, 9), scores.npy (N, 6), tiers.npy (N,), generation.json
//   data/real/<ex>/        the same from the annotation tool, with annotations.csv and segments/
//   models/saved/<ex>_phase<p>_{best,final,last}/   checkpoints: model.json, weights.bin, optimizer.bin
//   models/saved/<ex>_phase<p>_seeds.json           the runs of `train --seeds`
//   models/logs/<ex>_phase<p>_history.csv, models/logs/<ex>_phase<p>/ (TensorBoard)
//   evaluation/            CSVs, figures/, report.html
//   export/tflite/         form_scorer_<ex>_v1.tflite, export_summary.json
//   pipeline_state.json

import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_DATA_DIR = 'data';
export const DEFAULT_MODELS_DIR = 'models';
export const DEFAULT_EVALUATION_DIR = 'evaluation';
export const DEFAULT_EXPORT_DIR = 'export';
/** Seed of the data split, initialisation and shuffles when none is given. */
export const DEFAULT_SEED = 42;

/** Where a rep comes from: the synthetic reps of `formscore generate`, or the annotated real ones. */
export const REP_SOURCES = ['generated', 'real'] as const;
export type RepSource = (typeof REP_SOURCES)[number];

export const SEQUENCES_NPY = 'sequences.npy';
export const SCORES_NPY = 'scores.npy';
export const TIERS_NPY = 'tiers.npy';
export const GENERATION_JSON = 'generation.json';
/** The annotation tool's record of real reps (data/real/<ex>/), and of the original project's folder. */
export const ANNOTATIONS_CSV = 'annotations.csv';

/** `<dataDir>/<source>/<exercise>/`: one exercise's reps of one source. */
export function repFolder(dataDir: string, source: RepSource, exercise: string): string {
  return join(dataDir, source, exercise);
}

/** `<dataDir>/<source>/`: every exercise's reps of one source. */
export function sourceFolder(dataDir: string, source: RepSource): string {
  return join(dataDir, source);
}

// --- models ---------------------------------------------------------------------

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const OPTIMIZER_BIN = 'optimizer.bin';

export type Phase = 1 | 2 | 3;
export const PHASE_NUMBERS: readonly Phase[] = [1, 2, 3];

/** `<modelsDir>/saved/`: the checkpoints. */
export const savedFolder = (modelsDir: string): string => join(modelsDir, 'saved');
/** `<modelsDir>/logs/`: histories and TensorBoard files. */
export const logsFolder = (modelsDir: string): string => join(modelsDir, 'logs');

/** Files of one exercise's phase under the models folder. */
export interface PhasePaths {
  best: string; // models/saved/<ex>_phase<p>_best/
  final: string; // models/saved/<ex>_phase<p>_final/
  last: string; // models/saved/<ex>_phase<p>_last/ (resume point, written every epoch)
  history: string; // models/logs/<ex>_phase<p>_history.csv
  tensorboard: string; // models/logs/<ex>_phase<p>/
}

/**
 * With `seed`, the files of that seed's run of `train --seeds` (`<ex>_phase<p>_seed<s>_final/`
 * and so on); without, the phase's usual files, which hold the selected seed's model after such a run.
 */
export function phasePaths(modelsDir: string, exercise: string, phase: Phase, seed?: number): PhasePaths {
  const stem = `${exercise}_phase${phase}${seed === undefined ? '' : `_seed${seed}`}`;
  return {
    best: join(savedFolder(modelsDir), `${stem}_best`),
    final: join(savedFolder(modelsDir), `${stem}_final`),
    last: join(savedFolder(modelsDir), `${stem}_last`),
    history: join(logsFolder(modelsDir), `${stem}_history.csv`),
    tensorboard: join(logsFolder(modelsDir), stem),
  };
}

/** `models/saved/<ex>_phase<p>_seeds.json`: the runs of `train --seeds` and which one was selected. */
export function seedsRecordPath(modelsDir: string, exercise: string, phase: Phase): string {
  return join(savedFolder(modelsDir), `${exercise}_phase${phase}_seeds.json`);
}

export interface FoundModel {
  dir: string;
  phase: Phase;
  kind: 'final' | 'best';
}

/**
 * A trained model of the exercise: `<ex>_phase<p>_final`, else `_best` (a run stopped
 * before its end); without a phase, the latest phase that has one. Null when none.
 */
export function findModel(modelsDir: string, exercise: string, phase?: Phase): FoundModel | null {
  const phases = phase ? [phase] : [...PHASE_NUMBERS].reverse();
  for (const p of phases) {
    const paths = phasePaths(modelsDir, exercise, p);
    for (const kind of ['final', 'best'] as const) {
      if (existsSync(join(paths[kind], MODEL_JSON))) return { dir: paths[kind], phase: p, kind };
    }
  }
  return null;
}

/**
 * Checkpoint folders of the exercise that exist but hold no model.json (a save cut
 * short, a partial copy), as a note for "no trained model" messages; empty when none.
 */
export function incompleteNote(modelsDir: string, exercise: string, phase?: Phase): string {
  const phases = phase ? [phase] : [...PHASE_NUMBERS];
  const dirs = phases.flatMap((p) => {
    const paths = phasePaths(modelsDir, exercise, p);
    return [paths.final, paths.best].filter((d) => existsSync(d) && !existsSync(join(d, MODEL_JSON)));
  });
  return dirs.length ? ` (${dirs.map((d) => `${d}/`).join(', ')} exist${dirs.length === 1 ? 's' : ''} but hold${dirs.length === 1 ? 's' : ''} no ${MODEL_JSON}: a save cut short or a partial copy)` : '';
}

// --- evaluation and export ------------------------------------------------------

/** `<exportDir>/tflite/`: the app's model files and export_summary.json. */
export const tfliteFolder = (exportDir: string): string => join(exportDir, 'tflite');
export const EXPORT_SUMMARY_JSON = 'export_summary.json';
/** `<evaluationDir>/figures/`. */
export const figuresFolder = (evaluationDir: string): string => join(evaluationDir, 'figures');
export const PIPELINE_STATE_JSON = 'pipeline_state.json';
