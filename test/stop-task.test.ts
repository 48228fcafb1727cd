/**
 * The current task: STOP in the stop band in front of a gray basket, on the deployed robot's
 * held-action loop. Closed loop with the scripted policies (no rendering), the failure taxonomy
 * on constructed traces, and determinism across batch sizes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeMeasures } from '../src/measures';
import { failureCodes, FAILURE_CODES } from '../src/measures/failure';
import { SCRIPTED } from '../src/policy/scripted';
import { runEpisodes } from '../src/runner/episode-loop';
import { episodeProfiles } from '../src/runner/run';
import { parseSuite } from '../src/scene/load';
import type { SceneInput } from '../src/scene/schema';
import { suiteEpisodes, type EpisodeSpec } from '../src/sim/episode';
import { namedProfile } from '../src/sim/profile';
import type { EpisodeTrace } from '../src/sim/trace';
import type { EpisodeRow } from '../src/results/schema';

const BASKET = { kind: 'basket' as const, size: [0.36, 0.5, 0.3] as [number, number, number] };
/** Goal: the middle of the band (0.45 m) in front of the basket's near face, for a 0.15 m robot. */
const scene = (id: string, family: string, bx: number, by: number, extra: Partial<SceneInput> = {}): SceneInput => ({
  id,
  family,
  split: 'in-distribution',
  room: { min: [-1, -2.5], max: [4, 2.5] },
  robot: { start: { x: 0, y: 0, yaw: 0 } },
  obstacles: [],
  target: { ...BASKET, pose: { x: bx, y: by, yaw: 0 } },
  instruction: { text: 'gray basket', side: 'left' },
  goal: { x: bx - 0.18 - 0.45 - 0.15, y: by, radius: 0.05 },
  task: { rule: 'stop' },
  timeLimit: 120,
  ...extra,
});
const suite = parseSuite(
  {
    schemaVersion: 1,
    suite: 'stop-test',
    version: 1,
    profile: 'v6-held',
    scenes: [scene('center', 'center', 2.2, 0), scene('left', 'strong_left', 2.0, 1.0), scene('right', 'weak_right', 2.4, -0.6), scene('drift', 'drift', 2.2, 0.3, { robot: { start: { x: 0, y: 0, yaw: 0 }, driftDeg: 4 } })],
  },
  'stop-test.json',
);
const episodes = suiteEpisodes(suite, 3);
const profileFor = episodeProfiles({});
const run = (name: keyof typeof SCRIPTED, eps: EpisodeSpec[] = episodes, batchSize = 4) =>
  runEpisodes(SCRIPTED[name](), eps, { profile: namedProfile('v6-held'), profileFor, batchSize, traceAll: true });

describe('stop task, v6-held robot', () => {
  it('the oracle stops in the band on every episode; its STOP ends the episode', async () => {
    const rows = await run('oracle');
    for (const r of rows) {
      expect(r.outcome, `${r.sceneId} seed ${r.seed}: ${r.trace?.events.map((e) => `${e.type} ${e.detail ?? ''}`).join('; ')}`).toBe('success');
      expect(r.measures.stopped).toBe(true);
      expect(r.measures.stop_error).toBe(0);
      expect(r.measures.terminal_distance as number).toBeGreaterThanOrEqual(0.4);
      expect(r.measures.terminal_distance as number).toBeLessThanOrEqual(0.5);
      expect(r.measures.failure).toBeNull();
      expect(r.trace!.events.slice(-2).map((e) => e.type)).toEqual(['stop', 'success']);
      expect(r.measures.time_to_stop).toBeCloseTo(r.trace!.actions.length / 6, 9);
    }
  });

  it('straight never stops (missed_stop, oscillating around the goal); forward collapses', async () => {
    const straight = await run('straight');
    for (const r of straight) {
      expect(r.outcome).toBe('timeout');
      expect(r.measures.stopped).toBe(false);
    }
    expect(straight.filter((r) => r.measures.failure === 'missed_stop').length).toBeGreaterThanOrEqual(straight.length - 1);
    const forward = await run('forward');
    for (const r of forward) expect(r.measures.failure).toBe('forward_collapse');
    // Into the basket dead ahead: the collision is a secondary flag of the collapse.
    expect(forward.find((r) => r.sceneId === 'center')!.measures.failure_flags).toMatch(/collision/);
  });

  it('rows are identical at batch 1 and 16 (held loop, drift, spins)', async () => {
    const strip = (rows: EpisodeRow[]) => rows.map(({ timing: _t, ...r }) => r);
    for (const name of ['oracle', 'random'] as const) {
      expect(strip(await run(name, episodes, 1))).toEqual(strip(await run(name, episodes, 16)));
    }
  });
});

