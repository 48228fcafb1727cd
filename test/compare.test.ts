import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compareRows, pairRows, updateBaseline, verdict } from '../src/compare';
import { readRows } from '../src/results/read';
import { SCRIPTED, type ScriptedName } from '../src/policy/scripted';
import { runEpisodes } from '../src/runner/episode-loop';
import { shardEpisodes } from '../src/runner/plan';
import type { EpisodeRow } from '../src/results/schema';
import { suiteEpisodes, type EpisodeSpec } from '../src/sim/episode';
import { loadSuite } from '../src/scene/load';
import { DEFAULT_PROFILE } from '../src/sim/profile';
import { smallSuite, tempDir, writeSuite } from './helpers/suites';
import { cli, killChildren } from './runner-helpers';

afterEach(killChildren);

const run = (name: ScriptedName, episodes: readonly EpisodeSpec[], batchSize: number) => runEpisodes(SCRIPTED[name](), episodes, { profile: DEFAULT_PROFILE, batchSize });
const side = (rows: EpisodeRow[], source: string) => ({ policy: rows[0]!.policy, variant: rows[0]!.variant, source, rows });
const stable = (rows: readonly EpisodeRow[]) => rows.map(({ timing: _t, ...r }) => r);

describe('pairing by episode id', () => {
  // replay: a mix of successes and failures on the suite its reference scene comes from, so a
  // mispairing would show as discordance.
  const episodes = suiteEpisodes(loadSuite('scenes/nav-id-v2.json'), 2);

  it('is identical for batch 1 and batch 16', async () => {
    const b1 = await run('replay', episodes, 1);
    const b16 = await run('replay', episodes, 16);
    expect(stable(b16)).toEqual(stable(b1));
    const { pairs, onlyA, onlyB } = pairRows(b1, [...b16].reverse());
    expect(pairs).toHaveLength(episodes.length);
    expect(onlyA).toHaveLength(0);
    expect(onlyB).toHaveLength(0);
    const cmp = compareRows(side(b1, 'batch 1'), side(b16, 'batch 16'), 0.05);
    expect(cmp.groups.every((g) => g.table.b === 0 && g.table.c === 0)).toBe(true);
    const k = b1.filter((r) => r.measures.success === true).length;
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(b1.length);
  });

  it('is identical for a sharded run (3 shards, concatenated) and an unsharded one', async () => {
    const whole = await run('replay', episodes, 8);
    const parts: EpisodeRow[] = [];
    for (const index of [3, 1, 2]) parts.push(...(await run('replay', shardEpisodes(episodes, { index, total: 3 }), 5)));
    expect(parts.map((r) => r.episodeId).sort()).toEqual(whole.map((r) => r.episodeId).sort());
    const cmp = compareRows(side(whole, 'unsharded'), side(parts, 'sharded'), 0.05);
    expect(cmp.onlyA).toHaveLength(0);
    expect(cmp.onlyB).toHaveLength(0);
    expect(cmp.groups.find((g) => g.family === 'all')!.n).toBe(episodes.length);
    expect(cmp.groups.every((g) => g.lost.length === 0 && g.gained.length === 0)).toBe(true);
  });

  it('reports episodes present on one side only, and refuses duplicates', async () => {
    const rows = await run('straight', episodes, 8);
    const cmp = compareRows(side(rows, 'a'), side(rows.slice(3), 'b'), 0.05);
    expect(cmp.onlyA.map((e) => e.episodeId)).toEqual(rows.slice(0, 3).map((r) => r.episodeId));
    expect(cmp.groups.find((g) => g.family === 'all')!.n).toBe(rows.length - 3);
    expect(() => pairRows([...rows, rows[0]!], rows)).toThrow(/appears twice/);
  });
});

describe('error rows in a comparison', () => {
  it('are outside n (no success, no failure): pairs with an error on either side are left out and counted', async () => {
    const eps = suiteEpisodes(loadSuite('scenes/nav-id-v2.json'), 1).slice(0, 10);
    const a = await run('oracle', eps, 8);
    const b = (await run('oracle', eps, 8)).map((r, k) => (k < 3 ? { ...r, policy: 'b', outcome: 'policy_error' as const, measures: {} } : { ...r, policy: 'b' }));
    const cmp = compareRows(side(a, 'a'), side(b, 'b'), 0.05);
    const all = cmp.groups.find((g) => g.family === 'all')!;
    expect(all.n).toBe(7);
    expect(all.b.errors).toBe(3);
    expect(all.a.errors).toBe(0);
    expect(all.table).toEqual({ a: 7, b: 0, c: 0, d: 0 });
    expect(all.lost).toHaveLength(0);
  });
});

describe('verdict rule', () => {
  it('REGRESSION needs both the drop beyond tolerance and p < 0.05', () => {
    expect(verdict({ diff: -0.2, lo: -0.3, hi: -0.1, method: '' }, 0.01, 50, 0.05)).toBe('REGRESSION');
    expect(verdict({ diff: -0.2, lo: -0.4, hi: 0.05, method: '' }, 0.2, 50, 0.05)).toBe('INCONCLUSIVE');
    expect(verdict({ diff: -0.03, lo: -0.06, hi: 0, method: '' }, 0.01, 50, 0.05)).toBe('INCONCLUSIVE');
    expect(verdict({ diff: 0, lo: -0.04, hi: 0.04, method: '' }, 1, 50, 0.05)).toBe('PASS');
    expect(verdict({ diff: 0, lo: -1, hi: 1, method: '' }, 1, 0, 0.05)).toBe('INCONCLUSIVE');
  });
});

