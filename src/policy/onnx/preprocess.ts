/**
 * Frame → model tensor: resize, channel order, scale/normalise, layout. Pure JS float32 arithmetic
 * in a fixed order, so the same frame gives the same tensor on every machine.
 */
import type { Frame } from '../../render/types';
import type { ImageSpec } from './manifest';

/**
 * One frame as a float32 (3,H,W) or (H,W,3) block. With channelOrder BGR the tensor's channel 0 is
 * blue; mean[c]/std[c] apply to tensor channel c (as torchvision's Normalize does).
 */
export function preprocessFrame(frame: Frame, spec: ImageSpec): Float32Array {
  const [H, W] = spec.size;
  if (frame.data.length < frame.width * frame.height * 3) {
    throw new Error(`frame data has ${frame.data.length} bytes, expected ${frame.width}×${frame.height}×3`);
  }
  const rgb = frame.width === W && frame.height === H ? frame.data : resizeBilinear(frame, W, H);
  const out = new Float32Array(3 * H * W);
  const src = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const lut = normLut(spec);
  const plane = H * W;
  for (let c = 0; c < 3; c++) {
    const s = src[c] as number;
    const table = lut[c] as Float32Array;
    if (spec.layout === 'NCHW') for (let i = 0; i < plane; i++) out[c * plane + i] = table[rgb[i * 3 + s] as number] as number;
    else for (let i = 0; i < plane; i++) out[i * 3 + c] = table[rgb[i * 3 + s] as number] as number;
  }
  return out;
}

const lutCache = new WeakMap<ImageSpec, Float32Array[]>();

/** Per tensor channel, the float32 value of each byte: (byte·scale − mean[c]) / std[c], rounded as float32 ops would. */
function normLut(spec: ImageSpec): Float32Array[] {
  let lut = lutCache.get(spec);
  if (!lut) {
    const scale = Math.fround(spec.scale);
    lut = [0, 1, 2].map((c) => {
      const mean = Math.fround(spec.mean[c] as number);
      const std = Math.fround(spec.std[c] as number);
      const t = new Float32Array(256);
      for (let b = 0; b < 256; b++) t[b] = Math.fround(Math.fround(Math.fround(b * scale) - mean) / std);
      return t;
    });
    lutCache.set(spec, lut);
  }
  return lut;
}

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
