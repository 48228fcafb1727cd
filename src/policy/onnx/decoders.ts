/**
 * Action decoders: how an ONNX output becomes a robot action. Selected by `output.decoder` in the
 * manifest (policies/README.md documents each with an example):
 *
 *   continuous  the output is the action (chunk selection, scale, clamp; handled in policy.ts)
 *   binned      RT-2 / OpenVLA de-tokenisation: per-dimension bin ids (int) or logits (float,
 *               argmax over the bin axis) → bin centres
 *   text        VLM2VLA-style: output token ids → tokenizer.json decode → text → the action grammar
 *
 * Decoders produce the raw action (before output.scale and output.clamp, which apply to every
 * decoder). A row that cannot be decoded gets `policy_error: …`; the other rows go on.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { Tokenizer } from '@huggingface/tokenizers';
import { ConfigError } from '../../util/errors';

// ---------------------------------------------------------------------------------------------
// Manifest schema

const range = z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo < hi, 'a range must be [min, max] with min < max');

export const ContinuousDecoder = z.strictObject({ type: z.literal('continuous') });

export const BinnedDecoder = z.strictObject({
  type: z.literal('binned'),
  /** N bins per dimension (RT-2 and OpenVLA: 256). */
  bins: z.number().int().min(2).default(256),
  /** [min, max] for every dimension, or one [min, max] per dimension. */
  range: z.union([range, z.array(range).min(1)]).default([-1, 1]),
  /**
   * Token id of bin 0 (ids) or index of bin 0 on the logits' last axis. OpenVLA puts its bins on
   * the last 256 ids of the vocabulary: tokenOffset = vocab size − 256 (with `reversed`).
   */
  tokenOffset: z.number().int().nonnegative().default(0),
  /** Bins in descending id order: bin = tokenOffset + bins − 1 − id (OpenVLA's vocab_size − id). */
  reversed: z.boolean().default(false),
});

export const TextDecoder = z.strictObject({
  type: z.literal('text'),
  /** tokenizer.json (relative to the manifest); default: instruction.tokenizer. */
  tokenizer: z.string().min(1).optional(),
  /** Drop special tokens ([PAD], [EOS], …) when decoding. */
  skipSpecialTokens: z.boolean().default(true),
});

export const DecoderSpec = z.discriminatedUnion('type', [ContinuousDecoder, BinnedDecoder, TextDecoder]);
export type DecoderSpec = z.infer<typeof DecoderSpec>;
export type BinnedDecoderSpec = z.infer<typeof BinnedDecoder>;
export type TextDecoderSpec = z.infer<typeof TextDecoder>;

// ---------------------------------------------------------------------------------------------
// Binned

/** Centre of bin i of N over [lo, hi]: lo + (i + 0.5)·(hi − lo)/N. */
export function binCentre(i: number, bins: number, lo: number, hi: number): number {
  return lo + ((i + 0.5) * (hi - lo)) / bins;
}

/** Bin of a value (the training-side inverse of binCentre): floor((v − lo)/(hi − lo)·N), clipped to [0, N−1]. */
export function binOf(v: number, bins: number, lo: number, hi: number): number {
  const i = Math.floor(((v - lo) / (hi - lo)) * bins);
  return Math.min(bins - 1, Math.max(0, i));
}

export function rangeFor(spec: BinnedDecoderSpec, dim: number): [number, number] {
  const r = spec.range;
  if (typeof r[0] === 'number') return r as [number, number];
  return (r as [number, number][])[dim] as [number, number];
}

/** Token id → bin index, or an error when the id is not one of the bins' ids. */
export function idToBin(spec: BinnedDecoderSpec, id: number): number | { error: string } {
  const k = id - spec.tokenOffset;
  if (!Number.isInteger(k) || k < 0 || k >= spec.bins) {
    return { error: `action token id ${id} is outside the bin ids [${spec.tokenOffset}, ${spec.tokenOffset + spec.bins - 1}]` };
  }
  return spec.reversed ? spec.bins - 1 - k : k;
}

