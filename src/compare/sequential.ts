/**
 * The sequential gate over episode rows: the episode order a sequential run follows, and the
 * decision per split given the rows so far. The runner (src/runner/sequential.ts) calls
 * `sequentialGate` after every block to know which splits go on; the same call on the final rows
 * gives the record in results.json, so the decisions can be recomputed from the rows alone.
 * Statistics: src/stats/sequential.ts.
 */
import type { EpisodeRow, SequentialGroupRecord, SequentialRecord } from '../results/schema';
import { pairedConfidenceSequence, PairedSequentialTest } from '../stats/sequential';
import { sha256 } from '../util/hash';
import type { Comparison } from './compare';
import { ALPHA, overall } from './verdict';

export const SEQUENTIAL_METHOD =
  'anytime-valid paired test by betting (Waudby-Smith & Ramdas 2024, JRSS-B 86(1):1–27; aGRAPA bets, Ville’s inequality): per split, REGRESSION when the e-process against "B is not worse" reaches 2/α and B − A < −tolerance; PASS when the e-process against "B − A ≤ −tolerance" reaches 2/α; looks after every block; INCONCLUSIVE at the budget';

/** Default episodes per split per block, and the seed of the episode order. */
export const DEFAULT_BLOCK = 8;
export const DEFAULT_ORDER_SEED = 17;

export interface OrderItem {
  id: string;
  family: string;
  group: string;
}

/**
 * The fixed, seeded order a sequential run draws each split's episodes in. Within a family,
 * episodes are ranked by sha256(seed, id) (a seeded shuffle that depends on nothing else: not the
 * batch size, not the other episodes); families are interleaved in proportion to their size (the
 * k-th of n episodes of a family sits at (k + ½)/n), so every prefix has the split's family mix and
 * a split cannot look decided on one easy family. Groups keep their first-seen order.
 */
export function sequentialOrder<T extends OrderItem>(items: readonly T[], seed = DEFAULT_ORDER_SEED): Map<string, T[]> {
  const byGroup = new Map<string, Map<string, T[]>>();
  for (const it of items) {
    let fams = byGroup.get(it.group);
    if (!fams) byGroup.set(it.group, (fams = new Map()));
    const list = fams.get(it.family) ?? [];
    list.push(it);
    fams.set(it.family, list);
  }
  const out = new Map<string, T[]>();
  for (const [group, fams] of byGroup) {
    const keyed: { item: T; at: number; fam: number; rank: string }[] = [];
    [...fams.values()].forEach((list, fam) => {
      const ranked = list.map((item) => ({ item, rank: sha256(`${seed}|${item.id}`) })).sort((x, y) => (x.rank < y.rank ? -1 : x.rank > y.rank ? 1 : 0));
      ranked.forEach(({ item, rank }, k) => keyed.push({ item, at: (k + 0.5) / ranked.length, fam, rank }));
    });
    keyed.sort((x, y) => x.at - y.at || x.fam - y.fam || (x.rank < y.rank ? -1 : 1));
    out.set(group, keyed.map((k) => k.item));
  }
  return out;
}

export interface SequentialGateOptions {
  tolerance: number;
  alpha?: number;
  /** Episodes per split per block (looks after each). */
  block: number;
  /** Per-split cap on episodes. */
  maxEpisodes?: number;
}

export interface GroupState extends SequentialGroupRecord {
  /** No more episodes of this split are needed for this comparison (decided or budget reached). */
  final: boolean;
}

const isError = (r: EpisodeRow) => r.outcome === 'error' || r.outcome === 'policy_error';
const ok = (r: EpisodeRow) => r.measures.success === true;

/**
 * Where one comparison (A = baseline, B = candidate) stands on each split, given the rows so far:
 * pairs are fed in the order's sequence, with a look after each block; the first block whose rows
 * are not all there yet ends the replay (that block is still running). Pairs with an error row on
 * either side are skipped (error rows are no success and no failure), but use up their episode.
 */
