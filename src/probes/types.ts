import type { Frame } from '../image/frame';
import type { LoadedSuite } from '../scene/load';
import type { EpisodeSpec } from '../sim/episode';

export const PROBE_NAMES = ['instruction-swap', 'memorisation', 'channel-order', 'rotation'] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

/** What a probe derived, and what it had to leave out (with why). */
export interface ProbeEpisodes {
  episodes: EpisodeSpec[];
  skipped: { sceneId: string; reason: string }[];
}

/**
 * A probe: a derived suite of episodes that targets one known failure mode of a trained policy
 * (ignoring the instruction, memorising actions by frame index, the wrong colour order, a camera
 * mounted the other way up).
 * Derived episodes carry `probe` (part of their id), so they never pair with base episodes by
 * accident and are reported in their own column.
 */
export interface Probe {
  name: ProbeName;
  doc: string;
  /** Only meaningful for policies that read camera frames: reported "n/a" for the others. */
  imageOnly: boolean;
  /** Suffix added to a derived scene's id ("" when the scene itself is unchanged). */
  sceneSuffix: string;
  derive(suites: readonly LoadedSuite[], episodesPerScene: number): ProbeEpisodes;
  /** Applied to frames of this probe's episodes only. Must be deterministic. */
  imageTransform?: (frame: Frame, episode: EpisodeSpec, step: number) => Frame;
}
