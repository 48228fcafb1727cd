import { getBorderCharacters, table } from 'table';
import type { CompareGroup, Comparison, EpisodeRef } from './compare';
import { sequentialLine } from './sequential';
import { pct } from '../util/format';

const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
/** An e-value as the gate tables print it (terminal and report.html). */
export const fmtE = (e: number): string => (e >= 1000 ? e.toExponential(1) : e.toFixed(e < 10 ? 2 : 0));
/** A p-value as the gate tables print it. */
export const pval = (p: number): string => (p >= 0.9995 ? '1' : p < 0.0001 ? '<0.0001' : p.toFixed(4));
const style = { border: getBorderCharacters('norc'), drawHorizontalLine: (i: number, n: number) => i <= 1 || i === n };

function diffCell(g: CompareGroup): string {
  // After a sequential stop the batch interval is not valid: show the anytime-valid one (marked *).
  if (g.sequential) return `${pts(g.sequential.diff)} [${pts(g.sequential.cs.lo)}, ${pts(g.sequential.cs.hi)}]*`;
  return `${pts(g.diff.diff)} [${pts(g.diff.lo)}, ${pts(g.diff.hi)}]`;
}

/** A rate over n pairs; "–" when there are none (every pair had an error row). */
const rate = (x: number, n: number) => (n ? pct(x) : '–');

/** One comparison as a terminal table plus discordant episodes and unpaired counts. */
export function compareTable(cmp: Comparison, opts: { maxIds?: number; families?: boolean } = {}): string {
  const maxIds = opts.maxIds ?? 8;
  const families = opts.families ?? true;
  const out: string[] = [];
  out.push(`${cmp.b.policy} (B) vs ${cmp.a.policy} (A, baseline) — tolerance ${(100 * cmp.tolerance).toFixed(1)} points\n`);
  const rows: string[][] = [['split', 'family', 'pairs', 'A success', 'B success', 'B−A pts [95% CI]', 'McNemar p', 'lost/gained', 'MDE pts', 'instr A→B', 'verdict']];
  for (const g of cmp.groups.filter((x) => families || x.family === 'all')) {
    rows.push([
      g.family === 'all' || !families ? g.group : '',
      g.family,
      String(g.n),
      rate(g.a.success, g.n),
      rate(g.b.success, g.n),
      diffCell(g),
      g.sequential ? `e ${fmtE(Math.max(g.sequential.eRegression, g.sequential.ePass))}` : pval(g.p),
      `${g.table.b}/${g.table.c}`,
      g.mde === null ? '>100' : (100 * g.mde).toFixed(1),
      `${rate(g.a.instructionFollowed, g.n)}→${rate(g.b.instructionFollowed, g.n)}`,
      g.verdict ?? '',
    ]);
  }
  out.push(table(rows, style));
  const seq = cmp.groups.filter((g) => g.sequential);
  if (seq.length) {
    out.push(`  Sequential gate (* anytime-valid 95% confidence sequence; "e": the larger e-value, decisive at ${(2 / cmp.alpha).toFixed(0)}):\n`);
    for (const g of seq) out.push(`  ${sequentialLine(g.sequential!)}\n`);
  }
  const errs = cmp.groups.filter((g) => g.family === 'all' && (g.a.errors || g.b.errors));
  for (const g of errs) out.push(`  ${g.group}: ${g.a.errors + g.b.errors} error row(s) (A ${g.a.errors}, B ${g.b.errors}): those pairs are not compared\n`);
  const label = (e: EpisodeRef) => `${e.sceneId}#${e.seed} (${e.episodeId})`;
  const list = (xs: EpisodeRef[]) => xs.slice(0, maxIds).map(label).join(', ') + (xs.length > maxIds ? `, … ${xs.length - maxIds} more (see --json)` : '');
  for (const g of cmp.groups.filter((x) => x.family === 'all' && (x.lost.length || x.gained.length))) {
    if (g.lost.length) out.push(`  ${g.group}: lost (A ok, B failed) ${g.lost.length}: ${list(g.lost)}\n`);
    if (g.gained.length) out.push(`  ${g.group}: gained (A failed, B ok) ${g.gained.length}: ${list(g.gained)}\n`);
  }
  const unpaired = (xs: Comparison['onlyA'], who: string) => {
    if (!xs.length) return;
    const by = new Map<string, number>();
    for (const x of xs) by.set(x.group, (by.get(x.group) ?? 0) + 1);
    out.push(`  ${xs.length} episode(s) only in ${who}, not compared: ${[...by].map(([g, n]) => `${g} ×${n}`).join(', ')}\n`);
  };
  unpaired(cmp.onlyA, `A (${cmp.a.policy}, ${cmp.a.source})`);
  unpaired(cmp.onlyB, `B (${cmp.b.policy}, ${cmp.b.source})`);
  out.push(verdictLine(cmp) + '\n');
  return out.join('');
}

/** "Verdict: REGRESSION — B is worse than A …": the gate's one-line answer (terminal and report.html). */
export function verdictLine(cmp: Comparison): string {
  const splits = cmp.groups.filter((g) => g.verdict);
  const named = (v: string) => splits.filter((g) => g.verdict === v).map((g) => g.group).join(', ');
  const sequential = splits.some((g) => g.sequential);
  const evidence = sequential ? `anytime-valid evidence (e-value ≥ ${(2 / cmp.alpha).toFixed(0)})` : `p < ${cmp.alpha}`;
  const why =
    cmp.verdict === 'REGRESSION'
      ? `B is worse than A by more than ${pts(cmp.tolerance).slice(1)} points with ${evidence} on: ${named('REGRESSION')}`
      : cmp.verdict === 'PASS'
        ? `every split's ${sequential ? 'anytime-valid ' : ''}95% lower bound is within ${pts(cmp.tolerance).slice(1)} points`
        : splits.length
          ? `not enough evidence either way on: ${named('INCONCLUSIVE')} (${sequential ? 'the budget ran out; raise gate.maxEpisodes' : 'more episodes narrow the interval; see MDE'})`
          : 'no episodes in common';
  return `Verdict: ${cmp.verdict} — ${why}`;
}

/** JSON form: the comparisons plus the methods used. */
export function compareJson(cmps: readonly Comparison[]): { verdict: string; comparisons: readonly Comparison[] } {
  const v = cmps.some((c) => c.verdict === 'REGRESSION') ? 'REGRESSION' : cmps.length && cmps.every((c) => c.verdict === 'PASS') ? 'PASS' : 'INCONCLUSIVE';
  return { verdict: v, comparisons: cmps };
}