describe('failure taxonomy', () => {
  const episode = episodes.find((e) => e.scene.id === 'center')!;
  const profile = namedProfile('v6-held');
  const bx = episode.scene.target.pose.x - 0.18; // the basket's near face
  /** A trace along the x axis through the given robot-centre positions. */
  const trace = (xs: number[], actions: number[][], outcome: EpisodeTrace['outcome'], extra: Partial<EpisodeTrace> = {}): EpisodeTrace => ({
    episodeId: episode.id,
    actions,
    poses: xs.map((x) => [x, 0, 0] as [number, number, number]),
    hashes: xs.map(() => 'h'),
    contacts: actions.map(() => []),
    events: [],
    outcome,
    start: { x: xs[0]!, y: 0, yaw: 0 },
    ...extra,
  });
  const codes = (t: EpisodeTrace, ep: EpisodeSpec = episode) => {
    const d = computeMeasures({ episode: ep, trace: t, profile });
    return { primary: d.failure, all: failureCodes({ episode: ep, trace: t, profile }, d) };
  };
  const fwd = [1, 0, 0];
  const stop = [0, 0, 0];
  const gapAt = (g: number) => bx - 0.15 - g; // robot centre for a footprint gap g

  it('has one code per failure kind, each reachable', () => {
    expect(FAILURE_CODES).toEqual(['policy_error', 'target_never_seen', 'forward_collapse', 'wrong_side', 'collision', 'overshoot', 'false_stop', 'missed_stop', 'oscillation', 'timeout']);
  });
  it('policy_error', () => expect(codes(trace([0, 0.05], [fwd], 'policy_error')).primary).toBe('policy_error'));
  it('false_stop: stopped short of the band', () => {
    const r = codes(trace([gapAt(0.9), gapAt(0.8), gapAt(0.8)], [[0, 1, 0], stop], 'stopped_outside', { events: [{ step: 2, type: 'stop' }] }));
    expect(r.primary).toBe('false_stop');
  });
  it('overshoot: came inside the band and stopped too close', () => {
    const r = codes(trace([gapAt(0.6), gapAt(0.5), gapAt(0.3), gapAt(0.3)], [[0.5, 1, 0], [0.5, -1, 0], stop], 'stopped_outside', { events: [{ step: 3, type: 'stop' }] }));
    expect(r.primary).toBe('overshoot');
    expect(r.all).toContain('false_stop');
  });
  it('missed_stop: stood in the band, never stopped', () => {
    expect(codes(trace([gapAt(0.6), gapAt(0.45), gapAt(0.45), gapAt(0.45)], [[1, 1, 0], [0, 1, 0], [0, -1, 0]], 'timeout')).primary).toBe('missed_stop');
  });
  it('oscillation: back and forth until the time ran out', () => expect(codes(trace([0, 0, 0, 0, 0, 0], [[0, 1, 0], [0, -1, 0], [0, 1, 0], [0, -1, 0], [0, 1, 0]], 'timeout')).primary).toBe('oscillation'));
  it('timeout without oscillation', () => expect(codes(trace([0, 0.05, 0.1], [[1, 1, 0], [1, 1, 0]], 'timeout')).primary).toBe('timeout'));
  it('collision', () => expect(codes(trace([gapAt(0.2), gapAt(0)], [[1, 1, 0]], 'collision', { events: [{ step: 1, type: 'collision', detail: 'target' }] })).primary).toBe('collision'));
  it('forward_collapse before collision', () => {
    const r = codes(trace([gapAt(0.3), gapAt(0.2), gapAt(0.1), gapAt(0)], [fwd, fwd, fwd], 'collision', { events: [{ step: 3, type: 'collision', detail: 'target' }] }));
    expect(r.primary).toBe('forward_collapse');
    expect(r.all).toContain('collision');
  });
  it('target_never_seen: facing away the whole time', () => {
    const t = trace([0, 0, 0], [[0, 1, 0], [0, 1, 0]], 'timeout');
    t.poses = t.poses.map(([x, y]) => [x, y, Math.PI] as [number, number, number]);
    expect(codes(t).primary).toBe('target_never_seen');
  });
  it('wrong_side (reach tasks with obstacles)', () => {
    const reach = parseSuite({ schemaVersion: 1, suite: 'r', version: 1, scenes: [{ ...scene('box', 'x', 2.5, 0), task: undefined, goal: { x: 2.0, y: 0, radius: 0.2 }, obstacles: [{ id: 'box0', kind: 'box', size: [0.3, 0.5, 0.3], pose: { x: 1.0, y: 0, yaw: 0 } }], instruction: { text: 'left', side: 'left' } }] }, 'r.json');
    const ep = suiteEpisodes(reach, 1)[0]!;
    const t = trace([0, 0.5, 1.0, 1.4], [[1, -1, 0], [1, 0, 0], [1, 1, 0]], 'timeout');
    t.poses = [[0, 0, 0], [0.5, -0.45, 0], [1.0, -0.45, 0], [1.4, -0.2, 0]];
    expect(codes(t, ep).all).toContain('wrong_side');
  });
});

