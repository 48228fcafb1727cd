/**
 * msgpack with numpy arrays, byte-compatible with openpi's `openpi_client/msgpack_numpy.py`
 * (Physical-Intelligence/openpi): an ndarray travels as the map
 *   {b"__ndarray__": true, b"data": <bin: C-order bytes>, b"dtype": "<f4", b"shape": [d0, …]}
 * and a numpy scalar as {b"__npgeneric__": true, b"data": <scalar>, b"dtype": "<f8"}.
 * Those keys are Python bytes, so they go over the wire as msgpack *bin*, not str (msgpack-python
 * ≥ 1.0 packs bytes as bin), and the Python side looks them up as bytes: a map with str keys would
 * not be recognised. @msgpack/msgpack encodes only string keys, so the ndarray maps are written
 * here around the library's encoding of every value; decoding uses the library with a key
 * converter that reads bin keys as text.
 */
import { decode, encode } from '@msgpack/msgpack';

/** A numpy array as openpi sends it: dtype string (numpy's `dtype.str`), shape, raw C-order bytes. */
export class NdArray {
  constructor(
    readonly dtype: string,
    readonly shape: readonly number[],
    readonly data: Uint8Array,
  ) {
    const want = shape.reduce((a, b) => a * b, 1) * itemSize(dtype);
    if (data.byteLength !== want) throw new Error(`ndarray ${dtype} (${shape.join(', ')}) needs ${want} bytes, got ${data.byteLength}`);
  }

  static uint8(shape: readonly number[], data: Uint8Array): NdArray {
    return new NdArray('|u1', shape, data);
  }

  static float32(shape: readonly number[], values: ArrayLike<number>): NdArray {
    const f = Float32Array.from(values);
    // numpy's '<f4' is little-endian; write explicitly so the bytes do not depend on the host.
    const bytes = new Uint8Array(f.length * 4);
    const dv = new DataView(bytes.buffer);
    f.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return new NdArray('<f4', shape, bytes);
  }

  /** Every element as a JS number, in C order. */
  values(): number[] {
    const kind = this.dtype.slice(1);
    const little = this.dtype[0] !== '>';
    const dv = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    const n = this.data.byteLength / itemSize(this.dtype);
    const read = READERS[kind];
    if (!read) throw new Error(`unsupported ndarray dtype "${this.dtype}"`);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = read(dv, i, little);
    return out;
  }

  /** A 2-D array as rows (a 1-D array as one row). */
  rows(): number[][] {
    const v = this.values();
    if (this.shape.length === 1) return [v];
    if (this.shape.length !== 2) throw new Error(`expected a 2-D array, got shape (${this.shape.join(', ')})`);
    const [h, w] = this.shape as [number, number];
    return Array.from({ length: h }, (_, i) => v.slice(i * w, (i + 1) * w));
  }
}

const SIZES: Record<string, number> = { b1: 1, i1: 1, u1: 1, i2: 2, u2: 2, f2: 2, i4: 4, u4: 4, f4: 4, i8: 8, u8: 8, f8: 8 };

function itemSize(dtype: string): number {
  const m = /^[<>|=]([biuf]\d)$/.exec(dtype);
  const s = m ? SIZES[m[1]!] : undefined;
  if (!s) throw new Error(`unsupported ndarray dtype "${dtype}" (numeric dtypes only, as openpi)`);
  return s;
}

const READERS: Record<string, (dv: DataView, i: number, little: boolean) => number> = {
  b1: (dv, i) => dv.getUint8(i),
  i1: (dv, i) => dv.getInt8(i),
  u1: (dv, i) => dv.getUint8(i),
  i2: (dv, i, le) => dv.getInt16(i * 2, le),
  u2: (dv, i, le) => dv.getUint16(i * 2, le),
  f2: (dv, i, le) => halfToFloat(dv.getUint16(i * 2, le)),
  i4: (dv, i, le) => dv.getInt32(i * 4, le),
  u4: (dv, i, le) => dv.getUint32(i * 4, le),
  f4: (dv, i, le) => dv.getFloat32(i * 4, le),
  i8: (dv, i, le) => Number(dv.getBigInt64(i * 8, le)),
  u8: (dv, i, le) => Number(dv.getBigUint64(i * 8, le)),
  f8: (dv, i, le) => dv.getFloat64(i * 8, le),
};

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const utf8 = new TextEncoder();
const KEY = (s: string) => encode(utf8.encode(s)); // a Python bytes key: msgpack bin

/** Map header for n entries (fixmap / map 16 / map 32). */
function mapHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x80 + n);
  if (n < 0x10000) return Uint8Array.of(0xde, n >> 8, n & 0xff);
  return Uint8Array.of(0xdf, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
const hasNdArray = (v: unknown): boolean => v instanceof NdArray || (Array.isArray(v) ? v.some(hasNdArray) : isPlainObject(v) && Object.values(v).some(hasNdArray));

function pack(v: unknown, out: Uint8Array[]): void {
  if (v instanceof NdArray) {
    // Key order as openpi's pack_array writes them.
    out.push(mapHeader(4), KEY('__ndarray__'), encode(true), KEY('data'), encode(v.data), KEY('dtype'), encode(v.dtype), KEY('shape'), encode([...v.shape]));
  } else if (!hasNdArray(v)) {
    out.push(encode(v));
  } else if (Array.isArray(v)) {
    const n = v.length;
    out.push(n < 16 ? Uint8Array.of(0x90 + n) : n < 0x10000 ? Uint8Array.of(0xdc, n >> 8, n & 0xff) : Uint8Array.of(0xdd, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff));
    for (const x of v) pack(x, out);
  } else {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    out.push(mapHeader(entries.length));
    for (const [k, x] of entries) {
      out.push(encode(k));
      pack(x, out);
    }
  }
}

/** msgpack bytes of `value`, NdArray instances encoded as openpi's msgpack_numpy does. */
export function packb(value: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  pack(value, parts);
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const buf = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.byteLength;
  }
  return buf;
}

const text = new TextDecoder();

/** Reads a msgpack reply: bin map keys as text, ndarray maps as NdArray, numpy scalars as numbers. */
export function unpackb(bytes: Uint8Array): unknown {
  const raw = decode(bytes, { mapKeyConverter: (k) => (k instanceof Uint8Array ? text.decode(k) : typeof k === 'string' || typeof k === 'number' ? k : String(k)) });
  return revive(raw);
}

function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (!isPlainObject(v)) return v;
  if (v.__ndarray__ === true && v.data instanceof Uint8Array && typeof v.dtype === 'string' && Array.isArray(v.shape)) {
    return new NdArray(v.dtype, v.shape as number[], v.data);
  }
  if (v.__npgeneric__ === true && 'data' in v) return typeof v.data === 'bigint' ? Number(v.data) : v.data;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
}
