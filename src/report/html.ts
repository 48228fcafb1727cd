import type { Aggregate, EpisodeRow, RunResults } from '../results/schema';
import { pct, pctInterval } from '../util/format';
import { failureCounts } from '../measures/aggregate';
import { fmtE, pval, sequentialLine, verdictLine, type Comparison } from '../compare';
import type { ProbeResult } from '../probes/report';
import { comparisonCell, comparisonReading, spreadCell, variantCell, type VariantsReport } from './variants';

/** What was exported for a failed episode (paths relative to the report). */
export interface FailureArtefact {
  gif?: string;
  filmstrip?: string;
  verify?: { ok: boolean; message: string };
  error?: string;
}

export interface HtmlReportOptions {
  /** Artefacts by `${policy}\u0000${episodeId}`. */
  artefacts?: Map<string, FailureArtefact>;
  /** The command prefix shown to replay an episode, e.g. "npx simgate replay simgate-results". */
  replayPrefix?: string;
  /** GIF cap per policy (for the note in the failures section). */
  maxGifsPerPolicy?: number;
  /** Lines worth telling the reader (no browser, divergences…). */
  notes?: string[];
  /** What the other reporters found: the gate's comparisons, the variants, the probe flags. */
  findings?: { comparisons?: readonly Comparison[]; variants?: VariantsReport; probes?: readonly ProbeResult[]; sim2real?: string };
}

