import type { Frame } from './frame';

/**
 * The frame turned 180° (upside down and mirrored), in a new buffer: what a policy sees from a
 * camera mounted upside down whose frames are not rotated back (the lab's CSI camera is rotated
 * back in software, its USB fallback is not; openpi's LIBERO client rotates frames 180°).
 */
export function rotate180(frame: Frame): Frame {
  const { width, height, data: src } = frame;
  const n = width * height;
  const data = new Uint8Array(n * 3);
  for (let i = 0, j = (n - 1) * 3; i < n; i++, j -= 3) {
    data[j] = src[i * 3]!;
    data[j + 1] = src[i * 3 + 1]!;
    data[j + 2] = src[i * 3 + 2]!;
  }
  return { width, height, data };
}
