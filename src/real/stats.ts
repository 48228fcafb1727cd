/**
 * Sim-vs-real statistics.
 *
 * - Pearson r and MMRV across checkpoints, as SimplerEnv defines them (Li et al. 2024, "Evaluating
 *   Real-World Robot Manipulation Policies in Simulation"; simpler_env/utils/metrics.py): MMRV =
 *   mean over checkpoints i of max over j of |real_i − real_j| where sim and real order i, j
 *   differently ((sim_i > sim_j) ≠ (real_i > real_j)). Lower is better; 0 = same ranking.
 * - Bootstrap intervals for both: each checkpoint's sim and real trials resampled with replacement.
 * - Prediction-powered inference for the real success rate (Angelopoulos et al. 2023, Science;
 *   PPI++ power tuning, Angelopoulos, Duchi & Zrnic 2023), as SureSim uses it (Badithela et al.
 *   2025, arXiv 2510.04354): real trials paired with simulation predict the real outcome, many
 *   more simulated episodes average the prediction, and the paired trials correct its bias.
 */
import { Rng } from '../util/rng';
import { wilson, Z95, type Interval } from '../stats/wilson';

/** Pearson's r; null when either side is constant (r is undefined there). */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length) throw new Error(`pearson: ${xs.length} vs ${ys.length} values`);
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Mean Maximum Rank Violation (SimplerEnv's definition, strict comparisons as there). */
export function mmrv(sim: readonly number[], real: readonly number[]): number | null {
  if (sim.length !== real.length) throw new Error(`mmrv: ${sim.length} vs ${real.length} values`);
  const n = sim.length;
  if (n < 2) return null;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let worst = 0;
    for (let j = 0; j < n; j++) {
      if (sim[i]! > sim[j]! !== real[i]! > real[j]!) worst = Math.max(worst, Math.abs(real[i]! - real[j]!));
    }
    total += worst;
  }
  return total / n;
}

export interface Counts {
  k: number;
  n: number;
}

export interface BootResult {
  estimate: number | null;
  ci95: Interval | null;
  /** Bootstrap draws where the statistic was defined (r is undefined when a side is constant). */
  defined: number;
  draws: number;
}

/** Binomial(n, p) by n Bernoulli draws: exact, and n is small (trials per checkpoint). */
function binomial(rng: Rng, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng.next() < p) k++;
  return k;
}

function percentile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Percentile bootstrap of a statistic of (sim rates, real rates) across checkpoints: every
 * checkpoint's sim and real trials are resampled with replacement (a binomial draw at its
 * observed rate), B times, with a fixed seed so the interval is reproducible.
 */
