import { describe, expect, it } from 'vitest';
import { SCRIPTED, type ScriptedName } from '../src/policy/scripted';
import { probeEpisodes, probeImageTransform, swapInstruction, swapRedBlue, swapSideWords } from '../src/probes';
import { probeResults } from '../src/probes/report';
import { variantsReport, variantsMarkdown } from '../src/report/variants';
import { runEpisodes } from '../src/runner/episode-loop';
import { loadSuite } from '../src/scene/load';
import type { EpisodeRow } from '../src/results/schema';
import { suiteEpisodes } from '../src/sim/episode';
import { DEFAULT_PROFILE } from '../src/sim/profile';
import { smallSuite } from './helpers/suites';

const suite = smallSuite(); // 8 in-distribution scenes, both sides
const K = 2;
const base = suiteEpisodes(suite, K);
const probes = probeEpisodes(['instruction-swap', 'memorisation', 'channel-order'], [suite], K);
const runAll = async (name: ScriptedName): Promise<EpisodeRow[]> => runEpisodes(SCRIPTED[name](), [...base, ...probes], { profile: DEFAULT_PROFILE, batchSize: 16 });
const find = (rs: ReturnType<typeof probeResults>, probe: string) => rs.find((r) => r.probe === probe)!;

describe('probe episodes', () => {
  it('are derived per in-distribution scene with their own ids and scene hashes', () => {
    expect(probes).toHaveLength(3 * base.length);
    const ids = new Set([...base, ...probes].map((e) => e.id));
    expect(ids.size).toBe(4 * base.length);
    const swap = probes.filter((e) => e.probe === 'instruction-swap');
    expect(swap.every((e) => e.scene.id.endsWith('.swap') && !base.some((b) => b.sceneHash === e.sceneHash))).toBe(true);
    // Deterministic: derived again, the same ids.
    expect(probeEpisodes(['instruction-swap', 'memorisation', 'channel-order'], [suite], K).map((e) => e.id)).toEqual(probes.map((e) => e.id));
  });

  it('swap the instruction text and side; shift start and target for memorisation', () => {
    expect(swapSideWords('reach the bottle on the left')).toBe('reach the bottle on the right');
    expect(swapSideWords('Right, then left')).toBe('Left, then right');
    expect(swapSideWords('reach the cup')).toBeNull();
    const s0 = suite.scenes[0]!;
    const sw = swapInstruction(s0);
    if (typeof sw === 'string') throw new Error(sw);
    expect(sw.instruction.side).not.toBe(s0.instruction.side);
    expect(sw.obstacles).toEqual(s0.obstacles);
    const mem = probes.find((e) => e.probe === 'memorisation' && e.scene.id === `${s0.id}.shift`)!.scene;
    const dy = Math.abs(mem.robot.start.y - s0.robot.start.y);
    const dx = s0.robot.start.x - mem.robot.start.x;
    expect(dy).toBeGreaterThanOrEqual(0.2 - 1e-9);
    expect(dy).toBeLessThanOrEqual(0.4 + 1e-9);
    expect(dx).toBeGreaterThanOrEqual(0.2 - 1e-9);
    expect(mem.goal.x - s0.goal.x).toBeGreaterThanOrEqual(0.2 - 1e-9);
  });

  it('channel-order swaps R and B for its own episodes only', () => {
    const f = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    expect([...swapRedBlue(f).data]).toEqual([3, 2, 1, 6, 5, 4]);
    const co = probes.find((e) => e.probe === 'channel-order')!;
    expect([...probeImageTransform(f, co, 0).data]).toEqual([3, 2, 1, 6, 5, 4]);
    expect(probeImageTransform(f, base[0]!, 0)).toBe(f);
  });
});

describe('probes catch the failure modes they target', () => {
  it('instruction-swap flags ignore-instruction and not the oracle', async () => {
    const oracle = probeResults(await runAll('oracle'), [SCRIPTED.oracle().info], 0.05);
    const ignore = probeResults(await runAll('ignore-instruction'), [SCRIPTED['ignore-instruction']().info], 0.05);
    const o = find(oracle, 'instruction-swap');
    const g = find(ignore, 'instruction-swap');
    expect(o.flag).toBe('FOLLOWS');
    expect(o.instruction!.followed.rate).toBeGreaterThanOrEqual(0.95);
    expect(g.flag).toBe('IGNORES INSTRUCTION');
    expect(g.instruction!.followed.rate).toBeCloseTo(0.5, 1);
    expect(g.instruction!.pairsSwitchedSide).toBe(0);
    // Scripted policies ignore images: channel-order is n/a for them.
    expect(find(oracle, 'channel-order').status).toBe('n/a');
  });

  it('replay collapses on memorisation while the oracle passes both', async () => {
    // The committed in-distribution suite: replay's reference scene is one of its layouts, so
    // replay does pass some base episodes there (as the lab's memorising models did).
    const id = loadSuite('scenes/nav-id-v2.json');
    const eps = [...suiteEpisodes(id, 1), ...probeEpisodes(['memorisation'], [id], 1)];
    const go = (name: ScriptedName) => runEpisodes(SCRIPTED[name](), eps, { profile: DEFAULT_PROFILE, batchSize: 16 });
    const oracleRows = await go('oracle');
    const replay = probeResults(await go('replay'), [SCRIPTED.replay().info], 0.05);
    const oracle = probeResults(oracleRows, [SCRIPTED.oracle().info], 0.05);
    const r = find(replay, 'memorisation');
    expect(r.base.rate).toBeGreaterThan(0.2);
    expect(r.probed.rate).toBeLessThanOrEqual(0.05);
    expect(r.flag).toBe('COLLAPSES');
    const o = find(oracle, 'memorisation');
    expect(o.base.rate).toBeGreaterThanOrEqual(0.95);
    expect(o.probed.rate).toBeGreaterThanOrEqual(0.95);
    expect(o.flag).not.toBe('COLLAPSES');

    // The by-variant report carries the probe flags.
    const rep = variantsReport({ policies: [SCRIPTED.oracle().info], episodes: oracleRows }, oracle);
    expect(rep.groups[0]!.variant).toBe('scripted');
    expect(rep.groups[0]!.policies[0]!.inDistribution.n).toBe(id.scenes.length);
    expect(variantsMarkdown(rep)).toMatch(/memorisation: 100%/);
  });
});
