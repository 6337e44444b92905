// Loads one exercise's training data: synthetic reps from `formscore generate` plus
// real annotated reps when present, split 70/15/15 and turned into model inputs.
//
// Splits are stratified by quartile of the overall score (computed separately for the
// synthetic and the real reps) so that validation and test see the same spread of
// good and bad reps as training, and real reps land in every split.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Exercise, FRAMES, N_ANGLES, N_SCORES, REP_SIZE } from './exercises.js';
import { readNpyFloat32 } from './npy.js';
import { checkAngleData, checkScoreData } from './validate.js';
import { toFeatures } from './features.js';
import { augmentBatch } from './augment.js';
import { type DataProfile, readGenerationRecord } from './synthetic.js';
import { ruleScores } from './rules.js';
import { Random } from '../util/random.js';
import { DEFAULT_DATA_DIR, DEFAULT_SEED, SCORES_NPY, SEQUENCES_NPY, repFolder, sourceFolder } from '../workspace/layout.js';
import { MissingInputError } from '../workspace/errors.js';

export interface Split {
  x: Float32Array; // (N, 90, 18) model input
  y: Float32Array; // (N, 6) scores in [0, 1]
  sequences: Float32Array; // (N, 90, 9) degrees
  n: number;
  /** (N,) index into REP_SOURCES of each rep (the splits are shuffled, so this is kept per rep). */
  source: Uint8Array;
  /** (N,) row of each rep in its source's sequences.npy; an augmented copy carries its original's row. */
  index: Int32Array;
}

export interface Dataset {
  train: Split;
  val: Split;
  test: Split;
  /** Real annotated reps included (spread over the three splits). */
  realCount: number;
  /** The synthetic profile of the generated reps (generation.json). */
  profile: DataProfile;
}

export interface LoadDatasetOptions {
  /** Root of the data folder; default 'data' (reads `<dataDir>/generated/<ex>` and `<dataDir>/real/<ex>`). */
  dataDir?: string;
  /** Seed of the split and of the augmentation; default 42. */
  seed?: number;
  /** Augmented copies appended to the training split (0 = none); default 0. */
  augment?: number;
  /** Include `<dataDir>/real/<ex>` when it exists; default true. */
  includeReal?: boolean;
}

export const SPLIT_FRACTIONS = { train: 0.7, val: 0.15, test: 0.15 } as const;

/** Whether annotated real reps exist for the exercise. */
export function hasRealData(exercise: Exercise, dataDir = DEFAULT_DATA_DIR): boolean {
  return hasReps(repFolder(dataDir, 'real', exercise));
}

/** Whether a folder holds both arrays of a rep set. */
export function hasReps(dir: string): boolean {
  return existsSync(join(dir, SEQUENCES_NPY)) && existsSync(join(dir, SCORES_NPY));
}

/** Reads a (sequences, scores) pair, checks their shapes against each other and their values (see validate.ts). */
export function readRepFolder(dir: string): { sequences: Float32Array; scores: Float32Array; n: number } {
  const seqPath = join(dir, SEQUENCES_NPY);
  const scorePath = join(dir, SCORES_NPY);
  const seq = readNpyFloat32(seqPath, [-1, FRAMES, N_ANGLES]);
  const sc = readNpyFloat32(scorePath, [-1, N_SCORES]);
  if (seq.shape[0] !== sc.shape[0]) {
    throw new Error(`${scorePath}: has ${sc.shape[0]} rows but ${seqPath} has ${seq.shape[0]} reps`);
  }
  checkAngleData(seqPath, seq.data);
  checkScoreData(scorePath, sc.data);
  return { sequences: seq.data, scores: sc.data, n: seq.shape[0] };
}

