import { table, getBorderCharacters } from 'table';
import type { Aggregate, RunResults } from '../results/schema';
import { pct, pctWithInterval } from '../util/format';
import { topFailures } from '../measures/aggregate';

// n = 0 (every row of the split an error): no rate, not "0% [0–100]".
const ci = (a: Aggregate) => (a.n ? pctWithInterval(a.success, a.ci95) : '–');

export interface TableOptions {
  /** Also break down per family (default true). */
  families?: boolean;
}

/** The summary: one row per policy × split (all families pooled). */
export function summaryTable(results: RunResults): string {
  const budget = new Map(results.policies.map((p) => [p.name, p]));
  const rows: string[][] = [['policy', 'variant', 'split', 'n', 'success [95% CI]', 'SPL', 'coll/ep', 'instr-followed', 'errors', 'latency p50/p95', 'top failures']];
  for (const a of results.aggregates.filter((a) => a.family === 'all' && !a.probe)) {
    const info = budget.get(a.policy);
    const raw = info?.details?.latency as { p50?: number; p95?: number } | undefined;
    // No answered call (a dead policy server) leaves p50/p95 undefined or NaN: show nothing.
    const lat = Number.isFinite(raw?.p50) && Number.isFinite(raw?.p95) ? (raw as { p50: number; p95: number }) : undefined;
    const over = lat !== undefined && info?.budgetMs !== undefined && lat.p95 > info.budgetMs;
    // A server's own latency_ms beside the round trip: the difference is transport and encoding.
    const srv = info?.details?.serverLatency as { p50?: number; p95?: number } | undefined;
    const server = Number.isFinite(srv?.p50) && Number.isFinite(srv?.p95) ? ` (server ${srv!.p50!.toFixed(1)}/${srv!.p95!.toFixed(1)})` : '';
    rows.push([
      a.policy,
      a.variant,
      a.split,
      String(a.n),
      ci(a),
      a.n ? a.spl.toFixed(2) : '–',
      a.n ? a.collisionsPerEpisode.toFixed(2) : '–',
      !a.n || Number.isNaN(a.instructionFollowed) ? '–' : pct(a.instructionFollowed),
      String(a.errors),
      lat ? `${lat.p50.toFixed(1)}/${lat.p95.toFixed(1)} ms${server}${over ? ' OVER BUDGET' : ''}` : '–',
      topFailures(a.failures ?? {}),
    ]);
  }
  return table(rows, { border: getBorderCharacters('norc'), drawHorizontalLine: (i, n) => i <= 1 || i === n });
}

/** Success per family: policies as columns, families as rows. */
export function familyTable(results: RunResults): string {
  const aggs = results.aggregates.filter((a) => a.family !== 'all' && !a.probe);
  const policies = [...new Set(aggs.map((a) => a.policy))];
  const keys = [...new Set(aggs.map((a) => `${a.split}\u0000${a.family}`))];
  const rows: string[][] = [['split', 'family', ...policies]];
  for (const k of keys) {
    const [split, family] = k.split('\u0000') as [string, string];
    rows.push([
      split,
      family,
      ...policies.map((p) => {
        const a = aggs.find((x) => x.policy === p && x.split === split && x.family === family);
        return a ? `${a.n ? pct(a.success) : '–'} (n=${a.n})` : '–';
      }),
    ]);
  }
  return table(rows, { border: getBorderCharacters('norc'), drawHorizontalLine: (i, n) => i <= 1 || i === n });
}
