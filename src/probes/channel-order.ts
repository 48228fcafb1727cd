import type { Frame } from '../render/types';
import { deriveEpisodes } from './derive';
import type { Probe } from './types';

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

/**
 * Catches failure mode 3 (trained on BGR, deployed on RGB): the in-distribution episodes again
 * with R and B swapped at the policy's input. A large change either way means the policy leans
 * on colour order; a gain means it was probably trained on the other order.
 */
export const channelOrder: Probe = {
  name: 'channel-order',
  doc: 'in-distribution episodes with R and B swapped at the input (image policies only)',
  imageOnly: true,
  sceneSuffix: '',
  derive: (suites, k) => deriveEpisodes(suites, k, 'channel-order', (scene) => scene),
  imageTransform: (frame) => swapRedBlue(frame),
};
