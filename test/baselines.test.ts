import { describe, expect, it } from 'vitest';
import { SCRIPTED, type ScriptedName } from '../src/policy/scripted';
import { runEpisodes } from '../src/runner/episode-loop';
import { suiteEpisodes } from '../src/sim/episode';
import { DEFAULT_PROFILE } from '../src/sim/profile';
import { aggregate } from '../src/measures/aggregate';
import type { EpisodeRow } from '../src/results/schema';
import { smallSuite } from './helpers/suites';

const episodes = suiteEpisodes(smallSuite(), 3); // 8 scenes × 3 seeds
const run = (name: ScriptedName, batchSize = 8) => runEpisodes(SCRIPTED[name](), episodes, { profile: DEFAULT_PROFILE, batchSize });
const pooled = (rows: EpisodeRow[]) => aggregate(rows).find((a) => a.family === 'all')!;
/** Rows without wall-clock timing: everything that must be deterministic. */
const stable = (rows: EpisodeRow[]) => rows.map(({ timing: _t, ...r }) => r);

describe('scripted baselines on a small suite', () => {
  it('oracle succeeds (≥ 95%) and follows the instruction', async () => {
    const a = pooled(await run('oracle'));
    expect(a.success).toBeGreaterThanOrEqual(0.95);
    expect(a.instructionFollowed).toBeGreaterThanOrEqual(0.95);
    expect(a.collisionsPerEpisode).toBe(0);
    expect(a.spl).toBeGreaterThan(0.7);
  });

  it('mirror reaches the goal on the wrong side: instruction-followed ≈ 0%', async () => {
    const a = pooled(await run('mirror'));
    expect(a.success).toBeGreaterThanOrEqual(0.9);
    expect(a.instructionFollowed).toBeLessThanOrEqual(0.05);
  });

  it('straight hits the box (≤ 20%), random rarely succeeds (≤ 10%)', async () => {
    const s = pooled(await run('straight'));
    expect(s.success).toBeLessThanOrEqual(0.2);
    expect(s.collisionsPerEpisode).toBeGreaterThan(0.5);
    expect(pooled(await run('random')).success).toBeLessThanOrEqual(0.1);
  });

  it('results are identical for batch 1 and batch 16, and across runs', async () => {
    for (const name of ['oracle', 'random'] as const) {
      const one = stable(await run(name, 1));
      const sixteen = stable(await run(name, 16));
      expect(sixteen).toEqual(one);
      expect(stable(await run(name, 16))).toEqual(sixteen);
    }
  });
});
