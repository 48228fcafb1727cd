/**
 * Load-time checks: the file is an ONNX model, and its inputs/outputs match the manifest.
 * Everything that is wrong is a ConfigError naming the model path and the tensor, so a bad export
 * fails before the first episode instead of as NaNs or shape errors mid-run.
 */
import { readFileSync } from 'node:fs';
import type * as ortTypes from 'onnxruntime-node';
import { ConfigError } from '../../util/errors';
import { sha256 } from '../../util/hash';
import { onnx } from './proto';
import type { LoadedManifest } from './manifest';
import { expectedOutput } from './decoders';

export interface ModelHeader {
  irVersion: number;
  producer: string;
  opset: number;
  /** metadata_props: not exposed by onnxruntime-node's API, so read from the protobuf. */
  metadata: Record<string, string>;
  bytes: number;
  /** sha256 of the file: recorded with results so a run names the exact checkpoint. */
  sha256: string;
}

/** Decodes the ModelProto (cheap for small models; also catches files that are not ONNX at all). */
export function readModelHeader(modelPath: string): ModelHeader {
  let bytes: Buffer;
  try {
    bytes = readFileSync(modelPath);
  } catch (e) {
    throw new ConfigError(`Cannot read ONNX model ${modelPath}: ${(e as Error).message}`, 'Check "model" in the policy manifest (relative to the manifest).');
  }
  let m: import('onnx-proto').onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw notOnnx(modelPath, `protobuf decode failed (${(e as Error).message})`);
  }
  // Random bytes can decode as a protobuf with junk fields; a real model has a version and a graph with I/O.
  const irVersion = Number(m.irVersion ?? 0);
  if (!irVersion || !m.graph || !m.graph.input?.length || !m.graph.output?.length) {
    throw notOnnx(modelPath, 'no ir_version or no graph inputs/outputs');
  }
  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  const opset = Number((m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  return { irVersion, producer: [m.producerName, m.producerVersion].filter(Boolean).join(' '), opset, metadata, bytes: bytes.length, sha256: sha256(bytes) };
}

export function notOnnx(modelPath: string, why: string): ConfigError {
  return new ConfigError(`${modelPath}: not a valid ONNX model: ${why}; re-export it`, 'The file may be truncated (git LFS pointer?) or not an .onnx export.');
}

/** What the model's I/O tells the runner. */
export interface IoPlan {
  /** The batch size the model is fixed to (e.g. 1 for a (1,3,224,224) export); undefined when free. */
  fixedBatch?: number;
}

type Dim = number | string;
type Meta = ortTypes.InferenceSession.ValueMetadata;

/** Expected dims: a number is fixed, 'B' is the batch axis, '*' anything. */
type Want = (number | 'B' | '*')[];

function fmtShape(dims: readonly (Dim | undefined)[]): string {
  return `(${dims.map((d) => (d === undefined ? '?' : String(d))).join(',')})`;
}

export function validateIo(manifest: LoadedManifest, inputs: readonly Meta[], outputs: readonly Meta[]): IoPlan {
  const model = manifest.modelPath;
  const file = manifest.file;
  const byName = (list: readonly Meta[]) => new Map(list.map((m) => [m.name, m]));
  const ins = byName(inputs);
  const outs = byName(outputs);
  let fixedBatch: number | undefined;

  const check = (kind: 'input' | 'output', name: string, field: string, want: Want, dtype: string) => {
    const meta = (kind === 'input' ? ins : outs).get(name);
    if (!meta) {
      const have = [...(kind === 'input' ? ins : outs).keys()].join(', ');
      throw new ConfigError(
        `${model}: ${kind} "${name}" not found (manifest ${file}: ${field}); the model's ${kind}s are: ${have}`,
        `Use the tensor names of the export (e.g. from netron or onnx.load(...).graph.${kind}).`,
      );
    }
    if (!meta.isTensor) throw new ConfigError(`${model}: ${kind} "${name}" is not a tensor (manifest ${file}: ${field})`);
    const expect = `${fmtShape(want)} ${dtype}`;
    if (meta.type !== dtype) {
      throw new ConfigError(`${model}: ${kind} "${name}": expected ${expect} per manifest ${file} (${field}); model has dtype ${meta.type}`);
    }
    const shape = meta.shape;
    if (shape.length === 0) return; // rank unknown to ORT: checked at run time
    const bad = () =>
      new ConfigError(`${model}: ${kind} "${name}": expected shape ${expect} per manifest ${file} (${field}); model has ${fmtShape(shape)} ${meta.type}`);
    if (shape.length !== want.length) throw bad();
    want.forEach((w, i) => {
      const d = shape[i];
      if (w === 'B') {
        if (typeof d === 'number' && d > 0) {
          if (fixedBatch !== undefined && fixedBatch !== d) {
            throw new ConfigError(`${model}: ${kind} "${name}": batch axis fixed to ${d} but another tensor fixes it to ${fixedBatch}`);
          }
          fixedBatch = d;
        }
      } else if (w !== '*' && typeof d === 'number' && d > 0 && d !== w) throw bad();
    });
  };

  const img = manifest.image;
  const [h, w] = img.size;
  const frame: Want = img.layout === 'NCHW' ? [3, h, w] : [h, w, 3];
  check('input', img.input, 'image', img.window ? ['B', img.window, ...frame] : ['B', ...frame], img.dtype);

  const ins2 = manifest.instruction;
  if (ins2) {
    check('input', ins2.idsInput, 'instruction.idsInput', ['B', ins2.length], ins2.dtype);
    if (ins2.maskInput) check('input', ins2.maskInput, 'instruction.maskInput', ['B', ins2.length], ins2.dtype);
  }
  manifest.state.forEach((s, i) => {
    check('input', s.input, `state[${i}].input`, s.shape, 'float32');
    check('output', s.output, `state[${i}].output`, s.shape, 'float32');
  });

  const o = manifest.output;
  const exp = expectedOutput(o.decoder, o.actionDims, outs.get(o.tensor)?.isTensor ? (outs.get(o.tensor) as { type: string }).type : undefined);
  const outWant: Want = ['B', ...o.chunkIndex.map(() => '*' as const), ...exp.tail];
  check('output', o.tensor, 'output.tensor', outWant, exp.dtype);
  // Chunk indices must fall inside fixed axes.
  const om = outs.get(o.tensor);
  const oshape: readonly Dim[] = om && om.isTensor ? om.shape : [];
  o.chunkIndex.forEach((idx, i) => {
    const d = oshape[i + 1];
    if (typeof d !== 'number' || d <= 0) return;
    const isChunkAxis = i === o.chunkIndex.length - 1;
    const first = idx < 0 ? d + idx : idx;
    const steps = isChunkAxis ? (manifest.chunk?.execute ?? o.executeSteps) : 1;
    const last = first + steps - 1;
    if (first < 0 || last >= d) {
      const what = manifest.chunk ? ` with chunk.execute ${steps}` : ` with executeSteps ${steps}`;
      throw new ConfigError(`${model}: output "${o.tensor}": output.chunkIndex[${i}] = ${idx}${isChunkAxis && steps > 1 ? what : ''} is outside axis ${i + 1} of size ${d} (manifest ${file})`);
    }
  });

  // Every model input must be fed: ORT would otherwise fail on the first step.
  const fed = new Set<string>([img.input, ...(ins2 ? [ins2.idsInput, ...(ins2.maskInput ? [ins2.maskInput] : [])] : []), ...manifest.state.map((s) => s.input)]);
  for (const name of ins.keys()) {
    if (!fed.has(name)) {
      throw new ConfigError(
        `${model}: input "${name}" is not fed by manifest ${file}`,
        'Name it as image.input, instruction.idsInput/maskInput, or a state[].input (recurrent state).',
      );
    }
  }
  return fixedBatch === undefined ? {} : { fixedBatch };
}
