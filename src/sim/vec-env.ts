import type { CameraRequest, Renderer } from './camera';
import type { Frame } from '../image/frame';
import { Rng } from '../util/rng';
import { seedFrom } from '../util/hash';
import type { EpisodeSpec } from './episode';
import type { Observation } from './observation';
import type { RobotProfile } from './profile';
import { cloneAction, type EpisodeTrace, type Outcome } from './trace';
import { isStop, SimWorld, type Action, type ActionMode, type RobotPose } from './world';
import { inStopBand, targetView } from './task';
import { taskOf } from '../scene/schema';

export interface EnvOptions {
  /** The robot, for every episode — unless `profileFor` gives each episode its own (its suite's era). */
  profile: RobotProfile;
  profileFor?: (episode: EpisodeSpec) => RobotProfile;
  actionMode: ActionMode;
  /** When given, every observation carries the onboard camera frame. */
  renderer?: Renderer;
  /** A collision ends the episode (terminated, failure). Default true: touching a box is a failed run on the real robot. */
  endOnCollision?: boolean;
  /** Seeded start-pose jitter per episode (metres, degrees). */
  startJitter?: { xy: number; yawDeg: number };
  /** Applied to each rendered frame before the policy sees it (probes, sensor noise). Must be deterministic. */
  imageTransform?: (frame: Frame, episode: EpisodeSpec, step: number) => Frame;
}

export interface StepInfo {
  pose: RobotPose;
  contacts: string[];
  newContacts: string[];
  distanceToGoal: number;
  success: boolean;
  /** The policy said STOP this step (every component below the deadband). */
  stop: boolean;
  stateHash: string;
  /** Set when the episode ended this step. */
  outcome?: Outcome;
}

/** One slot's input to a step: an action (or the held one), or an error that ends its episode. */
export interface StepCommand {
  slot: number;
  action?: Action;
  error?: string;
  hold?: boolean;
  info?: Record<string, unknown>;
}

export interface StepResult {
  /** Absent once the episode is over (no frame is rendered for a finished episode). */
  obs?: Observation;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

interface Slot {
  episode: EpisodeSpec;
  profile: RobotProfile;
  world: SimWorld;
  step: number;
  done: boolean;
  trace: EpisodeTrace;
  lastDist: number;
}

/** The camera request for an episode at a step: replays must build exactly the same one. */
export function cameraRequest(episode: EpisodeSpec, pose: RobotPose, step: number, profile: RobotProfile): CameraRequest {
  return {
    scene: episode.scene,
    sceneKey: episode.sceneHash,
    pose,
    profile,
    // Sensor noise differs per episode and step but is the same on every replay.
    noiseSeed: seedFrom('noise', episode.id, step),
  };
}

export const DEFAULT_START_JITTER = { xy: 0.03, yawDeg: 3 };

/** Start pose of an episode: the scene's start plus jitter drawn from (scene hash, seed). */
export function startPose(episode: EpisodeSpec, jitter = DEFAULT_START_JITTER): { x: number; y: number; yaw: number } {
  const s = episode.scene.robot.start;
  const rng = new Rng(seedFrom('start', episode.sceneHash, episode.seed));
  return {
    x: s.x + rng.jitter(jitter.xy),
    y: s.y + rng.jitter(jitter.xy),
    yaw: s.yaw + (rng.jitter(jitter.yawDeg) * Math.PI) / 180,
  };
}

/**
 * N episodes stepped in lockstep (a Gymnasium-style vector env). Each slot owns its own
 * Rapier world, so an episode's outcome never depends on its neighbours; frames for all slots
 * are rendered in one batched call. Slots are refilled by the caller with `reset(slot, …)`.
 */
export class VecNavEnv {
  private readonly slots: (Slot | undefined)[];
  private readonly endOnCollision: boolean;

  constructor(
    readonly size: number,
    private readonly opts: EnvOptions,
  ) {
    this.slots = new Array(size).fill(undefined);
    this.endOnCollision = opts.endOnCollision ?? true;
  }

  get renders(): boolean {
    return this.opts.renderer !== undefined;
  }

  /** Start `episode` in `slot` (physics only); call `observe` to get the first observations. */
  async reset(slot: number, episode: EpisodeSpec): Promise<void> {
    this.slots[slot]?.world.free();
    const start = startPose(episode, this.opts.startJitter);
    const profile = this.opts.profileFor?.(episode) ?? this.opts.profile;
    const world = await SimWorld.create(episode.scene, profile, start);
    const pose = world.pose();
    const g = episode.scene.goal;
    this.slots[slot] = {
      episode,
      profile,
      world,
      step: 0,
      done: false,
      lastDist: Math.hypot(pose.x - g.x, pose.y - g.y),
      trace: {
        episodeId: episode.id,
        actions: [],
        poses: [[pose.x, pose.y, pose.yaw]],
        hashes: [world.stateHash()],
        contacts: [],
        events: [],
        outcome: 'timeout',
        start,
      },
    };
  }

  /** Observations for the given slots (one batched render). */
  async observe(slotIds: readonly number[]): Promise<Observation[]> {
    const live = slotIds.map((i) => this.slot(i));
    let frames: Frame[] | undefined;
    const r = this.opts.renderer;
    if (r && live.length) {
      frames = await r.render(live.map((s) => cameraRequest(s.episode, s.world.pose(), s.step, s.profile)));
    }
    return live.map((s, k) => {
      let image = frames?.[k];
      if (image && this.opts.imageTransform) image = this.opts.imageTransform(image, s.episode, s.step);
      const scene = s.episode.scene;
      return {
        episodeId: s.episode.id,
        step: s.step,
        instruction: scene.instruction.text,
        state: { pose: s.world.pose(), scene, side: scene.instruction.side, robotRadius: s.profile.radius, profile: s.profile },
        ...(image ? { image } : {}),
      };
    });
  }

