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
 *
 * This file runs the steps in order; each concept has its own file: demos.ts (getting and caching
 * the demonstrations), batches.ts (data in memory, shuffles, episode batches), model.ts (the
 * network), losses.ts (one loss per output kind), stages.ts (the training loops), export.ts and
 * verify.ts (ONNX export and its check), policy-files.ts (policy.json and the TRAINING.md card).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers' node bundle registers the gradient functions of every op (tfjs-core's node bundle does not).
import '@tensorflow/tfjs-layers';
import { sha256 } from '../../src/util/hash';
import { Rng } from '../../src/util/rng';
import { prepare } from './batches';
import { getDemos } from './demos';
import { buildPolicyOnnx, type OutputKind } from './export';
import { BINS, binnedLoss, continuousLoss, textLoss } from './losses';
import type { Weights } from './model';
import { card, manifestFor, NOTES, preservedSection, type PolicyName, type TrainReport } from './policy-files';
import { pretrainEncoder, trainEndToEnd, trainFrozen, type StageReport } from './stages';
import { verifyExport } from './verify';
import { TEXT_SLOTS } from './vocab';

export const TRAIN_SEED = 20250611;

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
  /** Train only these policies (extra training seeds of the frozen and fine-tuned recipes need no binned/text heads). */
  only?: readonly PolicyName[];
  reverse?: boolean;
  log?: (line: string) => void;
}

/** Heads and end-to-end models see the data equally often (40 passes), so frozen vs fine-tuned is a fair fight. */
export const DEFAULT_EPOCHS = { proxy: 8, frozen: 40, finetuned: 40, binned: 40, text: 40 };

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

export async function trainAll(options: TrainOptions = {}): Promise<TrainReport> {
  const log = options.log ?? ((l: string) => console.log(l));
  const seed = options.seed ?? TRAIN_SEED;
  const suiteFile = options.suiteFile ?? 'scenes/nav-id-v2.json';
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
  const want = (name: PolicyName) => !options.only || options.only.includes(name);
  if (want('trained-binned')) {
    const binned = await trainEndToEnd('binned (end to end)', 'cross-entropy', data, pre.weights, rngFor('binned'), 2 * BINS, binnedLoss, epochs.binned, log);
    results.push({ name: 'trained-binned', ...binned, out: { kind: 'binned', bins: BINS, dims: 2 } });
  }
  if (want('trained-text')) {
    const text = await trainEndToEnd('text (end to end)', 'cross-entropy', data, pre.weights, rngFor('text'), TEXT_SLOTS * V, textLoss(data.vocab), epochs.text, log);
    results.push({ name: 'trained-text', ...text, out: { kind: 'text', slots: TEXT_SLOTS, vocab: V } });
  }

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
  for (const [rel, bytes] of writes) report.files[rel] = { bytes: typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length, sha256: sha256(bytes) };
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
