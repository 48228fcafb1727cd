import { describe, expect, it } from 'vitest';
import { isStop, SimWorld } from '../src/sim/world';
import { DEFAULT_PROFILE, makeProfile, namedProfile } from '../src/sim/profile';
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
  timeLimit: 8,
});

describe('robot in Rapier', () => {
  it('pulse mode: direction only, fixed throttle: one pulse ≈ 12–13 cm as the lab measured, [0, 0] stays', async () => {
    const w = await SimWorld.create(openRoom, DEFAULT_PROFILE);
    w.applyAction([0, 0], 'pulse');
    expect(w.pose().x).toBe(0);
    w.applyAction([0.3, 0], 'pulse'); // magnitude ignored
    const x1 = w.pose().x;
    expect(x1).toBeGreaterThan(0.12);
    expect(x1).toBeLessThan(0.13);
    w.applyAction([1, 0], 'pulse');
    expect(w.pose().x - x1).toBeCloseTo(x1, 3);
    w.applyAction([0, 1], 'pulse'); // y is to the robot's left
    expect(w.pose().y).toBeGreaterThan(0.12);
    expect(w.pose().yaw).toBe(0);
    w.free();
  });

  it('robot-frame actions follow the heading', async () => {
    const scene = { ...openRoom, robot: { start: { x: 0, y: 0, yaw: Math.PI / 2 } } };
    const w = await SimWorld.create(scene, DEFAULT_PROFILE);
    w.applyAction([1, 0], 'pulse'); // forward = +y in the world when facing +y
    expect(w.pose().y).toBeGreaterThan(0.12);
    expect(Math.abs(w.pose().x)).toBeLessThan(1e-3);
    w.free();
  });

  it('velocity mode holds (vx, vy, wz) for one control period, speed-limited', async () => {
    const p = makeProfile({ accel: 1000 });
    const w = await SimWorld.create(openRoom, p);
    w.applyAction([0.2, 0, 0], 'velocity');
    expect(w.pose().x).toBeCloseTo(0.2 * p.controlPeriodSeconds, 2);
    w.applyAction([0, 0, 1], 'velocity');
    expect(w.pose().yaw).toBeCloseTo(1 * p.controlPeriodSeconds, 1);
    w.applyAction([10, 0], 'velocity');
    w.free();
  });

  it('detects and names contacts with boxes and walls', async () => {
    const w = await SimWorld.create(openRoom, DEFAULT_PROFILE);
    let hit: string[] = [];
    for (let i = 0; i < 10 && !hit.length; i++) hit = w.applyAction([1, 0], 'pulse').newContacts;
    expect(hit).toEqual(['box0']);
    // the box stops the robot: its front face is at 0.85, the robot radius 0.15
    expect(w.pose().x).toBeLessThan(0.71);
    const w2 = await SimWorld.create(openRoom, DEFAULT_PROFILE);
    let walls: string[] = [];
    for (let i = 0; i < 14 && !walls.length; i++) walls = w2.applyAction([-1, 0], 'pulse').newContacts;
    expect(walls).toEqual(['wall']);
    w.free();
    w2.free();
  });

  it('components below the deadband (0.1) are ignored; an all-small action is STOP', async () => {
    const w = await SimWorld.create(openRoom, DEFAULT_PROFILE);
    w.applyAction([0.05, 0, 0], 'pulse');
    expect(w.pose().x).toBe(0);
    w.applyAction([1, 0.05, 0.05], 'pulse'); // the small lateral and spin parts are dropped: straight ahead
    expect(w.pose().y).toBeCloseTo(0, 9);
    expect(w.pose().yaw).toBe(0);
    expect(isStop([0.05, -0.09, 0.02], DEFAULT_PROFILE)).toBe(true);
    expect(isStop([0, 0, 0.2], DEFAULT_PROFILE)).toBe(false);
    w.free();
  });

  it('a pure angular_z action spins in place by the profile rate, by its sign only', async () => {
    const p = DEFAULT_PROFILE;
    const w = await SimWorld.create(openRoom, p);
    w.applyAction([0, 0, 0.3], 'pulse');
    expect(w.pose().yaw).toBeCloseTo(p.spinRate * p.pulseSeconds, 2);
    expect(Math.hypot(w.pose().x, w.pose().y)).toBeLessThan(1e-6);
    w.applyAction([0, 0, -1], 'pulse');
    expect(w.pose().yaw).toBeCloseTo(0, 2);
    // A translation wins over a spin: the base takes one command at a time.
    w.applyAction([1, 0, 1], 'pulse');
    expect(w.pose().yaw).toBeCloseTo(0, 2);
    expect(w.pose().x).toBeGreaterThan(0.12);
    w.free();
  });

  it('motor drift bends a straight run by the configured angle', async () => {
    const room = { ...openRoom, obstacles: [] };
    for (const drift of [4, -3]) {
      const w = await SimWorld.create(room, makeProfile({ driftDeg: drift }));
      for (let i = 0; i < 8; i++) w.applyAction([1, 0, 0], 'pulse');
      const { x, y, yaw } = w.pose();
      expect((Math.atan2(y, x) * 180) / Math.PI).toBeCloseTo(drift, 3);
      expect(Math.hypot(x, y)).toBeGreaterThan(0.95);
      expect(yaw).toBe(0); // it veers, it does not turn
      w.free();
    }
  });

  it('held mode at 6 Hz: one tick moves speed / 6 once moving, keeps moving between ticks; pulse mode moves one pulse per step', async () => {
    const room = { ...openRoom, obstacles: [] };
    const held = namedProfile('v6-held');
    expect(held.control).toMatchObject({ mode: 'held', rateHz: 6 });
    const w = await SimWorld.create(room, held);
    w.applyAction([1, 0, 0], 'pulse');
    const first = w.pose().x; // includes the ramp from rest
    expect(first).toBeLessThan(held.speed / 6);
    w.applyAction([1, 0, 0], 'pulse');
    const second = w.pose().x - first;
    expect(second).toBeCloseTo(held.speed / 6, 3); // ≈ 5.2 cm at full speed, no stop between ticks
    w.applyAction([0, 0, 0], 'pulse'); // STOP brakes within the tick
    const third = w.pose().x - first - second;
    expect(third).toBeLessThan(0.02);
    w.free();
    const seed = await SimWorld.create(room, namedProfile('seed-pulse'));
    seed.applyAction([1, 0, 0], 'pulse');
    seed.applyAction([1, 0, 0], 'pulse');
    expect(seed.pose().x / 2).toBeCloseTo(DEFAULT_PROFILE.speed * DEFAULT_PROFILE.pulseSeconds, 2); // 12.5 cm per step
    seed.free();
  });

  it('is deterministic: the same actions give bit-identical state hashes', async () => {
    const run = async () => {
      const w = await SimWorld.create(openRoom, makeProfile({ driftDeg: 2 }));
      const hashes = [];
      for (const a of [[1, 0.3], [1, 0], [0.2, 1], [0, 0, 1], [1, -1, 0], [1, 0], [1, 0]]) {
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
    for (let i = 0; i < 8; i++) {
      r = await env.step([1, 0]);
      if (r.terminated || r.truncated) break;
    }
    expect(r!.terminated).toBe(true);
    expect(r!.truncated).toBe(false);
    expect(r!.info.outcome).toBe('collision');
    expect(r!.obs).toBeUndefined();

    await env.reset({ seed: 1 });
    for (let i = 0; i < 8; i++) r = await env.step([0, 0]);
    expect(r!.truncated).toBe(true);
    expect(r!.terminated).toBe(false);
    expect(r!.info.outcome).toBe('timeout');
    env.close();
  });

  it('collisions can be counted without ending the episode', async () => {
    const env = new NavEnv(suite, 'open', { profile: DEFAULT_PROFILE, actionMode: 'pulse', endOnCollision: false });
    await env.reset({ seed: 0 });
    let r;
    for (let i = 0; i < 8; i++) r = await env.step([1, 0]);
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
