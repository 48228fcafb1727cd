/**
 * Saves docs/img/basket-*.png: the deployed task's targets as the v6-held camera sees them (a 16:9
 * lens squashed to 224², as the lab's clients resize the CSI frame): the gray laundry basket from
 * far, off to one side and at the 40–50 cm stop; the chair and the cooking pot targets; a person
 * standing beside the basket as a negative. Usage: npx tsx scripts/render-basket-samples.ts [outDir]
 */
import { join } from 'node:path';
import { Scene, type SceneInput } from '../src/scene/schema';
import { namedProfile } from '../src/sim/profile';
import { ChromiumRenderer, sceneKeyOf } from '../src/render/chromium-renderer';
import { writePng } from '../src/image/png';

const outDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'docs/img';
const profile = namedProfile('v6-held');

/**
 * Sizes and colours as the lab-basket suites give them (src/scene/basket.ts): a rectangular gray
 * laundry basket 36 cm deep, 50 cm wide, 30 cm high, long side to the robot; a dining chair; a red
 * stock pot.
 */
const BASKET = { kind: 'basket' as const, pose: { x: 2.4, y: 0, yaw: 0 }, size: [0.36, 0.5, 0.3] as [number, number, number], colour: '#a4a6a8' };
const CHAIR = { kind: 'chair' as const, pose: { x: 2.6, y: 0.2, yaw: 0.4 }, size: [0.5, 0.45, 0.85] as [number, number, number], colour: '#6b4a2f' };
const POT = { kind: 'pot' as const, pose: { x: 1.2, y: 0, yaw: 0 }, size: [0.26, 0.26, 0.18] as [number, number, number], colour: '#b03a2e' };

function scene(id: string, target: SceneInput['target'], extra: Partial<SceneInput> = {}): Scene {
  return Scene.parse({
    id,
    family: 'sample',
    split: 'in-distribution',
    room: { min: [-0.5, -1.6], max: [3.4, 1.6] },
    robot: { start: { x: 0, y: 0, yaw: 0 } },
    obstacles: [],
    target,
    instruction: { text: 'Go to the gray laundry basket and stop in front of it', side: 'left' },
    goal: { x: target.pose.x - 0.7, y: target.pose.y, radius: 0.1 },
    timeLimit: 60,
    ...extra,
  } satisfies SceneInput);
}

/** Robot at (x, y) looking at the point (lx, ly). */
function looking(x: number, y: number, lx: number, ly: number) {
  const yaw = Math.atan2(ly - y, lx - x);
  return { x, y, yaw, qz: Math.sin(yaw / 2), qw: Math.cos(yaw / 2) };
}

// The stop: robot footprint (radius 0.15) 45 cm from the basket's front face (half depth 0.19).
const stopX = BASKET.pose.x - BASKET.size[0] / 2 - 0.45 - profile.radius;
const basket = scene('sample_basket', BASKET);
const shots: { file: string; scene: Scene; pose: ReturnType<typeof looking> }[] = [
  { file: 'basket-far.png', scene: basket, pose: looking(0, 0, BASKET.pose.x, 0) },
  { file: 'basket-side.png', scene: basket, pose: looking(0.9, 0.7, 1.6, 0.7) },
  { file: 'basket-stop.png', scene: basket, pose: looking(stopX, 0, BASKET.pose.x, 0) },
  { file: 'basket-chair.png', scene: scene('sample_chair', CHAIR), pose: looking(0, 0, 2.6, 0.2) },
  { file: 'basket-pot.png', scene: scene('sample_pot', POT), pose: looking(0, 0, 1.2, 0) },
  {
    file: 'basket-person-negative.png',
    scene: scene('sample_person', { ...BASKET, pose: { x: 2.4, y: -0.35, yaw: 0 } }, {
      distractors: [{ kind: 'person', pose: { x: 3.1, y: 0.6, yaw: 0 }, colour: '#3a6ea5', negative: true }],
    }),
    pose: looking(0, 0, 2.6, 0.15),
  },
];

const r = await ChromiumRenderer.launch({});
try {
  const frames = await r.render(shots.map((s) => ({ scene: s.scene, sceneKey: sceneKeyOf(s.scene), pose: s.pose, profile })));
  shots.forEach((s, i) => writePng(join(outDir, s.file), frames[i]!));
  console.log(`wrote ${shots.map((s) => s.file).join(', ')} to ${outDir}`);
} finally {
  await r.close();
}
