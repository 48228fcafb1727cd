import type RAPIER_T from '@dimforge/rapier3d-compat';
import type { Scene } from '../scene/schema';
import { targetFootprint, targetHeight } from '../scene/geometry';
import { sha256 } from '../util/hash';
import type { RobotProfile } from './profile';
import { loadRapier, type Rapier } from './rapier';

/**
 * How a policy's numbers are read. `pulse`: the lab's hardware — [linear_x, linear_y(, angular_z)]
 * whose *direction* is executed at the profile's fixed speed (magnitudes ignored), or a spin by
 * the sign of angular_z; the profile's `control` says whether each action is a 0.4 s pulse or a
 * held command. `velocity`: [vx, vy(, wz)] in m/s and rad/s, for policies that output velocities.
 */
export type ActionMode = 'pulse' | 'velocity';
/** [linear_x (forward), linear_y (left), angular_z (CCW)]; a 2-number action means angular_z = 0. */
export type Action = readonly number[];

/** A robot-frame command: m/s forward and left, rad/s counter-clockwise. */
export interface Command {
  vx: number;
  vy: number;
  wz: number;
}

const ignore = (v: number, deadband: number): number => (Math.abs(v) < deadband ? 0 : v);

/**
 * STOP: every component below the deadband, so the base does not move (an all-zero action).
 * Habitat-style tasks end the episode on it.
 */
export function isStop(action: Action, profile: Pick<RobotProfile, 'deadband'>): boolean {
  return action.every((v) => Math.abs(v) < profile.deadband);
}

/**
 * The lab's base (pop.driving): a translation is executed as move(atan2(ly, lx), fixed throttle)
 * whatever the magnitude, veering by the motors' drift; with no translation, a rotation spins at
 * the fixed spin rate by the sign of angular_z. The base takes one command at a time, so a
 * translation wins over a rotation. Components below the deadband are ignored.
 */
export function directionCommand(action: Action, p: Pick<RobotProfile, 'deadband' | 'speed' | 'spinRate' | 'driftDeg'>): Command {
  const lx = ignore(action[0] ?? 0, p.deadband);
  const ly = ignore(action[1] ?? 0, p.deadband);
  const az = ignore(action[2] ?? 0, p.deadband);
  const m = Math.sqrt(lx * lx + ly * ly);
  if (m > 0) {
    let ux = lx / m;
    let uy = ly / m;
    if (p.driftDeg) {
      const a = (p.driftDeg * Math.PI) / 180;
      const c = Math.cos(a);
      const s = Math.sin(a);
      [ux, uy] = [c * ux - s * uy, s * ux + c * uy];
    }
    return { vx: ux * p.speed, vy: uy * p.speed, wz: 0 };
  }
  if (az !== 0) return { vx: 0, vy: 0, wz: Math.sign(az) * p.spinRate };
  return { vx: 0, vy: 0, wz: 0 };
}

/** Velocity policies: [vx, vy] capped at the profile's speed, wz at maxYawRate. */
export function velocityCommand(action: Action, p: Pick<RobotProfile, 'speed' | 'maxYawRate'>): Command {
  let vx = action[0] ?? 0;
  let vy = action[1] ?? 0;
  const m = Math.sqrt(vx * vx + vy * vy);
  if (m > p.speed) {
    vx = (vx / m) * p.speed;
    vy = (vy / m) * p.speed;
  }
  return { vx, vy, wz: Math.max(-p.maxYawRate, Math.min(p.maxYawRate, action[2] ?? 0)) };
}

export interface RobotPose {
  x: number;
  y: number;
  /** Heading (rad), for people and policies; the exact state is the quaternion. */
  yaw: number;
  /** Rapier's rotation quaternion about z (x and y components are locked at 0). */
  qz: number;
  qw: number;
}

export interface StepPhysics {
  /** Names of what the robot touched this step ("wall", box ids, "target"), first contact order. */
  contacts: string[];
  /** Contacts that began this step (a new collision event). */
  newContacts: string[];
}

const HALF_SQRT2 = Math.SQRT1_2;

