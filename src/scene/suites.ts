import { Rng } from '../util/rng';
import { seedFrom } from '../util/hash';
import { ERA_V1, ERA_V2, type Era, type Layout, type SceneSpec } from './generate';
import type { SceneInput, Side } from './schema';

/**
 * The committed suites. In distribution mirrors what the lab recorded; novel changes one thing
 * at a time (one family per axis) on the same base layouts, so a drop can be traced to its cause.
 * A novel scene keeps its base scene's geometry seed (`baseId`): only the named axis differs.
 */
export type SuiteSceneSpec = Omit<SceneSpec, 'seed' | 'era'> & { baseId?: string };
export interface SuiteSpec {
  name: string;
  version: number;
  description: string;
  /** Generation era of every scene (default v1). */
  era?: Era;
  /** The suite's robot profile by name; absent in the v1 files (which predate the field). */
  profile?: string;
  scenes: SuiteSceneSpec[];
}

const SIDES: readonly Side[] = ['left', 'right'];

export const ID_SUITE = 'nav-id-v1';
export const NOVEL_SUITE = 'nav-novel-v1';
/** The seed taxonomy regenerated for the recalibrated base: 12.5 cm per action, 17 actions. */
export const ID_SUITE_V2 = 'nav-id-v2';
export const NOVEL_SUITE_V2 = 'nav-novel-v2';

/** Name, version, profile and the description's era note of a seed-taxonomy suite per era. */
function eraSuite(era: Era, split: 'id' | 'novel'): Pick<SuiteSpec, 'name' | 'version' | 'era' | 'profile'> & { note: string } {
  if (era === ERA_V1) return { name: split === 'id' ? ID_SUITE : NOVEL_SUITE, version: 1, era, note: '' };
  if (era === ERA_V2)
    return {
      name: split === 'id' ? ID_SUITE_V2 : NOVEL_SUITE_V2,
      version: 2,
      era,
      profile: 'seed-pulse',
      note: ' v2: for the recalibrated base (12.5 cm per 0.4 s pulse) and the lab\'s 17-action episodes: targets 1.15/1.35/1.55 m away, boxes 0.7× v1\'s, every path ≤ 1.7 m, time limit 17.',
    };
  throw new Error(`no suite names for era ${era.name}`);
}

/** The lab's recordings: mostly one box across the path at medium distance, a soda bottle. */
export function inDistributionSpecs(era: Era = ERA_V1): SuiteSpec {
  const scenes: SuiteSceneSpec[] = [];
  for (const side of SIDES) {
    const add = (layout: Layout, distance: SceneSpec['distance'], k: number) =>
      scenes.push({ id: `${layout}_${side}_${distance}_${k}`, layout, side, distance, split: 'in-distribution', tags: ['core'] });
    add('1box_hori', 'close', 0);
    for (const k of [0, 1, 2]) add('1box_hori', 'medium', k);
    add('1box_hori', 'far', 0);
    add('1box_vert', 'medium', 0);
    add('2box_hori', 'medium', 0);
    add('2box_vert', 'medium', 0);
  }
  const { note, ...named } = eraSuite(era, 'id');
  return {
    ...named,
    description: "In distribution: the lab's taxonomy in its proportions (mostly 1box_hori, medium distance), soda bottle, the lab's instruction, grey floor, pale walls, cardboard boxes." + note,
    scenes,
  };
}

const PARAPHRASES: Record<Side, string[]> = {
  left: [
    'Go around the box on the left and stop in front of the bottle',
    'Pass the obstacle on its left side, then approach the drink',
    'Take the left way around the boxes to reach the bottle',
    'Keep the obstacle on your right and drive to the front of the bottle',
  ],
  right: [
    'Go around the box on the right and stop in front of the bottle',
    'Pass the obstacle on its right side, then approach the drink',
    'Take the right way around the boxes to reach the bottle',
    'Keep the obstacle on your left and drive to the front of the bottle',
  ],
};

/** The base layouts each appearance family is applied to (geometry identical to these). */
function bases(): { id: string; layout: Layout; side: Side }[] {
  return (['1box_hori', '2box_hori'] as const).flatMap((layout) => SIDES.map((side) => ({ id: `base_${layout}_${side}`, layout, side })));
}

type Shift = (b: { id: string; layout: Layout; side: Side }, rng: Rng, k: number) => Partial<SuiteSceneSpec>;

/** How far ahead (m, beyond 0.4 m) distractors may stand: inside the room of the era's medium scenes. */
const distractorSpan = (era: Era) => (era === ERA_V1 ? 1.8 : era.targetDistance.medium - 0.25);

