import type { Frame } from '../image/frame';
import type { Scene, Side } from '../scene/schema';
import type { RobotProfile } from './profile';
import type { RobotPose } from './world';

/** What a policy gets each step. */
export interface Observation {
  episodeId: string;
  /** Control step index: 0 at reset. */
  step: number;
  instruction: string;
  /** Privileged: only scripted baselines may read it (learned policies see image + instruction). */
  state: PrivilegedState;
  /** The onboard camera, present when the env renders. */
  image?: Frame;
}

export interface PrivilegedState {
  pose: RobotPose;
  scene: Scene;
  side: Side;
  /** Robot base radius (m), for planners. */
  robotRadius: number;
  /** The robot the episode runs with (drive, deadband, camera), for planners. */
  profile: RobotProfile;
}
