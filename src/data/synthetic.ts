// Synthetic reps with known ground truth: the network is pretrained on these before it
// sees the few annotated real reps. Two profiles (DESIGN.md "Two synthetic profiles"):
//
// - `realistic` (the default, data/realistic.ts): independent factors, smooth motion
//   as a phone sees it, ground truth = the rule scorer on the final sequence.
// - `seed` (this file, DESIGN.md "Synthetic quality tiers"): the original project's
//   generator, kept byte-identical so its published numbers stay reproducible. A rep
//   eases from the neutral pose to the achieved peak, holds, eases back and rests; then
//   jitter, left/right asymmetry and posture errors are laid on top, in the amounts of
//   its quality tier.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Exercise, EXERCISES, FRAMES, MAX_ANGLE, N_ANGLES, N_SCORES, PROFILES, REP_SIZE } from './exercises.js';
import { alignmentScore, scoreRep } from './scores.js';
import { Random } from '../util/random.js';
import { encodeNpy } from './npy.js';
import { generateRealistic } from './realistic.js';
import { writeDirAtomic } from '../util/atomic.js';
import { GENERATION_JSON, SCORES_NPY, SEQUENCES_NPY, TIERS_NPY } from '../workspace/layout.js';

export const DATA_PROFILES = ['realistic', 'seed'] as const;
export type DataProfile = (typeof DATA_PROFILES)[number];
export const DEFAULT_PROFILE: DataProfile = 'realistic';

/** How a data folder's ground truth was made: the realistic profile's is the rule scorer itself. */
export type GroundTruth = 'rule-scorer' | 'seed-generator';
export const GROUND_TRUTH: Record<DataProfile, GroundTruth> = { realistic: 'rule-scorer', seed: 'seed-generator' };

/** The record `generation.json` keeps beside the .npy files. */
export interface GenerationRecord {
  profile: DataProfile;
  groundTruth: GroundTruth;
  exercise: Exercise;
  n: number;
  seed: number;
}

export function parseProfile(value: string): DataProfile {
  if ((DATA_PROFILES as readonly string[]).includes(value)) return value as DataProfile;
  throw new Error(`unknown profile "${value}" (expected ${DATA_PROFILES.join(' or ')})`);
}

export const TIERS = ['excellent', 'good', 'acceptable', 'poor'] as const;
export type Tier = (typeof TIERS)[number];

export interface TierSpec {
  share: number;
  depthRatio: [number, number];
  jitterStd: [number, number]; // degrees
  bilateralDiffStd: [number, number]; // degrees
  descentFrames: [number, number]; // integer range, inclusive
  alignmentErrorFraction: [number, number];
}

export const TIER_SPECS: Record<Tier, TierSpec> = {
  excellent: { share: 0.25, depthRatio: [0.9, 1.0], jitterStd: [0.1, 0.5], bilateralDiffStd: [0.5, 2.0], descentFrames: [22, 32], alignmentErrorFraction: [0.0, 0.05] },
  good: { share: 0.35, depthRatio: [0.7, 0.9], jitterStd: [0.5, 1.5], bilateralDiffStd: [2.0, 5.0], descentFrames: [15, 25], alignmentErrorFraction: [0.05, 0.2] },
  acceptable: { share: 0.25, depthRatio: [0.5, 0.7], jitterStd: [1.5, 3.0], bilateralDiffStd: [5.0, 10.0], descentFrames: [10, 18], alignmentErrorFraction: [0.2, 0.4] },
  poor: { share: 0.15, depthRatio: [0.2, 0.5], jitterStd: [3.0, 6.0], bilateralDiffStd: [10.0, 20.0], descentFrames: [5, 12], alignmentErrorFraction: [0.4, 0.8] },
};

export interface SyntheticData {
  profile: DataProfile;
  exercise: Exercise;
  seed: number;
  sequences: Float32Array; // (N, 90, 9) degrees
  scores: Float32Array; // (N, 6) 0-100
  tiers: Uint8Array | null; // (N,) index into TIERS; the seed profile only
  n: number;
}

