import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import type { Frame } from '../image/frame';

/** RGB8 frame → PNG bytes (RGB, no alpha). */
export function encodePng(frame: Frame): Buffer {
  const { width, height, data } = frame;
  if (data.length !== width * height * 3) throw new Error(`encodePng: ${data.length} bytes is not ${width}×${height}×3`);
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

export function writePng(path: string, frame: Frame): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodePng(frame));
}

/** PNG bytes → RGB8 frame (drops alpha). For tests and tools that compare images. */
export function decodePng(buf: Buffer): Frame {
  const png = PNG.sync.read(buf);
  const out = new Uint8Array(png.width * png.height * 3);
  for (let i = 0, j = 0; i < png.data.length; i += 4, j += 3) {
    out[j] = png.data[i]!;
    out[j + 1] = png.data[i + 1]!;
    out[j + 2] = png.data[i + 2]!;
  }
  return { width: png.width, height: png.height, data: out };
}
