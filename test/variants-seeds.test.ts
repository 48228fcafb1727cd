/**
 * Variants over training seeds (synthetic rows: no training, no rendering): per checkpoint and
 * per variant, the two-stage bootstrap interval, the between-seed spread, the variant-level
 * comparison paired by episode — and error rows outside n (issue 17, first bug).
 */
import { describe, expect, it } from 'vitest';
import type { PolicyInfo } from '../src/policy/types';
import { variantsMarkdown, variantsReport, variantsSummary } from '../src/report/variants';
import type { EpisodeRow } from '../src/results/schema';
import { hierarchicalBootstrap, pairedHierarchicalBootstrap, seedSpread, type Outcome } from '../src/stats/hierarchical-bootstrap';
import { wilson } from '../src/stats/wilson';
import { Rng } from '../src/util/rng';

const info = (name: string, variant: string, kind: PolicyInfo['kind'] = 'onnx'): PolicyInfo => ({ name, kind, variant, actionMode: 'pulse', needsImage: kind !== 'scripted' });

/** Rows of one policy: outcome k decides episode k (true = success, false = failure, 'error'). */
function rows(policy: string, variant: string, split: 'in-distribution' | 'novel', outcomes: readonly (boolean | 'error')[], task?: 'stop'): EpisodeRow[] {
  return outcomes.map((o, k): EpisodeRow => ({
    episodeId: `${split}${task ?? ''}-${k}`,
    policy,
    variant,
    suite: 's',
    suiteVersion: 1,
    sceneId: `scene-${k >> 1}`,
    sceneHash: 'h',
    seed: k & 1,
    split,
    ...(task ? { task } : {}),
    family: `f${k % 4}`,
    side: 'left',
    outcome: o === 'error' ? 'policy_error' : o ? 'success' : 'collision',
    measures: o === 'error' ? {} : { success: o },
  }) as EpisodeRow);
}

