/**
 * The camera port: what the simulator asks of a renderer. The env owns it; render/ implements it
 * (three.js in headless Chromium), and tests or other renderers can plug in their own.
 */
import type { Frame } from '../image/frame';
import type { Scene } from '../scene/schema';
import type { RobotProfile } from './profile';
import type { RobotPose } from './world';

/** One onboard-camera image to render. */
export interface CameraRequest {
  scene: Scene;
  /** Stable key of the scene (its hash): the renderer caches built scenes by it. */
  sceneKey: string;
  pose: RobotPose;
  profile: RobotProfile;
  /**
   * Seed for `scene.appearance.sensorNoise` (e.g. seedFrom(episodeId, step)). Without it the
   * noise is seeded from the scene key and the pose, which is deterministic too.
   */
  noiseSeed?: number;
}

/** Renders camera frames for a batch of robots in one call. */
export interface Renderer {
  render(requests: readonly CameraRequest[]): Promise<Frame[]>;
  /** What is rendering (e.g. "chromium 156 / SwiftShader WebGL2"), recorded in results. */
  describe(): Record<string, unknown>;
  /** Relaunch after a crash (the runner then redoes the episodes in flight). */
  restart?(): Promise<void>;
  /** The browser's process id, when there is one (tests kill it). */
  pid?(): number | undefined;
  close(): Promise<void>;
}
