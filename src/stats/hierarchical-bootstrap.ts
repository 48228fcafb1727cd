/**
 * Success of a variant (frozen, fine-tuned, …) trained with several seeds: each checkpoint ran
 * the same episodes, so the data is a checkpoints × episodes table of outcomes. A checkpoint's
 * success varies with its training seed (the lab saw 33% → 61% between seeds at n = 33) and with
 * the episodes drawn; an interval for the variant must account for both.
 *
 * Two-stage (hierarchical) bootstrap: each replicate resamples the variant's checkpoints with
 * replacement, then the episodes with replacement — one draw of episodes shared by every
 * checkpoint, because the episodes are crossed with the checkpoints, not nested in them (a hard
 * scene is hard for every seed). Davison & Hinkley (1997), Bootstrap Methods and their
 * Application, §3.8 (resampling at both stages of hierarchical data); Owen (2007), "The pigeonhole
 * bootstrap", Ann. Appl. Stat. 1(2):386–411 (crossed factors: resample rows and columns
 * independently). Percentile intervals. With few checkpoints (3) the checkpoint stage has few
 * distinct draws: the interval is a rough guide to seed variation, not an exact one; with one
 * checkpoint it reduces to an episode bootstrap and cannot show seed variation at all.
 *
 * Outcomes: 1 success, 0 failure, null no usable row (an error row: no success and no failure).
 */
import { Rng } from '../util/rng';
import type { Interval } from './wilson';

export type Outcome = 0 | 1 | null;

export interface BootstrapOptions {
  /** Replicates (default 2000). */
  reps?: number;
  /** Seed of the resampling (default 1): the same data gives the same interval. */
  seed?: number;
  /** Two-sided level (default 0.95). */
  level?: number;
}

export interface BootstrapInterval extends Interval {
  estimate: number;
  reps: number;
}

/** A checkpoint's success over the drawn episodes (null if none is usable). */
function checkpointRate(row: readonly Outcome[], episodes: readonly number[] | null): number | null {
  let k = 0;
  let n = 0;
  if (episodes) {
    for (const e of episodes) {
      const y = row[e];
      if (y === null || y === undefined) continue;
      n++;
      k += y;
    }
  } else {
    for (const y of row) {
      if (y === null) continue;
      n++;
      k += y;
    }
  }
  return n ? k / n : null;
}

/** Variant success: the mean of its checkpoints' success rates (each seed weighs the same). NaN with no usable row. */
export function variantSuccess(table: readonly (readonly Outcome[])[], checkpoints?: readonly number[], episodes?: readonly number[]): number {
  let s = 0;
  let m = 0;
  for (const c of checkpoints ?? table.map((_, i) => i)) {
    const r = checkpointRate(table[c]!, episodes ?? null);
    if (r === null) continue;
    s += r;
    m++;
  }
  return m ? s / m : NaN;
}

const draw = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.int(n));

function percentile(sorted: readonly number[], q: number): number {
  // Type-7 (linear) quantile of the replicates.
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]!) - sorted[lo]!);
}

function interval(estimate: number, reps: number[], level: number): BootstrapInterval {
  const ok = reps.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!ok.length || !Number.isFinite(estimate)) return { estimate, lo: NaN, hi: NaN, reps: ok.length };
  const a = (1 - level) / 2;
  return { estimate, lo: percentile(ok, a), hi: percentile(ok, 1 - a), reps: ok.length };
}

/**
 * Variant success with its two-stage bootstrap interval. `table[c][e]`: checkpoint c on episode e
 * (every row the same episodes, in the same order).
 */
export function hierarchicalBootstrap(table: readonly (readonly Outcome[])[], opts: BootstrapOptions = {}): BootstrapInterval {
  const reps = opts.reps ?? 2000;
  const rng = new Rng(opts.seed ?? 1);
  const k = table.length;
  const n = table[0]?.length ?? 0;
  const out: number[] = [];
  for (let r = 0; r < reps; r++) out.push(variantSuccess(table, draw(rng, k), draw(rng, n)));
  return interval(variantSuccess(table), out, opts.level ?? 0.95);
}

/**
 * success(B) − success(A) for two variants on the same episodes (columns aligned), paired by
 * episode: each replicate resamples A's checkpoints and B's checkpoints independently, and one
 * set of episodes for both.
 */
export function pairedHierarchicalBootstrap(a: readonly (readonly Outcome[])[], b: readonly (readonly Outcome[])[], opts: BootstrapOptions = {}): BootstrapInterval {
  const reps = opts.reps ?? 2000;
  const rng = new Rng(opts.seed ?? 1);
  const n = a[0]?.length ?? 0;
  if ((b[0]?.length ?? 0) !== n) throw new RangeError('pairedHierarchicalBootstrap: A and B must cover the same episodes');
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const ca = draw(rng, a.length);
    const cb = draw(rng, b.length);
    const eps = draw(rng, n);
    out.push(variantSuccess(b, cb, eps) - variantSuccess(a, ca, eps));
  }
  return interval(variantSuccess(b) - variantSuccess(a), out, opts.level ?? 0.95);
}

/** Between-seed spread of checkpoint success rates: sample SD and range (null under two checkpoints). */
export function seedSpread(rates: readonly number[]): { sd: number; min: number; max: number } | null {
  const xs = rates.filter((x) => Number.isFinite(x));
  if (xs.length < 2) return null;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
  return { sd, min: Math.min(...xs), max: Math.max(...xs) };
}
