import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mae, rmse, pearson, icc21, pairRatings } from '../src/evaluate/metrics.js';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

test('mae and rmse: hand-computed values', () => {
  const a = [1, 2, 3, 4], b = [2, 2, 5, 0];
  close(mae(a, b), (1 + 0 + 2 + 4) / 4);
  close(rmse(a, b), Math.sqrt((1 + 0 + 4 + 16) / 4));
  close(mae(new Float32Array([0.5, 1.5]), [0.5, 1.5]), 0);
  assert.throws(() => mae([1, 2], [1]), /length mismatch/);
  assert.throws(() => rmse([], []), /no values/);
});

test('pearson: hand-computed, sign, and 0 when a side is constant', () => {
  // x = 1..5, y = 2, 4, 5, 4, 5: sxy = 6, sxx = 10, syy = 6 → r = 6 / sqrt(60).
  close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60));
  close(pearson([1, 2, 3], [30, 20, 10]), -1);
  close(pearson([1, 2, 3], [7, 7, 7]), 0);
  close(pearson(new Float32Array([0.1, 0.1, 0.1]), [1, 2, 3]), 0);
  // Invariant to scale and offset.
  close(pearson([1, 2, 3, 9], [2, 4, 7, 1]), pearson([11, 12, 13, 19], [20, 40, 70, 10]), 1e-12);
});

test('icc21: Shrout & Fleiss (1979) Table 2, 6 targets x 4 judges, ICC(2,1) = 0.29', () => {
  const judges = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
  ];
  // Their mean squares: BMS 11.24, JMS 32.49, EMS 1.02 → (BMS − EMS) / (BMS + 3·EMS + 4·(JMS − EMS)/6).
  const icc = icc21(judges);
  assert.equal(icc.toFixed(2), '0.29');
  close(icc, (11.2417 - 1.0194) / (11.2417 + 3 * 1.0194 + (4 * (32.4861 - 1.0194)) / 6), 1e-3);
});

test('icc21: hand-computed 3x2 case with a constant offset of 1 → 8/9', () => {
  // MSR = 8, MSC = 1.5, MSE = 0 → 8 / (8 + 2·1.5/3).
  close(icc21([[1, 2], [3, 4], [5, 6]]), 8 / 9);
});

test('icc21: perfect agreement is 1; an offset lowers ICC but not Pearson', () => {
  const truth = [10, 35, 50, 62, 80, 95, 41, 77];
  close(icc21(pairRatings(truth, truth)), 1, 1e-12);
  const shifted = truth.map((v) => v + 15);
  close(pearson(truth, shifted), 1, 1e-12);
  const iccShift = icc21(pairRatings(truth, shifted));
  assert.ok(iccShift < 0.95 && iccShift > 0, `offset ICC ${iccShift}`);
  // A larger offset lowers it further.
  assert.ok(icc21(pairRatings(truth, truth.map((v) => v + 30))) < iccShift);
  // Unrelated raters land near or below 0.
  assert.ok(icc21(pairRatings([1, 2, 3, 4, 5, 6], [4, 1, 6, 2, 5, 3])) < 0.3);
});

test('icc21: bad input is rejected; no variance at all is NaN', () => {
  assert.throws(() => icc21([[1, 2]]), /at least 2 subjects/);
  assert.throws(() => icc21([[1], [2]]), /at least 2 raters/);
  assert.throws(() => icc21([[1, 2], [3]]), /row 1 has 1 ratings/);
  assert.throws(() => icc21([[1, 2], [3, Number.NaN]]), /row 1 column 1/);
  assert.ok(Number.isNaN(icc21([[5, 5], [5, 5], [5, 5]])));
});
