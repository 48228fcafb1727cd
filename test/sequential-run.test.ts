/**
 * The sequential gate in a run (src/runner/sequential.ts): blocks in a seeded order, early stops
 * per split, the same rows whatever the batch size, resume, and what it prints. Scripted
 * policies only (no rendering).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config';
import { runBench } from '../src/runner/bench';
import { gateReporter, tablesReporter, variantsReporter, probesReporter } from '../src/report/reporters';
import type { RunResults } from '../src/results/schema';
import { ConfigError } from '../src/util/errors';
import { smallSuite, tempDir, writeSuite } from './helpers/suites';
import { cli, killChildren } from './runner-helpers';

afterEach(killChildren);

const dir = tempDir('simgate-seq-');
const idFile = writeSuite(dir, smallSuite('seq-id'), 'id.json');
const novelFile = writeSuite(dir, smallSuite('seq-novel', { split: 'novel' }), 'novel.json');
const config = (out: string, extra: Record<string, unknown> = {}) =>
  parseConfig(
    {
      policies: ['oracle', 'straight', 'mirror', 'random'],
      baseline: 'oracle',
      candidates: ['straight', 'mirror'],
      suites: [idFile, novelFile],
      episodesPerScene: 6,
      tolerance: 0.2,
      gate: { sequential: true, block: 8 },
      report: false,
      outputDir: join(dir, out),
      ...extra,
    },
    'test',
  );
const reporters = [tablesReporter, probesReporter, variantsReporter, gateReporter];
const stable = (r: RunResults) => JSON.stringify(r.episodes.map(({ timing: _t, ...x }) => x));

describe('sequential gate run', () => {
  let first: RunResults;
  let printed = '';

  it('stops each split once decided: straight REGRESSION, mirror PASS, in fewer episodes than the fixed-n run', async () => {
    const run = await runBench(config('b8'), { reporters, print: (s) => (printed += s) });
    first = run.results;
    const rec = run.results.sequential!;
    expect(rec).toBeDefined();
    expect(rec.comparisons.map((c) => `${c.b} vs ${c.a}`)).toEqual(['straight vs oracle', 'mirror vs oracle']);
    for (const c of rec.comparisons) {
      expect(c.groups.map((g) => g.group)).toEqual(['in-distribution', 'novel']);
      for (const g of c.groups) {
        expect(g.decision).toBe(c.b === 'straight' ? 'REGRESSION' : 'PASS');
        expect(g.stoppedBy).toBe('decision');
        expect(g.fixedN).toBe(48);
        expect(g.episodes).toBeLessThan(48);
        expect(g.episodes % 8).toBe(0);
      }
    }
    // Rows: each candidate only as far as its decisions went; the baseline as far as the longest;
    // the reference policy (random) the whole plan.
    const count = (p: string) => run.results.episodes.filter((r) => r.policy === p).length;
    const used = (b: string) => rec.comparisons.find((c) => c.b === b)!.groups.reduce((s, g) => s + g.episodes, 0);
    expect(count('straight')).toBe(used('straight'));
    expect(count('mirror')).toBe(used('mirror'));
    expect(count('oracle')).toBe(Math.max(used('straight'), used('mirror')));
    expect(count('random')).toBe(96);
    expect(run.results.complete).toBe(true);
    // The gate's verdicts are the sequential decisions; the run regressed.
    expect(run.status).toBe('regressed');
    expect(run.found.comparisons.find((c) => c.b.policy === 'mirror')!.verdict).toBe('PASS');
    // Printed: the decision and how many episodes it took vs the fixed-n run.
    expect(printed).toMatch(/in-distribution: REGRESSION after \d+ episodes \(fixed-n run: 48; \d+ fewer per policy\)/);
    expect(printed).toMatch(/novel: PASS after \d+ episodes \(fixed-n run: 48/);
    expect(printed).toMatch(/anytime-valid evidence/);
    // results.json and compare.json carry the record.
    const onDisk = JSON.parse(readFileSync(join(dir, 'b8', 'results.json'), 'utf8')) as RunResults;
    expect(onDisk.sequential).toEqual(rec);
    const cmp = JSON.parse(readFileSync(join(dir, 'b8', 'compare.json'), 'utf8'));
    expect(cmp.sequential.block).toBe(8);
    expect(cmp.comparisons[0].groups[0].sequential.decision).toBe('REGRESSION');
  }, 120_000);

  it('gives the same rows and decisions at batch 1', async () => {
    const run = await runBench(config('b1', { batchSize: 1 }), { reporters: [] });
    expect(stable(run.results)).toBe(stable(first));
    expect(run.results.sequential).toEqual(first.sequential);
  }, 120_000);

  it('resumes without running anything new, to the same decisions', async () => {
    let episodes = 0;
    const run = await runBench(config('b8'), { reporters: [], resume: true, onEpisode: () => void episodes++ });
    expect(episodes).toBe(0);
    expect(stable(run.results)).toBe(stable(first));
    expect(run.results.sequential).toEqual(first.sequential);
  }, 120_000);

  it('stops at maxEpisodes per split (INCONCLUSIVE) and refuses to run without a baseline or with shards', async () => {
    const run = await runBench(config('cap', { candidates: ['mirror'], tolerance: 0.05, gate: { sequential: true, block: 8, maxEpisodes: 16 } }), { reporters: [] });
    const g = run.results.sequential!.comparisons[0]!.groups;
    expect(g.map((x) => [x.decision, x.stoppedBy, x.episodes, x.budget])).toEqual([
      ['INCONCLUSIVE', 'budget', 16, 16],
      ['INCONCLUSIVE', 'budget', 16, 16],
    ]);
    await expect(runBench(config('nobase', { baseline: undefined, candidates: undefined }))).rejects.toThrow(ConfigError);
    await expect(runBench(config('shard'), { shard: { index: 1, total: 2 } })).rejects.toThrow(/not with --shard/);
  }, 120_000);

  it('--sequential and --max-episodes on the command line', async () => {
    const out = join(dir, 'cli');
    const r = await cli(['run', '--policy', 'oracle', '--policy', 'straight', '--suite', idFile, '--episodes-per-scene', '4', '--baseline', 'oracle', '--sequential', '--max-episodes', '24', '--no-report', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/in-distribution: REGRESSION after 16 episodes \(fixed-n run: 32; 16 fewer per policy\)/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(res.config.gate).toMatchObject({ sequential: true, maxEpisodes: 24 });
    expect(existsSync(join(out, 'report.html'))).toBe(false);
  }, 120_000);
});
