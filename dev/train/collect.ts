/**
 * Oracle demonstrations rendered in the simulator: the data the trained demo policies learn from.
 *
 * Each episode runs the in-distribution suite's scene with the scripted oracle (privileged state)
 * as the teacher. To get recovery states (DART-style noise injection), the action that is
 * *executed* is sometimes the oracle's direction rotated by a random angle, while the *label* is
 * always the oracle's clean action for the state actually reached. Everything is seeded: the same
 * options give the same frames, labels and proxy targets.
 *
 * Frames are stored as the model sees them after its first layer: the standard 224² camera frame,
 * normalised exactly as the manifest says (src/policy/onnx/preprocess.ts, CLIP mean/std), then
 * 4×4 average-pooled to 56×56, NHWC float32.
 */
import type { LoadedSuite } from '../../src/scene/load';
import { suiteEpisodes, type EpisodeSpec } from '../../src/sim/episode';
import type { Observation } from '../../src/sim/observation';
import { DEFAULT_PROFILE, makeProfile } from '../../src/sim/profile';
import { VecNavEnv } from '../../src/sim/vec-env';
import type { Renderer } from '../../src/sim/camera';
import type { Frame } from '../../src/image/frame';
import { OraclePolicy } from '../../src/policy/scripted/oracle';
import { preprocessFrame } from '../../src/policy/onnx/preprocess';
import type { ImageSpec } from '../../src/policy/onnx/manifest';
import { CLIP_MEAN, CLIP_STD } from '../../src/policy/onnx/manifest';
import { seedFrom } from '../../src/util/hash';
import { Rng } from '../../src/util/rng';

/** The bench's camera size (square): demonstrations are rendered with the default profile. */
export const CAMERA = DEFAULT_PROFILE.camera.width;
export const POOL = 4;
export const SIDE = CAMERA / POOL; // 56
export const FRAME_FLOATS = SIDE * SIDE * 3;

/** The manifest image spec all trained policies use (defaults spelled out). */
export const IMAGE_SPEC: ImageSpec = {
  input: 'pixel_values',
  layout: 'NCHW',
  size: [CAMERA, CAMERA],
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [...CLIP_MEAN],
  std: [...CLIP_STD],
  dtype: 'float32',
};

export interface DemoEpisode {
  sceneId: string;
  seed: number;
  instruction: string;
  side: 'left' | 'right';
  /** Pooled frames, one per control step (NHWC 56×56×3 each), concatenated. */
  frames: Float32Array;
  /** Oracle action [lx, ly] (unit vector) per frame. */
  actions: number[][];
  /**
   * Proxy ("grounding") targets per frame, robot frame, metres / 2: [goal x, goal y, nearest box x,
   * nearest box y]. Used only to pretrain the image encoder, never as policy input.
   */
  proxy: number[][];
  outcome: string;
}

export interface CollectOptions {
  suite: LoadedSuite;
  renderer: Renderer;
  /** Seeds per scene; seeds are seedBase, seedBase+1, … (kept clear of the bench's 0…n-1). */
  seedsPerScene: number;
  seedBase?: number;
  /** Collect only these seeds (each in seedBase…seedBase+seedsPerScene−1); default all. */
  onlySeeds?: readonly number[];
  /** Probability that a step's executed action is perturbed, and the max rotation (degrees). */
  noiseProb?: number;
  noiseDeg?: number;
  /** Start jitter used for collection (wider than the bench's default 3 cm / 3°). */
  startJitter?: { xy: number; yawDeg: number };
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_COLLECT = { seedBase: 1000, noiseProb: 0.3, noiseDeg: 45, startJitter: { xy: 0.08, yawDeg: 8 }, batch: 16 };

/** 3×224×224 NCHW normalised → 56×56×3 NHWC, mean of each 4×4 block (float32 sums in a fixed order). */
export function poolFrame(chw: Float32Array, size = CAMERA, k = POOL): Float32Array {
  const s = size / k;
  const plane = size * size;
  const out = new Float32Array(s * s * 3);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        let sum = 0;
        for (let dy = 0; dy < k; dy++) {
          const row = c * plane + (y * k + dy) * size + x * k;
          for (let dx = 0; dx < k; dx++) sum += chw[row + dx] as number;
        }
        out[(y * s + x) * 3 + c] = sum / (k * k);
      }
    }
  }
  return out;
}

export function pooledInput(frame: Frame): Float32Array {
  return poolFrame(preprocessFrame(frame, IMAGE_SPEC));
}

