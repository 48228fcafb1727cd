import { Rng } from '../util/rng';
import { seedFrom } from '../util/hash';
import { horizontalFov, namedProfile } from '../sim/profile';
import { feasibleGoal, pointAtGap, ROBOT_RADIUS, targetFootprint } from './geometry';
import { Scene, Task, type SceneInput, type SuiteInput, type TargetKind } from './schema';

/**
 * The deployed task's suites (the lab's V6 setup): a gray laundry basket on an empty floor; the
 * robot must STOP with its footprint 40–50 cm from the basket's, the basket central in view.
 * Scenes are placed by where the basket appears in the FIRST frame, as the lab defines its five
 * positions, so per-family tables read like the lab's 5 positions × N trials.
 */

export const BASKET_SUITE = 'lab-basket-v1';
export const BASKET_NOVEL_SUITE = 'lab-basket-novel-v1';

/** The era these suites run in: the deployed 6 Hz held-action loop and the CSI camera. */
const PROFILE = namedProfile('v6-held');
/** Half the camera's horizontal field of view (≈ 39.3°: 49.4° vertical at 16:9). */
const HALF_HFOV = horizontalFov(PROFILE.camera) / 2;
/** The camera sits this far ahead of the robot's centre (m); bearings are measured from it. */
const MOUNT_FORWARD = PROFILE.camera.mountForward;
/** One control step of the held loop moves 0.3125 m/s / 6 Hz ≈ 5.2 cm and turns 0.5 rad/s / 6 Hz ≈ 4.8°. */
const STEP = PROFILE.speed / PROFILE.control.rateHz;
const TURN_STEP = PROFILE.spinRate / PROFILE.control.rateHz;

/**
 * Footprint and height [depth x, width y, height z] (m) of the targets. The basket: a common
 * rectangular laundry basket, ≈ 36 cm deep, 50 cm wide, 30 cm high (its long side faces the
 * robot). The chair: a common dining chair, 50 cm deep, 45 cm wide, 85 cm to the top of the
 * backrest. The pot: a 26 cm stock pot, 18 cm high with its lid.
 */
export const TARGET_SIZE = { basket: [0.36, 0.5, 0.3], chair: [0.5, 0.45, 0.85], pot: [0.26, 0.26, 0.18] } as const satisfies Partial<Record<TargetKind, readonly [number, number, number]>>;
type Kind = keyof typeof TARGET_SIZE;
const TARGET_COLOUR: Record<Kind, string> = { basket: '#a4a6a8', chair: '#6b4a2f', pot: '#b03a2e' };
/** The lab's grounding phrases: colour and noun. */
const TARGET_PHRASE: Record<Kind, string> = { basket: 'gray basket', chair: 'brown chair', pot: 'red pot' };

/** The lab's five positions: the target's normalised horizontal centre cx in the first frame. */
export const POSITIONS = { strong_left: 0.1, weak_left: 0.2, center: 0.5, weak_right: 0.8, strong_right: 0.9 } as const;
export type Position = keyof typeof POSITIONS;
export const POSITION_NAMES = Object.keys(POSITIONS) as Position[];

/** Start distances: camera to the target's front face along x (m), the two the suites use. */
export const START_DISTANCES = [1.5, 2.0] as const;

/** One room for every scene: walls ≥ 0.35 m beyond the farthest target, out-of-view ones included. */
const ROOM: { min: [number, number]; max: [number, number] } = { min: [-1.0, -2.6], max: [3.5, 2.6] };
/** The stop goal's radius: only the `reach` rule reads it; small, so it marks the stop point. */
const GOAL_RADIUS = 0.05;
/** The lab's V6 episodes ran ~74–90 frames: never truncate sooner than the longest of them. */
const MIN_TIME_LIMIT = 90;

/** Bearing (rad, + = left) from the camera at which a target's centre shows at cx. */
export function bearingForCx(cx: number): number {
  return Math.atan((0.5 - cx) * 2 * Math.tan(HALF_HFOV));
}

