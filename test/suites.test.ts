import { describe, expect, it } from 'vitest';
import { loadSuite } from '../src/scene/load';
import { inDistributionSpecs, novelSpecs, NOVEL_FAMILIES } from '../src/scene/suites';
import type { Scene } from '../src/scene/schema';
import { suiteEpisodes } from '../src/sim/episode';
import { generateScene } from '../src/scene/generate';
import { seedFrom } from '../src/util/hash';

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
