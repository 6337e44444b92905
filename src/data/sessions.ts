// The transfer benchmark: realistic recording sessions written as ordinary pose-log
// CSVs, exactly as the app exports them (timestamp_ms, rep_id, the nine angles,
// confidence), so that they reach the network through the same import and resampling
// as real recordings. Each session is one person (posture, asymmetry, camera noise)
// doing several reps that vary in depth, timing and errors, drawn from wider ranges
// than the training data (BENCHMARK_RANGES) and from the benchmark's own seed.

import { join } from 'node:path';
import { ANGLES, type Exercise, N_ANGLES } from './exercises.js';
import { BENCHMARK_RANGES, drawPerformer, POSE_LOG_FPS, simulateRawRep } from './realistic.js';
import { exerciseSeed } from './synthetic.js';
import { REP_ID_COLUMN } from './poselog.js';
import { Random } from '../util/random.js';
import { writeDirAtomic } from '../util/atomic.js';

export interface BenchmarkSpec {
  sessions: number;
  repsPerSession: number;
  /** The benchmark's own seed, independent of the training data's. */
  seed: number;
}

/**
 * 20 people × 12 reps = 240 reps per exercise: enough that a session MAE near 2 points
 * is known to about ±0.3 (95 % bootstrap interval), where 60 reps left it at ±0.6.
 */
export const BENCHMARK_SPEC: BenchmarkSpec = { sessions: 20, repsPerSession: 12, seed: 7919 };

export const POSE_LOG_COLUMNS = ['timestamp_ms', REP_ID_COLUMN, ...ANGLES, 'confidence'] as const;

/** One session as pose-log CSV text: the person's reps back to back, 30 fps timestamps. */
export function simulateSession(exercise: Exercise, reps: number, rng: Random): string {
  const person = drawPerformer(exercise, BENCHMARK_RANGES, rng);
  const lines = [POSE_LOG_COLUMNS.join(',')];
  let frame = 0;
  for (let rep = 1; rep <= reps; rep++) {
    // The camera's noise varies a little from rep to rep (lighting, distance).
    const jitterScale = rng.uniform(0.8, 1.2);
    const { frames, count } = simulateRawRep(exercise, person, BENCHMARK_RANGES, rng, jitterScale);
    // The estimator is less sure of itself when it jitters more.
    const baseConfidence = Math.max(0.3, 0.97 - 0.05 * person.jitterStd * jitterScale);
    for (let t = 0; t < count; t++, frame++) {
      const angles = Array.from(frames.subarray(t * N_ANGLES, (t + 1) * N_ANGLES), (v) => v.toFixed(3));
      const confidence = Math.min(0.99, Math.max(0.05, baseConfidence + rng.normal(0, 0.03)));
      lines.push([Math.round((frame * 1000) / POSE_LOG_FPS), rep, ...angles, confidence.toFixed(2)].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

export const sessionFileName = (index: number) => `session_${String(index + 1).padStart(2, '0')}.csv`;

/**
 * Writes the benchmark sessions of one exercise to `<dir>/<exercise>/session_NN.csv`;
 * the folder is replaced as a whole. Same spec → same bytes.
 */
export function writeBenchmarkSessions(dir: string, exercise: Exercise, spec: BenchmarkSpec = BENCHMARK_SPEC): string {
  const rng = new Random(exerciseSeed(spec.seed, exercise));
  const files: Record<string, string> = {};
  for (let s = 0; s < spec.sessions; s++) files[sessionFileName(s)] = simulateSession(exercise, spec.repsPerSession, rng);
  const out = join(dir, exercise);
  writeDirAtomic(out, files);
  return out;
}
