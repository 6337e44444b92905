// One Vega-Lite spec builder per figure. Each takes plain rows (already reduced to
// what the chart shows: histogram bins, not raw scores) and returns a declarative
// spec; rendering lives in render.ts, data gathering in data.ts. The same specs feed
// the PNG/SVG files and the interactive charts of the HTML report.

import type { TopLevelSpec } from 'vega-lite';
import { ANGLES, DIMENSIONS, EXERCISES } from '../../data/exercises.js';
import { APPROACHES, HYBRID_LABEL } from '../comparison.js';

// ---- row types: what each chart plots ---------------------------------------------

/** A histogram bar: [bin0, bin1) holding `count` values. */
export interface BinRow { bin0: number; bin1: number; count: number }
export interface ScatterRow { dimension: string; actual: number; predicted: number }
/** A per-panel caption ("r = 0.98 · MAE = 1.2"), one per dimension. */
export interface CaptionRow { dimension: string; caption: string }
export interface ErrorBinRow extends BinRow { dimension: string }
export interface ApproachRow { exercise: string; approach: string; mae: number; mean_pearson: number }
export interface HistoryRow { epoch: number; mae: number; val_mae: number; loss: number; val_loss: number; lr: number }
export interface HeatRow { exercise: string; dimension: string; mae: number }
export interface ScoreBinRow extends BinRow { exercise: string; dimension: string }
export interface AngleRow { exercise: string; angle: string; frame: number; degrees: number }

const SCORE_AXIS = { domain: [0, 100] as number[], nice: false };
const dimensionOrder = [...DIMENSIONS] as string[];
const exerciseOrder = [...EXERCISES] as string[];

// ---- figures -----------------------------------------------------------------------

/** scatter_<ex>: predicted vs actual per dimension, with the identity line and r / MAE. */
export function scatterSpec(exercise: string, points: ScatterRow[], captions: CaptionRow[]): TopLevelSpec {
  const rows = [...points.map((p) => ({ ...p, kind: 'point' })), ...captions.map((c) => ({ ...c, kind: 'caption' }))];
  return {
    title: { text: `${exercise}: network score vs ground truth`, subtitle: `test split, ${points.length / DIMENSIONS.length} reps, 0-100 scale` },
    data: { values: rows },
    facet: { field: 'dimension', type: 'nominal', sort: dimensionOrder, title: null },
    columns: 3,
    spec: {
      width: 210,
      height: 210,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'caption'" }],
          mark: { type: 'rule', color: '#999', strokeDash: [4, 4] },
          encoding: {
            x: { datum: 0, type: 'quantitative', scale: SCORE_AXIS },
            y: { datum: 0, type: 'quantitative', scale: SCORE_AXIS },
            x2: { datum: 100 },
            y2: { datum: 100 },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'circle', size: 14, opacity: 0.45, color: '#4c78a8' },
          encoding: {
            x: { field: 'actual', type: 'quantitative', title: 'ground truth', scale: SCORE_AXIS },
            y: { field: 'predicted', type: 'quantitative', title: 'network', scale: SCORE_AXIS },
            tooltip: [
              { field: 'actual', type: 'quantitative', format: '.1f', title: 'ground truth' },
              { field: 'predicted', type: 'quantitative', format: '.1f', title: 'network' },
            ],
          },
        },
        {
          transform: [{ filter: "datum.kind === 'caption'" }],
          mark: { type: 'text', align: 'left', baseline: 'top', x: 6, y: 6, fontSize: 11, color: '#222' },
          encoding: { text: { field: 'caption', type: 'nominal' } },
        },
      ],
    },
  };
}