/** Index of the largest value (first one on ties; NaN never wins), or -1 if every value is NaN. */
export function argmax(values: ArrayLike<number>, start = 0, end = values.length): number {
  let best = -1;
  let bestV = -Infinity;
  for (let i = start; i < end; i++) {
    const v = values[i] as number;
    if (v > bestV || (best < 0 && v === -Infinity)) {
      best = i;
      bestV = v;
    }
  }
  return best < 0 ? -1 : best - start;
}

/** One action from D bin ids. */
export function decodeBinIds(spec: BinnedDecoderSpec, ids: readonly number[]): number[] | { error: string } {
  const out: number[] = [];
  for (let d = 0; d < ids.length; d++) {
    const b = idToBin(spec, ids[d] as number);
    if (typeof b !== 'number') return b;
    const [lo, hi] = rangeFor(spec, d);
    out.push(binCentre(b, spec.bins, lo, hi));
  }
  return out;
}

/**
 * One action from D rows of logits (row d = values[d·V … d·V+V−1]). The argmax is taken over the
 * bins' slice of the row, [tokenOffset, tokenOffset + bins), so full-vocabulary logits work too.
 */
export function decodeBinLogits(spec: BinnedDecoderSpec, values: ArrayLike<number>, dims: number, V: number): number[] | { error: string } {
  const ids: number[] = [];
  for (let d = 0; d < dims; d++) {
    const k = argmax(values, d * V + spec.tokenOffset, d * V + spec.tokenOffset + spec.bins);
    if (k < 0) return { error: `logits of action dimension ${d} are all NaN` };
    ids.push(spec.tokenOffset + k);
  }
  return decodeBinIds(spec, ids);
}

// ---------------------------------------------------------------------------------------------
// Text: the action grammar (policies/README.md, "Text actions")

const DIRS: Record<string, [number, number]> = {
  forward: [1, 0],
  back: [-1, 0],
  backward: [-1, 0],
  left: [0, 1],
  right: [0, -1],
};
const MAG_RE = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses action text into [lx, ly] (robot frame: x forward, y left).
 *
 *   action    := "stop" | component ("," component)*
 *   component := direction [magnitude]
 *   direction := forward | back | backward | left | right
 *              | (forward|back|backward) "-" (left|right)          diagonal, unit length
 *   magnitude := decimal in [0, 1] (e.g. 1, 0.8, .5, 1.0); default 1
 *
 * Case and extra whitespace are ignored (also around "," and "-"); one trailing "." is allowed.
 * Components are summed. A magnitude outside [0, 1] is an error, not clamped.
 */
export function parseActionText(text: string): number[] | { error: string } {
  const bad = (why: string) => ({ error: `unparsable action text: ${JSON.stringify(text)} (${why})` });
  let s = text.toLowerCase().trim().replace(/\s*-\s*/g, '-').replace(/\s+/g, ' ');
  if (s.endsWith('.')) s = s.slice(0, -1).trim();
  if (!s) return bad('empty');
  if (s === 'stop') return [0, 0];
  const parts = s.split(',').map((p) => p.trim());
  let lx = 0;
  let ly = 0;
  for (const p of parts) {
    if (!p) return bad('empty component');
    const words = p.split(' ');
    if (words.length > 2) return bad(`component "${p}" has more than a direction and a magnitude`);
    const dir = words[0] as string;
    let v: [number, number] | undefined;
    const dash = dir.split('-');
    if (dash.length === 1) v = DIRS[dir];
    else if (dash.length === 2) {
      const a = DIRS[dash[0] as string];
      const b = DIRS[dash[1] as string];
      if (a && b && a[0] !== 0 && b[1] !== 0) v = [a[0] * Math.SQRT1_2, b[1] * Math.SQRT1_2];
    }
    if (!v) return bad(`unknown direction "${dir}"`);
    let m = 1;
    if (words.length === 2) {
      const w = words[1] as string;
      if (!MAG_RE.test(w)) return bad(`magnitude "${w}" is not a number`);
      m = Number(w);
      if (!(m >= 0 && m <= 1)) return bad(`magnitude ${w} is outside [0, 1]`);
    }
    lx += v[0] * m;
    ly += v[1] * m;
  }
  return [lx, ly];
}

