/**
 * Saves docs/img/sample-onboard.png and docs/img/sample-topdown.png: a 1-box scene with a bottle,
 * the robot at its start facing the target.
 * Usage: npx tsx scripts/render-sample.ts [outDir] [--measure] [--pages N] [--msaa N] (default: the renderer's, 0)
 * --measure also prints ms per frame for batches of 1/8/32 cameras at the profile's size, render
 * only and render + readback + transfer to Node.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Scene } from '../src/scene/schema';
import { DEFAULT_PROFILE } from '../src/sim/profile';
import { ChromiumRenderer, sceneKeyOf } from '../src/render/chromium-renderer';
import { writePng } from '../src/image/png';
import { measureRenderCost } from '../src/render/measure';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const measure = args.includes('--measure');
const outDir = args[0] && !args[0].startsWith('--') ? args[0] : 'docs/img';

const scene = Scene.parse({
  id: 'sample_1box',
  family: '1box_hori',
  split: 'in-distribution',
  room: { min: [-0.5, -1.2], max: [2.6, 1.2] },
  robot: { start: { x: 0, y: 0, yaw: 0 } },
  obstacles: [{ id: 'box1', kind: 'box', size: [0.3, 0.4, 0.25], pose: { x: 0.8, y: -0.1, yaw: 0 } }],
  target: { kind: 'bottle', pose: { x: 1.6, y: 0.4, yaw: 0 } },
  instruction: { text: 'Navigate around obstacles and reach the front of the beverage bottle on the left', side: 'left' },
  goal: { x: 1.4, y: 0.4, radius: 0.15 },
  timeLimit: 17,
});

const r = await ChromiumRenderer.launch({ pages: Number(flag('--pages') ?? 1), msaa: flag('--msaa') === undefined ? undefined : Number(flag('--msaa')) });
try {
  const key = sceneKeyOf(scene);
  const { x, y } = scene.robot.start;
  // Facing the target, as the lab's episodes start.
  const yaw = Math.atan2(scene.target.pose.y - y, scene.target.pose.x - x);
  const pose = { x, y, yaw, qz: Math.sin(yaw / 2), qw: Math.cos(yaw / 2) };
  const [onboard] = await r.render([{ scene, sceneKey: key, pose, profile: DEFAULT_PROFILE }]);
  writePng(join(outDir, 'sample-onboard.png'), onboard!);
  // A plausible route around the box on the left, ending in front of the bottle.
  const path = [
    { x: 0, y: 0 },
    { x: 0.35, y: 0.2 },
    { x: 0.65, y: 0.38 },
    { x: 0.95, y: 0.42 },
    { x: 1.2, y: 0.4 },
    { x: 1.4, y: 0.4 },
  ];

  const top = await r.topDown(scene, path, { sceneKey: key, contacts: [{ x: 0.72, y: 0.3 }] });
  writePng(join(outDir, 'sample-topdown.png'), top);
  console.log(JSON.stringify(r.describe()));
  if (measure) {
    console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on this machine inflates these)`);
    for (const n of [1, 8, 32]) {
      // Distinct poses so nothing can be cached between cameras.
      const reqs = Array.from({ length: n }, (_, i) => ({ scene, sceneKey: key, pose: { ...pose, x: 0.01 * i }, profile: DEFAULT_PROFILE }));
      const a = await measureRenderCost(r, reqs, { transfer: false, repeats: 7 });
      const b = await measureRenderCost(r, reqs, { transfer: true, repeats: 7 });
      console.log(`batch ${String(n).padStart(2)}: render only ${a.msPerFrame.toFixed(2)} ms/frame; render+readback+transfer ${b.msPerFrame.toFixed(2)} ms/frame`);
    }
  }
} finally {
  await r.close();
}
