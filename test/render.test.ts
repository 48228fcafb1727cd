import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/util/errors';
import { ChromiumRenderer } from '../src/render/chromium-renderer';
import { RendererCrashedError } from '../src/render/errors';
import { applySensorNoise } from '../src/render/noise';
import { decodePng, encodePng } from '../src/image/png';
import type { Frame } from '../src/image/frame';
import { makeScene, pictureSanity, pose, req, sameBytes } from './helpers/render';

describe('ChromiumRenderer (real headless Chromium)', () => {
  let r: ChromiumRenderer;
  const scene = makeScene();
  let facing: Frame;

  beforeAll(async () => {
    r = await ChromiumRenderer.launch();
  }, 120_000);
  afterAll(async () => {
    await r?.close();
  });

  it('describes itself with a WebGL renderer string', () => {
    const d = r.describe();
    expect(String(d.browser)).toMatch(/Chrom/);
    expect(String(d.webgl)).toMatch(/WebGL 2/);
    expect(String(d.glRenderer).length).toBeGreaterThan(3);
  });

  pictureSanity(() => r, (f) => (facing = f));

  it('gives bit-identical frames in a second launch, and relaunches itself with autoRestart', async () => {
    const poses = [pose(0, 0, 0), pose(0.4, 0.3, -0.4), pose(1.0, -0.5, 2.0)];
    const first = await r.render(poses.map((p) => req(scene, p)));
    expect(sameBytes(first[0]!, facing)).toBe(true); // same renderer, same pose, later call
    const r2 = await ChromiumRenderer.launch({ autoRestart: true, pages: 2 });
    try {
      const second = await r2.render(poses.map((p) => req(scene, p)));
      second.forEach((f, i) => expect(sameBytes(f, first[i]!)).toBe(true));
      process.kill(-r2.pid()!, 'SIGKILL');
      // Let the dead pipe be noticed (a render already in flight would throw RendererCrashedError).
      for (let i = 0; i < 200 && r2.healthy; i++) await new Promise((res) => setTimeout(res, 50));
      expect(r2.healthy).toBe(false);
      const again = await r2.render(poses.map((p) => req(scene, p)));
      again.forEach((f, i) => expect(sameBytes(f, first[i]!)).toBe(true));
      expect(r2.describe().restarts).toBe(1);
    } finally {
      await r2.close();
    }
  }, 180_000); // two launches; seconds on an idle machine, much more on a crowded 2-core CI box

  // Last on `r`: kills its browser. (restart() itself is covered by autoRestart above, which calls it.)
  it('throws RendererCrashedError once the browser has died', async () => {
    process.kill(-r.pid()!, 'SIGKILL');
    await expect(r.render([req(scene, pose(0, 0, 0))])).rejects.toBeInstanceOf(RendererCrashedError);
    expect(r.healthy).toBe(false);
    await expect(r.render([req(scene, pose(0, 0, 0))])).rejects.toThrow(/restart\(\)/);
  });
});

describe('render helpers', () => {
  it('a missing browser is a ConfigError that says how to get one', async () => {
    const old = process.env.SIMGATE_CHROMIUM;
    process.env.SIMGATE_CHROMIUM = '/nonexistent/chromium';
    try {
      const err = await ChromiumRenderer.launch().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain('/nonexistent/chromium');
      expect((err as ConfigError).hint).toContain('apt-get install -y chromium');
      expect((err as ConfigError).hint).toContain('SIMGATE_CHROMIUM');
    } finally {
      if (old === undefined) delete process.env.SIMGATE_CHROMIUM;
      else process.env.SIMGATE_CHROMIUM = old;
    }
  });

  it('sensor noise is deterministic per seed and has about the asked std', () => {
    const base = (): Frame => ({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) });
    const a = applySensorNoise(base(), 8, 42);
    const b = applySensorNoise(base(), 8, 42);
    const c = applySensorNoise(base(), 8, 43);
    expect(sameBytes(a, b)).toBe(true);
    expect(sameBytes(a, c)).toBe(false);
    let s = 0;
    let s2 = 0;
    for (const v of a.data) {
      s += v - 128;
      s2 += (v - 128) ** 2;
    }
    const n = a.data.length;
    expect(Math.abs(s / n)).toBeLessThan(0.5);
    expect(Math.sqrt(s2 / n)).toBeGreaterThan(7);
    expect(Math.sqrt(s2 / n)).toBeLessThan(9);
  });

  it('PNG encode/decode round-trips RGB exactly', () => {
    const f: Frame = { width: 5, height: 3, data: Uint8Array.from({ length: 45 }, (_, i) => (i * 37) % 256) };
    const g = decodePng(encodePng(f));
    expect(sameBytes(f, g)).toBe(true);
  });
});
