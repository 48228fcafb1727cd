import { distanceToFootprint, targetFootprint } from '../scene/geometry';
import { taskOf, type Scene } from '../scene/schema';
import { horizontalFov, type RobotProfile } from './profile';
import type { RobotPose } from './world';

/** Where the target stands relative to the robot and its camera at one pose. */
export interface TargetView {
  /** Gap between the robot's footprint and the target's footprint (m); 0 when touching. */
  gap: number;
  /** Bearing of the target's centre from the camera, relative to the heading (rad, + = left). */
  bearing: number;
  /** Normalised horizontal image position of the target's centre (0 left … 1 right); null behind the camera. */
  cx: number | null;
  /** The target's centre is inside the camera's horizontal field of view. */
  inView: boolean;
}

export function targetView(scene: Scene, profile: RobotProfile, pose: Pick<RobotPose, 'x' | 'y' | 'yaw'>): TargetView {
  const f = targetFootprint(scene.target);
  const gap = Math.max(0, distanceToFootprint(pose, f) - profile.radius);
  const cam = { x: pose.x + Math.cos(pose.yaw) * profile.camera.mountForward, y: pose.y + Math.sin(pose.yaw) * profile.camera.mountForward };
  let bearing = Math.atan2(f.y - cam.y, f.x - cam.x) - pose.yaw;
  bearing = Math.atan2(Math.sin(bearing), Math.cos(bearing));
  const half = horizontalFov(profile.camera) / 2;
  const cx = Math.abs(bearing) < Math.PI / 2 ? 0.5 - Math.tan(bearing) / (2 * Math.tan(half)) : null;
  return { gap, bearing, cx, inView: cx !== null && cx >= 0 && cx <= 1 };
}

/** The stop task's success test: inside the band, target in the central part of the view. */
export function inStopBand(scene: Scene, view: TargetView): boolean {
  const t = taskOf(scene);
  return view.gap >= t.band.min && view.gap <= t.band.max && view.cx !== null && Math.abs(view.cx - 0.5) <= t.centralCx;
}
