import type { LoadedResults } from '../results/read';
import type { EpisodeRow } from '../results/schema';
import type { EpisodeTrace } from '../sim/trace';
import { findRow, replaySpec, tracedRows } from './load';
import { describeDivergence, resimulate } from './simulate';

export interface ReplayCheck {
  /** Traced rows re-simulated. */
  checked: number;
  /** Those whose re-simulation did not reproduce the recorded state hashes. */
  diverged: { row: EpisodeRow & { trace: EpisodeTrace }; message: string }[];
}

/**
 * `replay --check`: re-simulate traced episodes (one, by id or prefix, or all of them) from their
 * traces and compare every per-step state hash with the recording.
 */
export async function checkReplays(loaded: LoadedResults, opts: { episode?: string; policy?: string; suites?: string[] } = {}): Promise<ReplayCheck> {
  const rows = opts.episode ? [findRow(loaded.results, opts.episode, opts.policy).row] : tracedRows(loaded.results).filter((r) => !opts.policy || r.policy === opts.policy);
  const diverged: ReplayCheck['diverged'] = [];
  for (const row of rows) {
    const spec = replaySpec(loaded, row, opts.suites ? { suites: opts.suites } : {});
    const sim = await resimulate(spec.scene, spec.profile, spec.actionMode, spec.trace);
    if (sim.divergence || sim.malformed) diverged.push({ row, message: sim.divergence ? describeDivergence(sim.divergence) : sim.malformed! });
  }
  return { checked: rows.length, diverged };
}
