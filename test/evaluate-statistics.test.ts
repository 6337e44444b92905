import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fCdf, fQuantile, normalCdf } from '../src/evaluate/distributions.js';
import { bootstrapCi, quantileSorted } from '../src/evaluate/bootstrap.js';
import { iccConfidenceInterval, icc21FromMeanSquares, twoWayMeanSquares, icc21 } from '../src/evaluate/metrics.js';
import { agreementWithCi } from '../src/evaluate/agreement.js';
import { blandAltman, tQuantile975 } from '../src/evaluate/bland-altman.js';
import { Random } from '../src/util/random.js';
import { wilcoxonSignedRank } from '../src/evaluate/wilcoxon.js';
import { pairedComparison, repAbsoluteErrors } from '../src/evaluate/paired.js';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual}`);

// Shrout & Fleiss (1979) Table 2: 6 targets rated by 4 judges.
const SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]];
const columnsOf = (rows: number[][]) => rows[0].map((_, j) => rows.map((r) => r[j]));

test('F and normal distribution functions match scipy.stats', () => {
  // Values from scipy 1.17: f.ppf, f.cdf, norm.cdf.
  close(fQuantile(0.95, 3, 10), 3.7082648190468435, 1e-9, 'f.ppf(.95, 3, 10)');
  close(fQuantile(0.975, 5, 4.785143862212757), 7.4986275931448185, 1e-8, 'f.ppf non-integer df');
  close(fQuantile(0.975, 1, 1000), 5.039051233476164, 1e-8, 'f.ppf(.975, 1, 1000)');
  close(fCdf(2.5, 4, 7.5), 0.8689576429979174, 1e-10, 'f.cdf');
  close(normalCdf(1.96), 0.9750021048517795, 2e-7, 'norm.cdf(1.96)');
  close(normalCdf(-3.2), 0.0006871379379158471, 1e-9, 'norm.cdf(-3.2)');
  assert.throws(() => fQuantile(1, 2, 3), /p must be in \(0, 1\)/);
});

test('iccConfidenceInterval: Shrout & Fleiss 6x4 example gives psych::ICC\'s published [0.019, 0.76] for ICC2', () => {
  const ms = twoWayMeanSquares(columnsOf(SHROUT_FLEISS));
  // Their mean squares (Table 2): BMS 11.24, JMS 32.49, EMS 1.02.
  close(ms.msRows, 11.2417, 1e-4); close(ms.msCols, 32.4861, 1e-4); close(ms.msError, 1.0194, 1e-4);
  assert.equal(icc21FromMeanSquares(ms).toFixed(2), '0.29');
  const ci = iccConfidenceInterval(ms);
  assert.equal(ci.lo.toFixed(3), '0.019');
  assert.equal(ci.hi.toFixed(2), '0.76');
  // Same formula evaluated with scipy's F quantiles (v = 4.785): 0.018786513, 0.761084370.
  close(ci.lo, 0.018786513374712027, 1e-6); close(ci.hi, 0.7610843696489529, 1e-6);
  // A wider level gives a wider interval that still contains the estimate.
  const wide = iccConfidenceInterval(ms, 0.99);
  assert.ok(wide.lo < ci.lo && wide.hi > ci.hi);
  // Undefined ICC (no variance) or perfect agreement: no interval.
  assert.ok(Number.isNaN(iccConfidenceInterval(twoWayMeanSquares([[5, 5, 5], [5, 5, 5]])).lo));
  assert.ok(Number.isNaN(iccConfidenceInterval(twoWayMeanSquares([[1, 2, 3], [1, 2, 3]])).hi));
});

test('icc21 from columns equals icc21 from rows', () => {
  assert.equal(icc21FromMeanSquares(twoWayMeanSquares(columnsOf(SHROUT_FLEISS))), icc21(SHROUT_FLEISS));
});

test('quantileSorted interpolates like numpy.percentile (type 7)', () => {
  close(quantileSorted([1, 2, 3, 4], 0.025), 1.075, 1e-12);
  close(quantileSorted([1, 2, 3, 4], 0.975), 3.925, 1e-12);
  assert.equal(quantileSorted([7], 0.5), 7);
});

test('bootstrapCi: two observations {0, 1}, whose resampled mean is 0, 0.5 or 1 with probability 1/4, 1/2, 1/4', () => {
  const data = [0, 1];
  const seen = new Map<number, number>();
  const [ci] = bootstrapCi(2, (idx) => {
    const m = (data[idx[0]] + data[idx[1]]) / 2;
    seen.set(m, (seen.get(m) ?? 0) + 1);
    return [m];
  }, { resamples: 10_000 });
  // The 2.5 % and 97.5 % quantiles fall inside the masses at 0 and 1.
  assert.deepEqual(ci, { lo: 0, hi: 1 });
  close(seen.get(0.5)! / 10_000, 0.5, 0.02, 'P(mean = 0.5)');
  close(seen.get(0)! / 10_000, 0.25, 0.02, 'P(mean = 0)');
});

test('bootstrapCi: the mean of 400 normal values gets mean ± 1.96 · s/√n', () => {
  const rng = new Random(3);
  const x = Array.from({ length: 400 }, () => rng.normal(10, 2));
  const n = x.length, mean = x.reduce((a, b) => a + b) / n;
  // The bootstrap distribution of the mean has the plug-in standard error s_n/√n.
  const se = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / n / n);
  const [ci] = bootstrapCi(n, (idx) => { let s = 0; for (const i of idx) s += x[i]; return [s / n]; }, { resamples: 4000 });
  close(ci.lo, mean - 1.96 * se, 0.1 * se, 'lower');
  close(ci.hi, mean + 1.96 * se, 0.1 * se, 'upper');
});

test('bootstrapCi: seeded, several statistics per resample, non-finite replicates left out, bad settings refused', () => {
  const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
  const stat = (idx: Int32Array) => [Array.from(idx, (i) => x[i]).reduce((p, q) => p + q) / idx.length, Math.max(...Array.from(idx, (i) => x[i])), Number.NaN];
  const a = bootstrapCi(x.length, stat, { seed: 1 });
  assert.deepEqual(bootstrapCi(x.length, stat, { seed: 1 }), a);
  assert.notDeepEqual(bootstrapCi(x.length, stat, { seed: 2 })[0], a[0]);
  assert.equal(a.length, 3);
  assert.ok(a[1].hi === 9 && a[1].lo >= 5);
  assert.ok(Number.isNaN(a[2].lo) && Number.isNaN(a[2].hi));
  assert.throws(() => bootstrapCi(3, stat, { resamples: 999 }), /resamples must be an integer >= 1000, got 999/);
  assert.throws(() => bootstrapCi(3, stat, { level: 1 }), /confidence level/);
  assert.throws(() => bootstrapCi(0, stat), /at least 1 observation/);
});

test('agreementWithCi: a constant offset has zero-width MAE, RMSE and r intervals; intervals contain the estimates', () => {
  const rng = new Random(11);
  const truth = Array.from({ length: 60 }, () => rng.uniform(20, 100));
  const shifted = agreementWithCi(truth, truth.map((v) => v + 5));
  close(shifted.mae_lo, 5, 1e-9); close(shifted.mae_hi, 5, 1e-9);
  close(shifted.rmse_lo, 5, 1e-9); close(shifted.rmse_hi, 5, 1e-9);
  close(shifted.pearson_lo, 1, 1e-9);
  const noisy = truth.map((v) => v + rng.normal(2, 6));
  const a = agreementWithCi(truth, noisy);
  for (const m of ['mae', 'rmse', 'pearson', 'icc'] as const) {
    assert.ok(a[`${m}_lo`] <= a[m] && a[m] <= a[`${m}_hi`], `${m} ${a[m]} outside [${a[`${m}_lo`]}, ${a[`${m}_hi`]}]`);
    assert.ok(a[`${m}_hi`] > a[`${m}_lo`], `${m} interval has width`);
  }
  assert.ok(a.icc_f_lo < a.icc && a.icc < a.icc_f_hi);
  // Bootstrap and F intervals of the ICC describe the same uncertainty: they overlap broadly.
  assert.ok(Math.abs(a.icc_lo - a.icc_f_lo) < 0.1 && Math.abs(a.icc_hi - a.icc_f_hi) < 0.1, JSON.stringify(a));
  assert.throws(() => agreementWithCi([1, 2], [1]), /length mismatch/);
  assert.throws(() => agreementWithCi([1], [1]), /at least 2 reps/);
});

test('wilcoxonSignedRank matches scipy.stats.wilcoxon: exact for small untied samples, normal with ties, zeros dropped', () => {
  // scipy 1.17: statistic 14, p 0.05224609375 (exact, 12 untied differences).
  const small = wilcoxonSignedRank([1.5, -2, 3.25, 4, -0.5, 6, 7.5, -8, 9, 10.5, 2.2, 3.3]);
  assert.equal(small.statistic, 14);
  assert.equal(small.method, 'exact');
  close(small.p, 0.05224609375, 1e-12);
  // Zeros are dropped (Wilcoxon's method): 7 untied differences left, p = 74/128.
  const zeros = wilcoxonSignedRank([0, 0, 1, 2, -3, 4, 5, 0, 6, -7]);
  assert.equal(zeros.n, 7);
  assert.equal(zeros.statistic, 10);
  close(zeros.p, 0.578125, 1e-12);
  // 80 differences rounded to 0.1 (many ties, one zero): statistic 938, p 0.0016999890903331022.
  const tied = [0.8, 0.2, 1.8, 0.7, -0.6, 1.2, 3.1, 2.4, -0.9, -2.0, -0.7, 0.6, -4.2, 0.1, -2.0, -1.0, -0.6, -0.1, 1.3, 2.6,
    0.2, 3.2, -0.8, 1.2, 2.3, 0.7, -1.0, -1.3, -0.4, 0.9, -1.5, 0.1, 0.2, 1.6, 0.9, 1.2, -0.8, 0.2, 2.1, 3.5, -2.0, 3.5, 3.2,
    2.1, 1.0, -0.1, 3.4, 4.4, 4.1, 3.1, 1.2, -1.9, 0.5, 1.8, -2.1, 1.3, 1.4, 1.9, -1.9, -0.8, -0.4, -1.8, 4.0, -0.5, 1.2,
    0, 3.7, 3.1, 1.8, -3.9, 0.6, 1.9, 2.5, -0.7, 4.1, -2.1, -0.8, 2.4, 0.6, 4.5];
  const w = wilcoxonSignedRank(tied);
  assert.equal(w.method, 'normal');
  assert.equal(w.statistic, 938);
  close(w.p, 0.0016999890903331022, 1e-7);
  assert.deepEqual(wilcoxonSignedRank([0, 0]), { n: 0, statistic: 0, z: Number.NaN, p: 1, method: 'exact' });
  assert.throws(() => wilcoxonSignedRank([1, Number.NaN]), /difference 1 is not a finite number/);
});

test('pairedComparison: a network that errs less than the rules on every rep gets a negative difference, CI below 0, small p', () => {
  const rng = new Random(5);
  const n = 60;
  const truth = new Float32Array(n * 6).map(() => rng.uniform(10, 90));
  // Rule errors about 6 points, network errors about 2, both with random sign.
  const network = truth.map((v) => v + (rng.next() < 0.5 ? -1 : 1) * rng.uniform(1, 3));
  const p = { exercise: 'squat' as const, checkpoint: '', split: 'test' as const, n, truth, network, others: [],
    sequences: new Float32Array(n * 810), source: new Uint8Array(n), index: new Int32Array(n) };
  const rows = pairedComparison(p);
  assert.deepEqual(rows.map((r) => `${r.a}-${r.b}`), ['network-rule', 'hybrid-rule', 'network-hybrid']);
  const nr = rows[0];
  close(nr.diff, nr.mae_a - nr.mae_b, 1e-9);
  // The rule scorer on flat (all-zero) sequences is far from the truth; the network is within 3 points.
  assert.ok(nr.mae_a < 3 && nr.mae_b > 10, JSON.stringify(nr));
  assert.ok(nr.diff_lo <= nr.diff && nr.diff <= nr.diff_hi && nr.diff_hi < 0, JSON.stringify(nr));
  assert.ok(nr.p_value < 1e-6 && nr.test === 'normal', JSON.stringify(nr));
  // The per-rep errors are the mean over the six dimensions.
  const e = repAbsoluteErrors(network, truth, n);
  let s = 0; for (let d = 0; d < 6; d++) s += Math.abs(network[d] - truth[d]);
  close(e[0], s / 6, 1e-9);
});

test('blandAltman: differences 1..5 give bias 3, limits 3 ± 1.96·√2.5, and t-based CIs (Bland & Altman 1999)', () => {
  // t(0.975, 4) = 2.7764451051977934 and t(0.975, 59) = 2.000995378088267 (scipy.stats.t.ppf).
  close(tQuantile975(4), 2.7764451051977934, 1e-8);
  close(tQuantile975(59), 2.000995378088267, 1e-8);
  const ref = [10, 20, 30, 40, 50];
  const ba = blandAltman(ref, ref.map((v, i) => v + i + 1));
  const sd = Math.sqrt(2.5), t = 2.7764451051977934;
  close(ba.bias, 3, 1e-12); close(ba.sd, sd, 1e-12);
  close(ba.lower, 3 - 1.96 * sd, 1e-12); close(ba.upper, 3 + 1.96 * sd, 1e-12);
  close(ba.bias_lo, 3 - (t * sd) / Math.sqrt(5), 1e-7); close(ba.bias_hi, 3 + (t * sd) / Math.sqrt(5), 1e-7);
  close(ba.upper_hi - ba.upper, t * sd * Math.sqrt(3 / 5), 1e-7);
  close(ba.lower - ba.lower_lo, t * sd * Math.sqrt(3 / 5), 1e-7);
  assert.throws(() => blandAltman([1], [1]), /at least 2 pairs/);
});
