// Value checks of rep data read from .npy files, before training or evaluation uses
// it. One NaN angle or score turns every weight NaN within a step, and scores on the
// wrong scale would be clipped to [0, 1] without a word, so both are refused here,
// naming the file, the rep (0-based row of the array, as numpy indexes it) and the value.

import { ANGLES, DIMENSIONS, MAX_ANGLE, N_ANGLES, N_SCORES, REP_SIZE } from './exercises.js';

/** Throws unless every angle of the (N, 90, 9) array is a finite number of degrees in [0, 180]. */
export function checkAngleData(file: string, data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v >= 0 && v <= MAX_ANGLE) continue;
    const where = `rep ${Math.floor(i / REP_SIZE)}, frame ${Math.floor((i % REP_SIZE) / N_ANGLES)}, ${ANGLES[i % N_ANGLES]}`;
    const why = Number.isFinite(v) ? `outside 0-${MAX_ANGLE} degrees` : 'not a finite number';
    throw new Error(`${file}: ${where} = ${v} is ${why}`);
  }
}

/**
 * Throws unless every score of the (N, 6) array is a finite number in [0, 100]. A set
 * whose scores all lie in [0, 1], or reach beyond 100 up to 10000, is named as being
 * on that scale: the usual slip is saving fractions, or percent of percent.
 */
export function checkScoreData(file: string, data: Float32Array): void {
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v) || v < 0) {
      throw new Error(`${file}: rep ${Math.floor(i / N_SCORES)}, ${DIMENSIONS[i % N_SCORES]} = ${v} is ${Number.isFinite(v) ? 'below 0' : 'not a finite number'} (scores are 0-100)`);
    }
    if (v > max) max = v;
  }
  if (max > 100) {
    const i = data.indexOf(max);
    const scale = max <= 10000 ? '; the file looks like it is on a 0-10000 scale (divide by 100)' : '';
    throw new Error(`${file}: rep ${Math.floor(i / N_SCORES)}, ${DIMENSIONS[i % N_SCORES]} = ${max} is above 100 (scores are 0-100)${scale}`);
  }
  if (max > 0 && max <= 1) {
    throw new Error(`${file}: every score is between 0 and 1 (largest ${max}); the file looks like it is on a 0-1 scale, formscore expects 0-100 (multiply by 100)`);
  }
}
