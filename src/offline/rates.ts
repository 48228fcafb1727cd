/**
 * Per-frame rates with honest intervals. Frames of one episode are not independent (a model that
 * gets a turn wrong gets the next frames wrong too), so a binomial interval over frames is too
 * narrow. The interval here treats episodes as clusters — the ratio estimator's linearised
 * (cluster-robust) variance, m/(m−1)·Σ(k_i − p·n_i)²/N², as for cluster samples — and
 * is never narrower than Wilson's over frames, which keeps it sensible at 0% and 100%.
 */
import { wilson, Z95, type Interval } from '../stats/wilson';

export interface Rate {
  /** Frames that agree, frames counted, and the rate k/n (NaN when n = 0). */
  k: number;
  n: number;
  rate: number;
  ci95: Interval;
  /** Episodes the frames come from (the clusters). */
  episodes: number;
}

export interface Cluster {
  k: number;
  n: number;
}

export function clusterRate(clusters: readonly Cluster[]): Rate {
  const used = clusters.filter((c) => c.n > 0);
  const K = used.reduce((s, c) => s + c.k, 0);
  const N = used.reduce((s, c) => s + c.n, 0);
  if (N === 0) return { k: 0, n: 0, rate: NaN, ci95: { lo: 0, hi: 1 }, episodes: 0 };
  const p = K / N;
  const w = wilson(K, N);
  const m = used.length;
  if (m < 2) return { k: K, n: N, rate: p, ci95: w, episodes: m };
  const ss = used.reduce((s, c) => s + (c.k - p * c.n) ** 2, 0);
  const half = Z95 * Math.sqrt((m / (m - 1)) * ss) / N;
  return { k: K, n: N, rate: p, ci95: { lo: Math.max(0, Math.min(w.lo, p - half)), hi: Math.min(1, Math.max(w.hi, p + half)) }, episodes: m };
}

export interface Diff {
  /** a-rate − b-rate over the same frames. */
  estimate: number;
  /** Cluster-robust 95% interval; null with fewer than two episodes. */
  ci95: Interval | null;
  n: number;
  episodes: number;
}

/** Difference of two rates measured on the same frames (paired), episodes as clusters. */
export function clusterDiff(clusters: readonly { a: number; b: number; n: number }[]): Diff {
  const used = clusters.filter((c) => c.n > 0);
  const N = used.reduce((s, c) => s + c.n, 0);
  if (N === 0) return { estimate: NaN, ci95: null, n: 0, episodes: 0 };
  const d = used.reduce((s, c) => s + c.a - c.b, 0) / N;
  const m = used.length;
  if (m < 2) return { estimate: d, ci95: null, n: N, episodes: m };
  const ss = used.reduce((s, c) => s + (c.a - c.b - d * c.n) ** 2, 0);
  const half = Z95 * Math.sqrt((m / (m - 1)) * ss) / N;
  return { estimate: d, ci95: { lo: Math.max(-1, d - half), hi: Math.min(1, d + half) }, n: N, episodes: m };
}