describe('comparing a policy against itself', () => {
  it('PASSes with zero discordant pairs (two runs, different batch sizes)', async () => {
    // 16 scenes × 5 seeds = 80 pairs: enough for the interval to sit within 5 points at 100%.
    const suite = smallSuite('self', {});
    const many = [...suite.scenes, ...suite.scenes.map((s) => ({ ...s, id: `${s.id}_b` }))];
    const eps = suiteEpisodes({ ...suite, scenes: many, sceneHashes: Object.fromEntries(many.map((s, i) => [s.id, `h${i}`])) }, 5);
    const a = await run('oracle', eps, 1);
    const b = await run('oracle', eps, 16);
    const cmp = compareRows(side(a, 'a'), side(b, 'b'), 0.05);
    const all = cmp.groups.filter((g) => g.family === 'all');
    expect(all.map((g) => g.verdict)).toEqual(['PASS']);
    expect(all[0]!.n).toBe(80);
    expect(cmp.groups.every((g) => g.lost.length + g.gained.length === 0)).toBe(true);
    expect(cmp.verdict).toBe('PASS');
  });
});

describe('CLI', () => {
  const dir = tempDir();
  const suite = writeSuite(dir, smallSuite());
  const out = join(dir, 'run');
  const results = join(out, 'results.json');

  it('run --baseline oracle: straight is a REGRESSION, exit 1, compare.json written', async () => {
    const r = await cli(['run', '--policy', 'oracle', '--policy', 'straight', '--suite', suite, '--episodes-per-scene', '2', '--baseline', 'oracle', '--out', out]);
    expect(r.stderr).not.toMatch(/crashed/);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/straight \(B\) vs oracle \(A, baseline\)/);
    expect(r.stdout).toMatch(/REGRESSION/);
    const saved = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(saved.verdict).toBe('REGRESSION');
    expect(saved.comparisons[0].groups[0].lost).toHaveLength(16);
  }, 120_000);

  it('--candidate: only the named policy is judged; a scripted reference that fails does not trip the gate', async () => {
    const o2 = join(dir, 'cand');
    const r = await cli(['run', '--policy', 'oracle', '--policy', 'straight', '--policy', 'mirror', '--suite', suite, '--episodes-per-scene', '2', '--baseline', 'oracle', '--candidate', 'mirror', '--out', o2, '--no-report']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mirror \(B\) vs oracle \(A, baseline\)/);
    expect(r.stdout).not.toMatch(/straight \(B\) vs/);
    const bad = await cli(['run', '--policy', 'oracle', '--suite', suite, '--baseline', 'oracle', '--candidate', 'nope', '--out', o2]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/candidates: "nope"/);
  }, 120_000);

  it('compare: exit 1 on REGRESSION (JSON), 0 for a policy against itself, 2 on bad input', async () => {
    const c = await cli(['compare', results, results, '--policy-a', 'oracle', '--policy-b', 'straight', '--json']);
    expect(c.code).toBe(1);
    const j = JSON.parse(c.stdout);
    expect(j.comparisons[0].groups[0]).toMatchObject({ group: 'in-distribution', family: 'all', n: 16, verdict: 'REGRESSION' });
    expect(j.comparisons[0].groups[0].p).toBeCloseTo(2 / 2 ** 16, 12);
    // straight against itself: no discordance; 16 pairs cannot certify 5 points → INCONCLUSIVE, exit 0
    const s = await cli(['compare', results, results, '--policy-a', 'straight', '--policy-b', 'straight']);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/0\/0/);
    expect((await cli(['compare', results, join(dir, 'missing.json')])).code).toBe(2);
    expect((await cli(['compare', results, results])).code).toBe(2); // two policies in A: which?
  }, 120_000);

  it('run exits 2 on an unknown --baseline or --probe; stored baselines round-trip', async () => {
    expect((await cli(['run', '--policy', 'oracle', '--suite', suite, '--baseline', 'no-such-thing', '--out', join(dir, 'x')])).code).toBe(2);
    expect((await cli(['run', '--policy', 'oracle', '--suite', suite, '--probe', 'nope', '--out', join(dir, 'x')])).code).toBe(2);
    // In a temp dir, not the repo's benchmarks/baselines.
    const bdir = join(dir, 'baselines');
    mkdirSync(bdir, { recursive: true });
    const stored = updateBaseline('oracle-small', results, 'oracle', bdir);
    expect(stored.episodes).toBe(16);
    const loaded = readRows(stored.file);
    expect(loaded.episodes.every((e) => e.policy === 'oracle' && e.trace === undefined)).toBe(true);
    const vs = await cli(['compare', stored.file, results, '--policy-b', 'straight']);
    expect(vs.code).toBe(1);
  }, 120_000);
});
