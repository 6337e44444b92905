// An annotation folder as the original project (nikegor7/ai-fitness-trainer-ml) writes
// it: pandas' annotations.csv with the six scores, then rep_idx and exercise, and
// np.save'd sequences.npy (N, 90, 9) and scores.npy (N, 6) in the same row order.

import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { DIMENSIONS, REP_SIZE } from '../../src/data/exercises.js';
import { writeNpy } from '../../src/data/npy.js';
import { readPoseLog } from '../../src/data/poselog.js';
import { fixture } from './fixtures.js';

/** Writes the first `n` reps of the app session as an original folder with integer scores; returns the scores. */
export function writeOriginalFolder(dir: string, n: number): number[][] {
  mkdirSync(dir, { recursive: true });
  const reps = readPoseLog(fixture('poselog', 'squat_session.csv')).reps.slice(0, n);
  const scores = reps.map((_, i) => DIMENSIONS.map((_, d) => 40 + ((i * 7 + d * 5) % 50)));
  const lines = [[...DIMENSIONS, 'rep_idx', 'exercise'].join(',')];
  scores.forEach((s, i) => lines.push([...s, i, 'squat'].join(',')));
  writeFileSync(join(dir, 'annotations.csv'), lines.join('\n') + '\n');
  const seq = new Float32Array(n * REP_SIZE);
  reps.forEach((r, i) => seq.set(r.sequence, i * REP_SIZE));
  writeNpy(join(dir, 'sequences.npy'), seq, [n, 90, 9]);
  writeNpy(join(dir, 'scores.npy'), Float32Array.from(scores.flat()), [n, 6]);
  return scores;
}
