/**
 * One of the lab's HDF5 episodes: its schema (from keys and attributes only — LAB.md §2: V6 files
 * still live under `mobile_vla_dataset_v5/`), its actions and instruction (small, read whole), and
 * its frames (large: read a block of frames at a time through dataset slicing, never the whole
 * dataset).
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Frame } from '../image/frame';
import { getEntity, h5call, isDataset, openH5, readAttrs, type H5Dataset, type H5File } from './h5';
import { parseScenario, type Scenario } from './scenario';

/**
 * - `v1-v4` (legacy, minuum/vla collector): `images` stored **BGR** (cv_bridge bgr8, never converted),
 *   `actions`, `action_event_types`, attrs such as `action_chunk_size`, `collection_hour`.
 * - `v5` (MoNaVLA gradio collector): `observations/images` RGB, `actions`, `language_instruction`.
 * - `v6` (EdgeGroundVLA dashboard): `images`, `actions`, `action_event_types`, `cx_position`/`cx_path` attrs.
 */
export type Schema = 'v1-v4' | 'v5' | 'v6';
export type StoredOrder = 'RGB' | 'BGR';

/** Where a file's instruction came from. */
export type InstructionSource = 'file' | 'file-name' | 'default' | 'flag';

export interface EpisodeInfo {
  file: string;
  bytes: number;
  schema: Schema;
  /** Why the schema was chosen, in words (keys/attrs that decided it). */
  detectedBy: string;
  imagesPath: string;
  /** Frames in the images dataset, and how many have an action label (the shorter of the two). */
  frames: number;
  labelled: number;
  height: number;
  width: number;
  storedOrder: StoredOrder;
  /** Actions as [lx, ly, az] per frame (a 2-column dataset gets az = 0). */
  actions: number[][];
  events?: string[];
  instruction: string;
  instructionSource: InstructionSource;
  scenario: Scenario;
  attrs: Record<string, unknown>;
  /** Things worth saying that do not stop the evaluation (frame/label count mismatch…). */
  warnings: string[];
}

/** A file that cannot be evaluated, and why (what to do is in `hint`). */
export class EpisodeError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'EpisodeError';
  }
}

export interface OpenOptions {
  /** Instruction for every file (overrides the file's and the defaults). */
  instruction?: string;
}

/**
 * What the lab's policies were told. V1–V4 files mostly lack text (468 got an English
 * `language_instruction` later; the lab's loader rebuilt Korean text from the file name), so the
 * side comes from the name and the text is simgate's seed-era instruction, which the shipped
 * checkpoints were trained on. V6 files have none: the deployed server's instruction is the
 * grounding phrase, "gray basket" by default (EdgeGroundVLA stage2_v2_inference_server).
 */
export const SEED_INSTRUCTION = (side: 'left' | 'right') => `Navigate around obstacles and reach the front of the beverage bottle on the ${side}`;
export const V6_INSTRUCTION = 'gray basket';

/** An opened episode: its facts, and its frames on demand. Close it when done. */
export class Episode {
  private constructor(
    readonly info: EpisodeInfo,
    private readonly file: H5File,
    private readonly images: H5Dataset,
    /** Frames read per slice: the dataset's chunk along time (decompressed once), at least 1. */
    private readonly block: number,
  ) {}

