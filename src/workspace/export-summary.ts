// export_summary.json, beside the .tflite files: what `formscore export` verified of each
// exercise's file, and the same facts one row per file for the report page. The writer
// (export/export.ts) and the reader (evaluate/report.ts) share these types.

import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';

/** One runtime's verification of a file: parity against the engine, and latency. */
export interface RuntimeCheck {
  max_abs_diff: number;
  mean_latency_ms: number;
  ok: boolean;
  label: string;
}

/** An exercise's exported file. */
export interface ExportSummaryEntry {
  file: string;
  bytes: number;
  form: string;
  dtype: string;
  phase: number;
  /** The checkpoint folder it was exported from. */
  model: string;
  min_runtime_version: string;
  exported_at: string;
  /** By runtime name; null when the export was not verified. */
  verification: Record<string, RuntimeCheck> | null;
  verification_samples?: number;
  verification_source?: string;
  tolerance?: number;
}

/** The same facts one row per file, the runtimes' numbers one level down (what the report page tabulates). */
export interface ExportSummaryRow {
  exercise: string;
  file: string;
  bytes: number;
  form: string;
  dtype: string;
  phase: number;
  max_abs_diff: Record<string, number>;
  mean_latency_ms: Record<string, number>;
}

export interface ExportSummary {
  /** formscore's version. */
  formscore: string;
  updated_at: string;
  /** By exercise; exercises exported earlier stay listed. */
  exercises: Record<string, ExportSummaryEntry>;
  files: ExportSummaryRow[];
}

/** The summary of `entries`, rows derived from them. */
export function exportSummary(version: string, updatedAt: string, entries: Record<string, ExportSummaryEntry>): ExportSummary {
  const runtimes = (e: ExportSummaryEntry, key: 'max_abs_diff' | 'mean_latency_ms') =>
    Object.fromEntries(Object.entries(e.verification ?? {}).map(([rt, v]) => [rt, v[key]]));
  const files = Object.entries(entries).map(([exercise, e]) => ({
    exercise, file: e.file, bytes: e.bytes, form: e.form, dtype: e.dtype, phase: e.phase,
    max_abs_diff: runtimes(e, 'max_abs_diff'), mean_latency_ms: runtimes(e, 'mean_latency_ms'),
  }));
  return { formscore: version, updated_at: updatedAt, exercises: entries, files };
}

/** Reads a summary; throws when the file is missing, not JSON, or has no "exercises". */
export function readExportSummary(path: string): ExportSummary {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Partial<ExportSummary> | null;
  if (!json || typeof json !== 'object' || !json.exercises || typeof json.exercises !== 'object') {
    throw new Error(`${path}: not an export summary (no "exercises")`);
  }
  return { formscore: '', updated_at: '', ...json, exercises: json.exercises, files: Array.isArray(json.files) ? json.files : [] };
}

export function writeExportSummary(path: string, summary: ExportSummary): void {
  writeFileAtomic(path, JSON.stringify(summary, null, 2) + '\n');
}
