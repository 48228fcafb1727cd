/**
 * Synthetic inputs for policy tests: solid or seeded-noise frames and hand-built observations
 * (no renderer needed). Privileged state is left out on purpose: learned policies must not read it.
 */
import type { Frame } from '../../src/image/frame';
import type { EpisodeSpec } from '../../src/sim/episode';
import type { Observation, PrivilegedState } from '../../src/sim/observation';
import { Rng } from '../../src/util/rng';

export function solidFrame(rgb: readonly [number, number, number], width = 8, height = width): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

export function noiseFrame(seed: number, width = 224, height = width): Frame {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width, height, data };
}

export function observation(image: Frame | undefined, instruction = 'go to the bottle on the left', step = 0, episodeId = 'ep'): Observation {
  const obs: Observation = {
    episodeId,
    step,
    instruction,
    // A trap, not a value: any read of privileged state by a learned policy throws.
    state: new Proxy({} as PrivilegedState, {
      get(_t, key) {
        throw new Error(`learned policy read privileged state.${String(key)}`);
      },
    }),
  };
  if (image) obs.image = image;
  return obs;
}

/** begin() takes an EpisodeSpec; learned policies only use it as a reset signal. */
export const DUMMY_EPISODE = { id: 'test' } as EpisodeSpec;
