// Reduces results and data files to the rows each figure plots (specs.ts): histogram
// bins instead of raw scores, per-panel captions, long-format curves.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ANGLES, DIMENSIONS, FRAMES, N_ANGLES, N_SCORES, type Exercise } from '../../data/exercises.js';
import { readNpy, readNpyFloat32 } from '../../data/npy.js';
import { mae, pearson } from '../metrics.js';
import { column, type TestPredictions } from '../evaluation.js';
import { readHistoryCsv } from '../../train/callbacks.js';
import { approachScores } from '../predictions.js';
import { blandAltman } from '../bland-altman.js';
import { AnnotationStore } from '../../annotate/store.js';
import { sharedPair } from '../../annotate/adjudication.js';
import type { AgreementLineRow, AgreementPointRow, AngleRow, BinRow, CaptionRow, ErrorBinRow, HistoryRow, ScatterRow, ScoreBinRow } from './specs.js';
import { SEQUENCES_NPY, SCORES_NPY, TIERS_NPY, repFolder } from '../../workspace/layout.js';

/** Counts of `values` in `bins` equal bins over [lo, hi]; values outside go to the end bins. */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): BinRow[] {
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i] - lo) / width);
    counts[b < 0 ? 0 : b >= bins ? bins - 1 : b]++;
  }
  return counts.map((count, b) => ({ bin0: round(lo + b * width), bin1: round(lo + (b + 1) * width), count }));
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Points and "r · MAE" captions of scatter_<ex>. */
export function scatterRows(p: TestPredictions): { points: ScatterRow[]; captions: CaptionRow[] } {
  const points: ScatterRow[] = [];
  const captions: CaptionRow[] = DIMENSIONS.map((dimension, d) => {
    const t = column(p.truth, p.n, d), y = column(p.network, p.n, d);
    for (let i = 0; i < p.n; i++) points.push({ dimension, actual: round(t[i], 2), predicted: round(y[i], 2) });
    return { dimension, caption: `r = ${pearson(y, t).toFixed(3)} · MAE = ${mae(y, t).toFixed(2)}` };
  });
  return { points, captions };
}

/** Error histograms and "bias · σ" captions of error_dist_<ex>, on one symmetric range. */
export function errorRows(p: TestPredictions, bins = 30): { bins: ErrorBinRow[]; captions: CaptionRow[] } {
  const errors = DIMENSIONS.map((_, d) => {
    const t = column(p.truth, p.n, d), y = column(p.network, p.n, d);
    return y.map((v, i) => v - t[i]);
  });
  let maxAbs = 1;
  for (const e of errors) for (const v of e) maxAbs = Math.max(maxAbs, Math.abs(v));
  const range = Math.ceil(maxAbs / 5) * 5;
  const rows: ErrorBinRow[] = [];
  const captions = DIMENSIONS.map((dimension, d) => {
    const e = errors[d];
    const bias = e.reduce((a, b) => a + b, 0) / e.length;
    const sigma = Math.sqrt(e.reduce((a, b) => a + (b - bias) ** 2, 0) / Math.max(1, e.length - 1));
    for (const b of histogram(e, -range, range, bins)) rows.push({ ...b, dimension });
    return { dimension, caption: `bias = ${bias.toFixed(2)} · σ = ${sigma.toFixed(2)}` };
  });
  return { bins: rows, captions };
}

/** Scores closer than this (float32 rounding of 0-100 values stored on 0-1) are the same score. */
const SAME_SCORE = 1e-3;

/** The methods of bland_altman_<ex>, each against the ground truth. */
export const BLAND_ALTMAN_METHODS = ['network', 'rule'] as const;

/**
 * Points and lines of bland_altman_<ex> on one dimension (default overall). A method
 * identical to the ground truth on every rep is left out: the realistic profile's
 * ground truth is the rule scorer itself, and agreement with itself says nothing.
 */
export function blandAltmanRows(p: TestPredictions, dimension = 'overall'): { points: AgreementPointRow[]; lines: AgreementLineRow[] } {
  const d = dimensionIndex(dimension);
  const scores = approachScores(p);
  const truth = column(p.truth, p.n, d);
  const rows = { points: [] as AgreementPointRow[], lines: [] as AgreementLineRow[] };
  for (const name of BLAND_ALTMAN_METHODS) {
    const y = column(scores[name], p.n, d);
    if (y.every((v, i) => Math.abs(v - truth[i]) < SAME_SCORE)) continue;
    addAgreement(rows, `${name} − ground truth`, truth, y);
  }
  return rows;
}

/**
 * Points and lines of bland_altman_annotators_<ex>: the two annotators of
 * `<dataDir>/real/<ex>/annotations.csv` who share the most reps, second − first; null
 * when no two annotators scored at least two reps in common.
 */
