import { splitOf, type EpisodeRow, type SequentialGroupRecord } from '../results/schema';
import { mcnemarExact } from '../stats/mcnemar';
import { pairedMde } from '../stats/mde';
import { newcombePaired, type DiffInterval, type PairedTable } from '../stats/paired-diff';
import { wilson, type Interval } from '../stats/wilson';
import { pairRows } from './pair';
import { ALPHA, overall, verdict, type Verdict } from './verdict';

export interface SideStats {
  successes: number;
  success: number;
  ci95: Interval;
  /** Share passing the obstacles on the instructed side (shown, not gated). */
  instructionFollowed: number;
  /** This side's error rows among the episodes both ran: those pairs are left out of n. */
  errors: number;
}

export interface CompareGroup {
  /** The split ("in-distribution", "novel") or "probe:<name>" for a probe's episodes. */
  group: string;
  /** "all" (pooled; carries the verdict) or one family (informational: no verdict). */
  family: string;
  /** Pairs compared: episodes both ran, neither side an error row (errors are no success and no failure). */
  n: number;
  a: SideStats;
  b: SideStats;
  table: PairedTable;
  /** success(B) − success(A), Newcombe paired interval. */
  diff: DiffInterval;
  /** Exact McNemar two-sided p. */
  p: number;
  /** Smallest |difference| detectable at this n (α 0.05, power 0.8, observed discordance). */
  mde: number | null;
  /** Episodes A succeeded on and B failed (b), and the reverse (c). */
  lost: EpisodeRef[];
  gained: EpisodeRef[];
  verdict?: Verdict;
  /** Set when a sequential gate decided this split (src/compare/sequential.ts): its verdict is the one above. */
  sequential?: SequentialGroupRecord;
}

export interface EpisodeRef {
  episodeId: string;
  sceneId: string;
  seed: number;
}

export interface UnpairedEpisode extends EpisodeRef {
  group: string;
}

export interface Side {
  policy: string;
  variant: string;
  source: string;
}

export interface Comparison {
  a: Side;
  b: Side;
  tolerance: number;
  alpha: number;
  groups: CompareGroup[];
  onlyA: UnpairedEpisode[];
  onlyB: UnpairedEpisode[];
  /** REGRESSION if any split regresses; PASS if every split passes; else INCONCLUSIVE. */
  verdict: Verdict;
  methods: Record<'difference' | 'test' | 'mde' | 'rule', string>;
}

export const METHODS: Comparison['methods'] = {
  difference: 'paired difference success(B) − success(A), 95% interval by Newcombe (1998) method 10 (Wilson square-and-add with continuity-corrected φ)',
  test: 'exact McNemar: two-sided binomial test on the discordant pairs, p = min(1, 2·P(X ≤ min(b, c))), X ~ Bin(b + c, ½)',
  mde: "Connor (1987) paired sample-size formula solved for δ at α = 0.05, power 0.8, observed discordance (floored at δ)",
  rule: 'per split: REGRESSION if diff < −tolerance and p < 0.05; PASS if the interval lower bound ≥ −tolerance; else INCONCLUSIVE. Families are informational.',
};

export const groupOf = (r: EpisodeRow): string => (r.probe ? `probe:${r.probe}` : splitOf(r));
const ok = (r: EpisodeRow) => r.measures.success === true;
const isError = (r: EpisodeRow) => r.outcome === 'error' || r.outcome === 'policy_error';

function sideStats(rows: readonly EpisodeRow[], errors: number): SideStats {
  const n = rows.length;
  const k = rows.filter(ok).length;
  return {
    successes: k,
    success: n ? k / n : 0,
    ci95: wilson(k, n),
    instructionFollowed: n ? rows.filter((r) => r.measures.instruction_followed === true).length / n : 0,
    errors,
  };
}

function groupStats(group: string, family: string, all: readonly { a: EpisodeRow; b: EpisodeRow }[], tolerance: number): CompareGroup {
  // A pair with an error row on either side says nothing about driving: out of n, as everywhere.
  const pairs = all.filter((x) => !isError(x.a) && !isError(x.b));
  const t: PairedTable = { a: 0, b: 0, c: 0, d: 0 };
  const lost: EpisodeRef[] = [];
  const gained: EpisodeRef[] = [];
  const ref = (r: EpisodeRow): EpisodeRef => ({ episodeId: r.episodeId, sceneId: r.sceneId, seed: r.seed });
  for (const { a, b } of pairs) {
    if (ok(a) && ok(b)) t.a++;
    else if (ok(a)) (t.b++, lost.push(ref(a)));
    else if (ok(b)) (t.c++, gained.push(ref(a)));
    else t.d++;
  }
  const n = pairs.length;
  const diff = newcombePaired(t);
  const { p } = mcnemarExact(t.b, t.c);
  return {
    group,
    family,
    n,
    a: sideStats(pairs.map((x) => x.a), all.filter((x) => isError(x.a)).length),
    b: sideStats(pairs.map((x) => x.b), all.filter((x) => isError(x.b)).length),
    table: t,
    diff,
    p,
    mde: pairedMde(n, n ? (t.b + t.c) / n : 0),
    lost,
    gained,
    ...(family === 'all' ? { verdict: verdict(diff, p, n, tolerance) } : {}),
  };
}

/**
 * Compare policy B against A (the baseline) on the episodes both ran, per split (and probe),
 * pooled and per family. Rows are the episode rows of one policy each.
 */
export function compareRows(a: { rows: readonly EpisodeRow[] } & Side, b: { rows: readonly EpisodeRow[] } & Side, tolerance: number): Comparison {
  const { pairs, onlyA, onlyB } = pairRows(a.rows, b.rows);
  const byGroup = new Map<string, Map<string, typeof pairs>>();
  for (const pr of pairs) {
    const g = groupOf(pr.a);
    let fams = byGroup.get(g);
    if (!fams) byGroup.set(g, (fams = new Map()));
    const list = fams.get(pr.a.family) ?? [];
    list.push(pr);
    fams.set(pr.a.family, list);
  }
  const groups: CompareGroup[] = [];
  for (const [g, fams] of byGroup) {
    groups.push(groupStats(g, 'all', [...fams.values()].flat(), tolerance));
    for (const [f, ps] of fams) groups.push(groupStats(g, f, ps, tolerance));
  }
  const unpaired = (r: EpisodeRow): UnpairedEpisode => ({ episodeId: r.episodeId, group: groupOf(r), sceneId: r.sceneId, seed: r.seed });
  const gated = groups.filter((g) => g.verdict).map((g) => g.verdict!);
  return {
    a: { policy: a.policy, variant: a.variant, source: a.source },
    b: { policy: b.policy, variant: b.variant, source: b.source },
    tolerance,
    alpha: ALPHA,
    groups,
    onlyA: onlyA.map(unpaired),
    onlyB: onlyB.map(unpaired),
    verdict: gated.length ? overall(gated) : 'INCONCLUSIVE',
    methods: METHODS,
  };
}
