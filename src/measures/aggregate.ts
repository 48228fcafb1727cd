import { splitOf, type Aggregate, type EpisodeRow } from '../results/schema';
import { wilson } from '../stats/wilson';

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const numeric = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

const isError = (r: EpisodeRow) => r.outcome === 'error' || r.outcome === 'policy_error';

/**
 * Aggregate rows that share a policy, split, family (use "all" to pool) and probe.
 *
 * Error rows (`error`, `policy_error`: a crashed runtime, a policy server that timed out, an
 * episode past its wall-clock limit) say nothing about the policy's driving, so they are never
 * counted as a success or as a failure: `n` and every rate and mean are over the other rows, and
 * `errors` counts them (shown in the tables; the run exits 1 when there are any).
 */
export function aggregateRows(allRows: readonly EpisodeRow[], key: { policy: string; variant: string; split: string; family: string; probe?: string }): Aggregate {
  const rows = allRows.filter((r) => !isError(r));
  const n = rows.length;
  const successes = rows.filter((r) => r.measures.success === true).length;
  const ci = wilson(successes, n);
  return {
    ...key,
    n,
    successes,
    success: n ? successes / n : 0,
    ci95: ci,
    spl: mean(rows.map((r) => numeric(r.measures.spl))),
    softSpl: mean(rows.map((r) => numeric(r.measures.soft_spl))),
    collisionsPerEpisode: mean(rows.map((r) => numeric(r.measures.collisions))),
    instructionFollowed: followedShare(rows),
    errors: allRows.length - n,
    meanSteps: mean(rows.map((r) => numeric(r.measures.steps))),
    failures: failureCounts(allRows),
  };
}

/**
 * Per policy × split, pooled over families ("all"), then per policy × split × family, and per
 * probe. Rows are grouped in first-seen order so the output order is stable.
 */
export function aggregate(rows: readonly EpisodeRow[]): Aggregate[] {
  const groups = new Map<string, { key: Parameters<typeof aggregateRows>[1]; rows: EpisodeRow[] }>();
  const add = (key: Parameters<typeof aggregateRows>[1], r: EpisodeRow) => {
    const k = JSON.stringify([key.policy, key.split, key.family, key.probe ?? '']);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key, rows: [] }));
    g.rows.push(r);
  };
  for (const r of rows) {
    const base = { policy: r.policy, variant: r.variant, split: splitOf(r), ...(r.probe ? { probe: r.probe } : {}) };
    add({ ...base, family: 'all' }, r);
  }
  for (const r of rows) {
    const base = { policy: r.policy, variant: r.variant, split: splitOf(r), ...(r.probe ? { probe: r.probe } : {}) };
    add({ ...base, family: r.family }, r);
  }
  return [...groups.values()].map((g) => aggregateRows(g.rows, g.key));
}

/** Failed rows by primary failure code, most frequent first (ties by code); error rows count as policy_error. */
export function failureCounts(rows: readonly EpisodeRow[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) {
    if (r.outcome === 'success') continue;
    const code = isError(r) ? 'policy_error' : typeof r.measures.failure === 'string' ? r.measures.failure : r.outcome;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** "collision 12, timeout 3": the most frequent failure codes. */
export function topFailures(failures: Record<string, number>, k = 2): string {
  const top = Object.entries(failures).slice(0, k);
  return top.length ? top.map(([c, n]) => `${c} ${n}`).join(', ') : '–';
}

/** Share of rows that passed on the instructed side, among rows where it applies (obstacles in the way); NaN when none. */
export function followedShare(rows: readonly EpisodeRow[]): number {
  const applicable = rows.filter((r) => typeof r.measures.instruction_followed === 'boolean');
  return applicable.length ? applicable.filter((r) => r.measures.instruction_followed === true).length / applicable.length : NaN;
}
