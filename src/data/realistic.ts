// The `realistic` synthetic profile (DESIGN.md "Two synthetic profiles"): reps as a
// phone's pose estimator sees a person do them, so that a network trained on them
// transfers to real pose logs.
//
// Every factor is drawn on its own (a deep rep may be jittery, a shallow one clean),
// so the six scores are not tied together and each covers its whole range. A rep is
// simulated at the phone's 30 fps with its own length, resampled to 90 frames with the
// pose-log resampler, and scored by the app's rule scorer: the ground truth is layer 1
// as a function of the input, which is exactly what layer 2 must learn.
//
// Factors (ranges in REALISTIC_RANGES; "a | b (s)" = from a, or with share s from b):
//
// | factor | what it models | drawn |
// | --- | --- | --- |
// | rawFrames | rep length at 30 fps | uniform integer |
// | leadIn, leadOut | standing still before / after the movement, share of the rep | uniform each |
// | descentShare, holdShare | share of the movement spent going down / at the bottom | uniform; the rest comes back up |
// | depthRatio | achieved share of the profile's movement | ordinary range, or the shallow one |
// | style | clean (practised, good camera), ordinary or rough (beginner, bad angle) | shares |
// | coupling | how much each joint pair follows the primary joint | N(1, couplingStd) per pair and spine |
// | neutralOffset | an individual's posture at rest | N(0, std) per pair and spine |
// | postureOffset | a lean (spine) or sag (plank hips) the person always has | ordinary, or wide up to past the rule threshold |
// | asymmetry | mean left/right difference of the person, ° | ordinary, or wide |
// | gainAsymmetry | one side moving less than the other | N(0, std) |
// | episodes | posture errors that build up and release over several frames | count, length share, ramp frames, amplitude × rule margin |
// | jitterStd, jitterRho | estimator noise, AR(1) correlated from frame to frame | ordinary, or wide; uniform |
// | glitches | single-frame estimator failures on one channel | probability per rep, count, amplitude |
// | drift | the plank's slowly drifting hold (hips sag, spine change) | uniform, smooth over the rep |

import { BILATERAL_PAIRS, type Exercise, MAX_ANGLE, N_ANGLES, N_SCORES, PROFILES, REP_SIZE } from './exercises.js';
import { resampleRep } from './poselog.js';
import { ruleScores } from './rules.js';
import { Random } from '../util/random.js';

export type Range = readonly [number, number];
/** A factor drawn from `ordinary`, or with probability `wideShare` from `wide`. */
export interface Mixture { ordinary: Range; wide: Range; wideShare: number }

export interface RealisticRanges {
  rawFrames: Range;
  leadIn: Range;
  leadOut: Range;
  descentShare: Range;
  holdShare: Range;
  depthRatio: Mixture;
  /**
   * Performer styles. Clean (a practised person, a good camera): posture, asymmetry and
   * jitter from their ordinary ranges, no posture episodes, no glitches; most real reps
   * look like this. Rough (a beginner, a bad camera angle): every mixture draws from
   * `wide` with probability roughWideShare. The rest are ordinary.
   */
  cleanShare: number;
  roughShare: number;
  roughWideShare: number;
  couplingStd: number;
  neutralOffsetStd: number;
  /** Degrees toward the posture error, as a multiple of the rule's margin (threshold − neutral). */
  postureOffset: Mixture;
  asymmetry: Mixture;
  gainAsymmetryStd: number;
  /** Probabilities of 0, 1, 2, 3 episodes. */
  episodeCounts: readonly number[];
  episodeLength: Range; // share of the rep
  episodeRamp: Range; // raw frames to build up (and to release)
  episodeAmplitude: Range; // × the rule's margin
  jitterStd: Mixture;
  jitterRho: Range;
  glitchProbability: number;
  glitchCount: Range;
  glitchAmplitude: Range;
  hipDrift: Range; // plank, degrees over the hold (negative = sagging)
  spineDrift: Range; // plank
}

