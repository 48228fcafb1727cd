import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config';
import { runPlan } from '../src/runner/run';
import { cli, killChildren, miniSetup, normalised, readJsonl, readResults, rowsWithoutTiming, startCli, waitForLines } from './runner-helpers';

afterEach(killChildren);

// 8 scenes × 2 seeds × 3 policies = 48 rows.
const base = (suite: string, out: string) => ['run', '--policy', 'oracle', '--policy', 'straight', '--policy', 'random', '--suite', suite, '--episodes-per-scene', '2', '--out', out];

describe('resume after a kill', () => {
  it('SIGKILL mid-run, then --resume: results.json identical to a clean run, no row lost or doubled', async () => {
    const { dir, suite } = miniSetup('simgate-resume-');
    const clean = join(dir, 'clean');
    const killed = join(dir, 'killed');
    // The clean reference runs in this process (the CLI's run command calls the same runPlan, through runBench).
    await Promise.all([
      runPlan(parseConfig({ policies: ['oracle', 'straight', 'random'], suites: [suite], episodesPerScene: 2, batchSize: 4, outputDir: clean, report: false }, 'test')),
      (async () => {
        // Slow each episode down so the kill lands mid-run.
        const run = startCli([...base(suite, killed), '--batch', '4'], { SIMGATE_SLOW_MS: '120' });
        await waitForLines(join(killed, 'episodes.jsonl'), 6);
        run.child.kill('SIGKILL');
        const r = await run.done;
        expect(r.signal).toBe('SIGKILL');
      })(),
    ]);
    expect(existsSync(join(killed, 'results.json'))).toBe(false);
    const before = readJsonl(killed).length;
    expect(before).toBeGreaterThanOrEqual(6);
    expect(before).toBeLessThan(48);
    // A kill in the middle of writing a line leaves half a row: resume must ignore it.
    appendFileSync(join(killed, 'episodes.jsonl'), '{"episodeId":"cut-off-mid-wri');

    const r = await cli([...base(suite, killed), '--batch', '3', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cut-off last line/);
    expect(r.stderr).toMatch(new RegExp(`Resuming: ${before} of 48`));

    const a = readResults(clean);
    const b = readResults(killed);
    expect(b.complete).toBe(true);
    expect(b.plan!.hash).toBe(a.plan!.hash);
    expect(normalised(b)).toBe(normalised(a));
    // The JSONL holds each (policy, episode) once: the rows before the kill plus the rest.
    const rows = readJsonl(killed);
    expect(rows).toHaveLength(48);
    expect(new Set(rows.map((x) => `${x.policy}/${x.episodeId}`)).size).toBe(48);
    expect(rowsWithoutTiming(rows).sort()).toEqual(rowsWithoutTiming(a.episodes).sort());
  }, 120_000);

  it('--resume against a different plan is refused with exit 2', async () => {
    const { dir, suite } = miniSetup('simgate-resume-plan-');
    const out = join(dir, 'out');
    const first = await cli(['run', '--policy', 'oracle', '--suite', suite, '--episodes-per-scene', '1', '--out', out, '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const rowsBefore = readFileSync(join(out, 'episodes.jsonl'), 'utf8');
    const other = await cli(['run', '--policy', 'oracle', '--suite', suite, '--episodes-per-scene', '2', '--out', out, '--resume', '--quiet']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a run of a different plan \(plan [0-9a-f]{16}: oracle on 8 episodes; this run is plan [0-9a-f]{16}: oracle on 16 episodes\)/);
    // Nothing was touched.
    expect(readFileSync(join(out, 'episodes.jsonl'), 'utf8')).toBe(rowsBefore);
    // A different shard of the same plan is refused too.
    const shard = await cli(['run', '--policy', 'oracle', '--suite', suite, '--episodes-per-scene', '1', '--out', out, '--resume', '--shard', '1/2', '--quiet']);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toMatch(/holds shard unsharded, this run is shard 1\/2/);
  }, 120_000);
});
