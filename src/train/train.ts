/**
 * Trains the four demo policies from oracle demonstrations and exports them under policies/:
 *
 *   0. data      oracle demonstrations rendered on the in-distribution suite (collect.ts)
 *   1. pretrain  the vision encoder on a proxy "grounding" task: predict the goal's and the nearest
 *                box's position in the robot frame from one frame (no actions, no instruction)
 *   2. frozen    Case 3 / RoboFlamingo: encoder fixed after step 1; only the head (window MLP +
 *                instruction embedding) is trained on the actions
 *   3. finetuned Case 4: same network and initialisation, encoder and head trained end to end
 *   4. binned    RT-2 / OpenVLA-style output: 2 × 256 bin logits, end to end like 3
 *   5. text      VLM2VLA-style output: 5 action-token slots over the shared vocabulary, end to end
 *
 * Everything is seeded (weights, shuffles, the collection noise), and tfjs runs on the wasm backend
 * single-threaded, so the same seed gives the same ONNX bytes (checked by running twice; see the
 * TRAINING.md cards).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers' node bundle registers the gradient functions of every op (tfjs-core's node bundle does not).
import '@tensorflow/tfjs-layers';
import { ChromiumRenderer } from '../render/chromium-renderer';
import { loadSuite } from '../scene/load';
import { Rng } from '../util/rng';
import { binOf } from '../policy/onnx/decoders';
import { collectDemos, DEFAULT_COLLECT, FRAME_FLOATS, SIDE, type DemoEpisode } from './collect';
import { buildPolicyOnnx, INPUT_LENGTH, type OutputKind } from './export';
import { encode, FEAT, fromVars, head, initEncoder, initHead, initProxy, mse, softCrossEntropy, toVars, WINDOW, type Weights } from './model';
import { actionSlots, buildVocab, encodeInstruction, TEXT_SLOTS, type Vocab } from './vocab';

export const TRAIN_SEED = 20250611;
export const BINS = 256;

export interface TrainOptions {
  seed?: number;
  suiteFile?: string;
  seedsPerScene?: number;
  outDir?: string;
  epochs?: Partial<Record<'proxy' | 'frozen' | 'finetuned' | 'binned' | 'text', number>>;
  /** Reuse (or write) collected demonstrations under this folder (not needed for a clean run). */
  cacheDir?: string;
  /** Only render the demonstrations into cacheDir (seeds in reverse order with reverse), no training. */
  collectOnly?: boolean;
  reverse?: boolean;
  log?: (line: string) => void;
}

/** Heads and end-to-end models see the data equally often (40 passes), so frozen vs fine-tuned is a fair fight. */
export const DEFAULT_EPOCHS = { proxy: 8, frozen: 40, finetuned: 40, binned: 40, text: 40 };

interface Data {
  episodes: DemoEpisode[];
  /** Global frame index of each episode's first frame. */
  starts: number[];
  frames: Float32Array;
  total: number;
  counts: Float32Array[]; // per episode, bag-of-words (V)
  vocab: Vocab;
}

export interface StageReport {
  name: string;
  epochs: number;
  steps: number;
  seconds: number;
  finalLoss: number;
  lossName: string;
}