/** What `generate --profile realistic` trains on. */
export const REALISTIC_RANGES: RealisticRanges = {
  rawFrames: [40, 160],
  leadIn: [0, 0.25],
  leadOut: [0, 0.25],
  descentShare: [0.25, 0.6],
  holdShare: [0, 0.3],
  depthRatio: { ordinary: [0.55, 1.15], wide: [0.05, 0.55], wideShare: 0.3 },
  cleanShare: 0.25,
  roughShare: 0.35,
  roughWideShare: 0.85,
  couplingStd: 0.1,
  neutralOffsetStd: 3,
  postureOffset: { ordinary: [-0.3, 0.3], wide: [0.3, 1.4], wideShare: 0.15 },
  asymmetry: { ordinary: [0, 1.5], wide: [1.5, 25], wideShare: 0.35 },
  gainAsymmetryStd: 0.05,
  episodeCounts: [0.45, 0.35, 0.12, 0.08],
  episodeLength: [0.05, 0.8],
  episodeRamp: [8, 20],
  episodeAmplitude: [0.3, 2.0],
  jitterStd: { ordinary: [0.1, 1.2], wide: [1.2, 11], wideShare: 0.3 },
  jitterRho: [0.2, 0.85],
  glitchProbability: 0.2,
  glitchCount: [1, 3],
  glitchAmplitude: [8, 45],
  hipDrift: [-25, 5],
  spineDrift: [-10, 3],
};

/**
 * The transfer benchmark's people: the same kinds of factor, from wider timing, depth
 * and posture ranges than training (longer and shorter reps, more or less time standing,
 * deeper and shallower, larger posture offsets), so that it tests generalisation rather
 * than recall.
 */
export const BENCHMARK_RANGES: RealisticRanges = {
  ...REALISTIC_RANGES,
  rawFrames: [35, 180],
  leadIn: [0, 0.3],
  leadOut: [0, 0.3],
  descentShare: [0.2, 0.65],
  depthRatio: { ordinary: [0.5, 1.2], wide: [0.03, 0.5], wideShare: 0.3 },
  neutralOffsetStd: 4,
  jitterStd: { ordinary: [0.1, 1.5], wide: [1.5, 7.5], wideShare: 0.3 },
};

export type PerformerStyle = 'clean' | 'ordinary' | 'rough';

/** A person as the camera sees them: fixed over a session. */
export interface Performer {
  style: PerformerStyle;
  neutralOffset: Float64Array; // (9) degrees
  pairOffset: Float64Array; // (4) degrees, added to left, subtracted from right (half each)
  gainAsymmetry: number; // left moves (1 + g/2), right (1 − g/2)
  coupling: Float64Array; // (9)
  postureOffset: number; // degrees toward the posture error
  jitterStd: number;
  jitterRho: number;
}

interface Episode { start: number; length: number; ramp: number; amplitude: number }

const SPINE = 8;
const LEFT_HIP = 2;
const RIGHT_HIP = 3;
/** Nobody goes down or comes back up in less than a quarter second. */
const MIN_MOVE_FRAMES = 8;
/** Frame rate of the phone's pose log. */
export const POSE_LOG_FPS = 30;

const draw = (r: Range, rng: Random) => rng.uniform(r[0], r[1]);
/** A mixture factor drawn from `wide` with the given probability (default the factor's own share). */
const drawMixture = (m: Mixture, rng: Random, wideShare = m.wideShare) => draw(rng.next() < wideShare ? m.wide : m.ordinary, rng);
const smoothstep = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x));
/** Minimum-jerk position profile 0 → 1 (how people move between two poses). */
const minJerk = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : x * x * x * (10 - 15 * x + 6 * x * x));

/**
 * How far (°) the exercise's alignment rule sits from the neutral posture, and the
 * sign that moves toward it: spine up past its limit, or the plank's hips down past 150°.
 */
export function postureMargin(exercise: Exercise): number {
  const p = PROFILES[exercise];
  if (exercise === 'plank') return p.neutral[LEFT_HIP] - 150;
  const limit = exercise === 'pushup' ? 20 : 35;
  return limit - p.neutral[SPINE];
}

