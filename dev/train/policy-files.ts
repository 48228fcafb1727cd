/**
 * What is written per trained policy besides the model: its policy.json manifest and its
 * TRAINING.md card (the card keeps a hand-written "## Closed-loop results" section).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { CAMERA, DEFAULT_COLLECT } from './collect';
import { INPUT_LENGTH } from './export';
import { BINS } from './losses';
import { WINDOW } from './model';
import type { StageReport } from './stages';

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

export const POLICY_NAMES = ['trained-frozen', 'trained-finetuned', 'trained-binned', 'trained-text'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/**
 * Report grouping labels. A variant's checkpoints are pooled over training seeds (src/report/variants.ts),
 * so one label per recipe: the binned and text heads are fine-tuned end to end too, but other recipes.
 */
export const VARIANTS: Record<PolicyName, string> = { 'trained-frozen': 'frozen', 'trained-finetuned': 'finetuned', 'trained-binned': 'finetuned-binned', 'trained-text': 'finetuned-text' };

export function manifestFor(name: PolicyName, notes: string): object {
  const base = {
    name,
    variant: VARIANTS[name],
    notes,
    model: 'model.onnx',
    actionMode: 'pulse',
    budgetMs: 400,
    image: { input: 'pixel_values', layout: 'NCHW', size: [CAMERA, CAMERA], channelOrder: 'RGB', window: WINDOW },
    instruction: { idsInput: 'input_ids', maskInput: 'attention_mask', length: INPUT_LENGTH, tokenizer: 'tokenizer.json', addSpecialTokens: true },
  };
  if (name === 'trained-binned') return { ...base, output: { tensor: 'logits', decoder: { type: 'binned', bins: BINS, range: [-1, 1] }, scale: 1, clamp: [-1, 1] } };
  if (name === 'trained-text') return { ...base, output: { tensor: 'tokens', decoder: { type: 'text', tokenizer: 'tokenizer.json' }, scale: 1, clamp: [-1, 1] } };
  return { ...base, output: { tensor: 'action', scale: 1, clamp: [-1, 1] } };
}

export const NOTES: Record<PolicyName, string> = {
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

export function card(name: PolicyName, r: TrainReport, st: StageReport, pretrain: StageReport, preserved: string): string {
  const lines = [
    `# ${name}: training card`,
    '',
    NOTES[name],
    '',
    'Regenerate all trained policies with `npm run policies:train` (scripts/train-policies.ts → dev/train/).',
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
export function preservedSection(path: string): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  const i = text.indexOf('## Closed-loop results');
  return i >= 0 ? text.slice(i) : '';
}