describe('the oracle succeeds on every scene the validator accepts (hand-written)', () => {
  it('a goal 0.30 m in front of a pot (reach), and stop scenes on the pulse robot with an off-band goal', async () => {
    const hand = parseSuite(
      {
        schemaVersion: 1,
        suite: 'hand',
        version: 1,
        scenes: [
          { ...scene('pot-reach', 'hand', 2.0, 0), task: undefined, target: { kind: 'pot', pose: { x: 2.0, y: 0, yaw: 0 } }, goal: { x: 1.7, y: 0, radius: 0.2 }, timeLimit: 30 },
          // Pulses (12.5 cm) are longer than the band is wide (10 cm); the goal given is not in the band.
          { ...scene('stop-pulse', 'hand', 1.8, 0.3), goal: { x: 0.9, y: 0.3, radius: 0.05 }, timeLimit: 40 },
          { ...scene('stop-pulse-side', 'hand', 1.6, -0.5), goal: { x: 1.0, y: 0.2, radius: 0.05 }, timeLimit: 40 },
        ],
      },
      'hand.json',
    );
    const eps = suiteEpisodes(hand, 3);
    const rows = await runEpisodes(SCRIPTED.oracle(), eps, { profile: namedProfile('seed-pulse'), profileFor, batchSize: 4, traceAll: true });
    for (const r of rows) expect(r.outcome, `${r.sceneId} seed ${r.seed}: ${r.trace?.events.map((e) => `${e.type} ${e.detail ?? ''}`).join('; ')}`).toBe('success');
  });
});

describe('the committed basket suites', () => {
  it('lab-basket-v1: the oracle stops in the band ≥ 95% at every position; straight and forward fail with their codes', async () => {
    const basket = parseSuite(JSON.parse(readFileSync('scenes/lab-basket-v1.json', 'utf8')), 'scenes/lab-basket-v1.json');
    const eps = suiteEpisodes(basket, 2);
    const go = (name: keyof typeof SCRIPTED) => runEpisodes(SCRIPTED[name](), eps, { profile: namedProfile('v6-held'), profileFor, batchSize: 10 });
    const oracle = await go('oracle');
    const families = [...new Set(eps.map((e) => e.family))];
    expect(families).toEqual(['strong_left', 'weak_left', 'center', 'weak_right', 'strong_right']);
    for (const f of families) {
      const rows = oracle.filter((r) => r.family === f);
      expect(rows.filter((r) => r.outcome === 'success').length / rows.length).toBeGreaterThanOrEqual(0.95);
    }
    const straight = await go('straight');
    expect(straight.every((r) => r.outcome !== 'success' && r.measures.stopped === false)).toBe(true);
    expect(new Set(straight.map((r) => r.measures.failure))).toEqual(new Set(['missed_stop']));
    const forward = await go('forward');
    expect(forward.every((r) => r.measures.failure === 'forward_collapse')).toBe(true);
  });
});
