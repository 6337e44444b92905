// Bland-Altman agreement (Bland & Altman 1986; intervals as in Bland & Altman 1999, §4.2):
// the differences method − reference against the pair's mean, their mean (the bias) and the
// 95 % limits of agreement bias ± 1.96·s. Each of the three lines gets a confidence interval
// from the t distribution with n − 1 degrees of freedom, with standard errors
// SE(bias) = s/√n and SE(limit) ≈ s·√(3/n).

import { fQuantile } from './distributions.js';

export interface BlandAltman {
  n: number;
  bias: number; // mean of (method − reference)
  sd: number; // sample standard deviation of the differences
  lower: number; // bias − 1.96·sd
  upper: number; // bias + 1.96·sd
  bias_lo: number; bias_hi: number;
  lower_lo: number; lower_hi: number;
  upper_lo: number; upper_hi: number;
}

/** Quantile 1 − α/2 of Student's t with `df` degrees of freedom, from F(1, df) = t². */
export function tQuantile975(df: number): number {
  return Math.sqrt(fQuantile(0.95, 1, df));
}

export function blandAltman(reference: ArrayLike<number>, method: ArrayLike<number>): BlandAltman {
  const n = reference.length;
  if (method.length !== n) throw new Error(`blandAltman: length mismatch (${n} vs ${method.length})`);
  if (n < 2) throw new Error(`blandAltman: need at least 2 pairs, got ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += method[i] - reference[i];
  const bias = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (method[i] - reference[i] - bias) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const t = tQuantile975(n - 1);
  const seBias = sd / Math.sqrt(n), seLimit = sd * Math.sqrt(3 / n);
  const lower = bias - 1.96 * sd, upper = bias + 1.96 * sd;
  return {
    n, bias, sd, lower, upper,
    bias_lo: bias - t * seBias, bias_hi: bias + t * seBias,
    lower_lo: lower - t * seLimit, lower_hi: lower + t * seLimit,
    upper_lo: upper - t * seLimit, upper_hi: upper + t * seLimit,
  };
}
