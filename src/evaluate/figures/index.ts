// `formscore plot`: every figure of a phase as SVG and PNG in evaluation/figures/.
// buildFigures is shared with the report, which embeds the same specs interactively.

import { existsSync } from 'node:fs';
import type { TopLevelSpec } from 'vega-lite';
import type { Exercise } from '../../data/exercises.js';
import { collectPhaseData, type PhaseData } from '../comparison.js';
import type { PhaseOptions } from '../evaluation.js';
import {
  blandAltmanSpec, errorDistSpec, hybridComparisonSpec, maeHeatmapSpec, sampleRepsSpec, scatterSpec, scoreDistributionsSpec,
  trainingCurvesSpec, type ScoreBinRow, type AngleRow,
} from './specs.js';
import { annotatorAgreementRows, blandAltmanRows, errorRows, generatedScoreRows, readHistory, sampleRepRows, scatterRows } from './data.js';
import { writeFigure, type FigureStyle } from './render.js';
import {
  DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, repFolder, phasePaths, figuresFolder,
} from '../../workspace/layout.js';

export * from './specs.js';
export * from './data.js';
export * from './render.js';
export { svgToPdf } from './pdf.js';
export { FONT_FAMILY, FONT_FILES, FontWidths } from './font.js';

/** Report sections a figure belongs to, in page order. */
export type Section = 'dataset' | 'samples' | 'training' | 'evaluation' | 'transfer' | 'comparison';

export interface Figure { name: string; section: Section; title: string; spec: TopLevelSpec }

export interface FigureInputs {
  exercises: readonly Exercise[];
  dataDir?: string;
  modelsDir?: string;
  log?: (line: string) => void;
}

/** The figures that the available data supports; says what is missing for the rest. */
export function buildFigures(data: PhaseData, opts: FigureInputs): Figure[] {
  const log = opts.log ?? console.log;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR, modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const figures: Figure[] = [];

  const scoreBins: ScoreBinRow[] = [], counts: Record<string, number> = {}, angles: AngleRow[] = [];
  for (const ex of opts.exercises) {
    const scores = generatedScoreRows(dataDir, ex);
    if (!scores) { log(`no synthetic data for ${ex} in ${repFolder(dataDir, 'generated', ex)}: left out of score_distributions and sample_reps`); continue; }
    scoreBins.push(...scores.bins);
    counts[ex] = scores.n;
    angles.push(...(sampleRepRows(dataDir, ex) ?? []));
  }
  for (const ex of opts.exercises) {
    const ba = annotatorAgreementRows(dataDir, ex);
    if (!ba) continue;
    figures.push({
      name: `bland_altman_annotators_${ex}`, section: 'dataset', title: `Bland-Altman, two annotators: ${ex}`,
      spec: blandAltmanSpec(ex, 'overall', ba.points, ba.lines, { reference: `annotator ${ba.annotators[0]}`, reps: 'real reps both annotated' }),
    });
  }
  if (scoreBins.length) figures.push({ name: 'score_distributions', section: 'dataset', title: 'Score distributions', spec: scoreDistributionsSpec(scoreBins, counts) });
  if (angles.length) figures.push({ name: 'sample_reps', section: 'samples', title: 'Sample reps', spec: sampleRepsSpec(angles) });

  for (const ex of opts.exercises) {
    const history = phasePaths(modelsDir, ex, data.phase).history;
    if (!existsSync(history)) { log(`no training history ${history}: no training_curves_${ex}`); continue; }
    const rows = readHistory(history);
    if (rows.length === 0) { log(`${history} has no epochs yet: no training_curves_${ex}`); continue; }
    figures.push({ name: `training_curves_${ex}`, section: 'training', title: `Training curves: ${ex}`, spec: trainingCurvesSpec(ex, data.phase, rows) });
  }

  for (const p of data.predictions) {
    const s = scatterRows(p), e = errorRows(p);
    figures.push({ name: `scatter_${p.exercise}`, section: 'evaluation', title: `Predicted vs actual: ${p.exercise}`, spec: scatterSpec(p.exercise, s.points, s.captions) });
    figures.push({ name: `error_dist_${p.exercise}`, section: 'evaluation', title: `Error distribution: ${p.exercise}`, spec: errorDistSpec(p.exercise, e.bins, e.captions) });
    const ba = blandAltmanRows(p);
    figures.push({ name: `bland_altman_${p.exercise}`, section: 'evaluation', title: `Bland-Altman: ${p.exercise}`, spec: blandAltmanSpec(p.exercise, 'overall', ba.points, ba.lines) });
  }
  if (data.metrics.length) {
    // Phases side by side when several have models; otherwise this phase alone.
    const rows = data.phases.length > 1 ? data.phases.flatMap((p) => p.metrics.map((m) => ({ ...m, phase: p.phase }))) : data.metrics;
    figures.push({ name: 'mae_heatmap', section: 'evaluation', title: 'MAE heatmap', spec: maeHeatmapSpec(rows, data.phase) });
  }
  if (data.transfer.rows.length) {
    figures.push({
      name: 'transfer_mae', section: 'transfer', title: 'Network vs rule on pose-log sessions',
      spec: maeHeatmapSpec(data.transfer.rows, data.phase, {
        text: 'Network vs rules on pose-log sessions: MAE',
        subtitle: `network vs rule scorer on the pose-log sessions in ${data.transfer.source}, 0-100 scale`,
      }),
    });
  }
  if (data.comparison.length) {
    figures.push({ name: 'hybrid_comparison', section: 'comparison', title: 'Rule vs network vs hybrid', spec: hybridComparisonSpec(data.comparison) });
  }
  return figures;
}

/** `formscore plot`: renders every figure to `<outDir>/figures/<name>.<format>` (default png and svg). */
export async function runPlot(opts: PhaseOptions & { outDir?: string; style?: FigureStyle }): Promise<{ written: string[]; figures: Figure[] }> {
  const log = opts.log ?? console.log;
  const data = await collectPhaseData(opts);
  const figures = buildFigures(data, opts);
  const dir = figuresFolder(opts.outDir ?? DEFAULT_EVALUATION_DIR);
  const written: string[] = [];
  for (const f of figures) {
    const t0 = Date.now();
    const paths = await writeFigure(dir, f.name, f.spec, opts.style);
    written.push(...paths);
    log(`wrote ${paths.join(', ')} (${Date.now() - t0} ms)`);
  }
  if (figures.length === 0) log('nothing to plot: no synthetic data, no training history and no models for this phase');
  return { written, figures };
}