/** cx of a point seen from pose (the same formula as the simulator's targetView). */
export function cxFrom(pose: { x: number; y: number; yaw: number }, p: { x: number; y: number }): number | null {
  const cam = { x: pose.x + Math.cos(pose.yaw) * MOUNT_FORWARD, y: pose.y + Math.sin(pose.yaw) * MOUNT_FORWARD };
  let b = Math.atan2(p.y - cam.y, p.x - cam.x) - pose.yaw;
  b = Math.atan2(Math.sin(b), Math.cos(b));
  return Math.abs(b) < Math.PI / 2 ? 0.5 - Math.tan(b) / (2 * Math.tan(HALF_HFOV)) : null;
}

/**
 * Where a target of this kind stands for a position and distance, the robot at the origin facing
 * +x: its centre at bearing bearingForCx(cx) from the camera, its front face `distance` ahead of
 * the camera, square to the room (yaw 0).
 */
export function targetPlacement(kind: Kind, position: Position, distance: number): { x: number; y: number; yaw: number } {
  const x = MOUNT_FORWARD + distance + TARGET_SIZE[kind][0] / 2;
  return { x, y: Math.tan(bearingForCx(POSITIONS[position])) * (x - MOUNT_FORWARD), yaw: 0 };
}

export interface BasketSceneSpec {
  id: string;
  family: string;
  split: 'in-distribution' | 'novel';
  tags?: string[];
  kind?: Kind;
  /** The lab position and start distance (m, camera to the target's front along x) … */
  position?: Position;
  distance: number;
  /** … or, out of view: the target's bearing from the camera (deg, + = left); it faces the camera. */
  bearingDeg?: number;
  appearance?: SceneInput['appearance'];
  distractors?: SceneInput['distractors'];
  driftDeg?: number;
  /** The serving cadence: the policy's answers take these ms in robot time, repeating. */
  cadenceMs?: number[];
  /** Start-pose jitter baked into the scene (m, deg); redrawn until the target is in view. */
  startJitter?: { xy: number; yawDeg: number };
  seed: number;
}

export function generateBasketScene(spec: BasketSceneSpec): Scene {
  const kind = spec.kind ?? 'basket';
  const size = TARGET_SIZE[kind];
  let pose: { x: number; y: number; yaw: number };
  if (spec.bearingDeg !== undefined) {
    const b = (spec.bearingDeg * Math.PI) / 180;
    const r = spec.distance + size[0] / 2;
    pose = { x: MOUNT_FORWARD + r * Math.cos(b), y: r * Math.sin(b), yaw: b };
  } else pose = targetPlacement(kind, spec.position ?? 'center', spec.distance);

  const rng = new Rng(spec.seed);
  let start = { x: 0, y: 0, yaw: 0 };
  if (spec.startJitter) {
    const j = spec.startJitter;
    // A start-pose scene keeps the target in view (the out-of-view family is that axis).
    for (let k = 0; ; k++) {
      start = { x: rng.jitter(j.xy), y: rng.jitter(j.xy), yaw: (rng.jitter(j.yawDeg) * Math.PI) / 180 };
      const cx = cxFrom(start, pose);
      if (cx !== null && cx > 0.03 && cx < 0.97) break;
      if (k > 100) throw new Error(`generateBasketScene(${spec.id}): no start keeps the target in view`);
    }
  }

  const task = Task.parse({ rule: 'stop' });
  const footprint = targetFootprint({ kind, pose, size: [...size] });
  // The goal: the middle of the stop band straight in front of the target (facing the robot).
  const front = { x: -Math.cos(pose.yaw), y: -Math.sin(pose.yaw) };
  const goal = pointAtGap(footprint, front, (task.band.min + task.band.max) / 2 + ROBOT_RADIUS);
  const input: SceneInput = {
    id: spec.id,
    family: spec.family,
    tags: [...(spec.position ? [spec.position] : []), `${spec.distance.toFixed(1)}m`, kind, 'stop', ...(spec.tags ?? [])],
    split: spec.split,
    room: { min: ROOM.min, max: ROOM.max },
    robot: { start, ...(spec.driftDeg !== undefined ? { driftDeg: spec.driftDeg } : {}) },
    obstacles: [],
    target: { kind, pose, colour: TARGET_COLOUR[kind], size: [...size] },
    // No obstacles, so the side names nothing to pass: it is the side the target is on.
    instruction: { text: TARGET_PHRASE[kind], side: pose.y < -1e-9 ? 'right' : 'left' },
    goal: { x: goal.x, y: goal.y, radius: GOAL_RADIUS },
    ...(spec.cadenceMs ? { cadence: { latencyMs: spec.cadenceMs } } : {}),
    task,
    timeLimit: 1,
    ...(spec.appearance ? { appearance: spec.appearance } : {}),
    ...(spec.distractors ? { distractors: spec.distractors } : {}),
  };
  const scene = Scene.parse(roundDeep(input));
  const stop = feasibleGoal(scene);
  if (!stop) throw new Error(`generateBasketScene(${spec.id}): no reachable stop point`);
  scene.timeLimit = timeLimitFor(stop.plan.length, turnBetween(scene.robot.start.yaw, stop.yaw));
  return scene;
}