  static async open(path: string, opts: OpenOptions = {}): Promise<Episode> {
    let bytes = 0;
    try {
      bytes = statSync(path).size;
    } catch (e) {
      throw new EpisodeError(`cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'Check the path.');
    }
    if (bytes === 0) throw new EpisodeError('empty file (0 bytes)', 'The collector did not write it (disk full?): collect the episode again or leave it out.');
    let file: H5File;
    try {
      file = await openH5(path);
    } catch (e) {
      throw new EpisodeError((e as Error).message, hintFor((e as Error).message));
    }
    try {
      const { info, images, block } = describe(path, bytes, file, opts);
      return new Episode(info, file, images, block);
    } catch (e) {
      h5call('close', () => file.close());
      if (e instanceof EpisodeError) throw e;
      throw new EpisodeError((e as Error).message, hintFor((e as Error).message));
    }
  }

  /**
   * Frames [start, end) as RGB frames (BGR files converted), read `block` frames per slice so
   * memory stays at one block whatever the episode's length.
   */
  *frames(start = 0, end = this.info.labelled): Generator<Frame> {
    const { height: H, width: W, storedOrder } = this.info;
    const size = H * W * 3;
    for (let t0 = start; t0 < end; t0 += this.block) {
      const t1 = Math.min(end, t0 + this.block);
      const data = h5call(`cannot read frames ${t0}–${t1 - 1} of ${this.info.imagesPath}`, () => this.images.slice([[t0, t1]])) as Uint8Array | null;
      if (!data || data.length < (t1 - t0) * size) throw new EpisodeError(`frames ${t0}–${t1 - 1} of ${this.info.imagesPath}: got ${data?.length ?? 0} bytes, expected ${(t1 - t0) * size}`, 'The file is damaged: collect the episode again or leave it out.');
      for (let t = t0; t < t1; t++) {
        const raw = data.subarray((t - t0) * size, (t - t0 + 1) * size);
        yield { width: W, height: H, data: storedOrder === 'BGR' ? bgrToRgb(raw) : new Uint8Array(raw) };
      }
    }
  }

  close(): void {
    try {
      h5call('close', () => this.file.close());
    } catch {
      // closing a damaged file can fail too; there is nothing left to do with it
    }
  }
}

function bgrToRgb(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i + 2 < src.length; i += 3) {
    out[i] = src[i + 2]!;
    out[i + 1] = src[i + 1]!;
    out[i + 2] = src[i]!;
  }
  return out;
}

/** Detects the schema and reads everything but the frames. Throws EpisodeError with the reason. */
function describe(path: string, bytes: number, file: H5File, opts: OpenOptions): { info: EpisodeInfo; images: H5Dataset; block: number } {
  const keys = h5call('cannot list the root group', () => file.keys());
  const attrs = readAttrs(file);
  const has = (k: string) => keys.includes(k);
  const warnings: string[] = [];

  let schema: Schema;
  let imagesPath: string;
  let detectedBy: string;
  const obs = has('observations') ? getEntity(file, 'observations/images') : null;
  if (obs && isDataset(obs)) {
    schema = 'v5';
    imagesPath = 'observations/images';
    detectedBy = 'observations/images';
  } else if (has('images') && ('cx_position' in attrs || 'cx_path' in attrs)) {
    schema = 'v6';
    imagesPath = 'images';
    detectedBy = `images + attr ${'cx_position' in attrs ? 'cx_position' : 'cx_path'}`;
  } else if (has('images')) {
    schema = 'v1-v4';
    imagesPath = 'images';
    detectedBy = 'images without cx_position/cx_path attrs';
  } else {
    throw new EpisodeError(
      `not one of the lab's episode schemas: no "images" or "observations/images" dataset (keys: ${keys.join(', ') || 'none'})`,
      'Pass V1–V4, V5 or V6 episode files (LAB.md §2); other HDF5 files (e.g. inference session logs) are not episodes.',
    );
  }
  if (!has('actions')) throw new EpisodeError(`schema ${schema} (${detectedBy}) but no "actions" dataset (keys: ${keys.join(', ')})`, 'The episode has no labels to compare with: leave it out.');

  const images = getEntity(file, imagesPath);
  if (!isDataset(images)) throw new EpisodeError(`${imagesPath} is not a dataset`, 'Leave the file out.');
  const shape = h5call(`cannot read the shape of ${imagesPath}`, () => images.shape) ?? [];
  const meta = h5call(`cannot read the type of ${imagesPath}`, () => images.metadata);
  if (shape.length !== 4 || shape[3] !== 3) throw new EpisodeError(`${imagesPath} has shape (${shape.join(', ')}), expected (T, H, W, 3)`, 'The frames are not colour images: leave the file out.');
  if (meta.type !== 0 || meta.size !== 1 || meta.signed) throw new EpisodeError(`${imagesPath} is not uint8 (HDF5 type class ${meta.type}, ${meta.size} bytes${meta.signed ? ', signed' : ''})`, 'Frames must be uint8 (T, H, W, 3).');
  const [T, H, W] = shape as [number, number, number, number];

  const actionsDs = getEntity(file, 'actions');
  if (!isDataset(actionsDs)) throw new EpisodeError('"actions" is not a dataset', 'Leave the file out.');
  const aShape = h5call('cannot read the shape of actions', () => actionsDs.shape) ?? [];
  if (aShape.length !== 2 || (aShape[1] ?? 0) < 2) throw new EpisodeError(`actions has shape (${aShape.join(', ')}), expected (T, 3) [linear_x, linear_y, angular_z]`, 'Leave the file out.');
  const flat = h5call('cannot read actions', () => actionsDs.value) as ArrayLike<number> | null;
  const cols = aShape[1]!;
  const actions: number[][] = [];
  for (let t = 0; t < aShape[0]!; t++) {
    const row = [Number(flat?.[t * cols] ?? NaN), Number(flat?.[t * cols + 1] ?? NaN), cols >= 3 ? Number(flat?.[t * cols + 2] ?? NaN) : 0];
    actions.push(row);
  }
  const bad = actions.findIndex((a) => !a.every(Number.isFinite));
  if (bad >= 0) throw new EpisodeError(`actions[${bad}] is not finite (${actions[bad]!.join(', ')})`, 'The labels are damaged: leave the file out.');

  let events: string[] | undefined;
  const ev = has('action_event_types') ? getEntity(file, 'action_event_types') : null;
  if (ev && isDataset(ev)) {
    const v = h5call('cannot read action_event_types', () => ev.value);
    if (Array.isArray(v)) events = v.map(String);
  }

  const labelled = Math.min(T, actions.length);
  if (T !== actions.length) warnings.push(`${T} frames but ${actions.length} actions: only the first ${labelled} frames are evaluated`);
  if (T === 0) throw new EpisodeError(`${imagesPath} has no frames`, 'Leave the file out.');

  const scenario = parseScenario(basename(path), attrs);
  const { instruction, source } = instructionOf(file, has, schema, scenario, opts);
  if (source === 'default' && schema !== 'v6') warnings.push(`no instruction in the file or its name: using "${instruction}"`);

  // Read along time in chunk-sized blocks: each HDF5 chunk is decompressed once.
  const chunks = meta.chunks as number[] | null | undefined;
  const block = Math.max(1, Math.min(chunks?.[0] ?? 1, 16));
  return {
    info: {
      file: path,
      bytes,
      schema,
      detectedBy,
      imagesPath,
      frames: T,
      labelled,
      height: H,
      width: W,
      // V6: LAB.md does not state the order; the lab's LeRobot export (EdgeGroundVLA
      // scripts/convert/h5_v6_to_lerobot.py) writes V6 `images` straight into RGB video.
      storedOrder: schema === 'v1-v4' ? 'BGR' : 'RGB',
      actions: actions.slice(0, labelled),
      ...(events ? { events: events.slice(0, labelled) } : {}),
      instruction,
      instructionSource: source,
      scenario,
      attrs,
      warnings,
    },
    images,
    block,
  };
}

function instructionOf(file: H5File, has: (k: string) => boolean, schema: Schema, scenario: Scenario, opts: OpenOptions): { instruction: string; source: InstructionSource } {
  if (opts.instruction !== undefined) return { instruction: opts.instruction, source: 'flag' };
  if (has('language_instruction')) {
    const ds = getEntity(file, 'language_instruction');
    if (isDataset(ds)) {
      const v = h5call('cannot read language_instruction', () => ds.value);
      const text = (Array.isArray(v) ? v[0] : v) as unknown;
      const s = text instanceof Uint8Array ? new TextDecoder().decode(text) : typeof text === 'string' ? text : undefined;
      if (s && s.replace(/\0+$/, '').trim()) return { instruction: s.replace(/\0+$/, '').trim(), source: 'file' };
    }
  }
  // simgate's own V6 exports carry the scene's instruction (the lab's V6 files have none).
  const own = readAttrs(file).simgate_instruction;
  if (typeof own === 'string' && own) return { instruction: own, source: 'file' };
  if (scenario.side) return { instruction: SEED_INSTRUCTION(scenario.side), source: 'file-name' };
  return { instruction: schema === 'v1-v4' ? 'Navigate around obstacles and reach the front of the beverage bottle' : V6_INSTRUCTION, source: 'default' };
}

/** What to do about a file HDF5 cannot read, from the library's reason. */
export function hintFor(reason: string): string {
  if (/truncated|eof/i.test(reason)) return 'The file was cut short (the lab wrote such files when the disk filled): collect the episode again or leave it out.';
  if (/object header|bad .*version|checksum/i.test(reason)) return 'The file is damaged ("bad object header" — the lab wrote such files when the disk filled): collect the episode again or leave it out.';
  if (/signature|not an hdf5/i.test(reason)) return 'Not an HDF5 file: pass the lab\'s .h5 episode files.';
  if (/no such file|ENOENT/i.test(reason)) return 'Check the path.';
  return 'Leave the file out, or check it with h5dump/h5py.';
}
