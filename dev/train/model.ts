/**
 * The trained demo policies' network, in tfjs (wasm backend). Only ops whose gradients the wasm
 * backend can run are used: reshape/transpose/matMul/add/relu/tanh/logSoftmax. Convolutions are
 * patch convolutions (kernel = stride, no padding: "patchify" like a ViT stem), written as
 * reshape + transpose + matMul, so no Conv2DBackpropFilter kernel is needed and they export to
 * ONNX as plain Conv nodes with the same weights.
 *
 *   frame (56×56×3, the 224² frame 4×4 average-pooled)
 *     → patch conv 4×4/4, 3→16, ReLU → 14×14×16
 *     → patch conv 2×2/2, 16→32, ReLU → 7×7×32
 *     → dense 1568→32, ReLU                         = per-frame feature (the "vision encoder")
 *   window of 4 frames' features (oldest first) ‖ instruction embedding (sum of 16-d word vectors)
 *     → dense 144→64, ReLU → output layer            = the "action head"
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/util/rng';
import { SIDE } from './collect';

export const C1 = 16;
export const C2 = 32;
export const FEAT = 32;
export const WINDOW = 4;
export const EMB = 16;
export const HIDDEN = 64;
export const GRID = SIDE / 4 / 2; // 7

export type Weights = Record<string, { shape: number[]; values: Float32Array }>;
export type Vars = Record<string, tf.Variable>;

function uniform(rng: Rng, shape: number[], bound: number): { shape: number[]; values: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.uniform(-bound, bound);
  return { shape, values };
}
const zeros = (shape: number[]) => ({ shape, values: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
/** He-uniform for a ReLU layer with fanIn inputs. */
const he = (rng: Rng, shape: number[], fanIn: number) => uniform(rng, shape, Math.sqrt(6 / fanIn));
const glorot = (rng: Rng, shape: number[], fanIn: number, fanOut: number) => uniform(rng, shape, Math.sqrt(6 / (fanIn + fanOut)));

export function initEncoder(rng: Rng): Weights {
  return {
    w1: he(rng, [4 * 4 * 3, C1], 48),
    b1: zeros([C1]),
    w2: he(rng, [2 * 2 * C1, C2], 4 * C1),
    b2: zeros([C2]),
    w3: he(rng, [GRID * GRID * C2, FEAT], GRID * GRID * C2),
    b3: zeros([FEAT]),
  };
}

/** Linear read-out of the proxy ("grounding") targets from the feature. */
export function initProxy(rng: Rng): Weights {
  return { pw: glorot(rng, [FEAT, 4], FEAT, 4), pb: zeros([4]) };
}

export function initHead(rng: Rng, vocabSize: number, outDim: number): Weights {
  const inDim = WINDOW * FEAT + EMB;
  return {
    // Zero: words never seen in training ([UNK], novel phrasings) contribute nothing.
    emb: zeros([vocabSize, EMB]),
    h1: he(rng, [inDim, HIDDEN], inDim),
    hb1: zeros([HIDDEN]),
    h2: glorot(rng, [HIDDEN, outDim], HIDDEN, outDim),
    hb2: zeros([outDim]),
  };
}

let varCount = 0;
export function toVars(w: Weights, trainable = true): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(w)) out[k] = tf.variable(tf.tensor(v.values, v.shape), trainable, `${k}_${varCount++}`);
  return out;
}

export function fromVars(v: Vars): Weights {
  const out: Weights = {};
  for (const [k, t] of Object.entries(v)) out[k] = { shape: [...t.shape], values: Float32Array.from(t.dataSync() as Float32Array) };
  return out;
}

/** (N,H,W,C) → (N·H/k·W/k, k·k·C), patch vector ordered (ky, kx, c). */
function patches(x: tf.Tensor, k: number): tf.Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const r = tf.reshape(x, [n, h / k, k, w / k, k, c]);
  const t = tf.transpose(r, [0, 1, 3, 2, 4, 5]);
  return tf.reshape(t, [n * (h / k) * (w / k), k * k * c]);
}

/** Frames (N,56,56,3) → features (N,32). */
export function encode(v: Vars, x: tf.Tensor): tf.Tensor2D {
  const n = x.shape[0] as number;
  const s1 = SIDE / 4;
  const a = tf.relu(tf.add(tf.matMul(patches(x, 4) as tf.Tensor2D, v.w1 as tf.Tensor2D), v.b1 as tf.Tensor));
  const b = tf.relu(tf.add(tf.matMul(patches(tf.reshape(a, [n, s1, s1, C1]), 2) as tf.Tensor2D, v.w2 as tf.Tensor2D), v.b2 as tf.Tensor));
  const flat = tf.reshape(b, [n, GRID * GRID * C2]) as tf.Tensor2D;
  return tf.relu(tf.add(tf.matMul(flat, v.w3 as tf.Tensor2D), v.b3 as tf.Tensor)) as tf.Tensor2D;
}

/** Window features (N,128) and bag-of-words counts (N,V) → head output (N,outDim), pre-activation. */
export function head(v: Vars, win: tf.Tensor2D, counts: tf.Tensor2D): tf.Tensor2D {
  const text = tf.matMul(counts, v.emb as tf.Tensor2D);
  const h = tf.relu(tf.add(tf.matMul(tf.concat([win, text], 1) as tf.Tensor2D, v.h1 as tf.Tensor2D), v.hb1 as tf.Tensor)) as tf.Tensor2D;
  return tf.add(tf.matMul(h, v.h2 as tf.Tensor2D), v.hb2 as tf.Tensor) as tf.Tensor2D;
}

export function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(a, b))) as tf.Scalar;
}

/** Mean over rows of −Σ target·log softmax(logits), logits (N,K), target (N,K) a distribution. */
export function softCrossEntropy(logits: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}
