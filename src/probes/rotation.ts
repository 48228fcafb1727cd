import { rotate180 } from '../image/rotate';
import { deriveEpisodes } from './derive';
import type { Probe } from './types';

/**
 * Catches a policy that depends on which way up the camera is: the in-distribution episodes again
 * with every frame rotated 180° at the policy's input — what it sees when the camera is mounted
 * upside down and nothing rotates the frames back (the lab's USB fallback camera; openpi's LIBERO
 * client has to rotate its frames 180° for the same reason). A gain means the policy was probably
 * trained on rotated frames.
 */
export const rotation: Probe = {
  name: 'rotation',
  doc: 'in-distribution episodes with frames rotated 180° at the input (image policies only)',
  imageOnly: true,
  sceneSuffix: '',
  derive: (suites, k) => deriveEpisodes(suites, k, 'rotation', (scene) => scene),
  imageTransform: (frame) => rotate180(frame),
};
