import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSuite, parseSuite, type LoadedSuite } from '../src/scene/load';
import { distanceToFootprint, feasibleGoal, planPath, ROBOT_RADIUS, sceneProblem, stopPoint, targetFootprint } from '../src/scene/geometry';
import { Scene, taskOf, type SceneInput } from '../src/scene/schema';
import { cxFrom } from '../src/scene/basket';
import { DEFAULT_PROFILE, horizontalFov, namedProfile } from '../src/sim/profile';
import { ConfigError } from '../src/util/errors';
import type { V2 } from '../src/util/vec2';
import { tempDir, writeSuite } from './helpers/suites';

/** A hand-written scene: the robot at the origin facing +x, a target 1.8 m ahead. */
function scene(over: Partial<SceneInput> = {}): SceneInput {
  return {
    id: 'hand',
    family: 'hand',
    split: 'in-distribution',
    room: { min: [-0.6, -1.4], max: [2.6, 1.4] },
    robot: { start: { x: 0, y: 0, yaw: 0 } },
    obstacles: [],
    target: { kind: 'basket', pose: { x: 1.8, y: 0, yaw: 0 } },
    instruction: { text: 'reach the front of the basket on the left', side: 'left' },
    goal: { x: 1.3, y: 0, radius: 0.2 },
    timeLimit: 40,
    ...over,
  };
}
const box = (id: string, x: number, y: number, sx: number, sy: number) => ({ id, kind: 'box' as const, size: [sx, sy, 0.3] as [number, number, number], pose: { x, y, yaw: 0 } });
const suiteOf = (...scenes: SceneInput[]) => ({ schemaVersion: 1, suite: 'hand', version: 1, scenes });
const parse = (s: SceneInput) => Scene.parse(s);
const refusal = (s: SceneInput): ConfigError => {
  try {
    parseSuite(suiteOf(s), 'scenes/hand.json');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('accepted');
};

describe('the validator refuses impossible scenes, naming the file, the field and why', () => {
  it('a goal 0.30 m in front of a basket: the robot cannot get there (today the oracle drove through the basket)', () => {
    const e = refusal(scene({ goal: { x: 1.5, y: 0, radius: 0.2 } }));
    expect(e.message).toBe("scenes/hand.json: scenes[0].goal: 0.14 m from the target (basket), closer than the robot's radius 0.15 m: the robot's centre cannot get there");
    expect(e.hint).toBe("Move the goal ≥ 0.21 m from the target (basket)'s edge, e.g. to x = 1.43, y = 0.00.");
    // The same with the lab's rectangular basket (0.36 m deep): 0.12 m from its front.
    const e2 = refusal(scene({ target: { kind: 'basket', pose: { x: 1.8, y: 0, yaw: 0 }, size: [0.36, 0.5, 0.3] }, goal: { x: 1.5, y: 0, radius: 0.2 } }));
    expect(e2.message).toMatch(/scenes\[0\]\.goal: 0\.12 m from the target \(basket\), closer than the robot's radius 0\.15 m/);
    expect(e2.hint).toMatch(/x = 1\.41, y = 0\.00/);
  });

  it('a goal 0.30 m in front of a pot is feasible: the oracle gets a point of the goal disc it can reach, never through the pot', () => {
    const s = parse(scene({ target: { kind: 'pot', pose: { x: 1.8, y: 0, yaw: 0 } }, goal: { x: 1.5, y: 0, radius: 0.2 } }));
    expect(sceneProblem(s)).toBeNull();
    const g = feasibleGoal(s)!;
    expect(Math.hypot(g.point.x - 1.5, g.point.y)).toBeLessThanOrEqual(0.2);
    // The goal's centre is 0.17 m from the pot: inside the oracle's 0.21 m clearance, so the point moves back.
    expect(distanceToFootprint(g.point, targetFootprint(s.target))).toBeGreaterThanOrEqual(g.clearance - 1e-9);
    expect(g.clearance).toBeCloseTo(ROBOT_RADIUS + 0.06, 9);
    expect(clearOfTarget(s, g.plan.path)).toBe(true);
  });

  it('an obstacle over the robot start', () => {
    const e = refusal(scene({ obstacles: [box('box0', 0.1, 0, 0.3, 0.3)] }));
    expect(e.message).toBe(`scenes/hand.json: scenes[0].robot.start: box "box0" is 0.00 m from the robot's centre: it covers the robot's start footprint (radius 0.15 m)`);
    expect(e.hint).toMatch(/≥ 0\.17 m/);
    // Just outside the footprint but too close to move off it.
    expect(refusal(scene({ obstacles: [box('box0', 0.31, 0, 0.3, 0.3)] })).message).toMatch(/robot\.start: box "box0" is 0\.16 m .*less than 0\.02 m to move off it/);
  });

  it('a goal inside a box, or inside the target', () => {
    const e = refusal(scene({ obstacles: [box('box0', 1.3, 0, 0.3, 0.4)] }));
    expect(e.message).toBe(`scenes/hand.json: scenes[0].goal: inside box "box0": the robot's centre cannot get there`);
    expect(e.hint).toMatch(/Move the goal ≥ 0\.21 m from box "box0"'s edge, e\.g\. to x = 0\.94, y = 0\.00/);
    expect(refusal(scene({ goal: { x: 1.8, y: 0, radius: 0.2 } })).message).toMatch(/goal: inside the target \(basket\)/);
  });

  it('a box overlapping the target', () => {
    const e = refusal(scene({ obstacles: [box('box0', 1.95, 0.1, 0.3, 0.3)] }));
    expect(e.message).toBe(`scenes/hand.json: scenes[0].obstacles[0]: box "box0" overlaps the target's footprint`);
    // Rectangles too (the lab's basket has a size).
    const e2 = refusal(scene({ target: { kind: 'basket', pose: { x: 1.8, y: 0, yaw: 0.3 }, size: [0.36, 0.5, 0.3] }, obstacles: [box('box0', 1.85, 0.38, 0.3, 0.3)] }));
    expect(e2.message).toMatch(/obstacles\[0\]: box "box0" overlaps the target's footprint/);
  });

  it('a goal no path reaches on the instructed side', () => {
    // A box from the line to the left wall: "left" cannot be taken (the right one could).
    const s = scene({ obstacles: [box('box0', 0.8, 0.69, 0.3, 1.38)], goal: { x: 1.3, y: 0, radius: 0.2 } });
    const e = refusal(s);
    expect(e.message).toBe(
      'scenes/hand.json: scenes[0].goal: unreachable: no path keeps the robot (radius 0.15 m) 0.02 m clear of boxes, the target and walls passing the boxes on the left and ends within 0.20 m of (1.30, 0.00)',
    );
    expect(e.hint).toMatch(/Widen the gap on the left/);
    expect(sceneProblem(parse({ ...s, instruction: { text: 'right', side: 'right' } }))).toBeNull();
  });

  it('a stop band no robot can reach, and a band upside down', () => {
    const walled = scene({
      room: { min: [-0.6, -0.5], max: [2.1, 0.5] },
      target: { kind: 'basket', pose: { x: 1.8, y: 0, yaw: 0 }, size: [0.36, 0.5, 0.3] },
      obstacles: [box('box0', 1.2, 0, 0.1, 0.98)],
      goal: { x: 0.6, y: 0, radius: 0.05 },
      task: { rule: 'stop', band: { min: 0.4, max: 0.5 }, centralCx: 0.35 },
    });
    const e = refusal(walled);
    expect(e.message).toBe(
      "scenes/hand.json: scenes[0].task.band: no point 0.40–0.50 m from the target (footprint to footprint) is reachable: the robot (radius 0.15 m) cannot get there keeping 0.02 m from boxes, the target and walls",
    );
    expect(e.hint).toBe('Leave room around the target: ≥ 0.82 m of free floor in front of it, on the instructed side.');
    const flipped = scene({ task: { rule: 'stop', band: { min: 0.5, max: 0.4 }, centralCx: 0.35 }, goal: { x: 1.04, y: 0, radius: 0.05 } });
    expect(refusal(flipped).message).toMatch(/task\.band: min 0\.50 m is greater than max 0\.40 m/);
  });

  it('CLI: `simgate scenes` exits 2 naming the file, the scene and the field', () => {
    const dir = tempDir();
    const file = writeSuite(dir, suiteOf(scene({ goal: { x: 1.5, y: 0, radius: 0.2 } })) as never, 'too-close.json');
    const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'scenes', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('too-close.json: scenes[0].goal: 0.14 m from the target (basket)');
    expect(r.stderr).toContain('Move the goal ≥ 0.21 m');
  });
});

describe('feasibleGoal / stopPoint: what the oracle drives to', () => {
  it('uses the default profile radius', () => {
    expect(ROBOT_RADIUS).toBe(DEFAULT_PROFILE.radius);
  });

  it('a stop scene: mid-band straight in front of the target, facing it (bearing 0), reachable', () => {
    const s = parse(scene({ target: { kind: 'basket', pose: { x: 1.8, y: 0.4, yaw: 0 }, size: [0.36, 0.5, 0.3] }, goal: { x: 1.02, y: 0.4, radius: 0.05 }, task: { rule: 'stop', band: { min: 0.4, max: 0.5 }, centralCx: 0.35 } }));
    const g = stopPoint(s)!;
    expect(g.point.x).toBeCloseTo(1.8 - 0.18 - 0.45 - 0.15, 6);
    expect(g.point.y).toBeCloseTo(0.4, 6);
    expect(g.yaw).toBeCloseTo(0, 6);
    expect(cxFrom({ ...g.point, yaw: g.yaw }, s.target.pose)).toBeCloseTo(0.5, 9);
    expect(feasibleGoal(s)).toEqual(g);
    // A box over the band straight in front (the goal, further back, only names the front): the
    // point moves round to where the band is free.
    const blocked = parse({ ...s, goal: { x: 0.4, y: 0.4, radius: 0.05 }, obstacles: [box('box0', 1.0, 0.4, 0.3, 0.6)] } as SceneInput);
    expect(sceneProblem(blocked)).toBeNull();
    const b = stopPoint(blocked)!;
    const gap = distanceToFootprint(b.point, targetFootprint(blocked.target)) - ROBOT_RADIUS;
    expect(gap).toBeGreaterThanOrEqual(0.4);
    expect(gap).toBeLessThanOrEqual(0.5);
    expect(clearOfTarget(blocked, b.plan.path)).toBe(true);
  });

  it('on the v1 suites it is the goal itself, with the oracle margin', () => {
    for (const f of ['scenes/nav-id-v1.json', 'scenes/nav-novel-v1.json'])
      for (const s of loadSuite(f).scenes) {
        const g = feasibleGoal(s)!;
        expect(g.point).toEqual({ x: s.goal.x, y: s.goal.y });
        expect(g.clearance).toBeCloseTo(0.21, 9);
      }
  });
});

/** Every committed suite. */
const committed = readdirSync('scenes')
  .filter((f) => f.endsWith('.json'))
  .map((f) => loadSuite(join('scenes', f)));

describe('every committed suite validates, and a following oracle finishes every scene', () => {
  it('all suites load (the validator accepts them)', () => {
    expect(committed.map((s) => s.suite).sort()).toEqual(['lab-basket-novel-v1', 'lab-basket-v1', 'nav-id-v1', 'nav-id-v2', 'nav-novel-v1', 'nav-novel-v2']);
    for (const s of committed) for (const sc of s.scenes) expect(sceneProblem(sc), `${s.suite}/${sc.id}`).toBeNull();
  });

  // A kinematic stand-in for the oracle: fixed steps along the re-planned path to feasibleGoal's
  // point, never closer than the robot radius to anything, then turning to centre the target.
  it('the era suites (v2, basket) are finished within their time limits', () => {
    for (const suite of committed.filter((s) => s.profile)) {
      const profile = namedProfile(suite.profile!);
      const held = profile.control.mode === 'held';
      const step = held ? profile.speed / profile.control.rateHz : profile.speed * profile.pulseSeconds;
      const turnStep = profile.spinRate / (held ? profile.control.rateHz : 1 / profile.controlPeriodSeconds);
      for (const s of suite.scenes) {
        const n = followOracle(suite, s, step, turnStep, horizontalFov(profile.camera));
        expect(n, `${suite.suite}/${s.id}`).not.toBeNull();
        expect(n!, `${suite.suite}/${s.id}`).toBeLessThanOrEqual(s.timeLimit);
      }
    }
  });
});

function clearOfTarget(s: Scene, path: V2[]): boolean {
  const f = targetFootprint(s.target);
  for (let i = 0; i + 1 < path.length; i++)
    for (let t = 0; t <= 1; t += 0.01) {
      const p = { x: path[i]!.x + (path[i + 1]!.x - path[i]!.x) * t, y: path[i]!.y + (path[i + 1]!.y - path[i]!.y) * t };
      if (distanceToFootprint(p, f) < ROBOT_RADIUS) return false;
    }
  return true;
}

/** Actions a kinematic oracle needs to finish the scene, or null if it fails or hits something. */
function followOracle(_suite: LoadedSuite, s: Scene, step: number, turnStep: number, hfov: number): number | null {
  const task = taskOf(s);
  const goal = feasibleGoal(s);
  if (!goal) return null;
  const f = targetFootprint(s.target);
  const done = (p: V2) =>
    task.rule === 'reach' ? Math.hypot(p.x - s.goal.x, p.y - s.goal.y) <= s.goal.radius : Math.abs(distanceToFootprint(p, f) - ROBOT_RADIUS - (task.band.min + task.band.max) / 2) <= (task.band.max - task.band.min) / 2;
  let here = { x: s.robot.start.x, y: s.robot.start.y };
  let yaw = s.robot.start.yaw;
  let n = 0;
  for (; n < 500 && !done(here); n++) {
    let plan = null;
    for (const c of [goal.clearance, ROBOT_RADIUS + 0.005]) if ((plan = planPath(s, here, goal.point, { clearance: c, side: s.instruction.side }))) break;
    if (!plan) return null;
    const next = plan.path[1]!;
    const d = Math.hypot(next.x - here.x, next.y - here.y);
    const k = Math.min(step, d) / d;
    here = { x: here.x + (next.x - here.x) * k, y: here.y + (next.y - here.y) * k };
    if (distanceToFootprint(here, f) < ROBOT_RADIUS) return null;
    for (const b of s.obstacles) if (distanceToFootprint(here, { shape: 'rect', x: b.pose.x, y: b.pose.y, yaw: b.pose.yaw, hx: b.size[0] / 2, hy: b.size[1] / 2 }) < ROBOT_RADIUS) return null;
  }
  if (task.rule === 'stop') {
    // Turn until the target is well inside the central part of the view, then STOP (one action).
    const half = Math.tan(hfov / 2);
    const off = () => {
      const cx = cxFrom({ ...here, yaw }, f) ?? -1;
      return (cx - 0.5) * 2 * half;
    };
    for (; Math.abs(off()) > (task.centralCx / 2) * 2 * half && n < 500; n++) {
      const want = Math.atan2(f.y - here.y, f.x - here.x);
      const diff = Math.atan2(Math.sin(want - yaw), Math.cos(want - yaw));
      yaw += Math.sign(diff) * Math.min(turnStep, Math.abs(diff));
    }
    n++;
  }
  return n;
}
