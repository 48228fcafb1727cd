/**
 * A small ONNX graph writer (onnx-proto): enough to build the seeded demo checkpoints and the
 * throwaway models that tests use. Output is deterministic: same calls → byte-identical file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { onnx } from '../../src/policy/onnx/proto';

export const DT = { float32: 1, int32: 6, int64: 7 } as const;
export type DTypeName = keyof typeof DT;

/** A dim: a fixed size, or a symbolic name ("B") for a free one. */
export type Dim = number | string;

export interface AttrValue {
  i?: number;
  f?: number;
  ints?: number[];
  floats?: number[];
  s?: string;
}

export class GraphBuilder {
  private nodes: import('onnx-proto').onnx.INodeProto[] = [];
  private inits: import('onnx-proto').onnx.ITensorProto[] = [];
  private inputs: import('onnx-proto').onnx.IValueInfoProto[] = [];
  private outputs: import('onnx-proto').onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly name = 'simgate_graph') {}

  input(name: string, dtype: DTypeName, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  output(name: string, dtype: DTypeName, shape: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** A float32 constant (initializer), stored as little-endian raw bytes. */
  floats(dims: readonly number[], values: ArrayLike<number>, name?: string): string {
    const n = name ?? this.fresh('w');
    const count = dims.reduce((a, b) => a * b, 1);
    if (values.length !== count) throw new Error(`initializer ${n}: ${values.length} values for dims [${dims.join(',')}]`);
    const buf = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) buf.writeFloatLE(values[i] as number, i * 4);
    this.inits.push({ name: n, dataType: DT.float32, dims: [...dims], rawData: buf });
    return n;
  }

  int64s(dims: readonly number[], values: readonly number[], name?: string): string {
    const n = name ?? this.fresh('c');
    const buf = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => buf.writeBigInt64LE(BigInt(v), i * 8));
    this.inits.push({ name: n, dataType: DT.int64, dims: [...dims], rawData: buf });
    return n;
  }

  /** Adds a node; returns its output names (fresh ones unless given). */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    this.nodes.push({
      opType,
      name: this.fresh(`n_${opType}`),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** One-output shorthand. */
  op1(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.op(opType, inputs, attrs, output ? [output] : 1)[0] as string;
  }

  encode(opset = 17): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'simgate',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  save(path: string, opset = 17): number {
    const bytes = this.encode(opset);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    return bytes.length;
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }
}

function valueInfo(name: string, dtype: DTypeName, shape: readonly Dim[]): import('onnx-proto').onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DT[dtype],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

// AttributeProto.AttributeType values from onnx.proto.
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

function attribute(name: string, v: AttrValue): import('onnx-proto').onnx.IAttributeProto {
  if (v.i !== undefined) return { name, type: ATTR.INT, i: v.i };
  if (v.f !== undefined) return { name, type: ATTR.FLOAT, f: v.f };
  if (v.ints !== undefined) return { name, type: ATTR.INTS, ints: v.ints };
  if (v.floats !== undefined) return { name, type: ATTR.FLOATS, floats: v.floats };
  if (v.s !== undefined) return { name, type: ATTR.STRING, s: Buffer.from(v.s, 'utf8') };
  throw new Error(`attribute ${name}: empty value`);
}

// ---------------------------------------------------------------------------------------------
// Throwaway models for tests (each writes one .onnx file and returns its byte size).

/**
 * image (B,3,H,W) float32 → action (B,2) = [mean of channel 0, mean of channel 0]. Used to check
 * channel order and normalisation end to end.
 */
export function writeChannelMeanModel(path: string, opts: { size?: number; inputName?: string; outputName?: string } = {}): number {
  const s = opts.size ?? 8;
  const g = new GraphBuilder('channel0_mean');
  const x = g.input(opts.inputName ?? 'image', 'float32', ['B', 3, s, s]);
  const c0 = g.op1('Slice', [x, g.int64s([1], [0]), g.int64s([1], [1]), g.int64s([1], [1])]); // (B,1,s,s)
  const m = g.op1('ReduceMean', [c0], { axes: { ints: [1, 2, 3] }, keepdims: { i: 0 } }); // (B)
  const col = g.op1('Unsqueeze', [m, g.int64s([1], [1])]); // (B,1)
  g.op1('Concat', [col, col], { axis: { i: 1 } }, opts.outputName ?? 'action');
  g.output(opts.outputName ?? 'action', 'float32', ['B', 2]);
  return g.save(path);
}

/**
 * image (B,3,H,W) → action (B,2) = image mean × (0/0), i.e. NaN for every row; with `nanIfNegative`
 * the output is sqrt(mean(channel 0)) so only rows whose normalised channel 0 is negative give NaN.
 */
export function writeNanModel(path: string, opts: { size?: number } = {}): number {
  const s = opts.size ?? 8;
  const g = new GraphBuilder('nan_if_negative');
  const x = g.input('image', 'float32', ['B', 3, s, s]);
  const c0 = g.op1('Slice', [x, g.int64s([1], [0]), g.int64s([1], [1]), g.int64s([1], [1])]);
  const m = g.op1('ReduceMean', [c0], { axes: { ints: [1, 2, 3] }, keepdims: { i: 0 } });
  const r = g.op1('Sqrt', [m]);
  const col = g.op1('Unsqueeze', [r, g.int64s([1], [1])]);
  g.op1('Concat', [col, col], { axis: { i: 1 } }, 'action');
  g.output('action', 'float32', ['B', 2]);
  return g.save(path);
}

/**
 * pixel_values (B,T,3,s,s) → out (B,T,2): each window step's channel-0 mean, in both action slots.
 * Lets a test read back which frame sits at each window position.
 */
export function writeWindowProbeModel(path: string, opts: { size?: number; window: number }): number {
  const s = opts.size ?? 8;
  const T = opts.window;
  const g = new GraphBuilder('window_probe');
  const x = g.input('pixel_values', 'float32', ['B', T, 3, s, s]);
  const c0 = g.op1('Slice', [x, g.int64s([1], [0]), g.int64s([1], [1]), g.int64s([1], [2])]); // (B,T,1,s,s)
  const m = g.op1('ReduceMean', [c0], { axes: { ints: [2, 3, 4] }, keepdims: { i: 0 } }); // (B,T)
  const col = g.op1('Unsqueeze', [m, g.int64s([1], [2])]); // (B,T,1)
  g.op1('Concat', [col, col], { axis: { i: 2 } }, 'out');
  g.output('out', 'float32', ['B', T, 2]);
  return g.save(path);
}

/**
 * A counter with recurrent state: h_out = h_in + 1 (h: (B,4)); action = [h_out[0], mean(image ch 0)].
 * The first action component counts the calls since the state was last zeroed.
 */
export function writeCounterModel(path: string, opts: { size?: number } = {}): number {
  const s = opts.size ?? 8;
  const g = new GraphBuilder('counter');
  const x = g.input('image', 'float32', ['B', 3, s, s]);
  const h = g.input('h_in', 'float32', ['B', 4]);
  const one = g.floats([1], [1]);
  const hOut = g.op1('Add', [h, one], {}, 'h_out');
  const first = g.op1('Slice', [hOut, g.int64s([1], [0]), g.int64s([1], [1]), g.int64s([1], [1])]); // (B,1)
  const c0 = g.op1('Slice', [x, g.int64s([1], [0]), g.int64s([1], [1]), g.int64s([1], [1])]);
  const m = g.op1('ReduceMean', [c0], { axes: { ints: [1, 2, 3] }, keepdims: { i: 0 } });
  const col = g.op1('Unsqueeze', [m, g.int64s([1], [1])]);
  g.op1('Concat', [first, col], { axis: { i: 1 } }, 'action');
  g.output('action', 'float32', ['B', 2]);
  g.output('h_out', 'float32', ['B', 4]);
  return g.save(path);
}
