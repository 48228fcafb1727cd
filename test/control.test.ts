/**
 * Cadence and latency in robot time, and action chunks: when the policy is asked, when its answer
 * takes effect, what the robot does meanwhile (src/runner/control.ts), through the real loop.
 */
import { describe, expect, it } from 'vitest';
import { latencyModel, SlotControl } from '../src/runner/control';
import { runEpisodes } from '../src/runner/episode-loop';
import { episodeProfiles } from '../src/runner/run';
import { SCRIPTED } from '../src/policy/scripted';
import type { ActResult, Policy } from '../src/policy/types';
import { loadSuite } from '../src/scene/load';
import { suiteEpisodes } from '../src/sim/episode';
import { namedProfile } from '../src/sim/profile';
import type { EpisodeRow } from '../src/results/schema';

const held = namedProfile('v6-held');
const strip = (rows: EpisodeRow[]) => rows.map(({ timing: _t, ...r }) => r);

describe('SlotControl', () => {
  it('no latency, no chunks: one query and one action per tick', () => {
    const c = new SlotControl(held, { kind: 'none' }, undefined);
    for (let t = 0; t < 5; t++) {
      expect(c.wantsQuery()).toBe(true);
      c.receive({ action: [1, 0, t] }, 0);
      expect(c.next()).toEqual({ action: [1, 0, t], hold: false });
    }
  });

  it("the lab's cadence [80, 80, 2200] ms at 6 Hz: answers after 1, 1 and 14 ticks; the robot holds the last action meanwhile", () => {
    const c = new SlotControl(held, latencyModel({ latencyMs: [80, 80, 2200] }, undefined), undefined);
    const queries: number[] = [];
    const executed: { t: number; hold: boolean; a: number }[] = [];
    let n = 0;
    for (let t = 0; t < 40; t++) {
      if (c.wantsQuery()) {
        queries.push(t);
        c.receive({ action: [1, 0, 0.5 + n++] }, 0);
      }
      const x = c.next();
      executed.push({ t, hold: x.hold, a: x.action[2]! });
    }
    // Each answer arrives ⌈latency / tick⌉ ticks after its query; the next query one tick later.
    expect(queries.slice(0, 6)).toEqual([0, 2, 4, 19, 21, 23]);
    expect(executed[0]).toMatchObject({ hold: true, a: 0 }); // nothing to hold yet: brake
    expect(executed[1]).toMatchObject({ hold: false, a: 0.5 });
    // While the third answer takes 2.2 s (ticks 4–17), the robot keeps executing the second one.
    expect(executed.slice(4, 18).every((e) => e.hold && e.a === 1.5)).toBe(true);
    expect(executed[18]).toMatchObject({ hold: false, a: 2.5 });
  });

  it('COAST: past coastSeconds without a new answer the robot brakes', () => {
    const c = new SlotControl(held, latencyModel(undefined, 6000), undefined);
    expect(c.wantsQuery()).toBe(true);
    c.receive({ action: [1, 0, 0] }, 0); // arrives at tick 36
    for (let t = 0; t < 36; t++) expect(c.next().action).toEqual([0, 0, 0]);
    expect(c.wantsQuery()).toBe(false);
    expect(c.next()).toMatchObject({ action: [1, 0, 0], hold: false });
    c.wantsQuery();
    c.receive({ action: [0, 1, 0] }, 0); // the next answer takes 6 s: the robot coasts after 4 s (24 ticks)
    const seq = Array.from({ length: 30 }, () => c.next());
    expect(seq.slice(0, 23).every((x) => x.hold && x.action[0] === 1)).toBe(true);
    expect(seq.slice(23, 30).every((x) => x.hold && x.action[0] === 0 && x.action[1] === 0)).toBe(true);
  });

  it('pulse control ignores latency: the robot waits for the answer', () => {
    const c = new SlotControl(namedProfile('seed-pulse'), latencyModel(undefined, [2200]), undefined);
    expect(c.wantsQuery()).toBe(true);
    c.receive({ action: [1, 0] }, 0);
    expect(c.next()).toEqual({ action: [1, 0], hold: false });
  });

  it('chunks: the first `execute` actions of each chunk, then a new query', () => {
    const c = new SlotControl(held, { kind: 'none' }, 3);
    const asked: number[] = [];
    for (let t = 0; t < 9; t++) {
      if (c.wantsQuery()) {
        asked.push(t);
        c.receive({ actions: [[1, 0, t], [1, 0, t + 0.1], [1, 0, t + 0.2], [9, 9, 9], [9, 9, 9]] }, 0);
      }
      expect(c.next().action[0]).toBe(1);
    }
    expect(asked).toEqual([0, 3, 6]);
  });

  it("a server's latched STOP is a STOP", () => {
    const c = new SlotControl(held, { kind: 'none' }, undefined);
    c.wantsQuery();
    c.receive({ action: [1, 0, 0], stop: true, info: { stop_latched: true } }, 0);
    expect(c.next()).toEqual({ action: [0, 0, 0], hold: false, stop: true, info: { stop_latched: true } });
  });
});

