/** A small stop-task suite on the deployed robot (v6-held): a gray basket at three positions. */
import { parseSuite, type LoadedSuite } from '../../src/scene/load';
import type { SceneInput } from '../../src/scene/schema';

const BASKET = { kind: 'basket' as const, size: [0.36, 0.5, 0.3] as [number, number, number] };

/** Goal: the middle of the band (0.45 m) in front of the basket's near face, for a 0.15 m robot. */
function scene(id: string, family: string, bx: number, by: number, yaw = 0): SceneInput {
  return {
    id,
    family,
    split: 'in-distribution',
    room: { min: [-1, -2.5], max: [4, 2.5] },
    robot: { start: { x: 0, y: 0, yaw } },
    obstacles: [],
    target: { ...BASKET, pose: { x: bx, y: by, yaw: 0 } },
    instruction: { text: 'gray basket', side: by > 0 ? 'left' : 'right' },
    goal: { x: bx - 0.18 - 0.45 - 0.15, y: by, radius: 0.05 },
    task: { rule: 'stop' },
    timeLimit: 60,
  };
}

export const BASKET_SUITE_INPUT = {
  schemaVersion: 1,
  suite: 'basket-server-test',
  version: 1,
  profile: 'v6-held',
  scenes: [scene('center', 'center', 1.25, 0), scene('left', 'weak_left', 1.2, 0.35), scene('right', 'weak_right', 1.25, -0.3, 0.2)],
};

export function basketSuite(): LoadedSuite {
  return parseSuite(JSON.parse(JSON.stringify(BASKET_SUITE_INPUT)), 'basket-server-test.json');
}
