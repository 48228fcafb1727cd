import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeResult } from '../probes/report';
import type { EpisodeRow, RunResults } from '../results/schema';
import type { DiffInterval } from '../stats/paired-diff';
import { newcombeUnpaired } from '../stats/unpaired-diff';
import { followedShare } from '../measures/aggregate';
import { wilson, type Interval } from '../stats/wilson';
import { pct, pctWithInterval } from '../util/format';

/**
 * The lab's question: does a frozen backbone + action head do as well as a
 * fine-tuned VLM, in distribution and on novel scenes? Policies grouped by `variant`.
 */

export interface SplitStats {
  n: number;
  successes: number;
  success: number;
  ci95: Interval;
  instructionFollowed: number;
}

export interface VariantPolicy {
  policy: string;
  kind: string;
  /** The task these rows are of: the seed era's `reach`, or the current `stop` task (reported apart). */
  task: 'reach' | 'stop';
  inDistribution: SplitStats;
  novel: SplitStats;
  /** success(ID) − success(novel): different scenes, so an unpaired interval (Newcombe hybrid score). */
  gap: DiffInterval | null;
  probes: Pick<ProbeResult, 'probe' | 'status' | 'flag' | 'base' | 'probed' | 'change' | 'p' | 'instruction'>[];
  latency?: { p50: number; p95: number };
}

export interface VariantsReport {
  groups: { variant: string; policies: VariantPolicy[] }[];
  methods: Record<string, string>;
}

export const VARIANT_METHODS = {
  success: 'share of episodes reaching the goal; 95% Wilson score interval',
  gap: 'generalisation gap = success(in-distribution) − success(novel); unpaired 95% interval (Newcombe 1998 hybrid score, method 10) because the two splits are different scenes',
  instruction: 'instruction-following: share of episodes passing the obstacles on the instructed side (base episodes); instruction-swap flag per src/probes/report.ts',
};

function split(rows: readonly EpisodeRow[]): SplitStats {
  const n = rows.length;
  const k = rows.filter((r) => r.measures.success === true).length;
  return { n, successes: k, success: n ? k / n : 0, ci95: wilson(k, n), instructionFollowed: followedShare(rows) };
}

export function variantsReport(results: Pick<RunResults, 'policies' | 'episodes'>, probes: readonly ProbeResult[] = []): VariantsReport {
  const groups = new Map<string, VariantPolicy[]>();
  for (const info of results.policies) {
    const all = results.episodes.filter((r) => r.policy === info.name && !r.probe);
    for (const task of ['reach', 'stop'] as const) {
    const rows = all.filter((r) => (r.task === 'stop' ? 'stop' : 'reach') === task);
    if (!rows.length && (task === 'stop' || all.length)) continue;
    const id = split(rows.filter((r) => r.split === 'in-distribution'));
    const novel = split(rows.filter((r) => r.split === 'novel'));
    const lat = info.details?.latency as { p50?: unknown; p95?: unknown } | undefined;
    const vp: VariantPolicy = {
      policy: info.name,
      kind: info.kind,
      task,
      inDistribution: id,
      novel,
      gap: id.n && novel.n ? newcombeUnpaired(id.successes, id.n, novel.successes, novel.n) : null,
      probes: probes
        .filter((p) => p.policy === info.name)
        .map(({ probe, status, flag, base, probed, change, p, instruction }) => ({ probe, status, flag, base, probed, change, p, ...(instruction ? { instruction } : {}) })),
      ...(typeof lat?.p50 === 'number' && typeof lat.p95 === 'number' ? { latency: { p50: lat.p50, p95: lat.p95 } } : {}),
    };
    const list = groups.get(info.variant) ?? [];
    list.push(vp);
    groups.set(info.variant, list);
    }
  }
  return { groups: [...groups].map(([variant, policies]) => ({ variant, policies })), methods: VARIANT_METHODS };
}

/** A policy's line: its name, and "(stop)" for its stop-task episodes. */
const label = (vp: VariantPolicy) => (vp.task === 'stop' ? `${vp.policy} (stop)` : vp.policy);
const rate = (x: number) => (Number.isNaN(x) ? '–' : pct(x));
const ci = (s: SplitStats) => (s.n ? `${pctWithInterval(s.success, s.ci95)} (n=${s.n})` : '–');
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
const gap = (g: DiffInterval | null) => (g ? `${pts(g.diff)} [${pts(g.lo)}, ${pts(g.hi)}]` : '–');
const probeCell = (vp: VariantPolicy) => vp.probes.map((p) => `${p.probe}: ${p.status === 'n/a' ? 'n/a' : `${pct(p.probed.rate)} (${pts(p.change.diff)}) ${p.flag}`}`).join('; ') || '–';
const lat = (vp: VariantPolicy) => (vp.latency ? `${vp.latency.p50.toFixed(1)}/${vp.latency.p95.toFixed(1)} ms` : '–');

export function variantsMarkdown(rep: VariantsReport): string {
  const out: string[] = ['# Frozen vs fine-tuned: results by variant', ''];
  for (const g of rep.groups) {
    out.push(`## ${g.variant}`, '', '| policy | in-distribution | novel | gap ID − novel (pts) | instr-followed ID / novel | probes | latency p50/p95 |', '|---|---|---|---|---|---|---|');
    for (const vp of g.policies) {
      out.push(`| ${label(vp)} | ${ci(vp.inDistribution)} | ${ci(vp.novel)} | ${gap(vp.gap)} | ${rate(vp.inDistribution.instructionFollowed)} / ${rate(vp.novel.instructionFollowed)} | ${probeCell(vp)} | ${lat(vp)} |`);
    }
    out.push('');
  }
  out.push('## Methods', '', ...Object.entries(rep.methods).map(([k, v]) => `- **${k}**: ${v}`), '');
  return out.join('\n');
}

/** A few lines for the terminal, after the main tables. */
export function variantsSummary(rep: VariantsReport): string {
  const lines = ['By variant (ID vs novel success, gap with unpaired 95% CI):'];
  for (const g of rep.groups) {
    for (const vp of g.policies) {
      const flags = vp.probes.filter((p) => p.status === 'ok').map((p) => `${p.probe} ${p.flag}`);
      lines.push(`  ${g.variant.padEnd(10)} ${label(vp).padEnd(20)} ID ${ci(vp.inDistribution).padEnd(22)} novel ${ci(vp.novel).padEnd(22)} gap ${gap(vp.gap)}${flags.length ? `  [${flags.join(', ')}]` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** variants.md and variants.json in the output folder. */
export function writeVariants(dir: string, rep: VariantsReport): { md: string; json: string } {
  const md = join(dir, 'variants.md');
  const json = join(dir, 'variants.json');
  writeFileSync(md, variantsMarkdown(rep));
  writeFileSync(json, JSON.stringify(rep, null, 1) + '\n');
  return { md, json };
}
