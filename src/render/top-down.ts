/**
 * The replay's overhead view: what ChromiumRenderer.topDown() asks the page to draw (path, robot,
 * contacts, goal) and the frame it gets back. The page side is topDown() in src/render/page/main.js.
 */
import type { Scene } from '../scene/schema';
import { targetFootprint, type Footprint } from '../scene/geometry';
import { DEFAULT_PROFILE, type RobotProfile } from '../sim/profile';
import type { RobotPose } from '../sim/world';
import type { Frame } from '../image/frame';

export interface TopDownOptions {
  /** Cache key of the scene; default sha256 of its canonical JSON. */
  sceneKey?: string;
  width?: number;
  height?: number;
  /** Where to draw the robot; default the last path point, heading along the last segment. */
  pose?: RobotPose;
  /** Draw the robot at all (default true); false gives a clean background for overlays. */
  showRobot?: boolean;
  profile?: RobotProfile;
  /** Drawn as red dots (collisions). */
  contacts?: { x: number; y: number }[];
  /** Draw the goal circle (green). Default true. */
  showGoal?: boolean;
  /** Metres of margin around the room. */
  margin?: number;
}

/** The page's topDown() payload, less the scene uploads (the renderer adds those). */
export interface TopDownRequest {
  key: string;
  w: number;
  h: number;
  path: { x: number; y: number }[];
  contacts: { x: number; y: number }[];
  robot: { x: number; y: number; yaw: number; qz: number; qw: number } | null;
  profile: RobotProfile;
  goal: Scene['goal'] | null;
  margin: number;
  /**
   * The target's footprint (its collider) drawn as an outline. Only a rectangle is sent: a disc
   * footprint is the round object itself, which the view already shows (and drawing it would
   * change every existing top-down picture).
   */
  footprint: Footprint | null;
}

/** The page payload for one view; `key` is the scene's cache key (the renderer's default for it). */
export function topDownRequest(scene: Scene, key: string, path: readonly { x: number; y: number }[], opts: TopDownOptions = {}): TopDownRequest {
  const w = opts.width ?? 320;
  const h = opts.height ?? 320;
  let robot: { x: number; y: number; yaw: number; qz: number; qw: number } | null = null;
  if (opts.pose) robot = opts.pose;
  else if (path.length > 0) {
    const last = path[path.length - 1]!;
    let yaw = scene.robot.start.yaw;
    for (let i = path.length - 2; i >= 0; i--) {
      const p = path[i]!;
      if (Math.hypot(last.x - p.x, last.y - p.y) > 1e-6) {
        yaw = Math.atan2(last.y - p.y, last.x - p.x);
        break;
      }
    }
    robot = { x: last.x, y: last.y, yaw, qz: 0, qw: 0 }; // qz=qw=0: page uses yaw
  } else robot = { ...scene.robot.start, qz: 0, qw: 0 };
  return {
    key,
    w,
    h,
    path: path.map((p) => ({ x: p.x, y: p.y })),
    contacts: opts.contacts ?? [],
    robot: opts.showRobot === false ? null : robot,
    profile: opts.profile ?? DEFAULT_PROFILE,
    goal: opts.showGoal === false ? null : scene.goal,
    margin: opts.margin ?? 0.15,
    footprint: footprintOutline(scene),
  };
}

/** The outline the top-down draws for the target (null for a disc footprint, see TopDownRequest). */
export function footprintOutline(scene: Scene): Footprint | null {
  const f = targetFootprint(scene.target);
  return f.shape === 'rect' ? f : null;
}

/** The page's answer (raw RGB, base64) as a frame of the requested size. */
export function topDownFrame(b64: string, w: number, h: number): Frame {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length !== w * h * 3) throw new Error(`topDown returned ${buf.length} bytes, expected ${w * h * 3}`);
  return { width: w, height: h, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.length) };
}
