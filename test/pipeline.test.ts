/**
 * The pipelined loop (LoopOptions.pipeline: the batch in k lanes, some rendering while the policy
 * works on another) gives exactly the rows of the serial loop for every lane count: real Chromium
 * frames through a real ONNX image policy, and a scripted policy, at batch 1 / 8 / 32; a renderer
 * crash mid-run still redoes the episodes in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromiumRenderer } from '../src/render/chromium-renderer';
import { RendererCrashedError } from '../src/render/errors';
import { loadPolicy } from '../src/policy/load';
import { loadOnnxPolicy } from '../src/policy/onnx/load';
import type { Policy } from '../src/policy/types';
import type { EpisodeRow } from '../src/results/schema';
import { DEFAULT_PIPELINE_LANES, pipelineLanes, runEpisodes, type LoopOptions } from '../src/runner/episode-loop';
import type { CameraRequest, Renderer } from '../src/sim/camera';
import { suiteEpisodes, type EpisodeSpec } from '../src/sim/episode';
import { makeProfile } from '../src/sim/profile';
import { smallSuite } from './helpers/suites';

const profile = makeProfile({});
/** Rows without their wall-clock timing (the only field allowed to differ). */
const stable = (rows: EpisodeRow[]) => rows.map(({ timing: _t, ...r }) => r);
/** Lane counts checked against the serial loop. */
const LANES = [2, 3, 4];

/** The serial loop, then each lane count (one run per distinct count: at batch 1 all are 1): the same rows every time. */
async function both(make: () => Promise<Policy>, episodes: EpisodeSpec[], opts: Omit<LoopOptions, 'profile' | 'pipeline'>) {
  const B = Math.min(opts.batchSize, episodes.length);
  const lanes = LANES.filter((k, i) => LANES.findIndex((m) => pipelineLanes(m, B) === pipelineLanes(k, B)) === i);
  const out: EpisodeRow[][] = [];
  for (const pipeline of [false, ...lanes]) {
    const inner = await make();
    let widest = 0;
    const policy: Policy = {
      info: inner.info,
      begin: (s, e) => inner.begin(s, e),
      act: (b) => ((widest = Math.max(widest, b.length)), inner.act(b)),
      close: () => inner.close(),
    };
    const streamed: string[] = [];
    try {
      const rows = await runEpisodes(policy, episodes, { profile, traceAll: true, ...opts, pipeline, onEpisode: (r) => void streamed.push(r.episodeId) });
      // Every row reported once, whatever order the lanes finished in.
      expect([...streamed].sort()).toEqual(rows.map((r) => r.episodeId).sort());
      // Pipelined, the policy only ever sees one lane at a time.
      const k = pipelineLanes(pipeline, B);
      if (k > 1) expect(widest).toBeLessThanOrEqual(Math.ceil(B / k));
      else expect(widest).toBe(B);
      out.push(rows);
    } finally {
      await policy.close();
    }
  }
  const [serial, ...pipelined] = out as [EpisodeRow[], ...EpisodeRow[][]];
  expect(serial).toHaveLength(episodes.length);
  pipelined.forEach((rows, i) => expect(stable(rows), `pipeline: ${lanes[i]}`).toEqual(stable(serial)));
  return serial;
}

// 8 scenes × 5 seeds = 40 episodes: batch 32 is full and its slots are refilled.
const episodes = suiteEpisodes(smallSuite('pipeline-small'), 5);

describe('pipelined loop: scripted policy', () => {
  for (const batchSize of [1, 8, 32]) {
    it(`batch ${batchSize}: same rows as the serial loop`, async () => {
      const rows = await both(() => loadPolicy('oracle', { device: 'cpu' }), episodes, { batchSize });
      expect(rows.some((r) => r.outcome === 'success')).toBe(true);
    });
  }

  it('latency (held control, a repeating cadence): same rows', async () => {
    await both(() => loadPolicy('oracle', { device: 'cpu' }), episodes.slice(0, 12), { batchSize: 8, latency: [80, 80, 400] });
  });

  it('lanes: `true` is DEFAULT_PIPELINE_LANES, at most one per slot; 1 and false are the serial loop; nonsense is refused', () => {
    expect(pipelineLanes(true, 32)).toBe(DEFAULT_PIPELINE_LANES);
    expect(pipelineLanes(true, 2)).toBe(2);
    expect(pipelineLanes(5, 3)).toBe(3);
    expect(pipelineLanes(1, 32)).toBe(1);
    expect(pipelineLanes(false, 32)).toBe(1);
    expect(pipelineLanes(undefined, 32)).toBe(1);
    expect(() => pipelineLanes(0, 32)).toThrow(/whole number of lanes/);
    expect(() => pipelineLanes(2.5, 32)).toThrow(/whole number of lanes/);
  });
});

