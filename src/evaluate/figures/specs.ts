// One Vega-Lite spec builder per figure. Each takes plain rows (already reduced to
// what the chart shows: histogram bins, not raw scores) and returns a declarative
// spec; rendering lives in render.ts, data gathering in data.ts. The same specs feed
// the PNG/SVG files and the interactive charts of the HTML report.

import type { TopLevelSpec } from 'vega-lite';
import type { LayerSpec, UnitSpec } from 'vega-lite/types_unstable/spec/index.js';
import type { Field } from 'vega-lite/types_unstable/channeldef.js';
import { DIMENSIONS, EXERCISES } from '../../data/exercises.js';
import { APPROACHES, HYBRID_LABEL } from '../comparison.js';
import { TARGETS } from '../evaluation.js';
import { PHASES } from '../../train/phases.js';
import { type Phase } from '../../workspace/layout.js';

// ---- row types: what each chart plots ---------------------------------------------

/** A histogram bar: [bin0, bin1) holding `count` values. */
export interface BinRow { bin0: number; bin1: number; count: number }
export interface ScatterRow { dimension: string; actual: number; predicted: number }
/** A per-panel caption ("r = 0.98 · MAE = 1.2"), one per dimension. */
export interface CaptionRow { dimension: string; caption: string }
export interface ErrorBinRow extends BinRow { dimension: string }
export interface ApproachRow { exercise: string; approach: string; mae: number; mean_pearson: number }
export interface HistoryRow { epoch: number; mae: number; val_mae: number; loss: number; val_loss: number; lr: number }
export interface HeatRow { exercise: string; dimension: string; mae: number; phase?: number }
export interface ScoreBinRow extends BinRow { exercise: string; dimension: string }
export interface AngleRow { exercise: string; angle: string; frame: number; degrees: number }
/** A Bland-Altman point: the pair's mean and difference, in the panel of one method. */
export interface AgreementPointRow { method: string; mean: number; diff: number }
/** A Bland-Altman line (bias or a limit of agreement) with its confidence interval. */
export interface AgreementLineRow { method: string; line: string; value: number; lo: number; hi: number; label: string }

const SCORE_AXIS = { domain: [0, 100] as number[], nice: false };
const dimensionOrder = [...DIMENSIONS] as string[];
const exerciseOrder = [...EXERCISES] as string[];

/**
 * One panel per `metric` of the rows, side by side, each on its own y scale: the chart,
 * then the panel's target as a dashed line (the largest `target` of its rows, after
 * `filter` where only some rows carry one), `title` in its tooltip.
 */
function metricPanelsSpec(
  title: { text: string; subtitle: string }, values: object[], size: { width: number; height: number },
  chart: UnitSpec<Field>, target: { title: string; filter?: string },
): TopLevelSpec {
  return {
    title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      ...size,
      layer: [
        chart,
        {
          transform: [
            ...(target.filter === undefined ? [] : [{ filter: target.filter }]),
            { aggregate: [{ op: 'max', field: 'target', as: 'target' }], groupby: ['metric'] },
          ],
          mark: { type: 'rule', color: '#b3261e', strokeDash: [6, 4], strokeWidth: 1.5 },
          encoding: { y: { field: 'target', type: 'quantitative' }, tooltip: [{ field: 'target', type: 'quantitative', title: target.title }] },
        },
      ],
    },
  };
}

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

/**
 * bland_altman_<ex>: difference (method − ground truth) against the mean of the two, one
 * panel per method, with the bias, the 95 % limits of agreement, and a shaded band for the
 * confidence interval of each line.
 */
