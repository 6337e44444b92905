// Agreement of one rater with a reference on the same reps (network vs ground truth,
// network vs rule scorer): MAE, RMSE, Pearson r and ICC(2,1), each with its 95 %
// percentile-bootstrap interval, and the analytic F-based ICC interval of McGraw & Wong
// beside the bootstrap one so that the two can be compared.

import { bootstrapCi, bootstrapSettings, type BootstrapOptions } from './bootstrap.js';
import { icc21FromMeanSquares, iccConfidenceInterval, mae, pearson, rmse, twoWayMeanSquares } from './metrics.js';
import { fmt } from './table.js';

export const AGREEMENT_METRICS = ['mae', 'rmse', 'pearson', 'icc'] as const;
export type AgreementMetric = (typeof AGREEMENT_METRICS)[number];

/** The interval columns of the results CSVs, after the point estimates (so older readers keep working). */
export const AGREEMENT_CI_COLUMNS = [
  'mae_lo', 'mae_hi', 'rmse_lo', 'rmse_hi', 'pearson_lo', 'pearson_hi', 'icc_lo', 'icc_hi', 'icc_f_lo', 'icc_f_hi',
] as const;

export interface Agreement {
  n: number;
  mae: number; rmse: number; pearson: number; icc: number;
  mae_lo: number; mae_hi: number;
  rmse_lo: number; rmse_hi: number;
  pearson_lo: number; pearson_hi: number;
  /** Percentile-bootstrap interval of ICC(2,1). */
  icc_lo: number; icc_hi: number;
  /** McGraw & Wong's F-based interval of ICC(2,1). */
  icc_f_lo: number; icc_f_hi: number;
}

/** The four metrics of `rater` against `reference` (same reps, same order), point estimates only. */
export function agreementPoint(reference: ArrayLike<number>, rater: ArrayLike<number>): Record<AgreementMetric, number> {
  return {
    mae: mae(rater, reference), rmse: rmse(rater, reference), pearson: pearson(rater, reference),
    icc: icc21FromMeanSquares(twoWayMeanSquares([reference, rater])),
  };
}

/** Agreement of `rater` with `reference` (same reps, same order), with intervals at `opts.level`. */
export function agreementWithCi(reference: ArrayLike<number>, rater: ArrayLike<number>, opts: BootstrapOptions = {}): Agreement {
  const n = reference.length;
  if (rater.length !== n) throw new Error(`agreement: length mismatch (${n} vs ${rater.length})`);
  if (n < 2) throw new Error(`agreement: need at least 2 reps, got ${n}`);
  const { level } = bootstrapSettings(opts);
  const ms = twoWayMeanSquares([reference, rater]);
  const ref = new Float64Array(n), est = new Float64Array(n);
  const [maeCi, rmseCi, rCi, iccCi] = bootstrapCi(n, (idx) => {
    for (let i = 0; i < n; i++) { ref[i] = reference[idx[i]]; est[i] = rater[idx[i]]; }
    const p = agreementPoint(ref, est);
    return [p.mae, p.rmse, p.pearson, p.icc];
  }, opts);
  const f = iccConfidenceInterval(ms, level);
  return {
    n,
    ...agreementPoint(reference, rater),
    mae_lo: maeCi.lo, mae_hi: maeCi.hi,
    rmse_lo: rmseCi.lo, rmse_hi: rmseCi.hi,
    pearson_lo: rCi.lo, pearson_hi: rCi.hi,
    icc_lo: iccCi.lo, icc_hi: iccCi.hi,
    icc_f_lo: f.lo, icc_f_hi: f.hi,
  };
}

/** "[1.101, 1.370]": an interval for the console tables and the report. */
export function formatCi(lo: number, hi: number, digits = 3): string {
  return `[${fmt(lo, digits)}, ${fmt(hi, digits)}]`;
}

/**
 * Console/report columns of an agreement table: each metric as a number (so the report
 * sorts by it) followed by its bootstrap interval, then the F interval of the ICC.
 */
export const AGREEMENT_DISPLAY_COLUMNS = [
  'mae', 'mae 95% CI', 'rmse', 'rmse 95% CI', 'pearson', 'pearson 95% CI', 'icc', 'icc 95% CI', 'icc F 95% CI',
] as const;

export function agreementDisplay(a: Agreement): Record<(typeof AGREEMENT_DISPLAY_COLUMNS)[number], number | string> {
  return {
    mae: a.mae, 'mae 95% CI': formatCi(a.mae_lo, a.mae_hi),
    rmse: a.rmse, 'rmse 95% CI': formatCi(a.rmse_lo, a.rmse_hi),
    pearson: a.pearson, 'pearson 95% CI': formatCi(a.pearson_lo, a.pearson_hi),
    icc: a.icc, 'icc 95% CI': formatCi(a.icc_lo, a.icc_hi),
    'icc F 95% CI': formatCi(a.icc_f_lo, a.icc_f_hi),
  };
}
