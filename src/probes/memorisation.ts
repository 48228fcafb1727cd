import { checkSceneGeometry } from '../scene/geometry';
import type { Scene } from '../scene/schema';
import { seedFrom } from '../util/hash';
import { Rng } from '../util/rng';
import { deriveEpisodes, timeLimitFor } from './derive';
import type { Probe } from './types';

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * The same layout with the start moved 0.2–0.4 m sideways and 0.2–0.4 m back, and the target
 * (with its goal and the far wall) 0.2–0.4 m further away; drawn from the scene's hash so the
 * probe is the same on every run. The instruction is unchanged.
 */
export function shiftScene(scene: Scene, sceneHash: string): Scene | string {
  const rng = new Rng(seedFrom('memorisation', sceneHash));
  for (let attempt = 0; attempt < 10; attempt++) {
    const lateral = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.2, 0.4);
    const back = rng.uniform(0.2, 0.4);
    const further = rng.uniform(0.2, 0.4);
    const s = scene.robot.start;
    const shifted: Scene = {
      ...scene,
      id: `${scene.id}${memorisation.sceneSuffix}`,
      // Room grows backwards and forwards with the shifts so walls keep their clearances.
      room: { ...scene.room, min: [r4(scene.room.min[0] - back), scene.room.min[1]], max: [r4(scene.room.max[0] + further), scene.room.max[1]] },
      robot: { start: { x: r4(s.x - back), y: r4(s.y + lateral), yaw: s.yaw } },
      target: { ...scene.target, pose: { ...scene.target.pose, x: r4(scene.target.pose.x + further) } },
      goal: { ...scene.goal, x: r4(scene.goal.x + further) },
    };
    if (checkSceneGeometry(shifted)) continue;
    const limit = timeLimitFor(shifted, scene.timeLimit);
    if (limit === null) continue;
    return { ...shifted, timeLimit: limit };
  }
  return 'no solvable shifted layout in 10 draws';
}

/**
 * Catches a policy that memorised its actions by frame index: the scene reads the same but the
 * distances differ, so a fixed per-frame action sequence misses the goal while a policy that
 * looks where it is going does not.
 */
export const memorisation: Probe = {
  name: 'memorisation',
  doc: 'in-distribution layouts with the start shifted 0.2–0.4 m sideways and back, the target 0.2–0.4 m further',
  imageOnly: false,
  sceneSuffix: '.shift',
  derive: (suites, k) => deriveEpisodes(suites, k, 'memorisation', (scene, suite) => shiftScene(scene, suite.sceneHashes[scene.id] as string)),
};
