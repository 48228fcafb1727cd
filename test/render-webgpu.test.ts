/**
 * The WebGPU renderer (three.js WebGPURenderer inside Node on Dawn), against the real driver this
 * machine has (lavapipe, SwiftShader's Vulkan driver or a GPU): the same picture sanity as
 * Chromium, bit-identical frames across batch sizes, instances and processes, pixel-close to
 * Chromium on the shipped scenes, a lost device recovered by restart(). CI sets
 * SIMGATE_REQUIRE_WEBGPU=1 so that a machine without a working driver fails here instead of
 * skipping.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeWebGpu } from '../src/render/launch';
import { WebGpuRenderer } from '../src/render/webgpu/renderer';
import { ChromiumRenderer } from '../src/render/chromium-renderer';
import { RendererCrashedError } from '../src/render/errors';
import { frameDiff, makeScene, pictureSanity, pose, req, sameBytes, sampleRequests } from './helpers/render';
import type { Frame } from '../src/image/frame';

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

  // Last on `r`: loses its device.
  it('a lost device is a RendererCrashedError; restart() renders the same bytes again', async () => {
    r.loseDevice();
    await expect(r.render([req(scene, pose(0, 0, 0))])).rejects.toBeInstanceOf(RendererCrashedError);
    await r.restart();
    const [f] = await r.render([req(scene, pose(0, 0, 0))]);
    expect(sameBytes(f!, facing)).toBe(true);
    expect(r.describe().restarts).toBe(1);
  }, 60_000);
});
