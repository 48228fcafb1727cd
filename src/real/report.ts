/** Terminal output of `simgate real import` and `simgate sim2real`. */
import { table, getBorderCharacters } from 'table';
import type { Interval } from '../stats/wilson';
import { pct, pctInterval } from '../util/format';
import type { Sim2RealReport, SuccessRate } from './sim2real';
import { FLAG_TEXT, type ImportSummary } from './trials';

const border = { border: getBorderCharacters('norc'), drawHorizontalLine: (i: number, n: number) => i <= 1 || i === n };
export const fmtSuccess = (r: SuccessRate | null): string => (r ? `${pct(r.rate)} ${pctInterval(r.ci95)} ${r.k}/${r.n}` : '–');

export function renderImport(file: string, checkpoint: string, ledger: string, s: ImportSummary, replaced: number): string {
  const out: string[] = [];
  out.push(`${file} → ${ledger} (checkpoint "${checkpoint}"${replaced ? `, replacing ${replaced} rows of an earlier import` : ''})`);
  out.push(`${s.rows} trials read: ${s.counted} counted (${s.successes} 성공 success, ${s.failures} 실패 failure), ${s.unusable} unusable, ${s.duplicates} duplicates — flagged rows are kept in the ledger, not counted`);
  const codes = Object.entries(s.flags).sort(([a], [b]) => a.localeCompare(b));
  if (codes.length) {
    const rows = [['flag', 'rows', 'meaning']];
    for (const [code, n] of codes) rows.push([code, String(n), FLAG_TEXT[code] ?? '']);
    out.push(table(rows, { ...border, columns: { 2: { width: 70, wrapWord: true } } }));
  }
  const notable = s.flagged.filter((f) => f.flags.some((x) => x.startsWith('unusable:') || x.startsWith('duplicate:')));
  if (notable.length) {
    const rows = [['line', '#', 'path', 'result', 'flags']];
    for (const f of notable) rows.push([String(f.line), f.trial, f.path, f.result, f.flags.join(', ')]);
    out.push('Not counted:\n' + table(rows, border));
  }
  return out.join('\n');
}

export function renderSim2Real(r: Sim2RealReport): string {
  const out: string[] = [];
  const rows = [['checkpoint', 'sim policy', 'sim success', 'real success', 'compared positions', 'sim / real there', 'real, PPI (sim+real) [95%]']];
  for (const c of r.checkpoints) {
    rows.push([
      c.checkpoint,
      c.simPolicy ?? '– (no sim rows)',
      fmtSuccess(c.sim),
      fmtSuccess(c.real),
      c.compared ? c.compared.positions.join(', ') : '–',
      c.compared ? `${pct(c.compared.sim)} / ${pct(c.compared.real)}` : '–',
      c.ppi ? `${pct(c.ppi.estimate)} ${pctInterval(c.ppi.ci95)} (real only ${pct(c.ppi.classical.estimate)} ${pctInterval(c.ppi.classical.ci95)})` : '–',
    ]);
  }
  out.push('Per checkpoint (success with 95% Wilson interval and k/n; positions compared with equal weight, as the lab\'s 5 × 20 protocol):\n' + table(rows, { ...border, columns: { 4: { width: 24, wrapWord: true }, 6: { width: 34, wrapWord: true } } }));
  for (const c of r.checkpoints) {
    const pos = c.positions.filter((p) => p.real || p.sim);
    if (!pos.length) continue;
    const t = [['position', 'sim', 'real']];
    for (const p of pos) t.push([p.position, fmtSuccess(p.sim), fmtSuccess(p.real)]);
    out.push(`${c.checkpoint} per position:\n` + table(t, border) + (c.ppi ? `PPI: ${c.ppi.note}\n` : ''));
  }
  if (r.across) {
    const f = (v: number | null) => (v === null ? 'undefined' : v.toFixed(3));
    const b = (x: { estimate: number | null; ci95: Interval | null; defined: number; draws: number }) => `${f(x.estimate)}${x.ci95 ? ` [${x.ci95.lo.toFixed(3)}, ${x.ci95.hi.toFixed(3)}]` : ' (no interval)'} (bootstrap ${x.defined}/${x.draws} draws defined)`;
    out.push(`Across ${r.across.checkpoints.length} checkpoints (${r.across.checkpoints.join(', ')}), SimplerEnv's measures:\n  Pearson r ${b(r.across.pearson)}  (1 = sim success tracks real success)\n  MMRV      ${b(r.across.mmrv)}  (0 = sim ranks the checkpoints as the robot does)${r.across.note ? `\n  ${r.across.note}` : ''}`);
  } else out.push('Across checkpoints: needs at least 2 checkpoints with both sim and real trials on a common position.');
  if (r.realOnly.length) out.push(`Real only (no sim rows; pass --match <real>=<sim policy>): ${r.realOnly.join(', ')}`);
  if (r.simOnly.length) out.push(`Sim only (no real trials in the ledger): ${r.simOnly.join(', ')}`);
  return out.join('\n');
}
