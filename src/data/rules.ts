// The rule-based scorer (layer 1 of the app) and the hybrid blend the app uses once
// a network exists. Evaluation compares the network against exactly these numbers.

import { type Exercise, FRAMES, HYBRID_RULE_WEIGHT, N_ANGLES, N_SCORES, PROFILES, REP_SIZE } from './exercises.js';
import { alignmentScore, depthScore, scoreRep } from './scores.js';

/** Rule depth: |min(primary) − primary at frame 0| / idealROM × 100. seq: (90, 9). */
export function ruleDepth(seq: ArrayLike<number>, exercise: Exercise): number {
  const { primaryJoint, idealRom } = PROFILES[exercise];
  const start = seq[primaryJoint];
  let min = start;
  for (let t = 1; t < FRAMES; t++) min = Math.min(min, seq[t * N_ANGLES + primaryJoint]);
  return depthScore(Math.abs(min - start), idealRom);
}

/** Number of frames the exercise's posture rule flags. seq: (90, 9). */
export function ruleErrorFrames(seq: ArrayLike<number>, exercise: Exercise): number {
  const isError = PROFILES[exercise].alignmentError;
  let errors = 0;
  for (let t = 0; t < FRAMES; t++) if (isError(seq, t * N_ANGLES)) errors++;
  return errors;
}

/** Six rule scores (0-100) of one rep. sequence: (90, 9) degrees → (6). */
export function ruleScores(sequence: Float32Array, exercise: Exercise): Float32Array {
  checkLength(sequence.length, REP_SIZE, 'ruleScores: sequence');
  return scoreRep(sequence, ruleDepth(sequence, exercise), alignmentScore(ruleErrorFrames(sequence, exercise)));
}

/** Rule scores of a batch. sequences: (N, 90, 9) → (N, 6). */
export function ruleScoresBatch(sequences: Float32Array, n: number, exercise: Exercise): Float32Array {
  checkLength(sequences.length, n * REP_SIZE, 'ruleScoresBatch: sequences');
  const out = new Float32Array(n * N_SCORES);
  for (let i = 0; i < n; i++) {
    const seq = sequences.subarray(i * REP_SIZE, (i + 1) * REP_SIZE);
    scoreRep(seq, ruleDepth(seq, exercise), alignmentScore(ruleErrorFrames(seq, exercise)), out, i * N_SCORES);
  }
  return out;
}

/** The app's blend: 0.30 × rule + 0.70 × network, element-wise (both 0-100, same length). */
export function hybridScores(rule: Float32Array, network: Float32Array): Float32Array {
  checkLength(network.length, rule.length, 'hybridScores: network scores');
  const out = new Float32Array(rule.length);
  for (let i = 0; i < rule.length; i++) out[i] = HYBRID_RULE_WEIGHT * rule[i] + (1 - HYBRID_RULE_WEIGHT) * network[i];
  return out;
}

function checkLength(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new Error(`${what} has ${actual} values, expected ${expected}`);
}
