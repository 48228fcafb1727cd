import type { RobotProfile } from '../sim/profile';
import { directionCommand, velocityCommand } from '../sim/world';

/** The part of the robot profile an action's arrow is measured from. */
export type ArrowDrive = Pick<RobotProfile, 'speed' | 'pulseSeconds' | 'controlPeriodSeconds' | 'deadband' | 'spinRate' | 'driftDeg' | 'maxYawRate' | 'control'>;

export function arrowDrive(profile: RobotProfile): ArrowDrive {
  const { speed, pulseSeconds, controlPeriodSeconds, deadband, spinRate, driftDeg, maxYawRate, control } = profile;
  return { speed, pulseSeconds, controlPeriodSeconds, deadband, spinRate, driftDeg, maxYawRate, control };
}

/** An action's commanded displacement (m): robot frame (forward, left) and world frame (dx, dy); and its turn (rad, + = left). */
export interface ActionArrow {
  fwd: number;
  left: number;
  dx: number;
  dy: number;
  spin: number;
}

/** How long one action drives: a pulse, one held tick, or (velocity policies) a control period. */
function driveSeconds(mode: string, d: ArrowDrive): number {
  if (d.control.mode === 'held') return 1 / d.control.rateHz;
  return mode === 'pulse' ? d.pulseSeconds : d.controlPeriodSeconds;
}

/**
 * The arrow drawn for one action: the displacement and turn the drive commands, as
 * SimWorld.applyAction reads the action (the same command functions; ramps and contacts aside).
 * `yaw` is the robot's heading when the action was taken.
 */
export function actionArrow(mode: string, drive: ArrowDrive, action: readonly number[], yaw: number): ActionArrow {
  const cmd = mode === 'pulse' ? directionCommand(action, drive) : velocityCommand(action, drive);
  const t = driveSeconds(mode, drive);
  const fwd = cmd.vx * t;
  const left = cmd.vy * t;
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return { fwd, left, dx: c * fwd - s * left, dy: s * fwd + c * left, spin: cmd.wz * t };
}

/** The longest arrow the drive can command: the dial's full radius. */
export function maxArrowLength(mode: string, drive: ArrowDrive): number {
  return drive.speed * driveSeconds(mode, drive);
}

/** Per-step arrows for the viewer, which draws them as given: index = step (0..steps-1). */
export interface ActionArrows {
  /** World-frame [dx, dy] (m) from the pose at that step, for the top-down. */
  world: [number, number][];
  /** Robot-frame [forward, left] (m), for the dial. */
  robot: [number, number][];
  /** Turn commanded (rad, + = counter-clockwise), shown on the dial. */
  spin: number[];
  /** maxArrowLength: the dial's radius in metres. */
  max: number;
}

export function actionArrows(mode: string, drive: ArrowDrive, poses: readonly (readonly number[])[], actions: readonly (readonly number[])[]): ActionArrows {
  const world: [number, number][] = [];
  const robot: [number, number][] = [];
  const spin: number[] = [];
  actions.forEach((a, k) => {
    const v = actionArrow(mode, drive, a, poses[k]?.[2] ?? 0);
    world.push([v.dx, v.dy]);
    robot.push([v.fwd, v.left]);
    spin.push(v.spin);
  });
  return { world, robot, spin, max: maxArrowLength(mode, drive) };
}
