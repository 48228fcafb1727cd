/**
 * An anytime-valid sequential test of a paired difference in success, for a gate that looks at
 * the evidence after every block of episodes and stops as soon as it can decide.
 *
 * Method: testing by betting (Waudby-Smith & Ramdas 2024, "Estimating means of bounded random
 * variables by betting", JRSS-B 86(1):1–27, arXiv:2010.09686). Each pair of episodes gives
 * D = success(B) − success(A) ∈ {−1, 0, 1}; d = E[D] = success(B) − success(A). To test
 * H0: d ≤ m, a gambler starts with capital 1 and stakes a fraction λ_t (chosen from the pairs
 * before t only) on D_t exceeding m: K_t = Π (1 + λ_i (D_i − m)). Under H0, K is a non-negative
 * supermartingale, so by Ville's inequality (Ville 1939) P(sup_t K_t ≥ 1/a) ≤ a: the capital may
 * be checked after every pair or every block, as often as one likes, and the run stopped at any
 * time, with the error rate still ≤ a. λ is the "approximate GRAPA" (aGRAPA) bet of the paper,
 * truncated so that no single pair can cost more than `cap` of the capital.
 *
 * The gate mirrors the batch rule (src/compare/verdict.ts), each side at α/2:
 *   REGRESSION  the e-process against "B is not worse" (H0: d ≥ 0, a bet on D < 0) reached 2/α,
 *               and the running difference is below −tolerance. That bet only moves on
 *               discordant pairs (D = ±1): it is a sequential sign test on them, as exact
 *               McNemar is the batch one.
 *   PASS        the e-process against "B is worse by more than the tolerance" (H0: d ≤ −tol,
 *               a bet on D > −tol) reached 2/α: d > −tolerance with confidence 1 − α/2.
 *   INCONCLUSIVE neither by the budget.
 * Under d ≥ 0 (A/A included), P(ever REGRESSION) ≤ α/2; under d < −tolerance, P(ever PASS) ≤ α/2.
 *
 * Model, as for the batch McNemar test: pairs are independent draws (here, in a seeded random
 * order) from the population of episodes the suite samples. Episodes of one scene under different
 * seeds are correlated; neither test models that.
 * Related robot-learning work: STEP (Snyder et al., RSS 2025) and SAVI comparisons in "Beyond
 * Binary Success" (Snyder et al. 2026) stop comparisons of policies early; this paired design is ours.
 */
import type { Interval } from './wilson';

export type SequentialDecision = 'PASS' | 'REGRESSION' | 'INCONCLUSIVE';

export interface SequentialOptions {
  /** Allowed drop in success (absolute, 0–1), as the batch gate's tolerance. */
  tolerance: number;
  /** Total error rate; each one-sided test gets α/2 (default 0.05). */
  alpha?: number;
  /**
   * Largest fraction of the capital staked on one pair, for both tests (default: 0.5 for the
   * REGRESSION bet, 0.75 for the PASS bet — tuned by simulation, test/sequential-stats.test.ts: the
   * PASS bet mostly wins small amounts on concordant pairs, the REGRESSION bet moves on discordant ones).
   */
  cap?: number;
}

/** One-sided betting e-process for H0: E[X] ≤ m, with X ≥ lo (here X ∈ [−1, 1]). */
export class BettingEProcess {
  private logK = 0;
  private maxLogK = 0;
  private n = 0;
  private sum = 0;
  private sumSq = 0;
  private readonly lambdaMax: number;

  constructor(
    readonly m: number,
    readonly lo = -1,
    cap = 0.5,
    /** Prior guess of E[X] and of its variance (one pseudo-observation each): no difference. */
    private readonly prior = { mean: 0, variance: 0.25 },
  ) {
    if (!(m > lo)) throw new RangeError(`BettingEProcess: m (${m}) must exceed the lower bound ${lo}`);
    // 1 + λ(x − m) ≥ 1 − cap for every x ≥ lo.
    this.lambdaMax = cap / (m - lo);
  }

  /** The stake for the next observation: aGRAPA, λ = (μ̂ − m) / (σ̂² + (μ̂ − m)²), truncated to [0, λmax]. */
  bet(): number {
    const mean = (this.prior.mean + this.sum) / (this.n + 1);
    // Σ (x − μ̂)² from running sums, plus the prior pseudo-observation.
    const variance = (this.prior.variance + Math.max(0, this.sumSq - (this.n ? (this.sum * this.sum) / this.n : 0))) / (this.n + 1);
    const edge = mean - this.m;
    if (edge <= 0) return 0;
    return Math.min(this.lambdaMax, edge / (variance + edge * edge));
  }

  push(x: number): void {
    const lambda = this.bet();
    this.logK += Math.log1p(lambda * (x - this.m));
    if (this.logK > this.maxLogK) this.maxLogK = this.logK;
    this.n++;
    this.sum += x;
    this.sumSq += x * x;
  }

  /** Current capital (the e-value at this time). */
  get capital(): number {
    return Math.exp(this.logK);
  }

  /** Largest capital so far: H0 is rejected at level a once it reached 1/a. */
  get maxCapital(): number {
    return Math.exp(this.maxLogK);
  }
}

export interface SequentialState {
  decision: SequentialDecision;
  /** Pairs seen so far. */
  n: number;
  /** Running difference success(B) − success(A) over those pairs. */
  diff: number;
  /** Discordant pairs: A ok / B failed (b), and the reverse (c). */
  b: number;
  c: number;
  /** Largest e-values so far of the two one-sided tests (reject at 2/α). */
  eRegression: number;
  ePass: number;
  /** Pairs seen when the decision was taken (undefined while undecided). */
  decidedAt?: number;
}