export function loadDataset(exercise: Exercise, opts: LoadDatasetOptions = {}): Dataset {
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const seed = opts.seed ?? DEFAULT_SEED;
  const augment = opts.augment ?? 0;
  const includeReal = opts.includeReal ?? true;

  const synthDir = repFolder(dataDir, 'generated', exercise);
  if (!hasReps(synthDir)) {
    throw new MissingInputError(`no synthetic data for ${exercise} in ${synthDir}`,
      `generate --exercise ${exercise}` + (dataDir === DEFAULT_DATA_DIR ? '' : ` --out ${sourceFolder(dataDir, 'generated')}`), 'synthetic-data');
  }
  const { profile, groundTruth } = readGenerationRecord(synthDir);
  const sources = [readRepFolder(synthDir)];
  let realCount = 0;
  if (includeReal && hasRealData(exercise, dataDir)) {
    const real = readRepFolder(repFolder(dataDir, 'real', exercise));
    realCount = real.n;
    sources.push(real);
  }

  const rng = new Random(seed);
  const parts = { train: [] as [number, number][], val: [] as [number, number][], test: [] as [number, number][] };
  sources.forEach((src, s) => {
    const split = stratifiedSplit(src.scores, src.n, rng);
    for (const name of ['train', 'val', 'test'] as const) for (const i of split[name]) parts[name].push([s, i]);
  });

  type Gathered = Omit<Split, 'x'>;
  const gather = (refs: [number, number][]): Gathered => {
    const n = refs.length;
    const sequences = new Float32Array(n * REP_SIZE);
    const y = new Float32Array(n * N_SCORES);
    const source = new Uint8Array(n), index = new Int32Array(n);
    refs.forEach(([s, i], j) => {
      sequences.set(sources[s].sequences.subarray(i * REP_SIZE, (i + 1) * REP_SIZE), j * REP_SIZE);
      for (let d = 0; d < N_SCORES; d++) y[j * N_SCORES + d] = clip01(sources[s].scores[i * N_SCORES + d] / 100);
      source[j] = s;
      index[j] = i;
    });
    return { sequences, y, n, source, index };
  };
  const finish = (g: Gathered): Split => ({ x: toFeatures(g.sequences, g.n), ...g });

  // Mix synthetic and real reps within each split so that batches see both.
  for (const name of ['train', 'val', 'test'] as const) rng.shuffle(parts[name]);
  let train = gather(parts.train);
  if (augment > 0) {
    // The realistic profile's labels are the rule scores of the sequence, so a copy is
    // labelled anew; expert scores of real reps are never replaced.
    const relabel = groundTruth === 'rule-scorer' && realCount === 0 ? (seq: Float32Array) => ruleScores(seq, exercise).map((v) => v / 100) : undefined;
    const aug = augmentBatch(train.sequences, train.y, train.n, augment, new Random((seed ^ 0x5eed) >>> 0), relabel);
    // augmentBatch appends `augment` copies of the n originals in order: copy c of rep i is row (c + 1)·n + i.
    const repeat = <T extends Uint8Array | Int32Array>(a: T, out: T) => { for (let c = 0; c <= augment; c++) out.set(a, c * a.length); return out; };
    train = {
      sequences: aug.sequences, y: aug.labels, n: aug.n,
      source: repeat(train.source, new Uint8Array(aug.n)), index: repeat(train.index, new Int32Array(aug.n)),
    };
  }
  return { train: finish(train), val: finish(gather(parts.val)), test: finish(gather(parts.test)), realCount, profile };
}

/**
 * Indices of a 70/15/15 split, stratified by quartile of the overall score (column 5).
 * Quartiles are by rank, so each holds a quarter of the reps even when scores tie.
 */
export function stratifiedSplit(scores: Float32Array, n: number, rng: Random): { train: number[]; val: number[]; test: number[] } {
  const order = Array.from({ length: n }, (_, i) => i);
  const overall = (i: number) => scores[i * N_SCORES + N_SCORES - 1];
  order.sort((a, b) => overall(a) - overall(b) || a - b);
  const out = { train: [] as number[], val: [] as number[], test: [] as number[] };
  for (let q = 0; q < 4; q++) {
    const stratum = order.slice(Math.floor((q * n) / 4), Math.floor(((q + 1) * n) / 4));
    rng.shuffle(stratum);
    const nTrain = Math.round(stratum.length * SPLIT_FRACTIONS.train);
    const nVal = Math.round(stratum.length * SPLIT_FRACTIONS.val);
    out.train.push(...stratum.slice(0, nTrain));
    out.val.push(...stratum.slice(nTrain, nTrain + nVal));
    out.test.push(...stratum.slice(nTrain + nVal));
  }
  return out;
}

const clip01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
