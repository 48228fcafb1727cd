/**
 * What every renderer must draw (per-pixel sanity of known scenes), shared by the Chromium and the
 * WebGPU render tests: a red bottle ahead sits mid-image, one on the robot's left sits left, the
 * top-down view follows the path.
 */
import { expect, it } from 'vitest';
import { Scene } from '../../src/scene/schema';
import { DEFAULT_PROFILE, namedProfile, type RobotProfile } from '../../src/sim/profile';
import { loadSuite } from '../../src/scene/load';
import type { RobotPose } from '../../src/sim/world';
import { sceneKeyOf } from '../../src/render/scene-key';
import type { ViewRenderer } from '../../src/render/launch';
import type { CameraRequest } from '../../src/sim/camera';
import type { Frame } from '../../src/image/frame';

// A pure-red bottle 1.5 m ahead of the robot, a box off to the right so the view is not empty.
export function makeScene(targetY = 0): Scene {
  return Scene.parse({
    id: 'render_test',
    family: 'test',
    split: 'in-distribution',
    room: { min: [-1, -1.5], max: [3, 1.5] },
    robot: { start: { x: 0, y: 0, yaw: 0 } },
    obstacles: [{ id: 'b', kind: 'box', size: [0.3, 0.3, 0.3], pose: { x: 1.2, y: -0.9, yaw: 0.3 } }],
    target: { kind: 'bottle', pose: { x: 1.5, y: targetY, yaw: 0 }, colour: '#ff0000' },
    instruction: { text: 'go to the bottle', side: 'left' },
    goal: { x: 1.25, y: targetY, radius: 0.2 },
    timeLimit: 17,
  });
}

export const pose = (x: number, y: number, yaw: number): RobotPose => ({ x, y, yaw, qz: Math.sin(yaw / 2), qw: Math.cos(yaw / 2) });
export const req = (scene: Scene, p: RobotPose): CameraRequest => ({ scene, sceneKey: sceneKeyOf(scene), pose: p, profile: DEFAULT_PROFILE });

/** Pixels that are clearly the red bottle (lit or shaded), and their mean column. */
export function redStats(f: Frame): { count: number; meanX: number } {
  let count = 0;
  let sx = 0;
  for (let i = 0, p = 0; i < f.data.length; i += 3, p++) {
    const r = f.data[i]!, g = f.data[i + 1]!, b = f.data[i + 2]!;
    if (r > 90 && r > 2.2 * g && r > 2.2 * b) {
      count++;
      sx += p % f.width;
    }
  }
  return { count, meanX: count ? sx / count : NaN };
}

export function sameBytes(a: Frame, b: Frame): boolean {
  return a.width === b.width && a.height === b.height && Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0;
}

/** The sanity tests, for the renderer `get()` returns (launched by the caller's beforeAll). */
export function pictureSanity(get: () => ViewRenderer, onFacing?: (f: Frame) => void): void {
  const scene = makeScene();
  it('sees the red target ahead in the middle of the image, and not when turned away', async () => {
    const [ahead, away] = await get().render([req(scene, pose(0, 0, 0)), req(scene, pose(0, 0, Math.PI))]);
    onFacing?.(ahead!);
    expect(ahead!.width).toBe(224);
    expect(ahead!.height).toBe(224);
    expect(ahead!.data.length).toBe(224 * 224 * 3);
    const a = redStats(ahead!);
    expect(a.count).toBeGreaterThan(80);
    expect(a.meanX).toBeGreaterThan(224 * 0.4);
    expect(a.meanX).toBeLessThan(224 * 0.6);
    expect(redStats(away!).count).toBe(0);
  });

  it('puts a target on the robot\'s left (+y) in the left half of the image', async () => {
    const left = makeScene(0.6);
    const [f] = await get().render([req(left, pose(0, 0, 0))]);
    const s = redStats(f!);
    expect(s.count).toBeGreaterThan(50);
    expect(s.meanX).toBeLessThan(224 * 0.4);
  });

  it('top-down view changes with the path', async () => {
    const a = await get().topDown(scene, [{ x: 0, y: 0 }, { x: 0.6, y: 0.5 }, { x: 1.2, y: 0 }]);
    const b = await get().topDown(scene, [{ x: 0, y: 0 }, { x: 0.6, y: -0.5 }, { x: 1.2, y: 0 }]);
    const c = await get().topDown(scene, [{ x: 0, y: 0 }, { x: 0.6, y: 0.5 }, { x: 1.2, y: 0 }]);
    expect(a.width).toBe(320);
    expect(a.data.length).toBe(320 * 320 * 3);
    expect(sameBytes(a, b)).toBe(false);
    expect(sameBytes(a, c)).toBe(true);
  });

}

/**
 * Sample frames over the shipped suites: the first scenes of lab-basket-v1 (held-action robot,
 * 16:9 lens) and of nav-id-v2 / nav-novel-v2 (pulse robot), at their start poses and a step in.
 */
export function sampleRequests(): CameraRequest[] {
  const out: CameraRequest[] = [];
  const add = (file: string, n: number, profile: RobotProfile) => {
    const suite = loadSuite(file);
    for (const scene of suite.scenes.slice(0, n)) {
      const s = scene.robot.start;
      for (const [dx, dyaw] of [[0, 0], [0.3, 0.15]] as const) {
        const yaw = s.yaw + dyaw;
        out.push({ scene, sceneKey: sceneKeyOf(scene), pose: { x: s.x + dx * Math.cos(s.yaw), y: s.y + dx * Math.sin(s.yaw), yaw, qz: Math.sin(yaw / 2), qw: Math.cos(yaw / 2) }, profile, noiseSeed: 7 });
      }
    }
  };
  add('scenes/lab-basket-v1.json', 3, namedProfile('v6-held'));
  add('scenes/nav-id-v2.json', 3, DEFAULT_PROFILE);
  add('scenes/nav-novel-v2.json', 3, DEFAULT_PROFILE);
  return out;
}

/** Mean and max absolute difference per channel value, and the share of values off by more than 32. */
export function frameDiff(a: Frame, b: Frame): { mean: number; max: number; over32: number } {
  let sum = 0;
  let max = 0;
  let over = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    sum += d;
    if (d > max) max = d;
    if (d > 32) over++;
  }
  return { mean: sum / a.data.length, max, over32: over / a.data.length };
}
