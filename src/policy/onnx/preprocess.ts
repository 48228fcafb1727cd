/**
 * Frame → model tensor: resize, channel order, scale/normalise, layout. Pure JS float32 arithmetic
 * in a fixed order, so the same frame gives the same tensor on every machine.
 */
import { inChannelOrder } from '../../image/channels';
import { checkFrame, type Frame } from '../../image/frame';
import { resizeFrame } from '../../image/resize';
import type { ImageSpec } from './manifest';

/**
 * One frame as a float32 (3,H,W) or (H,W,3) block. With channelOrder BGR the tensor's channel 0 is
 * blue; mean[c]/std[c] apply to tensor channel c (as torchvision's Normalize does).
 */
export function preprocessFrame(frame: Frame, spec: ImageSpec): Float32Array {
  const [H, W] = spec.size;
  checkFrame(frame);
  const px = inChannelOrder(resizeFrame(frame, spec.size), spec.channelOrder).data;
  const out = new Float32Array(3 * H * W);
  const lut = normLut(spec);
  const plane = H * W;
  for (let c = 0; c < 3; c++) {
    const table = lut[c] as Float32Array;
    if (spec.layout === 'NCHW') for (let i = 0; i < plane; i++) out[c * plane + i] = table[px[i * 3 + c] as number] as number;
    else for (let i = 0; i < plane; i++) out[i * 3 + c] = table[px[i * 3 + c] as number] as number;
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
