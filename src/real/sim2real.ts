/**
 * `simgate sim2real`: simulated success next to real success, per checkpoint and per position,
 * and across checkpoints whether the simulator ranks them as the robot does.
 *
 * Sim rows are the basket-position episodes (families strong_left … strong_right, as in
 * scenes/lab-basket-v1.json) of simgate results; probe and error rows are left out. Real trials
 * are the counted rows of the ledger. A checkpoint's real name pairs with the sim policy of the
 * same name, or the one given by `match`.
 */
import { wilson, type Interval } from '../stats/wilson';
import type { EpisodeRow } from '../results/schema';
import { POSITIONS, type Position } from './positions';
import { bootstrapAcross, mmrv, pearson, ppiStratified, type BootResult, type Counts, type StratifiedPpi } from './stats';
import type { RealTrial } from './trials';

export interface SuccessRate {
  k: number;
  n: number;
  rate: number;
  ci95: Interval;
}

const rateOf = (k: number, n: number): SuccessRate => ({ k, n, rate: n ? k / n : NaN, ci95: wilson(k, n) });

export interface CheckpointRow {
  checkpoint: string;
  /** The sim policy it was paired with (null: no sim rows). */
  simPolicy: string | null;
  /** Every counted real trial (mapped or not), and every sim basket-position episode. */
  real: SuccessRate | null;
  sim: SuccessRate | null;
  positions: { position: Position; real: SuccessRate | null; sim: SuccessRate | null }[];
  /**
   * What the across-checkpoint measures compare: the equal-weight mean over the positions with
   * both sim and real trials (the lab's protocol is 5 positions × 20 trials).
   */
  compared: { positions: Position[]; sim: number; real: number; simCounts: Counts[]; realCounts: Counts[] } | null;
  /** Real success from real and sim together (prediction-powered inference), over the same positions. */
  ppi: (StratifiedPpi & { note: string }) | null;
}

export interface Sim2RealReport {
  tool: 'simgate sim2real';
  createdAt: string;
  ledger: string;
  simFiles: string[];
  checkpoints: CheckpointRow[];
  /** SimplerEnv's measures across the checkpoints with both sides (null with fewer than 2). */
  across: { checkpoints: string[]; pearson: BootResult; mmrv: BootResult; note: string } | null;
  realOnly: string[];
  simOnly: string[];
}

export const isPositionFamily = (f: string): f is Position => (POSITIONS as readonly string[]).includes(f);

/** Sim rows that count: basket-position families, no probes, no error rows. */
export function simRowsForPositions(rows: readonly EpisodeRow[]): EpisodeRow[] {
  return rows.filter((r) => !r.probe && isPositionFamily(r.family) && r.outcome !== 'error' && r.outcome !== 'policy_error');
}

export interface Sim2RealInput {
  ledgerFile: string;
  trials: readonly RealTrial[];
  simFiles: string[];
  simRows: readonly EpisodeRow[];
  /** real checkpoint → sim policy name. */
  match?: Record<string, string>;
  bootstrapDraws?: number;
}