export function bootstrapAcross(sim: readonly Counts[], real: readonly Counts[], stat: (s: number[], r: number[]) => number | null, opts: { draws?: number; seed?: number } = {}): BootResult {
  const rate = (c: Counts) => c.k / c.n;
  const estimate = stat(sim.map(rate), real.map(rate));
  const B = opts.draws ?? 2000;
  const rng = new Rng(opts.seed ?? 0x51a2e1);
  const values: number[] = [];
  for (let b = 0; b < B; b++) {
    const s = sim.map((c) => binomial(rng, c.n, rate(c)) / c.n);
    const r = real.map((c) => binomial(rng, c.n, rate(c)) / c.n);
    const v = stat(s, r);
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  // Too few defined draws make a percentile interval meaningless.
  const ci95 = values.length >= Math.max(20, B / 2) ? { lo: percentile(values, 0.025), hi: percentile(values, 0.975) } : null;
  return { estimate, ci95, defined: values.length, draws: B };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
function variance(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}
function covariance(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mx = mean(xs);
  const my = mean(ys);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - mx) * (ys[i]! - my);
  return s / (xs.length - 1);
}

export interface PpiStratum {
  /** Real outcomes (0/1) with the simulation's prediction for the same scenario (0–1). */
  pairs: readonly { y: number; f: number }[];
  /** Simulation-only predictions for scenarios drawn like the real ones (many). */
  unlabeled: readonly number[];
}

export interface PpiResult {
  estimate: number;
  ci95: Interval;
  se: number;
  /** Weight given to the simulation (PPI++ power tuning): 0 = the real trials alone. */
  lambda: number;
  n: number;
  N: number;
  /** The real trials alone: their mean with a Wilson interval. */
  classical: { estimate: number; ci95: Interval };
}

/**
 * PPI++ mean estimate for one population: θ = λ·mean(f over unlabeled) + mean(y − λ·f over pairs),
 * se² = λ²·Var(f_unlabeled)/N + Var(y − λf)/n, with λ = Cov(y, f) / ((1 + n/N)·Var(f)) clipped to
 * [0, 1] (λ = 0 when the prediction does not vary). Normal (CLT) interval — SureSim uses
 * non-asymptotic intervals, which are wider at small n.
 */
export function ppiMean(s: PpiStratum, opts: { lambda?: number } = {}): PpiResult {
  const n = s.pairs.length;
  const N = s.unlabeled.length;
  if (n === 0) throw new Error('ppiMean: no real trials');
  const y = s.pairs.map((p) => p.y);
  const f = s.pairs.map((p) => p.f);
  const k = y.reduce((a, b) => a + b, 0);
  const classical = { estimate: k / n, ci95: wilson(k, n) };
  const fAll = [...f, ...s.unlabeled];
  let lambda = opts.lambda ?? 0;
  if (opts.lambda === undefined) {
    const vf = variance(fAll);
    lambda = vf > 0 && N > 0 ? Math.min(1, Math.max(0, covariance(y, f) / ((1 + n / N) * vf))) : 0;
  }
  const rect = y.map((v, i) => v - lambda * f[i]!);
  const estimate = (N > 0 ? lambda * mean(s.unlabeled) : 0) + mean(rect);
  let vRect = variance(rect);
  // A rectifier that never varies (every trial alike, e.g. 5/5) would give a zero-width interval:
  // use the Agresti–Coull variance of the real outcomes instead, as if the simulation told nothing.
  if (vRect === 0) {
    const pt = (k + 2) / (n + 4);
    vRect = pt * (1 - pt);
  }
  const se = Math.sqrt((N > 0 ? (lambda * lambda * variance(s.unlabeled)) / N : 0) + vRect / n);
  return { estimate, ci95: { lo: Math.max(0, estimate - Z95 * se), hi: Math.min(1, estimate + Z95 * se) }, se, lambda, n, N, classical };
}

export interface StratifiedPpi {
  estimate: number;
  ci95: Interval;
  se: number;
  strata: ({ name: string; weight: number } & PpiResult)[];
  /** Real trials alone, stratified the same way (λ = 0). */
  classical: { estimate: number; ci95: Interval; se: number };
}

/**
 * PPI over strata (positions) with given weights (the protocol's mix, e.g. 5 × 20 = equal):
 * θ = Σ w_p θ_p, se² = Σ w_p² se_p². The classical counterpart uses each stratum's real mean.
 */
export function ppiStratified(strata: readonly ({ name: string; weight: number } & PpiStratum)[]): StratifiedPpi {
  const used = strata.filter((s) => s.pairs.length > 0);
  if (!used.length) throw new Error('ppiStratified: no stratum has real trials');
  const total = used.reduce((a, s) => a + s.weight, 0);
  const res = used.map((s) => ({ name: s.name, weight: s.weight / total, ...ppiMean(s) }));
  const estimate = res.reduce((a, r) => a + r.weight * r.estimate, 0);
  const se = Math.sqrt(res.reduce((a, r) => a + r.weight ** 2 * r.se ** 2, 0));
  // The real trials alone, stratified the same way: PPI with λ = 0.
  const real = used.map((st) => ({ weight: st.weight / total, ...ppiMean(st, { lambda: 0 }) }));
  const cEst = real.reduce((a, r) => a + r.weight * r.estimate, 0);
  const cSe = Math.sqrt(real.reduce((a, r) => a + r.weight ** 2 * r.se ** 2, 0));
  return {
    estimate,
    ci95: { lo: Math.max(0, estimate - Z95 * se), hi: Math.min(1, estimate + Z95 * se) },
    se,
    strata: res,
    classical: { estimate: cEst, ci95: { lo: Math.max(0, cEst - Z95 * cSe), hi: Math.min(1, cEst + Z95 * cSe) }, se: cSe },
  };
}