const SPINE = 8;
const HIPS = [2, 3];
/** Frames of rest at neutral after the rep (the hold fills the rest of the 90). */
const REST_FRAMES = 10;
const MIN_HOLD_FRAMES = 5;

/**
 * The seed one exercise's data is drawn from: a hash of (seed, exercise), so that
 * generating one exercise alone gives the same bytes as generating all of them.
 */
export function exerciseSeed(seed: number, exercise: Exercise): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const ch of `formscore:${exercise}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  h = Math.imul(h ^ (seed >>> 16), 0x01000193);
  return h >>> 0;
}

/** Exact tier counts for n reps (largest remainder), in TIERS order. */
export function tierCounts(n: number): number[] {
  const exact = TIERS.map((t) => TIER_SPECS[t].share * n);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) if (left-- > 0) counts[i]++;
  return counts;
}

/**
 * n synthetic reps of one exercise with ground-truth scores, of the given profile
 * (default realistic); same (exercise, n, seed, profile) → same bytes.
 */
export function generateSynthetic(exercise: Exercise, n: number, seed: number, profile: DataProfile = DEFAULT_PROFILE): SyntheticData {
  if (!EXERCISES.includes(exercise)) throw new Error(`generateSynthetic: unknown exercise "${exercise}"`);
  if (!Number.isInteger(n) || n < 0) throw new Error(`generateSynthetic: n must be a non-negative integer, got ${n}`);
  const rng = new Random(exerciseSeed(seed, exercise));
  if (profile === 'realistic') return { profile, exercise, seed, ...generateRealistic(exercise, n, rng), tiers: null, n };
  return generateSeedProfile(exercise, n, seed, rng);
}

function generateSeedProfile(exercise: Exercise, n: number, seed: number, rng: Random): SyntheticData {
  const tiers = new Uint8Array(n);
  let k = 0;
  tierCounts(n).forEach((count, t) => tiers.fill(t, k, (k += count)));
  rng.shuffle(tiers); // tiers spread over the file rather than in blocks

  const sequences = new Float32Array(n * REP_SIZE);
  const scores = new Float32Array(n * N_SCORES);
  const work = new Float64Array(REP_SIZE);
  for (let i = 0; i < n; i++) {
    const rep = sequences.subarray(i * REP_SIZE, (i + 1) * REP_SIZE);
    const { depthRatio, errorFrames } = synthesizeRep(exercise, TIER_SPECS[TIERS[tiers[i]]], rng, work);
    rep.set(work);
    scoreRep(rep, depthRatio * 100, alignmentScore(errorFrames), scores, i * N_SCORES);
  }
  return { profile: 'seed', exercise, seed, sequences, scores, tiers, n };
}

/** Fills `out` (90, 9) with one rep of the given tier; returns what the ground truth needs. */
function synthesizeRep(
  exercise: Exercise,
  spec: TierSpec,
  rng: Random,
  out: Float64Array,
): { depthRatio: number; errorFrames: number } {
  const profile = PROFILES[exercise];
  const depthRatio = rng.uniform(spec.depthRatio[0], spec.depthRatio[1]);
  const jitterStd = rng.uniform(spec.jitterStd[0], spec.jitterStd[1]);
  const diffStd = rng.uniform(spec.bilateralDiffStd[0], spec.bilateralDiffStd[1]);
  const descent = rng.int(spec.descentFrames[0], spec.descentFrames[1]);
  const errorFraction = rng.uniform(spec.alignmentErrorFraction[0], spec.alignmentErrorFraction[1]);
  const hold = Math.max(MIN_HOLD_FRAMES, FRAMES - 2 * descent - REST_FRAMES);

  // Movement: progress 0 → 1 by a cosine ease whose last descent frame reaches the
  // peak, hold at 1, the same ease back to 0, then rest. Isometric exercises stay at 1.
  const easeSpan = Math.max(descent - 1, 1);
  for (let t = 0; t < FRAMES; t++) {
    let p: number;
    if (profile.isometric) p = 1;
    else if (t < descent) p = 0.5 * (1 - Math.cos((Math.PI * t) / easeSpan));
    else if (t < descent + hold) p = 1;
    else if (t < 2 * descent + hold) p = 0.5 * (1 + Math.cos((Math.PI * (t - descent - hold)) / easeSpan));
    else p = 0;
    const o = t * N_ANGLES;
    for (let c = 0; c < N_ANGLES; c++) {
      const neutral = profile.neutral[c];
      const achieved = neutral + depthRatio * (profile.peak[c] - neutral);
      out[o + c] = neutral + p * (achieved - neutral) + rng.normal(0, jitterStd);
    }
  }

  // Left/right asymmetry, drawn per pair and frame: the left side over-moves by a,
  // the right under-moves by a/2 (not a perfect mirror, as on a phone camera).
  for (let t = 0; t < FRAMES; t++) {
    const o = t * N_ANGLES;
    for (let pair = 0; pair < 4; pair++) {
      const a = rng.normal(0, diffStd);
      out[o + 2 * pair] += a;
      out[o + 2 * pair + 1] -= a / 2;
    }
  }

  // Posture errors: each frame is flagged with probability errorFraction. Squat, lunge
  // and curl lean the trunk forward; push-up and plank sag at the hips.
  let errorFrames = 0;
  for (let t = 0; t < FRAMES; t++) {
    if (rng.next() >= errorFraction) continue;
    errorFrames++;
    const o = t * N_ANGLES;
    if (exercise === 'pushup' || exercise === 'plank') {
      const sag = exercise === 'pushup' ? rng.uniform(10, 30) : rng.uniform(10, 25);
      out[o + HIPS[0]] -= sag;
      out[o + HIPS[1]] -= sag;
    } else {
      out[o + SPINE] += rng.uniform(15, 40);
    }
  }

  for (let v = 0; v < REP_SIZE; v++) out[v] = out[v] < 0 ? 0 : out[v] > MAX_ANGLE ? MAX_ANGLE : out[v];
  return { depthRatio, errorFrames };
}

/**
 * Writes one exercise's reps as `<dir>/{sequences,scores}.npy` (plus `tiers.npy` for the
 * seed profile) and `generation.json`; the folder is replaced as a whole, so an
 * interrupted run leaves the previous data intact.
 */
export function writeSynthetic(dir: string, data: SyntheticData): void {
  const record: GenerationRecord = {
    profile: data.profile, groundTruth: GROUND_TRUTH[data.profile], exercise: data.exercise, n: data.n, seed: data.seed,
  };
  writeDirAtomic(dir, {
    [SEQUENCES_NPY]: encodeNpy(data.sequences, [data.n, FRAMES, N_ANGLES]),
    [SCORES_NPY]: encodeNpy(data.scores, [data.n, N_SCORES]),
    ...(data.tiers ? { [TIERS_NPY]: encodeNpy(data.tiers, [data.n]) } : {}),
    [GENERATION_JSON]: JSON.stringify(record, null, 2) + '\n',
  });
}

/**
 * The profile a generated folder holds: its generation.json, else `seed` (folders
 * written before profiles existed hold seed-profile reps and tiers.npy).
 */
export function readGenerationRecord(dir: string): Pick<GenerationRecord, 'profile' | 'groundTruth'> {
  const path = join(dir, GENERATION_JSON);
  if (!existsSync(path)) return { profile: 'seed', groundTruth: 'seed-generator' };
  let record: Partial<GenerationRecord>;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as Partial<GenerationRecord>;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    const profile = parseProfile(String(record.profile));
    return { profile, groundTruth: GROUND_TRUTH[profile] };
  } catch (err) {
    throw new Error(`${path}: field profile: ${(err as Error).message}`);
  }
}