/** Robot-frame coordinates of a world point, /2 (so room-scale values stay within about ±1.5). */
function rel(obs: Observation, px: number, py: number): [number, number] {
  const { x, y, yaw } = obs.state.pose;
  const dx = px - x;
  const dy = py - y;
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return [(c * dx + s * dy) / 2, (-s * dx + c * dy) / 2];
}

export function proxyTargets(obs: Observation): number[] {
  const { scene, pose } = obs.state;
  const g = rel(obs, scene.goal.x, scene.goal.y);
  let best: [number, number] = [0, 0];
  let bestD = Infinity;
  for (const o of scene.obstacles) {
    const d = Math.hypot(o.pose.x - pose.x, o.pose.y - pose.y);
    if (d < bestD) {
      bestD = d;
      best = rel(obs, o.pose.x, o.pose.y);
    }
  }
  return [g[0], g[1], best[0], best[1]];
}

function rotate(a: readonly number[], deg: number): number[] {
  const t = (deg * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  return [c * (a[0] as number) - s * (a[1] as number), s * (a[0] as number) + c * (a[1] as number)];
}

/** Runs the oracle on every scene × seed of the suite and returns the demonstrations in episode order. */
export async function collectDemos(opts: CollectOptions): Promise<DemoEpisode[]> {
  const seedBase = opts.seedBase ?? DEFAULT_COLLECT.seedBase;
  const noiseProb = opts.noiseProb ?? DEFAULT_COLLECT.noiseProb;
  const noiseDeg = opts.noiseDeg ?? DEFAULT_COLLECT.noiseDeg;
  const B = opts.batch ?? DEFAULT_COLLECT.batch;
  const all = suiteEpisodes(opts.suite, seedBase + opts.seedsPerScene)
    .filter((e) => e.seed >= seedBase && (!opts.onlySeeds || opts.onlySeeds.includes(e.seed)))
    .sort((a, b) => a.seed - b.seed || a.scene.id.localeCompare(b.scene.id));
  const oracle = new OraclePolicy(false);
  const env = new VecNavEnv(B, {
    profile: makeProfile({}),
    actionMode: 'pulse',
    renderer: opts.renderer,
    startJitter: opts.startJitter ?? DEFAULT_COLLECT.startJitter,
    // A graze is not the end of a demonstration: the oracle's next labels show how to get clear.
    endOnCollision: false,
  });
  const out: DemoEpisode[] = [];
  try {
    for (let start = 0; start < all.length; start += B) {
      const wave = all.slice(start, start + B);
      const recs = wave.map((ep) => ({
        ep,
        rng: new Rng(seedFrom('simgate-train-noise', ep.id)),
        frames: [] as Float32Array[],
        actions: [] as number[][],
        proxy: [] as number[][],
        outcome: 'timeout',
      }));
      for (let i = 0; i < wave.length; i++) await env.reset(i, wave[i] as EpisodeSpec);
      let live = new Map<number, Observation>();
      const first = await env.observe(wave.map((_, i) => i));
      first.forEach((o, i) => live.set(i, o));
      while (live.size) {
        const batch: { slot: number; action: number[] }[] = [];
        for (const [slot, obs] of live) {
          const r = recs[slot]!;
          const label = oracle.actOne(slot, obs);
          r.frames.push(pooledInput(obs.image as Frame));
          r.actions.push(label);
          r.proxy.push(proxyTargets(obs));
          const perturb = r.rng.next() < noiseProb;
          const angle = r.rng.uniform(-noiseDeg, noiseDeg);
          batch.push({ slot, action: perturb ? rotate(label, angle) : label });
        }
        const results = await env.step(batch);
        const next = new Map<number, Observation>();
        results.forEach((res, k) => {
          const slot = batch[k]!.slot;
          if (res.obs) next.set(slot, res.obs);
          else recs[slot]!.outcome = res.info.outcome ?? 'done';
        });
        live = next;
      }
      for (const r of recs) {
        const frames = new Float32Array(r.frames.length * FRAME_FLOATS);
        r.frames.forEach((f, i) => frames.set(f, i * FRAME_FLOATS));
        out.push({
          sceneId: r.ep.scene.id,
          seed: r.ep.seed,
          instruction: r.ep.scene.instruction.text,
          side: r.ep.scene.instruction.side,
          frames,
          actions: r.actions,
          proxy: r.proxy,
          outcome: r.outcome,
        });
      }
      opts.onProgress?.(Math.min(start + B, all.length), all.length);
    }
  } finally {
    env.close();
  }
  return out;
}
