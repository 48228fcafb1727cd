import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeResults } from '../src/runner/merge';
import { parseConfig } from '../src/config/config';
import { runPlan } from '../src/runner/run';
import { checkBenchInputs } from '../src/runner/bench';
import { smallSuite, tempDir, writeSuite } from './helpers/suites';
import { cli, killChildren, miniSetup, normalised, readJsonl, readResults, rowsWithoutTiming } from './runner-helpers';

afterEach(killChildren);

const POLICIES = ['oracle', 'straight', 'random'];

describe('--shard i/n and simgate merge', () => {
  it('shards 1/3 + 2/3 + 3/3 merged are the unsharded run; bad shard sets are refused', async () => {
    const { dir, suite } = miniSetup('simgate-shard-');
    const shardArgs = (i: number, batch: number) => ['run', ...POLICIES.flatMap((p) => ['--policy', p]), '--suite', suite, '--episodes-per-scene', '2', '--batch', String(batch), '--shard', `${i}/3`, '--out', join(dir, `s${i}`), '--quiet'];
    // The unsharded reference runs in this process (same code path as the CLI's run command).
    const full = join(dir, 'full');
    const [r1, r2, r3] = await Promise.all([
      cli(shardArgs(1, 4)),
      cli(shardArgs(2, 1)),
      cli(shardArgs(3, 8)),
      runPlan(parseConfig({ policies: POLICIES, suites: [suite], episodesPerScene: 2, batchSize: 5, outputDir: full, report: false }, 'test')),
    ]);
    for (const r of [r1, r2, r3]) expect(r!.code, r!.stderr).toBe(0);

    // The rule: plan episode k goes to shard (k mod 3) + 1 — sizes 6, 5, 5 of 16.
    const shards = [1, 2, 3].map((i) => readResults(join(dir, `s${i}`)));
    expect(shards.map((s) => s.plan!.shardEpisodes)).toEqual([6, 5, 5]);
    expect(shards.map((s) => s.shard)).toEqual([1, 2, 3].map((index) => ({ index, total: 3 })));
    const reference = readResults(full);
    const ids = reference.episodes.filter((e) => e.policy === 'oracle').map((e) => e.episodeId);
    expect(shards[1]!.episodes.filter((e) => e.policy === 'oracle').map((e) => e.episodeId)).toEqual(ids.filter((_, k) => k % 3 === 1));

    const merged = join(dir, 'merged');
    const m = await cli(['merge', join(dir, 's3'), join(dir, 's1'), join(dir, 's2', 'results.json'), '--out', merged]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/Merged 3 shard\(s\), 48 episode rows/);
    expect(normalised(readResults(merged))).toBe(normalised(reference));
    expect(rowsWithoutTiming(readJsonl(merged))).toEqual(rowsWithoutTiming(reference.episodes));
    // Same tables as the unsharded run.
    expect(readResults(merged).aggregates).toEqual(reference.aggregates);

    // Refusals (exit 2 from the CLI; ConfigError here), each naming the problem.
    const s = (i: number) => join(dir, `s${i}`);
    expect(() => mergeResults([s(1), s(2)], join(dir, 'm2'))).toThrow(/missing shard 3\/3 \(have 1\/3, 2\/3\)/);
    expect(() => mergeResults([s(1), s(2), s(3), s(2)], join(dir, 'm3'))).toThrow(/shard 2\/3 given twice .*: the shards overlap/);
    expect(() => mergeResults([s(1), full], join(dir, 'm4'))).toThrow(/shards of different splits/);
    expect(() => mergeResults([s(1), s(2), s(3)], s(1))).toThrow(/is one of the shards/);
    // A shard 3/3 of another plan (as if run with other seeds or another checkpoint).
    const odd = join(dir, 'odd');
    cpSync(s(3), odd, { recursive: true });
    const other = readResults(odd);
    other.plan!.hash = '0123456789abcdef';
    writeFileSync(join(odd, 'results.json'), JSON.stringify(other));
    const bad = await cli(['merge', s(1), s(2), odd, '--out', join(dir, 'm5')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/runs of different plans \(plan [0-9a-f]{16}: .*s1, .*s2; plan 0123456789abcdef: .*odd\)/);
    // An unfinished shard (killed: no results.json) is named, with how to finish it.
    const cut = join(dir, 'cut');
    cpSync(s(3), cut, { recursive: true });
    rmSync(join(cut, 'results.json'));
    expect(() => mergeResults([s(1), s(2), cut], join(dir, 'm6'))).toThrow(/cut: no results.json \(the run there did not finish\)/);
    expect(readFileSync(join(cut, 'plan.json'), 'utf8')).toMatch(/"index": 3/);
  }, 180_000);
});

describe('policySuites: a policy runs only its suites', () => {
  it('runs, shards and merges to the same rows as the whole run', async () => {
    const dir = tempDir('simgate-polsuites-');
    const a = writeSuite(dir, smallSuite('ps-a'), 'a.json');
    const b = writeSuite(dir, { ...smallSuite('ps-b'), scenes: smallSuite('ps-b').scenes.slice(0, 3) }, 'b.json');
    const cfg = (out: string) => parseConfig({ policies: ['oracle', 'straight'], suites: [a, b], policySuites: { straight: [b] }, episodesPerScene: 1, batchSize: 3, outputDir: join(dir, out), report: false }, 'test');
    const whole = await runPlan(cfg('whole'));
    expect(whole.episodes.filter((r) => r.policy === 'oracle')).toHaveLength(11);
    expect(whole.episodes.filter((r) => r.policy === 'straight').map((r) => r.suite)).toEqual(['ps-b', 'ps-b', 'ps-b']);
    expect(whole.complete).toBe(true);
    expect(whole.plan!.rows).toBe(14);
    for (const index of [1, 2, 3]) await runPlan(cfg(`s${index}`), {}, { shard: { index, total: 3 } });
    const merged = mergeResults([1, 2, 3].map((i) => join(dir, `s${i}`)), join(dir, 'merged'));
    expect(normalised(merged)).toBe(normalised(whole));
    expect(() => checkBenchInputs(parseConfig({ policies: ['oracle'], suites: [a], policySuites: { nope: [a] } }, 'test'))).toThrow(/policySuites: "nope" is not a policy/);
    expect(() => checkBenchInputs(parseConfig({ policies: ['oracle'], suites: [a], policySuites: { oracle: [b] } }, 'test'))).toThrow(/is not one of the run's suites/);
  });
});
