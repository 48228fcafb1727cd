/** An RGB8 image, rows top to bottom, 3 bytes per pixel (what a camera driver hands a policy). */
export interface Frame {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * A size as manifests and policy configs write it: [height, width], the order of numpy/torch
 * image shapes. In code, frames carry `width`/`height`; convert at the edge with `sizeOfHW`.
 */
export type SizeHW = readonly [height: number, width: number];

export const sizeOfHW = ([height, width]: SizeHW): { width: number; height: number } => ({ width, height });

/** Check a frame's buffer holds width × height × 3 bytes. */
export function checkFrame(frame: Frame, what = 'frame'): void {
  if (frame.data.length < frame.width * frame.height * 3) throw new Error(`${what} data has ${frame.data.length} bytes, expected ${frame.width}×${frame.height}×3`);
}
