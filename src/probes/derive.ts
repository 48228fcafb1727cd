import { planPath } from '../scene/geometry';
import type { LoadedSuite } from '../scene/load';
import type { Scene } from '../scene/schema';
import { makeEpisode } from '../sim/episode';
import { canonicalJson, sha256 } from '../util/hash';
import type { ProbeEpisodes, ProbeName } from './types';

/** Same constants as the scene generator's time limit: base radius 0.15 + 0.07 margin, 0.2 m per pulse. */
const PLAN_CLEARANCE = 0.22;
const STEP_LENGTH = 0.2;

/** The scenes probes derive from: the in-distribution scenes of the configured suites. */
export function baseScenes(suites: readonly LoadedSuite[]): { suite: LoadedSuite; scene: Scene }[] {
  return suites.flatMap((suite) => suite.scenes.filter((s) => s.split === 'in-distribution').map((scene) => ({ suite, scene })));
}

/**
 * A time limit as generous as the generator's (1.6× the planned path in pulses + 4), never below
 * the base scene's; null when the derived scene cannot be solved on its instructed side.
 */
export function timeLimitFor(scene: Scene, floor: number): number | null {
  const plan = planPath(scene, scene.robot.start, scene.goal, { clearance: PLAN_CLEARANCE, side: scene.instruction.side });
  if (!plan) return null;
  return Math.max(floor, Math.ceil((1.6 * plan.length) / STEP_LENGTH) + 4);
}

/**
 * Episodes for derived scenes: ids from (suite, version, derived id, seed, derived hash, probe),
 * like any episode, so they are fixed before anything runs and independent of batch and shard.
 */
export function deriveEpisodes(
  suites: readonly LoadedSuite[],
  episodesPerScene: number,
  probe: ProbeName,
  make: (scene: Scene, suite: LoadedSuite) => Scene | string,
): ProbeEpisodes {
  const out: ProbeEpisodes = { episodes: [], skipped: [] };
  for (const { suite, scene } of baseScenes(suites)) {
    const derived = make(scene, suite);
    if (typeof derived === 'string') {
      out.skipped.push({ sceneId: scene.id, reason: derived });
      continue;
    }
    const hash = derived === scene ? (suite.sceneHashes[scene.id] as string) : sha256(canonicalJson(derived));
    for (let seed = 0; seed < episodesPerScene; seed++) {
      out.episodes.push(makeEpisode(suite, derived, hash, seed, probe));
    }
  }
  return out;
}