/**
 * The gate on a stream of paired outcomes. Feed pairs with `push`, call `look()` whenever the
 * run may stop (after each block); the first PASS or REGRESSION is final.
 */
export class PairedSequentialTest {
  readonly alpha: number;
  readonly tolerance: number;
  private readonly regression: BettingEProcess;
  private readonly pass: BettingEProcess;
  private n = 0;
  private sum = 0;
  private b = 0;
  private c = 0;
  private decision: SequentialDecision = 'INCONCLUSIVE';
  private decidedAt: number | undefined;

  constructor(opts: SequentialOptions) {
    this.alpha = opts.alpha ?? 0.05;
    this.tolerance = opts.tolerance;
    if (!(this.tolerance >= 0 && this.tolerance < 1)) throw new RangeError(`tolerance must be in [0, 1), got ${this.tolerance}`);
    // Against "B is not worse": bet on −D > 0, i.e. H0: E[−D] ≤ 0.
    this.regression = new BettingEProcess(0, -1, opts.cap ?? 0.5);
    // Against "B is worse by more than the tolerance": H0: E[D] ≤ −tolerance.
    this.pass = new BettingEProcess(-this.tolerance, -1, opts.cap ?? 0.75);
  }

  /** One pair: did A succeed, did B succeed. Ignored once decided (the run has stopped). */
  push(aOk: boolean, bOk: boolean): void {
    this.pushDiff((bOk ? 1 : 0) - (aOk ? 1 : 0));
  }

  /** One pair as D = success(B) − success(A) ∈ {−1, 0, 1}. */
  pushDiff(d: number): void {
    if (this.decidedAt !== undefined) return;
    if (d !== -1 && d !== 0 && d !== 1) throw new RangeError(`a paired difference is −1, 0 or 1, got ${d}`);
    this.n++;
    this.sum += d;
    if (d < 0) this.b++;
    if (d > 0) this.c++;
    this.regression.push(-d);
    this.pass.push(d);
  }

  /** A look: decide if either e-process has crossed 2/α. */
  look(): SequentialState {
    if (this.decidedAt === undefined && this.n > 0) {
      const bar = 2 / this.alpha;
      const diff = this.sum / this.n;
      const worse = this.regression.maxCapital >= bar && diff < -this.tolerance;
      const within = this.pass.maxCapital >= bar;
      // Both at one look is rare (the running difference sits near −tolerance); the estimate decides.
      if (worse || within) {
        this.decision = worse && (!within || diff < -this.tolerance) ? 'REGRESSION' : 'PASS';
        this.decidedAt = this.n;
      }
    }
    return this.state();
  }

  state(): SequentialState {
    return {
      decision: this.decision,
      n: this.n,
      diff: this.n ? this.sum / this.n : 0,
      b: this.b,
      c: this.c,
      eRegression: this.regression.maxCapital,
      ePass: this.pass.maxCapital,
      ...(this.decidedAt !== undefined ? { decidedAt: this.decidedAt } : {}),
    };
  }
}

/**
 * Run the gate over a sequence of pair outcomes D ∈ {−1, 0, 1}, looking after each of `looks`
 * (numbers of pairs, increasing); stops at the first decision.
 */
export function sequentialPaired(diffs: readonly number[], looks: readonly number[], opts: SequentialOptions): SequentialState {
  const t = new PairedSequentialTest(opts);
  let i = 0;
  for (const at of looks) {
    for (; i < Math.min(at, diffs.length); i++) t.pushDiff(diffs[i]!);
    const s = t.look();
    if (s.decision !== 'INCONCLUSIVE') return s;
  }
  return t.state();
}

/**
 * The anytime-valid (1 − α) confidence sequence for d after the given pairs, for display: the
 * running intersection of {m : neither one-sided e-process at m reached 2/α}, on a grid of
 * `step` (a grid point next to the truth may be excluded by rounding; the gate itself tests
 * −tolerance and 0 exactly). Returns [−1, 1] for no pairs.
 */
export function pairedConfidenceSequence(diffs: readonly number[], alpha = 0.05, step = 0.005, caps = { lower: 0.75, upper: 0.5 }): Interval {
  if (!diffs.length) return { lo: -1, hi: 1 };
  const bar = Math.log(2 / alpha);
  const rejected = (m: number, sign: 1 | -1): boolean => {
    // sign 1: H0 d ≤ m (bet on D > m, as the PASS test at m = −tolerance); sign −1: H0 d ≥ m
    // (bet on −D > −m, as the REGRESSION test at m = 0). Same caps as the gate's, so they agree.
    const e = new BettingEProcess(sign * m, -1, sign === 1 ? caps.lower : caps.upper);
    for (const d of diffs) {
      e.push(sign * d);
      if (Math.log(e.maxCapital) >= bar) return true;
    }
    return false;
  };
  const grid: number[] = [];
  for (let k = Math.ceil(-1 / step) + 1; k * step < 1 - 1e-12; k++) grid.push(Number((k * step).toFixed(10)));
  let lo = -1;
  for (const m of grid) {
    if (!rejected(m, 1)) break;
    lo = m;
  }
  let hi = 1;
  for (const m of [...grid].reverse()) {
    if (!rejected(m, -1)) break;
    hi = m;
  }
  return { lo, hi: Math.max(lo, hi) };
}
