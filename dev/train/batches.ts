/**
 * Training data in memory: the demonstrations flattened into one frame array with per-episode
 * instruction counts, seeded shuffling, and batches of whole episodes with their frame windows.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/util/rng';
import { FRAME_FLOATS, type DemoEpisode } from './collect';
import { INPUT_LENGTH } from './export';
import { WINDOW } from './model';
import { buildVocab, encodeInstruction, type Vocab } from './vocab';

export interface Data {
  episodes: DemoEpisode[];
  /** Global frame index of each episode's first frame. */
  starts: number[];
  frames: Float32Array;
  total: number;
  counts: Float32Array[]; // per episode, bag-of-words (V)
  vocab: Vocab;
}

export function prepare(demos: DemoEpisode[]): Data {
  const vocab = buildVocab([...new Set(demos.map((d) => d.instruction))]);
  const starts: number[] = [];
  let total = 0;
  for (const d of demos) {
    starts.push(total);
    total += d.actions.length;
  }
  const frames = new Float32Array(total * FRAME_FLOATS);
  demos.forEach((d, i) => frames.set(d.frames, (starts[i] as number) * FRAME_FLOATS));
  const counts = demos.map((d) => {
    const c = new Float32Array(vocab.tokens.length);
    for (const id of encodeInstruction(vocab, d.instruction).slice(0, INPUT_LENGTH)) c[id] = (c[id] as number) + 1;
    return c;
  });
  return { episodes: demos, starts, frames, total, counts, vocab };
}

/** Fisher–Yates with the project's seeded RNG. */
export function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** Rows of a batch of whole episodes: their frames, window selectors, instruction counts, labels. */
export interface EpisodeBatch {
  n: number;
  x: Float32Array;
  /** WINDOW selection matrices (n×n): row i picks the frame at window position t of sample i. */
  select: Float32Array[];
  counts: Float32Array;
  labels: number[][];
}

export function episodeBatch(data: Data, eps: readonly number[]): EpisodeBatch {
  const n = eps.reduce((s, e) => s + (data.episodes[e] as DemoEpisode).actions.length, 0);
  const V = data.vocab.tokens.length;
  const x = new Float32Array(n * FRAME_FLOATS);
  const select = Array.from({ length: WINDOW }, () => new Float32Array(n * n));
  const counts = new Float32Array(n * V);
  const labels: number[][] = [];
  let row = 0;
  for (const e of eps) {
    const ep = data.episodes[e] as DemoEpisode;
    const len = ep.actions.length;
    x.set(ep.frames, row * FRAME_FLOATS);
    for (let s = 0; s < len; s++) {
      const i = row + s;
      // Window position t holds frame s − (WINDOW−1−t); an episode's start repeats its first frame (policy.ts).
      for (let t = 0; t < WINDOW; t++) (select[t] as Float32Array)[i * n + row + Math.max(0, s - (WINDOW - 1 - t))] = 1;
      counts.set(data.counts[e] as Float32Array, i * V);
      labels.push(ep.actions[s] as number[]);
    }
    row += len;
  }
  return { n, x, select, counts, labels };
}

export function windowOf(select: readonly Float32Array[], feats: tf.Tensor2D, n: number): tf.Tensor2D {
  return tf.concat(
    select.map((s) => tf.matMul(tf.tensor2d(s, [n, n]), feats)),
    1,
  ) as tf.Tensor2D;
}
