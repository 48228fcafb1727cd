/**
 * policies/<name>/policy.json: how to feed an exported checkpoint and read its action.
 * Paths inside a manifest are relative to the manifest's folder.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../util/errors';
import { readJsonFile } from '../../util/json-file';
import { formatZodError } from '../../util/zod';
import { DecoderSpec } from './decoders';
import { ChannelOrder } from '../../image/channels';

/** CLIP's normalisation (what the lab's Kosmos-2 pipeline uses), in tensor channel order. */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

const name = z.string().min(1);
const triple = z.tuple([z.number(), z.number(), z.number()]);
const positiveInt = z.number().int().positive();

const ImageSpec = z.strictObject({
  /** Model input that takes the frame(s). */
  input: name,
  layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
  /** [height, width] the frame is resized to (bilinear, half-pixel centres like cv2.INTER_LINEAR). */
  size: z.tuple([positiveInt, positiveInt]),
  /** Channel order of the tensor: BGR swaps red and blue before normalising. */
  channelOrder: ChannelOrder.default('RGB'),
  /** Pixel bytes are multiplied by `scale`, then (x - mean[c]) / std[c] per tensor channel c. */
  scale: z.number().positive().default(1 / 255),
  mean: triple.default([...CLIP_MEAN]),
  std: triple.refine((s) => s.every((v) => v > 0), 'std values must be > 0').default([...CLIP_STD]),
  /** History length T: the input gets a time axis (B,T,…); an episode's start repeats its first frame. */
  window: positiveInt.optional(),
  dtype: z.literal('float32').default('float32'),
});

const IdsEntry = z
  .strictObject({
    /** Exact instruction text this entry is for… */
    text: z.string().optional(),
    /** …or a case-insensitive substring (e.g. "left"). First matching entry wins. */
    contains: z.string().min(1).optional(),
    ids: z.array(z.number().int().nonnegative()).min(1),
  })
  .refine((e) => (e.text === undefined) !== (e.contains === undefined), 'give exactly one of "text" or "contains"');

const InstructionSpec = z
  .strictObject({
    idsInput: name,
    /** Optional: some exports take no attention mask. */
    maskInput: name.optional(),
    /** Sequence length L: ids are truncated or padded (with padId, mask 0) to it. */
    length: positiveInt,
    /** Hugging Face tokenizer.json (loaded with @huggingface/tokenizers)… */
    tokenizer: z.string().min(1).optional(),
    /** …or fixed token ids per instruction. */
    ids: z.array(IdsEntry).min(1).optional(),
    padId: z.number().int().nonnegative().default(0),
    addSpecialTokens: z.boolean().default(true),
    dtype: z.enum(['int64', 'int32']).default('int64'),
  })
  .refine((s) => (s.tokenizer === undefined) !== (s.ids === undefined), 'give exactly one of "tokenizer" or "ids"');

/** A dim of a state tensor: a size, or "B" for the batch axis (exactly once). */
const StateSpec = z
  .strictObject({
    input: name,
    output: name,
    shape: z.array(z.union([positiveInt, z.literal('B')])).min(1),
  })
  .refine((s) => s.shape.filter((d) => d === 'B').length === 1, 'shape must contain "B" (the batch axis) exactly once');

const OutputSpec = z.strictObject({
  tensor: name,
  /**
   * Indices into the output's axes between batch and action, e.g. [-1, 0] for (B,T,chunk,2):
   * last window step, first chunk element. Negative counts from the end. [] for (B,2).
   */
  chunkIndex: z.array(z.number().int()).default([]),
  /** Execute k consecutive chunk elements open-loop (starting at chunkIndex's last index) before querying again. */
  executeSteps: positiveInt.default(1),
  /** Multiplied into the raw action before clamping (the lab's labels are ±1.15). */
  scale: z.number().default(1),
  clamp: z
    .tuple([z.number(), z.number()])
    .refine(([lo, hi]) => lo < hi, 'clamp must be [lo, hi] with lo < hi')
    .default([-1, 1]),
  /** Length of the action vector (last axis). */
  actionDims: positiveInt.default(2),
  /** How the output tensor becomes an action: continuous (default), binned, or text (src/policy/onnx/decoders.ts). */
  decoder: DecoderSpec.default({ type: 'continuous' }),
});

export const PolicyManifest = z
  .strictObject({
    name,
    /** Report grouping label: "frozen", "finetuned", or any label. */
    variant: name,
    notes: z.string().optional(),
    /** ONNX file, relative to this manifest. */
    model: name,
    actionMode: z.enum(['pulse', 'velocity']).default('pulse'),
    /** Control budget per action in ms (the lab's pulse is 400 ms). */
    budgetMs: z.number().positive().optional(),
    image: ImageSpec,
    instruction: InstructionSpec.optional(),
    state: z.array(StateSpec).default([]),
    output: OutputSpec,
    /**
     * Action chunks executed by the loop: each call returns the whole chunk (from output.chunkIndex's
     * last index to the end of that axis) and the loop executes its first `execute` actions before
     * asking again (openpi's replan_steps). Without it, one action per call (chunk selection).
     */
    chunk: z.strictObject({ execute: positiveInt }).optional(),
  })
  .refine((m) => m.output.executeSteps === 1 || m.output.chunkIndex.length > 0, {
    message: 'executeSteps > 1 needs a chunk axis (chunkIndex must not be empty)',
    path: ['output', 'executeSteps'],
  })
  .refine((m) => !m.chunk || m.output.chunkIndex.length > 0, {
    message: 'chunk needs a chunk axis (output.chunkIndex must not be empty)',
    path: ['chunk'],
  })
  .refine((m) => !m.chunk || m.output.executeSteps === 1, {
    message: 'give chunk.execute (the loop executes the chunk) or output.executeSteps (the policy does), not both',
    path: ['chunk'],
  });

export type PolicyManifest = z.infer<typeof PolicyManifest>;
export type ImageSpec = z.infer<typeof ImageSpec>;
export type InstructionSpec = z.infer<typeof InstructionSpec>;
export type StateSpec = z.infer<typeof StateSpec>;
export type OutputSpec = z.infer<typeof OutputSpec>;

export interface LoadedManifest extends PolicyManifest {
  /** The manifest path as given (for messages). */
  file: string;
  /** Paths joined to the manifest's folder (relative when the manifest path is: results stay portable). */
  modelPath: string;
  tokenizerPath?: string;
  /** output.decoder.tokenizer (text decoder), else the instruction tokenizer. */
  decoderTokenizerPath?: string;
}

export function parseManifest(raw: unknown, file: string): LoadedManifest {
  const r = PolicyManifest.safeParse(raw);
  if (!r.success) throw new ConfigError(formatZodError(file, r.error, 'policy manifest'), 'Fix the field(s) named above; see policies/README.md.');
  const m = r.data;
  const dir = dirname(file);
  const rel = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const out: LoadedManifest = { ...m, file, modelPath: rel(m.model) };
  if (m.instruction?.tokenizer) out.tokenizerPath = rel(m.instruction.tokenizer);
  const dec = m.output.decoder;
  if (dec.type === 'text' && (dec.tokenizer ?? m.instruction?.tokenizer)) out.decoderTokenizerPath = rel((dec.tokenizer ?? m.instruction?.tokenizer) as string);
  return out;
}

export function loadManifest(file: string): LoadedManifest {
  const raw = readJsonFile(file, 'policy manifest', 'Give the path of a policies/<name>/policy.json.');
  return parseManifest(raw, file);
}
