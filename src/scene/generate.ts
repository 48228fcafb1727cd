import { Rng } from '../util/rng';
import { planPath, TARGET_RADIUS } from './geometry';
import { Scene, type SceneInput, type Side, type Split, type TargetKind } from './schema';

/**
 * The lab's scenario taxonomy {1box,2box}_{hori,vert}_{left,right}_{close,medium,far}, in
 * real-world metres, with seeded jitter. "hori": the box's long side (or the two boxes side by
 * side) lies across the robot's path; "vert": along it (two boxes one behind the other).
 */
export type Layout = '1box_hori' | '1box_vert' | '2box_hori' | '2box_vert';
export type Distance = 'close' | 'medium' | 'far';
export const LAYOUTS: readonly Layout[] = ['1box_hori', '1box_vert', '2box_hori', '2box_vert'];
export const DISTANCES: readonly Distance[] = ['close', 'medium', 'far'];
export const SIDES: readonly Side[] = ['left', 'right'];

/** Robot start → target centre (m) of the v1 suites. The lab's targets stood 1–3 m away. */
export const TARGET_DISTANCE: Record<Distance, number> = { close: 1.5, medium: 2.2, far: 2.9 };
/** The goal ("front of the target") sits this far in front of the target's surface, with this radius. */
export const GOAL_GAP = 0.28;
export const GOAL_RADIUS = 0.2;

const TARGET_NOUN: Record<TargetKind, string> = { bottle: 'beverage bottle', cup: 'cup', basket: 'basket', pot: 'pot', chair: 'chair' };

/** The instruction the lab trains and evaluates with, word for word (only the side and the target change). */
export function labInstruction(side: Side, target: TargetKind = 'bottle'): string {
  return `Navigate around obstacles and reach the front of the ${TARGET_NOUN[target]} on the ${side}`;
}

export interface SceneSpec {
  id: string;
  layout: Layout;
  side: Side;
  distance: Distance;
  split: Split;
  /** Defaults to the layout name; novel suites group by shift instead. */
  family?: string;
  tags?: string[];
  target?: TargetKind;
  /** Lateral offset of the obstacle cluster from the start→target line (m). */
  lateralOffset?: number;
  instructionText?: string;
  appearance?: SceneInput['appearance'];
  distractors?: SceneInput['distractors'];
  /** Start-pose jitter baked into the scene (m, deg), beyond the per-seed jitter. */
  startJitter?: { xy: number; yawDeg: number };
  /** Seed for the geometry jitter. */
  seed: number;
  /** The generation era (distances, step length, time limit); default v1, the files as first committed. */
  era?: Era;
}

/** Robot footprint radius assumed when checking a generated scene is solvable. */
const ROBOT_RADIUS = 0.15;

/**
 * A generation era of the seed-taxonomy suites. The numbers that depend on how far the robot
 * goes per action live here, so a recalibrated robot gets new suites while the old files stay
 * reproducible byte for byte.
 */
export interface Era {
  name: string;
  /** Robot start → target centre per distance class (m), before jitter. */
  targetDistance: Record<Distance, number>;
  /** Distance the robot covers per action (m). */
  stepLength: number;
  /** Obstacle cluster's x: max(minX, frac × goal x): a little before mid-way. */
  obstacleX: { minX: number; frac: number };
  /** Box sizes and spacings are the v1 ones times this. */
  boxScale: number;
  /** The goal stays ≥ clusterGap − 0.2 m behind the cluster's back (m), so the robot can come back to the line. */
  clusterGap: number;
  /** The time limit (actions) for a planned path of this length (m). */
  timeLimit: (pathLength: number) => number;
  /** Longest planned path into the goal disc (m) accepted; a jittered layout beyond it is redrawn. */
  maxPath?: number;
}

/**
 * v1 (the seed era as first written): 0.5 m/s × 0.4 s = 0.2 m per action, targets 1.5/2.2/2.9 m.
 * The recalibrated base does 12.5 cm per action, so over the lab's 17-action episodes it covers
 * ~2.1 m: the far scenes could never be finished. Kept only so the v1 files stay reproducible.
 */
export const ERA_V1: Era = {
  name: 'v1',
  targetDistance: TARGET_DISTANCE,
  stepLength: 0.2,
  obstacleX: { minX: 0.62, frac: 0.46 },
  clusterGap: 0.55,
  boxScale: 1,
  // Generous but finite: 1.6× the oracle's path in pulses, plus a few spare actions.
  timeLimit: (L) => Math.ceil((1.6 * L) / 0.2) + 4,
};

/** The lab's seed-era episodes: 18 frames, the start frame and 17 actions. */
export const SEED_EPISODE_ACTIONS = 17;
/** Per action of the recalibrated base: 0.3125 m/s × 0.4 s (the lab measured 12–13 cm per pulse). */
export const SEED_STEP_LENGTH = 0.125;

/**
 * v2: the same taxonomy for 12.5 cm per action and 17 actions (≤ 2.125 m of travel). The path
 * into the goal disc, planned on the instructed side with the generator's 0.22 m clearance, must
 * stay within 0.8 × 17 × 0.125 = 1.7 m (a jittered layout beyond it is redrawn), leaving 3+
 * actions for detours, drift and the start jitter. Passing a box costs its half-width plus the
 * clearance sideways twice over, so at v1's sizes (0.5 m across) even the closest 1box_hori needs
 * ≈ 1.75 m: v2 boxes are v1's × 0.7 (0.21–0.35 m, two-box spacing too) and sit 0.5 m out
 * (or 0.42 × the goal's x), a little before mid-way. Targets stand 1.15 / 1.35 / 1.55 m away
 * (before ±0.1 m jitter; "close" is again as close as the layout allows, so two-box layouts
 * start further). Resulting paths into the goal disc: ≈ 1.15–1.6 m close and medium (the two-box
 * layouts at the top), 1.25–1.7 m far; the oracle needs 9–14 of its 17 actions.
 */
