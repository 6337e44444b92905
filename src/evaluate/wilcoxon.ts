// Wilcoxon signed-rank test of paired differences (two-sided), as scipy.stats.wilcoxon
// computes it by default: zero differences dropped (Wilcoxon's method), mid-ranks for ties,
// the exact null distribution for up to 50 differences without ties, otherwise the normal
// approximation with the tie correction of the variance and no continuity correction.

import { normalCdf } from './distributions.js';

export interface WilcoxonResult {
  /** Non-zero differences used. */
  n: number;
  /** min(W+, W−): the smaller of the rank sums of positive and negative differences. */
  statistic: number;
  /** Standardised W+ (normal approximation); NaN when the exact distribution was used. */
  z: number;
  /** Two-sided p-value; 1 when every difference is zero. */
  p: number;
  method: 'exact' | 'normal';
}

/** Exact two-sided p of min(W+, W−) = t for n untied ranks: 2·P(W ≤ t), counted over all 2^n sign patterns. */
function exactP(t: number, n: number): number {
  const max = (n * (n + 1)) / 2;
  let counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) {
    const next = counts.slice();
    for (let w = r; w <= max; w++) next[w] += counts[w - r];
    counts = next;
  }
  let tail = 0;
  for (let w = 0; w <= t; w++) tail += counts[w];
  return Math.min(1, (2 * tail) / 2 ** n);
}

export function wilcoxonSignedRank(differences: ArrayLike<number>): WilcoxonResult {
  const d: number[] = [];
  for (let i = 0; i < differences.length; i++) {
    const v = differences[i];
    if (!Number.isFinite(v)) throw new Error(`wilcoxonSignedRank: difference ${i} is not a finite number (${v})`);
    if (v !== 0) d.push(v);
  }
  const n = d.length;
  if (n === 0) return { n, statistic: 0, z: Number.NaN, p: 1, method: 'exact' };
  const order = d.map((_, i) => i).sort((a, b) => Math.abs(d[a]) - Math.abs(d[b]));
  const rank = new Float64Array(n);
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && Math.abs(d[order[j + 1]]) === Math.abs(d[order[i]])) j++;
    const mid = (i + j) / 2 + 1; // ranks start at 1
    for (let k = i; k <= j; k++) rank[order[k]] = mid;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (d[i] > 0) wPlus += rank[i];
  const wMinus = (n * (n + 1)) / 2 - wPlus;
  const statistic = Math.min(wPlus, wMinus);
  if (n <= 50 && tieTerm === 0) return { n, statistic, z: Number.NaN, p: exactP(statistic, n), method: 'exact' };
  const mean = (n * (n + 1)) / 4;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const z = sd > 0 ? (wPlus - mean) / sd : 0;
  return { n, statistic, z, p: Math.min(1, 2 * normalCdf(-Math.abs(z))), method: 'normal' };
}
