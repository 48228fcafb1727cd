import { z } from 'zod';

/**
 * The robot profile: body, drive and camera. Defaults are the lab's omni-wheel robot: a 0.3 m
 * round base that, for each action, drives in direction
 * atan2(ly, lx) at a fixed throttle for 0.4 s and then stops.
 */
export const RobotProfile = z.strictObject({
  name: z.string().default('lab-omni'),
  /** Base radius (m): 0.3 m footprint. */
  radius: z.number().positive().default(0.15),
  /** Body height (m). */
  height: z.number().positive().default(0.2),
  /** Top speed during a pulse (m/s); 0.5 m/s × 0.4 s ≈ 0.2 m per action. */
  speed: z.number().positive().default(0.5),
  /** Drive duration of one pulse (s): the lab's 0.4 s. */
  pulseSeconds: z.number().positive().default(0.4),
  /** Time per control step (s): the pulse plus coming to rest before the next frame. */
  controlPeriodSeconds: z.number().positive().default(0.5),
  /** Acceleration and braking limit (m/s²); the real base ramps rather than jumps. */
  accel: z.number().positive().default(5),
  /** Yaw rate limit in velocity mode (rad/s). */
  maxYawRate: z.number().positive().default(1.5),
  /** Actions with |(lx, ly)| below this are "stop" in pulse mode. */
  deadband: z.number().min(0).default(0.05),
  /** Physics step (s). 1/60 s keeps a 0.5 m/s robot from tunnelling through 5 cm walls. */
  physicsDt: z.number().positive().default(1 / 60),
  camera: z
    .strictObject({
      /** Image size: 224×224 RGB, what the lab's policies see after resizing. */
      width: z.number().int().positive().default(224),
      height: z.number().int().positive().default(224),
      /** Lens height above the floor (m) and forward offset from the base centre (m). */
      mountHeight: z.number().positive().default(0.28),
      mountForward: z.number().default(0.1),
      /** Downward pitch (deg): the CSI camera looks slightly down at the floor ahead. */
      pitchDeg: z.number().default(12),
      /** Vertical field of view (deg); a wide CSI lens cropped to a square. */
      fovDeg: z.number().positive().max(170).default(70),
    })
    .default({ width: 224, height: 224, mountHeight: 0.28, mountForward: 0.1, pitchDeg: 12, fovDeg: 70 }),
});
export type RobotProfile = z.infer<typeof RobotProfile>;
export type RobotProfileInput = z.input<typeof RobotProfile>;

export const DEFAULT_PROFILE: RobotProfile = RobotProfile.parse({});

export function makeProfile(overrides: RobotProfileInput = {}): RobotProfile {
  return RobotProfile.parse(overrides);
}
