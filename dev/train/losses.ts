/**
 * Training losses per output kind: continuous (tanh → MSE), binned (soft cross-entropy over
 * Gaussian-smoothed bin targets) and text (per-slot cross-entropy over the vocabulary).
 */
import * as tf from '@tensorflow/tfjs-core';
import { binOf } from '../../src/policy/onnx/decoders';
import { mse, softCrossEntropy } from './model';
import { actionSlots, TEXT_SLOTS, type Vocab } from './vocab';

export const BINS = 256;

export type LossFn = (out: tf.Tensor2D, labels: number[][]) => tf.Scalar;

export const continuousLoss: LossFn = (out, labels) => mse(tf.tanh(out), tf.tensor2d(labels));

/** Soft targets: a Gaussian (σ = 2 bins) around the label's bin, so neighbouring bins share credit. */
function binTargets(labels: number[][]): Float32Array {
  const t = new Float32Array(labels.length * 2 * BINS);
  labels.forEach((a, i) => {
    for (let d = 0; d < 2; d++) {
      const c = binOf(a[d] as number, BINS, -1, 1);
      let z = 0;
      const base = (i * 2 + d) * BINS;
      for (let b = Math.max(0, c - 8); b <= Math.min(BINS - 1, c + 8); b++) z += (t[base + b] = Math.exp(-((b - c) ** 2) / 8));
      for (let b = Math.max(0, c - 8); b <= Math.min(BINS - 1, c + 8); b++) t[base + b] = (t[base + b] as number) / z;
    }
  });
  return t;
}
export const binnedLoss: LossFn = (out, labels) => softCrossEntropy(tf.reshape(out, [labels.length * 2, BINS]) as tf.Tensor2D, tf.tensor2d(binTargets(labels), [labels.length * 2, BINS]));

export function textLoss(vocab: Vocab): LossFn {
  const V = vocab.tokens.length;
  return (out, labels) => {
    const t = new Float32Array(labels.length * TEXT_SLOTS * V);
    labels.forEach((a, i) => actionSlots(a).forEach((tok, s) => (t[(i * TEXT_SLOTS + s) * V + vocab.id(tok)] = 1)));
    return softCrossEntropy(tf.reshape(out, [labels.length * TEXT_SLOTS, V]) as tf.Tensor2D, tf.tensor2d(t, [labels.length * TEXT_SLOTS, V]));
  };
}
