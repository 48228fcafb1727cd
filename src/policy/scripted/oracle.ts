import { feasibleGoal, planPath } from '../../scene/geometry';
import { taskOf, type Scene, type Side } from '../../scene/schema';
import type { Observation } from '../../sim/observation';
import type { RobotProfile } from '../../sim/profile';
import { targetView } from '../../sim/task';
import { sub, type V2 } from '../../util/vec2';
import { ScriptedPolicy, towards } from './common';

/** Extra clearance the oracle keeps beyond the robot radius (m). */
const MARGIN = 0.06;

/** Distance one action moves the base (m): a pulse, or one tick of the held loop. */
export function stepLength(p: RobotProfile): number {
  return p.control.mode === 'held' ? p.speed / p.control.rateHz : p.speed * p.pulseSeconds;
}

/**
 * Re-plans each step: the shortest path to the goal that passes every obstacle on the
 * instructed side (or the opposite side, for `mirror`), then moves towards its first corner.
 * Under the stop rule it also lands in the stop band — the base moves a fixed step, so near the
 * goal it picks the step that lands on it (two equal steps reach any point within two steps) —
 * turns until the target is centred, and says STOP.
 */
export class OraclePolicy extends ScriptedPolicy {
  constructor(
    private readonly flip = false,
    name = flip ? 'mirror' : 'oracle',
  ) {
    super(name, flip ? 'oracle that passes on the wrong side (instruction-following ≈ 0%)' : 'plans around the obstacles on the instructed side with privileged state; stops in the stop band');
  }

  /** Where to drive, per scene: the point the validator proved reachable (src/scene/geometry.ts feasibleGoal). */
  private readonly targets = new WeakMap<Scene, { x: number; y: number }>();

  private goalOf(scene: Scene, radius: number): { x: number; y: number } {
    let g = this.targets.get(scene);
    if (!g) this.targets.set(scene, (g = feasibleGoal(scene, radius)?.point ?? scene.goal));
    return g;
  }

  actOne(_slot: number, obs: Observation): number[] {
    const { scene, pose, profile } = obs.state;
    const goal = this.goalOf(scene, obs.state.robotRadius);
    const side: Side = this.flip ? (obs.state.side === 'left' ? 'right' : 'left') : obs.state.side;
    const here = { x: pose.x, y: pose.y };
    if (taskOf(scene).rule === 'stop') {
      const task = taskOf(scene);
      const view = targetView(scene, profile, pose);
      const margin = Math.min(0.02, (task.band.max - task.band.min) / 4);
      if (view.gap >= task.band.min + margin && view.gap <= task.band.max - margin) {
        const off = view.cx === null ? 1 : view.cx - 0.5;
        // In the band: turn until the target is well inside the central part of the view, then STOP.
        if (Math.abs(off) > task.centralCx / 2) return [0, 0, Math.sign(view.bearing) || 1];
        return [0, 0, 0];
      }
      const L = stepLength(profile);
      const d = Math.hypot(goal.x - here.x, goal.y - here.y);
      // Pulses are longer than the band is wide: pick the steps that land on the goal. The held
      // loop's ticks are shorter than the band, so walking at it lands inside.
      if (profile.control.mode === 'pulse' && d < 2 * L) return this.move(obs, sub(landingStep(here, goal, L, d), here));
    }
    const radius = obs.state.robotRadius;
    // Tighter clearances as fall-backs when jitter or a graze leaves the robot near a corner.
    for (const margin of [MARGIN, MARGIN / 2, 0.005]) {
      const plan = planPath(scene, here, goal, { clearance: radius + margin, side });
      const next = plan?.path[1];
      if (next) return this.move(obs, sub(next, here));
    }
    return this.move(obs, sub(goal, here));
  }

  /** Towards a world direction, aimed against the motors' drift (privileged: the oracle knows it). */
  private move(obs: Observation, dir: V2): number[] {
    const drift = (obs.state.profile.driftDeg * Math.PI) / 180;
    if (!drift) return towards(obs, dir);
    const c = Math.cos(-drift);
    const s = Math.sin(-drift);
    // Rotating the world direction rotates the robot-frame action by the same angle.
    return towards(obs, { x: c * dir.x - s * dir.y, y: s * dir.x + c * dir.y });
  }
}

/**
 * Where to step (a fixed step L) to land on `goal` now or with the next step: within one step
 * and closer than L, the apex of the isosceles triangle (here, P, goal) with legs L; farther,
 * straight at it.
 */
function landingStep(here: V2, goal: V2, L: number, d: number): V2 {
  const ux = (goal.x - here.x) / d;
  const uy = (goal.y - here.y) / d;
  if (d >= L) return { x: here.x + ux * L, y: here.y + uy * L };
  const h = Math.sqrt(Math.max(0, L * L - (d / 2) * (d / 2)));
  // The apex on the left of the approach; either works in an empty band.
  return { x: here.x + (ux * d) / 2 - uy * h, y: here.y + (uy * d) / 2 + ux * h };
}
