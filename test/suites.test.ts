import { describe, expect, it } from 'vitest';
import { loadSuite } from '../src/scene/load';
import { inDistributionSpecs, novelSpecs, NOVEL_FAMILIES } from '../src/scene/suites';
import type { Scene } from '../src/scene/schema';
import { suiteEpisodes } from '../src/sim/episode';
import { generateScene } from '../src/scene/generate';
import { seedFrom } from '../src/util/hash';
import { ERA_V2 } from '../src/scene/generate';
import { planPath } from '../src/scene/geometry';
import { cxFrom, POSITION_NAMES, POSITIONS, type Position } from '../src/scene/basket';
import { horizontalFov, namedProfile } from '../src/sim/profile';

const id = loadSuite('scenes/nav-id-v1.json');
const novel = loadSuite('scenes/nav-novel-v1.json');
const geometry = (s: Scene) => JSON.stringify({ o: s.obstacles, t: s.target.pose, g: s.goal, r: s.robot, room: s.room });
const look = (s: Scene) => JSON.stringify({ a: s.appearance, d: s.distractors, i: s.instruction.text, k: s.target.kind });

describe('suites', () => {
  it('in distribution mirrors the lab: mostly 1box_hori, medium distance, the bottle and the lab instruction', () => {
    const n = id.scenes.length;
    expect(id.scenes.every((s) => s.split === 'in-distribution' && s.target.kind === 'bottle')).toBe(true);
    expect(id.scenes.filter((s) => s.family === '1box_hori').length / n).toBeGreaterThanOrEqual(0.5);
    expect(id.scenes.filter((s) => s.tags.includes('medium')).length / n).toBeGreaterThanOrEqual(0.5);
    for (const s of id.scenes) expect(s.instruction.text).toBe(`Navigate around obstacles and reach the front of the beverage bottle on the ${s.instruction.side}`);
    expect(id.scenes.filter((s) => s.instruction.side === 'left').length).toBe(n / 2);
  });

  it('novel has one family per axis plus all-shifts, each with both sides', () => {
    const fams = new Set(novel.scenes.map((s) => s.family));
    expect([...fams].sort()).toEqual([...NOVEL_FAMILIES].sort());
    for (const f of fams) {
      const sides = new Set(novel.scenes.filter((s) => s.family === f).map((s) => s.instruction.side));
      expect(sides.size, f).toBe(2);
    }
    expect(novel.scenes.every((s) => s.split === 'novel')).toBe(true);
  });

  // The base layouts are regenerated from the same seeds (they are not in the suite).
  it('each appearance axis keeps the base geometry and changes what the camera sees; each layout axis changes geometry', () => {
    const spec = novelSpecs();
    for (const family of ['distractors', 'lighting', 'texture', 'camera', 'instruction', 'target', 'start']) {
      const scenes = spec.scenes.filter((s) => s.family === family);
      expect(scenes.length, family).toBeGreaterThan(0);
      for (const s of scenes) {
        const shifted = novel.scenes.find((x) => x.id === s.id)!;
        const { baseId, family: _f, ...rest } = s;
        const plain = generateScene({
          id: baseId!,
          layout: rest.layout,
          side: rest.side,
          distance: rest.distance,
          split: 'novel',
          seed: seedFrom(spec.name, baseId!),
        });
        if (family === 'target' || family === 'start') expect(geometry(shifted), `${s.id} geometry`).not.toBe(geometry(plain));
        else expect(geometry(shifted), `${s.id} geometry`).toBe(geometry(plain));
        if (family !== 'start') expect(look(shifted), `${s.id} look`).not.toBe(look(plain));
      }
    }
  });

  it('changing a scene changes its hash and so its episode ids; the version is in every id', () => {
    const eps = suiteEpisodes(id, 2);
    const ids = new Set(eps.map((e) => e.id));
    expect(ids.size).toBe(eps.length);
    const bumped = suiteEpisodes({ ...id, version: id.version + 1 }, 2);
    expect(bumped.some((e) => ids.has(e.id))).toBe(false);
  });

  it('the in-distribution spec and the committed file agree on scene ids', () => {
    expect(inDistributionSpecs().scenes.map((s) => s.id)).toEqual(id.scenes.map((s) => s.id));
  });
});

describe('v2 suites: the seed era for 12.5 cm per action and 17 actions', () => {
  const id2 = loadSuite('scenes/nav-id-v2.json');
  const novel2 = loadSuite('scenes/nav-novel-v2.json');

  it('same taxonomy, families and scene ids as v1; profile seed-pulse, version 2, the lab\'s 17-action episodes', () => {
    expect(id2.scenes.map((s) => s.id)).toEqual(id.scenes.map((s) => s.id));
    expect(novel2.scenes.map((s) => s.id)).toEqual(novel.scenes.map((s) => s.id));
    expect(novel2.scenes.map((s) => s.family)).toEqual(novel.scenes.map((s) => s.family));
    expect(inDistributionSpecs(ERA_V2).scenes.map((s) => s.id)).toEqual(id2.scenes.map((s) => s.id));
    for (const s of [id2, novel2]) {
      expect(s.profile).toBe('seed-pulse');
      expect(s.version).toBe(2);
      expect(s.scenes.every((x) => x.timeLimit === 17)).toBe(true);
    }
    for (const s of id2.scenes) expect(s.instruction.text).toBe(`Navigate around obstacles and reach the front of the beverage bottle on the ${s.instruction.side}`);
    // The v1 files keep their form: no profile field (their hashes, hence episode ids, are unchanged).
    expect(id.profile).toBeUndefined();
  });

  it('every planned path on the instructed side fits comfortably: ≤ 0.8 × 17 × 0.125 m into the goal disc', () => {
    for (const s of [...id2.scenes, ...novel2.scenes]) {
      const plan = planPath(s, s.robot.start, s.goal, { clearance: 0.22, side: s.instruction.side })!;
      expect(plan.length - s.goal.radius, s.id).toBeLessThanOrEqual(0.8 * 17 * 0.125);
    }
  });

  it('each appearance axis keeps the base geometry (v2)', () => {
    const spec = novelSpecs(ERA_V2);
    for (const s of spec.scenes.filter((x) => ['distractors', 'lighting', 'texture', 'camera', 'instruction'].includes(x.family!))) {
      const shifted = novel2.scenes.find((x) => x.id === s.id)!;
      const plain = generateScene({ id: s.baseId!, layout: s.layout, side: s.side, distance: s.distance, split: 'novel', seed: seedFrom(spec.name, s.baseId!), era: ERA_V2 });
      expect(geometry(shifted), s.id).toBe(geometry(plain));
      expect(look(shifted), s.id).not.toBe(look(plain));
    }
  });
});

