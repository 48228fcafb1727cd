import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config';
import { parseShard } from '../src/runner/plan';
import { runPlan } from '../src/runner/run';
import { cli, killChildren, miniSetup, normalised, readResults } from './runner-helpers';

afterEach(killChildren);

describe('--shard auto', () => {
  it('reads i/n from a Kubernetes Indexed Job or a SLURM job array, and refuses what has no i/n reading', () => {
    // Kubernetes: 0-based index; the count comes from the manifest (JOB_COMPLETIONS = spec.completions).
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '4' })).toEqual({ index: 1, total: 4 });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '3', JOB_COMPLETIONS: '4' })).toEqual({ index: 4, total: 4 });
    // SLURM: --array=1-8 and --array=0-7 both give shards 1…8.
    const slurm = (id: number, min: number, max: number, count = max - min + 1, step?: number) => ({
      SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_MIN: String(min),
      SLURM_ARRAY_TASK_MAX: String(max),
      SLURM_ARRAY_TASK_COUNT: String(count),
      ...(step ? { SLURM_ARRAY_TASK_STEP: String(step) } : {}),
    });
    expect(parseShard('auto', slurm(1, 1, 8))).toEqual({ index: 1, total: 8 });
    expect(parseShard('auto', slurm(8, 1, 8))).toEqual({ index: 8, total: 8 });
    expect(parseShard('auto', slurm(0, 0, 7))).toEqual({ index: 1, total: 8 });
    expect(parseShard(' auto ', slurm(5, 0, 7))).toEqual({ index: 6, total: 8 });

    expect(() => parseShard('auto', {})).toThrow(/neither JOB_COMPLETION_INDEX .* nor SLURM_ARRAY_TASK_ID/);
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '2' })).toThrow(/JOB_COMPLETIONS is not/);
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '4', JOB_COMPLETIONS: '4' })).toThrow(/gives shard 5\/4, outside 1…4/);
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: 'x', JOB_COMPLETIONS: '4' })).toThrow(/JOB_COMPLETION_INDEX=x is not a whole number/);
    // --array=1,3,5 (count 3 over 1…5) or --array=0-15:4: no i/n reading.
    expect(() => parseShard('auto', slurm(3, 1, 5, 3))).toThrow(/not one contiguous range/);
    expect(() => parseShard('auto', slurm(4, 0, 12, 4, 4))).toThrow(/not one contiguous range/);
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '2' })).toThrow(/not SLURM_ARRAY_TASK_COUNT\/MIN\/MAX/);
    // Explicit i/n is unchanged.
    expect(parseShard('2/3', { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '4' })).toEqual({ index: 2, total: 3 });
  });

  it('shards taken from a Kubernetes index and a SLURM task, merged, are the unsharded run', async () => {
    const { dir, suite } = miniSetup('simgate-shard-auto-');
    const args = (out: string) => ['run', '--policy', 'oracle', '--policy', 'random', '--suite', suite, '--episodes-per-scene', '1', '--shard', 'auto', '--out', out, '--quiet'];
    const full = join(dir, 'full');
    const [k8s, slurm] = await Promise.all([
      cli(args(join(dir, 'shard-0')), { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '2' }),
      cli(args(join(dir, 'shard-2')), { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '2', SLURM_ARRAY_TASK_COUNT: '2' }),
      runPlan(parseConfig({ policies: ['oracle', 'random'], suites: [suite], episodesPerScene: 1, outputDir: full, report: false }, 'test')),
    ]);
    for (const r of [k8s!, slurm!]) expect(r.code, r.stderr).toBe(0);
    expect(readResults(join(dir, 'shard-0')).shard).toEqual({ index: 1, total: 2 });
    expect(readResults(join(dir, 'shard-2')).shard).toEqual({ index: 2, total: 2 });
    const m = await cli(['merge', join(dir, 'shard-0'), join(dir, 'shard-2'), '--out', join(dir, 'merged')]);
    expect(m.code, m.stderr).toBe(0);
    expect(normalised(readResults(join(dir, 'merged')))).toBe(normalised(readResults(full)));

    // Outside an array job, --shard auto is a usage error that says what it looked for.
    const none = await cli(args(join(dir, 'none')), { JOB_COMPLETION_INDEX: '', SLURM_ARRAY_TASK_ID: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--shard auto: neither JOB_COMPLETION_INDEX/);
  }, 120_000);
});
