import type { Scene } from '../scene/schema';
import type { RobotProfile } from '../sim/profile';
import type { EpisodeTrace } from '../sim/trace';
import { SimWorld, type ActionMode, type RobotPose } from '../sim/world';

export interface Divergence {
  /** First step whose state hash differs (0 = the start state). */
  step: number;
  expected: string;
  got: string;
  /** Recorded and replayed pose at that step, to say how far apart they are. */
  expectedPose?: [number, number, number];
  gotPose: [number, number, number];
}

export interface Resimulation {
  /** Exact poses after each step (index 0 = start), as Rapier gives them (with the quaternion, for rendering). */
  poses: RobotPose[];
  hashes: string[];
  contacts: string[][];
  /** Set when the replay does not reproduce the recorded state hashes. */
  divergence?: Divergence;
  /** The trace has a different number of hashes than actions + 1 (truncated or edited). */
  malformed?: string;
}

/**
 * Re-simulate a recorded episode: a fresh world from the scene, the recorded start pose, the
 * recorded actions in the policy's action mode. Every per-step state hash is compared with the
 * recording; the first mismatch is reported (the replay keeps going so the viewer can still show it).
 */
export async function resimulate(scene: Scene, profile: RobotProfile, actionMode: ActionMode, trace: EpisodeTrace): Promise<Resimulation> {
  const world = await SimWorld.create(scene, profile, trace.start);
  try {
    const poses: RobotPose[] = [world.pose()];
    const hashes: string[] = [world.stateHash()];
    const contacts: string[][] = [];
    for (const action of trace.actions) {
      const phys = world.applyAction(action, actionMode);
      poses.push(world.pose());
      hashes.push(world.stateHash());
      contacts.push(phys.contacts);
    }
    const out: Resimulation = { poses, hashes, contacts };
    if (trace.hashes.length !== trace.actions.length + 1) out.malformed = `trace has ${trace.actions.length} actions but ${trace.hashes.length} state hashes (expected ${trace.actions.length + 1})`;
    const n = Math.max(hashes.length, trace.hashes.length);
    for (let k = 0; k < n; k++) {
      if (hashes[k] === trace.hashes[k]) continue;
      const p = poses[Math.min(k, poses.length - 1)]!;
      out.divergence = {
        step: k,
        expected: trace.hashes[k] ?? '(none)',
        got: hashes[k] ?? '(none)',
        ...(trace.poses[k] ? { expectedPose: trace.poses[k] } : {}),
        gotPose: [p.x, p.y, p.yaw],
      };
      break;
    }
    return out;
  } finally {
    world.free();
  }
}

/** One line for a divergence: which step, which hashes, how far apart. */
export function describeDivergence(d: Divergence): string {
  const where = d.step === 0 ? 'the start state (step 0)' : `step ${d.step}`;
  let s = `replay diverges from the recording at ${where}: state hash ${d.got}, recorded ${d.expected}`;
  if (d.expectedPose) {
    const dx = d.gotPose[0] - d.expectedPose[0];
    const dy = d.gotPose[1] - d.expectedPose[1];
    s += ` (position off by ${(Math.hypot(dx, dy) * 1000).toFixed(3)} mm)`;
  }
  return s;
}
