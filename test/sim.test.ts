import { describe, expect, it } from 'vitest';
import { SimWorld } from '../src/sim/world';
import { DEFAULT_PROFILE, makeProfile } from '../src/sim/profile';
import { NavEnv } from '../src/sim/env';
import { Scene } from '../src/scene/schema';
import { parseSuite } from '../src/scene/load';
import { smallSuite } from './helpers/suites';

const openRoom = Scene.parse({
  id: 'open',
  family: 'test',
  split: 'in-distribution',
  room: { min: [-1, -1.5], max: [3, 1.5] },
  robot: { start: { x: 0, y: 0, yaw: 0 } },
  obstacles: [{ id: 'box0', kind: 'box', size: [0.3, 0.5, 0.3], pose: { x: 1, y: 0, yaw: 0 } }],
  target: { kind: 'bottle', pose: { x: 2.5, y: 0 } },
  instruction: { text: 'go around on the left', side: 'left' },
  goal: { x: 2.2, y: 0, radius: 0.2 },
  timeLimit: 5,
});

describe('robot in Rapier', () => {
  it('pulse mode: direction only, fixed throttle ≈ speed × pulse, [0, 0] stays', async () => {
    const w = await SimWorld.create(openRoom, DEFAULT_PROFILE);
    w.applyAction([0, 0], 'pulse');
    expect(w.pose().x).toBe(0);
    w.applyAction([0.3, 0], 'pulse'); // magnitude ignored
    const x1 = w.pose().x;
    expect(x1).toBeGreaterThan(0.18);
    expect(x1).toBeLessThan(0.22);
    w.applyAction([1, 0], 'pulse');
    expect(w.pose().x - x1).toBeCloseTo(x1, 3);
    w.applyAction([0, 1], 'pulse'); // y is to the robot's left
    expect(w.pose().y).toBeGreaterThan(0.18);
    expect(w.pose().yaw).toBe(0);
    w.free();
  });

  it('robot-frame actions follow the heading', async () => {
    const scene = { ...openRoom, robot: { start: { x: 0, y: 0, yaw: Math.PI / 2 } } };
    const w = await SimWorld.create(scene, DEFAULT_PROFILE);
    w.applyAction([1, 0], 'pulse'); // forward = +y in the world when facing +y
    expect(w.pose().y).toBeGreaterThan(0.18);
    expect(Math.abs(w.pose().x)).toBeLessThan(1e-3);
    w.free();
  });

  it('velocity mode holds (vx, vy, wz) for one control period, speed-limited', async () => {
    const w = await SimWorld.create(openRoom, makeProfile({ accel: 1000 }));
    w.applyAction([0.2, 0, 0], 'velocity');
    expect(w.pose().x).toBeCloseTo(0.2 * 0.5, 2);
    w.applyAction([0, 0, 1], 'velocity');
    expect(w.pose().yaw).toBeCloseTo(0.5, 1);
    w.applyAction([10, 0], 'velocity');
    w.free();
  });

  it('detects and names contacts with boxes and walls', async () => {
    const w = await SimWorld.create(openRoom, DEFAULT_PROFILE);
    let hit: string[] = [];
    for (let i = 0; i < 6 && !hit.length; i++) hit = w.applyAction([1, 0], 'pulse').newContacts;
    expect(hit).toEqual(['box0']);
    // the box stops the robot: its front face is at 0.85, the robot radius 0.15
    expect(w.pose().x).toBeLessThan(0.71);
    const w2 = await SimWorld.create(openRoom, DEFAULT_PROFILE);
    let walls: string[] = [];
    for (let i = 0; i < 10 && !walls.length; i++) walls = w2.applyAction([-1, 0], 'pulse').newContacts;
    expect(walls).toEqual(['wall']);
    w.free();
    w2.free();
  });

  it('is deterministic: the same actions give bit-identical state hashes', async () => {
    const run = async () => {
      const w = await SimWorld.create(openRoom, DEFAULT_PROFILE);
      const hashes = [];
      for (const a of [[1, 0.3], [1, 0], [0.2, 1], [1, -1], [1, 0], [1, 0]]) {
        w.applyAction(a, 'pulse');
        hashes.push(w.stateHash());
      }
      w.free();
      return hashes;
    };
    expect(await run()).toEqual(await run());
  });
});

describe('Gymnasium-style env', () => {
  const suite = parseSuite({ schemaVersion: 1, suite: 'one', version: 1, scenes: [openRoom] }, 'one.json');

  it('reset({seed}) → obs; step → terminated on collision, truncated on the time limit', async () => {
    const env = new NavEnv(suite, 'open', { profile: DEFAULT_PROFILE, actionMode: 'pulse' });
    const { obs, info } = await env.reset({ seed: 0 });
    expect(obs.step).toBe(0);
    expect(obs.instruction).toBe('go around on the left');
    expect(info.episode.id).toMatch(/^[0-9a-f]{16}$/);
    let r;
    for (let i = 0; i < 5; i++) {
      r = await env.step([1, 0]);
      if (r.terminated || r.truncated) break;
    }
    expect(r!.terminated).toBe(true);
    expect(r!.truncated).toBe(false);
    expect(r!.info.outcome).toBe('collision');
    expect(r!.obs).toBeUndefined();

    await env.reset({ seed: 1 });
    for (let i = 0; i < 5; i++) r = await env.step([0, 0]);
    expect(r!.truncated).toBe(true);
    expect(r!.terminated).toBe(false);
    expect(r!.info.outcome).toBe('timeout');
    env.close();
  });

  it('collisions can be counted without ending the episode', async () => {
    const env = new NavEnv(suite, 'open', { profile: DEFAULT_PROFILE, actionMode: 'pulse', endOnCollision: false });
    await env.reset({ seed: 0 });
    let r;
    for (let i = 0; i < 5; i++) r = await env.step([1, 0]);
    expect(r!.truncated).toBe(true);
    expect(env.trace().events.filter((e) => e.type === 'collision').length).toBeGreaterThanOrEqual(1);
    env.close();
  });

  it('same seed → same start; different seed → different start jitter', async () => {
    const env = new NavEnv(smallSuite(), '1box_hori_left', { profile: DEFAULT_PROFILE, actionMode: 'pulse' });
    const a = (await env.reset({ seed: 3 })).obs.state.pose;
    const b = (await env.reset({ seed: 3 })).obs.state.pose;
    const c = (await env.reset({ seed: 4 })).obs.state.pose;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    env.close();
  });
});