export function sim2real(input: Sim2RealInput): Sim2RealReport {
  const counted = input.trials.filter((t) => t.counted && t.result);
  const sim = simRowsForPositions(input.simRows);
  const simPolicies = [...new Set(sim.map((r) => r.policy))];
  const realNames = [...new Set(counted.map((t) => t.checkpoint))];
  const match = input.match ?? {};
  const simFor = (c: string) => match[c] ?? (simPolicies.includes(c) ? c : null);
  const usedSim = new Set<string>();

  const checkpoints: CheckpointRow[] = realNames.map((checkpoint) => {
    const real = counted.filter((t) => t.checkpoint === checkpoint);
    const simPolicy = simFor(checkpoint);
    const simRows = simPolicy ? sim.filter((r) => r.policy === simPolicy) : [];
    if (simPolicy && simRows.length) usedSim.add(simPolicy);
    const ok = (t: RealTrial) => (t.result === 'success' ? 1 : 0);
    const positions = POSITIONS.map((position) => {
      const r = real.filter((t) => t.position === position);
      const s = simRows.filter((x) => x.family === position);
      return { position, real: r.length ? rateOf(r.reduce((a, t) => a + ok(t), 0), r.length) : null, sim: s.length ? rateOf(s.filter((x) => x.outcome === 'success').length, s.length) : null };
    });
    const both = positions.filter((p) => p.real && p.sim);
    const compared = both.length
      ? {
          positions: both.map((p) => p.position),
          sim: both.reduce((a, p) => a + p.sim!.rate, 0) / both.length,
          real: both.reduce((a, p) => a + p.real!.rate, 0) / both.length,
          simCounts: both.map((p) => ({ k: p.sim!.k, n: p.sim!.n })),
          realCounts: both.map((p) => ({ k: p.real!.k, n: p.real!.n })),
        }
      : null;
    let ppi: CheckpointRow['ppi'] = null;
    if (both.length) {
      // A real trial is paired with the simulation by its position (the log records no start pose
      // or seed): f = the position's sim success rate; every sim episode of the position is an
      // unlabeled prediction. Within a position f is then constant and PPI++ gives it weight 0 —
      // the interval is the stratified real one. Per-trial pairing (the same initial condition in
      // sim and on the robot, SureSim's real-to-sim step) is what lets sim narrow it.
      const res = ppiStratified(
        both.map((p) => {
          const simP = simRows.filter((x) => x.family === p.position).map((x) => (x.outcome === 'success' ? 1 : 0));
          return { name: p.position, weight: 1, pairs: real.filter((t) => t.position === p.position).map((t) => ({ y: ok(t), f: p.sim!.rate })), unlabeled: simP };
        }),
      );
      const gain = res.strata.some((s) => s.lambda > 0);
      ppi = { ...res, note: gain ? 'sim predictions weighted by PPI++ where they explain real outcomes' : 'λ = 0 in every position: paired only by position, the simulation cannot explain which real trials succeed; record the sim scene and seed of each real trial to pair them (SureSim)' };
    }
    const simK = simRows.filter((x) => x.outcome === 'success').length;
    return {
      checkpoint,
      simPolicy: simPolicy && simRows.length ? simPolicy : null,
      real: real.length ? rateOf(real.reduce((a, t) => a + ok(t), 0), real.length) : null,
      sim: simRows.length ? rateOf(simK, simRows.length) : null,
      positions,
      compared,
      ppi,
    };
  });

  const paired = checkpoints.filter((c) => c.compared);
  let across: Sim2RealReport['across'] = null;
  if (paired.length >= 2) {
    const draws = input.bootstrapDraws ?? 2000;
    // Each checkpoint's compared value is an equal-weight mean over positions: resample each
    // position's trials, then average.
    const stat = (fn: (s: number[], r: number[]) => number | null) =>
      bootstrapStratified(
        paired.map((c) => c.compared!.simCounts),
        paired.map((c) => c.compared!.realCounts),
        fn,
        draws,
      );
    across = {
      checkpoints: paired.map((c) => c.checkpoint),
      pearson: stat(pearson),
      mmrv: stat(mmrv),
      note: paired.length < 5 ? `only ${paired.length} checkpoints: Pearson r and MMRV need several (SimplerEnv compared 4–7 per task) before they mean much` : '',
    };
  }
  return {
    tool: 'simgate sim2real',
    createdAt: new Date().toISOString(),
    ledger: input.ledgerFile,
    simFiles: input.simFiles,
    checkpoints,
    across,
    realOnly: checkpoints.filter((c) => !c.simPolicy).map((c) => c.checkpoint),
    simOnly: simPolicies.filter((p) => !usedSim.has(p)),
  };
}

/**
 * bootstrapAcross for checkpoints whose value is an equal-weight mean over positions: each
 * position's counts are resampled separately (the generic bootstrap resamples one pool).
 */
function bootstrapStratified(sim: Counts[][], real: Counts[][], fn: (s: number[], r: number[]) => number | null, draws: number): BootResult {
  // Flatten to one Counts per (checkpoint, position) and let the statistic average back.
  const shape = sim.map((s) => s.length);
  const unflatten = (xs: number[]) => {
    const out: number[] = [];
    let i = 0;
    for (const len of shape) {
      out.push(xs.slice(i, i + len).reduce((a, b) => a + b, 0) / len);
      i += len;
    }
    return out;
  };
  return bootstrapAcross(sim.flat(), real.flat(), (s, r) => fn(unflatten(s), unflatten(r)), { draws });
}