export const ERA_V2: Era = {
  name: 'v2',
  targetDistance: { close: 1.15, medium: 1.35, far: 1.55 },
  stepLength: SEED_STEP_LENGTH,
  obstacleX: { minX: 0.5, frac: 0.42 },
  clusterGap: 0.45,
  boxScale: 0.7,
  // The lab's episode length, whatever the path: a policy gets the actions the real robot got.
  timeLimit: () => SEED_EPISODE_ACTIONS,
  maxPath: 0.8 * SEED_EPISODE_ACTIONS * SEED_STEP_LENGTH,
};

export function generateScene(spec: SceneSpec): Scene {
  const era = spec.era ?? ERA_V1;
  const rng = new Rng(spec.seed);
  for (let attempt = 0; attempt < 50; attempt++) {
    const scene = layoutScene(spec, rng, era);
    const plan = planPath(scene, scene.robot.start, scene.goal, { clearance: ROBOT_RADIUS + 0.07, side: spec.side });
    if (!plan) continue;
    if (era.maxPath !== undefined && plan.length - scene.goal.radius > era.maxPath) continue;
    scene.timeLimit = era.timeLimit(plan.length);
    return scene;
  }
  throw new Error(`generateScene(${spec.id}): no solvable layout found in 50 tries`);
}

function layoutScene(spec: SceneSpec, rng: Rng, era: Era): Scene {
  const target = spec.target ?? 'bottle';
  const D0 = era.targetDistance[spec.distance] + rng.jitter(0.1);
  const gx0 = D0 - TARGET_RADIUS[target] - GOAL_GAP;
  const lat = (spec.lateralOffset ?? 0) + rng.jitter(0.04);
  const yawJ = () => (rng.jitter(5) * Math.PI) / 180;
  const s = (v: number) => v * (1 + rng.jitter(0.08));
  const h = () => 0.3 + rng.jitter(0.05);
  // Obstacles sit a little before mid-way so the robot has room to come back to the line.
  const cx = Math.max(era.obstacleX.minX, era.obstacleX.frac * gx0);
  const boxes: SceneInput['obstacles'] = [];
  const k = era.boxScale;
  const box = (id: string, sx: number, sy: number, x: number, y: number) =>
    boxes.push({ id, kind: 'box', size: [s(sx), s(sy), h()], pose: { x, y, yaw: yawJ() } });
  switch (spec.layout) {
    case '1box_hori':
      box('box0', 0.3 * k, 0.5 * k, cx, lat);
      break;
    case '1box_vert':
      box('box0', 0.45 * k, 0.3 * k, cx + 0.05 * k, lat);
      break;
    case '2box_hori':
      box('box0', 0.32 * k, 0.38 * k, cx, lat + 0.2 * k);
      box('box1', 0.32 * k, 0.38 * k, cx, lat - 0.2 * k);
      break;
    case '2box_vert':
      box('box0', 0.32 * k, 0.34 * k, cx - 0.02 * k, lat);
      box('box1', 0.32 * k, 0.34 * k, cx + 0.36 * k, lat);
      break;
  }
  // A deep layout pushes the target back so the robot can get round and still reach the goal
  // ("close" means as close as the layout allows).
  const clusterEnd = Math.max(...boxes.map((b) => b.pose.x + b.size[0] / 2));
  const D = Math.max(D0, clusterEnd + era.clusterGap + TARGET_RADIUS[target] + GOAL_GAP - 0.2);
  const gx = D - TARGET_RADIUS[target] - GOAL_GAP;
  const sj = spec.startJitter ?? { xy: 0, yawDeg: 0 };
  const input: SceneInput = {
    id: spec.id,
    family: spec.family ?? spec.layout,
    tags: [spec.layout, spec.side, spec.distance, ...(spec.tags ?? [])],
    split: spec.split,
    room: { min: [-0.6, -1.4], max: [D + 0.7, 1.4] },
    robot: { start: { x: rng.jitter(sj.xy), y: rng.jitter(sj.xy), yaw: (rng.jitter(sj.yawDeg) * Math.PI) / 180 } },
    obstacles: boxes,
    target: { kind: target, pose: { x: D, y: rng.jitter(0.03), yaw: 0 } },
    instruction: { text: spec.instructionText ?? labInstruction(spec.side, target), side: spec.side },
    goal: { x: gx, y: 0, radius: GOAL_RADIUS },
    timeLimit: 1,
    ...(spec.appearance ? { appearance: spec.appearance } : {}),
    ...(spec.distractors ? { distractors: spec.distractors } : {}),
  };
  input.goal.y = input.target.pose.y;
  // Millimetre precision keeps the committed JSON readable; the file is the source of truth.
  return Scene.parse(roundDeep(input));
}

function roundDeep<T>(v: T): T {
  if (typeof v === 'number') return (Math.round(v * 1e4) / 1e4) as T;
  if (Array.isArray(v)) return v.map(roundDeep) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x)])) as T;
  return v;
}
