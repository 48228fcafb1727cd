import type { DiffInterval } from '../stats/paired-diff';

export type Verdict = 'PASS' | 'REGRESSION' | 'INCONCLUSIVE';

export const ALPHA = 0.05;

/**
 * The gate, per split, on d = success(B) − success(A) over paired episodes:
 *   REGRESSION    d < −tolerance and exact McNemar p < 0.05 (B is worse by more than the
 *                 tolerance, and the drop is unlikely to be noise);
 *   PASS          the 95% interval's lower bound ≥ −tolerance (any drop is within tolerance);
 *   INCONCLUSIVE  otherwise — including no pairs at all. More episodes narrow the interval.
 * The first two cannot both hold (d ≥ lower bound), so the order does not matter.
 */
export function verdict(diff: DiffInterval, p: number, n: number, tolerance: number, alpha = ALPHA): Verdict {
  if (n === 0) return 'INCONCLUSIVE';
  if (diff.diff < -tolerance && p < alpha) return 'REGRESSION';
  // A hair of slack: floating error must not turn an exact boundary into INCONCLUSIVE.
  if (diff.lo >= -tolerance - 1e-12) return 'PASS';
  return 'INCONCLUSIVE';
}

/** Worst of several verdicts: any REGRESSION, else PASS only if all pass. */
export function overall(vs: readonly Verdict[]): Verdict {
  if (vs.includes('REGRESSION')) return 'REGRESSION';
  return vs.length && vs.every((v) => v === 'PASS') ? 'PASS' : 'INCONCLUSIVE';
}