export function annotatorAgreementRows(
  dataDir: string, exercise: Exercise, dimension = 'overall',
): { annotators: [string, string]; points: AgreementPointRow[]; lines: AgreementLineRow[] } | null {
  const pair = sharedPair(new AnnotationStore(dataDir, exercise).rows());
  if (!pair || pair.scores[0].length < 2) return null;
  const d = dimensionIndex(dimension);
  const [a, b] = pair.scores.map((reps) => reps.map((s) => s[d]));
  const rows = { points: [] as AgreementPointRow[], lines: [] as AgreementLineRow[] };
  addAgreement(rows, `${pair.annotators[1]} − ${pair.annotators[0]}`, a, b);
  return { annotators: pair.annotators, ...rows };
}

function dimensionIndex(dimension: string): number {
  const d = DIMENSIONS.indexOf(dimension as (typeof DIMENSIONS)[number]);
  if (d < 0) throw new Error(`unknown dimension "${dimension}" (expected one of: ${DIMENSIONS.join(', ')})`);
  return d;
}

/** One Bland-Altman panel: each pair's mean and difference (method − reference), the bias and limits with their CIs. */
function addAgreement(
  rows: { points: AgreementPointRow[]; lines: AgreementLineRow[] }, method: string, reference: ArrayLike<number>, y: ArrayLike<number>,
): void {
  for (let i = 0; i < y.length; i++) rows.points.push({ method, mean: round((y[i] + reference[i]) / 2, 2), diff: round(y[i] - reference[i], 2) });
  const ba = blandAltman(reference, y);
  const line = (label: string, value: number, lo: number, hi: number) =>
    rows.lines.push({ method, line: label, value: round(value), lo: round(lo), hi: round(hi), label: `${label} ${value.toFixed(2)}` });
  line('upper limit', ba.upper, ba.upper_lo, ba.upper_hi);
  line('bias', ba.bias, ba.bias_lo, ba.bias_hi);
  line('lower limit', ba.lower, ba.lower_lo, ba.lower_hi);
}

/**
 * Reads `models/logs/<ex>_phase<p>_history.csv` (epoch, loss, mae, val_loss, val_mae, lr)
 * with the training module's own reader (it knows its nan/inf spellings).
 */
export function readHistory(path: string): HistoryRow[] {
  const rows = readHistoryCsv(path);
  const fields = ['epoch', 'loss', 'mae', 'val_loss', 'val_mae', 'lr'] as const;
  if (rows.length) for (const f of fields) if (!(f in rows[0])) throw new Error(`${path}: missing column "${f}"`);
  return rows.map((r) => Object.fromEntries(fields.map((f) => [f, r[f]])) as unknown as HistoryRow);
}

/** Score histograms (10-point bins) of `<dataDir>/generated/<ex>/scores.npy`; null when missing. */
export function generatedScoreRows(dataDir: string, exercise: Exercise): { bins: ScoreBinRow[]; n: number } | null {
  const path = join(repFolder(dataDir, 'generated', exercise), SCORES_NPY);
  if (!existsSync(path)) return null;
  const { data, shape } = readNpyFloat32(path, [-1, N_SCORES]);
  const n = shape[0];
  const bins = DIMENSIONS.flatMap((dimension, d) =>
    histogram(column(data, n, d), 0, 100, 10).map((b) => ({ ...b, exercise, dimension })));
  return { bins, n };
}

/** Tier index of 'good' in tiers.npy (0 excellent, 1 good, 2 acceptable, 3 poor). */
export const GOOD_TIER = 1;

/**
 * The nine angle curves of a typical synthetic rep: the first 'good' one of the seed
 * profile (tiers.npy), else the one whose overall score is the median. Null when the data is missing.
 */
export function sampleRepRows(dataDir: string, exercise: Exercise): AngleRow[] | null {
  const dir = repFolder(dataDir, 'generated', exercise);
  if (!existsSync(join(dir, SEQUENCES_NPY)) || !existsSync(join(dir, SCORES_NPY))) return null;
  const seqs = readNpy(join(dir, SEQUENCES_NPY));
  let rep: number;
  if (existsSync(join(dir, TIERS_NPY))) {
    rep = Math.max(0, Array.prototype.findIndex.call(readNpy(join(dir, TIERS_NPY)).data, (t: number) => t === GOOD_TIER));
  } else {
    const { data, shape } = readNpyFloat32(join(dir, SCORES_NPY), [-1, N_SCORES]);
    const overall = column(data, shape[0], N_SCORES - 1);
    const order = Array.from(overall.keys()).sort((a, b) => overall[a] - overall[b]);
    rep = order[Math.floor(order.length / 2)] ?? 0;
  }
  if (seqs.shape[0] <= rep) return null;
  const rows: AngleRow[] = [];
  const base = rep * FRAMES * N_ANGLES;
  ANGLES.forEach((angle, a) => {
    for (let t = 0; t < FRAMES; t++) rows.push({ exercise, angle, frame: t, degrees: round(seqs.data[base + t * N_ANGLES + a], 2) });
  });
  return rows;
}
