/**
 * Writes episode files in the lab's three HDF5 layouts (LAB.md §2) with h5wasm, for tests:
 * gzip-compressed, chunked frame datasets as h5py writes them, V1–V4 frames stored BGR.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import h5wasm from 'h5wasm/node';

export type Rgb = [number, number, number];

export interface EpisodeSpecH5 {
  /** RGB colour of each frame (solid), or a function drawing frame t into an RGB buffer. */
  frames: Rgb[] | { count: number; draw: (t: number, rgb: Uint8Array, w: number, h: number) => void };
  actions: number[][];
  height?: number;
  width?: number;
  instruction?: string;
  attrs?: Record<string, string | number>;
}

function frameCount(s: EpisodeSpecH5): number {
  return Array.isArray(s.frames) ? s.frames.length : s.frames.count;
}

function drawFrame(s: EpisodeSpecH5, t: number, w: number, h: number, bgr: boolean): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  if (Array.isArray(s.frames)) {
    const c = s.frames[t]!;
    for (let i = 0; i < w * h; i++) rgb.set(c, i * 3);
  } else s.frames.draw(t, rgb, w, h);
  if (bgr) for (let i = 0; i < rgb.length; i += 3) [rgb[i], rgb[i + 2]] = [rgb[i + 2]!, rgb[i]!];
  return rgb;
}

async function withFile(path: string, fn: (f: InstanceType<typeof h5wasm.File>) => void): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  try {
    fn(f);
  } finally {
    f.close();
  }
}

/** A (T, H, W, 3) uint8 dataset, gzip level 4, one chunk per frame, written one frame at a time. */
function writeImages(group: InstanceType<typeof h5wasm.Group>, name: string, s: EpisodeSpecH5, bgr: boolean): void {
  const h = s.height ?? 72;
  const w = s.width ?? 128;
  const T = frameCount(s);
  const ds = group.create_dataset({ name, data: drawFrame(s, 0, w, h, bgr), shape: [1, h, w, 3], dtype: '<B', maxshape: [null, h, w, 3], chunks: [1, h, w, 3], compression: 'gzip', compression_opts: 4 });
  ds.resize([T, h, w, 3]);
  for (let t = 1; t < T; t++) ds.write_slice([[t, t + 1], [], [], []], drawFrame(s, t, w, h, bgr));
}

function writeActions(f: InstanceType<typeof h5wasm.Group>, actions: number[][], dtype: '<f' | '<d'): void {
  f.create_dataset({ name: 'actions', data: dtype === '<f' ? new Float32Array(actions.flat()) : new Float64Array(actions.flat()), shape: [actions.length, 3], dtype });
}

/** V1–V4 (legacy collector): images BGR, actions float32, action_event_types, legacy attrs. */
export async function writeV1(path: string, s: EpisodeSpecH5): Promise<void> {
  await withFile(path, (f) => {
    writeImages(f, 'images', s, true);
    writeActions(f, s.actions, '<f');
    f.create_dataset({ name: 'action_event_types', data: s.actions.map((_, t) => (t === 0 ? 'episode_start' : 'start_action')) });
    if (s.instruction) f.create_dataset({ name: 'language_instruction', data: [s.instruction], dtype: 'S256' });
    const attrs = { episode_name: path.replace(/^.*\//, '').replace(/\.h5$/, ''), total_duration: 12.3, num_frames: frameCount(s), action_chunk_size: 8, obstacle_layout_type: 'hori', time_period: 'morning', collection_datetime: '2025-12-03T04:29:05', collection_hour: 4, collection_minute: 29, ...s.attrs };
    for (const [k, v] of Object.entries(attrs)) f.create_attribute(k, v);
  });
}

/** V5 (gradio collector): observations/images RGB, actions float64, language_instruction. */
export async function writeV5(path: string, s: EpisodeSpecH5): Promise<void> {
  await withFile(path, (f) => {
    writeImages(f.create_group('observations'), 'images', s, false);
    writeActions(f, s.actions, '<d');
    f.create_dataset({ name: 'language_instruction', data: [s.instruction ?? 'Navigate until the gray basket is centered and fills the lower half of the frame.'], dtype: 'S256' });
    const attrs = { scenario: 'target_right_left_path', pattern: 'core', distance: 'medium', end_pos: 'right', ...s.attrs };
    for (const [k, v] of Object.entries(attrs)) f.create_attribute(k, v);
  });
}

/** V6 (dashboard): images, actions, action_event_types, cx attrs; no instruction. */
export async function writeV6(path: string, s: EpisodeSpecH5 & { position?: string; path?: string }): Promise<void> {
  await withFile(path, (f) => {
    writeImages(f, 'images', s, false);
    writeActions(f, s.actions, '<f');
    f.create_dataset({ name: 'action_event_types', data: s.actions.map(() => 'joystick') });
    const attrs = { episode_name: path.replace(/^.*\//, '').replace(/\.h5$/, ''), scenario: 'trackA', cx_position: s.position ?? 'strong_left', cx_path: s.path ?? 'straight', total_duration: 13.1, num_frames: frameCount(s), stop_inject_n: 0, action_chunk_size: 1, obstacle_layout_type: 'none', time_period: 'evening', collection_datetime: '2026-07-16T10:53:43', ...s.attrs };
    for (const [k, v] of Object.entries(attrs)) f.create_attribute(k, v);
  });
}

/** A copy of `src` cut to `fraction` of its bytes (the lab's disk-full files). */
export function truncateCopy(src: string, dst: string, fraction: number): void {
  const b = readFileSync(src);
  writeFileSync(dst, b.subarray(0, Math.floor(b.length * fraction)));
}

/**
 * A copy of `src` whose object headers after the root group's carry a wrong version number —
 * what h5py reports as "bad object header version number" for the lab's half-written files.
 * Needs a file written with v2 object headers (h5wasm's default libver writes "OHDR" signatures).
 */
export function corruptObjectHeaders(src: string, dst: string): number {
  const b = Buffer.from(readFileSync(src));
  let hits = 0;
  for (let i = b.indexOf('OHDR'); i >= 0; i = b.indexOf('OHDR', i + 4)) {
    if (hits++ === 0) continue; // keep the root group readable
    b[i + 4] = 9; // version byte after the signature
  }
  writeFileSync(dst, b);
  return hits - 1;
}