/**
 * One episode's Rapier world: the robot as a dynamic disc locked to the floor plane, boxes,
 * walls and the target as fixed colliders. One world per episode keeps episodes independent
 * of each other, so results do not depend on batch size or order.
 */
export class SimWorld {
  private readonly world: RAPIER_T.World;
  private readonly robot: RAPIER_T.RigidBody;
  private readonly robotCollider: RAPIER_T.Collider;
  private readonly events: RAPIER_T.EventQueue;
  private readonly names = new Map<number, string>();
  private readonly touching = new Set<string>();
  private yawFree = true;

  private constructor(
    R: Rapier,
    readonly scene: Scene,
    readonly profile: RobotProfile,
    start: { x: number; y: number; yaw: number },
  ) {
    this.world = new R.World({ x: 0, y: 0, z: 0 });
    this.world.timestep = profile.physicsDt;
    this.events = new R.EventQueue(true);

    const rz = Math.sin(start.yaw / 2);
    const rw = Math.cos(start.yaw / 2);
    const body = R.RigidBodyDesc.dynamic()
      .setTranslation(start.x, start.y, profile.height / 2)
      .setRotation({ x: 0, y: 0, z: rz, w: rw })
      .enabledTranslations(true, true, false)
      .enabledRotations(false, false, true)
      .setCcdEnabled(true);
    this.robot = this.world.createRigidBody(body);
    // Rapier's cylinder axis is y: turn it to stand on z. Zero friction (Min rule) so sliding
    // along a box does not spin the base.
    const cyl = R.ColliderDesc.cylinder(profile.height / 2, profile.radius)
      .setRotation({ x: HALF_SQRT2, y: 0, z: 0, w: HALF_SQRT2 })
      .setFriction(0)
      .setFrictionCombineRule(R.CoefficientCombineRule.Min)
      .setRestitution(0)
      .setDensity(40)
      .setActiveEvents(R.ActiveEvents.COLLISION_EVENTS);
    this.robotCollider = this.world.createCollider(cyl, this.robot);

    const fixed = (name: string, desc: RAPIER_T.ColliderDesc, x: number, y: number, z: number, yaw = 0) => {
      const b = this.world.createRigidBody(
        R.RigidBodyDesc.fixed().setTranslation(x, y, z).setRotation({ x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) }),
      );
      const c = this.world.createCollider(desc.setFriction(0), b);
      this.names.set(c.handle, name);
    };
    for (const box of scene.obstacles) {
      const [sx, sy, sz] = box.size;
      fixed(box.id, R.ColliderDesc.cuboid(sx / 2, sy / 2, sz / 2), box.pose.x, box.pose.y, sz / 2, box.pose.yaw);
    }
    const th = targetHeight(scene.target);
    const f = targetFootprint(scene.target);
    if (f.shape === 'disc') fixed('target', R.ColliderDesc.cylinder(th / 2, f.r).setRotation({ x: HALF_SQRT2, y: 0, z: 0, w: HALF_SQRT2 }), f.x, f.y, th / 2);
    else fixed('target', R.ColliderDesc.cuboid(f.hx, f.hy, th / 2), f.x, f.y, th / 2, f.yaw);
    const { min, max, wallHeight: wh, wallThickness: wt } = scene.room;
    const cx = (min[0] + max[0]) / 2;
    const cy = (min[1] + max[1]) / 2;
    const hx = (max[0] - min[0]) / 2 + wt;
    const hy = (max[1] - min[1]) / 2 + wt;
    fixed('wall', R.ColliderDesc.cuboid(hx, wt / 2, wh / 2), cx, min[1] - wt / 2, wh / 2);
    fixed('wall', R.ColliderDesc.cuboid(hx, wt / 2, wh / 2), cx, max[1] + wt / 2, wh / 2);
    fixed('wall', R.ColliderDesc.cuboid(wt / 2, hy, wh / 2), min[0] - wt / 2, cy, wh / 2);
    fixed('wall', R.ColliderDesc.cuboid(wt / 2, hy, wh / 2), max[0] + wt / 2, cy, wh / 2);
  }

  static async create(scene: Scene, profile: RobotProfile, start?: { x: number; y: number; yaw: number }): Promise<SimWorld> {
    const R = await loadRapier();
    return new SimWorld(R, scene, profile, start ?? scene.robot.start);
  }

  pose(): RobotPose {
    const t = this.robot.translation();
    const q = this.robot.rotation();
    return { x: t.x, y: t.y, yaw: Math.atan2(2 * q.w * q.z, 1 - 2 * q.z * q.z), qz: q.z, qw: q.w };
  }

  /**
   * Run one control step: `pulse` control drives for pulseSeconds then brakes to rest until
   * controlPeriodSeconds; `held` control drives for the whole 1/rateHz tick and keeps the velocity
   * into the next one (the lab's V6 loop re-applies the last action). The robot-frame command is
   * turned into a world-frame velocity with the body's own quaternion (arithmetic only, no
   * Math.sin/cos per step) so replays stay bit-identical.
   */
  applyAction(action: Action, mode: ActionMode): StepPhysics {
    const p = this.profile;
    const dt = p.physicsDt;
    const cmd = mode === 'pulse' ? directionCommand(action, p) : velocityCommand(action, p);
    const held = p.control.mode === 'held';
    const periodSteps = Math.max(1, Math.round((held ? 1 / p.control.rateHz : p.controlPeriodSeconds) / dt));
    const driveSteps = mode === 'pulse' && !held ? Math.round(p.pulseSeconds / dt) : periodSteps;
    // The lab's base turns only when told to spin: lock yaw otherwise, so contacts cannot turn it.
    const allowYaw = mode === 'velocity' || cmd.wz !== 0;
    if (allowYaw !== this.yawFree) {
      this.robot.setEnabledRotations(false, false, allowYaw, true);
      this.yawFree = allowYaw;
    }
    const contacts: string[] = [];
    const newContacts: string[] = [];
    const maxDv = p.accel * dt;
    for (let i = 0; i < periodSteps; i++) {
      const q = this.robot.rotation();
      // yaw rotation from the quaternion: cos = w² − z², sin = 2wz
      const c = q.w * q.w - q.z * q.z;
      const s = 2 * q.w * q.z;
      const drive = i < driveSteps;
      const wantX = drive ? c * cmd.vx - s * cmd.vy : 0;
      const wantY = drive ? s * cmd.vx + c * cmd.vy : 0;
      const v = this.robot.linvel();
      let dx = wantX - v.x;
      let dy = wantY - v.y;
      const dm = Math.sqrt(dx * dx + dy * dy);
      if (dm > maxDv) {
        dx = (dx / dm) * maxDv;
        dy = (dy / dm) * maxDv;
      }
      this.robot.setLinvel({ x: v.x + dx, y: v.y + dy, z: 0 }, true);
      this.robot.setAngvel({ x: 0, y: 0, z: drive ? cmd.wz : 0 }, true);
      this.world.step(this.events);
      this.events.drainCollisionEvents((h1, h2, started) => {
        const other = h1 === this.robotCollider.handle ? h2 : h1;
        const name = this.names.get(other) ?? 'unknown';
        if (started) {
          this.touching.add(name);
          newContacts.push(name);
        } else this.touching.delete(name);
      });
      for (const name of this.touching) if (!contacts.includes(name)) contacts.push(name);
    }
    return { contacts, newContacts };
  }

  /** Brake to rest for one control step (held control past its COAST timeout, or STOP). */
  coast(): StepPhysics {
    return this.applyAction([0, 0, 0], 'pulse');
  }

  /** Hash of the exact physical state (float bits), to check replays and determinism. */
  stateHash(): string {
    const t = this.robot.translation();
    const q = this.robot.rotation();
    const v = this.robot.linvel();
    const f = new Float64Array([t.x, t.y, t.z, q.x, q.y, q.z, q.w, v.x, v.y, v.z]);
    return sha256(new Uint8Array(f.buffer)).slice(0, 16);
  }

  free(): void {
    this.world.free();
    this.events.free();
  }
}