export function blandAltmanSpec(
  exercise: string, dimension: string, points: AgreementPointRow[], lines: AgreementLineRow[],
  // What the methods are compared with and on which reps: the ground truth of the test split, or a first annotator.
  against: { reference: string; reps: string } = { reference: 'the ground truth', reps: 'test split' },
): TopLevelSpec {
  const rows = [...points.map((p) => ({ ...p, kind: 'point' })), ...lines.map((l) => ({ ...l, kind: 'line' }))];
  const methods = [...new Set(lines.map((l) => l.method))];
  const perMethod = methods.length ? points.length / methods.length : 0;
  const reference = against.reference.replace(/^the /, '');
  const lineStyle = { field: 'line', type: 'nominal', sort: ['bias', 'lower limit', 'upper limit'], title: null,
    scale: { range: ['#e45756', '#555', '#555'] }, legend: null } as const;
  return {
    title: {
      text: `${exercise}: Bland-Altman agreement with ${against.reference}, ${dimension} score`,
      subtitle: `${against.reps}, ${perMethod} reps; lines: bias and 95 % limits of agreement, bands: their 95 % CIs`,
    },
    data: { values: rows },
    facet: { field: 'method', type: 'nominal', sort: methods, title: null },
    columns: 2,
    spec: {
      width: 300,
      height: 230,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'line'" }],
          mark: { type: 'rect', opacity: 0.15 },
          encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, x: { value: 0 }, x2: { value: 'width' }, color: lineStyle },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'circle', size: 14, opacity: 0.45, color: '#4c78a8' },
          encoding: {
            x: { field: 'mean', type: 'quantitative', title: `mean of method and ${reference}`, scale: { zero: false } },
            y: { field: 'diff', type: 'quantitative', title: `method − ${reference} (points)` },
            tooltip: [
              { field: 'mean', type: 'quantitative', format: '.1f', title: 'mean' },
              { field: 'diff', type: 'quantitative', format: '.2f', title: 'difference' },
            ],
          },
        },
        {
          transform: [{ filter: "datum.kind === 'line'" }],
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: {
            y: { field: 'value', type: 'quantitative' },
            color: lineStyle,
            strokeDash: { field: 'line', type: 'nominal', sort: ['bias', 'lower limit', 'upper limit'], scale: { range: [[1, 0], [5, 3], [5, 3]] }, legend: null },
            tooltip: [
              { field: 'line', type: 'nominal' },
              { field: 'value', type: 'quantitative', format: '.2f' },
              { field: 'lo', type: 'quantitative', format: '.2f', title: '95 % CI from' },
              { field: 'hi', type: 'quantitative', format: '.2f', title: 'to' },
            ],
          },
        },
        {
          transform: [{ filter: "datum.kind === 'line'" }],
          mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, fontSize: 10, color: '#222' },
          encoding: { y: { field: 'value', type: 'quantitative' }, x: { value: 'width' }, text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
  };
}

