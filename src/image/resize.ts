import type { Frame, SizeHW } from './frame';

/**
 * Bilinear resize with half-pixel centres (cv2.INTER_LINEAR / torch align_corners=False, no
 * antialias), rounding to bytes as an 8-bit pipeline would.
 */
export function resizeBilinear(frame: Frame, W: number, H: number): Uint8Array {
  const { width: sw, height: sh, data } = frame;
  const out = new Uint8Array(W * H * 3);
  const sx = sw / W;
  const sy = sh / H;
  for (let y = 0; y < H; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    let y0 = Math.floor(fy);
    if (y0 > sh - 1) y0 = sh - 1;
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < W; x++) {
      let fx = (x + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      let x0 = Math.floor(fx);
      if (x0 > sw - 1) x0 = sw - 1;
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const a = (y0 * sw + x0) * 3;
      const b = (y0 * sw + x1) * 3;
      const c = (y1 * sw + x0) * 3;
      const d = (y1 * sw + x1) * 3;
      const o = (y * W + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = (data[a + k] as number) * (1 - wx) + (data[b + k] as number) * wx;
        const bot = (data[c + k] as number) * (1 - wx) + (data[d + k] as number) * wx;
        out[o + k] = Math.round(top * (1 - wy) + bot * wy);
      }
    }
  }
  return out;
}

/** A frame at [height, width] (the frame itself when it already has that size). */
export function resizeFrame(frame: Frame, [height, width]: SizeHW): Frame {
  if (frame.width === width && frame.height === height) return frame;
  return { width, height, data: resizeBilinear(frame, width, height) };
}
