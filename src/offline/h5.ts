/**
 * The HDF5 library: h5wasm (the HDF5 C library compiled to WebAssembly, reading the host
 * filesystem directly in Node). Nothing here parses HDF5 bytes itself.
 *
 * HDF5 reports errors by printing its error stack to stderr and returning a negative id; h5wasm
 * then throws a generic message ("error - name not defined!"). The useful part — "truncated
 * file: eof = …", "bad object header version number" — is only in that printed stack, so every
 * call into the library goes through `h5call`, which captures what HDF5 prints (synchronously,
 * for the duration of the call) and turns it into the error's reason instead of noise on the
 * user's terminal.
 */
import fs from 'node:fs';
import h5wasm from 'h5wasm/node';

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
export type H5Group = InstanceType<typeof h5wasm.Group>;

let ready: Promise<unknown> | undefined;

/** Loads the wasm module once (≈ 50 ms). */
export async function h5Ready(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

/** An HDF5 failure with the library's own words for it. */
export class H5Error extends Error {
  constructor(
    message: string,
    /** The innermost HDF5 diagnostic ("truncated file: eof = 7991, … stored_eof = 15983"). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'H5Error';
  }
}

/**
 * Runs a synchronous h5wasm call with HDF5's stderr diagnostics captured. On failure the thrown
 * H5Error carries the innermost diagnostic line (the cause) and its "minor" class.
 */
export function h5call<T>(what: string, fn: () => T): T {
  const original = fs.writeSync;
  let captured = '';
  // h5wasm's Node build (NODERAWFS) writes the C library's stderr with fs.writeSync(2, …). Nothing
  // else can run while this synchronous call is in progress, so the swap is never seen elsewhere.
  (fs as { writeSync: unknown }).writeSync = function (fd: number, buf: unknown, ...rest: unknown[]) {
    if (fd === 2) {
      const b = typeof buf === 'string' ? Buffer.from(buf) : Buffer.from((buf as Uint8Array).buffer, (buf as Uint8Array).byteOffset + ((rest[0] as number) ?? 0), (rest[1] as number) ?? (buf as Uint8Array).length);
      captured += b.toString('utf8');
      return b.length;
    }
    return (original as (...a: unknown[]) => number).call(fs, fd, buf, ...rest);
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    throw new H5Error(`${what}: ${describeDiagnostics(captured) ?? (e as Error).message ?? String(e)}`, innermost(captured));
  } finally {
    fs.writeSync = original;
  }
  // Some failures do not throw (opening a damaged file returns an invalid id, a damaged object
  // opens as null): an error stack printed during the call is the failure.
  if (/HDF5-DIAG: Error detected/.test(captured)) throw new H5Error(`${what}: ${describeDiagnostics(captured) ?? 'HDF5 error'}`, innermost(captured));
  return result;
}

/** "<cause> (<minor class>)" from an HDF5 error stack, or undefined when there is none. */
export function describeDiagnostics(text: string): string | undefined {
  const cause = innermost(text);
  if (!cause) return undefined;
  const minors = [...text.matchAll(/^\s*minor:\s*(.+)$/gm)].map((m) => m[1]!.trim()).filter(Boolean);
  const minor = minors[minors.length - 1];
  return minor && !cause.toLowerCase().includes(minor.toLowerCase()) ? `${cause} (${minor})` : cause;
}

/** The text after "in FUNC():" of the deepest "#NNN:" frame of the first error stack. */
function innermost(text: string): string | undefined {
  const first = text.split(/HDF5-DIAG: Error detected/)[1] ?? text;
  const frames = [...first.matchAll(/#\d+:.*? in [^(]+\(\):\s*(.*)$/gm)].map((m) => m[1]!.trim());
  return frames.length ? frames[frames.length - 1] : undefined;
}

/** Opens a file read-only, with the library's reason when it cannot. */
export async function openH5(path: string): Promise<H5File> {
  const h5 = await h5Ready();
  return h5call('cannot open', () => new h5.File(path, 'r'));
}

/** Creates (truncates) a file for writing. */
export async function createH5(path: string): Promise<H5File> {
  const h5 = await h5Ready();
  return h5call('cannot create', () => new h5.File(path, 'w'));
}

/** The entity at `path`, or null when absent (a missing key is not an error). */
export function getEntity(group: H5Group, path: string): H5Dataset | H5Group | null {
  const parts = path.split('/');
  let g: H5Group = group;
  for (let i = 0; i < parts.length; i++) {
    const keys = h5call(`cannot list ${g.path}`, () => g.keys());
    if (!keys.includes(parts[i]!)) return null;
    const child = h5call(`cannot open ${parts.slice(0, i + 1).join('/')}`, () => g.get(parts[i]!));
    if (i === parts.length - 1) return isDataset(child) || isGroup(child) ? child : null;
    if (!isGroup(child)) return null;
    g = child;
  }
  return null;
}

export const isDataset = (e: unknown): e is H5Dataset => Boolean(e) && (e as { type?: string }).type === 'Dataset';
export const isGroup = (e: unknown): e is H5Group => Boolean(e) && (e as { type?: string }).type === 'Group';

/** Attributes as plain JS values (strings, numbers; one-element arrays unwrapped). */
export function readAttrs(entity: H5Group | H5Dataset): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const attrs = h5call('cannot read attributes', () => entity.attrs);
  for (const name of Object.keys(attrs)) {
    try {
      let v: unknown = h5call(`cannot read attribute ${name}`, () => attrs[name]!.json_value);
      if (Array.isArray(v) && v.length === 1) v = v[0];
      out[name] = v;
    } catch {
      out[name] = null; // an unreadable attribute is not worth losing the episode over
    }
  }
  return out;
}
