/**
 * Trained weights → ONNX (dev/onnx/build.ts GraphBuilder), computing what model.ts computes:
 *
 *   pixel_values (B,4,3,224,224) → reshape (B·4,3,224,224) → AveragePool 4×4/4 → Conv 4×4/4 → ReLU
 *   → Conv 2×2/2 → ReLU → transpose to NHWC → flatten → Gemm → ReLU → reshape (B,128)
 *   input_ids, attention_mask (B,L) → Gather(embedding) × mask → ReduceSum → (B,16)
 *   concat → Gemm → ReLU → Gemm → output layer:
 *     continuous: Tanh → action (B,2)
 *     binned:     reshape → logits (B,2,256)
 *     text:       reshape (B,5,V) → ArgMax → tokens (B,5) int64
 *
 * Same weights → byte-identical file.
 */
import { onnx } from '../../src/policy/onnx/proto';
import { GraphBuilder } from '../onnx/build';
import { CAMERA, POOL } from './collect';
import { C1, C2, FEAT, GRID, WINDOW, type Weights } from './model';

export type OutputKind = { kind: 'continuous' } | { kind: 'binned'; bins: number; dims: number } | { kind: 'text'; slots: number; vocab: number };

export const INPUT_LENGTH = 24;

function w(ws: Weights, k: string): { shape: number[]; values: Float32Array } {
  const v = ws[k];
  if (!v) throw new Error(`export: missing weight ${k}`);
  return v;
}

/** Training patch matrix (k·k·cin, cout), rows ordered (ky, kx, c) → ONNX Conv weight (cout, cin, k, k). */
function convWeight(m: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(cout * cin * k * k);
  for (let o = 0; o < cout; o++)
    for (let c = 0; c < cin; c++)
      for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) out[((o * cin + c) * k + ky) * k + kx] = m[((ky * k + kx) * cin + c) * cout + o] as number;
  return out;
}

export function buildPolicyOnnx(name: string, ws: Weights, out: OutputKind, meta: Record<string, string> = {}): Uint8Array {
  const g = new GraphBuilder(name);
  const px = g.input('pixel_values', 'float32', ['batch', WINDOW, 3, CAMERA, CAMERA]);
  const ids = g.input('input_ids', 'int64', ['batch', INPUT_LENGTH]);
  const mask = g.input('attention_mask', 'int64', ['batch', INPUT_LENGTH]);

  // Vision encoder, per frame.
  const frames = g.op1('Reshape', [px, g.int64s([4], [-1, 3, CAMERA, CAMERA])]);
  const pooled = g.op1('AveragePool', [frames], { kernel_shape: { ints: [POOL, POOL] }, strides: { ints: [POOL, POOL] } });
  const c1 = g.op1('Conv', [pooled, g.floats([C1, 3, 4, 4], convWeight(w(ws, 'w1').values, 4, 3, C1)), g.floats([C1], w(ws, 'b1').values)], {
    kernel_shape: { ints: [4, 4] },
    strides: { ints: [4, 4] },
  });
  const c2 = g.op1('Conv', [g.op1('Relu', [c1]), g.floats([C2, C1, 2, 2], convWeight(w(ws, 'w2').values, 2, C1, C2)), g.floats([C2], w(ws, 'b2').values)], {
    kernel_shape: { ints: [2, 2] },
    strides: { ints: [2, 2] },
  });
  const nhwc = g.op1('Transpose', [g.op1('Relu', [c2])], { perm: { ints: [0, 2, 3, 1] } });
  const flat = g.op1('Reshape', [nhwc, g.int64s([2], [-1, GRID * GRID * C2])]);
  const feat = g.op1('Relu', [g.op1('Gemm', [flat, g.floats([GRID * GRID * C2, FEAT], w(ws, 'w3').values), g.floats([FEAT], w(ws, 'b3').values)])]);
  const win = g.op1('Reshape', [feat, g.int64s([2], [-1, WINDOW * FEAT])]);

  // Instruction: masked sum of word embeddings.
  const emb = w(ws, 'emb');
  const e = g.op1('Gather', [g.floats(emb.shape, emb.values), ids], { axis: { i: 0 } }); // (B,L,16)
  const m = g.op1('Unsqueeze', [g.op1('Cast', [mask], { to: { i: 1 } }), g.int64s([1], [2])]);
  const text = g.op1('ReduceSum', [g.op1('Mul', [e, m]), g.int64s([1], [1])], { keepdims: { i: 0 } }); // (B,16)

  // Head.
  const x = g.op1('Concat', [win, text], { axis: { i: 1 } });
  const h1 = w(ws, 'h1');
  const h = g.op1('Relu', [g.op1('Gemm', [x, g.floats(h1.shape, h1.values), g.floats([h1.shape[1] as number], w(ws, 'hb1').values)])]);
  const h2 = w(ws, 'h2');
  const y = g.op1('Gemm', [h, g.floats(h2.shape, h2.values), g.floats([h2.shape[1] as number], w(ws, 'hb2').values)]);
  if (out.kind === 'continuous') {
    g.op1('Tanh', [y], {}, 'action');
    g.output('action', 'float32', ['batch', 2]);
  } else if (out.kind === 'binned') {
    g.op1('Reshape', [y, g.int64s([3], [-1, out.dims, out.bins])], {}, 'logits');
    g.output('logits', 'float32', ['batch', out.dims, out.bins]);
  } else {
    const logits = g.op1('Reshape', [y, g.int64s([3], [-1, out.slots, out.vocab])]);
    g.op1('ArgMax', [logits], { axis: { i: 2 }, keepdims: { i: 0 } }, 'tokens');
    g.output('tokens', 'int64', ['batch', out.slots]);
  }
  return withMetadata(g.encode(), meta);
}

/** Adds metadata_props (training seed, data digest…) to an encoded model. */
function withMetadata(bytes: Uint8Array, meta: Record<string, string>): Uint8Array {
  if (!Object.keys(meta).length) return bytes;
  const model = onnx.ModelProto.decode(bytes);
  model.metadataProps = Object.entries(meta).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }));
  return onnx.ModelProto.encode(model).finish();
}
