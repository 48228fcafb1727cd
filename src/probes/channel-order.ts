import { swapRedBlue } from '../image/channels';
import { deriveEpisodes } from './derive';
import type { Probe } from './types';

/**
 * Catches a policy trained on BGR frames and deployed on RGB (OpenCV reads BGR; most camera
 * stacks hand out RGB): the in-distribution episodes again
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
