import { blockingObstacles, planPath, taskFrame } from '../scene/geometry';
import { dot, sub } from '../util/vec2';
import type { Measure } from './types';

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

export const success: Measure = {
  name: 'success',
  deps: [],
  doc: "reach tasks: the robot's centre came within the goal radius of the front of the target; stop tasks: it said STOP inside the stop band, the target centred",
  compute: ({ trace }) => trace.outcome === 'success',
};

export const steps: Measure = {
  name: 'steps',
  deps: [],
  doc: 'actions executed',
  compute: ({ trace }) => trace.actions.length,
};

export const pathLength: Measure = {
  name: 'path_length',
  deps: [],
  doc: 'distance travelled by the base (m)',
  compute: ({ trace }) => {
    let d = 0;
    for (let i = 1; i < trace.poses.length; i++) {
      const [x0, y0] = trace.poses[i - 1]!;
      const [x1, y1] = trace.poses[i]!;
      d += Math.hypot(x1 - x0, y1 - y0);
    }
    return d;
  },
};

export const distanceToGoal: Measure = {
  name: 'distance_to_goal',
  deps: [],
  doc: 'final distance from the base centre to the goal point (m)',
  compute: ({ trace, episode }) => {
    const [x, y] = trace.poses[trace.poses.length - 1]!;
    return Math.hypot(x - episode.scene.goal.x, y - episode.scene.goal.y);
  },
};

export const collisions: Measure = {
  name: 'collisions',
  deps: [],
  doc: 'contacts begun with boxes, walls or the target',
  compute: ({ trace }) => trace.events.filter((e) => e.type === 'collision').length,
};

export const geodesic: Measure = {
  name: 'geodesic_distance',
  deps: [],
  doc: 'shortest feasible path from the start to the goal region on the instructed side (m)',
  compute: ({ episode, trace, profile }) => {
    const scene = episode.scene;
    const plan = planPath(scene, trace.start, scene.goal, { clearance: profile.radius, side: scene.instruction.side });
    return plan ? Math.max(0, plan.length - scene.goal.radius) : null;
  },
};

export const spl: Measure = {
  name: 'spl',
  deps: ['success', 'path_length', 'geodesic_distance'],
  doc: 'success weighted by path length: S · l / max(p, l) (Anderson et al. 2018)',
  compute: (_ctx, d) => {
    if (d.success !== true) return 0;
    const l = num(d.geodesic_distance);
    const p = num(d.path_length);
    if (!(l >= 0)) return null;
    return l / Math.max(p, l, 1e-9);
  },
};

export const softSpl: Measure = {
  name: 'soft_spl',
  deps: ['distance_to_goal', 'path_length', 'geodesic_distance'],
  doc: 'progress weighted by path length: (1 − d_T/d_0) · l / max(p, l)',
  compute: ({ episode, trace }, d) => {
    const l = num(d.geodesic_distance);
    const p = num(d.path_length);
    const g = episode.scene.goal;
    const d0 = Math.hypot(trace.start.x - g.x, trace.start.y - g.y);
    if (!(l >= 0) || d0 <= 0) return null;
    const progress = Math.max(0, 1 - Math.max(0, num(d.distance_to_goal) - g.radius) / Math.max(1e-9, d0 - g.radius));
    return progress * (l / Math.max(p, l, 1e-9));
  },
};

/**
 * Which side of each obstacle the robot passed: at the point where its path crosses the line
 * through the obstacle's centre across the task axis, is it left (+) or right (−) of the centre?
 */
export const passedSide: Measure = {
  name: 'passed_side',
  deps: [],
  doc: '"left", "right", "mixed" (different sides of different boxes) or "none" (never got past, or nothing in the way)',
  compute: ({ episode, trace, profile }) => {
    const scene = episode.scene;
    const blocking = blockingObstacles(scene, profile.radius);
    if (blocking.length === 0) return 'none';
    const { u, n } = taskFrame(scene);
    const sides = blocking.map((b) => {
      const along = (x: number, y: number) => dot(sub({ x, y }, b.pose), u);
      for (let i = 1; i < trace.poses.length; i++) {
        const [x0, y0] = trace.poses[i - 1]!;
        const [x1, y1] = trace.poses[i]!;
        const a0 = along(x0, y0);
        const a1 = along(x1, y1);
        if (a0 < 0 && a1 >= 0) {
          const t = a0 === a1 ? 0 : -a0 / (a1 - a0);
          const p = { x: x0 + (x1 - x0) * t, y: y0 + (y1 - y0) * t };
          return dot(sub(p, b.pose), n) > 0 ? 'left' : 'right';
        }
      }
      return 'none';
    });
    if (sides.includes('none')) return 'none';
    return sides.every((s) => s === sides[0]) ? (sides[0] as string) : 'mixed';
  },
};

export const instructionFollowed: Measure = {
  name: 'instruction_followed',
  deps: ['passed_side'],
  doc: 'passed the obstacle(s) on the instructed side (null when nothing is in the way)',
  compute: ({ episode, profile }, d) => (blockingObstacles(episode.scene, profile.radius).length ? d.passed_side === episode.scene.instruction.side : null),
};

export const NAVIGATION_MEASURES: readonly Measure[] = [
  success,
  steps,
  pathLength,
  distanceToGoal,
  collisions,
  geodesic,
  spl,
  softSpl,
  passedSide,
  instructionFollowed,
];
