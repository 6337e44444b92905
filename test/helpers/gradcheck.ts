// Central differences for the gradient checks of the reference kernels and the network.

type Mutable = { [i: number]: number };

/** d loss / d param[i] by central differences; param[i] is restored afterwards. */
export function centralDifference(param: Mutable, i: number, eps: number, loss: () => number): number {
  const keep = param[i];
  param[i] = keep + eps;
  const up = loss();
  param[i] = keep - eps;
  const down = loss();
  param[i] = keep;
  return (up - down) / (2 * eps);
}

/** |numeric − analytic| relative to their magnitudes; `floor` keeps near-zero pairs from dominating. */
export const relativeError = (numeric: number, analytic: number, floor: number): number =>
  Math.abs(numeric - analytic) / Math.max(floor, Math.abs(numeric) + Math.abs(analytic));