/** Loads a tokenizer.json (and a tokenizer_config.json beside it, as HF does). */
export function loadTokenizerFile(path: string, manifestFile: string, field: string): Tokenizer {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${manifestFile}: ${field}: cannot load ${path}: ${(e as Error).message}`);
  }
  const cfgPath = join(dirname(path), 'tokenizer_config.json');
  let config: object = {};
  try {
    if (existsSync(cfgPath)) config = JSON.parse(readFileSync(cfgPath, 'utf8')) as object;
  } catch (e) {
    throw new ConfigError(`${manifestFile}: ${field}: cannot parse ${cfgPath}: ${(e as Error).message}`);
  }
  try {
    return new Tokenizer(json as object, config);
  } catch (e) {
    throw new ConfigError(`${manifestFile}: ${field}: ${path} is not a tokenizer.json @huggingface/tokenizers can load: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Output tensor → rows

/**
 * What validate.ts checks the output against: the dims after the batch and chunk axes, and the
 * dtype (the model's own when it is one this decoder takes, so a binned decoder accepts either ids
 * or logits).
 */
export function expectedOutput(spec: DecoderSpec, actionDims: number, modelDtype?: string): { tail: (number | '*')[]; dtype: string } {
  const pick = (ok: string[]) => (modelDtype && ok.includes(modelDtype) ? modelDtype : (ok[0] as string));
  switch (spec.type) {
    case 'continuous':
      return { tail: [actionDims], dtype: 'float32' };
    case 'binned': {
      const dtype = pick(['float32', 'int64', 'int32']);
      return { tail: dtype === 'float32' ? [actionDims, '*'] : [actionDims], dtype };
    }
    case 'text':
      return { tail: ['*'], dtype: pick(['int64', 'int32']) };
  }
}

export interface OutputTensor {
  type: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint>;
}

export type Decoded = number[] | { error: string };

/**
 * A non-continuous decoder over a whole output tensor. `decode(y, n, chunkIndex)` checks the shape
 * and returns, per real row (the first `real` of n), the raw actions of the selected chunk
 * elements (up to `steps` of them), or a group-level error when the tensor has the wrong shape.
 */
export interface OutputDecoder {
  readonly spec: DecoderSpec;
  decode(y: OutputTensor, n: number, real: number, chunkIndex: readonly number[], steps: number, actionDims: number): { rows: (number[][] | { error: string })[] } | { error: string };
}

export function makeOutputDecoder(spec: DecoderSpec, opts: { tokenizerPath?: string; manifestFile: string; actionDims?: number }): OutputDecoder | undefined {
  if (spec.type === 'continuous') return undefined;
  if (spec.type === 'binned' && typeof spec.range[0] !== 'number' && opts.actionDims !== undefined && spec.range.length !== opts.actionDims) {
    throw new ConfigError(`${opts.manifestFile}: output.decoder.range has ${spec.range.length} [min, max] pairs but output.actionDims is ${opts.actionDims}`, 'Give one [min, max] for all dimensions, or one per dimension.');
  }
  let decodeText: ((ids: number[]) => Decoded) | undefined;
  if (spec.type === 'text') {
    if (!opts.tokenizerPath) {
      throw new ConfigError(`${opts.manifestFile}: output.decoder: a text decoder needs a tokenizer (output.decoder.tokenizer or instruction.tokenizer)`);
    }
    const tok = loadTokenizerFile(opts.tokenizerPath, opts.manifestFile, 'output.decoder.tokenizer');
    const cache = new Map<string, Decoded>();
    decodeText = (ids) => {
      const key = ids.join(',');
      let v = cache.get(key);
      if (!v) {
        let text: string;
        try {
          text = tok.decode(ids, { skip_special_tokens: spec.skipSpecialTokens });
        } catch (e) {
          return { error: `cannot decode action token ids [${ids.join(', ')}]: ${(e as Error).message}` };
        }
        v = parseActionText(text);
        if (cache.size < 10_000) cache.set(key, v);
      }
      return v;
    };
  }
  return {
    spec,
    decode(y, n, real, chunkIndex, steps, actionDims) {
      const dims = y.dims;
      const isInt = y.type === 'int64' || y.type === 'int32';
      const tailRank = spec.type === 'binned' && !isInt ? 2 : 1;
      const rank = 1 + chunkIndex.length + tailRank;
      const want =
        spec.type === 'text'
          ? `(${n},${chunkIndex.map(() => '…').join(',')}${chunkIndex.length ? ',' : ''}S) int64/int32 token ids`
          : isInt
            ? `(${n},${chunkIndex.map(() => '…,').join('')}${actionDims}) bin ids`
            : `(${n},${chunkIndex.map(() => '…,').join('')}${actionDims},N) bin logits`;
      const typeOk = spec.type === 'text' ? isInt : isInt || y.type === 'float32';
      if (!typeOk || dims.length !== rank || dims[0] !== n || (spec.type === 'binned' && dims[1 + chunkIndex.length] !== actionDims)) {
        return { error: `output has shape (${dims.join(',')}) ${y.type}, expected ${want}` };
      }
      if (spec.type === 'binned' && !isInt && (dims[rank - 1] as number) < spec.tokenOffset + spec.bins) {
        return { error: `bin logits have ${dims[rank - 1]} entries on the last axis, fewer than tokenOffset + bins = ${spec.tokenOffset + spec.bins}` };
      }
      const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
      let offset = 0;
      let chunkStride = 0;
      let available = 1;
      for (let i = 0; i < chunkIndex.length; i++) {
        const size = dims[i + 1] as number;
        const raw = chunkIndex[i] as number;
        const idx = raw < 0 ? size + raw : raw;
        if (idx < 0 || idx >= size) return { error: `output.chunkIndex[${i}] = ${raw} is outside axis ${i + 1} of size ${size}` };
        offset += idx * (strides[i + 1] as number);
        if (i === chunkIndex.length - 1) {
          chunkStride = strides[i + 1] as number;
          available = size - idx;
        }
      }
      const k = Math.min(steps, available);
      const elem = strides[chunkIndex.length] as number; // values per selected element
      const data = y.data;
      const num = (i: number) => Number(data[i] as number | bigint);
      const rows: (number[][] | { error: string })[] = [];
      for (let r = 0; r < real; r++) {
        const actions: number[][] = [];
        let err: string | undefined;
        for (let j = 0; j < k && !err; j++) {
          const base = r * (strides[0] as number) + offset + j * chunkStride;
          let a: Decoded;
          if (spec.type === 'text') {
            const ids: number[] = [];
            for (let i = 0; i < elem; i++) ids.push(num(base + i));
            a = (decodeText as (ids: number[]) => Decoded)(ids);
          } else if (isInt) {
            const ids: number[] = [];
            for (let i = 0; i < actionDims; i++) ids.push(num(base + i));
            a = decodeBinIds(spec, ids);
          } else {
            const V = dims[rank - 1] as number;
            a = decodeBinLogits(spec, (data as Float32Array).subarray(base, base + actionDims * V), actionDims, V);
          }
          if (Array.isArray(a)) {
            if (a.length !== actionDims) err = `decoded action [${a.join(', ')}] has ${a.length} values, expected output.actionDims = ${actionDims}`;
            else actions.push(a);
          } else err = a.error;
        }
        rows.push(err ? { error: err } : actions);
      }
      return { rows };
    },
  };
}