/** hybrid_comparison: MAE and mean Pearson r of rule / network / hybrid per exercise. */
export function hybridComparisonSpec(rows: ApproachRow[]): TopLevelSpec {
  const long = rows.flatMap((r) => [
    { exercise: r.exercise, approach: r.approach, metric: 'MAE (points, lower is better)', value: r.mae, target: TARGETS.mae },
    { exercise: r.exercise, approach: r.approach, metric: 'mean Pearson r (higher is better)', value: r.mean_pearson, target: TARGETS.pearson },
  ]);
  return metricPanelsSpec(
    { text: `Rule-based vs network vs hybrid (${HYBRID_LABEL})`, subtitle: 'test split, all six dimensions' },
    long,
    { width: 320, height: 220 },
    {
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
    // The acceptance target of the overall dimension (MAE < 8, r > 0.85), one line per panel.
    { title: 'target' },
  );
}

/** training_curves_<ex>: train and validation MAE and loss per epoch. */
export function trainingCurvesSpec(exercise: string, phase: Phase, history: HistoryRow[]): TopLevelSpec {
  // The phase's validation-MAE target, the one training's closing line checks.
  const targetMae = PHASES[phase].targetMae;
  // The CSV counts epochs from 0 (Keras' CSVLogger); the training log and these charts from 1.
  const long = history.flatMap((h) => [
    { epoch: h.epoch + 1, metric: 'MAE (0-100 scale)', split: 'train', value: h.mae * 100, lr: h.lr, target: targetMae },
    { epoch: h.epoch + 1, metric: 'MAE (0-100 scale)', split: 'validation', value: h.val_mae * 100, lr: h.lr },
    { epoch: h.epoch + 1, metric: 'loss (MSE on [0, 1])', split: 'train', value: h.loss, lr: h.lr },
    { epoch: h.epoch + 1, metric: 'loss (MSE on [0, 1])', split: 'validation', value: h.val_loss, lr: h.lr },
    // ReduceLROnPlateau steps explain the bends in the other two panels.
    { epoch: h.epoch + 1, metric: 'learning rate', split: 'train', value: h.lr, lr: h.lr },
  ]);
  const best = history.reduce((a, b) => (b.val_mae < a.val_mae ? b : a), history[0]);
  return metricPanelsSpec(
    {
      text: `${exercise}: training curves, phase ${phase}`,
      subtitle: `${history.length} epochs; best validation MAE ${(best.val_mae * 100).toFixed(2)} at epoch ${best.epoch + 1}; ` +
        `dashed: the phase's target (${targetMae})`,
    },
    long,
    { width: 300, height: 200 },
    {
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
    // Only the train MAE rows carry the target.
    { title: 'target val MAE', filter: 'isValid(datum.target)' },
  );
}

/**
 * mae_heatmap (network vs ground truth on the test split) and transfer_mae (network vs
 * rule on pose-log sessions): MAE per exercise × dimension; with rows of several phases
 * (their `phase`), one panel per phase side by side on one colour scale.
 */
export function maeHeatmapSpec(
  rows: HeatRow[], phase: number,
  { text = 'Network MAE by exercise and dimension', subtitle = 'test split, points on the 0-100 scale' } = {},
): TopLevelSpec {
  // Colour on an absolute scale (at least up to 10 points) so a good model does not look alarming.
  const max = Math.max(10, ...rows.map((r) => r.mae));
  const exercises = new Set(rows.map((r) => r.exercise)).size;
  const phases = [...new Set(rows.map((r) => r.phase).filter((p) => p !== undefined))].sort();
  const view: LayerSpec<Field> = {
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
  if (phases.length < 2) return { title: { text: `${text}, phase ${phase}`, subtitle }, data: { values: rows }, ...view };
  return {
    title: { text: `${text}, phases ${phases.join(', ')}`, subtitle: `${subtitle}; phases 2-3 add the real annotated reps to the split` },
    data: { values: rows },
    facet: { column: { field: 'phase', type: 'ordinal', title: null, header: { labelExpr: "'phase ' + datum.value", labelFontSize: 13 } } },
    spec: view,
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
        y: { field: 'count', type: 'quantitative', title: 'reps', axis: { tickCount: 3 } },
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
    // Left and right of a joint share a colour (solid left, dashed right), so asymmetry reads at a glance.
    transform: [
      { calculate: "replace(replace(datum.angle, /^(left|right)/, ''), 'Angle', '')", as: 'joint' },
      { calculate: "test(/^left/, datum.angle) ? 'left' : test(/^right/, datum.angle) ? 'right' : 'centre'", as: 'side' },
    ],
    // One row: five exercises in three columns left an empty panel.
    facet: { field: 'exercise', type: 'nominal', sort: exerciseOrder, title: null },
    columns: EXERCISES.length,
    spec: {
      width: 190,
      height: 160,
      mark: { type: 'line', strokeWidth: 1.6 },
      encoding: {
        x: { field: 'frame', type: 'quantitative', scale: { domain: [0, 89], nice: false } },
        y: { field: 'degrees', type: 'quantitative', title: 'angle (°)', scale: { domain: [0, 180] } },
        color: {
          field: 'joint', type: 'nominal', title: 'joint', sort: ['Knee', 'Hip', 'Elbow', 'Shoulder', 'spine'],
          scale: { range: ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#222222'] },
        },
        strokeDash: { field: 'side', type: 'nominal', title: 'side', sort: ['left', 'right', 'centre'], scale: { range: [[1, 0], [5, 3], [1, 0]] } },
        detail: { field: 'angle', type: 'nominal' },
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
