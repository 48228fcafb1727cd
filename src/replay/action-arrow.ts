import type { RobotProfile } from '../sim/profile';

/** The part of the robot profile an action's arrow is measured from. */
export type ArrowDrive = Pick<RobotProfile, 'speed' | 'pulseSeconds' | 'controlPeriodSeconds' | 'deadband'>;

export function arrowDrive(profile: RobotProfile): ArrowDrive {
  return { speed: profile.speed, pulseSeconds: profile.pulseSeconds, controlPeriodSeconds: profile.controlPeriodSeconds, deadband: profile.deadband };
}

/** An action's commanded displacement (m): robot frame (forward, left) and world frame (dx, dy). */
export interface ActionArrow {
  fwd: number;
  left: number;
  dx: number;
  dy: number;
}

/**
 * The arrow drawn for one action: the displacement the drive commands, as SimWorld.applyAction
 * reads the action (ramps and contacts aside). Pulse: direction only, at profile speed for one
 * pulse (speed × pulseSeconds); inside the deadband, none. Velocity: [vx, vy] capped at profile
 * speed, held for one control period (yaw rate ignored: the arrow is a straight chord).
 * `yaw` is the robot's heading when the action was taken.
 */
export function actionArrow(mode: string, drive: ArrowDrive, action: readonly number[], yaw: number): ActionArrow {
  const lx = action[0] ?? 0;
  const ly = action[1] ?? 0;
  const m = Math.hypot(lx, ly);
  let len: number;
  if (mode === 'pulse') len = m > drive.deadband ? drive.speed * drive.pulseSeconds : 0;
  else len = Math.min(m, drive.speed) * drive.controlPeriodSeconds;
  if (!(len > 0) || !(m > 0)) return { fwd: 0, left: 0, dx: 0, dy: 0 };
  const fwd = (lx / m) * len;
  const left = (ly / m) * len;
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return { fwd, left, dx: c * fwd - s * left, dy: s * fwd + c * left };
}

/** The longest arrow the drive can command (pulse: one pulse; velocity: top speed for a period): the dial's full radius. */
export function maxArrowLength(mode: string, drive: ArrowDrive): number {
  return drive.speed * (mode === 'pulse' ? drive.pulseSeconds : drive.controlPeriodSeconds);
}

/** Per-step arrows for the viewer, which draws them as given: index = step (0..steps-1). */
export interface ActionArrows {
  /** World-frame [dx, dy] (m) from the pose at that step, for the top-down. */
  world: [number, number][];
  /** Robot-frame [forward, left] (m), for the dial. */
  robot: [number, number][];
  /** maxArrowLength: the dial's radius in metres. */
  max: number;
}

export function actionArrows(mode: string, drive: ArrowDrive, poses: readonly (readonly number[])[], actions: readonly (readonly number[])[]): ActionArrows {
  const world: [number, number][] = [];
  const robot: [number, number][] = [];
  actions.forEach((a, k) => {
    const v = actionArrow(mode, drive, a, poses[k]?.[2] ?? 0);
    world.push([v.dx, v.dy]);
    robot.push([v.fwd, v.left]);
  });
  return { world, robot, max: maxArrowLength(mode, drive) };
}
