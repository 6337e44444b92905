// Rep segmentation: where one rep ends and the next begins in a recording whose frames
// the app did not tag with rep_id. A rep is one excursion of the exercise's primary
// joint from its neutral angle towards its peak and back; the plank holds still, so it
// is cut into fixed windows instead.
//
// A segmentation is a list of cuts: the frame indices (0-based, into the recording)
// where reps 2, 3, … begin. Rep 1 starts at frame 0 and the last rep ends at the last
// frame, so the cuts alone say everything and an expert's correction is an edit of them.

import { PROFILES, type Exercise, N_ANGLES } from './exercises.js';

/** Centred moving average over this many frames: pose jitter is 1-3° frame to frame. */
export const SMOOTH_FRAMES = 7;
/** A turning point counts when the primary joint moved at least this share of the ideal ROM. */
export const MIN_DEPTH_FRACTION = 0.3;
/** No rep is shorter than this (half a second at the app's 30 fps). */
export const MIN_REP_FRAMES = 15;
/** The isometric plank is cut into windows of this many frames (3 s at 30 fps). */
export const HOLD_WINDOW_FRAMES = 90;

/**
 * The cuts of a (count, 9) recording of `exercise`, angles in degrees with no lost
 * values: reps are the turning points of the smoothed primary joint angle, each at
 * least MIN_DEPTH_FRACTION × ideal ROM deep, cut in the middle of the rest between
 * them, no rep shorter than MIN_REP_FRAMES; the plank gets fixed windows.
 */
export function segmentReps(frames: ArrayLike<number>, count: number, exercise: Exercise): number[] {
  const profile = PROFILES[exercise];
  if (profile.isometric) return holdWindows(count);
  const joint = profile.primaryJoint;
  // Reps move the joint down (squat knee, curl elbow) or up; turn them all into troughs.
  const sign = profile.peak[joint] < profile.neutral[joint] ? 1 : -1;
  const primary = Array.from({ length: count }, (_, t) => sign * frames[t * N_ANGLES + joint]);
  const smooth = movingAverage(primary, SMOOTH_FRAMES);
  const depth = MIN_DEPTH_FRACTION * profile.idealRom;
  const troughs = turningTroughs(smooth, depth);
  const cuts: number[] = [];
  for (let i = 1; i < troughs.length; i++) cuts.push(restMiddle(smooth, troughs[i - 1], troughs[i], depth / 4));
  return withMinimumLength(cuts, count, MIN_REP_FRAMES);
}

/**
 * Checks cuts from untrusted input (the page) against a recording of `count` frames:
 * whole numbers, strictly increasing, every rep at least 2 frames. Returns them.
 */
export function checkCuts(cuts: unknown, count: number): number[] {
  if (!Array.isArray(cuts)) throw new Error('cuts must be a list of frame numbers');
  let previous = 0;
  return cuts.map((c, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c)) throw new Error(`cut ${i + 1}: ${JSON.stringify(c)} is not a frame number`);
    if (c < previous + 2) throw new Error(`cut ${i + 1} at frame ${c}: reps need at least 2 frames (the rep before starts at frame ${previous})`);
    if (c > count - 2) throw new Error(`cut ${i + 1} at frame ${c}: the recording has ${count} frames, so the last rep would have fewer than 2`);
    previous = c;
    return c;
  });
}

/** The reps' [start, end) frame ranges for `cuts` over `count` frames. */
export function cutRanges(cuts: readonly number[], count: number): [number, number][] {
  const edges = [0, ...cuts, count];
  return edges.slice(1).map((end, i) => [edges[i], end]);
}

function holdWindows(count: number): number[] {
  const cuts: number[] = [];
  // A remainder shorter than half a window joins the last window.
  for (let c = HOLD_WINDOW_FRAMES; count - c >= HOLD_WINDOW_FRAMES / 2; c += HOLD_WINDOW_FRAMES) cuts.push(c);
  return cuts;
}

function movingAverage(x: number[], window: number): number[] {
  const half = Math.floor(window / 2);
  return x.map((_, t) => {
    const lo = Math.max(0, t - half), hi = Math.min(x.length - 1, t + half);
    let sum = 0;
    for (let u = lo; u <= hi; u++) sum += x[u];
    return sum / (hi - lo + 1);
  });
}

/**
 * Frames of the troughs of `x` that lie at least `depth` below the high points on each
 * side (a zig-zag with hysteresis `depth`). A recording that ends on the way back up
 * before rising `depth` still counts its last trough: the rep was cut off, not absent.
 */
function turningTroughs(x: number[], depth: number): number[] {
  const troughs: number[] = [];
  let high = x[0], low = Infinity, lowAt = -1;
  let falling = false; // true once we left a high point by `depth`
  for (let t = 0; t < x.length; t++) {
    if (!falling) {
      if (x[t] > high) high = x[t];
      else if (x[t] <= high - depth) [falling, low, lowAt] = [true, x[t], t];
    } else if (x[t] < low) {
      [low, lowAt] = [x[t], t];
    } else if (x[t] >= low + depth) {
      troughs.push(lowAt);
      [falling, high] = [false, x[t]];
    }
  }
  if (falling) troughs.push(lowAt);
  return troughs;
}

/** The middle of the frames near the highest point between two troughs: the rest between two reps. */
function restMiddle(x: number[], from: number, to: number, tolerance: number): number {
  let top = -Infinity;
  for (let t = from; t <= to; t++) top = Math.max(top, x[t]);
  let first = -1, last = -1;
  for (let t = from; t <= to; t++) {
    if (x[t] >= top - tolerance) {
      if (first < 0) first = t;
      last = t;
    }
  }
  return Math.round((first + last) / 2);
}

/** Removes cuts until every rep has at least `min` frames, merging the shortest rep into its shorter neighbour. */
function withMinimumLength(cuts: number[], count: number, min: number): number[] {
  const out = [...cuts];
  for (;;) {
    const ranges = cutRanges(out, count);
    let shortest = -1;
    ranges.forEach(([a, b], i) => {
      if (b - a < min && (shortest < 0 || b - a < ranges[shortest][1] - ranges[shortest][0])) shortest = i;
    });
    if (shortest < 0 || out.length === 0) return out;
    const len = (i: number) => (i < 0 || i >= ranges.length ? Infinity : ranges[i][1] - ranges[i][0]);
    // Cut i - 1 separates rep i - 1 from rep i.
    out.splice(len(shortest - 1) <= len(shortest + 1) ? shortest - 1 : shortest, 1);
  }
}
