/**
 * Getting the oracle demonstrations for training: rendered by collect.ts one wave (all scenes ×
 * one seed) at a time, optionally through an on-disk cache of waves.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ChromiumRenderer } from '../../src/render/chromium-renderer';
import { PAGE_DIR } from '../../src/render/server';
import { loadSuite } from '../../src/scene/load';
import { sha256 } from '../../src/util/hash';
import { collectDemos, DEFAULT_COLLECT, FRAME_FLOATS, type DemoEpisode } from './collect';

export interface DemoOptions {
  suiteFile: string;
  seedsPerScene: number;
  /** Reuse (or write) collected demonstrations under this folder. */
  cacheDir?: string;
  /** Render the seeds in reverse order (a second collector filling the same cache from the other end). */
  reverse?: boolean;
}

/** sha256 of the in-page render code (src/render/page/*.js). */
function renderPageDigest(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(PAGE_DIR).filter((n) => n.endsWith('.js')).sort()) h.update(f).update(readFileSync(join(PAGE_DIR, f)));
  return h.digest('hex').slice(0, 12);
}

/**
 * The demonstrations, one wave (all scenes × one seed) at a time. With a cache folder each wave is
 * stored as it finishes and reused later; two processes may fill one cache from opposite ends
 * (`reverse`), which only matters for wall time: the data are the same either way.
 */
export async function getDemos(opts: DemoOptions, log: (l: string) => void): Promise<{ demos: DemoEpisode[]; seconds: number }> {
  const suite = loadSuite(opts.suiteFile);
  // The page code is part of the key: frames rendered by an older renderer must not be reused.
  const key = sha256(JSON.stringify({ hashes: suite.sceneHashes, c: DEFAULT_COLLECT, page: renderPageDigest(), v: 2 })).slice(0, 12);
  const seeds = Array.from({ length: opts.seedsPerScene }, (_, i) => DEFAULT_COLLECT.seedBase + i);
  if (opts.reverse) seeds.reverse();
  const t0 = performance.now();
  let renderer: ChromiumRenderer | undefined;
  const bySeed = new Map<number, DemoEpisode[]>();
  try {
    for (const seed of seeds) {
      const cache = opts.cacheDir ? join(opts.cacheDir, `wave-${key}-${seed}`) : undefined;
      if (cache && existsSync(`${cache}.json`) && existsSync(`${cache}.f32`)) {
        bySeed.set(seed, readWave(cache));
        continue;
      }
      renderer ??= await ChromiumRenderer.launch({ pages: 2 });
      const wave = await collectDemos({ suite, renderer, seedsPerScene: opts.seedsPerScene, onlySeeds: [seed] });
      bySeed.set(seed, wave);
      log(`data: seed ${seed}: ${wave.length} episodes, ${wave.reduce((n, d) => n + d.actions.length, 0)} frames (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      if (cache) writeWave(cache, wave);
    }
  } finally {
    await renderer?.close();
  }
  const demos = [...bySeed.keys()].sort((a, b) => a - b).flatMap((s) => bySeed.get(s) as DemoEpisode[]);
  return { demos, seconds: (performance.now() - t0) / 1000 };
}

function writeWave(path: string, wave: DemoEpisode[]): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const total = wave.reduce((s, d) => s + d.frames.length, 0);
  const all = new Float32Array(total);
  let off = 0;
  for (const d of wave) {
    all.set(d.frames, off);
    off += d.frames.length;
  }
  // Frames first, then the index: a reader never sees an index without its frames.
  writeFileSync(`${path}.f32.tmp`, Buffer.from(all.buffer));
  renameSync(`${path}.f32.tmp`, `${path}.f32`);
  writeFileSync(`${path}.json.tmp`, JSON.stringify(wave.map(({ frames, ...rest }) => ({ ...rest, n: frames.length / FRAME_FLOATS }))));
  renameSync(`${path}.json.tmp`, `${path}.json`);
}

function readWave(path: string): DemoEpisode[] {
  const meta = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as (Omit<DemoEpisode, 'frames'> & { n: number })[];
  const buf = readFileSync(`${path}.f32`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let off = 0;
  return meta.map(({ n, ...rest }) => {
    const frames = all.slice(off, off + n * FRAME_FLOATS);
    off += n * FRAME_FLOATS;
    return { ...rest, frames };
  });
}
