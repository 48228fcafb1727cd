import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSuite, parseSuite } from '../src/scene/load';
import { generateScene, LAYOUTS, DISTANCES, ERA_V2, SEED_EPISODE_ACTIONS, SEED_STEP_LENGTH } from '../src/scene/generate';
import { planPath } from '../src/scene/geometry';
import { ConfigError } from '../src/util/errors';
import { smallSuite, tempDir, writeSuite } from './helpers/suites';

/** Every committed suite: the seed era as first written (v1), for the recalibrated base (v2), the basket task. */
const COMMITTED = ['nav-id-v1', 'nav-novel-v1', 'nav-id-v2', 'nav-novel-v2', 'lab-basket-v1', 'lab-basket-novel-v1'].map((n) => `scenes/${n}.json`);

const valid = () => JSON.parse(JSON.stringify((({ file: _f, sceneHashes: _h, ...s }) => s)(smallSuite()))) as Record<string, any>;

describe('scene validation', () => {
  it('accepts the committed suites', () => {
    for (const f of COMMITTED) {
      const s = loadSuite(f);
      expect(s.scenes.length).toBeGreaterThan(0);
      expect(Object.keys(s.sceneHashes)).toHaveLength(s.scenes.length);
    }
  });

  it('names the file and field of a mistyped value', () => {
    const raw = valid();
    raw.scenes[3].target.kind = 'bottel';
    expect(() => parseSuite(raw, 'scenes/bad.json')).toThrow(ConfigError);
    expect(() => parseSuite(raw, 'scenes/bad.json')).toThrow(/scenes\/bad\.json: scenes\[3\]\.target\.kind/);
  });

  it('names a missing field', () => {
    const raw = valid();
    delete raw.scenes[0].goal;
    expect(() => parseSuite(raw, 'x.json')).toThrow(/x\.json: scenes\[0\]\.goal/);
  });

  it('rejects unknown fields (typos) and geometry outside the room', () => {
    const raw = valid();
    raw.scenes[1].obstacles[0].sise = [1, 1, 1];
    expect(() => parseSuite(raw, 'x.json')).toThrow(/scenes\[1\]\.obstacles\[0\].*sise/);
    const raw2 = valid();
    raw2.scenes[2].obstacles[0].pose.x = 99;
    expect(() => parseSuite(raw2, 'y.json')).toThrow(/y\.json: scenes\[2\]\.obstacles\[0\]\.pose/);
  });

  it('gives each scene a content hash that changes with the scene', () => {
    const a = smallSuite();
    const raw = valid();
    raw.scenes[0].goal.radius = 0.25;
    const b = parseSuite(raw, 'b.json');
    const id = a.scenes[0]!.id;
    expect(b.sceneHashes[id]).not.toBe(a.sceneHashes[id]);
    expect(b.sceneHashes[a.scenes[1]!.id]).toBe(a.sceneHashes[a.scenes[1]!.id]);
  });

  it('CLI exits 2 naming the file and field for a bad scene file', () => {
    const dir = tempDir();
    const raw = valid();
    raw.scenes[0].timeLimit = 'many';
    const file = writeSuite(dir, raw as any, 'broken.json');
    const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'run', '--suite', file, '--policy', 'oracle', '--out', join(dir, 'out'), '--quiet'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('broken.json');
    expect(r.stderr).toContain('scenes[0].timeLimit');
  });

  it('CLI exits 2 on invalid JSON, naming the file', () => {
    const dir = tempDir();
    const file = join(dir, 'trunc.json');
    writeFileSync(file, '{"schemaVersion": 1, "scenes": [');
    const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'scenes', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('trunc.json');
    expect(r.stderr).toMatch(/not valid JSON/);
  });

  it('--help lists examples and exits 0', () => {
    const out = execFileSync('npx', ['tsx', 'src/cli/main.ts', 'run', '--help'], { encoding: 'utf8' });
    expect(out).toMatch(/Examples:/);
  });
});

describe('taxonomy generator', () => {
  it('is deterministic and every layout × distance × side is solvable on the instructed side', () => {
    for (const layout of LAYOUTS)
      for (const distance of DISTANCES)
        for (const side of ['left', 'right'] as const) {
          const spec = { id: `${layout}_${side}_${distance}`, layout, side, distance, split: 'in-distribution' as const, seed: 7 };
          const a = generateScene(spec);
          expect(generateScene(spec)).toEqual(a);
          const plan = planPath(a, a.robot.start, a.goal, { clearance: 0.15, side });
          expect(plan).not.toBeNull();
          const d = Math.hypot(a.target.pose.x - a.robot.start.x, a.target.pose.y - a.robot.start.y);
          expect(d).toBeGreaterThan(1);
          expect(d).toBeLessThan(3.1);
          for (const b of a.obstacles) for (const s of b.size.slice(0, 2)) expect(s).toBeGreaterThan(0.25), expect(s).toBeLessThan(0.55);
        }
  });

  it('v2 (12.5 cm per action, 17 actions): every layout × distance × side fits the lab\'s episode on the instructed side', () => {
    const budget = 0.8 * SEED_EPISODE_ACTIONS * SEED_STEP_LENGTH;
    for (const layout of LAYOUTS)
      for (const distance of DISTANCES)
        for (const side of ['left', 'right'] as const)
          for (const seed of [7, 8, 9]) {
            const spec = { id: `${layout}_${side}_${distance}`, layout, side, distance, split: 'in-distribution' as const, seed, era: ERA_V2 };
            const a = generateScene(spec);
            expect(generateScene(spec)).toEqual(a);
            expect(a.timeLimit).toBe(17);
            const plan = planPath(a, a.robot.start, a.goal, { clearance: 0.22, side });
            expect(plan, a.id).not.toBeNull();
            expect(plan!.length - a.goal.radius, a.id).toBeLessThanOrEqual(budget);
            const d = Math.hypot(a.target.pose.x - a.robot.start.x, a.target.pose.y - a.robot.start.y);
            expect(d).toBeGreaterThan(1);
            expect(d).toBeLessThan(1.8);
            for (const b of a.obstacles) for (const s of b.size.slice(0, 2)) expect(s).toBeGreaterThan(0.17), expect(s).toBeLessThan(0.4);
          }
  });

  it('committed suites are what the generator writes (v1 byte for byte)', () => {
    const dir = tempDir();
    const before = COMMITTED.map((f) => loadSuite(f).sceneHashes);
    execFileSync('npx', ['tsx', 'scripts/generate-scenes.ts', '--out', dir], { encoding: 'utf8' });
    const after = COMMITTED.map((f) => loadSuite(join(dir, f.replace('scenes/', ''))).sceneHashes);
    expect(after).toEqual(before);
    for (const f of COMMITTED) expect(readFileSync(join(dir, f.replace('scenes/', '')), 'utf8'), f).toBe(readFileSync(f, 'utf8'));
  });
});