export function drawPerformer(exercise: Exercise, ranges: RealisticRanges, rng: Random): Performer {
  const u = rng.next();
  const style: PerformerStyle = u < ranges.cleanShare ? 'clean' : u < ranges.cleanShare + ranges.roughShare ? 'rough' : 'ordinary';
  const wideShare = (m: Mixture) => (style === 'clean' ? 0 : style === 'rough' ? ranges.roughWideShare : m.wideShare);
  // Posture and coupling are the person's, shared by both sides of a pair; left/right
  // differences come from the asymmetry factors alone.
  const neutralOffset = new Float64Array(N_ANGLES);
  const coupling = new Float64Array(N_ANGLES);
  neutralOffset[SPINE] = rng.normal(0, ranges.neutralOffsetStd);
  coupling[SPINE] = rng.normal(1, ranges.couplingStd);
  for (const [l, r] of BILATERAL_PAIRS) {
    neutralOffset[l] = neutralOffset[r] = rng.normal(0, ranges.neutralOffsetStd);
    coupling[l] = coupling[r] = rng.normal(1, ranges.couplingStd);
  }
  const asymmetry = drawMixture(ranges.asymmetry, rng, wideShare(ranges.asymmetry));
  const pairOffset = new Float64Array(BILATERAL_PAIRS.length);
  for (let k = 0; k < pairOffset.length; k++) pairOffset[k] = asymmetry * rng.uniform(0.4, 1.6) * (rng.next() < 0.5 ? -1 : 1);
  return {
    style,
    neutralOffset,
    pairOffset,
    gainAsymmetry: rng.normal(0, ranges.gainAsymmetryStd),
    coupling,
    postureOffset: drawMixture(ranges.postureOffset, rng, wideShare(ranges.postureOffset)) * postureMargin(exercise),
    jitterStd: drawMixture(ranges.jitterStd, rng, wideShare(ranges.jitterStd)),
    jitterRho: draw(ranges.jitterRho, rng),
  };
}

/**
 * One rep as the phone logs it: (count, 9) degrees at 30 fps, clipped to [0, 180].
 * `jitterScale` varies the performer's noise from rep to rep within a session.
 */
export function simulateRawRep(
  exercise: Exercise, person: Performer, ranges: RealisticRanges, rng: Random, jitterScale = 1,
): { frames: Float64Array; count: number } {
  const profile = PROFILES[exercise];
  const count = rng.int(ranges.rawFrames[0], ranges.rawFrames[1]);
  const frames = new Float64Array(count * N_ANGLES);

  // Progress through the movement: 0 at rest, 1 at the bottom of the rep.
  const progress = new Float64Array(count);
  if (!profile.isometric) {
    const leadIn = draw(ranges.leadIn, rng) * count;
    const moving = count - leadIn - draw(ranges.leadOut, rng) * count;
    const descent = Math.max(MIN_MOVE_FRAMES, draw(ranges.descentShare, rng) * moving);
    const hold = Math.min(draw(ranges.holdShare, rng) * moving, Math.max(0, moving - descent - MIN_MOVE_FRAMES));
    const ascent = Math.max(MIN_MOVE_FRAMES, moving - descent - hold);
    for (let t = 0; t < count; t++) {
      const s = t - leadIn;
      progress[t] = s < descent ? minJerk(s / descent) : s < descent + hold ? 1 : 1 - minJerk((s - descent - hold) / ascent);
    }
  } else {
    progress.fill(1);
  }

  // How deep to go is a choice, not a matter of skill: clean performers draw it as ordinary ones do.
  const depthRatio = drawMixture(ranges.depthRatio, rng, person.style === 'rough' ? ranges.roughWideShare : undefined);
  const hipDrift = profile.isometric ? draw(ranges.hipDrift, rng) : 0;
  const spineDrift = profile.isometric ? draw(ranges.spineDrift, rng) : 0;
  for (let t = 0; t < count; t++) {
    const drift = smoothstep(t / (count - 1));
    const o = t * N_ANGLES;
    for (let c = 0; c < N_ANGLES; c++) {
      const move = depthRatio * person.coupling[c] * (profile.peak[c] - profile.neutral[c]);
      frames[o + c] = profile.neutral[c] + person.neutralOffset[c] + progress[t] * move;
    }
    BILATERAL_PAIRS.forEach(([l, r], k) => {
      const moveL = frames[o + l] - profile.neutral[l] - person.neutralOffset[l];
      const moveR = frames[o + r] - profile.neutral[r] - person.neutralOffset[r];
      frames[o + l] += (person.gainAsymmetry / 2) * moveL + person.pairOffset[k] / 2;
      frames[o + r] += (-person.gainAsymmetry / 2) * moveR - person.pairOffset[k] / 2;
    });
    frames[o + LEFT_HIP] += hipDrift * drift;
    frames[o + RIGHT_HIP] += hipDrift * drift;
    frames[o + SPINE] += spineDrift * drift;
  }

  const deviation = new Float64Array(count); // degrees toward the posture error, per frame
  deviation.fill(person.postureOffset);
  for (const ep of person.style === 'clean' ? [] : drawEpisodes(exercise, count, ranges, rng)) {
    for (let t = 0; t < count; t++) {
      const inside = Math.min(t - ep.start, ep.start + ep.length - t);
      deviation[t] += ep.amplitude * smoothstep(inside / ep.ramp);
    }
  }
  applyPostureDeviation(exercise, frames, deviation, count);

  // Estimator jitter: AR(1) per channel with the performer's correlation.
  const std = person.jitterStd * jitterScale;
  const innovation = std * Math.sqrt(1 - person.jitterRho * person.jitterRho);
  for (let c = 0; c < N_ANGLES; c++) {
    let e = rng.normal(0, std);
    for (let t = 0; t < count; t++) {
      if (t > 0) e = person.jitterRho * e + rng.normal(0, innovation);
      frames[t * N_ANGLES + c] += e;
    }
  }
  if (person.style !== 'clean' && rng.next() < ranges.glitchProbability) {
    const n = rng.int(ranges.glitchCount[0], ranges.glitchCount[1]);
    for (let g = 0; g < n; g++) {
      const i = rng.int(0, count - 1) * N_ANGLES + rng.int(0, N_ANGLES - 1);
      frames[i] += draw(ranges.glitchAmplitude, rng) * (rng.next() < 0.5 ? -1 : 1);
    }
  }
  for (let v = 0; v < frames.length; v++) frames[v] = frames[v] < 0 ? 0 : frames[v] > MAX_ANGLE ? MAX_ANGLE : frames[v];
  return { frames, count };
}

