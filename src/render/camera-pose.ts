import type { CameraRequest } from '../sim/camera';

/**
 * An onboard camera as the scene code places it (src/render/page/views.js placeCamera): the
 * robot's pose, the profile's mount and lens, the scene's camera offsets applied. Both renderers
 * build it from a request here, so they look from exactly the same place.
 */
export interface CameraPose {
  key: string;
  x: number;
  y: number;
  yaw: number;
  qz: number;
  qw: number;
  w: number;
  h: number;
  mountHeight: number;
  mountForward: number;
  pitchDeg: number;
  fov: number;
  /** Lens aspect (width/height) when it differs from w/h (the profile's camera.aspect); null = w/h. */
  aspect: number | null;
}

export function cameraPose(r: CameraRequest): CameraPose {
  const c = r.profile.camera;
  const a = r.scene.appearance.camera;
  return {
    key: r.sceneKey,
    x: r.pose.x,
    y: r.pose.y,
    yaw: r.pose.yaw,
    qz: r.pose.qz,
    qw: r.pose.qw,
    w: c.width,
    h: c.height,
    mountHeight: c.mountHeight + a.heightOffset,
    mountForward: c.mountForward,
    pitchDeg: c.pitchDeg + a.pitchOffsetDeg,
    fov: c.fovDeg,
    aspect: c.aspect ?? null,
  };
}
