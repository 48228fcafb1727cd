import { z } from 'zod';

/**
 * The robot profile: body, drive, control loop and camera. The defaults are the lab's omni-wheel
 * base as measured (see README "The robot"): the hardware executes only the *direction* of a
 * translation, at a fixed throttle, whatever the magnitude; a rotation spins at a fixed fraction
 * of that throttle by the sign of angular_z; components below 0.1 are ignored.
 */
export const Control = z.strictObject({
  /**
   * `pulse` (the seed era): each action moves for `pulseSeconds`, then the base stops and settles
   * until `controlPeriodSeconds` has passed and the next frame is taken. `held` (the deployed
   * V6 loop): a control loop at `rateHz` re-applies the last action without stopping, until a new
   * one arrives or `coastSeconds` pass without one (the lab's COAST timeout).
   */
  mode: z.enum(['pulse', 'held']).default('pulse'),
  rateHz: z.number().positive().max(100).default(6),
  coastSeconds: z.number().positive().default(4),
});
export type Control = z.infer<typeof Control>;

export const Camera = z.strictObject({
  /** The image a policy gets (pixels). */
  width: z.number().int().positive().default(224),
  height: z.number().int().positive().default(224),
  /**
   * Aspect ratio of the lens's view (width / height), when it differs from the image's: a 16:9
   * CSI frame squashed to 224² (the lab's cv2.resize) is drawn straight into a 224² target with a
   * 16:9 projection — the same picture, without rendering 1280×720 first. Default: width/height.
   */
  aspect: z.number().positive().optional(),
  /** Lens height above the floor (m) and forward offset from the base centre (m). */
  mountHeight: z.number().positive().default(0.28),
  mountForward: z.number().default(0.1),
  /** Downward pitch (deg). */
  pitchDeg: z.number().default(12),
  /** Vertical field of view (deg). */
  fovDeg: z.number().positive().max(170).default(70),
});
export type Camera = z.infer<typeof Camera>;

export const RobotProfile = z.strictObject({
  name: z.string().default('seed-pulse'),
  /** Base radius (m): 0.3 m footprint. */
  radius: z.number().positive().default(0.15),
  /** Body height (m). */
  height: z.number().positive().default(0.2),
  /**
   * Translation speed at the fixed throttle (m/s). 0.3125 m/s × 0.4 s ≈ 12.5 cm per pulse: the
   * lab measured 12–13 cm per W pulse at throttle 50.
   */
  speed: z.number().positive().default(0.3125),
  /** Drive duration of one pulse (s): the lab's 0.4 s move. */
  pulseSeconds: z.number().positive().default(0.4),
  /** Pulse control: time per action (s), the 0.4 s move plus the lab's 0.3 s stop and settle. */
  controlPeriodSeconds: z.number().positive().default(0.7),
  /** Acceleration and braking limit (m/s²); the real base ramps rather than jumps. */
  accel: z.number().positive().default(5),
  /** Yaw rate limit for `velocity` policies (rad/s). */
  maxYawRate: z.number().positive().default(1.5),
  /**
   * Per component: |linear_x|, |linear_y| or |angular_z| below this is ignored (the lab's base
   * ignores moves below 0.1). An action with every component below it is STOP.
   */
  deadband: z.number().min(0).default(0.1),
  /**
   * Spin rate at the rotation throttle (rad/s). The lab spins at 35% of the translation throttle
   * (17.5 of 50) but never published the rate: 0.5 rad/s (≈ 29°/s) is our estimate from the
   * wheel speed at that throttle. Calibrate it: time a full turn at 17.5.
   */
  spinRate: z.number().positive().default(0.5),
  /** Motor drift: translations veer by this angle (deg, + = left); the real base has no trim. */
  driftDeg: z.number().min(-30).max(30).default(0),
  control: Control.default({ mode: 'pulse', rateHz: 6, coastSeconds: 4 }),
  /** Physics step (s). 1/60 s keeps the robot from tunnelling through 5 cm walls. */
  physicsDt: z.number().positive().default(1 / 60),
  camera: Camera.default({ width: 224, height: 224, mountHeight: 0.28, mountForward: 0.1, pitchDeg: 12, fovDeg: 70 }),
});
export type RobotProfile = z.infer<typeof RobotProfile>;
export type RobotProfileInput = z.input<typeof RobotProfile>;

/**
 * The eras of the lab's robot, by name (a suite's `profile`).
 * - `seed-pulse`: the seed note's robot. 0.4 s pulses at 12.5 cm, 0.3 s settle; the square 224²
 *   camera view of the seed-era suites.
 * - `v6-held`: the deployed robot (V6 data, EdgeGroundVLA): a 6 Hz held-action loop with a 4 s
 *   COAST; the CSI camera at 1280×720 (mounted upside down, rotated back by the camera service,
 *   so frames are upright) squashed to 224² as the lab's clients resize; rotation at 35% throttle.
 *   Camera height, pitch and field of view were never published: 0.22 m, 8° down and 78°
 *   horizontal (49.4° vertical at 16:9) put the five basket positions at the lab's frame-0 cx and
 *   make the basket fill about a quarter of the frame at the 40–50 cm stop (the lab's STOP
 *   proxy, bbox area ≥ 0.25). They are calibration parameters: override `camera` to match yours.
 */
export const PROFILES = {
  'seed-pulse': {},
  'v6-held': {
    name: 'v6-held',
    control: { mode: 'held', rateHz: 6, coastSeconds: 4 },
    camera: { width: 224, height: 224, aspect: 16 / 9, mountHeight: 0.22, mountForward: 0.1, pitchDeg: 8, fovDeg: 49.4 },
  },
} as const satisfies Record<string, RobotProfileInput>;
export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export const DEFAULT_PROFILE: RobotProfile = RobotProfile.parse({});

export function makeProfile(overrides: RobotProfileInput = {}): RobotProfile {
  return RobotProfile.parse(overrides);
}

/** A named era profile with overrides on top (camera and control merged field by field). */
export function namedProfile(name: string, overrides: RobotProfileInput = {}): RobotProfile {
  const base = (PROFILES as Record<string, RobotProfileInput>)[name];
  if (!base) throw new Error(`unknown robot profile "${name}" (known: ${PROFILE_NAMES.join(', ')})`);
  return RobotProfile.parse({
    ...base,
    ...overrides,
    control: { ...(base.control ?? {}), ...(overrides.control ?? {}) },
    camera: { ...(base.camera ?? {}), ...(overrides.camera ?? {}) },
  });
}

/**
 * The profile an episode runs with: its suite's era, the run's overrides on top, and the scene's
 * own motor drift (the drift family) last.
 */
export function episodeProfile(era: string | undefined, scene: { robot: { driftDeg?: number | undefined } }, overrides: RobotProfileInput = {}): RobotProfile {
  const drift = scene.robot.driftDeg;
  return namedProfile(era ?? 'seed-pulse', drift === undefined ? overrides : { ...overrides, driftDeg: drift });
}

/** Horizontal field of view (rad) of a camera: from the vertical one and the lens aspect. */
export function horizontalFov(camera: Camera): number {
  const aspect = camera.aspect ?? camera.width / camera.height;
  return 2 * Math.atan(Math.tan((camera.fovDeg * Math.PI) / 360) * aspect);
}