describe('cadence and chunks in the closed loop', () => {
  const novel = loadSuite('scenes/lab-basket-novel-v1.json');
  const cadence = suiteEpisodes(novel, 2).filter((e) => e.family === 'cadence');
  const profileFor = episodeProfiles({});
  const run = (policy: Policy, eps = cadence, batchSize = 4, latency?: number[]) =>
    runEpisodes(policy, eps, { profile: held, profileFor, batchSize, traceAll: true, ...(latency ? { latency } : {}) });

  it("is deterministic (batch 1 vs 8, twice), and the lab's cadence shows: the oracle, answering late, overshoots", async () => {
    expect(cadence.length).toBe(8);
    const a = await run(SCRIPTED.oracle(), cadence, 1);
    expect(strip(await run(SCRIPTED.oracle(), cadence, 8))).toEqual(strip(a));
    // Held ticks are marked in the trace; the policy was asked on far fewer ticks than it moved.
    const heldTicks = a.map((r) => r.trace!.held?.filter(Boolean).length ?? 0);
    expect(Math.min(...heldTicks)).toBeGreaterThan(5);
    // The same scenes served without latency: the oracle stops in the band every time.
    const instant = cadence.map((e) => ({ ...e, scene: { ...e.scene, cadence: undefined } }));
    const b = await run(SCRIPTED.oracle(), instant);
    expect(b.every((r) => r.outcome === 'success')).toBe(true);
    expect(a.filter((r) => r.outcome === 'success').length).toBeLessThan(b.length);
    expect(a.some((r) => r.measures.failure === 'overshoot' || r.measures.failure === 'collision')).toBe(true);
  });

  it('a chunked policy is asked once per `execute` ticks, and its rows do not depend on the batch', async () => {
    let calls = 0;
    const chunked: Policy = {
      info: { name: 'chunky', kind: 'scripted', variant: 'test', actionMode: 'pulse', needsImage: false, chunk: { execute: 4 } },
      begin: () => undefined,
      act: async (batch) => {
        calls += batch.length;
        return batch.map(({ obs }): ActResult => ({ actions: Array.from({ length: 8 }, (_, i) => [1, i % 2 ? 0.5 : -0.5, 0]), info: { step: obs.step } }));
      },
      close: async () => undefined,
    };
    const eps = suiteEpisodes(loadSuite('scenes/lab-basket-v1.json'), 1).slice(0, 3);
    const one = await run(chunked, eps, 1);
    const asked = calls;
    const steps = one.reduce((s, r) => s + r.trace!.actions.length, 0);
    expect(asked).toBe(one.reduce((s, r) => s + Math.ceil(r.trace!.actions.length / 4), 0));
    expect(steps).toBeGreaterThan(asked * 3);
    // The server's fields are kept on the steps it answered.
    const info = one[0]!.trace!.info!;
    expect(info[0]).toEqual({ step: 0 });
    expect(info[1]).toBeNull();
    expect(info[4]).toEqual({ step: 4 });
    expect(strip(await run(chunked, eps, 3))).toEqual(strip(one));
  });
});
