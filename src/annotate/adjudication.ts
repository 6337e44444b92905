// Agreement between annotators: ICC(2,1) per dimension over the reps they all scored,
// and the reps where their scores lie further apart than an adjudicator allows.

import { DIMENSIONS, type Dimension } from '../data/exercises.js';
import { icc21 } from '../evaluate/metrics.js';
import type { AnnotationRow } from './store.js';

/** Inter-rater agreement of the annotators who scored the same reps. */
export interface InterRater {
  annotators: string[]; // the raters (columns) the ICC was computed over
  reps: number; // subjects (rows): reps every one of those annotators scored
  icc: Record<Dimension, number | null>; // null: undefined (too few reps or no variance)
}

/** One rep where some dimension's scores differ by more than the threshold. */
export interface Disagreement {
  sourceFile: string;
  repId: string;
  repIndex: number;
  /** annotator → six scores */
  scores: Record<string, number[]>;
  /** Per dimension, the largest minus the smallest score. */
  spread: Record<Dimension, number>;
  /** The dimensions whose spread exceeds the threshold. */
  over: Dimension[];
}

/** (source, rep) → annotator → scores, over scored rows only. */
function scoresByRep(rows: AnnotationRow[]): Map<string, { row: AnnotationRow; by: Map<string, number[]> }> {
  const byRep = new Map<string, { row: AnnotationRow; by: Map<string, number[]> }>();
  for (const r of rows) {
    if (!r.scores) continue;
    const k = `${r.sourceFile}\0${r.repId}`;
    if (!byRep.has(k)) byRep.set(k, { row: r, by: new Map() });
    byRep.get(k)!.by.set(r.annotator, r.scores);
  }
  return byRep;
}

/**
 * ICC(2,1) per dimension between annotators: over every annotator when at least two
 * reps were scored by all of them, otherwise over the pair sharing the most reps.
 * Null when fewer than two annotators scored anything.
 */
export function interRater(rows: AnnotationRow[]): InterRater | null {
  const byRep = [...scoresByRep(rows).values()].map((v) => v.by);
  const annotators = [...new Set(rows.filter((r) => r.scores).map((r) => r.annotator))].sort();
  if (annotators.length < 2) return null;
  let raters = annotators;
  let subjects = sharedReps(byRep, raters);
  if (subjects.length < 2) {
    raters = mostSharedPair(byRep, annotators);
    subjects = sharedReps(byRep, raters);
  }
  const icc = {} as Record<Dimension, number | null>;
  DIMENSIONS.forEach((dim, d) => {
    if (subjects.length < 2) return void (icc[dim] = null);
    const value = icc21(subjects.map((m) => raters.map((a) => m.get(a)![d])));
    icc[dim] = Number.isFinite(value) ? value : null;
  });
  return { annotators: raters, reps: subjects.length, icc };
}

/**
 * The two annotators who scored the most reps in common, and those reps' scores (N, 6)
 * by each, for a Bland-Altman plot of their agreement; null when no two annotators share a rep.
 */
export function sharedPair(rows: AnnotationRow[]): { annotators: [string, string]; scores: [number[][], number[][]] } | null {
  const byRep = [...scoresByRep(rows).values()].map((v) => v.by);
  const annotators = [...new Set(rows.filter((r) => r.scores).map((r) => r.annotator))].sort();
  if (annotators.length < 2) return null;
  const pair = mostSharedPair(byRep, annotators);
  const reps = sharedReps(byRep, pair);
  if (reps.length === 0) return null;
  return { annotators: pair, scores: [reps.map((m) => m.get(pair[0])!), reps.map((m) => m.get(pair[1])!)] };
}

/** The reps that every one of `raters` scored. */
const sharedReps = (byRep: Map<string, number[]>[], raters: readonly string[]) => byRep.filter((m) => raters.every((a) => m.has(a)));

/** The two of `annotators` (sorted, at least two) who scored the most reps in common; the first such pair on ties. */
function mostSharedPair(byRep: Map<string, number[]>[], annotators: readonly string[]): [string, string] {
  let best: [string, string] = [annotators[0], annotators[1]];
  let bestCount = -1;
  for (let i = 0; i < annotators.length; i++) {
    for (let j = i + 1; j < annotators.length; j++) {
      const count = sharedReps(byRep, [annotators[i], annotators[j]]).length;
      if (count > bestCount) [best, bestCount] = [[annotators[i], annotators[j]], count];
    }
  }
  return best;
}

/** Reps scored by two or more annotators whose scores of some dimension differ by more than `threshold` points. */
export function disagreements(rows: AnnotationRow[], threshold: number): Disagreement[] {
  const out: Disagreement[] = [];
  for (const { row, by } of scoresByRep(rows).values()) {
    if (by.size < 2) continue;
    const all = [...by.values()];
    const spread = {} as Record<Dimension, number>;
    DIMENSIONS.forEach((dim, d) => (spread[dim] = Math.max(...all.map((s) => s[d])) - Math.min(...all.map((s) => s[d]))));
    const over = DIMENSIONS.filter((dim) => spread[dim] > threshold);
    if (over.length) out.push({ sourceFile: row.sourceFile, repId: row.repId, repIndex: row.repIndex, scores: Object.fromEntries(by), spread, over });
  }
  return out.sort((a, b) => (a.sourceFile < b.sourceFile ? -1 : a.sourceFile > b.sourceFile ? 1 : a.repIndex - b.repIndex));
}
