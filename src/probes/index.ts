import type { Frame } from '../image/frame';
import type { LoadedSuite } from '../scene/load';
import type { EpisodeSpec } from '../sim/episode';
import { ConfigError } from '../util/errors';
import { channelOrder } from './channel-order';
import { instructionSwap } from './instruction-swap';
import { memorisation } from './memorisation';
import { rotation } from './rotation';
import { PROBE_NAMES, type Probe, type ProbeName } from './types';

export const PROBES: Record<ProbeName, Probe> = {
  'instruction-swap': instructionSwap,
  memorisation,
  'channel-order': channelOrder,
  rotation,
};

export const isProbeName = (s: string): s is ProbeName => (PROBE_NAMES as readonly string[]).includes(s);

/** Validate probe names from config / --probe (exit 2 on a typo). */
export function resolveProbes(names: readonly string[]): Probe[] {
  const out: Probe[] = [];
  for (const n of names) {
    if (!isProbeName(n)) throw new ConfigError(`Unknown probe "${n}"`, `Known probes: ${PROBE_NAMES.join(', ')}.`);
    if (!out.includes(PROBES[n])) out.push(PROBES[n]);
  }
  return out;
}

/** The probes' derived episodes, appended after the base episodes (ids fixed up front). */
export function probeEpisodes(names: readonly string[], suites: readonly LoadedSuite[], episodesPerScene: number): EpisodeSpec[] {
  return resolveProbes(names).flatMap((p) => p.derive(suites, episodesPerScene).episodes);
}

/** One frame transform for a mixed batch: each probe episode gets its own probe's transform. */
export function probeImageTransform(frame: Frame, episode: EpisodeSpec, step: number): Frame {
  const p = episode.probe && isProbeName(episode.probe) ? PROBES[episode.probe] : undefined;
  return p?.imageTransform ? p.imageTransform(frame, episode, step) : frame;
}

/** The base scene id of a probe episode's scene (strips the probe's suffix). */
export function baseSceneId(sceneId: string, probe: string | undefined): string {
  const suffix = probe && isProbeName(probe) ? PROBES[probe].sceneSuffix : '';
  return suffix && sceneId.endsWith(suffix) ? sceneId.slice(0, -suffix.length) : sceneId;
}

export { PROBE_NAMES, type Probe, type ProbeName } from './types';
export { swapInstruction, swapSideWords } from './instruction-swap';
export { shiftScene } from './memorisation';
export { swapRedBlue } from '../image/channels';
export { rotate180 } from '../image/rotate';
