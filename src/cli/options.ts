// Option parsing shared by the commands, so that every command names a bad value the
// same way: `--batch must be a positive whole number, got "x"`.

import { EXERCISES, isExercise, type Exercise } from '../data/exercises.js';

/** Help text of every `--exercise` option that also accepts "all". */
export const EXERCISE_OR_ALL = `all, or one of ${EXERCISES.join(', ')}`;

/** The one exercise a command works on (annotate, score): "all" is refused. */
export function oneExercise(value: string): Exercise {
  if (isExercise(value)) return value;
  const names = EXERCISES.join(', ');
  throw new Error(value === 'all' ? `--exercise must name one exercise (${names}), not all` : `unknown exercise "${value}" (expected one of: ${names})`);
}

/** A whole number ≥ min from a flag's text, or a one-line error naming the flag; undefined stays undefined. */
export function wholeNumber(flag: string, value: string, min: number): number;
export function wholeNumber(flag: string, value: string | undefined, min: number): number | undefined;
export function wholeNumber(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const v = Number(text);
  if (text === '' || !Number.isSafeInteger(v) || v < min) {
    throw new Error(`${flag} must be ${min === 1 ? 'a positive whole number' : `a whole number ≥ ${min}`}, got "${value}"`);
  }
  return v;
}

/** A finite number > 0 from a flag's text (a learning rate), or a one-line error; undefined stays undefined. */
export function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const v = Number(text);
  if (text === '' || !Number.isFinite(v) || v <= 0) throw new Error(`${flag} must be a positive number, got "${value}"`);
  return v;
}