export const artefactKey = (policy: string, episodeId: string): string => `${policy}\u0000${episodeId}`;

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
// n = 0 (every row an error, or none): no rate to show.
const ciText = (a: Aggregate) => (a.n ? `${pct(a.success)} <span class="dim">${pctInterval(a.ci95)}</span>` : '–');
const shellQuote = (s: string) => (/^[A-Za-z0-9_./:@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

function summary(results: RunResults): string {
  const rows = results.aggregates.filter((a) => a.family === 'all' && !a.probe);
  const lat = (name: string) => {
    const l = results.policies.find((p) => p.name === name)?.details?.latency as { p50?: number; p95?: number } | undefined;
    return l?.p50 !== undefined ? `${l.p50.toFixed(1)} / ${l.p95?.toFixed(1)} ms` : '–';
  };
  return `<table><thead><tr><th>policy</th><th>variant</th><th>split</th><th class="n">n</th><th>success [95% CI]</th><th class="n">SPL</th><th class="n">coll/ep</th><th class="n">instr-followed</th><th class="n">errors</th><th>latency p50/p95</th></tr></thead><tbody>${rows
    .map(
      (a) =>
        `<tr><td><b>${esc(a.policy)}</b></td><td>${esc(a.variant)}</td><td>${esc(a.split)}</td><td class="n">${a.n}</td><td>${ciText(a)}</td><td class="n">${a.n ? a.spl.toFixed(2) : '–'}</td><td class="n">${a.n ? a.collisionsPerEpisode.toFixed(2) : '–'}</td><td class="n">${a.n && Number.isFinite(a.instructionFollowed) ? pct(a.instructionFollowed) : '–'}</td><td class="n${a.errors ? ' bad' : ''}">${a.errors}</td><td>${lat(a.policy)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function familyTable(results: RunResults): string {
  const aggs = results.aggregates.filter((a) => a.family !== 'all' && !a.probe);
  const policies = [...new Set(aggs.map((a) => a.policy))];
  const keys = [...new Set(aggs.map((a) => `${a.split}\u0000${a.family}`))];
  return `<table><thead><tr><th>split</th><th>family</th>${policies.map((p) => `<th>${esc(p)}</th>`).join('')}</tr></thead><tbody>${keys
    .map((k) => {
      const [split, family] = k.split('\u0000') as [string, string];
      return `<tr><td>${esc(split)}</td><td>${esc(family)}</td>${policies
        .map((p) => {
          const a = aggs.find((x) => x.policy === p && x.split === split && x.family === family);
          return a ? `<td>${ciText(a)} <span class="dim">n=${a.n}</span></td>` : '<td>–</td>';
        })
        .join('')}</tr>`;
    })
    .join('')}</tbody></table>`;
}

function probeTable(results: RunResults): string {
  const aggs = results.aggregates.filter((a) => a.family === 'all' && a.probe);
  if (!aggs.length) return '';
  return `<h2>Probes</h2><table><thead><tr><th>policy</th><th>probe</th><th>split</th><th class="n">n</th><th>success [95% CI]</th><th class="n">instr-followed</th></tr></thead><tbody>${aggs
    .map((a) => `<tr><td>${esc(a.policy)}</td><td>${esc(a.probe)}</td><td>${esc(a.split)}</td><td class="n">${a.n}</td><td>${ciText(a)}</td><td class="n">${pct(a.instructionFollowed)}</td></tr>`)
    .join('')}</tbody></table>`;
}

/** Success per (split, family) as grouped bars, one per policy, with 95% Wilson intervals as whiskers. */
export function familyPlot(results: RunResults): string {
  const aggs = results.aggregates.filter((a) => !a.probe);
  const policies = [...new Set(aggs.map((a) => a.policy))];
  const groups: { split: string; family: string }[] = [];
  for (const a of aggs) {
    if (!groups.some((g) => g.split === a.split && g.family === a.family)) groups.push({ split: a.split, family: a.family });
  }
  // "all" first within each split
  const splits = [...new Set(groups.map((g) => g.split))];
  const rank = (g: { split: string; family: string }) => splits.indexOf(g.split) * 2 + (g.family === 'all' ? 0 : 1);
  groups.sort((x, y) => rank(x) - rank(y));
  if (!groups.length || !policies.length) return '';
  const bw = Math.max(8, Math.min(22, Math.floor(120 / policies.length)));
  const gw = policies.length * bw + 18;
  const left = 46;
  const top = 16;
  const ph = 200;
  const W = left + groups.length * gw + 10;
  const H = top + ph + 92;
  const y = (v: number) => top + ph * (1 - v);
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" x2="${W - 6}" y1="${y(t)}" y2="${y(t)}" class="grid"/><text x="${left - 6}" y="${y(t) + 4}" class="tick" text-anchor="end">${pct(t)}</text>`);
  }
  let lastSplit = '';
  groups.forEach((g, gi) => {
    const x0 = left + gi * gw + 9;
    if (g.split !== lastSplit) {
      if (gi > 0) parts.push(`<line x1="${x0 - 9}" x2="${x0 - 9}" y1="${top}" y2="${top + ph + 80}" class="sep"/>`);
      parts.push(`<text x="${x0}" y="${top + ph + 78}" class="split">${esc(g.split)}</text>`);
      lastSplit = g.split;
    }
    policies.forEach((p, pi) => {
      const a = aggs.find((x) => x.policy === p && x.split === g.split && x.family === g.family);
      if (!a || !a.n) return;
      const x = x0 + pi * bw;
      const c = PALETTE[pi % PALETTE.length]!;
      const h = Math.max(0.5, ph * a.success);
      parts.push(
        `<g><title>${esc(p)} · ${esc(g.split)} / ${esc(g.family)}: ${pct(a.success)} (${a.successes}/${a.n}), 95% CI ${pct(a.ci95.lo)}–${pct(a.ci95.hi)}</title>` +
          `<rect x="${x + 1}" y="${y(a.success)}" width="${bw - 2}" height="${h}" fill="${c}" opacity="0.85"/>` +
          `<line x1="${x + bw / 2}" x2="${x + bw / 2}" y1="${y(a.ci95.hi)}" y2="${y(a.ci95.lo)}" class="ci"/>` +
          `<line x1="${x + bw / 2 - 3}" x2="${x + bw / 2 + 3}" y1="${y(a.ci95.hi)}" y2="${y(a.ci95.hi)}" class="ci"/>` +
          `<line x1="${x + bw / 2 - 3}" x2="${x + bw / 2 + 3}" y1="${y(a.ci95.lo)}" y2="${y(a.ci95.lo)}" class="ci"/></g>`,
      );
    });
    const cx = x0 + (policies.length * bw) / 2;
    parts.push(`<text transform="translate(${cx},${top + ph + 10}) rotate(35)" class="fam${g.family === 'all' ? ' all' : ''}">${esc(g.family)}</text>`);
  });
  const legend = policies.map((p, i) => `<span class="key"><i style="background:${PALETTE[i % PALETTE.length]}"></i>${esc(p)}</span>`).join('');
  return `<div class="legend">${legend}<span class="dim">bars: success rate; whiskers: 95% Wilson interval; hover a bar for counts</span></div><svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="success per family with 95% intervals">${parts.join('')}</svg>`;
}

/** The failure code (src/measures/failure.ts) of a failed row, coloured by its outcome. */
const badge = (r: EpisodeRow) => {
  const code = typeof r.measures.failure === 'string' ? r.measures.failure : r.outcome;
  return `<span class="badge ${esc(r.outcome)}" title="outcome: ${esc(r.outcome)}">${esc(code)}</span>`;
};

const ptsText = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/**
 * The answer first: per comparison, the verdict line and the per-split numbers exactly as the
 * terminal's gate table prints them (src/compare/render.ts).
 */
function verdictSection(cmps: readonly Comparison[] | undefined, results: RunResults): string {
  if (!cmps?.length) {
    return `<section id="verdict"><h2>Verdict</h2><p class="dim">No gate in this run: set <code>baseline</code> (and <code>candidates</code>) in the config, or pass <code>--baseline</code>, to compare checkpoints episode by episode.</p></section>`;
  }
  const seqNote = results.sequential ? `<p class="dim">Sequential gate: episodes ran in blocks of ${results.sequential.block} per split and stopped once decided (${esc(results.sequential.method)}). * anytime-valid 95% confidence sequence.</p>` : '';
  const blocks = cmps.map((c) => {
    const rows = c.groups
      .filter((g) => g.family === 'all')
      .map((g) => {
        const seq = g.sequential;
        const diff = seq ? `${ptsText(seq.diff)} [${ptsText(seq.cs.lo)}, ${ptsText(seq.cs.hi)}]*` : `${ptsText(g.diff.diff)} [${ptsText(g.diff.lo)}, ${ptsText(g.diff.hi)}]`;
        const rate = (x: number) => (g.n ? pct(x) : '–');
        return `<tr><td>${esc(g.group)}</td><td class="n">${g.n}</td><td class="n">${rate(g.a.success)}</td><td class="n">${rate(g.b.success)}</td><td class="n">${diff}</td><td class="n">${seq ? `e ${fmtE(Math.max(seq.eRegression, seq.ePass))}` : pval(g.p)}</td><td class="n">${g.table.b}/${g.table.c}</td><td class="n">${g.mde === null ? '>100' : (100 * g.mde).toFixed(1)}</td><td><span class="verdict ${esc(g.verdict ?? '')}">${esc(g.verdict ?? '')}</span>${seq ? `<div class="dim">${esc(sequentialLine(seq))}</div>` : ''}</td></tr>`;
      })
      .join('');
    return `<div class="gate"><div class="vline"><span class="verdict big ${esc(c.verdict)}">${esc(c.verdict)}</span> <b>${esc(c.b.policy)}</b> (B) vs <b>${esc(c.a.policy)}</b> (A, baseline${c.a.source !== 'this run' ? `: ${esc(c.a.source)}` : ''}) — tolerance ${(100 * c.tolerance).toFixed(1)} points</div>
<table><thead><tr><th>split</th><th class="n">pairs</th><th class="n">A success</th><th class="n">B success</th><th class="n">B−A pts [95% CI]</th><th class="n">${c.groups.some((g) => g.sequential) ? 'p / e' : 'McNemar p'}</th><th class="n">lost/gained</th><th class="n">MDE pts</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>
<div class="vtext">${esc(verdictLine(c))}</div></div>`;
  });
  return `<section id="verdict"><h2>Verdict</h2>${blocks.join('')}${seqNote}</section>`;
}

/** Frozen vs fine-tuned at the variant level (all checkpoints, paired by episode), with the seed spread. */
function variantSection(rep: VariantsReport | undefined): string {
  if (!rep || (!rep.comparisons.length && !rep.variants.length)) return '';
  const cmp = rep.comparisons.length
    ? `<table><thead><tr><th>split</th><th>comparison</th><th class="n">checkpoints</th><th class="n">episodes</th><th class="n">difference pts [95% CI]</th><th>reading</th></tr></thead><tbody>${rep.comparisons
        .map((c) => `<tr><td>${esc(c.split)}</td><td><b>${esc(c.candidate)}</b> − ${esc(c.baseline)}</td><td class="n">${c.checkpoints.candidate} vs ${c.checkpoints.baseline}</td><td class="n">${c.episodes}</td><td class="n">${esc(comparisonCell(c))}</td><td>${esc(comparisonReading(c))}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const per = `<table><thead><tr><th>variant</th><th>split</th><th class="n">success [95% CI, seeds + episodes]</th><th>between seeds</th><th>checkpoints</th></tr></thead><tbody>${rep.variants
    .map((v) => `<tr><td><b>${esc(v.variant)}</b></td><td>${esc(v.split)}</td><td class="n">${esc(variantCell(v))}</td><td>${esc(spreadCell(v))}</td><td>${v.checkpoints.map((c) => `${esc(c.policy)} ${c.n ? pct(c.success) : '–'}`).join(', ')}</td></tr>`)
    .join('')}</tbody></table>`;
  return `<section id="variants"><h2>Frozen vs fine-tuned, by variant</h2><p class="dim">${esc(rep.methods.variant ?? '')}</p>${cmp}${per}</section>`;
}

/** Probe flags (instruction-swap, memorisation, …), one line per policy. */
function probeFlags(probes: readonly ProbeResult[] | undefined): string {
  const ok = (probes ?? []).filter((p) => p.status === 'ok');
  if (!ok.length) return '';
  const by = new Map<string, ProbeResult[]>();
  for (const p of ok) by.set(p.policy, [...(by.get(p.policy) ?? []), p]);
  return `<section id="probe-flags"><h2>Probe flags</h2><table><thead><tr><th>policy</th><th>flags</th></tr></thead><tbody>${[...by]
    .map(([policy, ps]) => `<tr><td>${esc(policy)}</td><td>${ps.map((p) => `${esc(p.probe)}: <b>${esc(p.flag)}</b> <span class="dim">${pct(p.base.rate)} → ${pct(p.probed.rate)}</span>`).join('; ')}</td></tr>`)
    .join('')}</tbody></table></section>`;
}

/**
 * Failures, the checkpoints being judged first: candidates, then the baseline, then other
 * learned policies; scripted baselines last, collapsed (their failures are by design).
 */
function failures(results: RunResults, o: HtmlReportOptions): string {
  const failed = results.episodes.filter((r) => r.outcome !== 'success');
  if (!failed.length) return '<h2>Failures</h2><p>No failed episodes.</p>';
  const grouped = new Map<string, EpisodeRow[]>();
  for (const r of failed) (grouped.get(r.policy) ?? grouped.set(r.policy, []).get(r.policy)!).push(r);
  const cmps = o.findings?.comparisons ?? [];
  const candidates = new Set(cmps.map((c) => c.b.policy));
  const baselines = new Set(cmps.map((c) => c.a.policy));
  const scripted = (p: string) => (results.policies.find((x) => x.name === p)?.kind ?? 'scripted') === 'scripted';
  const rank = (p: string) => (candidates.has(p) ? 0 : baselines.has(p) && !scripted(p) ? 1 : scripted(p) ? 3 : 2);
  const order = [...grouped.keys()].map((p, i) => ({ p, i })).sort((x, y) => rank(x.p) - rank(y.p) || x.i - y.i);
  const byPolicy = new Map(order.map(({ p }) => [p, grouped.get(p)!]));
  const prefix = o.replayPrefix ?? 'npx simgate replay simgate-results';
  const cmd = (r: EpisodeRow) => `${prefix} ${r.episodeId} --policy ${shellQuote(r.policy)}`;
  const out: string[] = [
    `<h2>Failures</h2><p class="dim">Each failed episode can be re-simulated bit for bit and stepped through in a viewer with the command shown. Clips below: onboard camera | top-down (path blue, robot yellow, action pink, collisions red); the first ${o.maxGifsPerPolicy ?? 10} failures per policy get a clip (raise with <code>--report-gifs</code>).</p>`,
  ];
  let collapsed = false;
  for (const [policy, rows] of byPolicy) {
    const codes = failureCounts(rows);
    if (rank(policy) === 3 && !collapsed) {
      collapsed = true;
      out.push(`<details class="scripted"><summary>Scripted baselines' failures (${[...byPolicy].filter(([p]) => scripted(p)).reduce((s, [, r]) => s + r.length, 0)}): reference policies, failing by design</summary>`);
    }
    out.push(`<h3 id="fail-${esc(policy)}">${esc(policy)} <span class="dim">— ${rows.length} failed (${Object.entries(codes).map(([k, n]) => `${n} ${esc(k)}`).join(', ')})</span></h3>`);
    const shown = rows.filter((r) => o.artefacts?.get(artefactKey(r.policy, r.episodeId)));
    for (const r of shown) {
      const a = o.artefacts!.get(artefactKey(r.policy, r.episodeId))!;
      const m = r.measures;
      out.push(`<div class="fail">
<div class="fhead">${badge(r)} <b>${esc(r.sceneId)}</b> <span class="dim">seed ${r.seed} · ${esc(r.split)} / ${esc(r.family)} · ${m.steps ?? '?'} steps · ${m.stopped === true ? `stopped ${typeof m.terminal_distance === 'number' ? m.terminal_distance.toFixed(2) : '?'} m from the target` : `passed ${esc(m.passed_side ?? '?')} (instructed ${esc(r.side)})`}${m.failure_flags ? ` · also ${esc(m.failure_flags)}` : ''}${r.probe ? ` · probe ${esc(r.probe)}` : ''}${r.reason ? ` · ${esc(r.reason)}` : ''}</span> <span class="id">${esc(r.episodeId)}</span></div>
${a.verify && !a.verify.ok ? `<div class="diverged">REPLAY DIVERGED: ${esc(a.verify.message)}</div>` : ''}${a.error ? `<div class="diverged">could not export: ${esc(a.error)}</div>` : ''}
<div class="media">${a.gif ? `<a href="${esc(a.gif)}"><img loading="lazy" src="${esc(a.gif)}" alt="replay clip of ${esc(r.episodeId)}"></a>` : ''}${a.filmstrip ? `<a href="${esc(a.filmstrip)}"><img loading="lazy" class="strip" src="${esc(a.filmstrip)}" alt="filmstrip of ${esc(r.episodeId)}"></a>` : ''}</div>
<div class="cmd"><code>${esc(cmd(r))}</code></div></div>`);
    }
    const rest = rows.filter((r) => !o.artefacts?.get(artefactKey(r.policy, r.episodeId)));
    if (rest.length) {
      out.push(`<details><summary>${rest.length} more failure${rest.length > 1 ? 's' : ''} of ${esc(policy)} (no clip)</summary><table class="compact"><thead><tr><th>failure</th><th>scene</th><th>seed</th><th>steps</th><th>replay</th></tr></thead><tbody>${rest
        .map((r) => `<tr><td>${badge(r)}</td><td>${esc(r.sceneId)}</td><td>${r.seed}</td><td>${r.measures.steps ?? ''}</td><td><code>${esc(cmd(r))}</code></td></tr>`)
        .join('')}</tbody></table></details>`);
    }
  }
  if (collapsed) out.push('</details>');
  return out.join('\n');
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#111827;background:#f9fafb}
main{max-width:1280px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 2px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px} h3{font-size:15px;margin:18px 0 8px}
.dim{color:#6b7280;font-weight:normal} .bad{color:#dc2626;font-weight:700}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0} th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top} th{background:#f3f4f6} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#4b5563;font-size:13px} .meta code{font-size:12px}
.notes{background:#fef3c7;border:1px solid #f59e0b;padding:6px 10px;border-radius:6px;margin:10px 0}
.legend{display:flex;gap:14px;flex-wrap:wrap;align-items:center;font-size:13px;margin:6px 0} .key i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
svg.plot{background:#fff;border:1px solid #e5e7eb;border-radius:6px;max-width:100%;height:auto} .grid{stroke:#e5e7eb} .sep{stroke:#9ca3af;stroke-dasharray:3 3} .ci{stroke:#111827;stroke-width:1.3}
.tick{font-size:10px;fill:#6b7280} .fam{font-size:11px;fill:#374151} .fam.all{font-weight:700} .split{font-size:12px;font-weight:700;fill:#111827}
.fail{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 10px;margin:10px 0}
.fhead{margin-bottom:6px} .id{font-family:ui-monospace,monospace;color:#6b7280;font-size:12px;float:right}
.media{display:flex;gap:10px;align-items:flex-start;overflow-x:auto} .media img{display:block;border-radius:4px;max-height:250px} .media img.strip{max-height:250px}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:11px;font-weight:700;text-transform:uppercase;color:#fff;background:#6b7280} .badge.collision{background:#dc2626} .badge.timeout{background:#d97706} .badge.policy_error,.badge.error{background:#9333ea} .badge.stopped_outside{background:#0891b2}
.cmd{margin-top:6px} code{font-family:ui-monospace,monospace;font-size:12px;background:#f3f4f6;padding:1px 5px;border-radius:4px;user-select:all}
.diverged{background:#dc2626;color:#fff;font-weight:700;padding:4px 8px;border-radius:4px;margin:4px 0}
details{margin:8px 0} summary{cursor:pointer;color:#1d4ed8} table.compact td{font-size:12px}
.gate{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px;margin:10px 0} .vline{font-size:15px;margin-bottom:4px} .vtext{margin-top:4px;font-weight:600}
.verdict{display:inline-block;padding:0 8px;border-radius:9px;font-size:12px;font-weight:700;color:#fff;background:#6b7280} .verdict.big{font-size:15px;padding:2px 10px}
.verdict.PASS{background:#16a34a} .verdict.REGRESSION{background:#dc2626} .verdict.INCONCLUSIVE{background:#d97706}`;

/** report.html: self-contained (inline CSS and SVG; images are relative paths next to it). */
export function renderHtmlReport(results: RunResults, o: HtmlReportOptions = {}): string {
  const cfg = results.config;
  const env = results.environment as { node?: string; platform?: string; renderer?: Record<string, unknown> };
  const total = results.episodes.length;
  const failed = results.episodes.filter((r) => r.outcome !== 'success').length;
  const partial = (results as { complete?: boolean }).complete === false;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simgate report — ${esc(results.createdAt)}</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body><main>
<h1>simgate report</h1>
<div class="meta">${esc(results.createdAt)} · simgate ${esc(results.tool?.version)} · ${Number.isInteger(total / Math.max(1, results.policies.length)) ? `${results.policies.length} policies × ${total / Math.max(1, results.policies.length)} episodes` : `${results.policies.length} policies, ${total} episode rows (${results.sequential ? 'sequential gate: fewer for the gated policies' : 'policies run different suites: policySuites'})`} (${esc(cfg.episodesPerScene ?? '?')} seed${cfg.episodesPerScene === 1 ? '' : 's'} per scene) · ${failed} failed of ${total}<br>
suites: ${results.suites.map((s) => `<code>${esc(s.file)}</code> (${esc(s.suite)} v${s.version}, ${s.scenes} scenes)`).join(', ')}<br>
node ${esc(env.node ?? '?')} ${esc(env.platform ?? '')}${env.renderer ? ` · renderer ${esc(env.renderer.kind ?? '')} (${esc(env.renderer.driver ?? '')}) ${esc(env.renderer.browser ?? env.renderer.adapter ?? '')} ${esc(env.renderer.glRenderer ?? '')}` : ''}</div>
${partial ? '<div class="notes"><b>Partial results:</b> the run did not finish (interrupted or crashed); numbers cover the finished episodes only.</div>' : ''}
${o.notes?.length ? `<div class="notes">${o.notes.map(esc).join('<br>')}</div>` : ''}
${verdictSection(o.findings?.comparisons, results)}
${variantSection(o.findings?.variants)}
${probeFlags(o.findings?.probes)}
${o.findings?.sim2real ? `<section id="sim2real"><h2>Sim vs real</h2><p class="dim">This run's sim success beside the real-robot trials in the ledger (<code>simgate real import</code>), per checkpoint; <code>simgate sim2real</code> prints the per-position table, Pearson r and MMRV.</p>${o.findings.sim2real}</section>` : ''}
<h2>Success per policy and split</h2>
${summary(results)}
<h2>Success per family</h2>
${familyPlot(results)}
${familyTable(results)}
${probeTable(results)}
${failures(results, o)}
</main></body></html>
`;
}