function drawEpisodes(exercise: Exercise, count: number, ranges: RealisticRanges, rng: Random): Episode[] {
  let n = 0;
  for (let u = rng.next(), acc = ranges.episodeCounts[0]; u >= acc && n < ranges.episodeCounts.length - 1; ) acc += ranges.episodeCounts[++n];
  const margin = postureMargin(exercise);
  return Array.from({ length: n }, () => {
    const ramp = draw(ranges.episodeRamp, rng);
    const length = Math.max(draw(ranges.episodeLength, rng) * count, 2 * ramp);
    return { start: rng.uniform(-0.1 * count, count - 0.5 * length), length, ramp, amplitude: draw(ranges.episodeAmplitude, rng) * margin };
  });
}

/**
 * Lays the posture deviation on the channels the exercise's alignment rule reads:
 * squat, lunge and curl lean the trunk (spine up); a push-up sags (spine up, hips
 * down); a plank's hips drop (and the spine follows a little).
 */
function applyPostureDeviation(exercise: Exercise, frames: Float64Array, deviation: Float64Array, count: number): void {
  for (let t = 0; t < count; t++) {
    const o = t * N_ANGLES, d = deviation[t];
    if (exercise === 'plank') {
      frames[o + LEFT_HIP] -= d;
      frames[o + RIGHT_HIP] -= d;
      frames[o + SPINE] += 0.2 * d;
    } else {
      frames[o + SPINE] += d;
      if (exercise === 'pushup') {
        frames[o + LEFT_HIP] -= 0.6 * d;
        frames[o + RIGHT_HIP] -= 0.6 * d;
      }
    }
  }
}

/**
 * n realistic reps of one exercise, each by a new performer: (N, 90, 9) degrees and
 * their rule scores (N, 6). Same (exercise, n, seed) → same bytes.
 */
export function generateRealistic(
  exercise: Exercise, n: number, rng: Random, ranges: RealisticRanges = REALISTIC_RANGES,
): { sequences: Float32Array; scores: Float32Array } {
  const sequences = new Float32Array(n * REP_SIZE);
  const scores = new Float32Array(n * N_SCORES);
  for (let i = 0; i < n; i++) {
    const { frames, count } = simulateRawRep(exercise, drawPerformer(exercise, ranges, rng), ranges, rng);
    const rep = resampleRep(frames, count);
    sequences.set(rep, i * REP_SIZE);
    scores.set(ruleScores(rep, exercise), i * N_SCORES);
  }
  return { sequences, scores };
}
