/**
 * Node side of the page → Node frame transfer: the decoder for src/render/page/qoi.js's encoder.
 */

/**
 * Decode a frame from the page's QOI coder (src/render/page/qoi.js: QOI ops, no header/end marker,
 * alpha 255) into packed RGB. Throws if the data do not fill exactly w·h pixels.
 */
export function decodeQoiRgb(src: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  const index = new Uint8Array(64 * 3);
  let r = 0, g = 0, b = 0, p = 0, o = 0;
  const end = out.length;
  while (o < end && p < src.length) {
    const b1 = src[p++]!;
    if (b1 === 0xfe) {
      r = src[p++]!;
      g = src[p++]!;
      b = src[p++]!;
    } else if ((b1 & 0xc0) === 0x00) {
      r = index[b1 * 3]!;
      g = index[b1 * 3 + 1]!;
      b = index[b1 * 3 + 2]!;
    } else if ((b1 & 0xc0) === 0x40) {
      r = (r + ((b1 >> 4) & 3) - 2) & 255;
      g = (g + ((b1 >> 2) & 3) - 2) & 255;
      b = (b + (b1 & 3) - 2) & 255;
    } else if ((b1 & 0xc0) === 0x80) {
      const b2 = src[p++]!;
      const vg = (b1 & 63) - 32;
      r = (r + vg - 8 + (b2 >> 4)) & 255;
      g = (g + vg) & 255;
      b = (b + vg - 8 + (b2 & 15)) & 255;
    } else {
      let run = (b1 & 63) + 1;
      if (o + run * 3 > end) break;
      while (run-- > 0) {
        out[o++] = r;
        out[o++] = g;
        out[o++] = b;
      }
      continue;
    }
    const hi = ((r * 3 + g * 5 + b * 7 + 255 * 11) & 63) * 3;
    index[hi] = r;
    index[hi + 1] = g;
    index[hi + 2] = b;
    out[o++] = r;
    out[o++] = g;
    out[o++] = b;
  }
  if (o !== end || p !== src.length) throw new Error(`render page sent a bad QOI frame (${o}/${end} bytes decoded, ${p}/${src.length} read)`);
  return out;
}
