import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeResult } from '../probes/report';
import { splitOf, type EpisodeRow, type RunResults } from '../results/schema';
import type { DiffInterval } from '../stats/paired-diff';
import { newcombeUnpaired } from '../stats/unpaired-diff';
import { hierarchicalBootstrap, pairedHierarchicalBootstrap, seedSpread, variantSuccess, type Outcome } from '../stats/hierarchical-bootstrap';
import { followedShare } from '../measures/aggregate';
import { wilson, type Interval } from '../stats/wilson';
import { newcombePaired } from '../stats/paired-diff';
import { pct, pctWithInterval } from '../util/format';

/**
 * The lab's question: does a frozen backbone + action head do as well as a fine-tuned VLM, in
 * distribution and on novel scenes? Policies grouped by `variant`: per checkpoint (a policy), and
 * per variant over its checkpoints (training seeds), with an interval that counts seed variation,
 * and the variants compared with each other paired by episode.
 */

export interface SplitStats {
  /** Episodes counted: error rows are outside n (no success, no failure), as everywhere. */
  n: number;
  successes: number;
  success: number;
  ci95: Interval;
  instructionFollowed: number;
  /** Error rows (not in n). */
  errors: number;
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

/** One variant on one split, over its checkpoints. */
export interface VariantSummary {
  variant: string;
  /** As the tables report it (splitOf): "in-distribution", "novel (stop)", … */
  split: string;
  checkpoints: { policy: string; n: number; successes: number; success: number; ci95: Interval; errors: number }[];
  /** Mean of the checkpoints' success (each seed weighs the same); NaN when no row counts. */
  success: number;
  /** 95% two-stage bootstrap interval (checkpoints, then episodes); null when no row counts. */
  ci95: Interval | null;
  /** Between-seed spread of checkpoint success (null with one checkpoint). */
  spread: { sd: number; min: number; max: number } | null;
  /** Episodes of the split (the columns the checkpoints share). */
  episodes: number;
}

/** success(candidate variant) − success(baseline variant) on one split, paired by episode. */
export interface VariantComparison {
  split: string;
  baseline: string;
  candidate: string;
  /** Episodes both variants ran. */
  episodes: number;
  checkpoints: { baseline: number; candidate: number };
  diff: number;
  ci95: Interval | null;
}

export interface VariantsReport {
  groups: { variant: string; policies: VariantPolicy[] }[];
  /** Variant level (scripted baselines are not a variant of a recipe: left out). */
  variants: VariantSummary[];
  comparisons: VariantComparison[];
  methods: Record<string, string>;
}

export const VARIANT_METHODS = {
  success: 'share of episodes reaching the goal, error rows left out of n; 95% Wilson score interval',
  gap: 'generalisation gap = success(in-distribution) − success(novel); unpaired 95% interval (Newcombe 1998 hybrid score, method 10) because the two splits are different scenes',
  instruction: 'instruction-following: share of episodes passing the obstacles on the instructed side (base episodes); instruction-swap flag per src/probes/report.ts',
  variant:
    'variant success = mean of its checkpoints’ success (each training seed weighs the same); 95% two-stage bootstrap (checkpoints resampled, then episodes, one episode draw shared by all checkpoints: Davison & Hinkley 1997 §3.8; Owen 2007), 2000 replicates, percentile, never narrower than the Wilson interval over the episodes (the percentile bootstrap collapses at 0%/100%); spread = SD and range of checkpoint success',
  comparison:
    'candidate variant − baseline variant per split, paired by episode: the same bootstrap, each variant’s checkpoints resampled independently, one episode draw for both (one checkpoint each: widened to the paired Newcombe interval); the interval excludes 0 → a difference beyond seed and episode noise',
};

const isError = (r: EpisodeRow) => r.outcome === 'error' || r.outcome === 'policy_error';

function split(rows: readonly EpisodeRow[]): SplitStats {
  const counted = rows.filter((r) => !isError(r));
  const n = counted.length;
  const k = counted.filter((r) => r.measures.success === true).length;
  return { n, successes: k, success: n ? k / n : 0, ci95: wilson(k, n), instructionFollowed: followedShare(counted), errors: rows.length - n };
}

export interface VariantsOptions {
  /** The gate's baseline policy: its variant is the one the others are compared with. */
  baseline?: string;
  /** The gate's candidates: their variants are compared (default every other variant). */
  candidates?: readonly string[];
  /** Bootstrap replicates (default 2000). */
  reps?: number;
}

export function variantsReport(results: Pick<RunResults, 'policies' | 'episodes'>, probes: readonly ProbeResult[] = [], opts: VariantsOptions = {}): VariantsReport {
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
  const { variants, comparisons } = variantLevel(results, opts);
  return { groups: [...groups].map(([variant, policies]) => ({ variant, policies })), variants, comparisons, methods: VARIANT_METHODS };
}

/** A variant's outcome table on one split: checkpoints × episodes (ids in first-seen order). */
function outcomeTable(rows: readonly EpisodeRow[], policies: readonly string[], ids: readonly string[]): Outcome[][] {
  const at = new Map(rows.map((r) => [`${r.policy}\u0000${r.episodeId}`, r]));
  return policies.map((p) =>
    ids.map((id) => {
      const r = at.get(`${p}\u0000${id}`);
      return !r || isError(r) ? null : r.measures.success === true ? 1 : 0;
    }),
  );
}

function variantLevel(results: Pick<RunResults, 'policies' | 'episodes'>, opts: VariantsOptions): { variants: VariantSummary[]; comparisons: VariantComparison[] } {
  const reps = opts.reps ?? 2000;
  const byVariant = new Map<string, string[]>();
  for (const p of results.policies) {
    if (p.variant === 'scripted') continue;
    byVariant.set(p.variant, [...(byVariant.get(p.variant) ?? []), p.name]);
  }
  const base = results.episodes.filter((r) => !r.probe && byVariant.has(r.variant));
  const splits = [...new Set(base.map(splitOf))];
  const variants: VariantSummary[] = [];
  const comparisons: VariantComparison[] = [];
  const variantOf = (name: string) => results.policies.find((p) => p.name === name)?.variant;
  const baseVariant = (opts.baseline && byVariant.has(variantOf(opts.baseline) ?? '') ? variantOf(opts.baseline) : undefined) ?? (byVariant.has('frozen') ? 'frozen' : undefined);
  const candidateVariants = [...byVariant.keys()].filter((v) => v !== baseVariant && (!opts.candidates || opts.candidates.some((c) => variantOf(c) === v)));
  for (const s of splits) {
    const rows = base.filter((r) => splitOf(r) === s);
    const ids = [...new Set(rows.map((r) => r.episodeId))];
    const tables = new Map<string, Outcome[][]>();
    for (const [variant, policies] of byVariant) {
      const mine = policies.filter((p) => rows.some((r) => r.policy === p));
      if (!mine.length) continue;
      const table = outcomeTable(rows, mine, ids);
      tables.set(variant, table);
      const checkpoints = mine.map((policy) => {
        const st = split(rows.filter((r) => r.policy === policy));
        return { policy, n: st.n, successes: st.successes, success: st.success, ci95: st.ci95, errors: st.errors };
      });
      const counted = checkpoints.filter((c) => c.n > 0);
      const boot = counted.length ? hierarchicalBootstrap(table, { reps, seed: 1 }) : null;
      const episodes = ids.filter((_, e) => table.some((row) => row[e] !== null)).length;
      const success = counted.length ? variantSuccess(table) : NaN;
      // The percentile bootstrap collapses at 0% / 100% (every replicate the same): never report
      // less than the Wilson interval of the variant's success over its episodes.
      const floor = wilson(Math.round(success * episodes), episodes);
      variants.push({
        variant,
        split: s,
        checkpoints,
        success,
        ci95: boot && Number.isFinite(boot.lo) ? { lo: Math.min(boot.lo, floor.lo), hi: Math.max(boot.hi, floor.hi) } : null,
        spread: seedSpread(counted.map((c) => c.success)),
        episodes,
      });
    }
    const a = baseVariant ? tables.get(baseVariant) : undefined;
    if (!a) continue;
    for (const v of candidateVariants) {
      const b = tables.get(v);
      if (!b) continue;
      // Paired by episode: the episodes both variants have a usable row on.
      const both = ids.map((_, e) => e).filter((e) => a.some((row) => row[e] !== null) && b.some((row) => row[e] !== null));
      const pick = (t: Outcome[][]) => t.map((row) => both.map((e) => row[e]!));
      const boot = both.length ? pairedHierarchicalBootstrap(pick(a), pick(b), { reps, seed: 1 }) : null;
      // One checkpoint each: the bootstrap is an episode bootstrap, too narrow at 0% / 100%;
      // take in the exact paired interval (Newcombe method 10, as the gate).
      let ci = boot && Number.isFinite(boot.lo) ? { lo: boot.lo, hi: boot.hi } : null;
      if (ci && a.length === 1 && b.length === 1) {
        const t = { a: 0, b: 0, c: 0, d: 0 };
        for (const e of both) {
          const x = a[0]![e] === 1;
          const y = b[0]![e] === 1;
          if (x && y) t.a++;
          else if (x) t.b++;
          else if (y) t.c++;
          else t.d++;
        }
        const nc = newcombePaired(t);
        ci = { lo: Math.min(ci.lo, nc.lo), hi: Math.max(ci.hi, nc.hi) };
      }
      comparisons.push({
        split: s,
        baseline: baseVariant!,
        candidate: v,
        episodes: both.length,
        checkpoints: { baseline: a.length, candidate: b.length },
        diff: boot ? boot.estimate : NaN,
        ci95: ci,
      });
    }
  }
  return { variants, comparisons };
}

/** A policy's line: its name, and "(stop)" for its stop-task episodes. */
const label = (vp: VariantPolicy) => (vp.task === 'stop' ? `${vp.policy} (stop)` : vp.policy);
const rate = (x: number) => (Number.isNaN(x) ? '–' : pct(x));
const ci = (s: SplitStats) => (s.n ? `${pctWithInterval(s.success, s.ci95)} (n=${s.n}${s.errors ? `, ${s.errors} errors` : ''})` : s.errors ? `– (${s.errors} errors)` : '–');
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
const gap = (g: DiffInterval | null) => (g ? `${pts(g.diff)} [${pts(g.lo)}, ${pts(g.hi)}]` : '–');
const probeCell = (vp: VariantPolicy) => vp.probes.map((p) => `${p.probe}: ${p.status === 'n/a' ? 'n/a' : `${pct(p.probed.rate)} (${pts(p.change.diff)}) ${p.flag}`}`).join('; ') || '–';
const lat = (vp: VariantPolicy) => (vp.latency ? `${vp.latency.p50.toFixed(1)}/${vp.latency.p95.toFixed(1)} ms` : '–');

/** "61% [44–75]" for a variant, "–" when no row counts. */
export const variantCell = (v: VariantSummary): string => (Number.isFinite(v.success) ? (v.ci95 ? pctWithInterval(v.success, v.ci95) : pct(v.success)) : '–');
/** "SD 9.4 pts, 52–71%" or "1 checkpoint: no seed spread". */
export const spreadCell = (v: VariantSummary): string =>
  v.spread ? `SD ${(100 * v.spread.sd).toFixed(1)} pts, ${(100 * v.spread.min).toFixed(0)}–${pct(v.spread.max)}` : `${v.checkpoints.length} checkpoint${v.checkpoints.length === 1 ? ': no seed spread' : 's'}`;
/** "-20.3 [-31.0, -9.1]" for a variant comparison. */
export const comparisonCell = (c: VariantComparison): string => (Number.isFinite(c.diff) ? `${pts(c.diff)}${c.ci95 ? ` [${pts(c.ci95.lo)}, ${pts(c.ci95.hi)}]` : ''}` : '–');
/** What a variant comparison says, in words. */
export const comparisonReading = (c: VariantComparison): string =>
  !c.ci95 ? 'no episodes in common' : c.ci95.lo > 0 ? `${c.candidate} better` : c.ci95.hi < 0 ? `${c.candidate} worse` : 'no difference beyond seed and episode noise';

export function variantsMarkdown(rep: VariantsReport): string {
  const out: string[] = ['# Frozen vs fine-tuned: results by variant', ''];
  if (rep.comparisons.length) {
    out.push('## Variant against variant (all checkpoints, paired by episode)', '', '| split | comparison | checkpoints | episodes | difference pts [95% CI] | reading |', '|---|---|---|---|---|---|');
    for (const c of rep.comparisons) out.push(`| ${c.split} | ${c.candidate} − ${c.baseline} | ${c.checkpoints.candidate} vs ${c.checkpoints.baseline} | ${c.episodes} | ${comparisonCell(c)} | ${comparisonReading(c)} |`);
    out.push('');
  }
  if (rep.variants.length) {
    out.push('## Per variant over its checkpoints (training seeds)', '', '| variant | split | success [95% CI, seeds + episodes] | between seeds | checkpoints |', '|---|---|---|---|---|');
    for (const v of rep.variants) out.push(`| ${v.variant} | ${v.split} | ${variantCell(v)} | ${spreadCell(v)} | ${v.checkpoints.map((c) => `${c.policy} ${c.n ? pct(c.success) : '–'} (n=${c.n}${c.errors ? `, ${c.errors} errors` : ''})`).join(', ')} |`);
    out.push('');
  }
  out.push('## Per checkpoint', '');
  for (const g of rep.groups) {
    out.push(`### ${g.variant}`, '', '| policy | in-distribution | novel | gap ID − novel (pts) | instr-followed ID / novel | probes | latency p50/p95 |', '|---|---|---|---|---|---|---|');
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
  const multi = rep.variants.some((v) => v.checkpoints.length > 1);
  if (rep.variants.length && (multi || rep.comparisons.length)) {
    lines.push('Variants over their checkpoints (95% CI over seeds and episodes; between-seed spread):');
    for (const v of rep.variants) lines.push(`  ${v.variant.padEnd(10)} ${v.split.padEnd(24)} ${variantCell(v).padEnd(16)} ${spreadCell(v)}`);
    for (const c of rep.comparisons) lines.push(`  ${`${c.candidate} − ${c.baseline}`.padEnd(22)} ${c.split.padEnd(24)} ${comparisonCell(c).padEnd(22)} ${comparisonReading(c)} (${c.checkpoints.candidate} vs ${c.checkpoints.baseline} checkpoints, ${c.episodes} episodes)`);
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
