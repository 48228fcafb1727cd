import { z } from 'zod';

/**
 * The scene format. One suite file holds many scenes. Coordinates: metres on the floor plane,
 * x forward (from the robot's start towards the target), y to the left, z up; yaw in radians,
 * counter-clockwise from +x. The same JSON builds the Rapier world and the three.js scene.
 */

const finite = z.number().finite();
const positive = finite.positive();

export const Pose2 = z.strictObject({ x: finite, y: finite, yaw: finite.default(0) });
export type Pose2 = z.infer<typeof Pose2>;

export const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like "#a0522d"');

export const Room = z.strictObject({
  /** Inner floor area, from min corner to max corner (x, y). */
  min: z.tuple([finite, finite]),
  max: z.tuple([finite, finite]),
  wallHeight: positive.default(0.6),
  wallThickness: positive.default(0.05),
});

/**
 * A user-supplied glTF/GLB model (e.g. a phone scan of the lab's basket), drawn instead of the
 * procedural look. `file` is relative to the suite file. The collider is the model's bounds
 * (scaled) unless the object gives its own size.
 */
export const Model = z.strictObject({
  file: z.string().min(1),
  /** Uniform scale applied to the model (its units are metres after scaling). */
  scale: positive.default(1),
  /** Extra yaw of the model about z (radians), for scans that face another way. */
  yaw: finite.default(0),
});
export type Model = z.infer<typeof Model>;

export const Box = z.strictObject({
  id: z.string().min(1),
  kind: z.literal('box'),
  /** Full extents along the box's own x, y, z (metres). */
  size: z.tuple([positive, positive, positive]),
  pose: Pose2,
  colour: Colour.default('#a0764a'),
  model: Model.optional(),
});
export type Box = z.infer<typeof Box>;

export const TARGET_KINDS = ['bottle', 'cup', 'basket', 'pot', 'chair'] as const;
export const TargetKind = z.enum(TARGET_KINDS);
export type TargetKind = z.infer<typeof TargetKind>;

export const Target = z.strictObject({
  kind: TargetKind,
  pose: Pose2,
  colour: Colour.optional(),
  model: Model.optional(),
  /** Collider and footprint size [x, y, z] (m) when a model's bounds are not what should collide. */
  size: z.tuple([positive, positive, positive]).optional(),
});

export const Side = z.enum(['left', 'right']);
export type Side = z.infer<typeof Side>;

export const Instruction = z.strictObject({
  text: z.string().min(1),
  /** Which side of the obstacle(s) the robot must pass on. */
  side: Side,
});

/**
 * How an episode succeeds. `reach`: the robot's centre comes within the goal radius (the seed
 * era). `stop` (Habitat's STOP-based success): the episode ends at the policy's first STOP (an
 * all-zero action) and succeeds only if the robot then stands in the stop band — its footprint
 * `band.min`–`band.max` metres from the target's footprint — with the target's centre inside the
 * central part of the camera's view (|cx − 0.5| ≤ `centralCx`, cx the target's normalised
 * horizontal image position).
 */
export const Task = z.strictObject({
  rule: z.enum(['reach', 'stop']).default('reach'),
  band: z.strictObject({ min: finite.min(0).default(0.4), max: positive.default(0.5) }).default({ min: 0.4, max: 0.5 }),
  /** The lab's proximity rule counts the target as centred when |cx − 0.5| ≤ 0.35. */
  centralCx: finite.min(0).max(0.5).default(0.35),
});
export type Task = z.infer<typeof Task>;

/** The scene's task with its defaults (a scene without one is a `reach` task). */
export const taskOf = (scene: { task?: Task | undefined }): Task => scene.task ?? Task.parse({});

export const Goal = z.strictObject({
  /** The "front of the target": the robot's centre must come within `radius` of (x, y). */
  x: finite,
  y: finite,
  radius: positive.max(1),
});

export const Split = z.enum(['in-distribution', 'novel']);
export type Split = z.infer<typeof Split>;

