import { planPath } from '../../scene/geometry';
import type { Side } from '../../scene/schema';
import type { Observation } from '../../sim/observation';
import { sub } from '../../util/vec2';
import { ScriptedPolicy, towards } from './common';

/** Extra clearance the oracle keeps beyond the robot radius (m). */
const MARGIN = 0.06;

/**
 * Re-plans each step: the shortest path to the goal that passes every obstacle on the
 * instructed side (or the opposite side, for `mirror`), then pulses towards its first corner.
 */
export class OraclePolicy extends ScriptedPolicy {
  constructor(
    private readonly flip = false,
    name = flip ? 'mirror' : 'oracle',
  ) {
    super(name, flip ? 'oracle that passes on the wrong side (instruction-following ≈ 0%)' : 'plans around the obstacles on the instructed side with privileged state');
  }

  actOne(_slot: number, obs: Observation): number[] {
    const { scene, pose } = obs.state;
    const side: Side = this.flip ? (obs.state.side === 'left' ? 'right' : 'left') : obs.state.side;
    const here = { x: pose.x, y: pose.y };
    const radius = obs.state.robotRadius;
    // Tighter clearances as fall-backs when jitter or a graze leaves the robot near a corner.
    for (const margin of [MARGIN, MARGIN / 2, 0.005]) {
      const plan = planPath(scene, here, scene.goal, { clearance: radius + margin, side });
      const next = plan?.path[1];
      if (next) return towards(obs, sub(next, here));
    }
    return towards(obs, sub(scene.goal, here));
  }
}
