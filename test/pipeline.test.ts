/**
 * The pipelined loop (LoopOptions.pipeline: one half of the batch renders while the policy works on
 * the other) gives exactly the rows of the serial loop: real Chromium frames through a real ONNX
 * image policy, and a scripted policy, at batch 1 / 8 / 32; a renderer crash mid-run still redoes
 * the episodes in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromiumRenderer } from '../src/render/chromium-renderer';
import { RendererCrashedError } from '../src/render/errors';
import { loadPolicy } from '../src/policy/load';
import { loadOnnxPolicy } from '../src/policy/onnx/load';
import type { Policy } from '../src/policy/types';
import type { EpisodeRow } from '../src/results/schema';
import { runEpisodes, type LoopOptions } from '../src/runner/episode-loop';
import type { CameraRequest, Renderer } from '../src/sim/camera';
import { suiteEpisodes, type EpisodeSpec } from '../src/sim/episode';
import { makeProfile } from '../src/sim/profile';
import { smallSuite } from './helpers/suites';

const profile = makeProfile({});
/** Rows without their wall-clock timing (the only field allowed to differ). */
const stable = (rows: EpisodeRow[]) => rows.map(({ timing: _t, ...r }) => r);

async function both(make: () => Promise<Policy>, episodes: EpisodeSpec[], opts: Omit<LoopOptions, 'profile' | 'pipeline'>) {
  const out: EpisodeRow[][] = [];
  for (const pipeline of [false, true]) {
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
      // Every row reported once, whatever order the halves finished in.
      expect([...streamed].sort()).toEqual(rows.map((r) => r.episodeId).sort());
      // Pipelined, the policy only ever sees one half of the batch at a time.
      const B = Math.min(opts.batchSize, episodes.length);
      if (pipeline && B >= 2) expect(widest).toBeLessThanOrEqual(Math.ceil(B / 2));
      else expect(widest).toBe(B);
      out.push(rows);
    } finally {
      await policy.close();
    }
  }
  const [serial, pipelined] = out as [EpisodeRow[], EpisodeRow[]];
  expect(serial).toHaveLength(episodes.length);
  expect(stable(pipelined)).toEqual(stable(serial));
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
});

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
  it('a crash mid-run redoes the episodes in flight of both halves: same rows, each reported once', async () => {
    const oracle = async (): Promise<Policy> => {
      const p = await loadPolicy('oracle', { device: 'cpu' });
      return { info: { ...p.info, needsImage: true }, begin: (s, e) => p.begin(s, e), act: (b) => p.act(b), close: () => p.close() };
    };
    const eps = episodes.slice(0, 20);
    const clean = await runEpisodes(await oracle(), eps, { profile, batchSize: 8, renderer: new FlakyRenderer(0), traceAll: true });
    const flaky = new FlakyRenderer(15);
    const redone: string[][] = [];
    const streamed: string[] = [];
    const rows = await runEpisodes(await oracle(), eps, {
      profile,
      batchSize: 8,
      renderer: flaky,
      traceAll: true,
      pipeline: true,
      onRendererRestart: (i) => redone.push(i.redo),
      onEpisode: (r) => void streamed.push(r.episodeId),
    });
    expect(flaky.restarts).toBe(1);
    expect(redone[0]!.length).toBeGreaterThan(4); // both halves' episodes, not only the crashed one's
    expect(streamed).toHaveLength(eps.length);
    expect(new Set(streamed).size).toBe(eps.length);
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
