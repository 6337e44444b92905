// Every score formula against values worked out by hand, the rule scorer, the hybrid
// blend and the model features.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alignmentScore, avgBilateralDiff, depthScore, overallScore, peakSpeed, scoreRep, stabilityScore,
  symmetryScore, tempoFromPeak, tempoScore, velocityVariance,
} from '../src/data/scores.js';
import { hybridScores, ruleDepth, ruleErrorFrames, ruleScores, ruleScoresBatch } from '../src/data/rules.js';
import { toFeatures } from '../src/data/features.js';
import { PROFILES } from '../src/data/exercises.js';

const close = (a: number, b: number, tol = 1e-4, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b}`);

/** A (90, 9) rep with every frame equal to `frame`. */
function constantRep(frame: number[]): Float32Array {
  const seq = new Float32Array(90 * 9);
  for (let t = 0; t < 90; t++) seq.set(frame, t * 9);
  return seq;
}

test('depth: actual/ideal × 100, clipped at 0 and 100', () => {
  close(depthScore(42.5, 85), 50);
  close(depthScore(85, 85), 100);
  close(depthScore(120, 85), 100); // over-deep clips at 100
  close(depthScore(-10, 85), 0);
});

test('stability: variance of |frame differences| over all frames and channels', () => {
  // Channel 0 alternates 0, 3, 0, 3 …: |diff| = 3 on 89 frame pairs; the other 8
  // channels stay still (|diff| = 0). Values: 89 threes and 8·89 zeros.
  // mean = 3/9 = 1/3; E[v²] = 9/9 = 1; variance = 1 − 1/9 = 8/9.
  const seq = constantRep([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  for (let t = 0; t < 90; t++) seq[t * 9] = t % 2 === 0 ? 0 : 3;
  close(velocityVariance(seq), 8 / 9, 1e-9);
  close(stabilityScore(seq), (1 - 8 / 9 / 25) * 100, 1e-6);
  // A still rep is perfectly stable.
  close(stabilityScore(constantRep([170, 170, 170, 170, 160, 160, 85, 85, 10])), 100);
  // Alternating 0/30 on channel 0: variance = 900·(1/9 − 1/81) = 800/9 ≈ 88.9 > 25 → clipped to 0.
  for (let t = 0; t < 90; t++) seq[t * 9] = t % 2 === 0 ? 0 : 30;
  close(velocityVariance(seq), 800 / 9, 1e-6);
  assert.equal(stabilityScore(seq), 0);
});

test('symmetry: mean |left − right| over four pairs and all frames', () => {
  // Knees differ by 8, hips by 4, elbows 0, shoulders 0 → mean 3 → (1 − 3/20)·100 = 85.
  const seq = constantRep([100, 92, 150, 154, 160, 160, 85, 85, 10]);
  close(avgBilateralDiff(seq), 3);
  close(symmetryScore(seq), 85);
  // The spine (channel 8) is not part of any pair.
  seq[8] = 170;
  close(symmetryScore(seq), 85);
  // Mean diff 40 → below 0 → clipped to 0.
  assert.equal(symmetryScore(constantRep([140, 100, 140, 100, 140, 100, 140, 100, 0])), 0);
});

test('tempo: ramp from 100 at ≤ 5 °/frame to 0 at ≥ 25 °/frame', () => {
  close(tempoFromPeak(0), 100);
  close(tempoFromPeak(5), 100);
  close(tempoFromPeak(10), 75);
  close(tempoFromPeak(15), 50);
  close(tempoFromPeak(24), 5);
  close(tempoFromPeak(25), 0);
  close(tempoFromPeak(60), 0);
  // A rep whose fastest change is 12 °/frame (one step in channel 3, negative direction).
  const seq = constantRep([170, 170, 170, 170, 160, 160, 85, 85, 10]);
  for (let t = 40; t < 90; t++) seq[t * 9 + 3] = 158;
  close(peakSpeed(seq), 12);
  close(tempoScore(seq), 65);
});

test('alignment and overall', () => {
  close(alignmentScore(0), 100);
  close(alignmentScore(9), 90);
  close(alignmentScore(90), 0);
  close(alignmentScore(120), 0);
  close(overallScore(100, 80, 60, 40, 20), 60);
  // Each dimension is clipped before averaging.
  close(overallScore(150, 100, 100, 100, -50), 80);
});

test('scoreRep: six scores in the contract order', () => {
  const seq = constantRep([100, 92, 150, 154, 160, 160, 85, 85, 10]);
  const s = scoreRep(seq, 50, 90);
  assert.deepEqual(Array.from(s).map((v) => Math.round(v * 1000) / 1000), [50, 100, 85, 100, 90, 85]);
});

test('rule scorer: depth from the primary joint, posture errors per exercise profile', () => {
  // Squat: left knee 170 → 127.5 (ROM 42.5 of ideal 85 → depth 50); spine 40° (> 35) on 18 frames.
  const seq = constantRep([170, 170, 170, 170, 160, 160, 85, 85, 10]);
  for (let t = 30; t < 60; t++) seq[t * 9] = 127.5;
  for (let t = 0; t < 18; t++) seq[t * 9 + 8] = 40;
  close(ruleDepth(seq, 'squat'), 50);
  assert.equal(ruleErrorFrames(seq, 'squat'), 18);
  const s = ruleScores(seq, 'squat');
  close(s[0], 50);
  close(s[4], 80);
  // symmetry: knees differ by 42.5 on 30 frames → mean diff 42.5·30/(90·4) = 3.5417 → 82.29
  close(s[2], (1 - (42.5 * 30) / 360 / 20) * 100, 1e-3);
  // tempo: the knee jumps 42.5 °/frame → 0
  assert.equal(s[3], 0);
  close(s[5], (s[0] + s[1] + s[2] + s[3] + s[4]) / 5, 1e-4);

  // Push-up: spine limit is 20°, primary joint the left elbow (ideal ROM 80 → 100 clipped when ROM 100).
  const push = constantRep([170, 170, 170, 170, 160, 160, 90, 90, 5]);
  for (let t = 0; t < 9; t++) push[t * 9 + 8] = 25;
  for (let t = 40; t < 50; t++) push[t * 9 + 4] = 60;
  assert.equal(ruleErrorFrames(push, 'pushup'), 9);
  assert.equal(ruleErrorFrames(push, 'squat'), 0); // 25° is fine for a squat
  close(ruleDepth(push, 'pushup'), 100);

  // Plank: either hip below 150°.
  const plank = constantRep([170, 170, 170, 170, 90, 90, 90, 90, 2]);
  plank[10 * 9 + 2] = 149;
  plank[20 * 9 + 3] = 140;
  plank[30 * 9 + 2] = 150; // exactly 150 is not an error
  assert.equal(ruleErrorFrames(plank, 'plank'), 2);
  assert.equal(PROFILES.plank.primaryJoint, 8);

  // Depth uses |min − first|, so a rep that starts low still measures how far it went.
  const curl = constantRep([170, 170, 170, 170, 160, 160, 170, 170, 5]);
  for (let t = 20; t < 70; t++) curl[t * 9 + 4] = 100;
  close(ruleDepth(curl, 'bicep_curl'), 50);
});

test('rule scorer batched equals per rep; hybrid is 0.3 rule + 0.7 network', () => {
  const a = constantRep([170, 170, 170, 170, 160, 160, 85, 85, 10]);
  const b = constantRep([100, 92, 150, 154, 160, 160, 85, 85, 40]);
  for (let t = 30; t < 60; t++) a[t * 9] = 100;
  const batch = new Float32Array(2 * 810);
  batch.set(a, 0);
  batch.set(b, 810);
  const scores = ruleScoresBatch(batch, 2, 'lunge');
  assert.deepEqual(Array.from(scores.subarray(0, 6)), Array.from(ruleScores(a, 'lunge')));
  assert.deepEqual(Array.from(scores.subarray(6, 12)), Array.from(ruleScores(b, 'lunge')));
  assert.throws(() => ruleScoresBatch(batch, 3, 'lunge'), /expected 2430/);

  const h = hybridScores(new Float32Array([100, 0, 50]), new Float32Array([0, 100, 50]));
  close(h[0], 30);
  close(h[1], 70);
  close(h[2], 50);
  assert.throws(() => hybridScores(new Float32Array(6), new Float32Array(5)), /expected 6/);
});

test('features: angle/180 and difference/30 (frame 0 = 0), clipped to [−1, 1]', () => {
  const seq = new Float32Array(2 * 90 * 9);
  for (let i = 0; i < seq.length; i++) seq[i] = 90;
  seq[810 + 5 * 9 + 2] = 150; // rep 1, frame 5, channel 2 jumps +60 then back −60
  seq[0] = 180;
  seq[9] = 171; // rep 0 channel 0: 180 → 171 → 90 …
  const x = toFeatures(seq, 2);
  assert.equal(x.length, 2 * 90 * 18);
  const at = (b: number, t: number, c: number) => x[(b * 90 + t) * 18 + c];
  close(at(0, 0, 0), 1);
  close(at(0, 1, 0), 171 / 180);
  close(at(0, 0, 9), 0); // frame 0 has no difference
  close(at(0, 1, 9), -9 / 30);
  close(at(0, 2, 9), -81 / 30 < -1 ? -1 : -81 / 30); // −2.7 clipped to −1
  close(at(1, 5, 2), 150 / 180);
  close(at(1, 5, 11), 1); // +60/30 = 2 → clipped
  close(at(1, 6, 11), -1);
  close(at(1, 7, 11), 0);
  close(at(1, 0, 9), 0);
  assert.throws(() => toFeatures(seq, 3), /expected 3×90×9/);
});
