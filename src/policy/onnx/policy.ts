/**
 * A Policy backed by an ONNX checkpoint and its manifest. Per-slot memory: the preprocessed frame
 * window, recurrent state tensors, and the rest of an open-loop action chunk (output.executeSteps).
 * With the manifest's `chunk`, a call returns the whole chunk (`actions`) and the loop executes it.
 */
import type { EpisodeSpec } from '../../sim/episode';
import type { Observation } from '../../sim/observation';
import type { ActResult, Policy, PolicyInfo } from '../types';
import { LatencyRecorder, nowMs, type LatencyReporting, type LatencyStats } from '../latency';
import type { LoadedManifest, StateSpec } from './manifest';
import { preprocessFrame } from './preprocess';
import { ort } from './session';
import type { Encoded, InstructionEncoder } from './text';
import { makeOutputDecoder, type OutputDecoder } from './decoders';

/**
 * batched: one session.run per act() call. A single row is padded to two (a copy), because
 * onnxruntime's CPU GEMM takes a different kernel when M = 1 and its results then differ from a
 * batched run in the last bit (measured on the Kosmos demo: 270 of 2560 outputs, 1 ulp).
 * per-row: one session.run per row, B = 1 always (matches a B = 1 deployment exactly).
 */
export type Batching = 'batched' | 'per-row';

interface Slot {
  frames: Float32Array[];
  state: Float32Array[];
  pending: number[][];
}

interface Query {
  index: number;
  slot: Slot;
  text?: Encoded;
}

export interface OnnxPolicyParts {
  manifest: LoadedManifest;
  session: ort.InferenceSession;
  encoder?: InstructionEncoder;
  /** Model's fixed batch size, when its export fixed one (e.g. 1). */
  fixedBatch?: number;
  batching: Batching;
  details: Record<string, unknown>;
  /** output.decoder other than continuous; built from the manifest when not given. */
  decoder?: OutputDecoder;
}

export class OnnxPolicy implements Policy, LatencyReporting {
  readonly info: PolicyInfo;
  private readonly m: LoadedManifest;
  private readonly session: ort.InferenceSession;
  private readonly encoder?: InstructionEncoder;
  private readonly decoder?: OutputDecoder;
  private readonly chunk: number;
  private readonly padSingle: boolean;
  private readonly slots = new Map<number, Slot>();
  private readonly latency = new LatencyRecorder();
  private readonly frameSize: number;
  private readonly stateLayout: { size: number; outer: number; inner: number; dims: (b: number) => number[] }[];

  constructor(parts: OnnxPolicyParts) {
    this.m = parts.manifest;
    this.session = parts.session;
    if (parts.encoder) this.encoder = parts.encoder;
    const decoder = parts.decoder ?? makeOutputDecoder(this.m.output.decoder, { manifestFile: this.m.file, actionDims: this.m.output.actionDims, ...(this.m.decoderTokenizerPath ? { tokenizerPath: this.m.decoderTokenizerPath } : {}) });
    if (decoder) this.decoder = decoder;
    // Rows per session.run: the export's fixed batch, 1 for per-row, else everything at once.
    this.chunk = parts.fixedBatch ?? (parts.batching === 'per-row' ? 1 : Infinity);
    this.padSingle = parts.fixedBatch === undefined && parts.batching === 'batched';
    const [h, w] = this.m.image.size;
    this.frameSize = 3 * h * w;
    this.stateLayout = this.m.state.map(layoutOf);
    const batching = parts.fixedBatch !== undefined ? `fixed batch ${parts.fixedBatch} (export fixes the batch axis)` : parts.batching;
    this.info = {
      name: this.m.name,
      kind: 'onnx',
      variant: this.m.variant,
      actionMode: this.m.actionMode,
      needsImage: true,
      ...(this.m.budgetMs !== undefined ? { budgetMs: this.m.budgetMs } : {}),
      ...(this.m.chunk ? { chunk: { execute: this.m.chunk.execute } } : {}),
      details: { ...parts.details, batching },
    };
    // Reports read latency from info.details (src/report/table.ts); computed when read, not every step.
    Object.defineProperty(this.info.details, 'latency', { enumerable: true, get: () => this.latency.stats() });
  }

  begin(slot: number, _episode: EpisodeSpec): void {
    this.slots.set(slot, this.freshSlot());
  }

  private chain: Promise<unknown> = Promise.resolve();

