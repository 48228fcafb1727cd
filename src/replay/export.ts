import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as gifNs from 'gifenc';
import type { ViewRenderer } from '../render/launch';
import { encodePng } from '../image/png';
import type { Frame } from '../image/frame';
import { topView, TOP_MARGIN, type TopView } from './geometry';
import type { LoadedResults } from '../results/read';
import { slug, tracesRel, type ReplaySpec } from './load';
import { drawTopOverlay, vectorBackground } from './overlay';
import { collisionPoints, posesFor, renderCamera, sceneSummary, verifyMessage, type ReplayData } from './prepare';
import { blank, blit, fillRect, label, type Rgb } from '../image/raster';
import { resimulate, type Resimulation } from './simulate';

// gifenc is CommonJS with an ESM build: Node (via tsx) exposes its exports on `default`,
// bundlers (vitest) as named exports. Take whichever has them.
type GifApi = Pick<typeof gifNs, 'GIFEncoder' | 'quantize' | 'applyPalette'>;
const gifApi: GifApi = typeof (gifNs as Partial<GifApi>).quantize === 'function' ? gifNs : (gifNs as unknown as { default: GifApi }).default;
const { GIFEncoder, quantize, applyPalette } = gifApi;

export interface ExportOptions {
  renderer?: ViewRenderer | null;
  /** Write the animated GIF (camera | top-down per step). Default true. */
  gif?: boolean;
  /** Write the filmstrip PNG. Default true. */
  filmstrip?: boolean;
  /** Store the onboard frames as PNGs under traces/<policy>/<episodeId>/ (--trace-frames). */
  frames?: boolean;
  /** Tiles in the filmstrip (default 8). */
  filmstripTiles?: number;
  /** Milliseconds per GIF frame (default 300; the last frame is held longer). */
  frameMs?: number;
}

export interface Exported {
  /** Paths relative to the results folder. */
  gif?: string;
  filmstrip?: string;
  framesDir?: string;
  gifFrames?: number;
  verify: { ok: boolean; message: string };
  ms: number;
}

/** failure_<policy>_<episodeId> (success_… for traced successes), like SimplerEnv's videos. */
export function exportName(row: { outcome: string; policy: string; episodeId: string }): string {
  return `${row.outcome === 'success' ? 'success' : 'failure'}_${slug(row.policy)}_${row.episodeId}`;
}

const BAR = 18;
const OUTCOME_COLOUR: Record<string, Rgb> = {
  success: [34, 197, 94],
  collision: [239, 68, 68],
  timeout: [245, 158, 11],
  policy_error: [168, 85, 247],
  error: [168, 85, 247],
};

/** RGB → RGBA in a fresh buffer (gifenc reads it as Uint32 from offset 0). */
function rgba(f: Frame): Uint8Array {
  const out = new Uint8Array(f.width * f.height * 4);
  for (let i = 0, j = 0; i < f.data.length; i += 3, j += 4) {
    out[j] = f.data[i]!;
    out[j + 1] = f.data[i + 1]!;
    out[j + 2] = f.data[i + 2]!;
    out[j + 3] = 255;
  }
  return out;
}

/** Data the overlay drawing needs, from the spec and the replay. */
function overlayData(spec: ReplaySpec, sim: Resimulation): ReplayData {
  const poses = posesFor(spec, sim);
  return {
    actionMode: spec.actionMode,
    poses: poses.map((p) => [p.x, p.y, p.yaw]),
    actions: spec.trace.actions,
    collisions: collisionPoints(spec, poses),
    scene: sceneSummary(spec),
  } as ReplayData;
}

async function background(renderer: ViewRenderer | null | undefined, spec: ReplaySpec, data: ReplayData, view: TopView): Promise<Frame> {
  if (!renderer) return vectorBackground(data, view);
  const f = await renderer.topDown(spec.scene, [], {
    sceneKey: spec.sceneHash,
    width: view.w,
    height: view.h,
    pose: { x: 1e4, y: 1e4, yaw: 0, qz: 0, qw: 1 },
    profile: spec.profile,
    margin: TOP_MARGIN,
  });
  return { width: f.width, height: f.height, data: new Uint8Array(f.data) };
}

/** Size of a top view with the given height (width follows the room's aspect), or width. */
function viewFor(spec: ReplaySpec, by: { h?: number; w?: number }): TopView {
  const rw = spec.scene.room.max[0] - spec.scene.room.min[0] + 2 * TOP_MARGIN;
  const rh = spec.scene.room.max[1] - spec.scene.room.min[1] + 2 * TOP_MARGIN;
  const w = by.w ?? 2 * Math.round(((by.h ?? 224) * rw) / rh / 2);
  const h = by.h ?? 2 * Math.round((w * rh) / rw / 2);
  return topView(spec.scene, w, h);
}

/**
 * Export one recorded episode: re-simulate it (hash-checked), render the onboard frames, and
 * write failures/<name>.gif (camera | top-down with path, robot, action arrow and collisions per
 * step) and failures/<name>.png (a filmstrip of evenly spaced steps).
 */