/**
 * Control steps at 6 Hz: 1.6× what the oracle needs (the path at 5.2 cm a step, the turn to face
 * the target at 4.8° a step) plus 12 spare, and never under the lab's longest V6 episodes.
 */
export function timeLimitFor(path: number, turn: number): number {
  return Math.max(MIN_TIME_LIMIT, Math.ceil((path / STEP + turn / TURN_STEP) * 1.6) + 12);
}

function turnBetween(a: number, b: number): number {
  return Math.abs(Math.atan2(Math.sin(b - a), Math.cos(b - a)));
}

const inDist = (position: Position, distance: number): BasketSceneSpec => ({
  id: `${position}_${distance.toFixed(1)}m`,
  family: position,
  split: 'in-distribution',
  position,
  distance,
  seed: 0,
});

/** lab-basket-v1: the five positions × two start distances, the lab's room. */
export function basketSuite(): SuiteInput {
  const scenes = START_DISTANCES.flatMap((d) => POSITION_NAMES.map((p) => inDist(p, d))).map((s) => generateBasketScene({ ...s, seed: seedFrom(BASKET_SUITE, s.id) }));
  return {
    schemaVersion: 1,
    suite: BASKET_SUITE,
    version: 1,
    description:
      "The deployed task: stop 40–50 cm in front of the gray laundry basket (0.36 × 0.50 × 0.30 m), no obstacles. Five positions by where the basket shows in the first frame (cx 0.10/0.20/0.50/0.80/0.90: strong_left … strong_right), camera 1.5 m and 2.0 m from the basket's front; instruction 'gray basket'.",
    profile: 'v6-held',
    scenes,
  };
}

const LIGHTS = [
  { intensity: 0.45, kelvin: 2700, azimuth: 140, elevation: 25, shadows: true },
  { intensity: 1.7, kelvin: 7500, azimuth: -60, elevation: 70, shadows: true },
  { intensity: 0.8, kelvin: 3500, azimuth: 200, elevation: 15, shadows: true },
  { intensity: 1.2, kelvin: 6500, azimuth: 90, elevation: 45, shadows: false },
];
const FLOORS = [
  { floor: { texture: 'wood', colour: '#9c6b3f' } },
  { floor: { texture: 'tiles', colour: '#c9c4b8' } },
  { floor: { texture: 'carpet', colour: '#5b6a7d' } },
  { floor: { texture: 'wood', colour: '#c8a274' } },
] as const;
const NEGATIVES = [
  { kind: 'pot', colour: '#b03a2e' },
  { kind: 'ball', colour: '#d03a2f' },
  { kind: 'person', colour: '#3f4f6f' },
  { kind: 'pot', colour: '#2f3a46' },
] as const;
/** Out of view: 65–80° to a side (the field of view ends at ±39°), the robot must turn to find it. */
const OUT_OF_VIEW_DEG = [65, -70, 80, -60];