  /**
   * Apply one action per listed slot (physics), then render the slots still running.
   * An `error` instead of an action ends that episode as `policy_error`.
   */
  async step(batch: readonly StepCommand[]): Promise<StepResult[]> {
    const results = this.applyActions(batch);
    const alive = batch.filter((_, k) => !results[k]!.terminated && !results[k]!.truncated).map((b) => b.slot);
    if (alive.length) {
      const obs = await this.observe(alive);
      alive.forEach((slot, k) => {
        const r = results[batch.findIndex((b) => b.slot === slot)] as StepResult;
        r.obs = obs[k];
      });
    }
    return results;
  }

  /**
   * `step` without the render: physics only, no `obs` in the results. The caller renders the
   * slots still running with `observe` (the episode loop adds the slots it refilled meanwhile to
   * that same batched render).
   */
  applyActions(batch: readonly StepCommand[]): StepResult[] {
    return batch.map(({ slot, action, error, hold, info }) => {
      const s = this.slot(slot);
      if (s.done) throw new Error(`slot ${slot}: step() after the episode ended; reset() it first`);
      return error !== undefined || !action ? this.fail(s, error ?? 'no action') : this.advance(s, action, hold === true, info);
    });
  }

  /**
   * One control tick. `hold`: the robot executes its last command (or coasts) while the policy
   * computes — not a decision of the policy's, so it is never a STOP.
   */
  private advance(s: Slot, action: Action, hold = false, info?: Record<string, unknown>): StepResult {
    const phys = s.world.applyAction(action, this.opts.actionMode);
    s.step += 1;
    const pose = s.world.pose();
    const hash = s.world.stateHash();
    const t = s.trace;
    t.actions.push(cloneAction(action));
    if (hold || t.held) (t.held ??= new Array<boolean>(t.actions.length - 1).fill(false)).push(hold);
    if (info || t.info) (t.info ??= new Array<Record<string, unknown> | null>(t.actions.length - 1).fill(null)).push(info ?? null);
    t.poses.push([pose.x, pose.y, pose.yaw]);
    t.hashes.push(hash);
    t.contacts.push(phys.contacts);
    for (const c of phys.newContacts) t.events.push({ step: s.step, type: 'collision', detail: c });
    const scene = s.episode.scene;
    const g = scene.goal;
    const d = Math.hypot(pose.x - g.x, pose.y - g.y);
    const collided = phys.newContacts.length > 0;
    const stop = !hold && isStop(action, s.profile);
    let outcome: Outcome | undefined;
    if (taskOf(scene).rule === 'stop') {
      // Habitat's STOP-based success: the first STOP ends the episode, judged where the robot stands.
      if (collided && this.endOnCollision) outcome = 'collision';
      else if (stop) {
        const view = targetView(scene, s.profile, pose);
        outcome = inStopBand(scene, view) ? 'success' : 'stopped_outside';
        t.events.push({ step: s.step, type: 'stop', detail: `gap ${view.gap.toFixed(3)} m, cx ${view.cx === null ? 'behind' : view.cx.toFixed(3)}` });
      }
    } else if (d <= g.radius) outcome = 'success';
    else if (collided && this.endOnCollision) outcome = 'collision';
    if (!outcome && s.step >= scene.timeLimit) outcome = 'timeout';
    const success = outcome === 'success';
    const reward = s.lastDist - d + (success ? 1 : 0) - (collided ? 0.1 : 0);
    s.lastDist = d;
    if (outcome) this.finish(s, outcome);
    return {
      reward,
      terminated: outcome !== undefined && outcome !== 'timeout',
      truncated: outcome === 'timeout',
      info: { pose, contacts: phys.contacts, newContacts: phys.newContacts, distanceToGoal: d, success, stop, stateHash: hash, ...(outcome ? { outcome } : {}) },
    };
  }

  private fail(s: Slot, reason: string): StepResult {
    const outcome: Outcome = reason.startsWith('policy_error') || reason.startsWith('remote_error') ? 'policy_error' : 'error';
    this.finish(s, outcome, reason);
    const pose = s.world.pose();
    return {
      reward: 0,
      terminated: true,
      truncated: false,
      info: { pose, contacts: [], newContacts: [], distanceToGoal: s.lastDist, success: false, stop: false, stateHash: s.world.stateHash(), outcome },
    };
  }

  private finish(s: Slot, outcome: Outcome, reason?: string): void {
    s.done = true;
    s.trace.outcome = outcome;
    if (reason) s.trace.reason = reason;
    if (outcome !== 'collision') s.trace.events.push({ step: s.step, type: outcome, ...(reason ? { detail: reason } : {}) });
  }

  /** The finished (or running) episode's trace; the slot keeps it until the next reset. */
  trace(slot: number): EpisodeTrace {
    return this.slot(slot).trace;
  }

  episode(slot: number): EpisodeSpec {
    return this.slot(slot).episode;
  }

  /** The robot profile the slot's episode runs with. */
  profile(slot: number): RobotProfile {
    return this.slot(slot).profile;
  }

  private slot(i: number): Slot {
    const s = this.slots[i];
    if (!s) throw new Error(`slot ${i} has no episode: reset() it first`);
    return s;
  }

  close(): void {
    for (const s of this.slots) s?.world.free();
    this.slots.fill(undefined);
  }
}