/** Lighting, surfaces and camera/sensor shifts. Defaults are the lab's room. */
export const Appearance = z.strictObject({
  /** `image`: a photo (PNG/JPEG, relative to the suite file) tiled over the floor, e.g. of the lab's own floor; `tile` is its size on the floor (m, default 1). */
  floor: z.strictObject({ colour: Colour.default('#8a8a86'), texture: z.enum(['plain', 'tiles', 'wood', 'carpet', 'concrete']).default('concrete'), image: z.string().min(1).optional(), tile: positive.optional() }).default({ colour: '#8a8a86', texture: 'concrete' }),
  walls: z.strictObject({ colour: Colour.default('#e8e4dc'), texture: z.enum(['plain', 'plaster', 'brick', 'panels']).default('plaster'), image: z.string().min(1).optional(), tile: positive.optional() }).default({ colour: '#e8e4dc', texture: 'plaster' }),
  light: z
    .strictObject({
      intensity: positive.default(1),
      /** Colour temperature in kelvin (warm ≈ 2700, neutral ≈ 5000, cool ≈ 7500). */
      kelvin: positive.default(5000),
      /** Direction the key light comes from, azimuth/elevation in degrees. */
      azimuth: finite.default(35),
      elevation: finite.min(5).max(90).default(60),
      shadows: z.boolean().default(true),
    })
    .default({ intensity: 1, kelvin: 5000, azimuth: 35, elevation: 60, shadows: true }),
  /** Camera mount shifts relative to the robot profile (metres / degrees). */
  camera: z.strictObject({ heightOffset: finite.default(0), pitchOffsetDeg: finite.default(0) }).default({ heightOffset: 0, pitchOffsetDeg: 0 }),
  /** Std-dev of Gaussian pixel noise (0–255 scale), seeded per episode and step. */
  sensorNoise: finite.min(0).max(64).default(0),
});
export type Appearance = z.infer<typeof Appearance>;

/** Non-colliding clutter that only changes what the camera sees. */
export const Distractor = z.strictObject({
  kind: z.enum(['ball', 'cone', 'book', 'can', 'pot', 'person']),
  pose: Pose2,
  colour: Colour,
  /**
   * A negative: an object the instruction does not name and the robot must not approach (the
   * lab's negatives: a pot, a ball, a person). Stopping in front of it is a false stop.
   */
  negative: z.boolean().optional(),
});

export const Scene = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "-" or "." only'),
  /** e.g. "1box_hori"; results break down per family. */
  family: z.string().min(1),
  tags: z.array(z.string()).default([]),
  split: Split,
  room: Room,
  robot: z.strictObject({
    start: Pose2,
    /** Motor drift for this scene (deg; + veers left): overrides the profile's `driftDeg`. */
    driftDeg: finite.min(-30).max(30).optional(),
  }),
  obstacles: z.array(Box),
  target: Target,
  instruction: Instruction,
  goal: Goal,
  /** Absent = `reach` (kept optional so that older scenes keep their hashes, hence their episode ids). */
  task: Task.optional(),
  /**
   * The serving cadence (held control): the policy's answers take this long in robot time, a
   * repeating pattern of milliseconds — the lab served at ~1.3 Hz in bursts of 0.08, 0.08, 2.2 s.
   */
  cadence: z.strictObject({ latencyMs: z.array(finite.min(0).max(60_000)).min(1) }).optional(),
  /** Time limit in control steps (actions); reaching it truncates the episode. */
  timeLimit: z.number().int().positive().max(10_000),
  appearance: Appearance.default(Appearance.parse({})),
  distractors: z.array(Distractor).default([]),
});
export type Scene = z.infer<typeof Scene>;
export type SceneInput = z.input<typeof Scene>;

export const Suite = z.strictObject({
  schemaVersion: z.literal(1),
  suite: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  /** Bumped whenever the scenes change; part of every episode id. */
  version: z.number().int().positive(),
  description: z.string().default(''),
  /**
   * The robot profile of the suite's era, by name (src/sim/profiles.ts): `seed-pulse` (0.4 s
   * pulses, the seed note's robot) or `v6-held` (the deployed robot: a ~6 Hz held-action loop,
   * the CSI camera). Default `seed-pulse`. The run's `profile` overrides fields of it.
   */
  profile: z.string().min(1).optional(),
  scenes: z.array(Scene).min(1),
});
export type Suite = z.infer<typeof Suite>;
export type SuiteInput = z.input<typeof Suite>;
