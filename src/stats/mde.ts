import { binomCdf, binomPmf } from './binomial';
import { zTwoSided, normalQuantile } from './normal';

export interface MdeOptions {
  alpha?: number;
  power?: number;
}

/**
 * Minimum detectable effect of a paired comparison with n pairs: the smallest true difference
 * |pB − pA| = δ that a two-sided McNemar test at level α finds with the given power, by
 * Connor's (1987) sample-size formula solved for δ:
 *
 *   n·δ² = (z_{α/2}·√ψ + z_β·√(ψ − δ²))²,   ψ = discordant share of pairs.
 *
 * ψ is the observed discordance, floored at δ (a difference of δ needs at least δ discordant
 * pairs), so the MDE stays defined when two policies agree on every episode. Returns null when
 * no δ ≤ 1 is detectable (tiny n). n = 155, ψ = 0.2 → δ ≈ 0.10 (Connor's formula forwards).
 */
export function pairedMde(n: number, discordance: number, opts: MdeOptions = {}): number | null {
  const za = zTwoSided(opts.alpha ?? 0.05);
  const zb = normalQuantile(opts.power ?? 0.8);
  if (n <= 0) return null;
  const f = (delta: number) => {
    const psi = Math.max(discordance, delta);
    return Math.sqrt(n) * delta - za * Math.sqrt(psi) - zb * Math.sqrt(Math.max(0, psi - delta * delta));
  };
  // f is negative at 0 and need not be monotone when ψ is floored at δ: scan, then bisect.
  const steps = 2000;
  let prev = 0;
  for (let i = 1; i <= steps; i++) {
    const x = i / steps;
    if (f(x) >= 0) {
      let lo = prev;
      let hi = x;
      for (let k = 0; k < 60; k++) {
        const mid = (lo + hi) / 2;
        if (f(mid) >= 0) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    prev = x;
  }
  return null;
}

/**
 * Exact power of the two-sided exact McNemar test with n pairs when P(A ok, B fails) = p10 and
 * P(A fails, B ok) = p01: sums over the number of discordant pairs m ~ Bin(n, p10 + p01) and,
 * given m, b ~ Bin(m, p10 / (p10 + p01)). Used to check the MDE formula, O(n²).
 */
export function mcnemarExactPower(n: number, p10: number, p01: number, alpha = 0.05): number {
  const psi = p10 + p01;
  if (psi <= 0) return 0;
  const pi = p10 / psi;
  let power = 0;
  for (let m = 1; m <= n; m++) {
    const pm = binomPmf(m, n, psi);
    if (pm < 1e-14) continue;
    // Largest k with 2·P(X ≤ k | m, ½) < α: reject when min(b, c) ≤ k.
    let k = -1;
    while (k + 1 <= m && 2 * binomCdf(k + 1, m, 0.5) < alpha) k++;
    if (k < 0) continue;
    let rej = 0;
    for (let b = 0; b <= m; b++) if (b <= k || m - b <= k) rej += binomPmf(b, m, pi);
    power += pm * Math.min(1, rej);
  }
  return power;
}
