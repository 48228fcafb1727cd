import { planPath } from '../scene/geometry';
import { taskOf } from '../scene/schema';
import { targetView, type TargetView } from '../sim/task';
import type { EpisodeTrace } from '../sim/trace';
import { isStop } from '../sim/world';
import type { RobotProfile } from '../sim/profile';
import { actionClass } from './action-class';
import type { Measure, MeasureContext } from './types';

/** Seconds of robot time one action takes: a pulse period, or one tick of the held loop. */
export const stepSeconds = (p: RobotProfile): number => (p.control.mode === 'held' ? 1 / p.control.rateHz : p.controlPeriodSeconds);

const views = new WeakMap<EpisodeTrace, TargetView[]>();
/** The target as seen from every pose of the episode (index 0 = start). */
export function viewsOf({ episode, trace, profile }: MeasureContext): TargetView[] {
  let v = views.get(trace);
  if (!v) views.set(trace, (v = trace.poses.map(([x, y, yaw]) => targetView(episode.scene, profile, { x, y, yaw }))));
  return v;
}

const isStopTask = (ctx: MeasureContext) => taskOf(ctx.episode.scene).rule === 'stop';

export const terminalDistance: Measure = {
  name: 'terminal_distance',
  deps: [],
  doc: "gap between the robot's and the target's footprints at the end (m)",
  compute: (ctx) => viewsOf(ctx).at(-1)!.gap,
};

export const stopped: Measure = {
  name: 'stopped',
  deps: [],
  doc: 'the episode ended on the policy\'s STOP (stop tasks)',
  compute: ({ trace }) => trace.events.some((e) => e.type === 'stop'),
};

export const stopError: Measure = {
  name: 'stop_error',
  deps: ['stopped'],
  doc: 'stop tasks: how far outside the stop band the robot stopped (m; 0 inside, null if it never stopped)',
  compute: (ctx, d) => {
    if (!isStopTask(ctx) || d.stopped !== true) return null;
    const { band } = taskOf(ctx.episode.scene);
    const gap = viewsOf(ctx).at(-1)!.gap;
    return gap < band.min ? band.min - gap : gap > band.max ? gap - band.max : 0;
  },
};

export const overshoot: Measure = {
  name: 'overshoot',
  deps: [],
  doc: 'stop tasks: how far the robot came inside the near edge of the stop band (m; 0 if never)',
  compute: (ctx) => {
    if (!isStopTask(ctx)) return null;
    const { band } = taskOf(ctx.episode.scene);
    const minGap = Math.min(...viewsOf(ctx).map((v) => v.gap));
    return Math.max(0, band.min - minGap);
  },
};

export const timeToStop: Measure = {
  name: 'time_to_stop',
  deps: ['stopped'],
  doc: 'stop tasks: robot time until the STOP (s; null if it never stopped)',
  compute: (ctx, d) => (isStopTask(ctx) && d.stopped === true ? ctx.trace.actions.length * stepSeconds(ctx.profile) : null),
};

export const inBandEver: Measure = {
  name: 'in_band_ever',
  deps: [],
  doc: 'stop tasks: the robot stood in the stop band at some step',
  compute: (ctx) => {
    if (!isStopTask(ctx)) return null;
    const { band } = taskOf(ctx.episode.scene);
    return viewsOf(ctx).some((v) => v.gap >= band.min && v.gap <= band.max);
  },
};

export const targetSeen: Measure = {
  name: 'target_seen',
  deps: [],
  doc: "the target's centre was inside the camera's horizontal field of view at some step",
  compute: (ctx) => viewsOf(ctx).some((v) => v.inView),
};

/**
 * Direction reversals: consecutive moves whose directions differ by more than 135°, or spins
 * that change sign. The lab lists oscillation among its failure modes.
 */
export const oscillation: Measure = {
  name: 'oscillation',
  deps: [],
  doc: 'direction reversals between consecutive actions (moves > 135° apart, spins changing sign)',
  compute: ({ trace, profile }) => {
    let n = 0;
    let prev: number[] | undefined;
    for (const a of trace.actions) {
      if (isStop(a, profile)) continue;
      if (prev) {
        const [x0 = 0, y0 = 0, z0 = 0] = prev;
        const [x1 = 0, y1 = 0, z1 = 0] = a;
        const m0 = Math.hypot(x0, y0);
        const m1 = Math.hypot(x1, y1);
        if (m0 >= profile.deadband && m1 >= profile.deadband) {
          if ((x0 * x1 + y0 * y1) / (m0 * m1) < Math.cos((135 * Math.PI) / 180)) n++;
        } else if (m0 < profile.deadband && m1 < profile.deadband && z0 * z1 < 0) n++;
      }
      prev = a;
    }
    return n;
  },
};

export const forwardShare: Measure = {
  name: 'forward_share',
  deps: [],
  doc: "share of actions in the lab's FORWARD class",
  compute: ({ trace }) => (trace.actions.length ? trace.actions.filter((a) => actionClass(a) === 'FORWARD').length / trace.actions.length : 0),
};

/**
 * Mean distance of the robot's positions from the oracle's path (the shortest path on the
 * instructed side from the episode's start), in metres.
 */
export const trajectoryDeviation: Measure = {
  name: 'trajectory_deviation',
  deps: [],
  doc: "mean distance of the robot's positions from the oracle's planned path (m)",
  compute: ({ episode, trace, profile }) => {
    const scene = episode.scene;
    const plan = planPath(scene, trace.start, scene.goal, { clearance: profile.radius, side: scene.instruction.side });
    if (!plan || plan.path.length < 2) return null;
    const segDist = (px: number, py: number) => {
      let best = Infinity;
      for (let i = 1; i < plan.path.length; i++) {
        const a = plan.path[i - 1]!;
        const b = plan.path[i]!;
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const L2 = dx * dx + dy * dy;
        const t = L2 > 0 ? Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / L2)) : 0;
        best = Math.min(best, Math.hypot(px - a.x - t * dx, py - a.y - t * dy));
      }
      return best;
    };
    const ds = trace.poses.map(([x, y]) => segDist(x, y));
    return ds.reduce((s, v) => s + v, 0) / ds.length;
  },
};

export const STOP_MEASURES: readonly Measure[] = [terminalDistance, stopped, stopError, overshoot, timeToStop, inBandEver, targetSeen, oscillation, forwardShare, trajectoryDeviation];
