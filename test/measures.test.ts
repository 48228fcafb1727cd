import { describe, expect, it } from 'vitest';
import { wilson } from '../src/stats/wilson';
import { computeMeasures, orderMeasures, type Measure } from '../src/measures';
import { aggregate } from '../src/measures/aggregate';
import { Scene } from '../src/scene/schema';
import { DEFAULT_PROFILE } from '../src/sim/profile';
import type { EpisodeTrace } from '../src/sim/trace';
import type { EpisodeSpec } from '../src/sim/episode';
import type { EpisodeRow } from '../src/results/schema';

describe('Wilson interval', () => {
  it('matches hand-worked values', () => {
    // p = 0.5, n = 50: centre 0.5, half-width z·sqrt(.25/50 + z²/10000)/(1 + z²/50) = 0.1336
    const a = wilson(25, 50);
    expect(a.lo).toBeCloseTo(0.3664, 4);
    expect(a.hi).toBeCloseTo(0.6336, 4);
    // 0 of 10: [0, z²/(n+z²)] = [0, 0.2775]
    const b = wilson(0, 10);
    expect(b.lo).toBe(0);
    expect(b.hi).toBeCloseTo(0.2775, 4);
    // 10 of 10 mirrors it
    expect(wilson(10, 10).lo).toBeCloseTo(0.7225, 4);
    // 8 of 10 (published: 0.4902–0.9433)
    expect(wilson(8, 10).lo).toBeCloseTo(0.4902, 4);
    expect(wilson(8, 10).hi).toBeCloseTo(0.9433, 4);
  });
});

/** An empty room 4 m long, goal 2 m ahead: the geodesic is 2 − 0.2 = 1.8 m. */
const scene = Scene.parse({
  id: 'spl',
  family: 'f',
  split: 'in-distribution',
  room: { min: [-1, -2], max: [4, 2] },
  robot: { start: { x: 0, y: 0, yaw: 0 } },
  obstacles: [{ id: 'box0', kind: 'box', size: [0.2, 0.2, 0.2], pose: { x: 1, y: 1.5, yaw: 0 } }],
  target: { kind: 'bottle', pose: { x: 2.4, y: 0 } },
  instruction: { text: 't', side: 'left' },
  goal: { x: 2, y: 0, radius: 0.2 },
  timeLimit: 50,
});
const episode: EpisodeSpec = { id: 'e', suite: 's', suiteVersion: 1, scene, sceneHash: 'h', seed: 0, split: 'in-distribution', family: 'f' };
const trace = (poses: [number, number][], outcome: EpisodeTrace['outcome']): EpisodeTrace => ({
  episodeId: 'e',
  actions: poses.slice(1).map(() => [1, 0]),
  poses: poses.map(([x, y]) => [x, y, 0]),
  hashes: [],
  contacts: [],
  events: [],
  outcome,
  start: { x: 0, y: 0, yaw: 0 },
});

describe('navigation measures', () => {
  it('SPL = 1 for the straight optimal path, l/p for a detour, 0 on failure', () => {
    const m = computeMeasures({ episode, trace: trace([[0, 0], [0.9, 0], [1.8, 0]], 'success'), profile: DEFAULT_PROFILE });
    expect(m.geodesic_distance).toBeCloseTo(1.8, 9);
    expect(m.path_length).toBeCloseTo(1.8, 9);
    expect(m.spl).toBeCloseTo(1, 9);
    // detour: (0,0) → (0.9, 1.2) → (1.8, 0): p = 1.5 + 1.5 = 3 → SPL = 1.8/3 = 0.6
    const d = computeMeasures({ episode, trace: trace([[0, 0], [0.9, 1.2], [1.8, 0]], 'success'), profile: DEFAULT_PROFILE });
    expect(d.path_length).toBeCloseTo(3, 9);
    expect(d.spl).toBeCloseTo(0.6, 9);
    const f = computeMeasures({ episode, trace: trace([[0, 0], [0.9, 0]], 'timeout'), profile: DEFAULT_PROFILE });
    expect(f.spl).toBe(0);
    expect(f.distance_to_goal).toBeCloseTo(1.1, 9);
    // soft SPL: progress (1 − (1.1 − .2)/(2 − .2)) = 0.5, path efficient → 0.5
    expect(f.soft_spl).toBeCloseTo(0.5, 9);
  });

  it('passed side / instruction-followed from where the path crosses the box', () => {
    const near = { ...episode, scene: { ...scene, obstacles: [{ ...scene.obstacles[0]!, pose: { x: 1, y: 0, yaw: 0 } }] } };
    const left = computeMeasures({ episode: near, trace: trace([[0, 0], [0.8, 0.4], [1.2, 0.4], [1.8, 0]], 'success'), profile: DEFAULT_PROFILE });
    expect(left.passed_side).toBe('left');
    expect(left.instruction_followed).toBe(true);
    const right = computeMeasures({ episode: near, trace: trace([[0, 0], [0.8, -0.4], [1.2, -0.4]], 'timeout'), profile: DEFAULT_PROFILE });
    expect(right.passed_side).toBe('right');
    expect(right.instruction_followed).toBe(false);
    const none = computeMeasures({ episode: near, trace: trace([[0, 0], [0.5, 0]], 'collision'), profile: DEFAULT_PROFILE });
    expect(none.passed_side).toBe('none');
  });

  it('orders measures by declared dependencies and rejects cycles', () => {
    const m = (name: string, deps: string[]): Measure => ({ name, deps, doc: '', compute: () => 1 });
    expect(orderMeasures([m('c', ['b']), m('b', ['a']), m('a', [])]).map((x) => x.name)).toEqual(['a', 'b', 'c']);
    expect(() => orderMeasures([m('a', ['b']), m('b', ['a'])])).toThrow(/cycle/);
    expect(() => orderMeasures([m('a', ['zzz'])])).toThrow(/unknown/);
  });

  it('aggregates per policy × split × family with Wilson intervals', () => {
    const row = (family: string, success: boolean): EpisodeRow => ({
      episodeId: `${family}${Math.random()}`,
      policy: 'p',
      variant: 'v',
      suite: 's',
      suiteVersion: 1,
      sceneId: 'x',
      sceneHash: 'h',
      seed: 0,
      split: 'in-distribution',
      family,
      side: 'left',
      outcome: success ? 'success' : 'timeout',
      measures: { success, spl: success ? 0.8 : 0, collisions: 0, instruction_followed: success },
    });
    const rows = [row('a', true), row('a', false), row('b', true), row('b', true)];
    const aggs = aggregate(rows);
    const all = aggs.find((a) => a.family === 'all')!;
    expect(all.n).toBe(4);
    expect(all.success).toBe(0.75);
    expect(all.ci95).toEqual(wilson(3, 4));
    expect(all.spl).toBeCloseTo(0.6, 9);
    expect(aggs.find((a) => a.family === 'a')!.success).toBe(0.5);
  });
});
