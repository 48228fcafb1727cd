/**
 * The WebGPU renderer (three.js WebGPURenderer inside Node on Dawn), against the real driver this
 * machine has (lavapipe, SwiftShader's Vulkan driver or a GPU): the same picture sanity as
 * Chromium, bit-identical frames across batch sizes, instances and processes, pixel-close to
 * Chromium on the shipped scenes, a lost device recovered by restart(). CI sets
 * SIMGATE_REQUIRE_WEBGPU=1 so that a machine without a working driver fails here instead of
 * skipping.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeWebGpu } from '../src/render/launch';
import { WebGpuRenderer } from '../src/render/webgpu/renderer';
import { ChromiumRenderer } from '../src/render/chromium-renderer';
import { RendererCrashedError } from '../src/render/errors';
import { frameDiff, makeScene, pictureSanity, pose, req, sameBytes, sampleRequests } from './helpers/render';
import type { Frame } from '../src/image/frame';
import { cli, miniSetup, readResults } from './runner-helpers';
import { loadPolicy } from '../src/policy/load';
import { runEpisodes } from '../src/runner/episode-loop';
import { identifyPlan, loadSuites, planEpisodes } from '../src/runner/run';
import { parseConfig } from '../src/config/config';
import { DEFAULT_PROFILE } from '../src/sim/profile';

const probe = await probeWebGpu();
const available = 'driver' in probe;

describe('WebGPU availability', () => {
  it.runIf(process.env.SIMGATE_REQUIRE_WEBGPU === '1')('Dawn finds a working Vulkan driver here (CI installs one)', () => {
    expect(probe).toHaveProperty('driver');
  });
});

describe.runIf(available)('WebGpuRenderer (three.js WebGPU inside Node, Dawn)', () => {
  let r: WebGpuRenderer;
  const scene = makeScene();
  let facing: Frame;

  beforeAll(async () => {
    r = await WebGpuRenderer.launch();
  }, 60_000);
  afterAll(async () => {
    await r?.close();
  });

  it('describes itself: kind, Vulkan driver, adapter, Dawn and three versions', () => {
    const d = r.describe();
    expect(d).toMatchObject({ kind: 'webgpu', renderer: 'webgpu/three.js' });
    expect(['gpu', 'lavapipe', 'swiftshader']).toContain(d.driver);
    expect(String(d.adapter).length).toBeGreaterThan(3);
    expect(String(d.dawn)).toMatch(/^webgpu \d/);
  });

  pictureSanity(() => r, (f) => (facing = f));

  it('gives bit-identical frames alone, in any batch, and from a second instance', async () => {
    const all = sampleRequests();
    const batch = await r.render(all);
    const copies = batch.map((f) => ({ ...f, data: Uint8Array.from(f.data) }));
    // One at a time, and reversed in another batch size.
    for (const [i, q] of all.entries()) expect(sameBytes((await r.render([q]))[0]!, copies[i]!)).toBe(true);
    const rev = await r.render([...all].reverse());
    rev.reverse().forEach((f, i) => expect(sameBytes(f, copies[i]!)).toBe(true));
    const again = await r.render([req(scene, pose(0, 0, 0))]);
    expect(sameBytes(again[0]!, facing)).toBe(true);
    const r2 = await WebGpuRenderer.launch();
    try {
      (await r2.render(all)).forEach((f, i) => expect(sameBytes(f, copies[i]!)).toBe(true));
    } finally {
      await r2.close();
    }
  }, 120_000);

  it('gives the same bytes in another process', async () => {
    const mine = (await r.render(sampleRequests())).map((f) => createHash('sha256').update(f.data).digest('hex'));
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/render-child.ts'], { encoding: 'utf8', timeout: 120_000 });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim().split('\n').pop()!)).toEqual(mine);
  }, 150_000);

  it('is pixel-close to the Chromium renderer on the shipped scenes', async () => {
    const all = sampleRequests();
    const mine = await r.render(all);
    const c = await ChromiumRenderer.launch();
    let theirs: Frame[];
    try {
      theirs = await c.render(all);
    } finally {
      await c.close();
    }
    const d = mine.map((f, i) => frameDiff(f, theirs[i]!));
    const mean = d.reduce((s, x) => s + x.mean, 0) / d.length;
    console.log(`webgpu vs chromium over ${d.length} frames: mean |Δ| ${mean.toFixed(2)} (worst frame ${Math.max(...d.map((x) => x.mean)).toFixed(2)}), max |Δ| ${Math.max(...d.map((x) => x.max))}, values off by > 32: ${(100 * Math.max(...d.map((x) => x.over32))).toFixed(2)}% at most`);
    // Same scenes, lights, shadows and noise: differences are edge pixels (rasterisation rules,
    // no anti-aliasing either side), not content.
    for (const x of d) {
      expect(x.mean).toBeLessThan(1.5);
      expect(x.over32).toBeLessThan(0.02);
    }
  }, 120_000);

  it('a device lost mid-run: the loop restarts the renderer, redoes the episodes in flight, same rows', async () => {
    const suites = loadSuites(['scenes/nav-id-v2.json']);
    const eps = planEpisodes(suites, 1).slice(0, 4);
    const run = async (renderer: WebGpuRenderer, loseAt?: number) => {
      let calls = 0;
      const wrapped = {
        render: (q: Parameters<WebGpuRenderer['render']>[0]) => {
          if (++calls === loseAt) renderer.loseDevice();
          return renderer.render(q);
        },
        describe: () => renderer.describe(),
        restart: () => renderer.restart(),
        close: async () => undefined,
      };
      const policy = await loadPolicy('policies/demo-simple-finetuned', { device: 'cpu' });
      const restarts: string[][] = [];
      try {
        const rows = await runEpisodes(policy, eps, { profile: DEFAULT_PROFILE, batchSize: 2, renderer: wrapped, onRendererRestart: ({ redo }) => restarts.push(redo) });
        return { rows: rows.map((x) => JSON.stringify({ ...x, timing: null })), restarts };
      } finally {
        await policy.close();
      }
    };
    const clean = await run(r);
    const lost = await run(r, 5);
    expect(lost.restarts).toHaveLength(1);
    expect(lost.restarts[0]!.length).toBe(2);
    expect(lost.rows).toEqual(clean.rows);
  }, 120_000);

  // Last on `r`: loses its device.
  it('a lost device is a RendererCrashedError; restart() renders the same bytes again', async () => {
    const before = Number(r.describe().restarts); // the mid-run test above restarted it once already
    r.loseDevice();
    await expect(r.render([req(scene, pose(0, 0, 0))])).rejects.toBeInstanceOf(RendererCrashedError);
    await r.restart();
    const [f] = await r.render([req(scene, pose(0, 0, 0))]);
    expect(sameBytes(f!, facing)).toBe(true);
    expect(r.describe().restarts).toBe(before + 1);
  }, 60_000);
});

describe('--renderer on a machine where WebGPU cannot run (Dawn pointed at a Vulkan driver that does not exist)', () => {
  // SIMGATE_VK_ICD: Dawn's driver only (VK_ICD_FILENAMES would take Chromium's SwiftShader away too).
  const noDriver = { SIMGATE_VK_ICD: '/nonexistent/simgate-no-icd.json' };
  it('auto renders with Chromium and says why in one line; the results record Chromium; explicit webgpu exits 2', async () => {
    const { dir, suite } = miniSetup('simgate-renderer-fallback-', 1);
    const args = (renderer: string, out: string) => ['run', '--policy', 'policies/demo-simple-finetuned', '--suite', suite, '--episodes-per-scene', '1', '--renderer', renderer, '--out', join(dir, out)];
    const [auto, webgpu] = await Promise.all([cli(args('auto', 'auto'), noDriver), cli(args('webgpu', 'webgpu'), noDriver)]);
    expect([0, 1], auto.stderr).toContain(auto.code);
    const lines = auto.stderr.split('\n').filter((l) => /WebGPU unavailable/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/rendering with Chromium/);
    expect(readResults(join(dir, 'auto')).environment.renderer).toMatchObject({ kind: 'chromium' });
    expect(webgpu.code, webgpu.stderr).toBe(2);
    expect(webgpu.stderr).toMatch(/renderer webgpu: .*SIMGATE_VK_ICD=\/nonexistent/);
    expect(webgpu.stderr).toMatch(/--renderer chromium/);
  }, 120_000);
});

describe('the renderer in the plan', () => {
  it('is part of the plan hash when a policy sees frames (kind and driver), and not otherwise', async () => {
    const suites = loadSuites(['scenes/nav-id-v2.json']);
    const all = planEpisodes(suites, 1);
    const config = parseConfig({ policies: ['policies/demo-simple-finetuned', 'oracle'], suites: ['scenes/nav-id-v2.json'], episodesPerScene: 1 }, 'test');
    const image = [await loadPolicy('policies/demo-simple-finetuned', { device: 'cpu' }), await loadPolicy('oracle', { device: 'cpu' })];
    try {
      const as = (kind: 'chromium' | 'webgpu', driver: string) => identifyPlan(config, suites, all, image, { resolveRenderer: async () => ({ kind, driver }) });
      const [c, w, w2] = await Promise.all([as('chromium', 'swiftshader'), as('webgpu', 'lavapipe'), as('webgpu', 'gpu')]);
      expect(new Set([c.hash, w.hash, w2.hash]).size).toBe(3);
      expect((await as('webgpu', 'lavapipe')).hash).toBe(w.hash);
      // Scripted policies only: no frames, no renderer resolved, the same hash whatever is asked.
      const scripted = [image[1]!];
      let asked = 0;
      const s = await identifyPlan(parseConfig({ ...config, policies: ['oracle'] }, 'test'), suites, all, scripted, { resolveRenderer: async () => (asked++, { kind: 'webgpu', driver: 'gpu' }) });
      expect(asked).toBe(0);
      expect(s.render).toBeUndefined();
    } finally {
      for (const p of image) await p.close();
    }
  });
});