/** The oracle with frames rendered (it ignores them); `log` gets the slots of every policy call. */
const imageOracle = async (log?: number[][]): Promise<Policy> => {
  const p = await loadPolicy('oracle', { device: 'cpu' });
  return { info: { ...p.info, needsImage: true }, begin: (s, e) => p.begin(s, e), act: (b) => (log?.push(b.map((r) => r.slot)), p.act(b)), close: () => p.close() };
};

/** Constant frames, and one RendererCrashedError at the n-th call (restart() brings it back). */
class FlakyRenderer implements Renderer {
  calls = 0;
  restarts = 0;
  constructor(readonly crashAt: number) {}
  async render(reqs: readonly CameraRequest[]) {
    await new Promise((r) => setTimeout(r, 1)); // a real await: the other half runs meanwhile
    if (++this.calls === this.crashAt) throw new RendererCrashedError('test: browser gone');
    return reqs.map((r) => ({ width: r.profile.camera.width, height: r.profile.camera.height, data: new Uint8Array(r.profile.camera.width * r.profile.camera.height * 3) }));
  }
  describe() {
    return { restarts: this.restarts };
  }
  async restart() {
    this.restarts++;
  }
  async close() {}
}

describe('pipelined loop: renderer crash', () => {
  for (const lanes of [2, 3, 4]) {
    it(`${lanes} lanes: a crash mid-run redoes the episodes in flight of every lane: same rows, each reported once`, async () => {
      const eps = episodes.slice(0, 20);
      const clean = await runEpisodes(await imageOracle(), eps, { profile, batchSize: 8, renderer: new FlakyRenderer(0), traceAll: true });
      const flaky = new FlakyRenderer(15);
      const redone: string[][] = [];
      const streamed: string[] = [];
      const rows = await runEpisodes(await imageOracle(), eps, {
        profile,
        batchSize: 8,
        renderer: flaky,
        traceAll: true,
        pipeline: lanes,
        onRendererRestart: (i) => redone.push(i.redo),
        onEpisode: (r) => void streamed.push(r.episodeId),
      });
      expect(flaky.restarts).toBe(1);
      expect(redone[0]!.length).toBeGreaterThan(Math.ceil(8 / lanes)); // every lane's episodes, not only the crashed one's
      expect(streamed).toHaveLength(eps.length);
      expect(new Set(streamed).size).toBe(eps.length);
      expect(stable(rows)).toEqual(stable(clean));
    });
  }
});

describe('pipelined loop: the tail of the run', () => {
  it('once no episode is left to start, lanes take over running episodes from fuller ones: same rows', async () => {
    // 12 episodes in 2 lanes of 4: the last 4 start wherever slots free up first.
    const eps = episodes.slice(0, 12);
    const clean = await runEpisodes(await imageOracle(), eps, { profile, batchSize: 8, renderer: new FlakyRenderer(0), traceAll: true });
    const calls: number[][] = [];
    const rows = await runEpisodes(await imageOracle(calls), eps, { profile, batchSize: 8, renderer: new FlakyRenderer(0), traceAll: true, pipeline: 2 });
    expect(stable(rows)).toEqual(stable(clean));
    // A call with slots of both starting lanes (0–3, 4–7) means episodes moved between lanes.
    expect(calls.some((slots) => slots.some((s) => s < 4) && slots.some((s) => s >= 4))).toBe(true);
    expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(4);
  });

  it('a renderer crash late in the run (lanes evened out) redoes what was in flight: same rows, each reported once', async () => {
    const eps = episodes.slice(0, 12);
    const counting = new FlakyRenderer(0);
    const clean = await runEpisodes(await imageOracle(), eps, { profile, batchSize: 8, renderer: counting, traceAll: true, pipeline: 3 });
    const flaky = new FlakyRenderer(counting.calls - 4);
    const streamed: string[] = [];
    const rows = await runEpisodes(await imageOracle(), eps, { profile, batchSize: 8, renderer: flaky, traceAll: true, pipeline: 3, onEpisode: (r) => void streamed.push(r.episodeId) });
    expect(flaky.restarts).toBe(1);
    expect([...streamed].sort()).toEqual(eps.map((e) => e.id).sort());
    expect(stable(rows)).toEqual(stable(clean));
  });
});

describe('pipelined loop: real frames, ONNX image policy', () => {
  let renderer: ChromiumRenderer;
  beforeAll(async () => {
    renderer = await ChromiumRenderer.launch({});
  }, 120_000);
  afterAll(async () => {
    await renderer?.close();
  });

  for (const [batchSize, n] of [
    [1, 3],
    [8, 10],
    [32, 34],
  ] as const) {
    it(
      `batch ${batchSize}: same rows as the serial loop (${n} episodes)`,
      async () => {
        const rows = await both(() => loadOnnxPolicy('policies/demo-simple-finetuned/policy.json', { device: 'cpu' }), episodes.slice(0, n), { batchSize, renderer });
        for (const r of rows) expect(r.outcome, r.reason).not.toMatch(/error/);
      },
      300_000,
    );
  }
});
