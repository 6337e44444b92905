// formscore public library API: everything a user or the CLI imports comes from here.

export * from './workspace/layout.js';
export * from './workspace/model-record.js';
export * from './workspace/export-summary.js';
export * from './workspace/errors.js';
export * from './data/exercises.js';
export * from './nn/architecture.js';
export { initWeights } from './nn/init.js';
export { type Checkpoint, type CheckpointExtra, type LoadCheckpointOptions, formScorerTopology, loadCheckpoint, saveCheckpoint } from './nn/checkpoint.js';
export * from './nn/optimizer.js';
export * from './nn/predictor.js';
export { referenceForward } from './nn/reference/network.js';
export * from './nn/model.js';
export { type BenchSettings, type BenchResult, benchEngine } from './nn/bench.js';
export * from './evaluate/metrics.js';
export * from './evaluate/distributions.js';
export * from './evaluate/bootstrap.js';
export * from './evaluate/agreement.js';
export * from './evaluate/wilcoxon.js';
export * from './evaluate/paired.js';
export * from './evaluate/bland-altman.js';
export { PREDICTION_COLUMNS, predictionsFile, predictionRows, writePredictions } from './evaluate/predictions.js';
export {
  TARGETS, EVALUATION_CSV, EVALUATION_COLUMNS, type InferenceEngine, type PhaseOptions, type TestPredictions, type MetricRow,
  type TargetCheck, type EvaluationResult, findCheckpoint, predictCheckpoint, predictTestSplits, dimensionMetrics, targetSummary, runEvaluation,
} from './evaluate/evaluation.js';
export {
  APPROACHES, type Approach, COMPARISON_CSV, COMPARISON_COLUMNS, type ComparisonRow, type ComparisonResult, type PhaseData,
  approachScores, compareApproaches, collectPhaseData, runComparison,
} from './evaluate/comparison.js';
export {
  type Figure, type FigureStyle, type FigureFormat, FIGURE_FORMATS, buildFigures, runPlot, renderSvg, renderSvgAtWidth, styledSpec, svgToPng, svgToPdf,
  writeFigure, toVega,
} from './evaluate/figures/index.js';
export { runSeedEvaluation, seedSummary, SEEDS_CSV, SEEDS_SUMMARY_CSV, SEED_COLUMNS, SEED_SUMMARY_COLUMNS } from './evaluate/seeds.js';
export {
  TRANSFER_CSV, TRANSFER_COLUMNS, BENCHMARK_DIR, type TransferOptions, type SessionReps, type TransferPredictions, type TransferResult,
  sessionFiles, readSessionReps, predictTransfer, runTransfer,
} from './evaluate/transfer.js';
export { REPORT_HTML, REPORT_SECTIONS, type ReportOptions, renderReport, runReport } from './evaluate/report.js';
export * from './data/npy.js';
export * from './data/scores.js';
export * from './data/rules.js';
export * from './data/features.js';
export * from './data/augment.js';
export * from './data/synthetic.js';
export * from './data/realistic.js';
export * from './data/sessions.js';
export * from './data/coverage.js';
export * from './data/dataset.js';
export * from './data/poselog.js';
export * from './data/segmentation.js';
export * from './annotate/store.js';
export * from './annotate/adjudication.js';
export * from './annotate/original.js';
export * from './annotate/study.js';
export * from './annotate/segments.js';
export * from './annotate/server.js';
export * from './train/callbacks.js';
export * from './train/tensorboard.js';
export * from './train/phases.js';
export * from './train/progress.js';
export * from './train/trainer.js';
export * from './train/seeds.js';
export * from './export/export.js';
export * from './export/graph.js';
export * from './export/verify.js';
export * from './export/tflite/schema.js';
export * from './export/tflite/model.js';
export { writeTflite } from './export/tflite/writer.js';
export { readTflite, operatorSummary, metadataText, type OperatorUse } from './export/tflite/reader.js';
export { float32ToFloat16Bits, float16BitsToFloat32, toFloat16Bytes, roundToFloat16 } from './export/tflite/float16.js';
export type { LoadedTfliteModel, RuntimeName, TensorInfo, TfliteRuntime } from './export/runtimes/types.js';
export { tflitePredictor } from './export/runtimes/predictor.js';
export * from './score/session.js';
export * from './pipeline/presets.js';
export * from './pipeline/pipeline.js';
export * from './pipeline/state.js';
