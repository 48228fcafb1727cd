import { binomCdf } from './binomial';

export interface McNemarResult {
  /** Pairs where A succeeded and B failed. */
  b: number;
  /** Pairs where A failed and B succeeded. */
  c: number;
  /** Two-sided exact p. */
  p: number;
}

/**
 * Exact McNemar test: under H0 (no difference) each discordant pair is a fair coin, so
 * b ~ Bin(b + c, 1/2). Two-sided p = min(1, 2·P(X ≤ min(b, c))) — the conditional exact test
 * (equal-tails doubling). Concordant pairs carry no information about the difference.
 * b = 10, c = 2 → 0.0386; b = c = 0 → 1.
 */
export function mcnemarExact(b: number, c: number): McNemarResult {
  for (const [k, v] of [['b', b], ['c', c]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`mcnemarExact: ${k} must be a non-negative integer, got ${v}`);
  }
  const n = b + c;
  const p = n === 0 ? 1 : Math.min(1, 2 * binomCdf(Math.min(b, c), n, 0.5));
  return { b, c, p };
}