/** error_dist_<ex>: histogram of (network − truth) per dimension; bias and σ in each panel's header. */
export function errorDistSpec(exercise: string, bins: ErrorBinRow[], captions: CaptionRow[]): TopLevelSpec {
  // The zero line runs through the middle of every panel, so the caption goes in the header.
  const header = new Map(captions.map((c) => [c.dimension, `${c.dimension}: ${c.caption}`]));
  const rows = bins.map((b) => ({ ...b, panel: header.get(b.dimension) ?? b.dimension }));
  const range = Math.max(1, ...bins.map((b) => Math.abs(b.bin0)), ...bins.map((b) => Math.abs(b.bin1)));
  return {
    title: { text: `${exercise}: prediction error (network − ground truth)`, subtitle: 'test split, points on the 0-100 scale' },
    data: { values: rows },
    facet: { field: 'panel', type: 'nominal', sort: dimensionOrder.map((d) => header.get(d) ?? d), title: null },
    columns: 3,
    spec: {
      width: 220,
      height: 140,
      layer: [
        {
          mark: { type: 'bar', color: '#f58518', binSpacing: 0 },
          encoding: {
            x: {
              field: 'bin0', type: 'quantitative', bin: { binned: true }, title: 'error (points)',
              axis: { values: [-range, -range / 2, 0, range / 2, range] }, // symmetric, always with 0
            },
            x2: { field: 'bin1' },
            y: { field: 'count', type: 'quantitative', title: 'reps' },
            tooltip: [
              { field: 'bin0', type: 'quantitative', format: '.1f', title: 'from' },
              { field: 'bin1', type: 'quantitative', format: '.1f', title: 'to' },
              { field: 'count', type: 'quantitative', title: 'reps' },
            ],
          },
        },
        {
          transform: [{ aggregate: [{ op: 'count', as: 'bins' }], groupby: ['panel'] }], // one zero line per panel
          mark: { type: 'rule', color: '#333', strokeDash: [3, 3] },
          encoding: { x: { datum: 0, type: 'quantitative' } },
        },
      ],
    },
  };
}

/** hybrid_comparison: MAE and mean Pearson r of rule / network / hybrid per exercise. */
export function hybridComparisonSpec(rows: ApproachRow[]): TopLevelSpec {
  const long = rows.flatMap((r) => [
    { exercise: r.exercise, approach: r.approach, metric: 'MAE (points, lower is better)', value: r.mae },
    { exercise: r.exercise, approach: r.approach, metric: 'mean Pearson r (higher is better)', value: r.mean_pearson },
  ]);
  return {
    title: { text: `Rule-based vs network vs hybrid (${HYBRID_LABEL})`, subtitle: 'test split, all six dimensions' },
    data: { values: long },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'exercise', type: 'nominal', sort: exerciseOrder, title: null, axis: { labelAngle: 0 } },
        xOffset: { field: 'approach', type: 'nominal', sort: [...APPROACHES] },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'approach', type: 'nominal', sort: [...APPROACHES], scale: { range: ['#9d755d', '#4c78a8', '#54a24b'] } },
        tooltip: [
          { field: 'exercise', type: 'nominal' },
          { field: 'approach', type: 'nominal' },
          { field: 'value', type: 'quantitative', format: '.3f', title: 'value' },
        ],
      },
    },
  };
}

/** training_curves_<ex>: train and validation MAE and loss per epoch. */
export function trainingCurvesSpec(exercise: string, phase: number, history: HistoryRow[]): TopLevelSpec {
  // The CSV counts epochs from 0 (Keras' CSVLogger); the training log and these charts from 1.
  const long = history.flatMap((h) => [
    { epoch: h.epoch + 1, metric: 'MAE (0-100 scale)', split: 'train', value: h.mae * 100, lr: h.lr },
    { epoch: h.epoch + 1, metric: 'MAE (0-100 scale)', split: 'validation', value: h.val_mae * 100, lr: h.lr },
    { epoch: h.epoch + 1, metric: 'loss (MSE on [0, 1])', split: 'train', value: h.loss, lr: h.lr },
    { epoch: h.epoch + 1, metric: 'loss (MSE on [0, 1])', split: 'validation', value: h.val_loss, lr: h.lr },
  ]);
  const best = history.reduce((a, b) => (b.val_mae < a.val_mae ? b : a), history[0]);
  return {
    title: {
      text: `${exercise}: training curves, phase ${phase}`,
      subtitle: `${history.length} epochs; best validation MAE ${(best.val_mae * 100).toFixed(2)} at epoch ${best.epoch + 1}`,
    },
    data: { values: long },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 300,
      height: 200,
      mark: { type: 'line', point: { size: 16 } },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'split', type: 'nominal', scale: { range: ['#4c78a8', '#e45756'] }, title: null },
        tooltip: [
          { field: 'epoch', type: 'quantitative' },
          { field: 'split', type: 'nominal' },
          { field: 'value', type: 'quantitative', format: '.4f' },
          { field: 'lr', type: 'quantitative', format: '.1e', title: 'learning rate' },
        ],
      },
    },
  };
}