export interface TrainReport {
  backend: string;
  seed: number;
  suite: string;
  episodes: number;
  frames: number;
  outcomes: Record<string, number>;
  collectSeconds: number;
  stages: StageReport[];
  totalSeconds: number;
  dataDigest: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** opt.minimize with the cost returned (never null when returnCost is true). */
function minimize(opt: tf.Optimizer, f: () => tf.Scalar, _returnCost: true): tf.Scalar {
  return opt.minimize(f, true) as tf.Scalar;
}

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** sha256 of the in-page render code (src/render/page/*.js). */
function renderPageDigest(): string {
  const dir = fileURLToPath(new URL('../render/page/', import.meta.url));
  const h = createHash('sha256');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 12);
}

export async function initBackend(): Promise<string> {
  try {
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return 'wasm';
    }
  } catch {
    // fall through
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

// ---------------------------------------------------------------------------------------------
// Data

/**
 * The demonstrations, one wave (all scenes × one seed) at a time. With a cache folder each wave is
 * stored as it finishes and reused later; two processes may fill one cache from opposite ends
 * (`reverse`), which only matters for wall time: the data are the same either way.
 */
async function getDemos(
  opts: Required<Pick<TrainOptions, 'suiteFile' | 'seedsPerScene'>> & TrainOptions & { reverse?: boolean },
  log: (l: string) => void,
): Promise<{ demos: DemoEpisode[]; seconds: number }> {
  const suite = loadSuite(opts.suiteFile);
  // The page code is part of the key: frames rendered by an older renderer must not be reused.
  const key = sha(JSON.stringify({ hashes: suite.sceneHashes, c: DEFAULT_COLLECT, page: renderPageDigest(), v: 2 })).slice(0, 12);
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

function prepare(demos: DemoEpisode[]): Data {
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
function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** Rows of a batch of whole episodes: their frames, window selectors, instruction counts, labels. */
interface EpisodeBatch {
  n: number;
  x: Float32Array;
  /** WINDOW selection matrices (n×n): row i picks the frame at window position t of sample i. */
  select: Float32Array[];
  counts: Float32Array;
  labels: number[][];
}

function episodeBatch(data: Data, eps: readonly number[]): EpisodeBatch {
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

function windowOf(select: readonly Float32Array[], feats: tf.Tensor2D, n: number): tf.Tensor2D {
  return tf.concat(
    select.map((s) => tf.matMul(tf.tensor2d(s, [n, n]), feats)),
    1,
  ) as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------
// Losses per output kind

type LossFn = (out: tf.Tensor2D, labels: number[][]) => tf.Scalar;

const continuousLoss: LossFn = (out, labels) => mse(tf.tanh(out), tf.tensor2d(labels));

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
const binnedLoss: LossFn = (out, labels) => softCrossEntropy(tf.reshape(out, [labels.length * 2, BINS]) as tf.Tensor2D, tf.tensor2d(binTargets(labels), [labels.length * 2, BINS]));

function textLoss(vocab: Vocab): LossFn {
  const V = vocab.tokens.length;
  return (out, labels) => {
    const t = new Float32Array(labels.length * TEXT_SLOTS * V);
    labels.forEach((a, i) => actionSlots(a).forEach((tok, s) => (t[(i * TEXT_SLOTS + s) * V + vocab.id(tok)] = 1)));
    return softCrossEntropy(tf.reshape(out, [labels.length * TEXT_SLOTS, V]) as tf.Tensor2D, tf.tensor2d(t, [labels.length * TEXT_SLOTS, V]));
  };
}

// ---------------------------------------------------------------------------------------------
// Stages

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

function pretrainEncoder(data: Data, rng: Rng, epochs: number, log: (l: string) => void): Promise<{ weights: Weights; report: StageReport }> {
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

async function trainFrozen(data: Data, encW: Weights, rng: Rng, epochs: number, log: (l: string) => void): Promise<{ weights: Weights; report: StageReport }> {
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

async function trainEndToEnd(name: string, lossName: string, data: Data, encW: Weights, rng: Rng, outDim: number, lossFn: LossFn, epochs: number, log: (l: string) => void): Promise<{ weights: Weights; report: StageReport }> {
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

/**
 * Export check: runs the ONNX bytes in onnxruntime on the first samples of episode 0 and compares
 * with the tfjs network. The 224² input is each pooled pixel repeated 4×4, so the graph's average
 * pool gives back exactly the pooled frame. Returns the largest absolute difference (for text:
 * the number of differing token ids).
 */
async function verifyExport(bytes: Uint8Array, weights: Weights, data: Data, out: OutputKind): Promise<number> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const ep = data.episodes[0] as DemoEpisode;
  const n = Math.min(4, ep.actions.length);
  const b = episodeBatch(data, [0]);
  const big = 224 * 224;
  const px = new Float32Array(n * WINDOW * 3 * big);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < WINDOW; t++) {
      const f = Math.max(0, i - (WINDOW - 1 - t));
      const src = ep.frames.subarray(f * FRAME_FLOATS, (f + 1) * FRAME_FLOATS);
      const base = (i * WINDOW + t) * 3 * big;
      for (let y = 0; y < 224; y++)
        for (let x = 0; x < 224; x++) {
          const p = ((y >> 2) * SIDE + (x >> 2)) * 3;
          for (let c = 0; c < 3; c++) px[base + c * big + y * 224 + x] = src[p + c] as number;
        }
    }
  const ids = encodeInstruction(data.vocab, ep.instruction).slice(0, INPUT_LENGTH);
  const idArr = new BigInt64Array(n * INPUT_LENGTH);
  const maskArr = new BigInt64Array(n * INPUT_LENGTH);
  for (let i = 0; i < n; i++) ids.forEach((id, j) => ((idArr[i * INPUT_LENGTH + j] = BigInt(id)), (maskArr[i * INPUT_LENGTH + j] = 1n)));
  const res = await session.run({
    pixel_values: new ort.Tensor('float32', px, [n, WINDOW, 3, 224, 224]),
    input_ids: new ort.Tensor('int64', idArr, [n, INPUT_LENGTH]),
    attention_mask: new ort.Tensor('int64', maskArr, [n, INPUT_LENGTH]),
  });
  await session.release();
  const v = toVars(weights, false);
  const V = data.vocab.tokens.length;
  const ref = tf.tidy(() => {
    const f = encode(v, tf.tensor4d(b.x, [b.n, SIDE, SIDE, 3]));
    const y = head(v, windowOf(b.select, f, b.n), tf.tensor2d(b.counts, [b.n, V]));
    return out.kind === 'continuous' ? tf.tanh(y) : y;
  });
  const r = ref.dataSync() as Float32Array;
  ref.dispose();
  Object.values(v).forEach((x) => x.dispose());
  const name = out.kind === 'continuous' ? 'action' : out.kind === 'binned' ? 'logits' : 'tokens';
  const o = (res[name] as { data: ArrayLike<number | bigint> }).data;
  if (out.kind === 'text') {
    let diff = 0;
    for (let i = 0; i < n; i++)
      for (let s = 0; s < out.slots; s++) {
        const row = r.subarray((i * out.slots + s) * V, (i * out.slots + s + 1) * V);
        let best = 0;
        for (let k = 1; k < V; k++) if ((row[k] as number) > (row[best] as number)) best = k;
        if (Number(o[i * out.slots + s]) !== best) diff++;
      }
    return diff;
  }
  let max = 0;
  const per = r.length / b.n;
  for (let i = 0; i < n * per; i++) max = Math.max(max, Math.abs(Number(o[i]) - (r[i] as number)));
  return max;
}

// ---------------------------------------------------------------------------------------------
// Output files

export const POLICY_NAMES = ['trained-frozen', 'trained-finetuned', 'trained-binned', 'trained-text'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

function manifestFor(name: PolicyName, notes: string): object {
  const base = {
    name,
    variant: name === 'trained-frozen' ? 'frozen' : 'finetuned',
    notes,
    model: 'model.onnx',
    actionMode: 'pulse',
    budgetMs: 400,
    image: { input: 'pixel_values', layout: 'NCHW', size: [224, 224], channelOrder: 'RGB', window: WINDOW },
    instruction: { idsInput: 'input_ids', maskInput: 'attention_mask', length: INPUT_LENGTH, tokenizer: 'tokenizer.json', addSpecialTokens: true },
  };
  if (name === 'trained-binned') return { ...base, output: { tensor: 'logits', decoder: { type: 'binned', bins: BINS, range: [-1, 1] }, scale: 1, clamp: [-1, 1] } };
  if (name === 'trained-text') return { ...base, output: { tensor: 'tokens', decoder: { type: 'text', tokenizer: 'tokenizer.json' }, scale: 1, clamp: [-1, 1] } };
  return { ...base, output: { tensor: 'action', scale: 1, clamp: [-1, 1] } };
}

const NOTES: Record<PolicyName, string> = {
  'trained-frozen':
    'Trained stand-in for the lab\'s Case 3 (RoboFlamingo-style): vision encoder pretrained on a proxy grounding task and then frozen; only the head (4-frame window MLP + instruction embedding) trained on oracle actions. See TRAINING.md.',
  'trained-finetuned': 'Trained stand-in for the lab\'s Case 4: same network and initialisation as trained-frozen, encoder and head trained end to end on oracle actions. See TRAINING.md.',
  'trained-binned': 'Trained RT-2/OpenVLA-style stand-in: outputs 2 × 256 bin logits (argmax → bin centre over [-1, 1]); trained end to end. See TRAINING.md.',
  'trained-text':
    'Trained VLM2VLA-style stand-in: outputs 5 action-token ids over the shared word vocabulary, decoded by tokenizer.json into text like "forward 0.8, left 0.6" and parsed by the action grammar. See TRAINING.md.',
};

const ARCH: Record<PolicyName, string> = {
  'trained-frozen':
    'Vision encoder (frozen): 224² frame → 4×4 average pool (56²) → patch conv 4×4/4 3→16 ReLU → patch conv 2×2/2 16→32 ReLU → dense 1568→32 ReLU. Pretrained on the proxy task (below), then fixed. Head (trained): features of a 4-frame window (oldest first; the episode\'s first frame repeats at its start) ‖ instruction embedding (sum of 16-d word vectors over the tokenised instruction, zero-initialised, trained) → dense 144→64 ReLU → dense 64→2 → tanh = [lx, ly].',
  'trained-finetuned': 'Same network as trained-frozen, initialised from the same proxy-pretrained encoder and the same head seed; encoder and head trained end to end on the actions (output tanh → [lx, ly]).',
  'trained-binned': 'Same encoder/window/instruction trunk, initialised from the proxy-pretrained encoder, trained end to end; output layer 64→512 reshaped to logits (2, 256). Loss: cross-entropy against a Gaussian-smoothed target over bins (σ = 2 bins around bin = floor((v+1)/2·256)). Decoded by argmax → centre −1 + (i + 0.5)·2/256.',
  'trained-text': `Same trunk, initialised from the proxy-pretrained encoder, trained end to end; output layer 64→5·V reshaped to (5, V) over the shared word vocabulary, ArgMax in the graph → 5 token ids (int64). Slots: [forward|back, magnitude, ",", left|right, magnitude] with magnitudes 0.1…1.0 (one decimal); a component that rounds to 0 is [PAD]; both → "stop". Loss: per-slot cross-entropy.`,
};

function card(name: PolicyName, r: TrainReport, st: StageReport, pretrain: StageReport, preserved: string): string {
  const lines = [
    `# ${name}: training card`,
    '',
    NOTES[name],
    '',
    'Regenerate all trained policies with `npm run policies:train` (scripts/train-policies.ts → src/train/).',
    '',
    '## Data',
    '',
    `- Suite: \`${r.suite}\` (in-distribution only; no novel scene was used), ${r.episodes} episodes = 16 scenes × ${r.episodes / 16} seeds (seeds ${DEFAULT_COLLECT.seedBase}…, kept clear of the bench's seeds 0…n−1), ${r.frames} frames (one per control step).`,
    `- Teacher: the scripted oracle (plans on privileged state). DART-style noise: with probability ${DEFAULT_COLLECT.noiseProb} a step executes the oracle's direction rotated by U(−${DEFAULT_COLLECT.noiseDeg}°, ${DEFAULT_COLLECT.noiseDeg}°); the label is always the oracle's clean action for the state reached. Start jitter ±${DEFAULT_COLLECT.startJitter.xy} m / ±${DEFAULT_COLLECT.startJitter.yawDeg}° (bench default ±0.03 m / ±3°). Collisions do not end collection episodes.`,
    `- Outcomes of the noisy collection episodes: ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `- Frames: rendered by ChromiumRenderer (224², the bench's camera), normalised with CLIP mean/std exactly as the manifest says, 4×4 average-pooled to 56² (the model's first layer does the same pooling, so the ONNX model takes the standard 224² frame).`,
    `- Instruction: tokenised by this folder's tokenizer.json (word level; vocabulary = words of the training instructions + the action tokens; unseen words → [UNK], embedding zero).`,
    `- Data digest (sha256 of all frames and labels): \`${r.dataDigest.slice(0, 16)}\`.`,
    '',
    '## Architecture',
    '',
    ARCH[name],
    '',
    `Proxy pretraining of the encoder (shared by all four): a linear read-out of [goal x, goal y, nearest box x, nearest box y] in the robot frame (metres / 2) from one frame's 32-d feature, MSE, ${pretrain.epochs} epochs, ${pretrain.steps} steps of 128 frames, final MSE ${pretrain.finalLoss.toFixed(5)}, ${pretrain.seconds.toFixed(0)} s. It uses privileged positions as labels (like detection/grounding pretraining of a VLM) but never actions or instructions.`,
    '',
    '## Training',
    '',
    `- Seed ${r.seed}; tfjs ${tf.version_core} on the \`${r.backend}\` backend (single thread); Adam, learning rate 1e-3.`,
    `- ${st.name}: ${st.epochs} epochs, ${st.steps} steps (${name === 'trained-frozen' ? '64 samples' : '8 whole episodes'} per step), ${st.seconds.toFixed(0)} s, final training ${st.lossName} ${st.finalLoss.toFixed(5)}.`,
    `- Whole run (collection ${r.collectSeconds.toFixed(0)} s + all stages): ${r.totalSeconds.toFixed(0)} s.`,
    `- Files: ${Object.entries(r.files)
      .filter(([f]) => f.startsWith(name + '/'))
      .map(([f, v]) => `\`${f.slice(name.length + 1)}\` ${v.bytes} bytes (sha256 ${v.sha256.slice(0, 12)})`)
      .join(', ')}.`,
    '',
  ];
  return lines.join('\n') + (preserved ? '\n' + preserved.trimEnd() + '\n' : '');
}

/** Keeps a hand-written "## Closed-loop results" section (bench figures) across regenerations. */
function preservedSection(path: string): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  const i = text.indexOf('## Closed-loop results');
  return i >= 0 ? text.slice(i) : '';
}

export async function trainAll(options: TrainOptions = {}): Promise<TrainReport> {
  const log = options.log ?? ((l: string) => console.log(l));
  const seed = options.seed ?? TRAIN_SEED;
  const suiteFile = options.suiteFile ?? 'scenes/nav-id-v1.json';
  const seedsPerScene = options.seedsPerScene ?? 16;
  const outDir = options.outDir ?? 'policies';
  const epochs = { ...DEFAULT_EPOCHS, ...(options.epochs ?? {}) };
  const t0 = performance.now();
  const backend = await initBackend();
  log(`tfjs backend: ${backend}`);

  const { demos, seconds: collectSeconds } = await getDemos({ ...options, suiteFile, seedsPerScene }, log);
  if (options.collectOnly) return { backend, seed, suite: suiteFile, episodes: demos.length, frames: 0, outcomes: {}, collectSeconds, stages: [], totalSeconds: 0, dataDigest: '', files: {} };
  const data = prepare(demos);
  const digest = createHash('sha256');
  for (const d of demos) {
    digest.update(Buffer.from(d.frames.buffer, d.frames.byteOffset, d.frames.byteLength));
    digest.update(JSON.stringify([d.sceneId, d.seed, d.actions, d.proxy]));
  }
  const outcomes: Record<string, number> = {};
  for (const d of demos) outcomes[d.outcome] = (outcomes[d.outcome] ?? 0) + 1;
  log(`data: ${demos.length} episodes, ${data.total} frames, vocabulary ${data.vocab.tokens.length} tokens, outcomes ${JSON.stringify(outcomes)}`);

  // Each stage draws from its own stream, so changing one stage's epochs leaves the others' init alone.
  const rngFor = (stageName: string) => new Rng((seed ^ [...stageName].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261)) >>> 0);
  const pre = await pretrainEncoder(data, rngFor('pretrain'), epochs.proxy, log);
  const V = data.vocab.tokens.length;
  const results: { name: PolicyName; weights: Weights; report: StageReport; out: OutputKind }[] = [];
  const frozen = await trainFrozen(data, pre.weights, rngFor('head'), epochs.frozen, log);
  results.push({ name: 'trained-frozen', ...frozen, out: { kind: 'continuous' } });
  const fine = await trainEndToEnd('finetuned (end to end)', 'mse', data, pre.weights, rngFor('head'), 2, continuousLoss, epochs.finetuned, log);
  results.push({ name: 'trained-finetuned', ...fine, out: { kind: 'continuous' } });
  const binned = await trainEndToEnd('binned (end to end)', 'cross-entropy', data, pre.weights, rngFor('binned'), 2 * BINS, binnedLoss, epochs.binned, log);
  results.push({ name: 'trained-binned', ...binned, out: { kind: 'binned', bins: BINS, dims: 2 } });
  const text = await trainEndToEnd('text (end to end)', 'cross-entropy', data, pre.weights, rngFor('text'), TEXT_SLOTS * V, textLoss(data.vocab), epochs.text, log);
  results.push({ name: 'trained-text', ...text, out: { kind: 'text', slots: TEXT_SLOTS, vocab: V } });

  const report: TrainReport = {
    backend,
    seed,
    suite: suiteFile,
    episodes: demos.length,
    frames: data.total,
    outcomes,
    collectSeconds,
    stages: [pre.report, ...results.map((r) => r.report)],
    totalSeconds: 0,
    dataDigest: digest.digest('hex'),
    files: {},
  };
  const tokenizerJson = JSON.stringify(data.vocab.json, null, 2) + '\n';
  const writes: [string, Uint8Array | string][] = [];
  for (const r of results) {
    const model = buildPolicyOnnx(r.name.replace(/-/g, '_'), r.weights, r.out, { 'simgate.train.seed': String(seed), 'simgate.train.data': report.dataDigest.slice(0, 16) });
    const diff = await verifyExport(model, r.weights, data, r.out);
    log(`${r.name}: ONNX vs tfjs on 4 samples: ${r.out.kind === 'text' ? `${diff} differing token ids` : `max |diff| ${diff.toExponential(2)}`}`);
    if (r.out.kind === 'text' ? diff > 0 : diff > 1e-3) throw new Error(`${r.name}: exported ONNX does not match the trained network (${diff})`);
    writes.push([`${r.name}/model.onnx`, model], [`${r.name}/tokenizer.json`, tokenizerJson], [`${r.name}/policy.json`, JSON.stringify(manifestFor(r.name, NOTES[r.name]), null, 2) + '\n']);
  }
  for (const [rel, bytes] of writes) report.files[rel] = { bytes: typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length, sha256: sha(bytes) };
  report.totalSeconds = (performance.now() - t0) / 1000;
  for (const [rel, bytes] of writes) {
    mkdirSync(join(outDir, rel, '..'), { recursive: true });
    writeFileSync(join(outDir, rel), bytes);
  }
  for (const r of results) {
    const path = join(outDir, r.name, 'TRAINING.md');
    writeFileSync(path, card(r.name, report, r.report, pre.report, preservedSection(path)));
  }
  for (const [rel, v] of Object.entries(report.files)) if (rel.endsWith('.onnx')) log(`${join(outDir, rel)}  ${v.bytes} bytes  sha256 ${v.sha256.slice(0, 16)}`);
  log(`total ${report.totalSeconds.toFixed(0)} s`);
  return report;
}