describe('the basket suites (the deployed task, v6-held)', () => {
  const basket = loadSuite('scenes/lab-basket-v1.json');
  const bnovel = loadSuite('scenes/lab-basket-novel-v1.json');
  const v6 = namedProfile('v6-held');
  const half = horizontalFov(v6.camera) / 2;

  it('five positions × two start distances, placed by where the basket shows in the first frame', () => {
    expect(basket.profile).toBe('v6-held');
    expect(horizontalFov(v6.camera) * (180 / Math.PI)).toBeCloseTo(78.5, 1);
    expect(basket.scenes).toHaveLength(10);
    expect(new Set(basket.scenes.map((s) => s.family))).toEqual(new Set(POSITION_NAMES));
    for (const s of basket.scenes) {
      expect(s.split).toBe('in-distribution');
      expect(s.obstacles).toEqual([]);
      expect(s.target).toMatchObject({ kind: 'basket', size: [0.36, 0.5, 0.3] });
      expect(s.instruction.text).toBe('gray basket');
      expect(s.task).toEqual({ rule: 'stop', band: { min: 0.4, max: 0.5 }, centralCx: 0.35 });
      expect(cxFrom(s.robot.start, s.target.pose), s.id).toBeCloseTo(POSITIONS[s.family as Position], 3);
      // 1.5 or 2.0 m from the camera (0.10 m ahead of the centre) to the basket's front.
      const front = s.target.pose.x - 0.18 - 0.1;
      expect([1.5, 2.0].some((d) => Math.abs(front - d) < 1e-3), s.id).toBe(true);
      // The goal: mid-band straight in front of the basket.
      expect(s.goal.y).toBeCloseTo(s.target.pose.y, 3);
      expect(s.target.pose.x - 0.18 - s.goal.x).toBeCloseTo(0.45 + 0.15, 3);
      expect(s.timeLimit).toBeGreaterThanOrEqual(90);
    }
  });

  it('novel: one family per axis, four scenes each, positions spread over the five', () => {
    expect(bnovel.profile).toBe('v6-held');
    const fams = ['chair', 'pot', 'negatives', 'low-contrast', 'out-of-view', 'lighting', 'floor-texture', 'drift', 'start-pose', 'cadence'];
    expect([...new Set(bnovel.scenes.map((s) => s.family))].sort()).toEqual([...fams].sort());
    for (const f of fams) expect(bnovel.scenes.filter((s) => s.family === f), f).toHaveLength(4);
    const positions = new Set(bnovel.scenes.flatMap((s) => s.tags.filter((t) => (POSITION_NAMES as string[]).includes(t))));
    expect(positions.size).toBe(5);
    for (const s of bnovel.scenes) {
      expect(s.split).toBe('novel');
      expect(s.task?.rule).toBe('stop');
      const cx = cxFrom(s.robot.start, s.target.pose);
      const inView = cx !== null && cx >= 0 && cx <= 1;
      const corners = [-1, 1].flatMap((i) => [-1, 1].map((j) => {
        const [hx, hy] = [s.target.size![0] / 2, s.target.size![1] / 2];
        const c = Math.cos(s.target.pose.yaw), sn = Math.sin(s.target.pose.yaw);
        return { x: s.target.pose.x + c * i * hx - sn * j * hy, y: s.target.pose.y + sn * i * hx + c * j * hy };
      }));
      switch (s.family) {
        case 'chair':
        case 'pot':
          expect(s.target.kind).toBe(s.family);
          expect(s.target.size).toBeDefined();
          break;
        case 'negatives':
          expect(s.target.kind).toBe('basket');
          expect(s.instruction.text).toBe('gray basket');
          expect(s.distractors.filter((d) => d.negative)).toHaveLength(1);
          for (const d of s.distractors) {
            const dcx = cxFrom(s.robot.start, d.pose)!;
            expect(dcx).toBeGreaterThan(0);
            expect(dcx).toBeLessThan(1);
          }
          break;
        case 'low-contrast':
          expect(s.appearance.floor.colour).toBe(s.target.colour);
          break;
        case 'out-of-view':
          // The whole basket is outside the horizontal field of view at the start.
          for (const p of corners) {
            const b = Math.atan2(p.y - s.robot.start.y, p.x - (s.robot.start.x + 0.1));
            expect(Math.abs(b), s.id).toBeGreaterThan(half);
          }
          break;
        case 'drift':
          expect(Math.abs(s.robot.driftDeg!)).toBe(4);
          break;
        case 'start-pose':
          expect(inView).toBe(true);
          expect(Math.hypot(s.robot.start.x, s.robot.start.y)).toBeGreaterThan(0);
          break;
        default:
          expect(inView).toBe(true);
      }
      if (s.family !== 'out-of-view') expect(inView, s.id).toBe(true);
    }
  });
});
