/**
 * The sequential gate's run (`gate: { sequential: true }`, `--sequential`): the baseline and the
 * candidates run each split in blocks, in a fixed seeded order that interleaves families; after
 * every block the paired evidence is tested (src/compare/sequential.ts, statistics in
 * src/stats/sequential.ts) and a split stops as soon as it is decided, or at the budget. The
 * other policies of the run (scripted references, …) then run the whole plan, as usual.
 *
 * It drives runPlan (src/runner/run.ts, the `drive` option): rows stream to episodes.jsonl as in
 * any run, resume replays the same blocks (rows already there are skipped), and since each block
 * is decided from the rows alone — not the batch size, not timing — the same config gives the
 * same rows whatever the batch size.
 */
import {
  ALPHA,
  DEFAULT_BLOCK,
  DEFAULT_ORDER_SEED,
  policyRows,
  rowsById,
  SEQUENTIAL_METHOD,
  sequentialGate,
  sequentialLine,
  sequentialOrder,
  type BaselineSpec,
  type GroupState,
  type OrderItem,
} from '../compare';
import type { BenchConfig } from '../config/config';
import { readRows } from '../results/read';
import { rowKey } from '../results/layout';
import { outputFiles } from '../results/layout';
import { writeFileAtomic } from '../results/jsonl';
import { splitOf, type EpisodeRow, type RunResults, type SequentialRecord } from '../results/schema';
import { taskOf } from '../scene/schema';
import type { EpisodeSpec } from '../sim/episode';
import { ConfigError } from '../util/errors';
import type { Drive, RunOptions } from './run';

/** The group (split, or probe) an episode is reported and gated under: as compare's groupOf. */
export const episodeGroup = (e: EpisodeSpec): string =>
  e.probe ? `probe:${e.probe}` : splitOf({ split: e.split, ...(taskOf(e.scene).rule === 'stop' ? { task: 'stop' as const } : {}) });

interface Pairing {
  a: string;
  b: string;
  /** A's rows from a file (a stored baseline or a previous run); else A runs here. */
  aFixed?: Map<string, EpisodeRow>;
}

export interface SequentialRun {
  drive: Drive;
  /** The decisions, once the drive has ended (undefined before). */
  record(): SequentialRecord | undefined;
}

/**
 * Set up a sequential gate run. Refused (exit 2) without a baseline, with --shard (a split's
 * episodes must all be in one run to be looked at in order) or with a non-local executor.
 */
