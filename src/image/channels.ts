import { z } from 'zod';
import type { Frame } from './frame';

/**
 * The order of the colour channels a policy expects. Renderers and cameras give RGB; models
 * trained on OpenCV captures (cv2.imread/VideoCapture return BGR) expect BGR.
 */
export const ChannelOrder = z.enum(['RGB', 'BGR']);
export type ChannelOrder = z.infer<typeof ChannelOrder>;

/** R and B swapped (RGB ↔ BGR), in a new buffer: renderers may reuse theirs. */
export function swapRedBlue(frame: Frame): Frame {
  const src = frame.data;
  const data = new Uint8Array(src.length);
  for (let i = 0; i + 2 < src.length; i += 3) {
    data[i] = src[i + 2]!;
    data[i + 1] = src[i + 1]!;
    data[i + 2] = src[i]!;
  }
  return { width: frame.width, height: frame.height, data };
}

/** An RGB frame in the given channel order (the frame itself for RGB). */
export const inChannelOrder = (frame: Frame, order: ChannelOrder): Frame => (order === 'BGR' ? swapRedBlue(frame) : frame);