/**
 * mae_heatmap (network vs ground truth on the test split) and transfer_mae (network vs
 * rule on pose-log sessions): MAE per exercise × dimension.
 */
export function maeHeatmapSpec(rows: HeatRow[], phase: number, subtitle = 'test split, points on the 0-100 scale'): TopLevelSpec {
  // Colour on an absolute scale (at least up to 10 points) so a good model does not look alarming.
  const max = Math.max(10, ...rows.map((r) => r.mae));
  const exercises = new Set(rows.map((r) => r.exercise)).size;
  return {
    title: { text: `Network MAE by exercise and dimension, phase ${phase}`, subtitle },
    data: { values: rows },
    width: 6 * 78,
    height: Math.max(1, exercises) * 40,
    encoding: {
      x: { field: 'dimension', type: 'nominal', sort: dimensionOrder, title: null, axis: { labelAngle: 0, orient: 'top' } },
      y: { field: 'exercise', type: 'nominal', sort: exerciseOrder, title: null },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: {
          color: { field: 'mae', type: 'quantitative', title: 'MAE', scale: { scheme: 'oranges', domain: [0, max] } },
          tooltip: [
            { field: 'exercise', type: 'nominal' },
            { field: 'dimension', type: 'nominal' },
            { field: 'mae', type: 'quantitative', format: '.2f', title: 'MAE' },
          ],
        },
      },
      {
        mark: { type: 'text', fontSize: 12 },
        encoding: {
          text: { field: 'mae', type: 'quantitative', format: '.2f' },
          color: { condition: { test: `datum.mae > ${max * 0.6}`, value: 'white' }, value: '#222' },
        },
      },
    ],
  };
}

/** score_distributions: the synthetic ground-truth scores per exercise and dimension. */
export function scoreDistributionsSpec(bins: ScoreBinRow[], repsPerExercise: Record<string, number>): TopLevelSpec {
  const counts = Object.entries(repsPerExercise).map(([e, n]) => `${e} ${n}`).join(', ');
  return {
    title: { text: 'Synthetic data: score distributions', subtitle: `reps per exercise: ${counts}` },
    data: { values: bins },
    facet: {
      row: { field: 'exercise', type: 'nominal', sort: exerciseOrder, title: null },
      column: { field: 'dimension', type: 'nominal', sort: dimensionOrder, title: null },
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 120,
      height: 62,
      mark: { type: 'bar', color: '#72b7b2', binSpacing: 0 },
      encoding: {
        x: { field: 'bin0', type: 'quantitative', bin: { binned: true, step: 10 }, title: 'score', scale: SCORE_AXIS },
        x2: { field: 'bin1' },
        y: { field: 'count', type: 'quantitative', title: null, axis: { tickCount: 3 } },
        tooltip: [
          { field: 'exercise', type: 'nominal' },
          { field: 'dimension', type: 'nominal' },
          { field: 'bin0', type: 'quantitative', title: 'from' },
          { field: 'bin1', type: 'quantitative', title: 'to' },
          { field: 'count', type: 'quantitative', title: 'reps' },
        ],
      },
    },
  };
}

/** sample_reps: one good synthetic rep per exercise, its nine angle curves. */
export function sampleRepsSpec(rows: AngleRow[]): TopLevelSpec {
  return {
    title: { text: 'A typical rep of each exercise: the nine joint angles', subtitle: "synthetic data: the median overall score (seed profile: the first 'good' rep), 90 frames" },
    data: { values: rows },
    facet: { field: 'exercise', type: 'nominal', sort: exerciseOrder, title: null },
    columns: 3,
    spec: {
      width: 230,
      height: 160,
      mark: { type: 'line', strokeWidth: 1.6 },
      encoding: {
        x: { field: 'frame', type: 'quantitative', scale: { domain: [0, 89], nice: false } },
        y: { field: 'degrees', type: 'quantitative', title: 'angle (°)', scale: { domain: [0, 180] } },
        color: { field: 'angle', type: 'nominal', sort: [...ANGLES], title: 'angle', scale: { scheme: 'tableau10' } },
        tooltip: [
          { field: 'exercise', type: 'nominal' },
          { field: 'angle', type: 'nominal' },
          { field: 'frame', type: 'quantitative' },
          { field: 'degrees', type: 'quantitative', format: '.1f' },
        ],
      },
    },
  };
}