export function sequentialGate(
  order: ReadonlyMap<string, readonly OrderItem[]>,
  aRows: ReadonlyMap<string, EpisodeRow>,
  bRows: ReadonlyMap<string, EpisodeRow>,
  opts: SequentialGateOptions,
): GroupState[] {
  const block = Math.max(1, Math.floor(opts.block));
  const out: GroupState[] = [];
  for (const [group, items] of order) {
    const budget = Math.min(items.length, opts.maxEpisodes ?? Infinity);
    const test = new PairedSequentialTest({ tolerance: opts.tolerance, alpha: opts.alpha ?? ALPHA });
    const diffs: number[] = [];
    let pos = 0;
    let final = false;
    let stoppedBy: GroupState['stoppedBy'] = 'interrupted';
    let state = test.state();
    for (let end = Math.min(block, budget); ; end = Math.min(end + block, budget)) {
      let missing = false;
      for (; pos < end; pos++) {
        const id = items[pos]!.id;
        const a = aRows.get(id);
        const b = bRows.get(id);
        if (!a || !b) {
          missing = true;
          break;
        }
        if (isError(a) || isError(b)) continue;
        test.push(ok(a), ok(b));
        diffs.push((ok(b) ? 1 : 0) - (ok(a) ? 1 : 0));
      }
      if (missing) break;
      state = test.look();
      if (state.decision !== 'INCONCLUSIVE') {
        final = true;
        stoppedBy = 'decision';
        break;
      }
      if (end >= budget) {
        final = true;
        stoppedBy = 'budget';
        break;
      }
    }
    out.push({
      group,
      decision: state.decision,
      stoppedBy,
      final,
      episodes: pos,
      pairs: state.n,
      budget,
      fixedN: items.length,
      diff: state.diff,
      b: state.b,
      c: state.c,
      eRegression: state.eRegression,
      ePass: state.ePass,
      cs: pairedConfidenceSequence(diffs, opts.alpha ?? ALPHA),
    });
  }
  return out;
}

/** Episode rows of one policy by episode id. */
export const rowsById = (rows: readonly EpisodeRow[]): Map<string, EpisodeRow> => new Map(rows.map((r) => [r.episodeId, r]));

/**
 * A batch comparison of the same rows with the sequential decisions in place of the batch
 * verdicts (the batch interval and p are not valid after optional stopping; the anytime-valid
 * confidence sequence is shown instead, see compareTable).
 */
export function withSequential(cmp: Comparison, rec: SequentialRecord): Comparison {
  const mine = rec.comparisons.find((c) => c.a === cmp.a.policy && c.b === cmp.b.policy);
  if (!mine) return cmp;
  const groups = cmp.groups.map((g) => {
    if (g.family !== 'all') return g;
    const s = mine.groups.find((x) => x.group === g.group);
    return s ? { ...g, verdict: s.decision, sequential: s } : g;
  });
  const gated = groups.filter((g) => g.verdict).map((g) => g.verdict!);
  return { ...cmp, groups, verdict: gated.length ? overall(gated) : 'INCONCLUSIVE', methods: { ...cmp.methods, rule: SEQUENTIAL_METHOD } };
}

/** "novel: REGRESSION after 40 of 80 episodes (fixed-n run: 80)". */
export function sequentialLine(s: SequentialGroupRecord): string {
  const how =
    s.stoppedBy === 'decision'
      ? `${s.decision} after ${s.episodes} episodes`
      : s.stoppedBy === 'budget'
        ? `INCONCLUSIVE at the budget, ${s.episodes} episodes`
        : `undecided when the run stopped, ${s.episodes} episodes`;
  const saved = s.fixedN - s.episodes;
  return `${s.group}: ${how} (fixed-n run: ${s.fixedN}${saved > 0 ? `; ${saved} fewer per policy` : ''})`;
}