  /** Calls are serialised: slot memory and the reused input buffer belong to one call at a time. */
  act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]> {
    const run = this.chain.then(() => this.actNow(batch));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async actNow(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]> {
    const t0 = nowMs();
    const results: ActResult[] = new Array(batch.length);
    const queries: Query[] = [];
    const window = this.m.image.window ?? 1;
    batch.forEach(({ slot: id, obs }, index) => {
      let slot = this.slots.get(id);
      if (!slot) this.slots.set(id, (slot = this.freshSlot()));
      if (!obs.image) {
        results[index] = { error: 'policy_error: observation has no camera image (this policy needs the env to render)' };
        return;
      }
      try {
        slot.frames.push(preprocessFrame(obs.image, this.m.image));
      } catch (e) {
        results[index] = { error: `policy_error: bad frame: ${(e as Error).message}` };
        return;
      }
      if (slot.frames.length > window) slot.frames.shift();
      const next = slot.pending.shift();
      if (next) {
        results[index] = { action: next };
        return;
      }
      const q: Query = { index, slot };
      if (this.encoder) {
        const enc = this.encoder(obs.instruction);
        if ('error' in enc) {
          results[index] = { error: `policy_error: ${enc.error}` };
          return;
        }
        q.text = enc;
      }
      queries.push(q);
    });

    for (let start = 0; start < queries.length; start += this.chunk) {
      const group = queries.slice(start, start + this.chunk);
      // Pad with copies of the last row: to the export's fixed batch, or a lone row to two (see Batching).
      const target = this.chunk !== Infinity ? this.chunk : this.padSingle && group.length === 1 ? 2 : group.length;
      const rows = [...group];
      while (rows.length < target) rows.push(group[group.length - 1] as Query);
      try {
        await this.runGroup(rows, group.length, results);
      } catch (e) {
        // Anything unexpected (bad ids, typed-array limits…) fails these rows, not the run.
        for (const q of group) results[q.index] ??= { error: `policy_error: ${(e as Error).message.split('\n')[0]}` };
      }
    }
    if (queries.length > 0) this.latency.record(nowMs() - t0, queries.length);
    return results;
  }

  latencyStats(): LatencyStats {
    return this.latency.stats();
  }

  async close(): Promise<void> {
    this.slots.clear();
    await this.session.release();
  }

  private readonly pxBuffers = new Map<number, Float32Array>();

  /** Reused per size: a (32,8,3,224,224) input is 154 MB, too much to allocate every step. */
  private pixelBuffer(length: number): Float32Array {
    let b = this.pxBuffers.get(length);
    if (!b) {
      if (this.pxBuffers.size >= 4) this.pxBuffers.clear();
      this.pxBuffers.set(length, (b = new Float32Array(length)));
    }
    return b;
  }

  private freshSlot(): Slot {
    return { frames: [], state: this.stateLayout.map((l) => new Float32Array(l.size)), pending: [] };
  }

  /** Runs `rows` (the first `real` are real, the rest padding) and fills their results. */
  private async runGroup(rows: Query[], real: number, results: ActResult[]): Promise<void> {
    const n = rows.length;
    const feeds: Record<string, ort.Tensor> = {};
    const img = this.m.image;
    const T = img.window ?? 1;
    const F = this.frameSize;
    const px = this.pixelBuffer(n * T * F);
    rows.forEach((q, r) => {
      const fr = q.slot.frames;
      // Episode start: repeat the first frame until the window is full.
      for (let t = 0; t < T; t++) px.set(fr[Math.max(0, t - (T - fr.length))] as Float32Array, (r * T + t) * F);
    });
    const [h, w] = img.size;
    const frameDims = img.layout === 'NCHW' ? [3, h, w] : [h, w, 3];
    feeds[img.input] = new ort.Tensor('float32', px, img.window ? [n, T, ...frameDims] : [n, ...frameDims]);

    const ins = this.m.instruction;
    if (ins) {
      const L = ins.length;
      const mk = (pick: (e: Encoded) => number[]) => {
        if (ins.dtype === 'int64') {
          const a = new BigInt64Array(n * L);
          rows.forEach((q, r) => pick(q.text as Encoded).forEach((v, j) => (a[r * L + j] = BigInt(v))));
          return new ort.Tensor('int64', a, [n, L]);
        }
        const a = new Int32Array(n * L);
        rows.forEach((q, r) => a.set(pick(q.text as Encoded), r * L));
        return new ort.Tensor('int32', a, [n, L]);
      };
      feeds[ins.idsInput] = mk((e) => e.ids);
      if (ins.maskInput) feeds[ins.maskInput] = mk((e) => e.mask);
    }
    this.m.state.forEach((s, k) => {
      const l = this.stateLayout[k] as (typeof this.stateLayout)[number];
      const a = new Float32Array(n * l.size);
      rows.forEach((q, r) => scatterRow(a, q.slot.state[k] as Float32Array, r, n, l.outer, l.inner));
      feeds[s.input] = new ort.Tensor('float32', a, l.dims(n));
    });

    const fail = (why: string) => {
      for (let r = 0; r < real; r++) results[(rows[r] as Query).index] = { error: `policy_error: ${why}` };
    };
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(feeds);
    } catch (e) {
      fail(`onnxruntime: ${(e as Error).message.split('\n')[0]}`);
      return;
    }

    const o = this.m.output;
    const y = out[o.tensor];
    const dims = y?.dims ?? [];
    const rank = 2 + o.chunkIndex.length;
    // Binned / text decoders check their own output shape and decode each row (decoders.ts).
    let decoded: (number[][] | { error: string })[] | undefined;
    if (this.decoder) {
      const d = y ? this.decoder.decode(y as unknown as import('./decoders').OutputTensor, n, real, o.chunkIndex, this.m.chunk ? Infinity : o.executeSteps, o.actionDims) : { error: 'missing' };
      if ('error' in d) {
        fail(`output "${o.tensor}" (decoder ${o.decoder.type}): ${d.error}`);
        return;
      }
      decoded = d.rows;
    }
    if (!decoded && (!y || y.type !== 'float32' || dims.length !== rank || dims[0] !== n || dims[rank - 1] !== o.actionDims)) {
      fail(`output "${o.tensor}" has shape (${dims.join(',')}) ${y?.type ?? 'missing'}, expected (${n},${o.chunkIndex.map(() => '…').join(',')}${rank > 2 ? ',' : ''}${o.actionDims}) float32`);
      return;
    }
    const data = y!.data as Float32Array;
    const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
    let offset = 0;
    let chunkStride = 0;
    let available = 1;
    for (let i = 0; i < o.chunkIndex.length; i++) {
      const size = dims[i + 1] as number;
      const idx = (o.chunkIndex[i] as number) < 0 ? size + (o.chunkIndex[i] as number) : (o.chunkIndex[i] as number);
      if (idx < 0 || idx >= size) {
        fail(`output.chunkIndex[${i}] = ${o.chunkIndex[i]} is outside axis ${i + 1} of size ${size} of output "${o.tensor}"`);
        return;
      }
      offset += idx * (strides[i + 1] as number);
      if (i === o.chunkIndex.length - 1) {
        chunkStride = strides[i + 1] as number;
        available = size - idx;
      }
    }
    // A chunk for the loop: the whole rest of the chunk axis; else executeSteps for our own queue.
    const k = this.m.chunk ? available : Math.min(o.executeSteps, available);
    const [lo, hi] = o.clamp;

    // State outputs, checked once for the group.
    const stateOut: Float32Array[] = [];
    for (let s = 0; s < this.m.state.length; s++) {
      const spec = this.m.state[s] as StateSpec;
      const l = this.stateLayout[s] as (typeof this.stateLayout)[number];
      const t = out[spec.output];
      if (!t || t.type !== 'float32' || (t.data as Float32Array).length !== n * l.size) {
        fail(`state output "${spec.output}" has shape (${t?.dims.join(',') ?? 'missing'}), expected (${l.dims(n).join(',')})`);
        return;
      }
      stateOut.push(t.data as Float32Array);
    }

    for (let r = 0; r < real; r++) {
      const q = rows[r] as Query;
      const actions: number[][] = [];
      let bad: number[] | undefined;
      const dec = decoded?.[r];
      if (dec && !Array.isArray(dec)) {
        results[q.index] = { error: `policy_error: ${dec.error}` };
        continue;
      }
      if (dec) for (const raw of dec) actions.push(raw.map((v) => Math.min(hi, Math.max(lo, v * o.scale))));
      else for (let j = 0; j < k; j++) {
        const base = r * (strides[0] as number) + offset + j * chunkStride;
        const raw = Array.from(data.subarray(base, base + o.actionDims));
        if (!raw.every(Number.isFinite)) {
          bad = raw;
          break;
        }
        actions.push(raw.map((v) => Math.min(hi, Math.max(lo, v * o.scale))));
      }
      if (bad) {
        results[q.index] = { error: `policy_error: non-finite action [${bad.join(', ')}] from output "${o.tensor}"` };
        continue;
      }
      stateOut.forEach((a, s) => {
        const l = this.stateLayout[s] as (typeof this.stateLayout)[number];
        gatherRow(a, q.slot.state[s] as Float32Array, r, n, l.outer, l.inner);
      });
      if (this.m.chunk) results[q.index] = { actions };
      else {
        results[q.index] = { action: actions[0] as number[] };
        q.slot.pending = actions.slice(1);
      }
    }
  }
}

/** A state tensor with batch axis a: rows interleave as [outer][B][inner]. */
function layoutOf(s: StateSpec) {
  const a = s.shape.indexOf('B');
  const fixed = s.shape as (number | 'B')[];
  const prod = (xs: (number | 'B')[]) => xs.reduce<number>((p, d) => p * (d as number), 1);
  const outer = prod(fixed.slice(0, a));
  const inner = prod(fixed.slice(a + 1));
  return { size: outer * inner, outer, inner, dims: (b: number) => fixed.map((d) => (d === 'B' ? b : d)) };
}

function scatterRow(dst: Float32Array, row: Float32Array, r: number, B: number, outer: number, inner: number): void {
  for (let o = 0; o < outer; o++) dst.set(row.subarray(o * inner, (o + 1) * inner), (o * B + r) * inner);
}

function gatherRow(src: Float32Array, row: Float32Array, r: number, B: number, outer: number, inner: number): void {
  for (let o = 0; o < outer; o++) row.set(src.subarray((o * B + r) * inner, (o * B + r + 1) * inner), o * inner);
}