/** n outcomes with exactly round(rate·n) successes, spread by a seeded shuffle over episodes. */
function outcomes(rate: number, n: number, seed: number): boolean[] {
  const k = Math.round(rate * n);
  const xs = Array.from({ length: n }, (_, i) => i < k);
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

describe('error rows are outside n in the by-variant report (bug: variants.md counted them)', () => {
  it('22 successes of 32 rows with 10 errors: 100% of n = 22, not 69% of 32', () => {
    const r = rows('trained-text', 'finetuned', 'in-distribution', [...Array(22).fill(true), ...Array(10).fill('error')]);
    const rep = variantsReport({ policies: [info('trained-text', 'finetuned')], episodes: r });
    const vp = rep.groups[0]!.policies[0]!;
    expect(vp.inDistribution).toMatchObject({ n: 22, successes: 22, errors: 10, success: 1 });
    expect(variantsMarkdown(rep)).toMatch(/100% \[85–100\] \(n=22, 10 errors\)/);
    // A split whose rows are all errors has no rate.
    const allErr = variantsReport({ policies: [info('x', 'finetuned')], episodes: rows('x', 'finetuned', 'novel', Array(5).fill('error')) });
    expect(variantsMarkdown(allErr)).toMatch(/– \(5 errors\)/);
    expect(allErr.variants[0]!.ci95).toBeNull();
  });
});

describe('variants over training seeds', () => {
  const N = 64;
  // The lab's swing: one recipe, three seeds, 33% → 61%; fine-tuned seeds at 55–70%.
  const frozen = [0.33, 0.47, 0.61].map((p, s) => ({ name: `trained-frozen-s${s + 1}`, rows: rows(`trained-frozen-s${s + 1}`, 'frozen', 'novel', outcomes(p, N, 10 + s)) }));
  const fine = [0.55, 0.62, 0.7].map((p, s) => ({ name: `trained-finetuned-s${s + 1}`, rows: rows(`trained-finetuned-s${s + 1}`, 'finetuned', 'novel', outcomes(p, N, 20 + s)) }));
  const scripted = { name: 'oracle', rows: rows('oracle', 'scripted', 'novel', Array(N).fill(true)) };
  const all = [...frozen, ...fine, scripted];
  const rep = variantsReport(
    { policies: [...frozen.map((f) => info(f.name, 'frozen')), ...fine.map((f) => info(f.name, 'finetuned')), info('oracle', 'scripted', 'scripted')], episodes: all.flatMap((x) => x.rows) },
    [],
    { baseline: 'trained-frozen-s1', candidates: fine.map((f) => f.name), reps: 2000 },
  );

  it('reports each checkpoint and each variant (mean of its seeds) with the between-seed spread; scripted is no variant', () => {
    expect(rep.variants.map((v) => v.variant)).toEqual(['frozen', 'finetuned']);
    const fz = rep.variants[0]!;
    expect(fz.checkpoints.map((c) => c.policy)).toEqual(['trained-frozen-s1', 'trained-frozen-s2', 'trained-frozen-s3']);
    expect(fz.success).toBeCloseTo((21 + 30 + 39) / 3 / N, 10);
    expect(fz.spread!.min).toBeCloseTo(21 / N, 10);
    expect(fz.spread!.max).toBeCloseTo(39 / N, 10);
    expect(fz.spread!.sd).toBeGreaterThan(0.1);
    expect(fz.ci95!.lo).toBeLessThan(fz.success);
    expect(fz.ci95!.hi).toBeGreaterThan(fz.success);
  });

  it('the variant interval counts seed variation: wider than one checkpoint of the same n·k episodes pooled', () => {
    const fz = rep.variants[0]!;
    const pooled = wilson(21 + 30 + 39, 3 * N);
    expect(fz.ci95!.hi - fz.ci95!.lo).toBeGreaterThan(1.3 * (pooled.hi - pooled.lo));
    // Identical seeds: no seed variation to add; the same 64 episodes three times are 64 episodes' worth.
    const same: Outcome[][] = [0, 1, 2].map(() => outcomes(0.47, N, 5).map((x) => (x ? 1 : 0)));
    const b = hierarchicalBootstrap(same, { reps: 2000 });
    const w = wilson(30, N);
    expect(b.hi - b.lo).toBeGreaterThan(0.8 * (w.hi - w.lo));
    expect(b.hi - b.lo).toBeLessThan(1.1 * (w.hi - w.lo));
    expect(seedSpread([0.47, 0.47, 0.47])!.sd).toBe(0);
  });

  it('compares fine-tuned with frozen at the variant level, paired by episode', () => {
    expect(rep.comparisons).toHaveLength(1);
    const c = rep.comparisons[0]!;
    expect(c).toMatchObject({ split: 'novel', baseline: 'frozen', candidate: 'finetuned', episodes: N, checkpoints: { baseline: 3, candidate: 3 } });
    expect(c.diff).toBeCloseTo((35 + 40 + 45) / 3 / N - (21 + 30 + 39) / 3 / N, 10);
    // One frozen seed (61%) beats two fine-tuned ones: the seed spread keeps the interval wide.
    expect(c.ci95!.lo).toBeLessThan(c.diff);
    expect(c.ci95!.hi).toBeGreaterThan(c.diff);
    const md = variantsMarkdown(rep);
    expect(md).toMatch(/\| novel \| finetuned − frozen \| 3 vs 3 \| 64 \|/);
    expect(md).toMatch(/SD \d+\.\d pts, 33–61%/);
    expect(variantsSummary(rep)).toMatch(/finetuned − frozen/);
  });

  it('a consistent gap across seeds is resolved; a single checkpoint says so and shows no spread', () => {
    const a: Outcome[][] = [0.4, 0.42, 0.38].map((p, s) => outcomes(p, 200, 40 + s).map((x) => (x ? 1 : 0)));
    const b: Outcome[][] = [0.7, 0.72, 0.68].map((p, s) => outcomes(p, 200, 50 + s).map((x) => (x ? 1 : 0)));
    const d = pairedHierarchicalBootstrap(a, b, { reps: 1000 });
    expect(d.lo).toBeGreaterThan(0.15);
    const one = variantsReport({ policies: [info('f', 'frozen'), info('g', 'finetuned')], episodes: [...rows('f', 'frozen', 'in-distribution', outcomes(0.5, 32, 1)), ...rows('g', 'finetuned', 'in-distribution', outcomes(0.9, 32, 2))] });
    expect(one.variants[0]!.spread).toBeNull();
    expect(variantsMarkdown(one)).toMatch(/1 checkpoint: no seed spread/);
    expect(one.comparisons[0]!.candidate).toBe('finetuned');
    // At 100% the percentile bootstrap collapses; the variant interval keeps the Wilson one.
    const perfect = variantsReport({ policies: [info('p', 'frozen')], episodes: rows('p', 'frozen', 'novel', Array(32).fill(true)) });
    expect(perfect.variants[0]!.ci95!.lo).toBeCloseTo(wilson(32, 32).lo, 10);
    expect(perfect.variants[0]!.ci95!.hi).toBe(1);
  });

  it('stop-task rows are their own split; error rows drop out of the variant table, not the episode pairing of others', () => {
    const withErr = rows('g-s1', 'finetuned', 'in-distribution', [true, true, 'error', false], 'stop');
    const base = rows('f-s1', 'frozen', 'in-distribution', [true, false, true, false], 'stop');
    const r2 = variantsReport({ policies: [info('f-s1', 'frozen'), info('g-s1', 'finetuned')], episodes: [...base, ...withErr] });
    expect(r2.variants.map((v) => v.split)).toEqual(['in-distribution (stop)', 'in-distribution (stop)']);
    expect(r2.variants[1]!.checkpoints[0]).toMatchObject({ n: 3, errors: 1 });
    expect(r2.comparisons[0]!.episodes).toBe(3);
  });

  it('two-stage bootstrap covers a recipe’s mean better than pooling the seeds', () => {
    // Each seed's true success ~ U(0.3, 0.7) around the recipe's 0.5; 3 seeds × 64 episodes.
    const rng = new Rng(77);
    let hier = 0;
    let pooled = 0;
    const sims = 150;
    for (let s = 0; s < sims; s++) {
      const table: Outcome[][] = [0, 1, 2].map(() => {
        const p = 0.3 + 0.4 * rng.next();
        return Array.from({ length: 64 }, () => (rng.next() < p ? 1 : 0));
      });
      const b = hierarchicalBootstrap(table, { reps: 400, seed: s + 1 });
      if (b.lo <= 0.5 && 0.5 <= b.hi) hier++;
      const k = table.flat().reduce<number>((x, y) => x + (y ?? 0), 0);
      const w = wilson(k, 192);
      if (w.lo <= 0.5 && 0.5 <= w.hi) pooled++;
    }
    expect(hier).toBeGreaterThan(pooled);
    expect(hier / sims).toBeGreaterThan(0.75);
  });
});