/**
 * lab-basket-novel-v1: one family per axis, 4 scenes each, positions spread over the five and
 * both distances.
 */
export function basketNovelSuite(): SuiteInput {
  const specs: BasketSceneSpec[] = [];
  const families = ['chair', 'pot', 'negatives', 'low-contrast', 'out-of-view', 'lighting', 'floor-texture', 'drift', 'start-pose', 'cadence'] as const;
  families.forEach((family, f) => {
    for (let k = 0; k < 4; k++) {
      const position = POSITION_NAMES[(2 * f + k) % 5]!;
      const distance = START_DISTANCES[(f + k) % 2]!;
      const base: BasketSceneSpec = { id: `${family}_${position}_${distance.toFixed(1)}m`, family, split: 'novel', position, distance, seed: 0 };
      switch (family) {
        case 'chair':
        case 'pot':
          specs.push({ ...base, kind: family });
          break;
        case 'negatives':
          specs.push({ ...base, distractors: [negative(position, distance, k)] });
          break;
        case 'low-contrast':
          // The floor in the basket's own gray: only shading and the weave tell them apart.
          specs.push({ ...base, appearance: { floor: { colour: TARGET_COLOUR.basket, texture: 'concrete' } } });
          break;
        case 'out-of-view': {
          const b = OUT_OF_VIEW_DEG[k]!;
          specs.push({ ...base, id: `${family}_${b > 0 ? 'left' : 'right'}${Math.abs(b)}_${distance.toFixed(1)}m`, position: undefined, bearingDeg: b, tags: [b > 0 ? 'left' : 'right'] });
          break;
        }
        case 'lighting':
          specs.push({ ...base, appearance: { light: LIGHTS[k]! } });
          break;
        case 'floor-texture':
          specs.push({ ...base, appearance: FLOORS[k]! as SceneInput['appearance'] });
          break;
        case 'drift':
          specs.push({ ...base, driftDeg: k % 2 ? -4 : 4 });
          break;
        case 'start-pose':
          specs.push({ ...base, startJitter: { xy: 0.15, yawDeg: 15 } });
          break;
        case 'cadence':
          // The in-distribution layouts served as the lab served them: ~1.3 Hz in bursts of
          // 0.08, 0.08 and 2.2 s (a grounding call every third step), while the robot keeps going.
          specs.push({ ...base, cadenceMs: [80, 80, 2200] });
          break;
      }
    }
  });
  return {
    schemaVersion: 1,
    suite: BASKET_NOVEL_SUITE,
    version: 1,
    description:
      'Novel for the basket task, one family per axis: chair and pot targets, a negative (pot, ball, person) in view, a gray floor like the basket, the basket out of view (65–80° to a side), lighting, floor textures, motor drift ±4°, start pose ±15 cm/±15°, and the served cadence of the lab (answers after 0.08, 0.08, 2.2 s, repeating).',
    profile: 'v6-held',
    scenes: specs.map((s) => generateBasketScene({ ...s, seed: seedFrom(BASKET_NOVEL_SUITE, s.id) })),
  };
}

/**
 * A negative in view, on the other side from the basket (or to one side of a central one) and
 * 0.3 m nearer, where it is tempting but off the robot's way to the basket.
 */
function negative(position: Position, distance: number, k: number): NonNullable<SceneInput['distractors']>[number] {
  const cx = position === 'center' ? (k % 2 ? 0.8 : 0.2) : 1 - POSITIONS[position];
  const x = MOUNT_FORWARD + distance - 0.3;
  const n = NEGATIVES[k % NEGATIVES.length]!;
  return { kind: n.kind, pose: { x, y: Math.tan(bearingForCx(cx)) * (x - MOUNT_FORWARD), yaw: 0 }, colour: n.colour, negative: true };
}

function roundDeep<T>(v: T): T {
  if (typeof v === 'number') return (Math.round(v * 1e4) / 1e4) as T;
  if (Array.isArray(v)) return v.map(roundDeep) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x)])) as T;
  return v;
}
