/**
 * Sim vs real success per checkpoint as an inline SVG (no script, no external files), for
 * report.html: x = simulated success, y = real success, both over the positions each checkpoint
 * was tested on in both worlds; bars are 95% intervals; the diagonal is "sim predicts real".
 */
import { wilson } from '../stats/wilson';
import type { Sim2RealReport } from './sim2real';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

export function sim2realSvg(report: Sim2RealReport, opts: { size?: number } = {}): string {
  const size = opts.size ?? 360;
  const m = { l: 52, r: 16, t: 34, b: 44 };
  const W = size + m.l + m.r;
  const H = size + m.t + m.b;
  const x = (v: number) => m.l + v * size;
  const y = (v: number) => m.t + (1 - v) * size;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Simulated vs real success per checkpoint" font-family="system-ui, sans-serif" font-size="11">`);
  const a = report.across;
  const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(2));
  const title = a ? `Pearson r ${fmt(a.pearson.estimate)}${a.pearson.ci95 ? ` [${fmt(a.pearson.ci95.lo)}, ${fmt(a.pearson.ci95.hi)}]` : ''} · MMRV ${fmt(a.mmrv.estimate)}${a.mmrv.ci95 ? ` [${fmt(a.mmrv.ci95.lo)}, ${fmt(a.mmrv.ci95.hi)}]` : ''}` : 'sim vs real success';
  parts.push(`<text x="${m.l}" y="16" font-size="12" font-weight="600">${esc(title)}</text>`);
  for (let g = 0; g <= 10; g += 2) {
    const v = g / 10;
    parts.push(`<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="#e5e7eb"/><line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(1)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${x(0) - 6}" y="${y(v) + 4}" text-anchor="end">${g * 10}%</text><text x="${x(v)}" y="${y(0) + 16}" text-anchor="middle">${g * 10}%</text>`);
  }
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#9ca3af" stroke-dasharray="4 4"/>`);
  parts.push(`<rect x="${x(0)}" y="${y(1)}" width="${size}" height="${size}" fill="none" stroke="#6b7280"/>`);
  parts.push(`<text x="${m.l + size / 2}" y="${H - 8}" text-anchor="middle">simulated success</text>`);
  parts.push(`<text transform="translate(14 ${m.t + size / 2}) rotate(-90)" text-anchor="middle">real success</text>`);
  report.checkpoints
    .filter((c) => c.compared)
    .forEach((c, i) => {
      const col = PALETTE[i % PALETTE.length]!;
      const cmp = c.compared!;
      const sk = cmp.simCounts.reduce((s, v) => s + v.k, 0);
      const sn = cmp.simCounts.reduce((s, v) => s + v.n, 0);
      const sci = wilson(sk, sn);
      const rci = c.ppi?.classical.ci95 ?? wilson(cmp.realCounts.reduce((s, v) => s + v.k, 0), cmp.realCounts.reduce((s, v) => s + v.n, 0));
      const rn = cmp.realCounts.reduce((s, v) => s + v.n, 0);
      const label = `${c.checkpoint}: sim ${(100 * cmp.sim).toFixed(0)}% (n=${sn}), real ${(100 * cmp.real).toFixed(0)}% (n=${rn}) over ${cmp.positions.join(', ')}`;
      parts.push(`<g><title>${esc(label)}</title>`);
      parts.push(`<line x1="${x(sci.lo)}" y1="${y(cmp.real)}" x2="${x(sci.hi)}" y2="${y(cmp.real)}" stroke="${col}" stroke-width="1.5"/>`);
      parts.push(`<line x1="${x(cmp.sim)}" y1="${y(rci.lo)}" x2="${x(cmp.sim)}" y2="${y(rci.hi)}" stroke="${col}" stroke-width="1.5"/>`);
      parts.push(`<circle cx="${x(cmp.sim)}" cy="${y(cmp.real)}" r="4.5" fill="${col}"/>`);
      parts.push(`<text x="${x(cmp.sim) + 7}" y="${y(cmp.real) - 6}" fill="${col}">${esc(c.checkpoint)}</text></g>`);
    });
  if (!report.checkpoints.some((c) => c.compared)) parts.push(`<text x="${m.l + size / 2}" y="${m.t + size / 2}" text-anchor="middle" fill="#6b7280">no checkpoint has both sim and real trials on a common position</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** A standalone page with the plot and the per-checkpoint table, for `simgate sim2real --html`. */
export function sim2realHtml(report: Sim2RealReport, tableText: string): string {
  return `<!doctype html><meta charset="utf-8"><title>simgate sim2real</title><body style="font-family:system-ui,sans-serif;margin:24px"><h1>Sim vs real</h1>${sim2realSvg(report)}<pre>${esc(tableText)}</pre></body>`;
}