export function sequentialRun(config: BenchConfig, baseline: BaselineSpec | undefined, opts: RunOptions & { notice?: (line: string) => void } = {}): SequentialRun {
  if (!baseline) throw new ConfigError('gate.sequential: needs a baseline to compare against', 'Set `baseline` (or --baseline): a policy of this run, a results.json or a stored baseline.');
  if (opts.shard && opts.shard.total > 1) throw new ConfigError('gate.sequential: not with --shard (the gate looks at each split in order, in one run)', 'Run the sequential gate unsharded, or drop --sequential.');
  if (opts.executor && !opts.executor.local) throw new ConfigError('gate.sequential: runs locally only (its blocks depend on the rows of the previous ones)', 'Drop the queue executor, or drop --sequential.');
  const gate = { block: config.gate?.block ?? DEFAULT_BLOCK, ...(config.gate?.maxEpisodes ? { maxEpisodes: config.gate.maxEpisodes } : {}) };
  const gateOpts = { tolerance: config.tolerance, alpha: ALPHA, ...gate };
  let record: SequentialRecord | undefined;

  const drive: Drive = async ({ policies, episodes, rows, run }) => {
    const names = policies.map((p) => p.name);
    const pairings = pairingsOf(config, baseline, names);
    const items: (OrderItem & { spec: EpisodeSpec })[] = episodes.map((spec) => ({ id: spec.id, family: spec.family, group: episodeGroup(spec), spec }));
    // A baseline from a file pairs only the episodes it has.
    const orders = pairings.map((p) => sequentialOrder(p.aFixed ? items.filter((i) => p.aFixed!.has(i.id)) : items, DEFAULT_ORDER_SEED));
    const rowsOf = (name: string) => {
      const m = new Map<string, EpisodeRow>();
      for (const e of episodes) {
        const r = rows.get(rowKey(name, e.id));
        if (r) m.set(e.id, r);
      }
      return m;
    };
    const states = () => pairings.map((p, k) => sequentialGate(orders[k]!, p.aFixed ?? rowsOf(p.a), rowsOf(p.b), gateOpts));
    const told = new Set<string>();
    let current = states();
    for (;;) {
      // Each undecided split's current block, for both sides of each undecided comparison.
      const need = new Map<string, Set<string>>();
      current.forEach((groups, k) => {
        const p = pairings[k]!;
        for (const g of groups) {
          const key = `${p.b}\u0000${p.a}\u0000${g.group}`;
          if (g.final && !told.has(key)) {
            told.add(key);
            opts.notice?.(`sequential gate, ${p.b} vs ${p.a}: ${sequentialLine(g)}`);
          }
          if (g.final) continue;
          const start = Math.floor(g.episodes / gate.block) * gate.block;
          const block = orders[k]!.get(g.group)!.slice(start, Math.min(start + gate.block, g.budget));
          for (const who of p.aFixed ? [p.b] : [p.a, p.b]) {
            const set = need.get(who) ?? new Set<string>();
            for (const it of block) set.add(it.id);
            need.set(who, set);
          }
        }
      });
      if (!need.size) break;
      const before = rows.size;
      // Policies in config order, each on its block episodes in plan order.
      for (const name of names) {
        const ids = need.get(name);
        if (ids) await run(name, episodes.filter((e) => ids.has(e.id)));
      }
      current = states();
      if (rows.size === before) {
        // Nothing ran: the run is stopping (Ctrl-C).
        record = makeRecord(config, gate, pairings, current);
        return false;
      }
    }
    record = makeRecord(config, gate, pairings, current);
    // The rest of the run's policies are references, not judged: the whole plan, as without the gate.
    const gated = new Set(pairings.flatMap((p) => (p.aFixed ? [p.b] : [p.a, p.b])));
    for (const name of names) if (!gated.has(name)) await run(name, episodes);
    const othersDone = names.filter((n) => !gated.has(n)).every((n) => episodes.every((e) => rows.has(rowKey(n, e.id))));
    return othersDone && current.every((groups) => groups.every((g) => g.final));
  };
  return { drive, record: () => record };
}

/** Who is compared with whom: as benchComparisons (src/compare/bench.ts). */
function pairingsOf(config: BenchConfig, baseline: BaselineSpec, names: readonly string[]): Pairing[] {
  const judged = names.filter((n) => !config.candidates || config.candidates.includes(n));
  if (baseline.kind === 'policy') return judged.filter((n) => n !== baseline.name).map((b) => ({ a: baseline.name, b }));
  const base = readRows(baseline.file);
  const inFile = [...new Set(base.episodes.map((r) => r.policy))];
  if (inFile.length === 1) {
    const { policy, rows } = policyRows(base, undefined, '--baseline');
    const aFixed = rowsById(rows);
    return judged.map((b) => ({ a: policy.name, b, aFixed }));
  }
  return judged.filter((n) => inFile.includes(n)).map((n) => ({ a: n, b: n, aFixed: rowsById(policyRows(base, n, '--baseline').rows) }));
}

function makeRecord(config: BenchConfig, gate: { block: number; maxEpisodes?: number }, pairings: readonly Pairing[], states: readonly GroupState[][]): SequentialRecord {
  return {
    method: SEQUENTIAL_METHOD,
    alpha: ALPHA,
    tolerance: config.tolerance,
    block: gate.block,
    ...(gate.maxEpisodes ? { maxEpisodes: gate.maxEpisodes } : {}),
    orderSeed: DEFAULT_ORDER_SEED,
    comparisons: pairings.map((p, k) => ({ a: p.a, b: p.b, groups: states[k]!.map(({ final: _f, ...g }) => g) })),
  };
}

/** Put the record into the run's results (and its results.json). */
export function attachSequential(results: RunResults, record: SequentialRecord, dir: string): RunResults {
  results.sequential = record;
  writeFileAtomic(outputFiles(dir).results, JSON.stringify(results, null, 1) + '\n');
  return results;
}
