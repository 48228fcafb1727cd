import type RAPIER_T from '@dimforge/rapier3d-compat';
import type { Scene } from '../scene/schema';
import { targetFootprint, targetHeight } from '../scene/geometry';
import { sha256 } from '../util/hash';
import type { RobotProfile } from './profile';
import { loadRapier, type Rapier } from './rapier';

export type ActionMode = 'pulse' | 'velocity';
/** pulse: [lx, ly] in [-1, 1] (x forward, y left, robot frame). velocity: [vx, vy] m/s or [vx, vy, wz]. */
export type Action = readonly number[];

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
   * Run one control period. The robot-frame command is turned into a world-frame velocity with
   * the body's own quaternion (arithmetic only, no Math.sin/cos) so replays stay bit-identical.
   */
  applyAction(action: Action, mode: ActionMode): StepPhysics {
    const p = this.profile;
    const dt = p.physicsDt;
    const periodSteps = Math.max(1, Math.round(p.controlPeriodSeconds / dt));
    let lx = 0;
    let ly = 0;
    let wz = 0;
    let driveSteps = periodSteps;
    if (mode === 'pulse') {
      const a0 = action[0] ?? 0;
      const a1 = action[1] ?? 0;
      const m = Math.sqrt(a0 * a0 + a1 * a1);
      // The lab's base ignores magnitude: direction only, fixed throttle; [0, 0] stays put.
      if (m > p.deadband) {
        lx = (a0 / m) * p.speed;
        ly = (a1 / m) * p.speed;
      }
      driveSteps = Math.round(p.pulseSeconds / dt);
    } else {
      lx = action[0] ?? 0;
      ly = action[1] ?? 0;
      const m = Math.sqrt(lx * lx + ly * ly);
      if (m > p.speed) {
        lx = (lx / m) * p.speed;
        ly = (ly / m) * p.speed;
      }
      wz = Math.max(-p.maxYawRate, Math.min(p.maxYawRate, action[2] ?? 0));
    }
    // The lab's base has no yaw command (angular_z dropped): lock it so contacts cannot spin it.
    const allowYaw = mode === 'velocity';
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
      const wantX = drive ? c * lx - s * ly : 0;
      const wantY = drive ? s * lx + c * ly : 0;
      const v = this.robot.linvel();
      let dx = wantX - v.x;
      let dy = wantY - v.y;
      const dm = Math.sqrt(dx * dx + dy * dy);
      if (dm > maxDv) {
        dx = (dx / dm) * maxDv;
        dy = (dy / dm) * maxDv;
      }
      this.robot.setLinvel({ x: v.x + dx, y: v.y + dy, z: 0 }, true);
      this.robot.setAngvel({ x: 0, y: 0, z: drive ? wz : 0 }, true);
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
