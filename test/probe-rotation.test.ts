/**
 * The rotation probe (issue 14): in-distribution episodes with frames rotated 180° at the policy's
 * input (a camera mounted upside down and not rotated back) → ROBUST / ROTATION-SENSITIVE /
 * BETTER ROTATED with the paired interval, as channel-order does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rotate180 } from '../src/image/rotate';
import { probeEpisodes, probeImageTransform, PROBE_NAMES } from '../src/probes';
import { PROBE_RULES, probeResults } from '../src/probes/report';
import { SCRIPTED } from '../src/policy/scripted';
import { openHttpPolicy } from '../src/policy/remote/http-policy';
import type { PolicyInfo } from '../src/policy/types';
import type { EpisodeRow } from '../src/results/schema';
import { runEpisodes } from '../src/runner/episode-loop';
import { episodeProfiles } from '../src/runner/run';
import { suiteEpisodes } from '../src/sim/episode';
import { namedProfile, type RobotProfileInput } from '../src/sim/profile';
import { basketSuite } from './helpers/basket-suite';
import { boxCamera, FakeLabServer } from './helpers/lab-server';
import { smallSuite } from './helpers/suites';

describe('rotate180', () => {
  it('turns the frame upside down and mirrors it, in a new buffer', () => {
    // 3×2: pixels p0 p1 p2 / p3 p4 p5, one byte value per pixel (× 3 channels).
    const px = (v: number[]) => new Uint8Array(v.flatMap((x) => [x, x + 1, x + 2]));
    const f = { width: 3, height: 2, data: px([0, 10, 20, 30, 40, 50]) };
    const r = rotate180(f);
    expect([r.width, r.height]).toEqual([3, 2]);
    expect([...r.data]).toEqual([...px([50, 40, 30, 20, 10, 0])]);
    expect(r.data).not.toBe(f.data);
    expect([...rotate180(r).data]).toEqual([...f.data]);
  });
});

describe('rotation probe', () => {
  const suite = smallSuite();
  it('derives one episode per in-distribution episode, and rotates only its own frames', () => {
    expect(PROBE_NAMES).toContain('rotation');
    expect(PROBE_RULES.rotation).toMatch(/ROTATION-SENSITIVE.*BETTER ROTATED.*ROBUST/);
    const base = suiteEpisodes(suite, 2);
    const rot = probeEpisodes(['rotation'], [suite], 2);
    expect(rot).toHaveLength(base.length);
    expect(rot.every((e) => e.probe === 'rotation')).toBe(true);
    expect(rot.map((e) => e.sceneHash)).toEqual(base.map((e) => e.sceneHash)); // same scenes
    expect(new Set([...rot, ...base].map((e) => e.id)).size).toBe(2 * base.length);
    const f = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    expect([...probeImageTransform(f, rot[0]!, 0).data]).toEqual([4, 5, 6, 1, 2, 3]);
    expect(probeImageTransform(f, base[0]!, 0)).toBe(f);
  });

  /** n (base, rotated) pairs of one policy with the given successes. */
  function rows(pairs: [boolean, boolean][]): EpisodeRow[] {
    return pairs.flatMap(([b, r], i) =>
      [
        [undefined, b],
        ['rotation', r],
      ].map(([probe, ok]) => ({ episodeId: `${i}-${probe ?? 'base'}`, policy: 'p', variant: 'v', suite: 's', suiteVersion: 1, sceneId: `sc${i}`, sceneHash: 'h', seed: 0, split: 'in-distribution', family: 'f', side: 'left', ...(probe ? { probe } : {}), outcome: ok ? 'success' : 'timeout', measures: { success: ok } }) as unknown as EpisodeRow),
    );
  }
  const info = (needsImage: boolean) => ({ name: 'p', kind: 'remote', variant: 'v', actionMode: 'pulse', needsImage }) as PolicyInfo;
  const flag = (pairs: [boolean, boolean][], needsImage = true) => probeResults(rows(pairs), [info(needsImage)], 0.05).find((r) => r.probe === 'rotation')!;
  const times = (n: number, p: [boolean, boolean]) => Array.from({ length: n }, () => p);

  it('flags ROTATION-SENSITIVE, BETTER ROTATED, ROBUST, INCONCLUSIVE with the paired interval; n/a without images', () => {
    const worse = flag([...times(12, [true, false]), ...times(8, [true, true])]);
    expect(worse.flag).toBe('ROTATION-SENSITIVE');
    expect(worse.change.diff).toBeCloseTo(-0.6, 9);
    expect(worse.change.hi).toBeLessThan(0);
    expect(flag(times(12, [false, true])).flag).toBe('BETTER ROTATED (check the camera mounting)');
    expect(flag(times(200, [true, true])).flag).toBe('ROBUST');
    expect(flag([...times(2, [true, false]), ...times(3, [true, true])]).flag).toBe('INCONCLUSIVE');
    expect(flag(times(12, [true, false]), false)).toMatchObject({ status: 'n/a', flag: 'n/a' });
    // Scripted policies read no frames: n/a.
    expect(SCRIPTED.oracle().info.needsImage).toBe(false);
  });
});

describe('rotation probe in the closed loop', () => {
  let server: FakeLabServer | undefined;
  afterAll(async () => server?.stop());

  it('a server that steers by where the basket is in the frame fails when the frames come upside down', async () => {
    server = await new FakeLabServer({ variant: 'v2' }).start();
    const p = await openHttpPolicy({ url: server.url, name: 'edge', imageFormat: 'png', warn: () => {} });
    try {
      const suite = basketSuite();
      const pick = (e: { scene: { id: string } }) => e.scene.id === 'left';
      const eps = [...suiteEpisodes(suite, 1).filter(pick), ...probeEpisodes(['rotation'], [suite], 1).filter(pick)];
      const SMALL = { camera: { width: 48, height: 48 } } as RobotProfileInput;
      const rows = await runEpisodes(p, eps, { profile: namedProfile('v6-held', SMALL), profileFor: episodeProfiles(SMALL), batchSize: 2, renderer: boxCamera(), imageTransform: probeImageTransform });
      const [base, rotated] = rows;
      expect(base!.outcome).toBe('success');
      expect(rotated!.probe).toBe('rotation');
      expect(rotated!.outcome).not.toBe('success');
    } finally {
      await p.close();
    }
  });
});
