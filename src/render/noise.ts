import type { Frame } from '../image/frame';
import type { CameraRequest } from '../sim/camera';
import type { RobotPose } from '../sim/world';

/** murmur3-style finaliser: a well-mixed 32-bit hash, integer ops only. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seed from a scene key and the exact pose bits (used when a request carries no noiseSeed). */
export function poseNoiseSeed(sceneKey: string, pose: RobotPose): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sceneKey.length; i++) h = Math.imul(h ^ sceneKey.charCodeAt(i), 0x01000193);
  const f = new Float64Array([pose.x, pose.y, pose.qz, pose.qw]);
  for (const w of new Uint32Array(f.buffer)) h = Math.imul(h ^ w, 0x01000193);
  return mix32(h);
}

/**
 * Add zero-mean, approximately Gaussian pixel noise with standard deviation `std` (0–255 scale),
 * in place and deterministically from `seed`. Each sample is an Irwin–Hall sum of four bytes of
 * one integer hash (bounded at ±3.5σ): integer maths plus one multiply, so the result is
 * bit-identical on every platform (Math.log/cos in Box–Muller are not guaranteed to be).
 */
export function applySensorNoise(frame: Frame, std: number, seed: number): Frame {
  if (!(std > 0)) return frame;
  // Sum of 4 uniform bytes: mean 510, variance 4·(256²−1)/12.
  const scale = std / Math.sqrt((4 * (256 * 256 - 1)) / 12);
  const d = frame.data;
  const s = seed >>> 0;
  for (let i = 0; i < d.length; i++) {
    const h = mix32(Math.imul(i + 1, 0x9e3779b1) ^ s);
    const sum = (h & 255) + ((h >>> 8) & 255) + ((h >>> 16) & 255) + (h >>> 24);
    const v = d[i]! + Math.round((sum - 510) * scale);
    d[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return frame;
}

/** Each request's `scene.appearance.sensorNoise`, applied in place to its frame (any renderer). */
export function applyRequestNoise(frames: Frame[], requests: readonly CameraRequest[]): void {
  requests.forEach((r, i) => {
    const std = r.scene.appearance.sensorNoise;
    if (std > 0) applySensorNoise(frames[i]!, std, r.noiseSeed ?? poseNoiseSeed(r.sceneKey, r.pose));
  });
}
