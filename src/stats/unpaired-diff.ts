import type { DiffInterval } from './paired-diff';
import { wilson, Z95 } from './wilson';

/**
 * 95% interval for p1 − p2 of two independent proportions (k1/n1 − k2/n2): Newcombe's hybrid
 * score method 10 (Newcombe 1998, Stat Med 17:873), Wilson limits combined by square-and-add.
 * Used where the samples are different episodes (in-distribution vs novel scenes), so no
 * pairing exists. Newcombe's example: 56/70 − 48/80 = 0.2 [0.0524, 0.3339].
 */
export function newcombeUnpaired(k1: number, n1: number, k2: number, n2: number, z = Z95): DiffInterval {
  if (n1 <= 0 || n2 <= 0) return { diff: 0, lo: -1, hi: 1, method: 'newcombe-hybrid-score' };
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const w1 = wilson(k1, n1, z);
  const w2 = wilson(k2, n2, z);
  const diff = p1 - p2;
  const lo = diff - Math.hypot(p1 - w1.lo, w2.hi - p2);
  const hi = diff + Math.hypot(w1.hi - p1, p2 - w2.lo);
  return { diff, lo: Math.max(-1, lo), hi: Math.min(1, hi), method: 'newcombe-hybrid-score' };
}