export async function exportEpisode(loaded: LoadedResults, spec: ReplaySpec, opts: ExportOptions = {}): Promise<Exported> {
  const t0 = performance.now();
  const sim = await resimulate(spec.scene, spec.profile, spec.actionMode, spec.trace);
  const poses = posesFor(spec, sim);
  const data = overlayData(spec, sim);
  const n = poses.length; // steps + 1
  const cw = spec.profile.camera.width;
  const ch = spec.profile.camera.height;
  const cams: (Frame | null)[] = opts.renderer ? await renderCamera(opts.renderer, spec, poses) : poses.map(() => null);
  const name = exportName(spec.row);
  const out: Exported = { verify: verifyMessage(sim), ms: 0 };
  const colour = OUTCOME_COLOUR[spec.row.outcome] ?? [100, 100, 100];
  const noCam = (w: number, h: number) => blank(w, h, [40, 40, 40]);

  if (opts.frames && opts.renderer) {
    const rel = tracesRel(spec.row.policy, spec.row.episodeId);
    mkdirSync(join(loaded.dir, rel), { recursive: true });
    cams.forEach((f, k) => f && writeFileSync(join(loaded.dir, rel, `${String(k).padStart(3, '0')}.png`), encodePng(f)));
    out.framesDir = rel;
  }
  const dir = join(loaded.dir, 'failures');
  if (opts.gif !== false || opts.filmstrip !== false) mkdirSync(dir, { recursive: true });

  if (opts.gif !== false) {
    const view = viewFor(spec, { h: ch });
    const bg = await background(opts.renderer, spec, data, view);
    const W = cw + 4 + view.w;
    const H = ch + BAR;
    const frames: Frame[] = [];
    for (let k = 0; k < n; k++) {
      const img = blank(W, H, [17, 24, 39]);
      blit(img, cams[k] ?? noCam(cw, ch), 0, 0);
      blit(img, drawTopOverlay(bg, data, view, k), cw + 4, 0);
      // progress bar: grey track, blue so far; the last frame turns the outcome's colour
      fillRect(img, 0, ch + 2, W, BAR - 4, [55, 65, 81]);
      fillRect(img, 0, ch + 2, (W * k) / Math.max(1, n - 1), BAR - 4, k === n - 1 ? colour : [96, 165, 250]);
      label(img, `step ${k}/${n - 1}`, 4, ch + 2, 2, [255, 255, 255], null);
      frames.push(img);
    }
    // One palette for the whole episode, from the first, middle and last frames.
    const sample = [frames[0]!, frames[Math.floor(n / 2)]!, frames[n - 1]!];
    const joined = new Uint8Array(sample.reduce((s, f) => s + f.data.length, 0) / 3 * 4);
    let off = 0;
    for (const f of sample) {
      joined.set(rgba(f), off);
      off += f.width * f.height * 4;
    }
    const palette = quantize(joined, 256);
    const gif = GIFEncoder();
    const ms = opts.frameMs ?? 300;
    frames.forEach((f, k) => gif.writeFrame(applyPalette(rgba(f), palette), f.width, f.height, { palette, delay: k === n - 1 ? 1500 : ms, repeat: 0, first: k === 0 }));
    gif.finish();
    writeFileSync(join(dir, `${name}.gif`), gif.bytes());
    out.gif = `failures/${name}.gif`;
    out.gifFrames = frames.length;
  }

  if (opts.filmstrip !== false) {
    const tiles = Math.max(2, Math.min(n, opts.filmstripTiles ?? 8));
    const steps = [...new Set(Array.from({ length: tiles }, (_, i) => Math.round((i * (n - 1)) / (tiles - 1))))];
    const view = viewFor(spec, { w: cw });
    const bg = await background(opts.renderer, spec, data, view);
    const gap = 4;
    const W = steps.length * (cw + gap) - gap;
    const H = ch + gap + view.h + 6;
    const img = blank(W, H, [255, 255, 255]);
    steps.forEach((k, i) => {
      const x = i * (cw + gap);
      blit(img, cams[k] ?? noCam(cw, ch), x, 0);
      blit(img, drawTopOverlay(bg, data, view, k), x, ch + gap);
      label(img, `${k}`, x + 3, 3, 3);
    });
    fillRect(img, 0, H - 5, W, 5, colour);
    writeFileSync(join(dir, `${name}.png`), encodePng(img));
    out.filmstrip = `failures/${name}.png`;
  }
  out.ms = performance.now() - t0;
  return out;
}

/** Read a GIF's header: size and number of frames (image descriptors), for tests and checks. */
export function gifInfo(buf: Uint8Array): { width: number; height: number; frames: number; delays: number[]; loops: boolean } {
  const sig = String.fromCharCode(...buf.subarray(0, 6));
  if (sig !== 'GIF89a' && sig !== 'GIF87a') throw new Error(`not a GIF (signature ${JSON.stringify(sig)})`);
  const width = buf[6]! | (buf[7]! << 8);
  const height = buf[8]! | (buf[9]! << 8);
  let p = 13;
  if (buf[10]! & 0x80) p += 3 * (1 << ((buf[10]! & 7) + 1));
  const skipBlocks = () => {
    while (p < buf.length) {
      const len = buf[p++]!;
      if (len === 0) return;
      p += len;
    }
    throw new Error('GIF truncated inside data sub-blocks');
  };
  let frames = 0;
  let loops = false;
  const delays: number[] = [];
  for (;;) {
    if (p >= buf.length) throw new Error('GIF truncated: no trailer');
    const b = buf[p++]!;
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = buf[p++]!;
      if (label === 0xf9) delays.push((buf[p + 2]! | (buf[p + 3]! << 8)) * 10);
      if (label === 0xff && String.fromCharCode(...buf.subarray(p + 1, p + 12)) === 'NETSCAPE2.0') loops = true;
      skipBlocks();
    } else if (b === 0x2c) {
      const packed = buf[p + 8]!;
      p += 9;
      if (packed & 0x80) p += 3 * (1 << ((packed & 7) + 1));
      p += 1; // LZW minimum code size
      skipBlocks();
      frames++;
    } else throw new Error(`GIF: unexpected block 0x${b.toString(16)} at byte ${p - 1}`);
  }
  return { width, height, frames, delays, loops };
}
