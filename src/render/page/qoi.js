// Lossless RGB frame codec for the page → Node transfer: the QOI operations (index, diff, luma,
// run, raw; https://qoiformat.org) without header or end marker, alpha fixed at 255. Pixels
// leave Chromium through CDP at only ~10 MB/s here, so bytes moved are what a frame costs;
// rendered 224² frames shrink ~2–3× for well under 1 ms of encoding. Decoder: src/render/qoi.ts
// (decodeQoiRgb). Lossless, so frames stay bit-identical.

/**
 * Encode a w×h RGBA buffer as GL returns it (rows bottom-up) as RGB top row first into `out` at
 * byte `outOff` (room for w·h·4 bytes); returns the end offset. State starts fresh per frame.
 */
export function encodeRgbaFlipped(src, w, h, out, outOff) {
  const index = new Int32Array(64).fill(-1);
  let pr = 0, pg = 0, pb = 0;
  let run = 0;
  let o = outOff;
  for (let row = h - 1; row >= 0; row--) {
    let s = row * w * 4;
    for (let x = 0; x < w; x++, s += 4) {
      const r = src[s], g = src[s + 1], b = src[s + 2];
      if (r === pr && g === pg && b === pb) {
        run++;
        if (run === 62) {
          out[o++] = 0xc0 | (run - 1);
          run = 0;
        }
        continue;
      }
      if (run > 0) {
        out[o++] = 0xc0 | (run - 1);
        run = 0;
      }
      const rgb = (r << 16) | (g << 8) | b;
      const hi = (r * 3 + g * 5 + b * 7 + 255 * 11) & 63;
      if (index[hi] === rgb) {
        out[o++] = hi;
      } else {
        index[hi] = rgb;
        const vr = ((r - pr) << 24) >> 24;
        const vg = ((g - pg) << 24) >> 24;
        const vb = ((b - pb) << 24) >> 24;
        const vgr = vr - vg, vgb = vb - vg;
        if (vr > -3 && vr < 2 && vg > -3 && vg < 2 && vb > -3 && vb < 2) {
          out[o++] = 0x40 | ((vr + 2) << 4) | ((vg + 2) << 2) | (vb + 2);
        } else if (vgr > -9 && vgr < 8 && vg > -33 && vg < 32 && vgb > -9 && vgb < 8) {
          out[o++] = 0x80 | (vg + 32);
          out[o++] = ((vgr + 8) << 4) | (vgb + 8);
        } else {
          out[o++] = 0xfe;
          out[o++] = r;
          out[o++] = g;
          out[o++] = b;
        }
      }
      pr = r;
      pg = g;
      pb = b;
    }
  }
  if (run > 0) out[o++] = 0xc0 | (run - 1);
  return o;
}
