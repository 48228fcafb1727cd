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

/** Robot start → target centre (m). The lab's targets stood 1–3 m away. */
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
}

/** Robot footprint radius assumed when checking a generated scene is solvable. */
const ROBOT_RADIUS = 0.15;
/** Distance the lab's robot covers per action (0.5 m/s × 0.4 s). */
const STEP_LENGTH = 0.2;

export function generateScene(spec: SceneSpec): Scene {
  const rng = new Rng(spec.seed);
  for (let attempt = 0; attempt < 50; attempt++) {
    const scene = layoutScene(spec, rng);
    const plan = planPath(scene, scene.robot.start, scene.goal, { clearance: ROBOT_RADIUS + 0.07, side: spec.side });
    if (!plan) continue;
    // Generous but finite: 1.6× the oracle's path in pulses, plus a few spare actions.
    scene.timeLimit = Math.ceil((1.6 * plan.length) / STEP_LENGTH) + 4;
    return scene;
  }
  throw new Error(`generateScene(${spec.id}): no solvable layout found in 50 tries`);
}

function layoutScene(spec: SceneSpec, rng: Rng): Scene {
  const target = spec.target ?? 'bottle';
  const D0 = TARGET_DISTANCE[spec.distance] + rng.jitter(0.1);
  const gx0 = D0 - TARGET_RADIUS[target] - GOAL_GAP;
  const lat = (spec.lateralOffset ?? 0) + rng.jitter(0.04);
  const yawJ = () => (rng.jitter(5) * Math.PI) / 180;
  const s = (v: number) => v * (1 + rng.jitter(0.08));
  const h = () => 0.3 + rng.jitter(0.05);
  // Obstacles sit a little before mid-way so the robot has room to come back to the line.
  const cx = Math.max(0.62, 0.46 * gx0);
  const boxes: SceneInput['obstacles'] = [];
  const box = (id: string, sx: number, sy: number, x: number, y: number) =>
    boxes.push({ id, kind: 'box', size: [s(sx), s(sy), h()], pose: { x, y, yaw: yawJ() } });
  switch (spec.layout) {
    case '1box_hori':
      box('box0', 0.3, 0.5, cx, lat);
      break;
    case '1box_vert':
      box('box0', 0.45, 0.3, cx + 0.05, lat);
      break;
    case '2box_hori':
      box('box0', 0.32, 0.38, cx, lat + 0.2);
      box('box1', 0.32, 0.38, cx, lat - 0.2);
      break;
    case '2box_vert':
      box('box0', 0.32, 0.34, cx - 0.02, lat);
      box('box1', 0.32, 0.34, cx + 0.36, lat);
      break;
  }
  // A deep layout pushes the target back so the robot can get round and still reach the goal
  // ("close" means as close as the layout allows).
  const clusterEnd = Math.max(...boxes.map((b) => b.pose.x + b.size[0] / 2));
  const D = Math.max(D0, clusterEnd + 0.55 + TARGET_RADIUS[target] + GOAL_GAP - 0.2);
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
