import type { Scene, Split } from '../scene/schema';
import type { LoadedSuite } from '../scene/load';
import { sha256 } from '../util/hash';

/** One episode to run: a scene of a suite with a seed. Ids are fixed before anything runs. */
export interface EpisodeSpec {
  /** sha256(suite, version, scene id, seed, scene hash), 16 hex: independent of batch, order, shard. */
  id: string;
  suite: string;
  suiteVersion: number;
  scene: Scene;
  sceneHash: string;
  seed: number;
  split: Split;
  family: string;
  /** Probe variant applied to the observation ("" for none), part of the id. */
  probe?: string;
  /** The suite's robot era (src/sim/profile.ts PROFILES); absent = `seed-pulse`. */
  profile?: string;
}

export function episodeId(suite: string, version: number, sceneId: string, seed: number, sceneHash: string, probe = ''): string {
  return sha256([suite, version, sceneId, seed, sceneHash, probe].join('|')).slice(0, 16);
}

/**
 * The one way to build an episode: its id follows from (suite, version, scene id, seed, scene
 * hash, probe), so whoever builds it — the plan, the env, a probe, a replay — gets the same id.
 */
export function makeEpisode(suite: { suite: string; version: number; profile?: string | undefined }, scene: Scene, sceneHash: string, seed: number, probe?: string): EpisodeSpec {
  return {
    id: episodeId(suite.suite, suite.version, scene.id, seed, sceneHash, probe),
    suite: suite.suite,
    suiteVersion: suite.version,
    scene,
    sceneHash,
    seed,
    split: scene.split,
    family: scene.family,
    ...(probe ? { probe } : {}),
    ...(suite.profile ? { profile: suite.profile } : {}),
  };
}

/** All episodes of a suite: every scene × seeds 0..episodesPerScene-1, in file order. */
export function suiteEpisodes(suite: LoadedSuite, episodesPerScene: number): EpisodeSpec[] {
  const out: EpisodeSpec[] = [];
  for (const scene of suite.scenes) {
    const hash = suite.sceneHashes[scene.id] as string;
    for (let seed = 0; seed < episodesPerScene; seed++) out.push(makeEpisode(suite, scene, hash, seed));
  }
  return out;
}
