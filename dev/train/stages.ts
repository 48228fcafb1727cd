/**
 * The training stages: proxy pretraining of the vision encoder, the frozen-encoder head, and end to
 * end training (one per output kind, given its loss). Each runs seeded Adam epochs and reports.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/util/rng';
import { episodeBatch, shuffled, windowOf, type Data } from './batches';
import { FRAME_FLOATS, SIDE, type DemoEpisode } from './collect';
import { continuousLoss, type LossFn } from './losses';
import { encode, FEAT, fromVars, head, initEncoder, initHead, initProxy, mse, toVars, WINDOW, type Weights } from './model';

export interface StageReport {
  name: string;
  epochs: number;
  steps: number;
  seconds: number;
  finalLoss: number;
  lossName: string;
}

/** opt.minimize with the cost returned (never null when returnCost is true). */
function minimize(opt: tf.Optimizer, f: () => tf.Scalar, _returnCost: true): tf.Scalar {
  return opt.minimize(f, true) as tf.Scalar;
}

async function stage(name: string, lossName: string, epochs: number, log: (l: string) => void, runEpoch: (epoch: number) => Promise<{ loss: number; steps: number }>): Promise<StageReport> {
  const t0 = performance.now();
  let last = NaN;
  let steps = 0;
  for (let e = 0; e < epochs; e++) {
    const r = await runEpoch(e);
    last = r.loss;
    steps += r.steps;
    if (e === 0 || e === epochs - 1 || (e + 1) % 4 === 0) log(`${name}: epoch ${e + 1}/${epochs} ${lossName} ${r.loss.toFixed(5)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return { name, epochs, steps, seconds: (performance.now() - t0) / 1000, finalLoss: last, lossName };
}

export function pretrainEncoder(data: Data, rng: Rng, epochs: number, log: (l: string) => void): Promise<{ weights: Weights; report: StageReport }> {
  const enc = toVars(initEncoder(rng));
  const proxy = toVars(initProxy(rng));
  const opt = tf.train.adam(1e-3);
  const targets = data.episodes.flatMap((e) => e.proxy);
  const B = 128;
  const order = Array.from({ length: data.total }, (_, i) => i);
  return stage('pretrain (proxy)', 'mse', epochs, log, async () => {
    const idx = shuffled(order, rng);
    let sum = 0;
    let steps = 0;
    for (let s = 0; s < idx.length; s += B) {
      const rows = idx.slice(s, s + B);
      const x = new Float32Array(rows.length * FRAME_FLOATS);
      rows.forEach((r, i) => x.set(data.frames.subarray(r * FRAME_FLOATS, (r + 1) * FRAME_FLOATS), i * FRAME_FLOATS));
      const y = rows.map((r) => targets[r] as number[]);
      const loss = tf.tidy(() =>
        minimize(opt, () => {
          const f = encode(enc, tf.tensor4d(x, [rows.length, SIDE, SIDE, 3]));
          return mse(tf.add(tf.matMul(f, proxy.pw as tf.Tensor2D), proxy.pb as tf.Tensor), tf.tensor2d(y));
        }, true),
      ) as tf.Scalar;
      sum += (await loss.data())[0] as number;
      loss.dispose();
      steps++;
    }
    return { loss: sum / steps, steps };
  }).then((report) => {
    const weights = fromVars(enc);
    Object.values(enc).forEach((v) => v.dispose());
    Object.values(proxy).forEach((v) => v.dispose());
    opt.dispose();
    return { weights, report };
  });
}

/** Per-frame features of every frame with a fixed encoder. */
function featuresOf(data: Data, encW: Weights): Float32Array {
  const enc = toVars(encW, false);
  const out = new Float32Array(data.total * FEAT);
  const B = 256;
  for (let s = 0; s < data.total; s += B) {
    const n = Math.min(B, data.total - s);
    const f = tf.tidy(() => encode(enc, tf.tensor4d(data.frames.subarray(s * FRAME_FLOATS, (s + n) * FRAME_FLOATS), [n, SIDE, SIDE, 3])));
    out.set(f.dataSync() as Float32Array, s * FEAT);
    f.dispose();
  }
  Object.values(enc).forEach((v) => v.dispose());
  return out;
}

export async function trainFrozen(data: Data, encW: Weights, rng: Rng, epochs: number, log: (l: string) => void): Promise<{ weights: Weights; report: StageReport }> {
  const feats = featuresOf(data, encW);
  const V = data.vocab.tokens.length;
  const hd = toVars(initHead(rng, V, 2));
  const opt = tf.train.adam(1e-3);
  // Samples: (episode, step); window features straight from the fixed per-frame features.
  const samples: [number, number][] = [];
  data.episodes.forEach((ep, e) => ep.actions.forEach((_, s) => samples.push([e, s])));
  const B = 64;
  const report = await stage('frozen head', 'mse', epochs, log, async () => {
    const idx = shuffled(samples, rng);
    let sum = 0;
    let steps = 0;
    for (let s = 0; s < idx.length; s += B) {
      const rows = idx.slice(s, s + B);
      const win = new Float32Array(rows.length * WINDOW * FEAT);
      const counts = new Float32Array(rows.length * V);
      const labels: number[][] = [];
      rows.forEach(([e, st], i) => {
        const start = data.starts[e] as number;
        for (let t = 0; t < WINDOW; t++) {
          const f = start + Math.max(0, st - (WINDOW - 1 - t));
          win.set(feats.subarray(f * FEAT, (f + 1) * FEAT), (i * WINDOW + t) * FEAT);
        }
        counts.set(data.counts[e] as Float32Array, i * V);
        labels.push((data.episodes[e] as DemoEpisode).actions[st] as number[]);
      });
      const loss = tf.tidy(() =>
        minimize(opt, () => continuousLoss(head(hd, tf.tensor2d(win, [rows.length, WINDOW * FEAT]), tf.tensor2d(counts, [rows.length, V])), labels), true),
      ) as tf.Scalar;
      sum += (await loss.data())[0] as number;
      loss.dispose();
      steps++;
    }
    return { loss: sum / steps, steps };
  });
  const weights = { ...encW, ...fromVars(hd) };
  Object.values(hd).forEach((v) => v.dispose());
  opt.dispose();
  return { weights, report };
}

export async function trainEndToEnd(name: string, lossName: string, data: Data, encW: Weights, rng: Rng, outDim: number, lossFn: LossFn, epochs: number, log: (l: string) => void): Promise<{ weights: Weights; report: StageReport }> {
  const V = data.vocab.tokens.length;
  const enc = toVars(encW);
  const hd = toVars(initHead(rng, V, outDim));
  const opt = tf.train.adam(1e-3);
  const EPS = 8;
  const order = data.episodes.map((_, i) => i);
  const report = await stage(name, lossName, epochs, log, async () => {
    const idx = shuffled(order, rng);
    let sum = 0;
    let steps = 0;
    for (let s = 0; s < idx.length; s += EPS) {
      const b = episodeBatch(data, idx.slice(s, s + EPS));
      const loss = tf.tidy(() =>
        minimize(opt, () => {
          const f = encode(enc, tf.tensor4d(b.x, [b.n, SIDE, SIDE, 3]));
          return lossFn(head(hd, windowOf(b.select, f, b.n), tf.tensor2d(b.counts, [b.n, V])), b.labels);
        }, true),
      ) as tf.Scalar;
      sum += (await loss.data())[0] as number;
      loss.dispose();
      steps++;
    }
    return { loss: sum / steps, steps };
  });
  const weights = { ...fromVars(enc), ...fromVars(hd) };
  Object.values(enc).forEach((v) => v.dispose());
  Object.values(hd).forEach((v) => v.dispose());
  opt.dispose();
  return { weights, report };
}