const shiftsFor = (era: Era): Record<string, Shift> => ({
  /** Unseen layouts: vertical and two-box arrangements at close/far, lateral offsets. */
  layout: () => ({}),
  distractors: (_b, rng) => ({ distractors: distractors(rng, 3 + rng.int(2), distractorSpan(era)) }),
  target: (_b, _rng, k) => ({ target: (['cup', 'basket', 'pot', 'cup'] as const)[k % 4] }),
  lighting: (_b, _rng, k) => ({
    appearance: {
      light: [
        { intensity: 0.45, kelvin: 2700, azimuth: 140, elevation: 25, shadows: true },
        { intensity: 1.7, kelvin: 7500, azimuth: -60, elevation: 70, shadows: true },
        { intensity: 0.8, kelvin: 3500, azimuth: 200, elevation: 15, shadows: true },
        { intensity: 1.2, kelvin: 6500, azimuth: 90, elevation: 45, shadows: false },
      ][k % 4],
    },
  }),
  texture: (_b, _rng, k) => ({
    appearance: [
      { floor: { texture: 'wood', colour: '#9c6b3f' }, walls: { texture: 'panels', colour: '#d9e2e8' } },
      { floor: { texture: 'tiles', colour: '#c9c4b8' }, walls: { texture: 'brick', colour: '#a85a43' } },
      { floor: { texture: 'carpet', colour: '#5b6a7d' }, walls: { texture: 'plain', colour: '#f2efe6' } },
      { floor: { texture: 'wood', colour: '#c8a274' }, walls: { texture: 'plaster', colour: '#b9c9a8' } },
    ][k % 4] as SceneInput['appearance'],
  }),
  camera: (_b, rng) => ({
    appearance: { camera: { heightOffset: rng.pick([-0.06, -0.04, 0.04, 0.06]), pitchOffsetDeg: rng.pick([-6, -4, 4, 6]) }, sensorNoise: 8 },
  }),
  instruction: (b, _rng, k) => ({ instructionText: PARAPHRASES[b.side][k % 4] }),
  start: () => ({ startJitter: { xy: 0.15, yawDeg: 15 } }),
});

export const NOVEL_FAMILIES = [...Object.keys(shiftsFor(ERA_V1)), 'all-shifts'] as const;

export function novelSpecs(era: Era = ERA_V1): SuiteSpec {
  const shifts = shiftsFor(era);
  const scenes: SuiteSceneSpec[] = [];
  for (const side of SIDES) {
    for (const [layout, distance] of [['2box_vert', 'far'], ['2box_hori', 'close'], ['1box_vert', 'far']] as const)
      scenes.push({ id: `layout_${layout}_${side}_${distance}`, family: 'layout', layout, side, distance, split: 'novel' });
    scenes.push({ id: `layout_lateral_${side}`, family: 'layout', layout: '1box_hori', side, distance: 'medium', lateralOffset: side === 'left' ? -0.15 : 0.15, split: 'novel' });
  }
  for (const [family, shift] of Object.entries(shifts)) {
    if (family === 'layout') continue;
    bases().forEach((b, k) => {
      const rng = new Rng(seedFrom('novel', family, b.id));
      scenes.push({ id: `${family}_${b.layout}_${b.side}`, baseId: b.id, family, layout: b.layout, side: b.side, distance: 'medium', split: 'novel', ...shift(b, rng, k) });
    });
  }
  // Everything at once: the hardest family.
  bases().forEach((b, k) => {
    const rng = new Rng(seedFrom('novel', 'all', b.id));
    const merged: Partial<SuiteSceneSpec> = {};
    for (const [family, shift] of Object.entries(shifts)) {
      const part = shift(b, rng, k);
      if (family === 'lighting' || family === 'texture' || family === 'camera') merged.appearance = { ...merged.appearance, ...part.appearance };
      else Object.assign(merged, { ...part, appearance: merged.appearance });
    }
    scenes.push({ id: `all-shifts_${b.layout}_${b.side}`, baseId: b.id, family: 'all-shifts', layout: b.layout, side: b.side, distance: k % 2 ? 'far' : 'medium', split: 'novel', ...merged });
  });
  const { note, ...named } = eraSuite(era, 'novel');
  return {
    ...named,
    description: 'Novel: one family per shift (layout, distractors, target, lighting, texture, camera + sensor noise, instruction paraphrase, start pose) on shared base layouts, plus all shifts at once.' + note,
    scenes,
  };
}

/** Non-colliding clutter away from the robot's corridor (|y| ≥ 0.75 m). */
function distractors(rng: Rng, n: number, span: number): NonNullable<SceneInput['distractors']> {
  const kinds = ['ball', 'cone', 'book', 'can'] as const;
  const colours = ['#d03a2f', '#2f6fd0', '#e0b020', '#3a9a48', '#8a3ab0', '#f07f20'];
  return Array.from({ length: n }, (_, i) => ({
    kind: kinds[(i + rng.int(4)) % 4]!,
    pose: { x: 0.4 + rng.uniform(0, span), y: (i % 2 ? 1 : -1) * rng.uniform(0.75, 1.15), yaw: rng.uniform(0, 3.14) },
    colour: rng.pick(colours),
  }));
}
